"""Programme outcome evaluation: did the supported facilities change more than comparable
facilities that were not supported?

Public interface (the evaluation page and the programme report use it)::

    from doha.analytics.evaluation import evaluate, evaluate_programme, OUTCOMES

    result = evaluate_programme(user, programme, outcome="referral_rate",
                                months_before=12, months_after=12)
    result = evaluate(user, treated=[unit, ...], start=datetime.date(2024, 9, 1),
                      outcome="admissions", comparison=None, months_before=12,
                      months_after=12, end=None)

    result.verdict        # "effect", "no_evidence" or "insufficient"
    result.reasons        # why the data cannot support a conclusion (translated text)
    result.sentence       # the result in plain words, in the active language
    result.did            # DiD: estimate, ci_low, ci_high (relative effects: -0.25 = -25%),
                          #   p_value, n_treated, n_comparison, n_months, means (None when
                          #   the model could not be fitted)
    result.its            # [ITS per treated facility: level and slope change, HAC errors]
    result.treated        # [OrgUnit] analysed; result.excluded: [(OrgUnit, reason)]
    result.comparison     # [Match(unit, treated, reason, size, difference)]
    result.start          # the date support started; result.pre / result.post: month ids
    result.series         # {"months": [...], "treated": [...], "comparison": [...]}
    result.chart_png()    # PNG bytes: monthly means of both groups, a line at the start

Outcomes (``OUTCOMES``): "referral_rate" (referrals out per 100 outpatient visits),
"admissions" (inpatient admissions), "referrals_out", "opd_visits"; monthly per facility,
read through the analytics query layer (``run_query``) and so within the user's scope. A
facility's figure is its subtree's total (a health centre reported its commune stations'
figures before the 2025 reform).

Method
    Treated: the facilities given (for a programme: its receiving-side parties and item
    recipients that report statistics, and the recipients of its technique transfers).
    Support starts on ``start`` (for a programme: its start date, or the first training of
    one of its transfers if earlier, as in ``doha.aggregate.demo.support_starts``); the
    month containing it is the first month after. Comparison: facilities of the same type
    and technical level that no programme or transfer supported before the end of the
    window, the ``PER_TREATED`` nearest in size (mean outpatient visits before the start),
    within ±``CALIPER`` of the treated facility's size. Months in which no facility of
    either group reported are outside the data and not counted.

    Difference-in-differences: OLS of the log outcome on facility and month fixed effects
    and treated × after, standard errors clustered by facility with t(G-1) intervals; the
    relative effect is exp(β) − 1. Interrupted time series per treated facility: the log
    outcome on time, after, and months since the start (level and slope change), Newey-West
    standard errors. Months with a zero or missing value are left out of the log models.

    Verdicts: "insufficient" when fewer than ``MIN_FACILITIES`` treated or comparison
    facilities have usable data (clustered errors need at least two clusters on each side:
    with one treated facility the treatment effect cannot be told from that facility's own
    noise), fewer than ``MIN_MONTHS`` months of data before or after the start, or too many
    missing months (a facility lacking more than a quarter of its months is left out);
    otherwise "effect" when the 95% interval excludes no change, "no_evidence" when it
    includes it.
"""

from __future__ import annotations

import datetime
import io
import math
from dataclasses import dataclass, field

from django.db.models import Min, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.aggregate.models import DataElement
from doha.analytics.query import run_query
from doha.core.scope import in_scope
from doha.core.text import format_number
from doha.orgunits.models import FacilityType, OrgUnit

__all__ = [
    "CALIPER",
    "MIN_FACILITIES",
    "MIN_MONTHS",
    "OUTCOMES",
    "PER_TREATED",
    "REPORTING_TYPES",
    "VERDICTS",
    "DiD",
    "Evaluation",
    "EvaluationError",
    "ITS",
    "Match",
    "evaluate",
    "evaluate_programme",
    "format_change",
    "programme_facilities",
    "programme_start",
]

MIN_FACILITIES = 2
MIN_MONTHS = 6
MAX_MISSING = 0.25
PER_TREATED = 3
CALIPER = 0.5
HAC_LAGS = 3
LEVEL = 0.95

