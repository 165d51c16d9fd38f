"""Spreadsheets in and out: the pieces every import and export shares.

An import reads a .xlsx or .csv file (``read_rows``), maps its header to field keys
(``header_map``: keys or labels, in Vietnamese or English, accents and case ignored), checks
every row and reports each refused row with its number, the column and the reason
(``ImportReport``/``RowError``). The caller saves inside one transaction and rolls it back
(``Rollback``) when any row failed or when it only checks: all or nothing per file.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from doha.core.text import fold

Columns = Sequence[tuple[str, object]]  # (field key, translatable label)


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    # The file's columns, to name a refused field by the label the user sees.
    columns: Columns = ()
    # Remarks that refuse nothing (ignored columns, records created on the way).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def refused_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row})

    def error(self, row, field_key, message):
        self.errors.append(RowError(row, self.label(field_key), str(message)))

    def label(self, key) -> str:
        for k, label in self.columns:
            if k == key:
                return str(label)
        return str(key) if key else ""


def header_map(header: list, columns: Columns, aliases: dict[str, str] | None = None):
    """Column index -> field key, and the header cells that name no known column.

    A header cell may be the key itself or its label in Vietnamese or English;
    ``aliases`` adds further folded spellings (e.g. "ten ky thuat" -> "name").
    """
    known = dict(aliases or {})
    for key, label in columns:
        known[fold(key)] = key
        for lang in ("vi", "en"):
            with translation.override(lang):
                known[fold(str(label))] = key
    mapping, unknown = {}, []
    for i, name in enumerate(header):
        text = fold(str(name or ""))
        if not text:
            continue
        if text in known:
            mapping[i] = known[text]
        else:
            unknown.append(str(name))
    return mapping, unknown


class ChoiceLookup:
    """A choice written by its value or its label, in Vietnamese or English."""

    def __init__(self, choices):
        self.values = {}
        for value, label in choices.choices:
            self.values[fold(value)] = value
            for lang in ("vi", "en"):
                with translation.override(lang):
                    self.values[fold(str(label))] = value
                    # "Initial (ban đầu)" also matches "ban đầu" and "initial".
                    text = str(label)
                    if "(" in text:
                        self.values[fold(text.split("(")[0])] = value
                        self.values[fold(text.split("(")[1].rstrip(")"))] = value

    def __call__(self, text):
        return self.values.get(fold(text))


def parse_date(value):
    """A cell as a date: a spreadsheet date, or text in dd/mm/yyyy (or ISO) form."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


def parse_bool(value, empty=True):
    """yes/no in Vietnamese or English (có/không, x, 1/0); an empty cell is ``empty``."""
    if value in (None, ""):
        return empty
    if isinstance(value, bool):
        return value
    text = fold(str(value))
    if text in {"1", "yes", "co", "true", "x", "active", "hoat dong"}:
        return True
    if text in {"0", "no", "khong", "false", "inactive", "ngung hoat dong"}:
        return False
    raise ValueError


def read_rows(uploaded) -> list[list]:
    """Every row of the first sheet (or of the CSV file), empty rows included, so that
    ``index + 1`` is the row number the user sees in their spreadsheet."""
    name = uploaded.name.lower()
    data = uploaded.read()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "cp1258", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        sample = text[:4096]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [row for row in csv.reader(io.StringIO(text), dialect)]
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


def is_blank_row(row) -> bool:
    return not any(c not in (None, "") and str(c).strip() for c in row)


class Rollback(Exception):
    """Raised inside the import's transaction to undo it (refused rows, or check only)."""


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(
    headers: list[str],
    rows: Iterable[list],
    fmt: str,
    filename: str,
    sheet_title: str = "",
    widths: Sequence[int] = (),
) -> HttpResponse:
    """A download of ``rows`` as .csv (UTF-8 with BOM, for Excel) or .xlsx (bold, frozen
    header). ``filename`` has no extension; today's date is added to it."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(row)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
        return response
    wb = Workbook()
    ws = wb.active
    ws.title = (sheet_title or _("Data"))[:31]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    for index, width in enumerate(widths):
        ws.column_dimensions[_column_letter(index)].width = width
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def set_dates(obj, values: dict, keys, report: ImportReport, number: int) -> None:
    """Set each date column present in the row; an unreadable date is a row error."""
    for key in keys:
        if key in values:
            try:
                setattr(obj, key, parse_date(values[key]))
            except ValueError:
                report.error(
                    number,
                    key,
                    _("Not a date: %(value)s (write dd/mm/yyyy).") % {"value": values[key]},
                )


def read_active(values: dict, current: bool, report: ImportReport, number: int) -> bool:
    """The row's "active" column (yes/no in Vietnamese or English), or ``current``."""
    if "active" not in values:
        return current
    try:
        return parse_bool(values["active"])
    except ValueError:
        report.error(
            number, "active", _("Write yes or no, not %(value)s.") % {"value": values["active"]}
        )
        return current
