"""Exports of the staff register and the CME shortfall list (identifiers masked), and the
import of the staff register from .xlsx or .csv (all or nothing per file)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.catalog.models import Specialty
from doha.core import tabular
from doha.core.tabular import (
    ChoiceLookup,
    ImportReport,
    Rollback,
    UnreadableFile,
    header_map,
    is_blank_row,
    read_rows,
)
from doha.core.text import fold, nfc
from doha.orgunits.models import OrgUnit
from doha.people import services
from doha.people.forms import facilities_for
from doha.people.models import HealthWorker, Profession, Sex

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


# The import of the staff register ----------------------------------------------------------
#
# All or nothing per file, as for facilities: every row goes through the same service as the
# form and the API (services.create_worker/update_worker), inside one transaction that is
# rolled back when any row is refused or when the user only checks the file.

IMPORT_COLUMNS = [
    ("facility_code", gettext_lazy("Facility code")),
    ("full_name", gettext_lazy("Full name")),
    ("title", gettext_lazy("Professional title")),
    ("sex", gettext_lazy("Sex")),
    ("birth_date", gettext_lazy("Date of birth")),
    ("profession", gettext_lazy("Profession")),
    ("specialty", gettext_lazy("Specialty")),
    ("position", gettext_lazy("Position")),
    ("licence_number", gettext_lazy("Practising licence number")),
    ("licence_date", gettext_lazy("Licence issued on")),
    ("phone", gettext_lazy("Phone")),
    ("active", gettext_lazy("Working")),
    # Columns of the export that an import reads past (masked or derived values).
    ("uid", gettext_lazy("UID")),
    ("facility", gettext_lazy("Facility")),
    ("birth_year", gettext_lazy("Year of birth")),
    ("licence_masked", gettext_lazy("Licence number (masked)")),
    ("phone_masked", gettext_lazy("Phone (masked)")),
]
IMPORT_READ_ONLY = {"uid", "facility", "birth_year", "licence_masked", "phone_masked"}
IMPORT_REQUIRED = ("facility_code", "full_name", "profession")
IMPORT_TEXT = ("full_name", "title", "position", "phone")
IMPORT_ALIASES = {"title": "title", "active": "active"}
IMPORT_MAX_ROWS = 20000


def _text(cell) -> str:
    """A cell as text: Excel turns licence and phone numbers into numbers."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return nfc(str(cell)).strip()


def import_workers(uploaded, user, dry_run: bool = False) -> ImportReport:
    report = ImportReport(dry_run=dry_run, columns=IMPORT_COLUMNS)
    try:
        rows = read_rows(uploaded)
    except UnreadableFile as exc:
        report.error(0, "", str(exc))
        return report
    except Exception:  # noqa: BLE001 - any unreadable file gets the same clear answer
        report.error(0, "", _("The file cannot be read: it is not a valid .xlsx or .csv file."))
        return report
    rows = [r for r in rows if not is_blank_row(r)]
    if not rows:
        report.error(0, "", _("The file is empty."))
        return report
    mapping, unknown = header_map(rows[0], IMPORT_COLUMNS, IMPORT_ALIASES)
    if unknown:
        report.error(1, "", _("Unknown columns: %(names)s") % {"names": ", ".join(unknown)})
    for required in IMPORT_REQUIRED:
        if required not in mapping.values():
            report.error(1, required, _("This column is missing."))
    if len(rows) - 1 > IMPORT_MAX_ROWS:
        report.error(0, "", _("At most %(n)s rows per file.") % {"n": IMPORT_MAX_ROWS})
    if report.errors:
        return report
    report.rows = len(rows) - 1
    try:
        with transaction.atomic():
            _import_worker_rows(rows, mapping, user, report)
            if report.errors or dry_run:
                raise Rollback
    except Rollback:
        pass
    return report


