"""The demo statistics (``load_statistics_demo``): seed 002's effect on the supported
facilities, seed 004's six-month figures for Bắc Ninh, idempotence, completeness.

The demo and 18 months of statistics (03/2024 to 08/2025, "today" being 15/09/2025) are
loaded once for the module, twice to compare, inside a transaction rolled back after it.
Support for BVĐK tỉnh Bắc Kạn (seed 003's programme) starts on 01/09/2024: the six months
before it (03-08/2024) are compared with the same calendar months a year later (03-08/2025),
once the six-month ramp is over, so seasonality cancels out.
"""

import datetime
from collections import defaultdict
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import Sum

from doha.aggregate.completeness import completeness
from doha.aggregate.demo import (
    SEED_004_IPD,
    SEED_004_OPD,
    SEED_004_RECORDS,
    demo_months,
    load_statistics_demo,
    support_starts,
)
from doha.aggregate.models import (
    CompleteRegistration,
    DataSet,
    DataValue,
    DataValueAudit,
)
from doha.aggregate.periods import parse_period
from doha.orgunits.models import FacilityType, OrgUnit
from doha.users.models import User
from doha.web.demo import load_demo

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2025, 9, 15)
MONTHS = 18
BEFORE = ["202403", "202404", "202405", "202406", "202407", "202408"]
AFTER = ["202503", "202504", "202505", "202506", "202507", "202508"]


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("aggregate", "analytics")
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_demo(statistics=False)
            first = load_statistics_demo(TODAY, months=MONTHS)
            counts = row_counts()
            second = load_statistics_demo(TODAY, months=MONTHS)
            yield SimpleNamespace(
                first=first, second=second, counts=counts, counts_again=row_counts()
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def total(code, unit=None, periods=(), subtree=None) -> int:
    qs = DataValue.objects.filter(data_element__code=code, deleted=False, period__in=periods)
    if unit is not None:
        qs = qs.filter(org_unit=unit)
    if subtree is not None:
        qs = qs.filter(org_unit__path__startswith=subtree.path)
    return int(qs.aggregate(n=Sum("numeric_value"))["n"] or 0)


def unit(code) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def referral_rate(facility, periods) -> float:
    return total("REFERRALS_OUT", facility, periods) / total("OPD_VISITS", facility, periods)


# ------------------------------------------------------------------------------ loading


def test_eighteen_months_end_with_the_last_complete_month(demo):
    assert demo.first.periods[0] == "202403"
    assert demo.first.periods[-1] == "202508"
    assert len(demo.first.periods) == MONTHS
    assert [p.id for p in demo_months(D(2026, 1, 1), 36)][::35] == ["202301", "202512"]


def test_loading_again_changes_nothing(demo):
    assert demo.first.created > 10_000
    assert (demo.second.created, demo.second.updated) == (0, 0)
    assert demo.second.unchanged == demo.first.values
    assert demo.second.registrations == 0
    assert demo.counts == demo.counts_again


def test_values_go_through_the_write_path_with_their_audit_trail(demo):
    values = DataValue.objects.filter(data_element__source="entered")
    assert set(values.values_list("stored_by", flat=True)) == {"demo"}
    assert DataValueAudit.objects.filter(modified_by="demo").count() == values.count()


def test_every_reporting_facility_reports_the_monthly_data_set(demo):
    data_set = DataSet.objects.get(code="DS_MONTHLY")
    reporting = OrgUnit.objects.filter(
        active=True,
        facility_type__in=[
            FacilityType.CENTRAL_HOSPITAL,
            FacilityType.PROVINCIAL_HOSPITAL,
            FacilityType.SPECIALTY_HOSPITAL,
            FacilityType.HEALTH_CENTRE,
            FacilityType.COMMUNE_STATION,
        ],
    )
    assert reporting.count() > 150
    assert set(data_set.org_units.all()) == set(reporting)
    assert not data_set.org_units.filter(facility_type=FacilityType.DOH).exists()


def test_visits_and_admissions_are_disaggregated_by_sex_and_age(demo):
    opd = DataValue.objects.filter(
        data_element__code="OPD_VISITS", org_unit=unit("BN-BVDK"), period="202504"
    )
    names = set(opd.values_list("category_option_combo__name", flat=True))
    assert len(names) == 8
    assert "Nữ, Từ 60 tuổi" in names
    referrals = DataValue.objects.filter(
        data_element__code="REFERRALS_OUT", org_unit=unit("BN-BVDK"), period="202504"
    )
    assert set(referrals.values_list("category_option_combo__name", flat=True)) == {"Nam", "Nữ"}


# ------------------------------------------------------------------------------ seed 002


def test_support_starts_with_the_programmes_and_transfers(demo):
    starts = support_starts(
        list(
            OrgUnit.objects.filter(
                code__in=["BK-BVDK", "DNO-BVDK", "BN-TTYT-TIENDU", "TN-BVA", "BK-TTYT-CHOMOI"]
            ).values_list("pk", flat=True)
        )
    )
    by_code = {OrgUnit.objects.get(pk=pk).code: day for pk, day in starts.items()}
    assert by_code == {
        "BK-BVDK": D(2024, 9, 1),  # seed 003's programme
        "BK-TTYT-CHOMOI": D(2024, 9, 1),
        "DNO-BVDK": D(2016, 5, 6),  # 544/CT-SYT
        "BN-TTYT-TIENDU": D(2022, 1, 1),  # seed 001's support plan
    }


def test_referral_rate_of_a_supported_hospital_falls_by_about_a_quarter(demo):
    hospital = unit("BK-BVDK")
    change = referral_rate(hospital, AFTER) / referral_rate(hospital, BEFORE) - 1
    assert -0.30 <= change <= -0.20


def test_admissions_of_a_supported_hospital_rise_by_about_a_third(demo):
    hospital = unit("BK-BVDK")
    change = total("IPD_ADMISSIONS", hospital, AFTER) / total("IPD_ADMISSIONS", hospital, BEFORE)
    assert 1.25 <= change <= 1.40


def test_the_effect_comes_gradually(demo):
    hospital = unit("BK-BVDK")
    months = ["202408", "202410", "202412", "202502"]
    admissions = [total("IPD_ADMISSIONS", hospital, [m]) for m in months]
    base = total("IPD_ADMISSIONS", hospital, BEFORE) / 6
    steps = [round(a / base, 2) for a in admissions]
    assert steps[0] < 1.1 < steps[-1]
    assert steps[1] < steps[-1]


def test_a_comparison_hospital_stays_flat(demo):
    hospital = unit("TN-BVA")  # a provincial hospital nobody supports
    admissions = total("IPD_ADMISSIONS", hospital, AFTER) / total(
        "IPD_ADMISSIONS", hospital, BEFORE
    )
    referrals = referral_rate(hospital, AFTER) / referral_rate(hospital, BEFORE)
    assert abs(admissions - 1) < 0.10
    assert abs(referrals - 1) < 0.10


# ------------------------------------------------------------------------------ seed 004


def test_bac_ninh_six_months_are_the_size_of_seed_004(demo):
    province = unit("BN-SYT")
    months = [p.id for p in parse_period("2025S1").months()]
    opd = total("OPD_VISITS", periods=months, subtree=province)
    ipd = total("IPD_ADMISSIONS", periods=months, subtree=province)
    assert abs(opd / SEED_004_OPD - 1) <= 0.15
    assert abs(ipd / SEED_004_IPD - 1) <= 0.15
    # Health records and population are stocks: the last month of the six.
    records = total("HEALTH_RECORDS", periods=["202506"], subtree=province)
    population = total("POPULATION", periods=["202506"], subtree=province)
    assert abs(records / SEED_004_RECORDS - 1) <= 0.15
    assert 0.70 <= records / population <= 0.80


def test_dengue_peaks_from_july_to_october(demo):
    by_month = defaultdict(int)
    for period, value in DataValue.objects.filter(
        data_element__code="DENGUE_CASES", period__startswith="2024"
    ).values_list("period", "numeric_value"):
        by_month[int(period[4:])] += value
    peak = max(by_month, key=by_month.get)
    assert 7 <= peak <= 10
    assert sum(by_month[m] for m in (7, 8, 9, 10)) > 3 * sum(by_month[m] for m in (3, 4, 5, 6))


def test_stations_report_from_their_opening_their_centre_before(demo):
    station = unit("TYT-09319")  # Trạm Y tế xã Tiên Du, opened on 2025-07-01
    centre = station.parent
    assert station.opening_date == D(2025, 7, 1)
    assert total("OPD_VISITS", station, ["202506"]) == 0
    assert total("OPD_VISITS", station, ["202507"]) > 0
    assert total("POPULATION", centre, ["202506"]) > 0  # on behalf of its stations
    assert total("POPULATION", centre, ["202507"]) == 0


def test_techniques_performed_come_from_the_capability_register(demo):
    hospital = unit("BN-BVDK")
    performed = total("TECHNIQUES_PERFORMED", hospital, ["202508"])
    assert performed == hospital.capabilities.filter(active=True).count()


def test_zero_significant_counts_are_reported_as_zero(demo):
    deaths = DataValue.objects.filter(data_element__code="FOOD_POISONING_EVENTS", value="0")
    assert deaths.exists()
    assert not DataValue.objects.filter(data_element__code="OPD_VISITS", value="0").exists()


# ------------------------------------------------------------------------------ completeness


def test_most_forms_are_complete_some_late_a_few_missing(demo):
    data_set = DataSet.objects.get(code="DS_MONTHLY")
    admin = User.objects.get(username="admin")
    periods = [parse_period(p) for p in ("202501", "202502", "202503")]
    _rows, all_units = completeness(admin, data_set, unit("BN-SYT"), periods)
    assert all_units.expected > 0
    registered = CompleteRegistration.objects.filter(
        data_set=data_set, period__in=[p.id for p in periods]
    )
    assert registered.exists()
    assert set(registered.values_list("stored_by", flat=True)) == {"demo"}
    # Among the facilities open then (the stations opened later), most are complete and
    # most of those on time; some are late and a few never came.
    open_then = [
        u
        for u in data_set.org_units.filter(path__startswith=unit("BN-SYT").path)
        if not u.opening_date or u.opening_date <= D(2025, 1, 1)
    ]
    expected = len(open_then) * len(periods)
    done = registered.filter(org_unit__in=open_then)
    late = [r for r in done if r.date.date() > parse_period(r.period).end + datetime.timedelta(15)]
    assert 0.85 * expected <= done.count() < expected
    assert 0 < len(late) < 0.25 * done.count()


def test_activity_figures_of_the_demo_records_are_computed(demo):
    values = DataValue.objects.filter(data_element__source="computed", deleted=False)
    codes = set(values.values_list("data_element__code", flat=True))
    assert {"ACT_TRANSFERS_ACCEPTED", "ACT_ROTATION_STAFF", "ACT_DONATION_VALUE"} <= codes
    # Seed 002: Nhi Đồng 2's six techniques accepted by BVĐK Đắk Nông in 2017.
    accepted = values.filter(data_element__code="ACT_TRANSFERS_ACCEPTED", org_unit=unit("DNO-BVDK"))
    assert sum(int(v) for v in accepted.values_list("value", flat=True)) == 6
    # Seed 003: 750.000.000 đ of gloves to Sở Y tế Bắc Kạn in 07/2024.
    gloves = values.get(data_element__code="ACT_DONATION_VALUE", org_unit=unit("BK-SYT"))
    assert (gloves.period, gloves.value) == ("202407", "750000000")
