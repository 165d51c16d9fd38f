"""The world of the service-vaccination tests.

``build_catalogue()``: antigens and three products (a single-dose influenza vaccine, a
10-dose BCG vial, a rabies vaccine) with schedules.
``build_cdc(network, catalogue)``: under SYT Bắc Ninh, the provincial CDC with its centre
store and two vaccination points (each its own org unit under the CDC, so a point's clerk
sees its point only and the CDC sees both); a point in Thái Nguyên (out of the Bắc Ninh
users' scope); fridges, a supplier, clerks of the CDC and of point 1.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.utils import timezone

from doha.core.permissions import Role
from doha.orgunits.models import FacilityType
from doha.vaccines import stock
from doha.vaccines.models import (
    Antigen,
    Fridge,
    Lot,
    OpenVialPolicy,
    ScheduleDose,
    Store,
    StoreKind,
    Supplier,
    Vaccine,
)
from tests.factories import OrgUnitFactory, UserFactory


def build_catalogue():
    flu = Antigen.objects.create(code="FLU", name="Cúm mùa")
    tb = Antigen.objects.create(code="TB", name="Lao")
    rabies = Antigen.objects.create(code="RAB", name="Dại")
    vaxigrip = Vaccine.objects.create(
        code="VAXIGRIP", name="Vaxigrip Tetra", manufacturer="Sanofi Pasteur", price=356000
    )
    vaxigrip.antigens.add(flu)
    bcg = Vaccine.objects.create(
        code="BCG",
        name="BCG (IVAC)",
        manufacturer="IVAC",
        doses_per_vial=10,
        open_vial_policy=OpenVialPolicy.DISCARD_AFTER_HOURS,
        open_vial_hours=6,
        price=150000,
    )
    bcg.antigens.add(tb)
    verorab = Vaccine.objects.create(
        code="VERORAB", name="Verorab", manufacturer="Sanofi Pasteur", price=325000
    )
    verorab.antigens.add(rabies)
    ScheduleDose.objects.create(vaccine=vaxigrip, dose_number=1, min_age_days=183)
    ScheduleDose.objects.create(
        vaccine=vaxigrip, dose_number=2, min_age_days=183, min_interval_days=28
    )
    for number, interval in [(1, None), (2, 3), (3, 4), (4, 14)]:
        ScheduleDose.objects.create(vaccine=verorab, dose_number=number, min_interval_days=interval)
    return SimpleNamespace(
        flu=flu, tb=tb, rabies=rabies, vaxigrip=vaxigrip, bcg=bcg, verorab=verorab
    )


def build_cdc(network, catalogue):
    cdc_unit = OrgUnitFactory(
        code="BN-CDC",
        name="Trung tâm Kiểm soát bệnh tật tỉnh Bắc Ninh",
        short_name="CDC Bắc Ninh",
        facility_type=FacilityType.CDC,
        parent=network.syt_bn,
    )
    point1_unit = OrgUnitFactory(
        code="BN-CDC-P1",
        name="Điểm tiêm chủng dịch vụ số 1",
        facility_type=FacilityType.CDC,
        parent=cdc_unit,
    )
    point2_unit = OrgUnitFactory(
        code="BN-CDC-P2",
        name="Điểm tiêm chủng dịch vụ số 2",
        facility_type=FacilityType.CDC,
        parent=cdc_unit,
    )
    tn_unit = OrgUnitFactory(
        code="TN-CDC",
        name="Trung tâm Kiểm soát bệnh tật tỉnh Thái Nguyên",
        facility_type=FacilityType.CDC,
        parent=network.syt_tn,
    )
    centre = Store.objects.create(org_unit=cdc_unit, name="Kho vắc xin CDC", kind=StoreKind.CENTRE)
    point1 = Store.objects.create(
        org_unit=point1_unit, name="Điểm tiêm số 1", kind=StoreKind.POINT, supplied_by=centre
    )
    point2 = Store.objects.create(
        org_unit=point2_unit, name="Điểm tiêm số 2", kind=StoreKind.POINT, supplied_by=centre
    )
    tn_store = Store.objects.create(
        org_unit=tn_unit, name="Kho CDC Thái Nguyên", kind=StoreKind.CENTRE
    )
    return SimpleNamespace(
        cdc_unit=cdc_unit,
        point1_unit=point1_unit,
        point2_unit=point2_unit,
        tn_unit=tn_unit,
        centre=centre,
        point1=point1,
        point2=point2,
        tn_store=tn_store,
        centre_fridge=Fridge.objects.create(store=centre, name="Tủ lạnh TCW 3000"),
        point1_fridge=Fridge.objects.create(store=point1, name="Tủ lạnh điểm 1"),
        tn_fridge=Fridge.objects.create(store=tn_store, name="Tủ lạnh TN"),
        supplier=Supplier.objects.create(org_unit=cdc_unit, name="Công ty Vắc xin Việt Nam"),
        tn_supplier=Supplier.objects.create(org_unit=tn_unit, name="Nhà cung cấp Thái Nguyên"),
        cdc_clerk=UserFactory(username="cdc.bn", role=Role.DATA_CLERK, org_unit=cdc_unit),
        point_clerk=UserFactory(username="diem1.bn", role=Role.DATA_CLERK, org_unit=point1_unit),
        tn_clerk=UserFactory(username="cdc.tn", role=Role.DATA_CLERK, org_unit=tn_unit),
        catalogue=catalogue,
    )


def make_lot(vaccine, number="L001", days=365, today=None) -> Lot:
    today = today or timezone.localdate()
    return Lot.objects.create(
        vaccine=vaccine, lot_number=number, expiry_date=today + datetime.timedelta(days=days)
    )


def stock_up(world, lot, doses, store=None, when=None) -> None:
    """Receive ``doses`` of ``lot`` at the centre (and issue them on to ``store``)."""
    stock.receive(
        world.centre,
        [stock.Line(lot, doses)],
        supplier=world.supplier,
        reference="HD-0001",
        occurred_at=when,
    )
    if store is not None and store != world.centre:
        stock.issue(world.centre, store, [stock.Line(lot, doses)], occurred_at=when)
