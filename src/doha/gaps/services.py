"""Technique gaps: what a facility may do at its technical level and does not, ranked by demand.

Gap
    The catalogue techniques *allowed* at a facility's technical level (active techniques with
    ``Technique.allowed_<level>``), those it *performs* (an active ``FacilityCapability`` of
    one of them) and the *gap*, the difference, by specialty. A retired capability (no longer
    performed) is a gap again; a technique not allowed at the facility's level is never a gap
    (and a capability above the level is not counted as performed either). Facilities without
    a technical level (a DOH, the ministry) have no gap.

Province matrix
    ``gap_matrix(user, root)`` answers facility x specialty counts for every facility in the
    subtree of ``root`` that the user sees, in one SQL statement: the facilities of the subtree
    (the scoped queryset, a path-prefix filter on the indexed ``path``), the number of
    techniques allowed per specialty at each level (one pass over the catalogue) and the
    active capabilities of allowed techniques grouped by facility and specialty (the join
    through the capability register's facility index, an anti-join in counts):
    ``gap = allowed(level, specialty) - performed(facility, specialty)``. Nothing is loaded
    per facility in Python; only the answer's rows are read.

Ranking of a gap (facility, technique) by the demand behind it::

    score = referrals + requests + nearby                   (0 .. 100)

    referrals   0..50: 5 x the facility's average monthly referrals out in the technique's
                specialty over the last 12 months (data element REFERRALS_OUT_SPECIALTY,
                disaggregated by specialty, read through the analytics query layer), so 10
                or more a month give the full 50; 0 when the statistics have none
    requests    0..30: 15 per needs-survey request of the facility for the technique
                (``TechniqueNeed`` not dropped), at most two counted
    nearby      0..20: 20 / (1 + n) where n is the number of other active facilities that
                perform the technique within 50 km (between the administrative units'
                coordinates, as matching does), or in the same province when either has no
                coordinates: a technique nobody nearby performs keeps patients farthest away

Gaps are ranked by score, then referrals, then the catalogue order. Each carries its
components and a sentence saying why. ``send_to_matching`` turns chosen gaps into technique
needs through the needs-survey rules (``programmes.services.save_response``): they then show
up in the transfers' matching; a gap already requested is never asked twice.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from doha.catalog.models import FacilityCapability, Specialty, Technique
from doha.core.scope import can, in_scope
from doha.orgunits.models import FacilityType, OrgUnit, TechnicalLevel
from doha.programmes import services as programme_services
from doha.programmes.models import (
    Framework,
    NeedsSurvey,
    NeedStatus,
    Priority,
    ResponseStatus,
    SurveyResponse,
    SurveyStatus,
    TechniqueNeed,
)

LEVELS = tuple(TechnicalLevel.values)
AUTHORITIES = (FacilityType.MINISTRY, FacilityType.DOH)
REFERRAL_POINTS_PER_MONTH = 5
REFERRAL_MAX = 50
REQUEST_POINTS = 15
REQUEST_MAX = 30
NEARBY_MAX = 20
NEARBY_KM = 50
MONTHS = 12
MATRIX_WORK_MEM = "128MB"
# The data element and its disaggregation (see data/referrals_by_specialty.json).
REFERRALS_ELEMENT = "REFERRALS_OUT_SPECIALTY"
SPECIALTY_OPTION_PREFIX = "SPEC_"
# A need's priority from the gap's score.
PRIORITY_FROM_SCORE = ((50, Priority.HIGH), (25, Priority.MEDIUM), (0, Priority.LOW))


# ---------------------------------------------------------------- scope


def facilities_in_scope(user, root: OrgUnit | None = None):
    """Active facilities with a technical level that the user sees, under ``root`` (health
    authorities, which perform no technique, left out)."""
    qs = (
        OrgUnit.objects.restrict(user, "view")
        .filter(active=True)
        .exclude(technical_level="")
        .exclude(facility_type__in=AUTHORITIES)
    )
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return qs


def may_view_gaps(user) -> bool:
    return can(user, FacilityCapability, "view") and can(user, OrgUnit, "view")


# ---------------------------------------------------------------- the matrix


@dataclass
class Cell:
    allowed: int
    performed: int

    @property
    def gap(self) -> int:
        return self.allowed - self.performed


@dataclass
class MatrixRow:
    facility: OrgUnit
    cells: dict[int, Cell]  # specialty id -> cell

    @property
    def allowed(self) -> int:
        return sum(c.allowed for c in self.cells.values())

    @property
    def performed(self) -> int:
        return sum(c.performed for c in self.cells.values())

    @property
    def gap(self) -> int:
        return sum(c.gap for c in self.cells.values())


@dataclass
class Matrix:
    root: OrgUnit | None
    specialties: list[Specialty]
    rows: list[MatrixRow]

    def totals(self) -> dict[int, Cell]:
        out = {s.pk: Cell(0, 0) for s in self.specialties}
        for row in self.rows:
            for pk, cell in row.cells.items():
                out[pk].allowed += cell.allowed
                out[pk].performed += cell.performed
        return out


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _col(model, name) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def matrix_sql(facilities_qs) -> tuple[str, list]:
    """The one statement behind the matrix: (facility id, specialty id, allowed, performed)
    for every facility of ``facilities_qs`` and every specialty with techniques allowed at its
    level."""
    f_sql, f_params = (
        facilities_qs.order_by().values("id", "technical_level").query.sql_with_params()
    )
    t, c = _table(Technique), _table(FacilityCapability)
    q = connection.ops.quote_name
    allowed_at = " OR ".join(
        f"(f.technical_level = '{level}' AND t.{q('allowed_' + level)})" for level in LEVELS
    )
    counts = ",\n".join(
        f"SUM(CASE WHEN {q('allowed_' + level)} THEN 1 ELSE 0 END) AS n_{level}" for level in LEVELS
    )
    pick = " ".join(f"WHEN '{level}' THEN a.n_{level}" for level in LEVELS)
    sql = f"""