# Facility types that report the monthly statistics (as in doha.aggregate.demo).
REPORTING_TYPES = [
    FacilityType.CENTRAL_HOSPITAL,
    FacilityType.PROVINCIAL_HOSPITAL,
    FacilityType.SPECIALTY_HOSPITAL,
    FacilityType.PRIVATE_HOSPITAL,
    FacilityType.POLYCLINIC,
    FacilityType.HEALTH_CENTRE,
    FacilityType.COMMUNE_STATION,
]

OPD, REF, IPD = "OPD_VISITS", "REFERRALS_OUT", "IPD_ADMISSIONS"


@dataclass(frozen=True)
class Outcome:
    key: str
    label: object  # lazy text
    codes: tuple[str, ...]
    decimals: int

    def value(self, figures: dict) -> float | None:
        if self.key == "referral_rate":
            visits, referrals = figures.get(OPD), figures.get(REF)
            if not visits or referrals is None:
                return None
            return 100.0 * referrals / visits
        return figures.get(self.codes[0])


OUTCOMES = {
    "referral_rate": Outcome(
        "referral_rate", gettext_lazy("Referral rate (per 100 visits)"), (REF, OPD), 2
    ),
    "admissions": Outcome("admissions", gettext_lazy("Inpatient admissions"), (IPD,), 0),
    "referrals_out": Outcome("referrals_out", gettext_lazy("Referrals out"), (REF,), 0),
    "opd_visits": Outcome("opd_visits", gettext_lazy("Outpatient visits"), (OPD,), 0),
}

# The outcome's name inside a sentence.
SUBJECTS = {
    "referral_rate": gettext_lazy("The referral rate"),
    "admissions": gettext_lazy("Inpatient admissions"),
    "referrals_out": gettext_lazy("Referrals out"),
    "opd_visits": gettext_lazy("Outpatient visits"),
}


VERDICTS = {
    "effect": gettext_lazy("Effect"),
    "no_evidence": gettext_lazy("No evidence of an effect"),
    "insufficient": gettext_lazy("Insufficient data"),
}


class EvaluationError(ValueError):
    """A request that cannot be evaluated at all; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = str(message)


@dataclass
class Match:
    """A comparison facility, the treated facility it was matched to and why."""

    unit: OrgUnit
    treated: OrgUnit | None
    size: float | None  # mean monthly outpatient visits before the start
    difference: float | None  # relative to the treated facility's size (0.04 = +4%)
    reason: str


@dataclass
class DiD:
    estimate: float  # relative effect, exp(beta) - 1
    ci_low: float
    ci_high: float
    p_value: float
    beta: float
    se: float
    n_treated: int
    n_comparison: int
    n_months: int
    n_observations: int
    # {"treated": {"before": x, "after": y, "change": r}, "comparison": {...}}
    means: dict | None = None


@dataclass
class ITS:
    unit: OrgUnit
    n_months: int
    level_change: float | None = None  # relative jump at the start
    level_low: float | None = None
    level_high: float | None = None
    level_p: float | None = None
    slope_change: float | None = None  # relative change per month after the start
    slope_low: float | None = None
    slope_high: float | None = None
    slope_p: float | None = None
    note: str = ""


@dataclass
class Evaluation:
    outcome: str
    outcome_label: str
    start: datetime.date
    months_before: int
    months_after: int
    treated: list[OrgUnit] = field(default_factory=list)
    excluded: list[tuple[OrgUnit, str]] = field(default_factory=list)
    comparison: list[Match] = field(default_factory=list)
    pre: list[str] = field(default_factory=list)
    post: list[str] = field(default_factory=list)
    did: DiD | None = None
    its: list[ITS] = field(default_factory=list)
    verdict: str = "insufficient"
    reasons: list[str] = field(default_factory=list)
    sentence: str = ""
    series: dict = field(default_factory=dict)
    programme: object = None

    @property
    def verdict_label(self) -> str:
        return str(VERDICTS[self.verdict])

    @property
    def conclusive(self) -> bool:
        return self.verdict != "insufficient"

    def chart_png(self) -> bytes:
        """Monthly mean outcome of both groups, a vertical line where support started."""
        return render_chart(self)


# ----------------------------------------------------------------------------- months


def _month_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, day.month, 1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _month_id(day: datetime.date) -> str:
    return f"{day.year:04d}{day.month:02d}"


def _default_end() -> datetime.date:
    from django.utils import timezone

    return _add_months(_month_start(timezone.localdate()), -1)


# ----------------------------------------------------------------------------- facilities


def programme_facilities(programme) -> list[OrgUnit]:
    """The receiving-side facilities of a programme that report statistics: recipient
    parties, item recipients and the recipients of its technique transfers."""
    from doha.programmes.models import Side

    ids = set(programme.parties.filter(side=Side.RECIPIENT).values_list("org_unit_id", flat=True))
    ids |= set(programme.items.exclude(recipient=None).values_list("recipient_id", flat=True))
    ids |= set(_programme_transfers(programme).values_list("recipient_id", flat=True))
    return list(
        OrgUnit.objects.filter(pk__in=ids, facility_type__in=REPORTING_TYPES).order_by(
            "path", "code"
        )
    )


def _programme_transfers(programme):
    from doha.transfers.models import TechniqueTransfer, TransferState

    return TechniqueTransfer.objects.filter(programme=programme).exclude(
        state=TransferState.CANCELLED
    )


def programme_start(programme) -> datetime.date:
    """When the programme's support started: its start date, or the first training of one of
    its technique transfers if that came first (``doha.aggregate.demo.support_starts``)."""
    from doha.transfers.models import TransferState

    trained = _programme_transfers(programme).aggregate(
        first=Min("steps__date", filter=Q(steps__state=TransferState.TRAINING))
    )["first"]
    start = programme.start_date
    if trained is not None and trained < start:
        start = trained
    return start


def _supported_ids(unit_ids, before: datetime.date) -> set[int]:
    """Facilities any programme or transfer supported before ``before``."""
    from doha.aggregate.demo import support_starts

    return {pk for pk, day in support_starts(unit_ids).items() if day < before}


# ----------------------------------------------------------------------------- entry points


def evaluate_programme(user, programme, outcome: str = "referral_rate", **kw) -> Evaluation:
    """Evaluate ``programme``'s receiving facilities from its support start."""
    result = evaluate(
        user,
        treated=programme_facilities(programme),
        start=programme_start(programme),
        outcome=outcome,
        **kw,
    )
    result.programme = programme
    return result


