"""Periods for analytics: DHIS2's relative periods, and which stored periods roll up into a
requested one.

A relative period (``LAST_12_MONTHS``, ``THIS_QUARTER``, ...) names a list of fixed periods
counted back from a reference date (today unless the caller says otherwise), exactly as
DHIS2 counts them: "last" periods end before the one the reference date is in, "this" is
the one it is in, ``MONTHS_THIS_YEAR`` and ``QUARTERS_THIS_YEAR`` are every period of the
year, future ones included.

Roll-up: a stored value belongs to a requested period when its own period starts inside
the requested one and is not longer (months roll up into quarters, six-months and years;
days and weeks into the month their first day falls in). A longer stored period (a
yearly population) is used for a shorter requested one only by the aggregation types that
carry a level forward (``LAST`` and ``AVERAGE_SUM_ORG_UNIT``): see ``carries_into``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.aggregate.models import AggregationType, PeriodType
from doha.aggregate.periods import (
    TYPE_ORDER,
    Period,
    PeriodError,
    parse_period,
    period_containing,
)

__all__ = [
    "CARRY_TYPES",
    "RELATIVE_PERIODS",
    "Period",
    "PeriodError",
    "carries_into",
    "contained_periods",
    "is_relative",
    "rank",
    "relative_period_name",
    "resolve_period",
    "resolve_periods",
    "rolls_into",
]

_RANK = {period_type: index for index, period_type in enumerate(TYPE_ORDER)}

# Aggregation types whose value for a long stored period also holds for every shorter
# period inside it (a yearly population is the population of each of its months).
CARRY_TYPES = {AggregationType.LAST, AggregationType.AVERAGE_SUM_ORG_UNIT}


def rank(period_type: str) -> int:
    """0 for days up to 5 for years: a shorter type has a smaller rank."""
    return _RANK[period_type]


def rolls_into(stored_type: str, stored_start: datetime.date, requested: Period) -> bool:
    """Whether a value stored for a period of ``stored_type`` starting on ``stored_start``
    is part of ``requested`` (its start falls inside and it is not longer)."""
    return (
        rank(stored_type) <= rank(requested.period_type)
        and requested.start <= stored_start <= requested.end
    )


def carries_into(
    stored_type: str, stored_start: datetime.date, stored_end: datetime.date, requested: Period
) -> bool:
    """Whether a longer stored period covers all of ``requested`` (for ``CARRY_TYPES``)."""
    return (
        rank(stored_type) > rank(requested.period_type)
        and stored_start <= requested.start
        and requested.end <= stored_end
    )


def contained_periods(period: Period, period_type: str) -> list[Period]:
    """The periods of a shorter (or equal) ``period_type`` whose first day falls inside
    ``period``: the months of a quarter, the weeks starting in a month, the days of a week."""
    if rank(period_type) > rank(period.period_type):
        raise PeriodError(
            _("A %(short)s period cannot hold %(long)s periods.")
            % {"short": period.period_type, "long": period_type}
        )
    out = []
    current = period_containing(period.start, period_type)
    if current.start < period.start:
        current = current.next()
    while current.start <= period.end:
        out.append(current)
        current = current.next()
    return out


def _shift(period: Period, steps: int) -> Period:
    current = period
    for _step in range(abs(steps)):
        current = current.next() if steps > 0 else current.previous()
    return current


def _last(period_type: str, count: int) -> Callable[[datetime.date], list[Period]]:
    """The ``count`` periods before the one the reference date is in, oldest first."""

    def resolve(day):
        this = period_containing(day, period_type)
        return [_shift(this, -n) for n in range(count, 0, -1)]

    return resolve


def _this(period_type: str, back: int = 0) -> Callable[[datetime.date], list[Period]]:
    def resolve(day):
        return [_shift(period_containing(day, period_type), -back)]

    return resolve


def _within_year(period_type: str, back: int = 0) -> Callable[[datetime.date], list[Period]]:
    """Every period of ``period_type`` of the reference year (or ``back`` years before)."""

    def resolve(day):
        year = period_containing(day, PeriodType.YEARLY)
        return contained_periods(_shift(year, -back), period_type)

    return resolve


def _last_days(count: int) -> Callable[[datetime.date], list[Period]]:
    def resolve(day):
        return [
            period_containing(day - datetime.timedelta(days=n), PeriodType.DAILY)
            for n in range(count, 0, -1)
        ]

    return resolve


def _weeks_this_year(day):
    year = day.isocalendar()[0]
    out = []
    current = parse_period(f"{year}W1")
    while current.start.isocalendar()[0] == year:
        out.append(current)
        current = current.next()
    return out


# name -> (label, resolver). Labels as DHIS2 shows them in metaData.items.
RELATIVE_PERIODS: dict[str, tuple[object, Callable[[datetime.date], list[Period]]]] = {
    "TODAY": (gettext_lazy("Today"), _this(PeriodType.DAILY)),
    "YESTERDAY": (gettext_lazy("Yesterday"), _this(PeriodType.DAILY, 1)),
    "LAST_3_DAYS": (gettext_lazy("Last 3 days"), _last_days(3)),
    "LAST_7_DAYS": (gettext_lazy("Last 7 days"), _last_days(7)),
    "LAST_14_DAYS": (gettext_lazy("Last 14 days"), _last_days(14)),
    "LAST_30_DAYS": (gettext_lazy("Last 30 days"), _last_days(30)),
    "THIS_WEEK": (gettext_lazy("This week"), _this(PeriodType.WEEKLY)),
    "LAST_WEEK": (gettext_lazy("Last week"), _this(PeriodType.WEEKLY, 1)),
    "LAST_4_WEEKS": (gettext_lazy("Last 4 weeks"), _last(PeriodType.WEEKLY, 4)),
    "LAST_12_WEEKS": (gettext_lazy("Last 12 weeks"), _last(PeriodType.WEEKLY, 12)),
    "LAST_52_WEEKS": (gettext_lazy("Last 52 weeks"), _last(PeriodType.WEEKLY, 52)),
    "WEEKS_THIS_YEAR": (gettext_lazy("Weeks this year"), _weeks_this_year),
    "THIS_MONTH": (gettext_lazy("This month"), _this(PeriodType.MONTHLY)),
    "LAST_MONTH": (gettext_lazy("Last month"), _this(PeriodType.MONTHLY, 1)),
    "LAST_3_MONTHS": (gettext_lazy("Last 3 months"), _last(PeriodType.MONTHLY, 3)),
    "LAST_6_MONTHS": (gettext_lazy("Last 6 months"), _last(PeriodType.MONTHLY, 6)),
    "LAST_12_MONTHS": (gettext_lazy("Last 12 months"), _last(PeriodType.MONTHLY, 12)),
    "MONTHS_THIS_YEAR": (gettext_lazy("Months this year"), _within_year(PeriodType.MONTHLY)),
    "MONTHS_LAST_YEAR": (gettext_lazy("Months last year"), _within_year(PeriodType.MONTHLY, 1)),
    "THIS_QUARTER": (gettext_lazy("This quarter"), _this(PeriodType.QUARTERLY)),
    "LAST_QUARTER": (gettext_lazy("Last quarter"), _this(PeriodType.QUARTERLY, 1)),
    "LAST_4_QUARTERS": (gettext_lazy("Last 4 quarters"), _last(PeriodType.QUARTERLY, 4)),
    "QUARTERS_THIS_YEAR": (
        gettext_lazy("Quarters this year"),
        _within_year(PeriodType.QUARTERLY),
    ),
    "QUARTERS_LAST_YEAR": (
        gettext_lazy("Quarters last year"),
        _within_year(PeriodType.QUARTERLY, 1),
    ),
    "THIS_SIX_MONTH": (gettext_lazy("This six-month"), _this(PeriodType.SIX_MONTHLY)),
    "LAST_SIX_MONTH": (gettext_lazy("Last six-month"), _this(PeriodType.SIX_MONTHLY, 1)),
    "LAST_2_SIXMONTHS": (
        gettext_lazy("Last 2 six-months"),
        _last(PeriodType.SIX_MONTHLY, 2),
    ),
    "THIS_YEAR": (gettext_lazy("This year"), _this(PeriodType.YEARLY)),
    "LAST_YEAR": (gettext_lazy("Last year"), _this(PeriodType.YEARLY, 1)),
    "LAST_5_YEARS": (gettext_lazy("Last 5 years"), _last(PeriodType.YEARLY, 5)),
    "LAST_10_YEARS": (gettext_lazy("Last 10 years"), _last(PeriodType.YEARLY, 10)),
}


def is_relative(item: str) -> bool:
    return (item or "").strip().upper() in RELATIVE_PERIODS


def relative_period_name(item: str) -> str:
    return str(RELATIVE_PERIODS[item.strip().upper()][0])


def resolve_period(item: str, reference_date: datetime.date | None = None) -> list[Period]:
    """The fixed periods an ISO period or a relative period names; PeriodError otherwise."""
    text = (item or "").strip()
    key = text.upper()
    if key in RELATIVE_PERIODS:
        return RELATIVE_PERIODS[key][1](reference_date or timezone.localdate())
    try:
        return [parse_period(text)]
    except PeriodError:
        raise PeriodError(
            _(
                "“%(value)s” is neither a period (2024, 2024S1, 2024Q1, 202401, 2024W5, "
                "20240115) nor a relative period such as LAST_12_MONTHS."
            )
            % {"value": item}
        ) from None


def resolve_periods(
    items: Iterable[str], reference_date: datetime.date | None = None
) -> list[Period]:
    """Every fixed period the items name, in the order given, without repeats."""
    seen: dict[str, Period] = {}
    for item in items:
        for period in resolve_period(item, reference_date):
            seen.setdefault(period.id, period)
    return list(seen.values())
