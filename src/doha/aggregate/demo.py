"""Demo statistics: monthly values for every demo facility, shaped by seeds 002 and 004.

``load_statistics_demo(today)`` loads the default metadata, assigns the monthly data set
``DS_MONTHLY`` to every reporting facility of the demo (hospitals, health centres, commune
health stations) and writes 36 months of plausible values ending with the last complete
month before ``today``, with the forms marked complete for most facility-months (a few late,
a few missing, so that completeness and timeliness reports show something).

How the numbers are made:

* Each facility has a size drawn once from its code; each month's values come from a random
  generator seeded by the facility's code and the period, so a value depends only on the
  facility, the month and the records below, never on when the demo is loaded. Loading again
  changes nothing; loading a month later adds that month and leaves the others alone.
* Bắc Ninh (the DOH's subtree, within the post-2025 boundaries) is scaled to seed 004: about
  917.405 outpatient visits and 102.735 inpatient admissions in six months, and health records
  for 387.098 people, 77% of the population the commune stations serve. Other provinces'
  facilities get the same volumes for the same type and size.
* Seasonality: a dip at Tết (February), more visits and admissions in summer; dengue peaks
  from July to October. A slow trend of +2% a year.
* Seed 002's effect: a facility on the receiving side of a demo programme (a recipient party
  or item recipient, from the programme's start) or of a technique transfer (from its first
  training) sees its referral rate fall by a quarter, inpatient admissions rise by a third
  and outpatient visits by 15%, reached gradually over six months. Others stay flat.
* The commune health stations of the demo open on 2025-07-01 (the reform); before that their
  health centre reported their figures, as district centres did.
* Techniques performed and new techniques come from the capability register.

Only values that are missing or different are written, stored by "demo", each with its row
in the value audit trail, and the analytics rollups are told (``values_changed``). New values
(nearly all of them, on a first load) are inserted set-wise: ``apply_values`` checks each value
one by one and took about 30 seconds for the 77.000 values of 36 months on SQLite, the set-wise
insert takes a few. Changes and deletions go through ``apply_values``. Values someone else
stored (a user correcting the demo) are left as they are.

The activity figures of the demo's records (transfers, rotations, training, consultations,
donations) are computed too (``activities.compute_activities``).
"""

from __future__ import annotations

import datetime
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from doha.aggregate import services
from doha.aggregate.models import (
    AuditType,
    CategoryOptionCombo,
    CompleteRegistration,
    DataElement,
    DataSet,
    DataValue,
    DataValueAudit,
    PeriodType,
)
from doha.aggregate.periods import Period, period_containing, periods_between
from doha.aggregate.signals import values_changed
from doha.orgunits.models import FacilityType, OrgUnit

STORED_BY = "demo"
SEED = "doha-statistics-demo"
DEFAULT_MONTHS = 36
DATA_SET = "DS_MONTHLY"
PROVINCE = "BN-SYT"

# Seed 004: the DOH of Bắc Ninh's six-month review.
SEED_004_OPD = 917_405
SEED_004_IPD = 102_735
SEED_004_RECORDS = 387_098
SEED_004_COVERAGE = 0.77

# Seed 002: referral rate -25%, admissions up by about a third, more outpatients; over six
# months.
REFERRAL_EFFECT = -0.25
ADMISSION_EFFECT = 0.32
OUTPATIENT_EFFECT = 0.15
RAMP_MONTHS = 6

# Trends are anchored on the reform date: values do not depend on the day of loading.
ANCHOR = datetime.date(2025, 7, 1)
YEARLY_GROWTH = 0.02
POPULATION_GROWTH = 0.01
COVERAGE_AT_ANCHOR = 0.74  # reaches 77% a year later (mid-2026), seed 004's figure
COVERAGE_PER_YEAR = 0.03