def evaluate(
    user,
    *,
    treated,
    start: datetime.date,
    outcome: str,
    comparison=None,
    months_before: int = 12,
    months_after: int = 12,
    end: datetime.date | None = None,
) -> Evaluation:
    """Difference-in-differences and interrupted time series for ``treated`` facilities
    whose support started on ``start`` (see the module's description)."""
    if outcome not in OUTCOMES:
        raise EvaluationError(
            "outcome",
            _("Unknown outcome “%(value)s”: choose one of %(choices)s.")
            % {"value": outcome, "choices": ", ".join(OUTCOMES)},
        )
    if not isinstance(start, datetime.date):
        raise EvaluationError("start", _("Give the date support started."))
    for name, value in (("months_before", months_before), ("months_after", months_after)):
        if not isinstance(value, int) or value < 1 or value > 60:
            raise EvaluationError(name, _("Give a number of months from 1 to 60."))
    spec = OUTCOMES[outcome]
    start_month = _month_start(start)
    last = _month_start(end) if end else _default_end()
    result = Evaluation(
        outcome=outcome,
        outcome_label=str(spec.label),
        start=start,
        months_before=months_before,
        months_after=months_after,
    )
    pre_months = [_add_months(start_month, i) for i in range(-months_before, 0)]
    post_months = [
        m for m in (_add_months(start_month, i) for i in range(months_after)) if m <= last
    ]
    window_end = post_months[-1] if post_months else start_month

    # Treated facilities: reporting, within the user's scope.
    given = _dedupe(treated)
    treated = []
    for unit in given:
        if unit.facility_type not in REPORTING_TYPES:
            result.excluded.append((unit, _("does not report monthly statistics")))
        elif not in_scope(user, unit.path):
            result.excluded.append((unit, _("outside your scope")))
        else:
            treated.append(unit)

    # Comparison candidates.
    explicit = comparison is not None
    if explicit:
        candidates = []
        for unit in _dedupe(comparison):
            if unit.facility_type not in REPORTING_TYPES:
                result.excluded.append((unit, _("does not report monthly statistics")))
            elif not in_scope(user, unit.path):
                result.excluded.append((unit, _("outside your scope")))
            elif unit.pk in {t.pk for t in treated}:
                result.excluded.append((unit, _("is also a supported facility")))
            else:
                candidates.append(unit)
    else:
        candidates = _candidates(user, treated, _add_months(window_end, 1))

    months = pre_months + post_months
    values = _read(user, spec, treated + candidates, months) if treated and months else {}

    # Months with any data at all (a window reaching before the data starts is shorter).
    present = {m for (_unit, m) in values}
    result.pre = [_month_id(m) for m in pre_months if _month_id(m) in present]
    result.post = [_month_id(m) for m in post_months if _month_id(m) in present]

    sizes = _sizes(values, [u.pk for u in treated + candidates], result.pre)
    if explicit:
        result.comparison = _describe(candidates, treated, sizes)
    else:
        result.comparison = _match(candidates, treated, sizes)
    comparison_units = [m.unit for m in result.comparison]

    # Facilities with too many missing months are left out.
    usable_treated, usable_comparison, missing = [], [], 0
    for unit in treated + comparison_units:
        ok, reason = _complete(values, unit, result.pre, result.post, spec)
        if ok:
            (usable_treated if unit in treated else usable_comparison).append(unit)
        else:
            missing += 1
            result.excluded.append((unit, reason))
    result.treated = usable_treated
    if not explicit:
        result.comparison = [m for m in result.comparison if m.unit in usable_comparison]

    result.reasons = _insufficient(
        result, treated, comparison_units, usable_treated, usable_comparison, missing
    )
    shown = [m for m in months if _month_id(m) in present] or months
    result.series = _series(spec, values, usable_treated, usable_comparison, shown)
    if len(usable_treated) >= 1 and result.pre and result.post:
        result.its = [_its(spec, values, unit, result.pre, result.post) for unit in usable_treated]
    if not result.reasons:
        result.did = _did(spec, values, usable_treated, usable_comparison, result.pre, result.post)
        if result.did is None:
            result.reasons.append(_("the model could not be fitted to these figures"))
    if result.reasons:
        result.verdict = "insufficient"
    elif result.did.ci_low > 0 or result.did.ci_high < 0:
        result.verdict = "effect"
    else:
        result.verdict = "no_evidence"
    result.sentence = _sentence(result)
    return result


