"""Service revenue by source, doses by antigen and adverse events by severity as data values
of the facility statistics (DS_SERVICES), equal to the monthly figures of
``doha.vaccines.revenue``, computed again after every receipt, dose and event."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from doha.aggregate.metadata import load_default_metadata
from doha.aggregate.models import CategoryOptionCombo, DataElement, DataSet, DataValue
from doha.aggregate.services_figures import compute_recorded, compute_services
from doha.analytics.query import run_query
from doha.orgunits.models import OrgUnit
from doha.vaccines import revenue, visits
from doha.vaccines.models import AefiSeverity, Antigen
from tests.vaccines.test_visits_setup import ago, screened, service, vaccinate


@pytest.fixture
def world(cdc, users):
    """Point 1 gives two doses (and a vaccination receipt for each visit) and has two
    adverse events; the CDC has a laboratory and a clinic receipt the same day."""
    load_default_metadata()
    svc = service(cdc)
    first = vaccinate(cdc, svc, screened(cdc, svc, minutes_ago=60), minutes_ago=50)
    adult_visit = screened(cdc, svc, svc.adult, minutes_ago=45)
    vaccinate(cdc, svc, adult_visit, lot=svc.verorab, minutes_ago=40)
    visits.record_aefi(
        first, onset_at=ago(30), severity=AefiSeverity.COMMON, symptoms="Sốt 38,5 °C"
    )
    visits.record_aefi(first, onset_at=ago(20), severity=AefiSeverity.SERIOUS, symptoms="Khó thở")
    day = timezone.localdate(first.given_at)
    sources = revenue.ensure_sources()
    for code, amount in (("laboratory", 270_000), ("clinic", 150_000)):
        revenue.record_receipt(
            cdc.cdc_unit,
            sources[code],
            [revenue.ReceiptLine(1, description="Dịch vụ", unit_price=amount)],
            date=day,
        )
    return cdc, svc, first, day


def stored(code, unit) -> dict[str, int]:
    """{option code: value} of a data element at a unit (every period)."""
    rows = DataValue.objects.filter(data_element__code=code, org_unit=unit, deleted=False)
    out = {}
    for coc_id, value in rows.values_list("category_option_combo_id", "value"):
        option = CategoryOptionCombo.objects.get(pk=coc_id).options.get()
        out[option.code] = int(value)
    return out


def test_values_equal_the_monthly_figures_and_analytics_reads_them_by_source(world, users):
    cdc, _svc, _dose, day = world

    summary = compute_services(day, day)

    assert summary.conflicts == [] and summary.unmapped == []
    for unit in (cdc.cdc_unit, cdc.point1_unit):
        money = {k: v for k, v in revenue.monthly_revenue(unit, day).items() if v}
        assert stored("SVC_REVENUE", unit) == {f"REV_{k.upper()}": v for k, v in money.items()}
        doses = revenue.doses_by_antigen(unit, day)
        assert stored("SVC_DOSES", unit) == {f"AG_{k}": v for k, v in doses.items()}
    assert stored("SVC_REVENUE", cdc.cdc_unit) == {"REV_LABORATORY": 270_000, "REV_CLINIC": 150_000}
    assert stored("SVC_REVENUE", cdc.point1_unit) == {"REV_VACCINATION": 350_000 + 325_000}
    assert stored("SVC_DOSES", cdc.point1_unit) == {"AG_FLU": 1, "AG_RAB": 1}
    assert stored("SVC_AEFI", cdc.point1_unit) == {"AEFI_COMMON": 1, "AEFI_SERIOUS": 1}
    assert stored("SVC_AEFI", cdc.cdc_unit) == {}  # no dose there: no zeros either
    # The units that got values report the services data set.
    services = DataSet.objects.get(code="DS_SERVICES")
    assert {cdc.cdc_unit, cdc.point1_unit} <= set(services.org_units.all())

    # Analytics: the CDC with its points, by revenue source.
    element = DataElement.objects.get(code="SVC_REVENUE")
    month = day.strftime("%Y%m")
    result = run_query(users.doh, dx=[element.uid], pe=[month], ou=[cdc.cdc_unit.uid], co=True)
    by_code = {c.code: c.uid for c in element.category_combo.option_combos.all()}

    def cell(code):
        return result.value(element.uid, month, cdc.cdc_unit.uid, co=by_code[code])

    assert cell("COC_REV_VACCINATION") == 675_000
    assert cell("COC_REV_LABORATORY") == 270_000
    assert cell("COC_REV_IMAGING") is None
    total = run_query(users.doh, dx=[element.uid], pe=[month], ou=[cdc.cdc_unit.uid])
    assert total.value(element.uid, month, cdc.cdc_unit.uid) == 675_000 + 270_000 + 150_000


def test_running_again_changes_nothing(world):
    _cdc, _svc, _dose, day = world
    first = compute_services(day, day)
    assert first.created == 2 + 1 + 2 + 2  # revenue (CDC 2, point 1), doses 2, AEFI 2
    audit_rows = DataValue.objects.count()

    again = compute_services(day, day)

    assert again.changed == 0 and again.unchanged == first.created
    assert DataValue.objects.count() == audit_rows


def test_the_services_keep_the_values_up_to_date(world, django_capture_on_commit_callbacks):
    cdc, svc, dose, day = world
    compute_services(day, day)

    with django_capture_on_commit_callbacks(execute=True):
        receipt = revenue.record_receipt(
            cdc.cdc_unit,
            revenue.ensure_sources()["laboratory"],
            [revenue.ReceiptLine(1, description="Xét nghiệm HBsAg", unit_price=90_000)],
            date=day,
        )
    assert stored("SVC_REVENUE", cdc.cdc_unit)["REV_LABORATORY"] == 360_000

    with django_capture_on_commit_callbacks(execute=True):
        revenue.cancel_receipt(receipt, "Nhập trùng")
    assert stored("SVC_REVENUE", cdc.cdc_unit)["REV_LABORATORY"] == 270_000

    with django_capture_on_commit_callbacks(execute=True):
        visits.record_aefi(
            dose, onset_at=ago(10), severity=AefiSeverity.COMMON, symptoms="Đau chỗ tiêm"
        )
    assert stored("SVC_AEFI", cdc.point1_unit) == {"AEFI_COMMON": 2, "AEFI_SERIOUS": 1}

    with django_capture_on_commit_callbacks(execute=True):
        vaccinate(cdc, svc, screened(cdc, svc, svc.adult, minutes_ago=9), minutes_ago=5)
    assert stored("SVC_DOSES", cdc.point1_unit) == {"AG_FLU": 2, "AG_RAB": 1}
    assert stored("SVC_REVENUE", cdc.point1_unit) == {"REV_VACCINATION": 1_025_000}


def test_an_antigen_without_its_own_option_counts_as_other(world):
    cdc, svc, _dose, day = world
    zika = Antigen.objects.create(code="ZIKA", name="Zika")
    cdc.catalogue.vaxigrip.antigens.add(zika)

    compute_services(day, day)

    # The Vaxigrip dose counts for influenza and for the new antigen.
    assert stored("SVC_DOSES", cdc.point1_unit) == {"AG_FLU": 1, "AG_RAB": 1, "AG_OTHER": 1}


def test_command_and_the_demo_call(world):
    cdc, _svc, _dose, day = world
    out = StringIO()
    call_command("compute_services", "--start", day.strftime("%Y%m"), stdout=out)
    assert "7 values were created" in out.getvalue()
    assert "stored by doha-services" in out.getvalue()

    summary = compute_recorded()  # what the demo loader runs: every month with records
    assert summary.changed == 0 and summary.periods[-1] == day.strftime("%Y%m")


def test_without_the_metadata_nothing_is_written(cdc):
    svc = service(cdc)
    dose = vaccinate(cdc, svc, screened(cdc, svc))
    day = timezone.localdate(dose.given_at)
    assert compute_services(day, day).elements == 0
    assert not DataValue.objects.exists()
    assert day <= timezone.localdate() < day + datetime.timedelta(days=2)


def test_the_demo_shows_its_vaccination_in_the_statistics(db):
    from doha.vaccines.demo import CENTRE_CODE, POINTS
    from doha.web.demo import load_vaccination

    load_default_metadata()
    load_vaccination()

    centre = OrgUnit.objects.get(code=CENTRE_CODE)
    point = OrgUnit.objects.get(code=POINTS[0][0])
    month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)  # last month
    money = {k: v for k, v in revenue.monthly_revenue(centre, month).items() if v}
    assert len(money) == 10  # every other service line, each month
    assert stored_in("SVC_REVENUE", centre, month) == {
        f"REV_{k.upper()}": v for k, v in money.items()
    }
    doses = revenue.doses_by_antigen(point, month)
    assert doses and stored_in("SVC_DOSES", point, month) == {
        f"AG_{k}": v for k, v in doses.items()
    }
    assert compute_recorded().changed == 0


def stored_in(code, unit, day) -> dict[str, int]:
    rows = DataValue.objects.filter(
        data_element__code=code, org_unit=unit, deleted=False, period=day.strftime("%Y%m")
    )
    return {
        CategoryOptionCombo.objects.get(pk=coc).options.get().code: int(value)
        for coc, value in rows.values_list("category_option_combo_id", "value")
    }
