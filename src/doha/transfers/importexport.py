"""Technique transfers to .xlsx and .csv (what the list shows, filtered, within scope)."""

import csv
import io

from django.db.models import Q, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from doha.core.tabular import append_text_row, csv_safe
from doha.transfers.models import CaseKind

COLUMNS = [
    ("uid", gettext_lazy("UID"), 13),
    ("technique_code", gettext_lazy("Technique code"), 12),
    ("technique", gettext_lazy("Technique"), 45),
    ("specialty", gettext_lazy("Specialty"), 22),
    ("provider", gettext_lazy("Transferring facility"), 35),
    ("recipient", gettext_lazy("Receiving facility"), 35),
    ("programme", gettext_lazy("Programme"), 35),
    ("state", gettext_lazy("State"), 20),
    ("state_date", gettext_lazy("State since"), 12),
    ("planned_start", gettext_lazy("Planned start"), 12),
    ("planned_end", gettext_lazy("Planned end"), 12),
    ("supervised", gettext_lazy("Supervised cases"), 10),
    ("independent", gettext_lazy("Independent cases"), 10),
    ("needed", gettext_lazy("Independent cases needed"), 10),
    ("level_exception", gettext_lazy("Level exception"), 10),
    ("level_exception_reason", gettext_lazy("Reason for the exception"), 30),
    ("cancel_reason", gettext_lazy("Reason for cancelling"), 30),
]


def with_case_totals(queryset):
    return queryset.annotate(
        supervised_total=Sum(
            "case_records__count", filter=Q(case_records__kind=CaseKind.SUPERVISED)
        ),
        independent_total=Sum(
            "case_records__count", filter=Q(case_records__kind=CaseKind.INDEPENDENT)
        ),
    )


def _date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def _row_values(t) -> list:
    return [
        t.uid,
        t.technique.code,
        t.technique.name,
        t.technique.specialty.name,
        t.provider.name,
        t.recipient.name,
        str(t.programme) if t.programme_id else "",
        t.get_state_display(),
        _date(t.state_date),
        _date(t.planned_start),
        _date(t.planned_end),
        t.supervised_total or 0,
        t.independent_total or 0,
        t.min_independent_cases,
        _("yes") if t.level_exception else _("no"),
        t.level_exception_reason,
        t.cancel_reason,
    ]


def export_response(queryset, fmt: str) -> HttpResponse:
    queryset = with_case_totals(
        queryset.select_related("technique__specialty", "provider", "recipient", "programme")
    ).order_by("-state_date", "pk")
    headers = [str(label) for _key, label, _width in COLUMNS]
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for t in queryset.iterator(chunk_size=1000):
            writer.writerow([csv_safe(v) for v in _row_values(t)])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="chuyen-giao-ky-thuat-{stamp}.csv"'
        return response
    wb = Workbook()
    ws = wb.active
    ws.title = _("Technique transfers")[:31]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for t in queryset.iterator(chunk_size=1000):
        append_text_row(ws, _row_values(t))  # text, never a formula
    ws.freeze_panes = "A2"
    for index, (_key, _label, width) in enumerate(COLUMNS):
        ws.column_dimensions[ws.cell(row=1, column=index + 1).column_letter].width = width
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="chuyen-giao-ky-thuat-{stamp}.xlsx"'
    return response
