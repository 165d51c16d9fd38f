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
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from doha.core.text import fold, format_number

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


# Limits on an uploaded spreadsheet, so that a huge or hostile file gets a clear refusal
# instead of filling the server's memory. Settings may lower or raise them.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# An .xlsx file is a zip archive: a small file may unpack to gigabytes ("zip bomb").
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_READ_ROWS = 100_000


class UnreadableFile(ValueError):
    """The file as a whole cannot be read; the message says why and what to do."""


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _megabytes(size: int) -> str:
    return format_number(size / (1024 * 1024), 1)


def read_rows(uploaded) -> list[list]:
    """Every row of the first sheet (or of the CSV file), empty rows included, so that
    ``index + 1`` is the row number the user sees in their spreadsheet.

    Raises ``UnreadableFile`` with a message for the user when the file is too large,
    damaged or cut off, not UTF-8 (CSV), or of another type than .xlsx/.csv.
    """
    name = (getattr(uploaded, "name", "") or "").lower()
    limit = _limit("DOHA_IMPORT_MAX_BYTES", MAX_UPLOAD_BYTES)
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise UnreadableFile(_too_large(size, limit))
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(_too_large(len(data), limit))
    if name.endswith(".csv"):
        return _read_csv(data)
    if (
        name.endswith((".xls", ".ods"))
        or not name.endswith((".xlsx", ".xlsm"))
        and (data[:2] != b"PK")
    ):
        raise UnreadableFile(
            _(
                "Only .xlsx and .csv files can be read. Open the file in Excel and save it as "
                "“Excel Workbook (.xlsx)” or “CSV UTF-8”."
            )
        )
    return _read_xlsx(data)


def _too_large(size: int, limit: int) -> str:
    return _(
        "The file is too large (%(size)s MB; at most %(limit)s MB). Split it into smaller "
        "files and import them one after the other."
    ) % {"size": _megabytes(size), "limit": _megabytes(limit)}


def _read_csv(data: bytes) -> list[list]:
    try:
        # A byte-order mark (Excel's "CSV UTF-8") is dropped.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Windows-1258, TCVN3 (ABC) and VNI are not refused for being rare but because
        # they cannot be told apart: almost any byte string is valid in each of them, so
        # guessing would store garbled names without a word. UTF-8 can be checked.
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableFile(
            _(
                "The file is not UTF-8 text (line %(line)s): it looks like an old Vietnamese "
                "encoding (Windows-1258, TCVN3/ABC or VNI). In Excel choose Save As → "
                "“CSV UTF-8 (Comma delimited)”, or convert the text to Unicode with Unikey, "
                "then import the file again."
            )
            % {"line": line}
        ) from exc
    if "\x00" in text:
        raise UnreadableFile(_("The file contains binary data: it is not a CSV text file."))
    delimiter = _delimiter(text)
    limit = _limit("DOHA_IMPORT_MAX_READ_ROWS", MAX_READ_ROWS)
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            if len(rows) > limit:
                raise UnreadableFile(_too_many_rows())
    except csv.Error as exc:
        raise UnreadableFile(
            _("The CSV file cannot be read (line %(line)s): %(error)s")
            % {"line": len(rows) + 1, "error": exc}
        ) from exc
    return rows


def _delimiter(text: str) -> str:
    """Comma, or the semicolon Excel writes under a Vietnamese (or other European) locale,
    or a tab: the one that splits the first non-empty line into the most columns."""
    for line in text.splitlines():
        if line.strip():
            break
    else:
        return ","
    best, best_count = ",", 0
    for candidate in (",", ";", "\t"):
        try:
            count = len(next(csv.reader([line], delimiter=candidate)))
        except (csv.Error, StopIteration):
            continue
        if count > best_count:
            best, best_count = candidate, count
    return best


def _too_many_rows() -> str:
    return _("The file has more than %(n)s rows. Split it into smaller files.") % {
        "n": _limit("DOHA_IMPORT_MAX_READ_ROWS", MAX_READ_ROWS)
    }


def _damaged() -> str:
    return _(
        "The .xlsx file is damaged or incomplete (it may have been cut off while copying or "
        "uploading). Open it in Excel, save it again and import it again."
    )