HOSPITAL = "hospital"
CLINIC = "clinic"
CENTRE = "centre"
STATION = "station"
KINDS = {
    FacilityType.CENTRAL_HOSPITAL: HOSPITAL,
    FacilityType.PROVINCIAL_HOSPITAL: HOSPITAL,
    FacilityType.SPECIALTY_HOSPITAL: HOSPITAL,
    FacilityType.PRIVATE_HOSPITAL: HOSPITAL,
    FacilityType.POLYCLINIC: CLINIC,
    FacilityType.HEALTH_CENTRE: CENTRE,
    FacilityType.COMMUNE_STATION: STATION,
}
# Relative size of a facility of each type within its kind.
TYPE_WEIGHT = {
    FacilityType.CENTRAL_HOSPITAL: 2.5,
    FacilityType.PROVINCIAL_HOSPITAL: 1.0,
    FacilityType.SPECIALTY_HOSPITAL: 0.7,
    FacilityType.PRIVATE_HOSPITAL: 0.4,
    FacilityType.POLYCLINIC: 0.3,
}
# Bắc Ninh's monthly outpatient visits and admissions, shared by kind of facility.
OPD_SHARE = {HOSPITAL: 0.40, CLINIC: 0.0, CENTRE: 0.42, STATION: 0.18}
IPD_SHARE = {HOSPITAL: 0.62, CENTRE: 0.38}
# Per unit of size, when the demo holds no Bắc Ninh facility of that kind to scale on.
DEFAULT_OPD = {HOSPITAL: 20_000, CLINIC: 6_000, CENTRE: 3_500, STATION: 280}
DEFAULT_IPD = {HOSPITAL: 3_500, CENTRE: 360}
DEFAULT_POPULATION = 5_000

# Visits and admissions by month (each half-year averages 1): Tết in February, summer.
SEASON_OPD = [1.02, 0.88, 1.02, 1.00, 1.02, 1.06, 1.06, 1.06, 1.02, 0.98, 0.94, 0.94]
SEASON_IPD = [1.00, 0.90, 1.00, 1.00, 1.02, 1.08, 1.04, 1.06, 1.06, 1.00, 0.92, 0.92]
# Dengue cases per 100.000 people a month in the north: peaks July to October.
DENGUE_RATE = [1.0, 0.5, 0.4, 0.4, 0.8, 2.0, 6.0, 14.0, 24.0, 22.0, 9.0, 3.0]

# Shares by age group (under 5, 5-14, 15-59, 60+) and the share of women.
AGES_OPD = (0.13, 0.11, 0.46, 0.30)
AGES_IPD = (0.10, 0.07, 0.45, 0.38)
AGES_CHILDREN = (0.62, 0.36, 0.02, 0.0)
AGES_MATERNITY = (0.36, 0.12, 0.52, 0.0)
FEMALE = 0.53

ZERO_SIGNIFICANT_REPORTED = {
    # which kinds report the zero-significant counts (a zero there is a report of none)
    "DEATHS": {HOSPITAL, CENTRE},
    "MEDICAL_INCIDENTS": {HOSPITAL, CENTRE},
    "FOOD_POISONING_EVENTS": {CENTRE},
}


@dataclass
class StatisticsDemoReport:
    """What ``load_statistics_demo`` did: the periods, how many values it made and how many
    of them it created, updated, deleted or found unchanged, the forms it marked complete,
    the activity values that changed, and how long it took."""

    periods: list[str] = field(default_factory=list)
    facilities: int = 0
    values: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    registrations: int = 0
    activities: int = 0
    seconds: float = 0.0


@dataclass
class _Facility:
    pk: int
    code: str
    kind: str
    facility_type: str
    parent_id: int | None
    path: str
    opens: datetime.date | None
    closes: datetime.date | None
    weight: float = 1.0
    opd: float = 0.0
    ipd: float = 0.0
    population: float = 0.0
    coverage: float = 1.0
    opd_ages: tuple = AGES_OPD
    ipd_ages: tuple = AGES_IPD
    female: float = FEMALE
    referral_rate: float = 0.0
    referral_in_rate: float = 0.0
    stay: float = 5.0
    surgery_rate: float = 0.0
    death_rate: float = 0.0
    hotline: float = 0.0
    incidents: float = 0.0
    support: datetime.date | None = None

    def open_in(self, period: Period) -> bool:
        if self.opens and self.opens > period.end:
            return False
        if self.closes and self.closes <= period.start:
            return False
        return True