def _dedupe(units) -> list[OrgUnit]:
    seen, out = set(), []
    for unit in units:
        if unit.pk not in seen:
            seen.add(unit.pk)
            out.append(unit)
    return out


def _candidates(user, treated, before: datetime.date) -> list[OrgUnit]:
    """Unsupported facilities of the same type and level as a treated one, in scope."""
    if not treated:
        return []
    kinds = Q()
    for unit in treated:
        kinds |= Q(facility_type=unit.facility_type, technical_level=unit.technical_level)
    units = list(
        OrgUnit.objects.filter(kinds, active=True)
        .exclude(pk__in=[u.pk for u in treated])
        .order_by("path", "code")
    )
    units = [u for u in units if in_scope(user, u.path)]
    supported = _supported_ids([u.pk for u in units], before)
    return [u for u in units if u.pk not in supported]


def _read(user, spec: Outcome, units, months) -> dict:
    """{(unit pk, "YYYYMM"): {code: value}} through the analytics query layer."""
    codes = set(spec.codes) | {OPD}
    elements = {e.uid: e.code for e in DataElement.objects.filter(code__in=codes)}
    if not elements or not units:
        return {}
    by_uid = {u.uid: u.pk for u in units}
    out: dict = {}
    result = run_query(
        user,
        dx=list(elements),
        pe=[_month_id(m) for m in months],
        ou=list(by_uid),
        dimension_order=["dx", "pe", "ou"],
        skip_rounding=True,
    )
    for dx, pe, ou, value in result.rows:
        out.setdefault((by_uid[ou], pe), {})[elements[dx]] = float(value)
    return out


def _sizes(values, unit_ids, pre) -> dict[int, float]:
    sizes = {}
    for pk in unit_ids:
        visits = [values[(pk, m)][OPD] for m in pre if OPD in values.get((pk, m), {})]
        if visits:
            sizes[pk] = sum(visits) / len(visits)
    return sizes


