"""Courses to .xlsx and .csv (what the list shows, filtered, within scope)."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.core.tabular import export_response

COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("Title"), 45),
    (gettext_lazy("Kind"), 25),
    (gettext_lazy("Organiser"), 35),
    (gettext_lazy("Venue"), 30),
    (gettext_lazy("Start date"), 12),
    (gettext_lazy("End date"), 12),
    (gettext_lazy("Credit hours"), 10),
    (gettext_lazy("Capacity"), 10),
    (gettext_lazy("Enrolled"), 10),
    (gettext_lazy("Passed"), 10),
    (gettext_lazy("Status"), 16),
    (gettext_lazy("Programme"), 35),
]


def with_counts(queryset):
    return queryset.annotate(
        enrolled=Count("enrolments", distinct=True),
        passed=Count("enrolments", filter=Q(enrolments__result="passed"), distinct=True),
    )


def _date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def export_courses(queryset, fmt: str):
    queryset = with_counts(queryset.select_related("organiser", "programme")).order_by(
        "-start_date", "pk"
    )
    rows = (
        [
            c.uid,
            c.title,
            c.get_kind_display(),
            c.organiser.name,
            _("Online") if c.online else c.venue,
            _date(c.start_date),
            _date(c.end_date),
            float(c.hours),
            c.capacity if c.capacity is not None else "",
            c.enrolled,
            c.passed,
            c.get_status_display(),
            str(c.programme) if c.programme_id else "",
        ]
        for c in queryset
    )
    return export_response(
        [str(label) for label, _w in COLUMNS],
        rows,
        fmt,
        "khoa-dao-tao",
        sheet_title=_("Courses"),
        widths=[w for _l, w in COLUMNS],
    )
