"""A pivot table and chart series from an analytics answer in DHIS2's shape.

The query layer answers ``{"headers", "metaData": {"items", "dimensions"}, "rows"}``; this
module lays it out: some dimensions down the rows, the others across the columns, in the
order of ``metaData.dimensions``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from doha.core.text import format_number

DIMENSIONS = ("dx", "pe", "ou")


@dataclass
class Pivot:
    row_dims: list[str]
    col_dims: list[str]
    row_keys: list[tuple]
    col_keys: list[tuple]
    names: dict[str, str]
    cells: dict[tuple, float] = field(default_factory=dict)

    def label(self, key: tuple) -> str:
        return " · ".join(self.names.get(k, k) for k in key)

    def value(self, row_key: tuple, col_key: tuple):
        return self.cells.get((row_key, col_key))

    def body(self, decimals: int = 1):
        """Rows of (labels, [formatted cells]) for a template."""
        out = []
        for row_key in self.row_keys:
            values = [self.value(row_key, c) for c in self.col_keys]
            out.append(
                (
                    [self.names.get(k, k) for k in row_key],
                    [_fmt(v, decimals) for v in values],
                )
            )
        return out

    def header_rows(self):
        """One header row per column dimension (labels repeated across spans)."""
        rows = []
        for level in range(len(self.col_dims)):
            row = []
            for key, group in itertools.groupby(self.col_keys, key=lambda k: k[: level + 1]):
                span = len(list(group))
                row.append((self.names.get(key[-1], key[-1]), span))
            rows.append(row)
        return rows

    def table(self):
        """Headers and raw rows for .xlsx/.csv export (numbers stay numbers)."""
        headers = [_dim_title(d) for d in self.row_dims] + [self.label(c) for c in self.col_keys]
        rows = []
        for row_key in self.row_keys:
            rows.append(
                [self.names.get(k, k) for k in row_key]
                + [self.value(row_key, c) for c in self.col_keys]
            )
        return headers, rows

    def series(self):
        """Chart series: one per row key, values along the column keys."""
        return [
            (self.label(row_key), [self.value(row_key, c) for c in self.col_keys])
            for row_key in self.row_keys
        ]

    @property
    def is_empty(self):
        return not self.cells


def _fmt(value, decimals):
    if value is None:
        return ""
    if float(value).is_integer():
        return format_number(value, 0)
    return format_number(value, decimals)


def _dim_title(dim: str) -> str:
    from django.utils.translation import gettext as _

    return {"dx": _("Data"), "pe": _("Period"), "ou": _("Org unit")}.get(dim, dim)


def build_pivot(answer: dict, rows=("ou", "dx"), columns=("pe",)) -> Pivot:
    """Lay out a DHIS2-shaped analytics answer."""
    headers = [h["name"] for h in answer.get("headers", [])]
    meta = answer.get("metaData", {})
    items = meta.get("items", {})
    names = {uid: item.get("name", uid) for uid, item in items.items()}
    dimensions = meta.get("dimensions", {})
    rows = [d for d in rows if d in headers]
    columns = [d for d in columns if d in headers and d not in rows]
    # A dimension neither in rows nor columns but answered goes down the rows.
    for dim in DIMENSIONS:
        if dim in headers and dim not in rows and dim not in columns:
            rows.append(dim)

    def ordered(dim):
        return list(dimensions.get(dim, []))

    index = {name: i for i, name in enumerate(headers)}
    value_at = index.get("value")
    cells = {}
    seen_rows, seen_cols = set(), set()
    for record in answer.get("rows", []):
        row_key = tuple(record[index[d]] for d in rows)
        col_key = tuple(record[index[d]] for d in columns)
        try:
            number = float(record[value_at])
        except (TypeError, ValueError):
            continue
        cells[(row_key, col_key)] = number
        seen_rows.add(row_key)
        seen_cols.add(col_key)

    def keys(dims, seen):
        combos = itertools.product(*[ordered(d) for d in dims]) if dims else [()]
        listed = [tuple(c) for c in combos]
        # Keep the dimension order; add anything answered but not listed.
        extra = sorted(seen - set(listed))
        return [k for k in listed if k in seen] + extra

    return Pivot(
        row_dims=rows,
        col_dims=columns,
        row_keys=keys(rows, seen_rows),
        col_keys=keys(columns, seen_cols),
        names=names,
        cells=cells,
    )