# ------------------------------------------------------------------------------ helpers


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _months_from_anchor(day: datetime.date) -> int:
    return _month_index(day) - _month_index(ANCHOR)


def demo_months(today: datetime.date, months: int = DEFAULT_MONTHS) -> list[Period]:
    """The ``months`` months ending with the last complete month before ``today``."""
    if months < 1:
        raise ValueError("months: give at least one month.")
    last = period_containing(today, PeriodType.MONTHLY).previous()
    index = _month_index(last.start) - (months - 1)
    first = datetime.date(index // 12, index % 12 + 1, 1)
    return periods_between(first, last.end, PeriodType.MONTHLY)


def _noise(rng: random.Random, sd: float) -> float:
    return max(0.5, 1.0 + rng.gauss(0.0, sd))


def _spread(expected: float) -> float:
    """Month-to-month variation of a count: 2% of its size, and chance (a count of 400 varies
    by about 5%, one of 10.000 by about 2%)."""
    return math.sqrt(0.02**2 + 1 / max(expected, 1.0))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _split_sex(rng: random.Random, n: int, female: float) -> tuple[int, int]:
    """n people split into (men, women)."""
    if n <= 0:
        return 0, 0
    women = round(n * female + rng.gauss(0.0, math.sqrt(n * female * (1 - female))))
    women = min(n, max(0, women))
    return n - women, women


def _ramp(support: datetime.date | None, month: datetime.date) -> float:
    """0 before support starts, rising to 1 over ``RAMP_MONTHS`` months."""
    if support is None:
        return 0.0
    elapsed = _month_index(month) - _month_index(support)
    if elapsed < 0:
        return 0.0
    return min(1.0, (elapsed + 1) / RAMP_MONTHS)


# ------------------------------------------------------------------------------ facilities


def reporting_facilities() -> list[OrgUnit]:
    """The facilities that report the monthly data set: hospitals, polyclinics, health
    centres and commune health stations."""
    return list(
        OrgUnit.objects.filter(facility_type__in=list(KINDS), active=True).order_by("path", "code")
    )


def support_starts(unit_ids) -> dict[int, datetime.date]:
    """When support started for each facility on a receiving side: the start of a programme
    (active or completed) naming it as a recipient party or item recipient, or the first
    training step of a technique transfer to it, whichever came first."""
    from doha.programmes.models import ProgrammeItem, ProgrammeParty, ProgrammeStatus, Side
    from doha.transfers.models import TechniqueTransfer, TransferState

    live = [ProgrammeStatus.ACTIVE, ProgrammeStatus.COMPLETED]
    starts: dict[int, datetime.date] = {}

    def note(unit_id, day):
        if day is not None and (unit_id not in starts or day < starts[unit_id]):
            starts[unit_id] = day

    for unit_id, day in ProgrammeParty.objects.filter(
        side=Side.RECIPIENT, org_unit_id__in=unit_ids, programme__status__in=live
    ).values_list("org_unit_id", "programme__start_date"):
        note(unit_id, day)
    for unit_id, day in ProgrammeItem.objects.filter(
        recipient_id__in=unit_ids, programme__status__in=live
    ).values_list("recipient_id", "programme__start_date"):
        note(unit_id, day)
    for unit_id, day in (
        TechniqueTransfer.objects.filter(recipient_id__in=unit_ids)
        .exclude(state=TransferState.CANCELLED)
        .annotate(trained=Min("steps__date", filter=Q(steps__state=TransferState.TRAINING)))
        .values_list("recipient_id", "trained")
    ):
        note(unit_id, day)
    return starts


def _profiles(units: list[OrgUnit]) -> list[_Facility]:
    facilities = []
    for unit in units:
        rng = random.Random(f"{SEED}/size/{unit.code}")
        kind = KINDS[unit.facility_type]
        f = _Facility(
            pk=unit.pk,
            code=unit.code,
            kind=kind,
            facility_type=unit.facility_type,
            parent_id=unit.parent_id,
            path=unit.path,
            opens=unit.opening_date,
            closes=unit.closing_date,
        )
        if kind in (HOSPITAL, CLINIC):
            f.weight = TYPE_WEIGHT[unit.facility_type] * rng.uniform(0.85, 1.15)
        else:
            f.weight = min(2.2, max(0.45, rng.lognormvariate(0.0, 0.35)))
        f.coverage = rng.uniform(0.88, 1.12)
        words = set(unit.name.lower().split())
        if {"nhi", "sản"} <= words:
            f.opd_ages, f.ipd_ages, f.female = AGES_MATERNITY, AGES_MATERNITY, 0.75
        elif "nhi" in words:
            f.opd_ages, f.ipd_ages, f.female = AGES_CHILDREN, AGES_CHILDREN, 0.45
        if kind == HOSPITAL:
            central = unit.facility_type == FacilityType.CENTRAL_HOSPITAL
            f.referral_rate = 0.002 if central else 0.008
            f.referral_in_rate = 0.06 if central else 0.04
            f.stay = rng.uniform(6.0, 7.5)
            f.surgery_rate = rng.uniform(0.08, 0.12)
            f.death_rate = 0.0025
            f.hotline = 40 * f.weight
            f.incidents = 1.0 * f.weight
        elif kind == CLINIC:
            f.referral_rate = 0.02
        elif kind == CENTRE:
            f.referral_rate = 0.025
            f.referral_in_rate = 0.01
            f.stay = rng.uniform(4.5, 5.5)
            f.surgery_rate = rng.uniform(0.03, 0.05)
            f.death_rate = 0.001
            f.hotline = 8 * f.weight
            f.incidents = 0.15
        else:
            f.referral_rate = 0.035
        facilities.append(f)
    _scale(facilities)
    return facilities


def _scale(facilities: list[_Facility]) -> None:
    """Per unit of size, the volumes that make Bắc Ninh's six months those of seed 004."""
    root = OrgUnit.objects.filter(code=PROVINCE).values_list("path", flat=True).first()
    province = [f for f in facilities if root and f.path.startswith(root)]
    weights = defaultdict(float)
    for f in province:
        weights[f.kind] += f.weight
    month_opd, month_ipd = SEED_004_OPD / 6, SEED_004_IPD / 6
    population = SEED_004_RECORDS / SEED_004_COVERAGE
    opd_unit = {
        kind: (OPD_SHARE[kind] * month_opd / weights[kind]) if weights.get(kind) else default
        for kind, default in DEFAULT_OPD.items()
    }
    ipd_unit = {
        kind: (IPD_SHARE[kind] * month_ipd / weights[kind]) if weights.get(kind) else default
        for kind, default in DEFAULT_IPD.items()
    }
    pop_unit = population / weights[STATION] if weights.get(STATION) else DEFAULT_POPULATION
    for f in facilities:
        f.opd = opd_unit[f.kind] * f.weight
        f.ipd = ipd_unit.get(f.kind, 0.0) * f.weight
        if f.kind == STATION:
            f.population = pop_unit * f.weight


# ------------------------------------------------------------------------------ values


class _Month:
    """The figures of one facility for one month, as floats by (element code, cell)."""

    def __init__(self):
        self.values: dict[tuple[str, tuple], float] = defaultdict(float)
        self.reported: set[str] = set()

    def add(self, code, cell, value):
        self.values[(code, cell)] += value

    def add_split(self, code, total, female, ages=None, rng=None):
        for sex, sex_share in ((0, 1 - female), (1, female)):
            if ages is None:
                self.add(code, (sex, None), total * sex_share)
                continue
            for age, age_share in enumerate(ages):
                if age_share:
                    cell_noise = _noise(rng, 0.02) if rng else 1.0
                    self.add(code, (sex, age), total * sex_share * age_share * cell_noise)


def _contribute(out: _Month, f: _Facility, period: Period, capabilities) -> None:
    """Add the figures of ``f`` for ``period`` (its own, or reported by its centre)."""
    rng = random.Random(f"{SEED}/{f.code}/{period.id}")
    month = period.start
    m = month.month - 1
    years = _months_from_anchor(month) / 12
    trend = 1 + YEARLY_GROWTH * years
    ramp = _ramp(f.support, month)

    opd = f.opd * SEASON_OPD[m] * trend * (1 + OUTPATIENT_EFFECT * ramp)
    opd *= _noise(rng, _spread(opd))
    if opd > 0:
        out.add_split("OPD_VISITS", opd, f.female, f.opd_ages, rng)
        referrals = opd * f.referral_rate * (1 + REFERRAL_EFFECT * ramp)
        referrals *= _noise(rng, 0.03)
        out.add_split("REFERRALS_OUT", referrals, 0.5)
        if f.referral_in_rate:
            out.add("REFERRALS_IN", (None, None), opd * f.referral_in_rate * _noise(rng, 0.05))
    if f.ipd > 0:
        ipd = f.ipd * SEASON_IPD[m] * trend * (1 + ADMISSION_EFFECT * ramp)
        ipd *= _noise(rng, _spread(ipd))
        out.add_split("IPD_ADMISSIONS", ipd, f.female, f.ipd_ages, rng)
        out.add("IPD_DAYS", (None, None), ipd * f.stay * _noise(rng, 0.03))
        out.add("SURGERIES", (None, None), ipd * f.surgery_rate * _noise(rng, 0.06))
        men, women = _split_sex(rng, _poisson(rng, ipd * f.death_rate), 0.45)
        out.add("DEATHS", (0, None), men)
        out.add("DEATHS", (1, None), women)
    if f.hotline:
        calls = _poisson(rng, f.hotline)
        out.add("HOTLINE_CALLS", (None, None), calls)
        out.add("HOTLINE_RESOLVED", (None, None), calls - _poisson(rng, calls * 0.05))
    if f.kind in (HOSPITAL, CENTRE):
        out.add("MEDICAL_INCIDENTS", (None, None), _poisson(rng, f.incidents))
    if f.kind == CENTRE:
        out.add("FOOD_POISONING_EVENTS", (None, None), _poisson(rng, 0.02))
    for code, kinds in ZERO_SIGNIFICANT_REPORTED.items():
        if f.kind in kinds:
            out.reported.add(code)
    if f.population:
        _preventive(out, f, period, rng)
    performed, new = capabilities.get(f.pk, (None, None))
    if performed is not None:
        out.add("TECHNIQUES_PERFORMED", (None, None), performed(period))
        out.add("NEW_TECHNIQUES", (None, None), new(period))


def _preventive(out: _Month, f: _Facility, period: Period, rng: random.Random) -> None:
    month = period.start
    years = _months_from_anchor(month) / 12
    people = f.population * (1 + POPULATION_GROWTH * years)
    coverage = (COVERAGE_AT_ANCHOR + COVERAGE_PER_YEAR * years) * f.coverage
    coverage = min(0.97, max(0.30, coverage))
    out.add("POPULATION", (None, None), round(people))
    out.add("HEALTH_RECORDS", (None, None), round(people * coverage))
    under1 = round(people * 0.0145)
    out.add("CHILDREN_UNDER1", (None, None), under1)
    immunised = min(under1, round(under1 * 0.96 / 12 * _noise(rng, 0.08)))
    men, women = _split_sex(rng, immunised, 0.485)
    out.add("CHILD_FULLY_IMMUNISED", (0, None), men)
    out.add("CHILD_FULLY_IMMUNISED", (1, None), women)
    out.add("PREGNANT_VACCINATED", (None, None), people * 0.016 / 12 * 0.92 * _noise(rng, 0.08))
    outbreak = random.Random(f"{SEED}/dengue/{month.year}").uniform(0.6, 1.6)
    lam = people / 100_000 * DENGUE_RATE[month.month - 1] * outbreak
    men, women = _split_sex(rng, _poisson(rng, lam), 0.5)
    out.add("DENGUE_CASES", (0, None), men)
    out.add("DENGUE_CASES", (1, None), women)
    out.reported.add("DENGUE_CASES")


def _capability_counters(unit_ids):
    """Per facility: (techniques performed at the end of a period, first performed in it),
    from the capability register."""
    from doha.catalog.models import FacilityCapability

    spans = defaultdict(list)
    for unit_id, since, until, active in FacilityCapability.objects.filter(
        facility_id__in=unit_ids
    ).values_list("facility_id", "since", "until", "active"):
        if not active and until is None:
            continue
        spans[unit_id].append((since, until))
    counters = {}
    for unit_id, rows in spans.items():

        def performed(period, rows=rows):
            return sum(
                1
                for since, until in rows
                if (since is None or since <= period.end) and (until is None or until > period.end)
            )

        def new(period, rows=rows):
            return sum(1 for since, _u in rows if since and period.start <= since <= period.end)

        counters[unit_id] = (performed, new)
    return counters


def _cells(combo) -> dict[tuple, int]:
    """(sex index or None, age index or None) -> option combo id, for a combo of the sex
    and/or age categories (or the default combo)."""
    if combo.is_default:
        return {(None, None): services.default_option_combo().pk}
    categories = combo.ordered_categories()
    index = {}
    for category in categories:
        options = category.ordered_options()
        names = {o.name for o in options}
        role = "sex" if (category.code == "CAT_SEX" or "Nam" in names) else "age"
        for position, option in enumerate(options):
            index[option.pk] = (role, position)
    cells = {}
    for coc in combo.option_combos.prefetch_related("options"):
        key = {"sex": None, "age": None}
        for option in coc.options.all():
            role, position = index.get(option.pk, (None, None))
            if role:
                key[role] = position
        cells[(key["sex"], key["age"])] = coc.pk
    return cells


# ------------------------------------------------------------------------------ loading


def generate(facilities: list[_Facility], periods: list[Period], capabilities):
    """Every value: {(org unit id, period id, element code, cell): number}, and the
    facility-months that have values."""
    by_parent = defaultdict(list)
    for f in facilities:
        if f.kind == STATION and f.parent_id:
            by_parent[f.parent_id].append(f)
    values: dict[tuple, int] = {}
    reporting: list[tuple[_Facility, Period]] = []
    for f in facilities:
        for period in periods:
            if not f.open_in(period):
                continue
            out = _Month()
            _contribute(out, f, period, capabilities)
            for station in by_parent.get(f.pk, ()):
                if not station.open_in(period):
                    _contribute(out, station, period, capabilities)
            written = False
            for (code, cell), number in out.values.items():
                number = round(number)
                if number < 0:
                    number = 0
                if number == 0 and code not in out.reported:
                    continue
                values[(f.pk, period.id, code, cell)] = number
                written = True
            if written:
                reporting.append((f, period))
    return values, reporting


@transaction.atomic
def load_statistics_demo(
    today: datetime.date | None = None, *, months: int = DEFAULT_MONTHS, stdout=None
) -> StatisticsDemoReport:
    """Load the demo statistics (see the module's description), all or nothing. Idempotent.

    ``months`` shortens the window (tests load 18); ``stdout`` gets a one-line summary."""
    from doha.aggregate.metadata import load_default_metadata

    started = time.monotonic()
    today = today or timezone.localdate()
    report = StatisticsDemoReport()
    load_default_metadata()
    data_set = DataSet.objects.get(code=DATA_SET)
    elements = {
        e.code: e
        for e in DataElement.objects.filter(data_sets=data_set).select_related("category_combo")
    }
    cells = {e.code: _cells(e.category_combo) for e in elements.values()}
    periods = demo_months(today, months)
    report.periods = [p.id for p in periods]

    units = reporting_facilities()
    report.facilities = len(units)
    assigned = set(data_set.org_units.values_list("pk", flat=True))
    missing = [u for u in units if u.pk not in assigned]
    if missing:
        data_set.org_units.add(*missing)

    facilities = _profiles(units)
    starts = support_starts([f.pk for f in facilities])
    for f in facilities:
        f.support = starts.get(f.pk)
    capabilities = _capability_counters([f.pk for f in facilities])
    values, reporting = generate(facilities, periods, capabilities)

    rows = []
    for (unit_id, period_id, code, cell), number in values.items():
        element = elements.get(code)
        if element is None:
            continue
        coc = cells[code].get(cell)
        if coc is None:
            continue
        rows.append((element, coc, unit_id, period_id, str(number)))
    report.values = len(rows)
    _write(rows, periods, {u.pk: u for u in units}, report)
    report.registrations = _register(data_set, reporting, today)
    report.activities = _activities(periods[-1])
    report.seconds = round(time.monotonic() - started, 2)
    if stdout is not None:
        stdout.write(
            f"Số liệu thống kê demo / demo statistics: {report.values} values "
            f"({report.created} created, {report.updated} updated), "
            f"{report.registrations} complete registrations, {report.seconds} s"
        )
    return report


def _write(rows, periods: list[Period], units: dict, report: StatisticsDemoReport) -> None:
    """Write the values that are missing, change those that differ and delete the demo's
    own values it no longer makes. Values stored by anyone else than the demo are left as
    they are (a user's correction survives loading the demo again).

    New values, nearly all of them on a first load, are inserted set-wise with their audit
    rows and one ``values_changed``; changes and deletions go through the write path."""
    by_id = {p.id: p for p in periods}
    element_ids = {element.pk for element, *_rest in rows}
    unit_ids = set(units)
    stored = {}
    for de, coc, ou, pe, value, deleted, by in DataValue.objects.filter(
        data_element_id__in=element_ids, period__in=list(by_id)
    ).values_list(
        "data_element_id",
        "category_option_combo_id",
        "org_unit_id",
        "period",
        "value",
        "deleted",
        "stored_by",
    ):
        if ou in unit_ids:
            stored[(de, coc, ou, pe)] = (value, deleted, by)
    elements = {element.pk: element for element, *_rest in rows}
    new, changes, made = [], [], set()
    for element, coc, unit_id, period_id, text in rows:
        key = (element.pk, coc, unit_id, period_id)
        made.add(key)
        before = stored.get(key)
        if before is None:
            new.append((element, coc, unit_id, by_id[period_id], text))
            continue
        value, deleted, by = before
        if (not deleted and value == text) or (by != STORED_BY and not deleted):
            report.unchanged += 1
            continue
        changes.append((element, coc, unit_id, period_id, text))
    for key, (_value, deleted, by) in stored.items():
        if key not in made and not deleted and by == STORED_BY:
            de, coc, ou, pe = key
            changes.append((elements[de], coc, ou, pe, ""))
    report.created = _insert(new)
    if changes:
        _change(changes, by_id, units, report)


def _insert(new) -> int:
    """Insert values known to be new, and their audit rows, in a few statements."""
    if not new:
        return 0
    ops = connection.ops
    now = timezone.now()
    stamp = ops.adapt_datetimefield_value(now)
    default = services.default_option_combo().pk
    values, audits, keys = [], [], set()
    for element, coc, unit_id, period, text in new:
        start = ops.adapt_datefield_value(period.start)
        values.append(
            (
                element.pk,
                period.id,
                period.period_type,
                start,
                ops.adapt_datefield_value(period.end),
                unit_id,
                coc,
                default,
                text,
                float(text),
                STORED_BY,
                "",
                False,
                False,
                stamp,
                stamp,
            )
        )
        audits.append(
            (element.pk, period.id, unit_id, coc, default, None, text, STORED_BY)
            + (stamp, AuditType.CREATE)
        )
        keys.add((element.pk, unit_id, period.start))
    value_columns = [
        "data_element",
        "period",
        "period_type",
        "start_date",
        "end_date",
        "org_unit",
        "category_option_combo",
        "attribute_option_combo",
        "value",
        "numeric_value",
        "stored_by",
        "comment",
        "follow_up",
        "deleted",
        "created",
        "last_updated",
    ]
    audit_columns = [
        "data_element",
        "period",
        "org_unit",
        "category_option_combo",
        "attribute_option_combo",
        "previous_value",
        "value",
        "modified_by",
        "created",
        "audit_type",
    ]
    with connection.cursor() as cursor:
        for model, columns, params in (
            (DataValue, value_columns, values),
            (DataValueAudit, audit_columns, audits),
        ):
            names = ", ".join(
                connection.ops.quote_name(model._meta.get_field(c).column) for c in columns
            )
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
            sql += f"({names}) VALUES ({marks})"
            for first in range(0, len(params), 5000):
                cursor.executemany(sql, params[first : first + 5000])
    values_changed.send(sender=DataValue, keys=keys)
    return len(values)


def _change(changes, by_id, units, report: StatisticsDemoReport) -> None:
    """Updates, revivals and deletions, through the write path."""
    from doha.aggregate.activities import SystemWriter
    from doha.aggregate.datavalues import CREATE_AND_UPDATE, ValueRow, apply_values

    cocs = CategoryOptionCombo.objects.in_bulk({coc for _e, coc, *_rest in changes})
    missing = {ou for _e, _c, ou, *_rest in changes} - set(units)
    units = {**units, **OrgUnit.objects.in_bulk(missing)}
    summary = apply_values(
        SystemWriter(STORED_BY),
        [
            ValueRow(
                data_element=element,
                period=by_id[period_id],
                org_unit=units[unit_id],
                category_option_combo=cocs[coc],
                value=text,
            )
            for element, coc, unit_id, period_id, text in changes
        ],
        strategy=CREATE_AND_UPDATE,
        atomic=True,
        stored_by=STORED_BY,
    )
    if not summary.ok:
        lines = [f"{c.object}: {c.value}" for c in summary.conflicts[:20]]
        raise RuntimeError("Demo statistics refused:\n" + "\n".join(lines))
    report.created += summary.imported
    report.updated += summary.updated
    report.deleted += summary.deleted


def _activities(last: Period) -> int:
    """The activity figures of every month that has records, up to ``last``: how many
    values changed."""
    from doha.aggregate.activities import compute_activities, record_span

    span = record_span()
    if span is None or span[0] > last.end:
        return 0
    summary = compute_activities(span[0], min(span[1], last.end))
    if summary.conflicts:
        raise RuntimeError("Demo activity figures refused:\n" + "\n".join(summary.conflicts[:20]))
    return summary.changed


def _register(data_set: DataSet, reporting, today: datetime.date) -> int:
    """Mark the forms complete: most within the timely days, some late, a few never; none
    dated after ``today``. Registrations already there are left as they are."""
    default = services.default_option_combo()
    existing = set(
        CompleteRegistration.objects.filter(
            data_set=data_set, period__in={p.id for _f, p in reporting}
        ).values_list("org_unit_id", "period")
    )
    now = timezone.now()
    new = []
    for f, period in reporting:
        if (f.pk, period.id) in existing:
            continue
        rng = random.Random(f"{SEED}/complete/{f.code}/{period.id}")
        draw = rng.random()
        if draw < 0.03:
            continue  # never reported complete
        if draw < 0.12:
            days = rng.randint(data_set.timely_days + 1, data_set.timely_days + 30)
        else:
            days = rng.randint(2, max(2, data_set.timely_days - 1))
        day = period.end + datetime.timedelta(days=days)
        moment = timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(8, 0))
            + datetime.timedelta(minutes=rng.randint(0, 9 * 60))
        )
        if day > today or moment > now:
            continue  # not marked complete yet
        new.append(
            CompleteRegistration(
                data_set=data_set,
                period=period.id,
                org_unit_id=f.pk,
                attribute_option_combo=default,
                completed=True,
                date=moment,
                stored_by=STORED_BY,
                last_updated_by=STORED_BY,
            )
        )
    CompleteRegistration.objects.bulk_create(new, batch_size=2000)
    return len(new)
