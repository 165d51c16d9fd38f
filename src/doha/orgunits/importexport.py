"""Facilities to and from .xlsx and .csv.

An import is all-or-nothing: every row is checked (types, codes, parents, scope, the model's
own rules) and, if any row is refused, nothing is saved and the report names each refused
row with its number, the field and the reason.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.core import tabular
from doha.core.tabular import (  # noqa: F401 - RowError and read_rows are used by callers
    ChoiceLookup,
    ImportReport,
    Rollback,
    RowError,
    UnreadableFile,
    header_map,
    is_blank_row,
    parse_bool,
    parse_date,
    read_rows,
)
from doha.core.text import nfc
from doha.orgunits import services
from doha.orgunits.models import (
    AdminEdition,
    AdminUnit,
    FacilityType,
    FormerLevel,
    OrgUnit,
    TechnicalLevel,
)

COLUMNS = [
    ("code", gettext_lazy("Code")),
    ("name", gettext_lazy("Name")),
    ("short_name", gettext_lazy("Short name")),
    ("facility_type", gettext_lazy("Type")),
    ("technical_level", gettext_lazy("Technical level")),
    ("former_level", gettext_lazy("Former level (tuyến)")),
    ("parent_code", gettext_lazy("Parent unit code")),
    ("admin_unit_code", gettext_lazy("Administrative unit code")),
    ("admin_unit", gettext_lazy("Administrative unit")),
    ("address", gettext_lazy("Address")),
    ("opening_date", gettext_lazy("Opening date")),
    ("closing_date", gettext_lazy("Closing date")),
    ("active", gettext_lazy("Active")),
    ("uid", gettext_lazy("UID")),
]
READ_ONLY = {"admin_unit", "uid"}
CHOICES = {
    "facility_type": FacilityType,
    "technical_level": TechnicalLevel,
    "former_level": FormerLevel,
}
MAX_ROWS = 20000


def _row_values(unit: OrgUnit) -> list:
    return [
        unit.code,
        unit.name,
        unit.short_name,
        unit.get_facility_type_display(),
        unit.get_technical_level_display() if unit.technical_level else "",
        unit.get_former_level_display() if unit.former_level else "",
        unit.parent.code if unit.parent_id else "",
        unit.admin_unit.code if unit.admin_unit_id else "",
        unit.admin_unit.full_name if unit.admin_unit_id else "",
        unit.address,
        unit.opening_date.strftime("%d/%m/%Y") if unit.opening_date else "",
        unit.closing_date.strftime("%d/%m/%Y") if unit.closing_date else "",
        _("yes") if unit.active else _("no"),
        unit.uid,
    ]


def export_response(queryset, fmt: str) -> HttpResponse:
    queryset = queryset.select_related("parent", "admin_unit__parent")
    return tabular.export_response(
        [str(label) for _key, label in COLUMNS],
        (_row_values(unit) for unit in queryset.iterator(chunk_size=1000)),
        fmt,
        "co-so-y-te",
        sheet_title=_("Facilities"),
        widths=[14, 45, 20, 28, 22, 18, 16, 12, 50, 30, 12, 12, 8, 13],
    )


def _header_map(header: list) -> tuple[dict[int, str], list[str]]:
    """Column index -> field key; headers may be keys or labels, in Vietnamese or English."""
    return header_map(header, COLUMNS)


def import_org_units(uploaded, user, dry_run: bool = False) -> ImportReport:
    report = ImportReport(dry_run=dry_run, columns=COLUMNS)
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
    mapping, unknown = _header_map(rows[0])
    if unknown:
        report.error(1, "", _("Unknown columns: %(names)s") % {"names": ", ".join(unknown)})
    for required in ("code", "name", "facility_type"):
        if required not in mapping.values():
            report.error(1, required, _("This column is missing."))
    if len(rows) - 1 > MAX_ROWS:
        report.error(0, "", _("At most %(n)s rows per file.") % {"n": MAX_ROWS})
    if report.errors:
        return report
    report.rows = len(rows) - 1
    try:
        with transaction.atomic():
            _import_rows(rows, mapping, user, report)
            if report.errors or dry_run:
                raise Rollback
    except Rollback:
        pass
    return report


def _import_rows(rows, mapping, user, report):
    lookups = {key: ChoiceLookup(choices) for key, choices in CHOICES.items()}
    changeable = OrgUnit.objects.restrict(user, "change")
    may_add = OrgUnit.objects.restrict(user, "add")
    seen_codes = {}
    today = timezone.localdate()
    for number, raw in enumerate(rows[1:], start=2):
        values = {}
        for index, key in mapping.items():
            if key in READ_ONLY:
                continue
            cell = raw[index] if index < len(raw) else None
            values[key] = nfc(cell) if isinstance(cell, str) else cell
        errors_before = len(report.errors)
        code = str(values.get("code") or "").strip()
        if not code:
            report.error(number, "code", _("The code is required."))
            continue
        if code in seen_codes:
            report.error(
                number,
                "code",
                _("The code %(code)s is repeated (first on row %(row)s).")
                % {"code": code, "row": seen_codes[code]},
            )
            continue
        seen_codes[code] = number
        existing = OrgUnit.objects.filter(code=code).first()
        if existing is not None and not changeable.filter(pk=existing.pk).exists():
            report.error(number, "code", _("This unit is outside your scope."))
            continue
        unit = existing or OrgUnit(code=code)
        previous_parent = unit.parent_id
        for key in ("name", "short_name", "address"):
            if key in values:
                setattr(unit, key, str(values[key] or "").strip())
        for key, lookup in lookups.items():
            if key not in values:
                continue
            text = str(values[key] or "").strip()
            if not text:
                if key == "facility_type":
                    report.error(number, key, _("This field is required."))
                setattr(unit, key, "")
                continue
            choice = lookup(text)
            if choice is None:
                report.error(number, key, _("Unknown value: %(value)s") % {"value": text})
            else:
                setattr(unit, key, choice)
        if "parent_code" in values:
            parent_code = str(values["parent_code"] or "").strip()
            if not parent_code:
                if not user.is_system_admin:
                    report.error(number, "parent_code", _("The parent unit is required."))
                unit.parent = None
            else:
                parent = OrgUnit.objects.filter(code=parent_code).first()
                if parent is None:
                    report.error(
                        number,
                        "parent_code",
                        _("No unit has the code %(code)s.") % {"code": parent_code},
                    )
                elif parent.pk != unit.parent_id and not may_add.filter(pk=parent.pk).exists():
                    # An unchanged parent may sit above the user's scope (the Department
                    # of Health's own parent): only a new place must be inside it.
                    report.error(number, "parent_code", _("This unit is outside your scope."))
                elif unit.pk and parent.path.startswith(unit.path):
                    report.error(
                        number,
                        "parent_code",
                        _("A unit cannot be placed under itself or its own sub-unit."),
                    )
                else:
                    unit.parent = parent
        elif unit.pk is None and not user.is_system_admin:
            report.error(number, "parent_code", _("The parent unit is required."))
        if "admin_unit_code" in values:
            au_code = str(values["admin_unit_code"] or "").strip()
            if au_code.isdigit() and len(au_code) < 5 and len(au_code) != 2:
                au_code = au_code.zfill(5)  # Excel drops leading zeros of commune codes
            if not au_code:
                unit.admin_unit = None
            else:
                admin_unit = (
                    AdminUnit.objects.filter(edition=AdminEdition.CURRENT, code=au_code)
                    .order_by("-level")
                    .first()
                )
                if admin_unit is None:
                    report.error(
                        number,
                        "admin_unit_code",
                        _("No administrative unit in force has the code %(code)s.")
                        % {"code": au_code},
                    )
                else:
                    unit.admin_unit = admin_unit
        tabular.set_dates(unit, values, ("opening_date", "closing_date"), report, number)
        active = tabular.read_active(values, unit.active, report, number)
        if len(report.errors) > errors_before:
            continue
        try:
            unit.full_clean(exclude=["parent"] if unit.parent_id else None)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                for message in messages:
                    report.error(number, _field_key(key), message)
            continue
        try:
            with transaction.atomic():
                if unit.pk is None:
                    unit.active = True
                    services.create_org_unit(unit)
                    report.created += 1
                else:
                    changed = _has_changes(unit)
                    services.update_org_unit(unit, previous_parent, today)
                    report.updated += int(changed)
                    report.unchanged += int(not changed)
                if not active and unit.active:
                    services.retire_org_unit(unit, unit.closing_date or today)
                elif active and not unit.active:
                    services.reactivate_org_unit(unit)
        except ValidationError as exc:
            for message in exc.messages:
                report.error(number, "", message)


def _field_key(model_field):
    return {"parent": "parent_code", "admin_unit": "admin_unit_code"}.get(model_field, model_field)


def _has_changes(unit):
    if unit.pk is None:
        return True
    stored = OrgUnit.objects.get(pk=unit.pk)
    fields = [f.attname for f in OrgUnit._meta.concrete_fields if f.editable]
    return any(getattr(stored, f) != getattr(unit, f) for f in fields)
