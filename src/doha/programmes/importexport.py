"""Exports to .xlsx: surveys, the province needs table, assessments, programmes, and one
programme with its parties, areas, items and progress.

Dates are written as Excel dates (shown dd/mm/yyyy), numbers and money (VND) as numbers, so
the sheets can be sorted and summed; labels are in the user's language.
"""

import datetime
import io
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from doha.core.tabular import append_text_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)


def _cell(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None:
        return ""
    if isinstance(value, (str, int, float, datetime.date)):
        return value
    return str(value)


def xlsx_response(stem: str, sheets: list[Sheet]) -> HttpResponse:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])
        ws.append([str(h) for h in sheet.headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            append_text_row(ws, [_cell(v) for v in row])  # text, never a formula
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, datetime.datetime):
                    cell.number_format = "DD/MM/YYYY HH:MM"
                elif isinstance(cell.value, datetime.date):
                    cell.number_format = "DD/MM/YYYY"
                elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                    cell.number_format = "#,##0"
        ws.freeze_panes = "A2"
        for index, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.xlsx"'
    return response


# ---------------------------------------------------------------- surveys


def export_surveys(queryset) -> HttpResponse:
    from django.db.models import Count, Q

    from doha.programmes.models import ResponseStatus

    queryset = queryset.select_related("organiser").annotate(
        n_asked=Count("facilities", distinct=True),
        n_submitted=Count(
            "responses", filter=Q(responses__status=ResponseStatus.SUBMITTED), distinct=True
        ),
    )
    sheet = Sheet(
        _("Needs surveys"),
        [
            _("Title"),
            _("Organiser"),
            _("Framework"),
            _("Opens on"),
            _("Deadline"),
            _("Status"),
            _("Facilities asked"),
            _("Answers submitted"),
            _("UID"),
        ],
        widths=[60, 40, 26, 12, 12, 18, 12, 12, 13],
    )
    for s in queryset:
        sheet.rows.append(
            [
                s.title,
                s.organiser.name,
                s.get_framework_display(),
                s.opens_on,
                s.deadline,
                s.get_status_display(),
                s.n_asked,
                s.n_submitted,
                s.uid,
            ]
        )
    return xlsx_response("khao-sat-nhu-cau", [sheet])


def export_survey(survey, facility_rows) -> HttpResponse:
    """One survey: every facility asked, whether and when it answered, its needs by kind."""
    sheet = Sheet(
        _("Facilities asked"),
        [
            _("Facility"),
            _("Code"),
            _("Answer"),
            _("Submitted at"),
            _("Techniques"),
            _("Training"),
            _("Remote consultation"),
            _("Equipment"),
        ],
        widths=[45, 18, 20, 18, 12, 12, 12, 12],
    )
    for row in facility_rows:
        r = row["response"]
        sheet.rows.append(
            [
                row["facility"].name,
                row["facility"].code,
                r.get_status_display() if r else _("Not answered"),
                r.submitted_at if r else None,
                *(
                    row["counts"].get(k, 0)
                    for k in ("technique", "training", "teleconsult", "equipment")
                ),
            ]
        )
    return xlsx_response(f"khao-sat-{survey.uid}", [sheet])


def export_needs(rows) -> HttpResponse:
    sheet = Sheet(
        _("Needs"),
        [
            _("Facility"),
            _("Facility code"),
            _("Survey"),
            _("Kind of need"),
            _("Need"),
            _("Specialty"),
            _("Quantity"),
            _("Unit"),
            _("Estimated value (VND)"),
            _("Priority"),
            _("Status"),
            _("Answer"),
            _("Note"),
        ],
        widths=[40, 16, 40, 20, 60, 22, 10, 12, 18, 10, 12, 16, 40],
    )
    for r in rows:
        sheet.rows.append(
            [
                r.facility.name,
                r.facility.code,
                r.survey.title,
                r.kind_label,
                r.description,
                r.specialty.name if r.specialty else "",
                r.quantity,
                r.quantity_label,
                r.estimated_value,
                r.need.get_priority_display(),
                r.need.get_status_display(),
                r.response.get_status_display(),
                r.need.note,
            ]
        )
    return xlsx_response("nhu-cau", [sheet])


# ---------------------------------------------------------------- assessments


def export_assessments(queryset) -> HttpResponse:
    queryset = queryset.select_related("facility", "assessor", "programme").prefetch_related(
        "specialties__specialty"
    )
    sheet = Sheet(
        _("Assessments"),
        [
            _("Facility assessed"),
            _("Assessing unit"),
            _("Date"),
            _("Staff (0-10)"),
            _("Equipment (0-10)"),
            _("Infrastructure (0-10)"),
            _("Overall"),
            _("Capacity per specialty"),
            _("Programme"),
            _("Conclusion"),
        ],
        widths=[40, 40, 12, 10, 10, 10, 10, 50, 40, 60],
    )
    for a in queryset:
        capacities = "; ".join(f"{c.specialty.name}: {c.score}" for c in a.specialties.all())
        sheet.rows.append(
            [
                a.facility.name,
                a.assessor.name,
                a.date,
                a.staff_score,
                a.equipment_score,
                a.infrastructure_score,
                a.overall_score,
                capacities,
                str(a.programme) if a.programme else "",
                a.conclusion,
            ]
        )
    return xlsx_response("tham-dinh-dieu-kien", [sheet])


# ---------------------------------------------------------------- programmes


def _parties_text(programme, side) -> str:
    return "; ".join(
        p.org_unit.name for p in programme.parties.all() if p.side == side and p.role == "signatory"
    ) or "; ".join(p.org_unit.name for p in programme.parties.all() if p.side == side)


def export_programmes(queryset) -> HttpResponse:
    from doha.programmes.models import ItemStatus, Side

    queryset = queryset.prefetch_related("parties__org_unit", "areas", "items")
    today = timezone.localdate()
    sheet = Sheet(
        _("Programmes"),
        [
            _("Number"),
            _("Title"),
            _("Kind"),
            _("Framework"),
            _("Signed on"),
            _("Start"),
            _("End"),
            _("Status"),
            _("Supporting side"),
            _("Receiving side"),
            _("Content areas"),
            _("Items"),
            _("Items done"),
            _("Items late"),
            _("UID"),
        ],
        widths=[16, 60, 24, 24, 12, 12, 12, 14, 40, 40, 50, 8, 8, 8, 13],
    )
    for p in queryset:
        items = list(p.items.all())
        sheet.rows.append(
            [
                p.number,
                p.title,
                p.get_kind_display(),
                p.get_framework_display(),
                p.signed_on,
                p.start_date,
                p.end_date,
                p.get_status_display(),
                _parties_text(p, Side.PROVIDER),
                _parties_text(p, Side.RECIPIENT),
                "; ".join(a.get_area_display() for a in p.areas.all()),
                len(items),
                sum(1 for i in items if i.status == ItemStatus.DONE),
                sum(
                    1
                    for i in items
                    if i.status in {ItemStatus.PLANNED, ItemStatus.IN_PROGRESS}
                    and i.planned_end < today
                ),
                p.uid,
            ]
        )
    return xlsx_response("chuong-trinh", [sheet])


def export_programme(programme, progress, transfers) -> HttpResponse:
    """One programme on four sheets: parties, content areas, items, progress."""
    parties = Sheet(
        _("Parties"),
        [_("Unit"), _("Side"), _("Role"), _("Content area"), _("Assignment")],
        widths=[45, 18, 20, 30, 60],
    )
    for p in programme.parties.select_related("org_unit"):
        parties.rows.append(
            [
                p.org_unit.name,
                p.get_side_display(),
                p.get_role_display(),
                p.get_area_display() if p.area else _("All"),
                p.assignment,
            ]
        )
    areas = Sheet(_("Content areas"), [_("Content area"), _("Description")], widths=[35, 80])
    for a in programme.areas.all():
        areas.rows.append([a.get_area_display(), a.description])
    items = Sheet(
        _("Items"),
        [
            _("No."),
            _("Item"),
            _("Content area"),
            _("Carried out by"),
            _("For"),
            _("Planned start"),
            _("Planned end"),
            _("Status"),
            _("Late"),
            _("Done on"),
            _("Result"),
        ],
        widths=[6, 60, 28, 35, 35, 12, 12, 14, 8, 12, 50],
    )
    for i in programme.items.select_related("provider", "recipient"):
        items.rows.append(
            [
                i.number,
                i.title,
                i.get_area_display(),
                i.provider.name if i.provider else "",
                i.recipient.name if i.recipient else "",
                i.planned_start,
                i.planned_end,
                i.get_status_display(),
                _("yes") if i.is_late else "",
                i.done_on,
                i.result,
            ]
        )
    summary = Sheet(_("Progress"), [_("Indicator"), _("Value")], widths=[45, 14])
    summary.rows += [
        [_("Items"), progress["total"]],
        [_("Items done"), progress["done"]],
        [_("Items in progress"), progress["in_progress"]],
        [_("Items planned"), progress["planned"]],
        [_("Items late"), progress["late"]],
        [_("Items cancelled"), progress["cancelled"]],
    ]
    for row in transfers:
        summary.rows.append([_("Transfers: %(state)s") % {"state": row["label"]}, row["n"]])
    stem = f"chuong-trinh-{programme.uid}"
    return xlsx_response(stem, [parties, areas, items, summary])
