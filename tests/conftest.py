"""Shared fixtures: a small two-province network and one user per role."""

from types import SimpleNamespace

import pytest

from doha.core.permissions import Role
from doha.orgunits.adminunits import load_admin_units
from doha.orgunits.models import AdminEdition, AdminUnit, FacilityType, TechnicalLevel
from tests.factories import PASSWORD, OrgUnitFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real administrative units of two provinces once per test session."""
    with django_db_blocker.unblock():
        load_admin_units(["bacninh", "thainguyen"])


@pytest.fixture
def ward_tien_du(db):
    return AdminUnit.objects.get(edition=AdminEdition.CURRENT, code="09319")


@pytest.fixture
def network(db, ward_tien_du):
    """Bộ Y tế > SYT Bắc Ninh > (BVĐK, TTYT Tiên Du > TYT, TTYT Từ Sơn > TYT);
    Bộ Y tế > SYT Thái Nguyên > TTYT Phú Bình > TYT."""
    t = FacilityType
    moh = OrgUnitFactory(code="BYT", name="Bộ Y tế", facility_type=t.MINISTRY)
    syt_bn = OrgUnitFactory(
        code="BN-SYT",
        name="Sở Y tế tỉnh Bắc Ninh",
        short_name="SYT Bắc Ninh",
        facility_type=t.DOH,
        parent=moh,
    )
    bvdk = OrgUnitFactory(
        code="BN-BVDK",
        name="Bệnh viện Đa khoa tỉnh Bắc Ninh",
        short_name="BVĐK tỉnh Bắc Ninh",
        facility_type=t.PROVINCIAL_HOSPITAL,
        parent=syt_bn,
        technical_level=TechnicalLevel.SPECIALISED,
    )
    tien_du = OrgUnitFactory(
        code="BN-TTYT-TIENDU",
        name="Trung tâm Y tế Tiên Du",
        short_name="TTYT Tiên Du",
        facility_type=t.HEALTH_CENTRE,
        parent=syt_bn,
        admin_unit=ward_tien_du,
        technical_level=TechnicalLevel.BASIC,
    )
    tyt_tien_du = OrgUnitFactory(
        code="TYT-09319", name="Trạm Y tế Xã Tiên Du", parent=tien_du, admin_unit=ward_tien_du
    )
    tu_son = OrgUnitFactory(
        code="BN-TTYT-TUSON",
        name="Trung tâm Y tế Từ Sơn",
        short_name="TTYT Từ Sơn",
        facility_type=t.HEALTH_CENTRE,
        parent=syt_bn,
        technical_level=TechnicalLevel.BASIC,
    )
    tyt_tu_son = OrgUnitFactory(code="TYT-TUSON", name="Trạm Y tế Phường Từ Sơn", parent=tu_son)
    syt_tn = OrgUnitFactory(
        code="TN-SYT", name="Sở Y tế tỉnh Thái Nguyên", facility_type=t.DOH, parent=moh
    )
    phu_binh = OrgUnitFactory(
        code="TN-TTYT-PHUBINH",
        name="Trung tâm Y tế Phú Bình",
        facility_type=t.HEALTH_CENTRE,
        parent=syt_tn,
    )
    tyt_phu_binh = OrgUnitFactory(code="TYT-PHUBINH", name="Trạm Y tế Xã Phú Bình", parent=phu_binh)
    return SimpleNamespace(
        moh=moh,
        syt_bn=syt_bn,
        bvdk=bvdk,
        tien_du=tien_du,
        tyt_tien_du=tyt_tien_du,
        tu_son=tu_son,
        tyt_tu_son=tyt_tu_son,
        syt_tn=syt_tn,
        phu_binh=phu_binh,
        tyt_phu_binh=tyt_phu_binh,
    )


@pytest.fixture
def users(network):
    """One user per role, all in Bắc Ninh except the system administrator."""
    return SimpleNamespace(
        admin=UserFactory(
            username="admin", role=Role.SYSTEM_ADMIN, is_superuser=True, is_staff=True
        ),
        doh=UserFactory(username="syt.bn", role=Role.DOH_OFFICER, org_unit=network.syt_bn),
        line=UserFactory(username="cdt.bvdk", role=Role.LINE_OFFICER, org_unit=network.bvdk),
        clerk=UserFactory(username="ttyt.tiendu", role=Role.DATA_CLERK, org_unit=network.tien_du),
        viewer=UserFactory(username="xem.bn", role=Role.VIEWER, org_unit=network.syt_bn),
        doh_tn=UserFactory(username="syt.tn", role=Role.DOH_OFFICER, org_unit=network.syt_tn),
        password=PASSWORD,
    )