def _size_text(difference: float) -> str:
    sign = "+" if difference >= 0 else "−"
    return f"{sign}{format_number(abs(difference) * 100, 0)}%"


def _match(candidates, treated, sizes) -> list[Match]:
    """Up to PER_TREATED nearest candidates in size for each treated facility (largest
    first), same type and level, within the caliper; each candidate used once."""
    used, matches = set(), []
    for unit in sorted(treated, key=lambda u: -sizes.get(u.pk, 0)):
        size = sizes.get(unit.pk)
        if size is None or size <= 0:
            continue
        pool = [
            c
            for c in candidates
            if c.pk not in used
            and c.facility_type == unit.facility_type
            and c.technical_level == unit.technical_level
            and sizes.get(c.pk)
            and abs(sizes[c.pk] / size - 1) <= CALIPER
        ]
        pool.sort(key=lambda c: (abs(sizes[c.pk] / size - 1), c.code))
        for c in pool[:PER_TREATED]:
            used.add(c.pk)
            difference = sizes[c.pk] / size - 1
            matches.append(Match(c, unit, sizes[c.pk], difference, _reason(c, unit, difference)))
    return matches


def _reason(candidate, unit, difference) -> str:
    return _(
        "same type (%(type)s), same level (%(level)s), outpatient visits before support "
        "%(difference)s compared with %(treated)s"
    ) % {
        "type": candidate.get_facility_type_display(),
        "level": candidate.get_technical_level_display() or "—",
        "difference": _size_text(difference),
        "treated": unit.short_name or unit.name,
    }


def _describe(candidates, treated, sizes) -> list[Match]:
    """Comparison facilities chosen by the user, each set beside its nearest treated one."""
    matches = []
    for c in candidates:
        peers = [
            t
            for t in treated
            if sizes.get(t.pk) and sizes.get(c.pk) and t.facility_type == c.facility_type
        ]
        if peers:
            peer = min(peers, key=lambda t: abs(sizes[c.pk] / sizes[t.pk] - 1))
            difference = sizes[c.pk] / sizes[peer.pk] - 1
            reason = _("chosen by you; %(facts)s") % {"facts": _reason(c, peer, difference)}
            matches.append(Match(c, peer, sizes[c.pk], difference, reason))
        else:
            matches.append(Match(c, None, sizes.get(c.pk), None, _("chosen by you")))
    return matches


def _complete(values, unit, pre, post, spec) -> tuple[bool, str]:
    def share(months):
        if not months:
            return 1.0
        have = sum(1 for m in months if _positive(spec.value(values.get((unit.pk, m), {}))))
        return have / len(months)

    before, after = share(pre), share(post)
    if not pre and not post:
        return False, _("no figures in the window")
    if before < 1 - MAX_MISSING or after < 1 - MAX_MISSING:
        return False, _(
            "too many missing months (%(before)s of the months before and %(after)s of "
            "those after have figures)"
        ) % {"before": _percent(before), "after": _percent(after)}
    return True, ""


def _positive(value) -> bool:
    return value is not None and value > 0


def _percent(share: float) -> str:
    return f"{format_number(share * 100, 0)}%"


def _insufficient(result, treated, comparison, usable_treated, usable_comparison, missing):
    """Why the data cannot support a conclusion. A window short of months is said alone:
    without months before the start no facility can be sized or matched either."""
    if not treated:
        return [_("there is no supported facility that reports statistics in your scope")]
    reasons = []
    if len(result.pre) < MIN_MONTHS:
        reasons.append(
            _("too few months with figures before support started: %(n)s, at least %(min)s needed")
            % {"n": len(result.pre), "min": MIN_MONTHS}
        )
    if len(result.post) < MIN_MONTHS:
        reasons.append(
            _("too few months with figures after support started: %(n)s, at least %(min)s needed")
            % {"n": len(result.post), "min": MIN_MONTHS}
        )
    if reasons:
        return reasons
    if len(usable_treated) < MIN_FACILITIES:
        reasons.append(
            _("too few supported facilities with usable figures: %(n)s, at least %(min)s needed")
            % {"n": len(usable_treated), "min": MIN_FACILITIES}
        )
    if not comparison:
        reasons.append(
            _(
                "there is no comparison group: no unsupported facility of the same type and "
                "level with figures in your scope"
            )
        )
    elif len(usable_comparison) < MIN_FACILITIES:
        reasons.append(
            _("too few comparison facilities with usable figures: %(n)s, at least %(min)s needed")
            % {"n": len(usable_comparison), "min": MIN_FACILITIES}
        )
    total = len(treated) + len(comparison)
    if missing and (
        len(usable_treated) < MIN_FACILITIES or len(usable_comparison) < MIN_FACILITIES
    ):
        reasons.append(
            _("too many missing months: %(n)s of %(total)s facilities lack over a quarter of them")
            % {"n": missing, "total": total}
        )
    return reasons


