"""DHIS2 period identifiers: parse, name, roll up.

Supported: ``2024`` (year), ``2024S1``/``2024S2`` (six-month), ``2024Q1`` (quarter),
``202401`` (month), ``2024W05`` (ISO week), ``20240115`` (day). A period knows its type, its
first and last day, and which periods of a longer type contain it.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from doha.aggregate.models import PeriodType

_PATTERNS = [
    (re.compile(r"^(\d{4})$"), PeriodType.YEARLY),
    (re.compile(r"^(\d{4})S([12])$"), PeriodType.SIX_MONTHLY),
    (re.compile(r"^(\d{4})Q([1-4])$"), PeriodType.QUARTERLY),
    (re.compile(r"^(\d{4})(0[1-9]|1[0-2])$"), PeriodType.MONTHLY),
    (re.compile(r"^(\d{4})W(\d{1,2})$"), PeriodType.WEEKLY),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), PeriodType.DAILY),
]

# Longest first: the order periods roll up in.
TYPE_ORDER = [
    PeriodType.DAILY,
    PeriodType.WEEKLY,
    PeriodType.MONTHLY,
    PeriodType.QUARTERLY,
    PeriodType.SIX_MONTHLY,
    PeriodType.YEARLY,
]


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: datetime.date
    end: datetime.date
    period_type: str
    id: str

    def __str__(self):
        return self.id

    @property
    def name(self) -> str:
        """How a Vietnamese user reads the period: "Tháng 01/2024", "Quý 1/2024"."""
        s = self.start
        if self.period_type == PeriodType.YEARLY:
            return _("Year %(year)s") % {"year": s.year}
        if self.period_type == PeriodType.SIX_MONTHLY:
            return _("Six months %(n)s/%(year)s") % {"n": 1 if s.month == 1 else 2, "year": s.year}
        if self.period_type == PeriodType.QUARTERLY:
            return _("Quarter %(n)s/%(year)s") % {"n": (s.month - 1) // 3 + 1, "year": s.year}
        if self.period_type == PeriodType.MONTHLY:
            return _("Month %(month)s/%(year)s") % {"month": f"{s.month:02d}", "year": s.year}
        if self.period_type == PeriodType.WEEKLY:
            year, week, _day = s.isocalendar()
            return _("Week %(n)s/%(year)s") % {"n": week, "year": year}
        return s.strftime("%d/%m/%Y")

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def next(self) -> Period:
        return period_containing(self.end + datetime.timedelta(days=1), self.period_type)

    def previous(self) -> Period:
        return period_containing(self.start - datetime.timedelta(days=1), self.period_type)

    def same_period_last_year(self) -> Period:
        if self.period_type == PeriodType.WEEKLY:
            year, week, _day = self.start.isocalendar()
            return parse_period(f"{year - 1}W{week:02d}")
        start = self.start.replace(year=self.start.year - 1, day=1)
        return period_containing(start, self.period_type)

    def months(self) -> list[Period]:
        """The months this period covers (a week or a day gives the month it starts in)."""
        out = []
        cursor = datetime.date(self.start.year, self.start.month, 1)
        while cursor <= self.end:
            out.append(period_containing(cursor, PeriodType.MONTHLY))
            cursor = _add_months(cursor, 1)
        return out


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def parse_period(value: str) -> Period:
    """The period a DHIS2 identifier names; PeriodError when it names none."""
    text = (value or "").strip()
    for pattern, period_type in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        if not 1900 <= year <= 2200:
            break
        try:
            if period_type == PeriodType.YEARLY:
                start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
            elif period_type == PeriodType.SIX_MONTHLY:
                half = int(match.group(2))
                start = datetime.date(year, 1 if half == 1 else 7, 1)
                end = _month_end(year, 6 if half == 1 else 12)
            elif period_type == PeriodType.QUARTERLY:
                quarter = int(match.group(2))
                start = datetime.date(year, 3 * quarter - 2, 1)
                end = _month_end(year, 3 * quarter)
            elif period_type == PeriodType.MONTHLY:
                month = int(match.group(2))
                start, end = datetime.date(year, month, 1), _month_end(year, month)
            elif period_type == PeriodType.WEEKLY:
                week = int(match.group(2))
                start = datetime.date.fromisocalendar(year, week, 1)
                end = start + datetime.timedelta(days=6)
                text = f"{year}W{week}"
            else:
                start = end = datetime.date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            break
        return Period(start, end, period_type, text)
    raise PeriodError(
        _("“%(value)s” is not a period (use 2024, 2024S1, 2024Q1, 202401, 2024W5 or 20240115).")
        % {"value": value}
    )


def period_containing(day: datetime.date, period_type: str) -> Period:
    if period_type == PeriodType.YEARLY:
        return parse_period(f"{day.year}")
    if period_type == PeriodType.SIX_MONTHLY:
        return parse_period(f"{day.year}S{1 if day.month <= 6 else 2}")
    if period_type == PeriodType.QUARTERLY:
        return parse_period(f"{day.year}Q{(day.month - 1) // 3 + 1}")
    if period_type == PeriodType.MONTHLY:
        return parse_period(f"{day.year}{day.month:02d}")
    if period_type == PeriodType.WEEKLY:
        year, week, _day = day.isocalendar()
        return parse_period(f"{year}W{week}")
    return parse_period(day.strftime("%Y%m%d"))


def periods_between(start: datetime.date, end: datetime.date, period_type: str) -> list[Period]:
    """Every period of ``period_type`` that overlaps [start, end], in order."""
    out = []
    current = period_containing(start, period_type)
    while current.start <= end:
        out.append(current)
        current = current.next()
    return out
