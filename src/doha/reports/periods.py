"""A report's period as the analytics query layer reads it, the same period a year before,
and the words a document uses for them."""

from __future__ import annotations

import calendar
import datetime

from django.utils.translation import gettext as _

from doha.aggregate.periods import periods_between


def period_bounds(period_kind: str, year: int | None, start=None, end=None):
    """(first day, last day) of a report's period; a range keeps its own dates."""
    if period_kind == "S1":
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    if period_kind == "S2":
        return datetime.date(year, 7, 1), datetime.date(year, 12, 31)
    if period_kind == "year":
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return start, end


def month_ids(start: datetime.date, end: datetime.date) -> list[str]:
    """The DHIS2 month identifiers from ``start``'s month to ``end``'s month."""
    return [p.id for p in periods_between(start, end, "Monthly")]


def period_ids(report) -> list[str]:
    """What the report's period is in DHIS2 identifiers: 2026S1, 2026, or months."""
    if report.period_kind == "S1":
        return [f"{report.year}S1"]
    if report.period_kind == "S2":
        return [f"{report.year}S2"]
    if report.period_kind == "year":
        return [str(report.year)]
    return month_ids(report.start_date, report.end_date)


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def previous_bounds(report) -> tuple[datetime.date, datetime.date]:
    start = _year_before(report.start_date)
    end = _year_before(report.end_date)
    if report.end_date.day == calendar.monthrange(report.end_date.year, report.end_date.month)[1]:
        end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    return start, end


def previous_period_ids(report) -> list[str]:
    """The same period a year before."""
    if report.period_kind in ("S1", "S2"):
        return [f"{report.year - 1}{report.period_kind}"]
    if report.period_kind == "year":
        return [str(report.year - 1)]
    start, end = previous_bounds(report)
    return month_ids(start, end)


def period_phrase(report) -> str:
    """ "6 tháng đầu năm 2026", "năm 2026", "từ tháng 03/2026 đến tháng 08/2026"."""
    if report.period_kind == "S1":
        return _("the first six months of %(year)s") % {"year": report.year}
    if report.period_kind == "S2":
        return _("the last six months of %(year)s") % {"year": report.year}
    if report.period_kind == "year":
        return _("the year %(year)s") % {"year": report.year}
    return _("the months from %(start)s to %(end)s") % {
        "start": report.start_date.strftime("%m/%Y"),
        "end": report.end_date.strftime("%m/%Y"),
    }


def short_period(report) -> str:
    """For table headings: "6T/2026", "2026", "03-08/2026"."""
    if report.period_kind in ("S1", "S2"):
        return _("H%(half)s/%(year)s") % {"half": report.period_kind[1], "year": report.year}
    if report.period_kind == "year":
        return str(report.year)
    return f"{report.start_date:%m/%Y}–{report.end_date:%m/%Y}"


def short_previous(report) -> str:
    if report.period_kind in ("S1", "S2"):
        return _("H%(half)s/%(year)s") % {"half": report.period_kind[1], "year": report.year - 1}
    if report.period_kind == "year":
        return str(report.year - 1)
    start, end = previous_bounds(report)
    return f"{start:%m/%Y}–{end:%m/%Y}"


def default_summary(report) -> str:
    """The trích yếu when the officer wrote none."""
    if report.kind == "programme" and report.programme_id:
        return _("Results of programme %(programme)s") % {"programme": report.programme}
    if report.period_kind == "year":
        return _("Health-sector review of %(period)s and tasks for %(next)s") % {
            "period": period_phrase(report),
            "next": report.year + 1,
        }
    if report.period_kind == "S1":
        return _("Health-sector review of %(period)s and tasks for the last six months") % {
            "period": period_phrase(report)
        }
    return _("Health-sector review of %(period)s") % {"period": period_phrase(report)}