# ----------------------------------------------------------------------------- statistics


def _panel(spec, values, treated, comparison, pre, post):
    import pandas as pd

    rows = []
    treated_ids = {u.pk for u in treated}
    post_set = set(post)
    for unit in treated + comparison:
        for m in pre + post:
            y = spec.value(values.get((unit.pk, m), {}))
            if not _positive(y):
                continue
            rows.append(
                {
                    "unit": unit.pk,
                    "month": m,
                    "y": y,
                    "log_y": math.log(y),
                    "treated": int(unit.pk in treated_ids),
                    "post": int(m in post_set),
                }
            )
    return pd.DataFrame(rows)


def _did(spec, values, treated, comparison, pre, post) -> DiD | None:
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    frame = _panel(spec, values, treated, comparison, pre, post)
    if frame.empty:
        return None
    frame["treated_post"] = frame["treated"] * frame["post"]
    units = pd.get_dummies(frame["unit"], prefix="u", drop_first=True, dtype=float)
    months = pd.get_dummies(frame["month"], prefix="m", drop_first=True, dtype=float)
    design = pd.concat([frame[["treated_post"]].astype(float), units, months], axis=1)
    design = sm.add_constant(design, has_constant="add")
    groups = pd.factorize(frame["unit"])[0]
    try:
        fit = sm.OLS(frame["log_y"].to_numpy(), design).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
        )
    except (ValueError, np.linalg.LinAlgError):
        return None
    beta = float(fit.params["treated_post"])
    se = float(fit.bse["treated_post"])
    low, high = (float(x) for x in fit.conf_int(alpha=1 - LEVEL).loc["treated_post"])
    if not all(math.isfinite(x) for x in (beta, se, low, high)):
        return None
    means = {}
    for name, flag in (("treated", 1), ("comparison", 0)):
        group = frame[frame["treated"] == flag]
        before = group[group["post"] == 0]["y"].mean()
        after = group[group["post"] == 1]["y"].mean()
        means[name] = {
            "before": float(before),
            "after": float(after),
            "change": float(after / before - 1) if before else None,
        }
    return DiD(
        estimate=math.exp(beta) - 1,
        ci_low=math.exp(low) - 1,
        ci_high=math.exp(high) - 1,
        p_value=float(fit.pvalues["treated_post"]),
        beta=beta,
        se=se,
        n_treated=len(treated),
        n_comparison=len(comparison),
        n_months=len(pre) + len(post),
        n_observations=int(len(frame)),
        means=means,
    )


def _its(spec, values, unit, pre, post) -> ITS:
    import numpy as np
    import statsmodels.api as sm

    months = pre + post
    xs, ys = [], []
    n_pre = len(pre)
    for i, m in enumerate(months):
        y = spec.value(values.get((unit.pk, m), {}))
        if not _positive(y):
            continue
        after = int(i >= n_pre)
        xs.append([1.0, float(i), float(after), float(max(0, i - n_pre)) * after])
        ys.append(math.log(y))
    result = ITS(unit=unit, n_months=len(ys))
    if len(ys) < 8 or sum(1 for x in xs if x[2]) < 3 or sum(1 for x in xs if not x[2]) < 3:
        result.note = _("too few months for a time series")
        return result
    try:
        fit = sm.OLS(np.array(ys), np.array(xs)).fit(
            cov_type="HAC", cov_kwds={"maxlags": HAC_LAGS}, use_t=True
        )
    except (ValueError, np.linalg.LinAlgError):
        result.note = _("the model could not be fitted to these figures")
        return result
    ci = fit.conf_int(alpha=1 - LEVEL)
    params, pvalues = fit.params, fit.pvalues
    if not all(math.isfinite(float(x)) for x in list(params) + list(ci.ravel())):
        result.note = _("the model could not be fitted to these figures")
        return result
    result.level_change = math.exp(params[2]) - 1
    result.level_low, result.level_high = (math.exp(x) - 1 for x in ci[2])
    result.level_p = float(pvalues[2])
    result.slope_change = math.exp(params[3]) - 1
    result.slope_low, result.slope_high = (math.exp(x) - 1 for x in ci[3])
    result.slope_p = float(pvalues[3])
    return result