WITH f (id, technical_level) AS ({f_sql}),
fp (id, technical_level) AS ({f_sql}),
a AS (
  SELECT {_col(Technique, "specialty")} AS specialty_id, {counts}
  FROM {t} WHERE {q("active")} GROUP BY {_col(Technique, "specialty")}
),
p AS (
  SELECT c.{_col(FacilityCapability, "facility")} AS facility_id,
         t.{_col(Technique, "specialty")} AS specialty_id, COUNT(*) AS n
  FROM {c} c
  JOIN fp f ON f.id = c.{_col(FacilityCapability, "facility")}
  JOIN {t} t ON t.{q("id")} = c.{_col(FacilityCapability, "technique")}
  WHERE c.{q("active")} AND t.{q("active")} AND ({allowed_at})
  GROUP BY c.{_col(FacilityCapability, "facility")}, t.{_col(Technique, "specialty")}
)
SELECT f.id, a.specialty_id, CASE f.technical_level {pick} ELSE 0 END AS allowed,
       COALESCE(p.n, 0) AS performed
FROM f CROSS JOIN a
LEFT JOIN p ON p.facility_id = f.id AND p.specialty_id = a.specialty_id
"""
    # ``fp`` repeats ``f`` so that each is referenced once: PostgreSQL then inlines both and
    # plans the capability join on the org-unit table's real statistics.
    return sql, [*f_params, *f_params]


def matrix_counts(facilities_qs) -> dict[int, dict[int, Cell]]:
    """facility id -> specialty id -> Cell (only specialties with allowed techniques)."""
    sql, params = matrix_sql(facilities_qs)
    out: dict[int, dict[int, Cell]] = defaultdict(dict)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A country's grouping (a few hundred thousand facility x specialty groups) fits
            # in memory instead of spilling to disk; for this transaction only.
            cursor.execute(f"SET LOCAL work_mem = '{MATRIX_WORK_MEM}'")
        cursor.execute(sql, params)
        for facility_id, specialty_id, allowed, performed in cursor.fetchall():
            if allowed:
                out[facility_id][specialty_id] = Cell(int(allowed), int(performed))
    return out


def gap_matrix(user, root: OrgUnit | None = None) -> Matrix:
    """Facility x specialty counts for the facilities in scope under ``root``."""
    facilities = facilities_in_scope(user, root)
    counts = matrix_counts(facilities)
    # Hospitals and health centres first, then the units under them; by name within each.
    units = [
        unit
        for unit in facilities.only(
            "uid", "code", "name", "short_name", "technical_level", "path", "depth", "sort_name"
        ).order_by("depth", "sort_name")
        if unit.pk in counts
    ]
    used = {pk for cells in counts.values() for pk in cells}
    specialties = list(Specialty.objects.filter(pk__in=used).order_by("order", "code"))
    rows = [MatrixRow(unit, counts.get(unit.pk, {})) for unit in units]
    return Matrix(root=root, specialties=specialties, rows=rows)


# ---------------------------------------------------------------- one facility


@dataclass
class Gap:
    """One technique the facility may perform at its level and does not."""

    technique: Technique
    referrals: float = 0
    requests: int = 0
    requested: bool = False
    nearby: int = 0
    nearby_by_distance: bool = True
    referral_points: float = 0
    request_points: float = 0
    nearby_points: float = 0

    @property
    def score(self) -> float:
        return round(self.referral_points + self.request_points + self.nearby_points, 1)

    @property
    def components(self) -> dict:
        return {
            "referrals": self.referral_points,
            "requests": self.request_points,
            "nearby": self.nearby_points,
        }

    @property
    def priority(self) -> int:
        return next(p for floor, p in PRIORITY_FROM_SCORE if self.score >= floor)

    @property
    def priority_label(self) -> str:
        return Priority(self.priority).label

    def reasons(self) -> list[str]:
        specialty = self.technique.specialty.name
        lines = [
            _(
                "Referrals out in %(specialty)s, last 12 months: %(n)s, about %(monthly)s a "
                "month (+%(points)s)"
            )
            % {
                "specialty": specialty,
                "n": _num(self.referrals),
                "monthly": _num(self.referrals / MONTHS),
                "points": _num(self.referral_points),
            }
        ]
        lines.append(
            ngettext(
                "Requested in %(n)d needs survey (+%(points)s)",
                "Requested in %(n)d needs surveys (+%(points)s)",
                self.requests,
            )
            % {"n": self.requests, "points": _num(self.request_points)}
        )
        where = (
            _("within %(km)d km") % {"km": NEARBY_KM}
            if self.nearby_by_distance
            else _("in the same province")
        )
        lines.append(
            ngettext(
                "%(n)d other facility %(where)s performs it (+%(points)s)",
                "%(n)d other facilities %(where)s perform it (+%(points)s)",
                self.nearby,
            )
            % {"n": self.nearby, "where": where, "points": _num(self.nearby_points)}
        )
        return lines

    def why(self) -> str:
        """One sentence: why this gap ranks where it does."""
        parts = []
        if self.referrals:
            parts.append(
                _("%(n)s patients were referred out in %(specialty)s in the last 12 months")
                % {"n": _num(self.referrals), "specialty": self.technique.specialty.name}
            )
        else:
            parts.append(
                _("no referrals out in %(specialty)s were reported in the last 12 months")
                % {"specialty": self.technique.specialty.name}
            )
        if self.requests:
            parts.append(
                ngettext(
                    "the facility asked for it in %(n)d needs survey",
                    "the facility asked for it in %(n)d needs surveys",
                    self.requests,
                )
                % {"n": self.requests}
            )
        if self.nearby:
            parts.append(
                ngettext(
                    "%(n)d facility nearby already performs it",
                    "%(n)d facilities nearby already perform it",
                    self.nearby,
                )
                % {"n": self.nearby}
            )
        else:
            parts.append(_("no facility nearby performs it"))
        sentence = "; ".join(parts)
        return sentence[:1].upper() + sentence[1:] + "."

    def as_dict(self) -> dict:
        t = self.technique
        return {
            "technique": {"code": t.code, "name": t.name, "specialty": t.specialty.code},
            "score": self.score,
            "components": self.components,
            "referrals_12_months": self.referrals,
            "requests": self.requests,
            "requested": self.requested,
            "nearby_performing": self.nearby,
            "why": self.why(),
            "reasons": self.reasons(),
        }


@dataclass
class SpecialtyGap:
    specialty: Specialty
    allowed: int = 0
    performed: list[Technique] = field(default_factory=list)
    missing: list[Gap] = field(default_factory=list)

    @property
    def gap(self) -> int:
        return len(self.missing)


@dataclass
class FacilityGap:
    facility: OrgUnit
    specialties: list[SpecialtyGap]
    referrals_available: bool

    @property
    def allowed(self) -> int:
        return sum(s.allowed for s in self.specialties)

    @property
    def performed(self) -> int:
        return sum(len(s.performed) for s in self.specialties)

    @property
    def gap(self) -> int:
        return sum(s.gap for s in self.specialties)

    def ranked(self) -> list[Gap]:
        gaps = [g for s in self.specialties for g in s.missing]
        return sorted(
            gaps,
            key=lambda g: (-g.score, -g.referrals, g.technique.specialty.order, g.technique.code),
        )


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def facility_gap(facility: OrgUnit, user=None, today: datetime.date | None = None) -> FacilityGap:
    """The facility's allowed, performed and missing techniques by specialty, each missing
    one scored (see the module's description)."""
    today = today or timezone.localdate()
    level = facility.technical_level
    if level not in LEVELS or facility.facility_type in AUTHORITIES:
        return FacilityGap(facility, [], referrals_available=False)
    allowed = list(
        Technique.objects.filter(active=True, **{f"allowed_{level}": True})
        .select_related("specialty")
        .order_by("specialty__order", "specialty__code", "code")
    )
    performed = set(
        FacilityCapability.objects.filter(facility=facility, active=True).values_list(
            "technique_id", flat=True
        )
    )
    by_specialty: dict[int, SpecialtyGap] = {}
    for technique in allowed:
        entry = by_specialty.setdefault(
            technique.specialty_id, SpecialtyGap(specialty=technique.specialty)
        )
        entry.allowed += 1
        if technique.pk in performed:
            entry.performed.append(technique)
        else:
            entry.missing.append(Gap(technique=technique))
    gaps = [g for s in by_specialty.values() for g in s.missing]
    referrals, available = referrals_by_specialty(facility, user, today)
    _score(facility, gaps, referrals)
    for entry in by_specialty.values():
        entry.missing.sort(key=lambda g: (-g.score, g.technique.code))
    return FacilityGap(facility, list(by_specialty.values()), referrals_available=available)


def _score(facility: OrgUnit, gaps: list[Gap], referrals: dict[int, float]) -> None:
    if not gaps:
        return
    ids = [g.technique.pk for g in gaps]
    requests = dict(
        TechniqueNeed.objects.filter(response__facility=facility, technique_id__in=ids)
        .exclude(status=NeedStatus.DROPPED)
        .values("technique_id")
        .annotate(n=Count("pk"))
        .values_list("technique_id", "n")
    )
    nearby, by_distance = nearby_performers(facility, ids)
    for gap in gaps:
        t = gap.technique
        gap.referrals = referrals.get(t.specialty_id, 0)
        gap.referral_points = round(
            min(REFERRAL_MAX, REFERRAL_POINTS_PER_MONTH * gap.referrals / MONTHS), 1
        )
        gap.requests = requests.get(t.pk, 0)
        gap.requested = gap.requests > 0
        gap.request_points = min(REQUEST_MAX, REQUEST_POINTS * gap.requests)
        gap.nearby = nearby.get(t.pk, 0)
        gap.nearby_by_distance = by_distance
        gap.nearby_points = round(NEARBY_MAX / (1 + gap.nearby), 1)


# ---------------------------------------------------------------- demand components


def _coordinates(unit: OrgUnit):
    au = unit.admin_unit if unit.admin_unit_id else None
    if au is None or au.latitude is None or au.longitude is None:
        return None
    return au.latitude, au.longitude


def nearby_performers(facility: OrgUnit, technique_ids) -> tuple[dict[int, int], bool]:
    """technique id -> how many other active facilities nearby perform it, and whether
    "nearby" was measured in km (else: the same province)."""
    from doha.transfers.matching import haversine_km

    here = _coordinates(facility)
    caps = FacilityCapability.objects.filter(
        technique_id__in=list(technique_ids), active=True, facility__active=True
    ).exclude(facility=facility)
    if here is None:
        province = facility.admin_unit.province_code if facility.admin_unit_id else None
        if not province:
            return {}, False
        rows = (
            caps.filter(facility__admin_unit__province_code=province)
            .values("technique_id")
            .annotate(n=Count("facility", distinct=True))
            .values_list("technique_id", "n")
        )
        return dict(rows), False
    lat, lon = here
    # A box of NEARBY_KM around the facility in the database, the exact distance here.
    dlat = NEARBY_KM / 111.0
    dlon = NEARBY_KM / (111.0 * max(0.1, math.cos(math.radians(lat))))
    province = facility.admin_unit.province_code
    rows = caps.filter(
        Q(
            facility__admin_unit__latitude__range=(lat - dlat, lat + dlat),
            facility__admin_unit__longitude__range=(lon - dlon, lon + dlon),
        )
        | Q(
            facility__admin_unit__latitude__isnull=True,
            facility__admin_unit__province_code=province,
        )
    ).values_list(
        "technique_id",
        "facility_id",
        "facility__admin_unit__latitude",
        "facility__admin_unit__longitude",
    )
    found: dict[int, set] = defaultdict(set)
    for technique_id, facility_id, flat, flon in rows:
        if flat is None or flon is None or haversine_km(lat, lon, flat, flon) <= NEARBY_KM:
            found[technique_id].add(facility_id)
    return {k: len(v) for k, v in found.items()}, True


def referrals_by_specialty(
    facility: OrgUnit, user=None, today: datetime.date | None = None
) -> tuple[dict[int, float], bool]:
    """specialty id -> referrals out over the last 12 complete months, through the analytics
    query layer; and whether the statistics carry referrals by specialty at all."""
    from doha.aggregate.activities import SystemWriter
    from doha.aggregate.models import CategoryOptionCombo, DataElement
    from doha.analytics.query import QueryError, run_query

    element = DataElement.objects.filter(code=REFERRALS_ELEMENT).first()
    if element is None:
        return {}, False
    by_code = dict(Specialty.objects.values_list("code", "pk"))
    operands = {}
    for coc in CategoryOptionCombo.objects.filter(
        category_combo=element.category_combo_id
    ).prefetch_related("options"):
        options = list(coc.options.all())
        if len(options) != 1 or not (options[0].code or "").startswith(SPECIALTY_OPTION_PREFIX):
            continue
        specialty = by_code.get(options[0].code.removeprefix(SPECIALTY_OPTION_PREFIX))
        if specialty is not None:
            operands[f"{element.uid}.{coc.uid}"] = specialty
    if not operands:
        return {}, False
    reader = user if user is not None and user.is_authenticated else SystemWriter("gaps")
    try:
        result = run_query(
            reader,
            dx=list(operands),
            ou=[facility.uid],
            filters={"pe": [f"LAST_{MONTHS}_MONTHS"]},
            reference_date=today,
        )
    except QueryError:
        return {}, True
    out: dict[int, float] = defaultdict(float)
    for dx, _ou, value in result.rows:
        if dx in operands and value is not None:
            out[operands[dx]] += float(value)
    return dict(out), True


# ---------------------------------------------------------------- send to matching


def open_surveys_for(facility: OrgUnit, user=None, today: datetime.date | None = None):
    """Surveys that asked the facility and still take its answer (open, within their dates,
    its answer not submitted), and that the user may answer for it."""
    today = today or timezone.localdate()
    submitted = SurveyResponse.objects.filter(
        facility=facility, status=ResponseStatus.SUBMITTED
    ).values("survey_id")
    surveys = (
        NeedsSurvey.objects.filter(
            facilities=facility,
            status=SurveyStatus.OPEN,
            opens_on__lte=today,
            deadline__gte=today,
        )
        .exclude(pk__in=submitted)
        .select_related("organiser")
        .order_by("-opens_on", "title")
    )
    if user is None:
        return list(surveys)
    return [s for s in surveys if programme_services.may_answer(user, s, facility)]


def may_open_survey(user, facility: OrgUnit) -> bool:
    return can(user, NeedsSurvey, "add") and in_scope(user, facility.path)


def open_gap_survey(facility: OrgUnit, *, user=None, today=None) -> NeedsSurvey:
    """A needs survey of its own for the facility's gaps, run by the unit above it."""
    today = today or timezone.localdate()
    survey = NeedsSurvey(
        title=_("Technique gaps of %(facility)s (%(date)s)")
        % {"facility": facility.name, "date": today.strftime("%d/%m/%Y")},
        organiser=facility.parent or facility,
        framework=Framework.LINE_DIRECTION,
        opens_on=today,
        deadline=today + datetime.timedelta(days=30),
        status=SurveyStatus.OPEN,
        description=_("Needs registered from the facility's technique gap analysis."),
    )
    return programme_services.open_survey(survey, [facility], user=user, today=today)


NEW_SURVEY = "new"


@transaction.atomic
def send_to_matching(
    facility: OrgUnit,
    technique_ids,
    *,
    survey: NeedsSurvey | str | None,
    user=None,
    today: datetime.date | None = None,
) -> tuple[list[TechniqueNeed], list[Technique]]:
    """Register the chosen gaps as technique needs of the facility in ``survey`` (or, with
    ``NEW_SURVEY``, in a survey opened for the purpose): the needs-survey rules apply (the
    survey asked the facility, is open, the answer is not submitted, the user may answer for
    it). Gaps already requested are skipped. Returns (needs created, gaps skipped)."""
    today = today or timezone.localdate()
    technique_ids = [int(t) for t in technique_ids]
    if not technique_ids:
        raise ValidationError({"techniques": _("Choose at least one gap to send.")})
    result = facility_gap(facility, user=user, today=today)
    gaps = {g.technique.pk: g for s in result.specialties for g in s.missing}
    not_gaps = [t for t in technique_ids if t not in gaps]
    if not_gaps:
        names = Technique.objects.filter(pk__in=not_gaps).values_list("code", flat=True)
        raise ValidationError(
            {
                "techniques": _("Not a gap of this facility: %(codes)s")
                % {"codes": ", ".join(sorted(names)) or ", ".join(map(str, not_gaps))}
            }
        )
    chosen = [gaps[t] for t in dict.fromkeys(technique_ids)]
    skipped = [g.technique for g in chosen if g.requested]
    wanted = [g for g in chosen if not g.requested]
    if not wanted:
        raise ValidationError(
            {"techniques": _("Every gap chosen has already been requested in a needs survey.")}
        )
    if survey == NEW_SURVEY:
        if user is not None and not may_open_survey(user, facility):
            raise ValidationError({"survey": _("Your role does not allow opening a survey.")})
        survey = open_gap_survey(facility, user=user, today=today)
    if not isinstance(survey, NeedsSurvey):
        raise ValidationError({"survey": _("Choose the needs survey the needs are recorded in.")})
    response = SurveyResponse.objects.filter(survey=survey, facility=facility).first()
    existing = list(TechniqueNeed.objects.filter(response=response)) if response else []
    new = [
        TechniqueNeed(
            technique=g.technique,
            priority=g.priority,
            people_to_train=1,
            note=(
                _("From the technique gap analysis: demand score %(score)s")
                % {"score": _num(g.score)}
            )[:500],
        )
        for g in wanted
    ]
    programme_services.save_response(
        survey, facility, technique_needs=[*existing, *new], user=user, today=today
    )
    return new, skipped
