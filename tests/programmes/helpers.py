"""Posting forms with formsets, as a browser does."""

import io

from openpyxl import load_workbook

NEED_PREFIXES = ("technique", "training", "teleconsult", "equipment")
PROGRAMME_PREFIXES = ("parties", "areas", "items")


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    """The POST data of a formset: its management form and one entry per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = "" if value is None else value
    return data


def post_data(form: dict, prefixes, **formsets) -> dict:
    data = dict(form)
    for prefix in prefixes:
        data.update(formset(prefix, formsets.get(prefix, [])))
    return data


def sheets(response) -> dict[str, list[list]]:
    """Every sheet of an .xlsx download: title -> rows (header first), values as written."""
    wb = load_workbook(io.BytesIO(response.content))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