def _series(spec, values, treated, comparison, months) -> dict:
    ids = [_month_id(m) for m in months]
    out = {"months": ids, "treated": [], "comparison": []}
    for name, units in (("treated", treated), ("comparison", comparison)):
        for m in ids:
            figures = [spec.value(values.get((u.pk, m), {})) for u in units]
            figures = [f for f in figures if f is not None]
            out[name].append(sum(figures) / len(figures) if figures else None)
    return out


# ----------------------------------------------------------------------------- words


def _pct(value: float) -> str:
    """0.273 -> "27%"; small values keep a decimal (0.045 -> "4,5%")."""
    number = abs(value) * 100
    decimals = 0 if number >= 10 else 1
    return f"{format_number(round(number, decimals), decimals)}%"


def format_change(value: float) -> str:
    """A relative change with its sign: -0.273 -> "−27%", 0.045 -> "+4,5%"."""
    return ("+" if value >= 0 else "−") + _pct(value)


def _sentence(result: Evaluation) -> str:
    subject = str(SUBJECTS[result.outcome])
    if result.verdict == "insufficient":
        return _("The data cannot support a conclusion: %(reasons)s.") % {
            "reasons": "; ".join(result.reasons)
        }
    did = result.did
    if result.verdict == "effect":
        if did.estimate < 0:
            # A fall: the interval's bounds read as falls, the smaller first.
            return _(
                "%(subject)s fell by %(effect)s (95%% CI: %(low)s–%(high)s) compared with "
                "the comparison group."
            ) % {
                "subject": subject,
                "effect": _pct(did.estimate),
                "low": _pct(did.ci_high).rstrip("%"),
                "high": _pct(did.ci_low),
            }
        return _(
            "%(subject)s rose by %(effect)s (95%% CI: %(low)s–%(high)s) compared with the "
            "comparison group."
        ) % {
            "subject": subject,
            "effect": _pct(did.estimate),
            "low": _pct(did.ci_low).rstrip("%"),
            "high": _pct(did.ci_high),
        }
    return _(
        "No evidence of a change compared with the comparison group: %(subject)s changed by "
        "%(effect)s (95%% CI: %(low)s to %(high)s), an interval that includes no change."
    ) % {
        "subject": subject[0].lower() + subject[1:],
        "effect": format_change(did.estimate),
        "low": format_change(did.ci_low),
        "high": format_change(did.ci_high),
    }


# ----------------------------------------------------------------------------- chart


def _month_label(month_id: str) -> str:
    return f"{month_id[4:]}/{month_id[:4]}"


def render_chart(result: Evaluation) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    series = result.series or {"months": [], "treated": [], "comparison": []}
    labels = [_month_label(m) for m in series["months"]]
    figure = Figure(figsize=(8, 3.6), dpi=110)
    axes = figure.add_subplot()
    x = list(range(len(labels)))
    for name, colour, label in (
        ("treated", "#c0392b", _("Supported facilities")),
        ("comparison", "#1f5f99", _("Comparison group")),
    ):
        ys = [float("nan") if v is None else v for v in series.get(name, [])]
        if ys and any(v == v for v in ys):
            axes.plot(x, ys, marker="o", markersize=3, color=colour, label=label)
    start_id = _month_id(_month_start(result.start))
    if start_id in series["months"]:
        at = series["months"].index(start_id) - 0.5
        axes.axvline(at, color="#555555", linestyle="--", linewidth=1)
        axes.annotate(
            _("Support starts"),
            xy=(at, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            fontsize=8,
            color="#555555",
        )
    decimals = OUTCOMES[result.outcome].decimals
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, decimals)))
    step = max(1, len(labels) // 12)
    axes.set_xticks(x[::step], labels[::step], rotation=45, ha="right", fontsize=8)
    axes.set_title(result.outcome_label, fontsize=10)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