def _import_worker_rows(rows, mapping, user, report):
    lookups = {"sex": ChoiceLookup(Sex), "profession": ChoiceLookup(Profession)}
    specialties = {}
    for specialty in Specialty.objects.filter(active=True):
        specialties[fold(specialty.code)] = specialty
        specialties.setdefault(fold(specialty.name), specialty)
    facilities = {u.code.lower(): u for u in OrgUnit.objects.all().only("pk", "code", "active")}
    may_add = set(facilities_for(user, "add").values_list("pk", flat=True))
    may_change = set(facilities_for(user, "change").values_list("pk", flat=True))
    changeable = HealthWorker.objects.restrict(user, "change")
    seen_licences = {}
    for number, raw in enumerate(rows[1:], start=2):
        values = {}
        for index, key in mapping.items():
            if key not in IMPORT_READ_ONLY:
                values[key] = raw[index] if index < len(raw) else None
        errors_before = len(report.errors)

        licence = _text(values.get("licence_number"))
        worker = None
        if licence:
            folded = licence.lower()
            if folded in seen_licences:
                report.error(
                    number,
                    "licence_number",
                    _("The licence number %(number)s is repeated (first on row %(row)s).")
                    % {"number": licence, "row": seen_licences[folded]},
                )
                continue
            seen_licences[folded] = number
            worker = HealthWorker.objects.filter(licence_number__iexact=licence).first()
            if worker is not None and not changeable.filter(pk=worker.pk).exists():
                report.error(
                    number, "licence_number", _("This health worker is outside your scope.")
                )
                continue
        is_new = worker is None
        if is_new:
            worker = HealthWorker(licence_number=licence)
        before = _worker_state(worker)

        if "facility_code" in values:
            code = _text(values["facility_code"])
            facility = facilities.get(code.lower()) if code else None
            allowed = may_add if is_new else may_change
            if not code:
                report.error(number, "facility_code", _("This field is required."))
            elif facility is None:
                report.error(
                    number, "facility_code", _("No unit has the code %(code)s.") % {"code": code}
                )
            elif facility.pk != worker.facility_id and not facility.active:
                report.error(number, "facility_code", _("This facility is closed."))
            elif facility.pk != worker.facility_id and facility.pk not in allowed:
                report.error(number, "facility_code", _("This unit is outside your scope."))
            else:
                worker.facility_id = facility.pk
        for key in IMPORT_TEXT:
            if key in values:
                setattr(worker, key, _text(values[key]))
        for key, lookup in lookups.items():
            if key not in values:
                continue
            text = _text(values[key])
            choice = lookup(text) if text else ""
            if choice is None:
                report.error(number, key, _("Unknown value: %(value)s") % {"value": text})
            else:
                setattr(worker, key, choice)  # an empty profession is refused by the model
        if "specialty" in values:
            text = _text(values["specialty"])
            specialty = specialties.get(fold(text)) if text else None
            if text and specialty is None:
                report.error(number, "specialty", _("Unknown value: %(value)s") % {"value": text})
            else:
                worker.specialty = specialty
        tabular.set_dates(worker, values, ("birth_date", "licence_date"), report, number)
        active = tabular.read_active(values, worker.active, report, number)
        if len(report.errors) > errors_before:
            continue
        try:
            with transaction.atomic():
                if is_new:
                    worker.active = True
                    services.create_worker(worker)
                else:
                    services.update_worker(worker)
                if not active and worker.active:
                    services.retire_worker(worker)
                elif active and not worker.active:
                    services.reactivate_worker(worker)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, messages in exc.message_dict.items():
                    for message in messages:
                        report.error(number, _import_field(key), message)
            else:
                for message in exc.messages:
                    report.error(number, "", message)
            continue
        if is_new:
            report.created += 1
        elif _worker_state(worker) != before:
            report.updated += 1
        else:
            report.unchanged += 1


def _import_field(model_field: str) -> str:
    if model_field == "__all__":
        return ""
    return {"facility": "facility_code"}.get(model_field, model_field)


def _worker_state(worker: HealthWorker) -> dict:
    return {
        f.attname: getattr(worker, f.attname)
        for f in HealthWorker._meta.concrete_fields
        if f.editable and f.attname not in ("created", "modified")
    }
