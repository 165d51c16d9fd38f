"""Shared fixtures: a small two-province network and one user per role."""

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test.utils import override_settings

from doha.core.permissions import Role
from doha.orgunits.adminunits import load_admin_units
from doha.orgunits.models import AdminEdition, AdminUnit, FacilityType, OrgUnit, TechnicalLevel
from doha.users.models import User
from tests.factories import PASSWORD, OrgUnitFactory, UserFactory
from tests.mixins import new_client


def pytest_configure(config):
    # WhiteNoise warns once per handler when var/static/ has not been collected.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real administrative units of two provinces once per test session."""
    with django_db_blocker.unblock():
        load_admin_units(["bacninh", "thainguyen"])


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """The default hasher costs ~0.3 s a user; six users a test would dominate the suite."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def client():
    """pytest-django's ``client``, on the shared request handler (see tests/mixins.py)."""
    return new_client()


@pytest.fixture
def ward_tien_du(db):
    if not AdminUnit.objects.exists():  # emptied by a transactional test
        load_admin_units(["bacninh", "thainguyen"])
    return AdminUnit.objects.get(edition=AdminEdition.CURRENT, code="09319")


def build_network(ward_tien_du):
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


def build_users(network):
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


@pytest.fixture
def network(request, db, ward_tien_du):
    """The network above, new for each test (or shared by a module: see ``shared_world``)."""
    if "shared_world" in request.fixturenames:
        return fetch_network()
    return build_network(ward_tien_du)


@pytest.fixture
def users(request, network):
    """One user per role, all in Bắc Ninh except the system administrator."""
    if "shared_world" in request.fixturenames:
        return fetch_users()
    return build_users(network)


@pytest.fixture(scope="module")
def restore_admin_units(django_db_blocker):
    """For modules of transactional tests: such a test empties every table when it ends, so
    the administrative units the session loaded (``django_db_setup``) are put back after
    the module, for the tests that follow (``ward_tien_du`` puts them back between tests)."""
    yield
    with django_db_blocker.unblock():
        if not AdminUnit.objects.exists():
            load_admin_units(["bacninh", "thainguyen"])


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """Build ``network`` and ``users`` once for a whole module instead of once per test.

    Opt in with ``pytestmark = pytest.mark.usefixtures("shared_world")``. The rows are written
    inside a transaction that is rolled back after the module; each test still runs in its
    own savepoint, so its changes vanish as usual, and ``network``/``users`` are re-read for
    every test. Not for modules whose tests need ``transactional_db`` or a database without
    the network (its rows, and their creation entries in the audit log, are always there).
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ward = AdminUnit.objects.get(edition=AdminEdition.CURRENT, code="09319")
            build_users(build_network(ward))
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def fetch_network():
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=NETWORK_CODES.values())}
    return SimpleNamespace(**{key: units[code] for key, code in NETWORK_CODES.items()})


def fetch_users():
    found = {u.username: u for u in User.objects.filter(username__in=USERNAMES.values())}
    return SimpleNamespace(
        **{key: found[name] for key, name in USERNAMES.items()}, password=PASSWORD
    )


NETWORK_CODES = {
    "moh": "BYT",
    "syt_bn": "BN-SYT",
    "bvdk": "BN-BVDK",
    "tien_du": "BN-TTYT-TIENDU",
    "tyt_tien_du": "TYT-09319",
    "tu_son": "BN-TTYT-TUSON",
    "tyt_tu_son": "TYT-TUSON",
    "syt_tn": "TN-SYT",
    "phu_binh": "TN-TTYT-PHUBINH",
    "tyt_phu_binh": "TYT-PHUBINH",
}
USERNAMES = {
    "admin": "admin",
    "doh": "syt.bn",
    "line": "cdt.bvdk",
    "clerk": "ttyt.tiendu",
    "viewer": "xem.bn",
    "doh_tn": "syt.tn",
}
