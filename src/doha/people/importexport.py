"""Exports of the staff register and the CME shortfall list (identifiers masked)."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.core import tabular

WORKER_COLUMNS = [
    ("uid", gettext_lazy("UID")),
    ("facility_code", gettext_lazy("Facility code")),
    ("facility", gettext_lazy("Facility")),
    ("full_name", gettext_lazy("Full name")),
    ("title", gettext_lazy("Title")),
    ("sex", gettext_lazy("Sex")),
    ("birth_year", gettext_lazy("Year of birth")),
    ("profession", gettext_lazy("Profession")),
    ("specialty", gettext_lazy("Specialty")),
    ("position", gettext_lazy("Position")),
    ("licence_number", gettext_lazy("Licence number (masked)")),
    ("phone", gettext_lazy("Phone (masked)")),
    ("active", gettext_lazy("Working")),
]


def worker_export(queryset, fmt: str):
    queryset = queryset.select_related("facility", "specialty")

    def rows():
        for w in queryset:
            yield [
                w.uid,
                w.facility.code,
                w.facility.name,
                w.full_name,
                w.title,
                w.get_sex_display(),
                w.birth_year or "",
                w.get_profession_display(),
                w.specialty.name if w.specialty else "",
                w.position,
                w.masked_licence,
                w.masked_phone,
                _("yes") if w.active else _("no"),
            ]

    return tabular.export_response(
        [str(label) for _key, label in WORKER_COLUMNS],
        rows(),
        fmt,
        "nhan-vien-y-te",
        sheet_title=_("Health workers"),
        widths=[14, 16, 40, 30, 10, 8, 10, 24, 24, 30, 18, 14, 8],
    )


def shortfall_export(workers, fmt: str):
    """``workers`` as returned by ``services.cme_shortfall`` (annotated)."""
    headers = [
        _("UID"),
        _("Facility code"),
        _("Facility"),
        _("Full name"),
        _("Profession"),
        _("Hours earned"),
        _("Hours required"),
        _("Hours missing"),
    ]
    required = settings.DOHA_CME_REQUIRED_HOURS

    def rows():
        for w in workers:
            yield [
                w.uid,
                w.facility.code,
                w.facility.name,
                str(w),
                w.get_profession_display(),
                float(w.cme_hours),
                required,
                float(w.cme_missing),
            ]

    return tabular.export_response(
        [str(h) for h in headers],
        rows(),
        fmt,
        "thieu-gio-cme",
        sheet_title=_("CME shortfall"),
        widths=[14, 16, 40, 30, 24, 12, 12, 12],
    )