def _read_xlsx(data: bytes) -> list[list]:
    if data[:2] != b"PK":
        raise UnreadableFile(_("The file cannot be read: it is not a valid .xlsx or .csv file."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            if archive.testzip() is not None:
                raise UnreadableFile(_damaged())
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise UnreadableFile(_damaged()) from exc
    if unzipped > _limit("DOHA_IMPORT_MAX_UNZIPPED_BYTES", MAX_UNZIPPED_BYTES):
        raise UnreadableFile(
            _("The .xlsx file unpacks to more than %(limit)s MB. Split it into smaller files.")
            % {"limit": _megabytes(_limit("DOHA_IMPORT_MAX_UNZIPPED_BYTES", MAX_UNZIPPED_BYTES))}
        )
    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise UnreadableFile(_damaged()) from exc
    try:
        if not values.worksheets:
            return []
        rows = []
        limit = _limit("DOHA_IMPORT_MAX_READ_ROWS", MAX_READ_ROWS)
        pairs = zip_longest(
            values.worksheets[0].iter_rows(values_only=True),
            formulas.worksheets[0].iter_rows(values_only=True),
            fillvalue=(),
        )
        for shown, written in pairs:
            # A formula without a saved result (a file not written by Excel) is read as its
            # text, never evaluated: "=HYPERLINK(...)" is kept as the characters typed.
            row = [
                w if v is None and isinstance(w, str) and w.startswith("=") else v
                for v, w in zip_longest(shown, written)
            ]
            rows.append(row)
            if len(rows) > limit:
                raise UnreadableFile(_too_many_rows())
        return rows
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - a cut or malformed sheet inside the archive
        raise UnreadableFile(_damaged()) from exc
    finally:
        values.close()
        formulas.close()


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
        writer.writerow([csv_safe(h) for h in headers])
        for row in rows:
            writer.writerow([csv_safe(v) for v in row])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
        return response
    wb = Workbook()
    ws = wb.active
    ws.title = (sheet_title or _("Data"))[:31]
    append_text_row(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_text_row(ws, row)
    ws.freeze_panes = "A2"
    for index, width in enumerate(widths):
        ws.column_dimensions[_column_letter(index)].width = width
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response


# A cell starting with one of these is run as a formula by Excel or LibreOffice when a
# CSV file is opened ("CSV injection": =HYPERLINK(...), +cmd|..., -2+3, @SUM(...)).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# "-5", "-12,5", "+84912345678": a number (or a phone number) that no spreadsheet runs.
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)*$")


def csv_safe(value):
    """A CSV cell that no spreadsheet runs as a formula: text starting with = + - @ (or a
    tab/carriage return) gets a leading apostrophe, which Excel shows as plain text.
    Numbers (including negative ones) are left as they are."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_PREFIXES)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


def append_text_row(ws, row) -> None:
    """Append ``row`` to an openpyxl sheet with every text cell stored as text: openpyxl
    otherwise writes a string starting with "=" as a formula that Excel would run."""
    ws.append(list(row))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# Dates outside these years are typing mistakes (01/01/1800, 2204 for 2024), not records.
EARLIEST_DATE = datetime.date(1900, 1, 1)
YEARS_AHEAD = 10


def date_range_error(value: datetime.date | None) -> str | None:
    """Why ``value`` is out of the range any record of doha may hold, or None."""
    if value is None:
        return None
    latest = datetime.date(timezone.localdate().year + YEARS_AHEAD, 12, 31)
    if EARLIEST_DATE <= value <= latest:
        return None
    return _("The date %(value)s is out of range: it must be between %(first)s and %(last)s.") % {
        "value": value.strftime("%d/%m/%Y"),
        "first": EARLIEST_DATE.strftime("%d/%m/%Y"),
        "last": latest.strftime("%d/%m/%Y"),
    }


def set_dates(obj, values: dict, keys, report: ImportReport, number: int) -> None:
    """Set each date column present in the row; an unreadable date, or one before 1900 or
    more than ten years ahead, is a row error."""
    for key in keys:
        if key in values:
            try:
                value = parse_date(values[key])
            except ValueError:
                report.error(
                    number,
                    key,
                    _("Not a date: %(value)s (write dd/mm/yyyy).") % {"value": values[key]},
                )
                continue
            problem = date_range_error(value)
            if problem:
                report.error(number, key, problem)
                continue
            setattr(obj, key, value)


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
