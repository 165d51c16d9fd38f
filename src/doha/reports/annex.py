"""The .xlsx annexes of reports: one sheet per table, numbers kept as numbers, text kept as
text (a facility name that starts with "=" is never written as a formula)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from doha.core.tabular import append_text_row

BOLD = Font(bold=True)


class Annex:
    """``Annex(title, subtitle)``; ``.sheet(name, headers, rows, widths)`` per table;
    ``.save() -> bytes``. Rows start on line 5 under the title, subtitle and headers."""

    def __init__(self, title: str, subtitle: str, decimals: int = 1):
        self.title, self.subtitle = title, subtitle
        self.decimal_format = "#,##0." + "0" * decimals
        self.book = Workbook()
        self.book.remove(self.book.active)

    def sheet(self, name, headers, rows, widths, freeze: str | None = "B5"):
        ws = self.book.create_sheet(str(name)[:31])
        append_text_row(ws, [self.title])
        ws["A1"].font = BOLD
        append_text_row(ws, [self.subtitle])
        ws.append([])
        append_text_row(ws, headers)
        for cell in ws[4]:
            cell.font = BOLD
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            append_text_row(ws, row)
        for index, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(index + 1)].width = width
        for row in ws.iter_rows(min_row=5):
            for cell in row:
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    integral = float(cell.value).is_integer()
                    cell.number_format = "#,##0" if integral else self.decimal_format
        if freeze:
            ws.freeze_panes = freeze
        return ws

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()
