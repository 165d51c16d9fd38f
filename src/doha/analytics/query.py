"""The analytics query layer: dimensions in, a table of numbers out.

Pages, the API, dashboards and reports ask here and nowhere else::

    result = run_query(user, dx=["deUid", "deUid.cocUid", "indicatorUid"],
                       pe=["LAST_12_MONTHS", "2024Q1"], ou=["LEVEL-2", "USER_ORGUNIT"],
                       filters={"pe": ["2024"]}, boundaries="pre2025")
    result.rows            # [["deUid", "202401", "ouUid", 12.0], ...]
    result.value("deUid", "202401", "ouUid")
    result.as_dhis2()      # DHIS2's /api/analytics JSON
    result.as_table()      # (labels, rows with names) for .xlsx/.csv

Items
    dx: data elements (their total), operands ``de.coc``, ``de.*.aoc``, ``de.coc.aoc``,
    indicators. pe: ISO periods and relative periods (``doha.analytics.periods``). ou: UIDs,
    ``USER_ORGUNIT``, ``USER_ORGUNIT_CHILDREN``, ``USER_ORGUNIT_GRANDCHILDREN``,
    ``LEVEL-n`` (the other ou items, or the user's units, bound it), ``LEVEL-n-uid``.
    A dimension given as a filter is collapsed: its items are aggregated together.

Aggregation follows each data element's aggregation type: ``SUM`` (and ``NONE``) over
periods and units, ``COUNT`` of values, ``AVERAGE`` of values, ``MIN``/``MAX``, ``LAST``
(each unit's latest value in the period, summed over units) and ``AVERAGE_SUM_ORG_UNIT``
(each unit's average over the period, summed over units). Indicators are evaluated per
cell from their items, times the indicator type's factor, rounded to their decimals.

Boundaries: ``None``/"current" uses today's tree; "pre2025" (or any date) places every
unit where it stood on that date (``OrgUnitHierarchy``), the day before the 2025 reform for
"pre2025". The user's scope always applies: the units requested must be inside it, and
only values of units inside it are counted.

Performance: totals of ``SUM``/``COUNT``/``AVERAGE`` data elements by today's tree read
``SubtreeRollup`` (one row per unit, element and stored period, for the whole subtree;
``UnitRollup`` for a unit without children, which is its own subtree), so
"5 elements by province by quarter" sums a few thousand rows whatever the number of
values. Other cases group ``UnitRollup`` (or the data values, for disaggregations) by the
ancestor at the requested level: a unit's path is "/uid/uid/.../" with 11-character UIDs,
so the ancestor at level n is the path's first 1 + 12n characters.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import connection, models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Length
from django.utils.translation import gettext as _

from doha.aggregate.models import (
    AggregationType,
    CategoryOptionCombo,
    DataElement,
    DataValue,
    ValueType,
)
from doha.aggregate.periods import TYPE_ORDER, period_containing
from doha.analytics import expressions, rollup
from doha.analytics.models import Constant, Indicator, MissingValueStrategy
from doha.analytics.periods import (
    CARRY_TYPES,
    Period,
    PeriodError,
    carries_into,
    is_relative,
    rank,
    relative_period_name,
    resolve_period,
)
from doha.analytics.rollup_models import SubtreeRollup, UnitRollup
from doha.core.scope import can, user_scope_path
from doha.orgunits.models import REFORM_DATE, OrgUnit, OrgUnitHierarchy

__all__ = [
    "PRE_2025",
    "AnalyticsResult",
    "QueryError",
    "apply_pending",
    "parse_boundaries",
    "refresh_all",
    "run_query",
    "user_units",
]

# Rebuilding the rollups (after a restore; ``manage.py`` commands and benchmarks call these).
refresh_all = rollup.refresh_all
apply_pending = rollup.apply_pending

PRE_2025 = REFORM_DATE - datetime.timedelta(days=1)
DEFAULT_DECIMALS = 2
STEP = 12  # characters per level in a stored path: "/" + 11-character UID

SUM_LIKE = {
    AggregationType.SUM,
    AggregationType.COUNT,
    AggregationType.AVERAGE,
    AggregationType.NONE,
}
MIN_MAX = {AggregationType.MIN, AggregationType.MAX}
PER_UNIT = {AggregationType.LAST, AggregationType.AVERAGE_SUM_ORG_UNIT}

# DHIS2's column labels (clients read them as they are; pages use as_table's labels).
COLUMNS = {
    "dx": "Data",
    "co": "Category option combo",
    "pe": "Period",
    "ou": "Organisation unit",
    "value": "Value",
}


class QueryError(ValueError):
    """A request analytics cannot answer, with DHIS2's error code (answered as 409)."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.code = code


# ----------------------------------------------------------------------------- items


@dataclass
class DxItem:
    id: str
    kind: str  # "de" (a data element's total), "operand", "indicator"
    name: str
    short_name: str
    code: str | None
    element: DataElement | None = None
    ref: expressions.ItemRef | None = None
    indicator: Indicator | None = None


@dataclass
class OuItem:
    unit: OrgUnit
    path: str  # under the requested boundaries

    @property
    def uid(self) -> str:
        return self.unit.uid

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


def parse_boundaries(value) -> datetime.date | None:
    """None for today's tree; the date whose tree to use otherwise."""
    if value in (None, "", "current", "CURRENT"):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    if text.lower() in ("pre2025", "pre-2025", "legacy", "old"):
        return PRE_2025
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise QueryError(
            _("Boundaries must be “current”, “pre2025” or a date (YYYY-MM-DD), not “%(value)s”.")
            % {"value": value}
        ) from None


def user_units(user) -> list[OrgUnit]:
    """The units ``USER_ORGUNIT`` stands for: the top of the user's scope (the roots of the
    tree for a system administrator without a unit)."""
    root = getattr(user, "scope_root", None)
    if root is not None:
        return [root]
    if user_scope_path(user) == "":
        return list(OrgUnit.objects.filter(depth=1))
    return []


class _Tree:
    """Paths, levels and children of the org-unit tree, today's or as of a date."""

    def __init__(self, date: datetime.date | None):
        self.date = date
        self._paths: dict[int, str] = {}

    def place(self, units: Iterable[OrgUnit]) -> list[OuItem]:
        units = list(units)
        if self.date is None:
            return [OuItem(u, u.path) for u in units]
        missing = [u.pk for u in units if u.pk not in self._paths]
        if missing:
            self._paths.update(
                OrgUnitHierarchy.objects.filter(org_unit_id__in=missing)
                .valid_on(self.date)
                .values_list("org_unit_id", "path")
            )
        # A unit that did not exist then is shown where it stands today.
        return [OuItem(u, self._paths.get(u.pk) or u.path) for u in units]

    def _as_of(self):
        """Every unit with the path and parent it had on the date (today's when it has no
        place recorded for that date: it did not exist yet, or came without history)."""
        places = OrgUnitHierarchy.objects.filter(org_unit=OuterRef("pk")).valid_on(self.date)
        return OrgUnit.objects.annotate(
            old_path=Coalesce(Subquery(places.values("path")[:1]), F("path")),
            old_parent=Coalesce(
                Subquery(places.values("parent_id")[:1]),
                F("parent_id"),
                output_field=models.BigIntegerField(),
            ),
        )

    def level(self, depth: int, within: list[OuItem]) -> list[OuItem]:
        if self.date is None:
            condition = Q()
            for boundary in within:
                condition |= Q(path__startswith=boundary.path)
            qs = OrgUnit.objects.filter(condition, depth=depth)
            # startswith is case-insensitive on SQLite: check again exactly.
            return [OuItem(u, u.path) for u in qs if any(u.path.startswith(b.path) for b in within)]
        qs = (
            self._as_of()
            .annotate(path_length=Length("old_path"))
            .filter(path_length=1 + STEP * depth)
        )
        out = []
        for unit in qs:
            if any(unit.old_path.startswith(b.path) for b in within):
                self._paths[unit.pk] = unit.old_path
                out.append(OuItem(unit, unit.old_path))
        return out

    def children(self, parents: list[OuItem]) -> list[OuItem]:
        if not parents:
            return []
        if self.date is None:
            units = OrgUnit.objects.filter(parent__in=[p.unit for p in parents])
            return [OuItem(u, u.path) for u in units]
        ids = [p.unit.pk for p in parents]
        out = []
        for unit in self._as_of().filter(old_parent__in=ids):
            self._paths[unit.pk] = unit.old_path
            out.append(OuItem(unit, unit.old_path))
        return out


# ----------------------------------------------------------------------------- cells


class Cell:
    """Partial aggregates of one (item, option combo, period, unit) cell."""

    __slots__ = ("total", "count", "low", "high", "value", "latest")

    def __init__(self):
        self.total = 0.0
        self.count = 0
        self.low = None
        self.high = None
        self.value = None
        self.latest = None

    def add(self, total, count, low=None, high=None):
        self.total += total or 0.0
        self.count += count or 0
        if low is not None:
            self.low = low if self.low is None else min(self.low, low)
        if high is not None:
            self.high = high if self.high is None else max(self.high, high)

    def add_value(self, value, latest, count=1):
        """A per-unit value (LAST, AVERAGE_SUM_ORG_UNIT) summed over units."""
        self.value = value if self.value is None else self.value + value
        self.count += count
        if latest is not None and (self.latest is None or latest > self.latest):
            self.latest = latest

    def result(self, aggregation: str) -> float | None:
        if not self.count:
            return None
        if aggregation == AggregationType.COUNT:
            return float(self.count)
        if aggregation == AggregationType.AVERAGE:
            return self.total / self.count
        if aggregation == AggregationType.MIN:
            return self.low
        if aggregation == AggregationType.MAX:
            return self.high
        if aggregation in PER_UNIT:
            return self.value
        return self.total


def _collapse(cells: dict, aggregation_of, pe_filter: bool, ou_filter: bool) -> dict:
    """Fold filter dimensions: units first (values add up), then periods (LAST keeps the
    latest period's value, AVERAGE_SUM_ORG_UNIT averages the periods)."""
    if ou_filter:
        folded = {}
        for (key, coc, pe, _ou), cell in cells.items():
            target = folded.setdefault((key, coc, pe, None), Cell())
            if aggregation_of(key) in PER_UNIT:
                if cell.value is not None:
                    target.add_value(cell.value, cell.latest, cell.count)
            else:
                target.add(cell.total, cell.count, cell.low, cell.high)
        cells = folded
    if pe_filter:
        groups = defaultdict(list)
        for (key, coc, _pe, ou), cell in cells.items():
            groups[(key, coc, None, ou)].append(cell)
        folded = {}
        for target_key, members in groups.items():
            aggregation = aggregation_of(target_key[0])
            target = Cell()
            if aggregation == AggregationType.LAST:
                best = max(members, key=lambda c: c.latest or datetime.date.min)
                target.add_value(best.value, best.latest, best.count)
            elif aggregation == AggregationType.AVERAGE_SUM_ORG_UNIT:
                present = [c for c in members if c.value is not None]
                if present:
                    target.add_value(
                        sum(c.value for c in present) / len(present),
                        max((c.latest for c in present if c.latest), default=None),
                        sum(c.count for c in present),
                    )
            else:
                for cell in members:
                    target.add(cell.total, cell.count, cell.low, cell.high)
            folded[target_key] = target
        cells = folded
    return cells


# ----------------------------------------------------------------------------- SQL


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _lit(day: datetime.date) -> str:
    """A date as an SQL literal (formatted here from a date, never from user text)."""
    if not isinstance(day, datetime.date):
        raise TypeError(day)
    return f"'{day.isoformat()}'"


def _ids(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in sorted(set(values))) or "NULL"


def _types_upto(period_type: str) -> str:
    return ", ".join(f"'{t}'" for t in TYPE_ORDER if rank(t) <= rank(period_type))


def _case(periods: list[Period], column: str) -> str:
    whens = " ".join(
        f"WHEN {column} >= {_lit(p.start)} AND {column} <= {_lit(p.end)} THEN {index}"
        for index, p in enumerate(periods)
    )
    return f"CASE {whens} END"


@dataclass
class _Source:
    """Where values are read from: the per-unit rollup, or the data values themselves
    (for option combos and attribute combos)."""

    table: str
    total: str
    count: str
    low: str
    high: str
    group: str  # key columns
    where: str
    where_params: list = field(default_factory=list)
    raw: bool = False


def _sources():
    count = _q("count")
    unit = _Source(
        table=_q(UnitRollup._meta.db_table),
        total="v.total",
        count=f"v.{count}",
        low="v.min_value",
        high="v.max_value",
        group="v.data_element_id",
        where="",
    )
    raw = _Source(
        table=_q(DataValue._meta.db_table),
        total="v.numeric_value",
        count="1",
        low="v.numeric_value",
        high="v.numeric_value",
        group="v.data_element_id, v.category_option_combo_id, v.attribute_option_combo_id",
        where=" AND v.deleted = %s AND v.numeric_value IS NOT NULL",
        where_params=[False],
        raw=True,
    )
    return unit, raw


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _Engine:
    """Computes cells for item references over periods and units."""

    def __init__(self, periods, units, boundary, scope_prefix, by_coc, aggregation_override):
        self.periods = periods
        self.units = units
        self.boundary = boundary
        self.scope_prefix = scope_prefix
        self.by_coc = by_coc
        self.override = aggregation_override
        self.by_type = defaultdict(list)
        for period in periods:
            self.by_type[period.period_type].append(period)
        self.units_by_depth = defaultdict(dict)
        for item in units:
            self.units_by_depth[item.depth][item.path] = item.uid
        self.unit_ids = {item.unit.pk: item.uid for item in units}
        self.coc_uids: dict[int, str] = {}
        self._containing = {}

    # -- which path each ref takes

    def aggregation(self, element: DataElement) -> str:
        return self.override or element.aggregation_type

    def compute(self, refs: dict[expressions.ItemRef, DataElement]) -> dict:
        """{(ref key, coc uid or None, period id, unit uid): Cell}"""
        cells: dict = {}
        if not self.periods or not self.units or not refs:
            return cells
        fast, grouped_unit, grouped_raw, per_unit_unit, per_unit_raw = {}, {}, {}, {}, {}
        for ref, element in refs.items():
            aggregation = self.aggregation(element)
            total = ref.coc is None and ref.aoc is None
            raw = not total or self.by_coc
            if aggregation in PER_UNIT:
                (per_unit_raw if raw else per_unit_unit)[ref] = element
            elif raw:
                grouped_raw[ref] = element
            elif self.boundary is None and aggregation in SUM_LIKE:
                fast[ref] = element
            else:
                grouped_unit[ref] = element
        unit_source, raw_source = _sources()
        if fast:
            self._subtree(fast, cells)
        if grouped_unit:
            self._grouped(unit_source, grouped_unit, cells)
        if grouped_raw:
            self._grouped(raw_source, grouped_raw, cells)
        for source, per_unit in ((unit_source, per_unit_unit), (raw_source, per_unit_raw)):
            last = {
                r: e for r, e in per_unit.items() if self.aggregation(e) == AggregationType.LAST
            }
            if last:
                self._per_unit(source, last, cells, latest_only=True)
            if len(last) < len(per_unit):
                rest = {r: e for r, e in per_unit.items() if r not in last}
                self._per_unit(source, rest, cells)
        return cells

    # -- helpers

    def _refs_of_row(self, refs, element_id, coc_id=None, aoc_id=None):
        """The (ref, coc uid or None) a value row counts for."""
        out = []
        for ref, element in refs.items():
            if element.pk != element_id:
                continue
            if coc_id is None:  # the per-unit rollup: totals only
                out.append((ref, None))
                continue
            coc_uid = self.coc_uids.get(coc_id)
            aoc_uid = self.coc_uids.get(aoc_id)
            if ref.coc not in (None, "*") and ref.coc != coc_uid:
                continue
            if ref.aoc is not None and ref.aoc != aoc_uid:
                continue
            total = ref.coc is None and ref.aoc is None
            out.append((ref, coc_uid if (self.by_coc and total) else None))
        return out

    def _name_combos(self, rows, width):
        """Learn the UIDs of the option combos and attribute combos in raw rows."""
        if width < 3:
            return
        ids = {row[1] for row in rows} | {row[2] for row in rows}
        missing = ids - self.coc_uids.keys()
        if missing:
            self.coc_uids.update(
                CategoryOptionCombo.objects.filter(pk__in=missing).values_list("pk", "uid")
            )

    def _scope_sql(self) -> tuple[str, list]:
        if not self.scope_prefix:
            return "", []
        return f" AND SUBSTR(o.path, 1, {len(self.scope_prefix)}) = %s", [self.scope_prefix]

    def _path(self) -> tuple[str, str]:
        if self.boundary is None:
            return "o.path", ""
        hierarchy = _q(OrgUnitHierarchy._meta.db_table)
        day = _lit(self.boundary)
        join = (
            f" LEFT JOIN {hierarchy} h ON h.org_unit_id = v.org_unit_id "
            f"AND h.valid_from <= {day} AND (h.valid_to IS NULL OR h.valid_to > {day})"
        )
        return "COALESCE(h.path, o.path)", join

    # -- today's tree, totals: the subtree rollup

    def _subtree(self, refs, cells):
        # Units with children have subtree rows; a unit without is its own subtree.
        parents = rollup.with_children(self.unit_ids)
        sources = (
            (_q(SubtreeRollup._meta.db_table), parents),
            (_q(UnitRollup._meta.db_table), self.unit_ids.keys() - parents),
        )
        for table, unit_ids in sources:
            if unit_ids:
                self._subtree_from(table, unit_ids, refs, cells)

    def _subtree_from(self, table, unit_ids, refs, cells):
        by_element = defaultdict(list)
        for ref, element in refs.items():
            by_element[element.pk].append(ref)
        for period_type, periods in self.by_type.items():
            sql = (
                f"SELECT t.data_element_id, t.org_unit_id, {_case(periods, 't.start_date')}, "
                f"SUM(t.total), SUM(t.{_q('count')}) FROM {table} t "
                f"WHERE t.data_element_id IN ({_ids(by_element)}) "
                f"AND t.org_unit_id IN ({_ids(unit_ids)}) "
                f"AND t.start_date >= {_lit(min(p.start for p in periods))} "
                f"AND t.start_date <= {_lit(max(p.end for p in periods))} "
                f"AND t.period_type IN ({_types_upto(period_type)}) "
                f"GROUP BY 1, 2, 3"
            )
            keys = {de: [ref.key for ref in refs] for de, refs in by_element.items()}
            period_ids = [p.id for p in periods]
            unit_uids = self.unit_ids
            for element_id, unit_id, index, total, count in _fetch(sql, []):
                if index is None:
                    continue
                for ref_key in keys[element_id]:
                    key = (ref_key, None, period_ids[int(index)], unit_uids[unit_id])
                    cells.setdefault(key, Cell()).add(total, count)

    # -- grouped by the ancestor at each requested level

    def _grouped(self, source, refs, cells):
        path, join = self._path()
        element_ids = _ids(e.pk for e in refs.values())
        scope_sql, scope_params = self._scope_sql()
        width = source.group.count(",") + 1
        for depth, paths in self.units_by_depth.items():
            length = 1 + STEP * depth
            ancestor = f"SUBSTR({path}, 1, {length})"
            item_sql, item_params = "", []
            if len(paths) <= 500:
                item_sql = f" AND {ancestor} IN ({', '.join(['%s'] * len(paths))})"
                item_params = sorted(paths)
            for period_type, periods in self.by_type.items():
                sql = (
                    f"SELECT {source.group}, {ancestor}, {_case(periods, 'v.start_date')}, "
                    f"SUM({source.total}), SUM({source.count}), MIN({source.low}), "
                    f"MAX({source.high}) "
                    f"FROM {source.table} v JOIN {_q(OrgUnit._meta.db_table)} o "
                    f"ON o.id = v.org_unit_id{join} "
                    f"WHERE v.data_element_id IN ({element_ids}) "
                    f"AND v.start_date >= {_lit(min(p.start for p in periods))} "
                    f"AND v.start_date <= {_lit(max(p.end for p in periods))} "
                    f"AND v.period_type IN ({_types_upto(period_type)})"
                    f"{source.where}{scope_sql}{item_sql} "
                    f"GROUP BY {', '.join(str(i) for i in range(1, width + 3))}"
                )
                params = [*source.where_params, *scope_params, *item_params]
                rows = _fetch(sql, params)
                self._name_combos(rows, width)
                for row in rows:
                    keys, (anc, index, total, count, low, high) = row[:width], row[width:]
                    unit_uid = paths.get(anc)
                    if unit_uid is None or index is None:
                        continue
                    period_id = periods[int(index)].id
                    for ref, coc in self._refs_of_row(refs, *keys):
                        cell = cells.setdefault((ref.key, coc, period_id, unit_uid), Cell())
                        cell.add(total, count, low, high)

    # -- per unit first (LAST, AVERAGE_SUM_ORG_UNIT), then summed over units

    def _containing_id(self, start, period_type):
        key = (start, period_type)
        if key not in self._containing:
            self._containing[key] = period_containing(start, period_type).id
        return self._containing[key]

    def _requested_periods_sql(self) -> str:
        """The requested periods as a derived table ``p (idx, s, e)`` (portable SQL)."""
        date = "DATE " if connection.vendor == "postgresql" else ""
        return " UNION ALL ".join(
            f"SELECT {index} AS idx, {date}{_lit(p.start)} AS s, {date}{_lit(p.end)} AS e"
            for index, p in enumerate(self.periods)
        )

    def _per_unit(self, source, refs, cells, latest_only=False):
        """Each unit's value per requested period, summed by the ancestor asked for.

        Only stored periods that overlap a requested period are read. With ``latest_only``
        (LAST), the database keeps, per unit, stored period type and requested period, only
        the latest stored periods: the rows the choice below can pick (a few per unit
        instead of every month between the first and the last requested period)."""
        path, join = self._path()
        element_ids = _ids(e.pk for e in refs.values())
        scope_sql, scope_params = self._scope_sql()
        width = source.group.count(",") + 1
        first = min(p.start for p in self.periods)
        last = max(p.end for p in self.periods)
        wanted = {t: {p.id: p for p in ps} for t, ps in self.by_type.items()}
        columns = ", ".join(f"c{i}" for i in range(width + 6))
        for depth, paths in self.units_by_depth.items():
            ancestor = f"SUBSTR({path}, 1, {1 + STEP * depth})"
            item_sql, item_params = "", []
            if len(paths) <= 500:
                item_sql = f" AND {ancestor} IN ({', '.join(['%s'] * len(paths))})"
                item_params = sorted(paths)
            keys = ", ".join(
                f"{column} AS c{i}" for i, column in enumerate(source.group.split(", "))
            )
            group = ", ".join(str(i) for i in range(1, width + 6)) + ", p.idx"
            latest = ""
            if latest_only:
                partition = ", ".join(
                    [*source.group.split(", "), "v.org_unit_id", "v.period_type", "p.idx"]
                )
                latest = f", MAX(v.start_date) OVER (PARTITION BY {partition}) AS latest"
            inner = (
                f"SELECT {keys}, v.org_unit_id AS c{width}, {ancestor} AS c{width + 1}, "
                f"v.period_type AS c{width + 2}, v.start_date AS c{width + 3}, "
                f"v.end_date AS c{width + 4}, SUM({source.total}) AS c{width + 5}, "
                f"p.idx AS idx{latest} "
                f"FROM {source.table} v JOIN {_q(OrgUnit._meta.db_table)} o "
                f"ON o.id = v.org_unit_id{join} "
                f"JOIN ({self._requested_periods_sql()}) p "
                f"ON v.start_date <= p.e AND v.end_date >= p.s "
                f"WHERE v.data_element_id IN ({element_ids}) "
                f"AND v.start_date <= {_lit(last)} AND v.end_date >= {_lit(first)}"
                f"{source.where}{scope_sql}{item_sql} "
                f"GROUP BY {group}"
            )
            sql = f"SELECT {columns} FROM ({inner}) x" + (
                f" WHERE x.c{width + 3} = x.latest" if latest_only else ""
            )
            params = [*source.where_params, *scope_params, *item_params]
            # (ref key, coc, unit, ancestor, period id) -> ([inside rows], [carry rows])
            found = defaultdict(lambda: ([], []))
            aggregation_of = {ref.key: self.aggregation(e) for ref, e in refs.items()}
            totals = defaultdict(float)
            rows = _fetch(sql, params)
            self._name_combos(rows, width)
            seen = set()
            for row in rows:
                # A stored period that overlaps two requested ones comes twice: count it once.
                if row[:-1] in seen:
                    continue
                seen.add(row[:-1])
                keys = row[:width]
                unit_id, anc, period_type, start, end, total = row[width:]
                if anc not in paths:
                    continue
                start, end = _as_date(start), _as_date(end)
                for ref, coc in self._refs_of_row(refs, *keys):
                    totals[(ref.key, coc, unit_id, anc, period_type, start, end)] += total
            for (ref_key, coc, unit_id, anc, period_type, start, end), total in totals.items():
                for wanted_type, periods in wanted.items():
                    if rank(period_type) <= rank(wanted_type):
                        period_id = self._containing_id(start, wanted_type)
                        if period_id in periods:
                            found[(ref_key, coc, unit_id, anc, period_id)][0].append(
                                (start, rank(period_type), total)
                            )
                    elif aggregation_of[ref_key] in CARRY_TYPES:
                        for period in periods.values():
                            if carries_into(period_type, start, end, period):
                                found[(ref_key, coc, unit_id, anc, period.id)][1].append(
                                    (start, rank(period_type), total)
                                )
            for (ref_key, coc, _unit, anc, period_id), (inside, carry) in found.items():
                rows = inside or carry
                if aggregation_of[ref_key] == AggregationType.LAST:
                    start, _rank, value = max(rows)
                else:
                    start = max(r[0] for r in rows)
                    value = sum(r[2] for r in rows) / len(rows)
                cell = cells.setdefault((ref_key, coc, period_id, paths[anc]), Cell())
                cell.add_value(value, start)


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


# ----------------------------------------------------------------------------- result


def _render(value: float) -> str:
    """A value as DHIS2 writes it in rows: "12.0", "158.96"."""
    return repr(float(value))


class AnalyticsResult:
    """The answer of ``run_query``: rows, headers, metadata, and ways to hand it on."""

    def __init__(self, *, dimensions, rows, items, dimension_items, ou_hierarchy, codes):
        self.dimensions: list[str] = dimensions
        self.rows: list[list] = rows
        self.items: dict[str, dict] = items
        self.dimension_items: dict[str, list[str]] = dimension_items
        self.ou_hierarchy: dict[str, str] = ou_hierarchy
        self._codes = codes
        self._index = {tuple(row[:-1]): row[-1] for row in rows}

    @property
    def headers(self) -> list[dict]:
        out = [
            {
                "name": name,
                "column": COLUMNS[name],
                "valueType": "TEXT",
                "type": "java.lang.String",
                "hidden": False,
                "meta": True,
            }
            for name in self.dimensions
        ]
        out.append(
            {
                "name": "value",
                "column": COLUMNS["value"],
                "valueType": "NUMBER",
                "type": "java.lang.Double",
                "hidden": False,
                "meta": False,
            }
        )
        return out

    @property
    def meta(self) -> dict:
        meta = {"items": self.items, "dimensions": self.dimension_items}
        if self.ou_hierarchy:
            meta["ouHierarchy"] = self.ou_hierarchy
        return meta

    def name(self, item_id: str) -> str:
        return self.items.get(item_id, {}).get("name", item_id)

    def value(self, dx: str, pe: str | None = None, ou: str | None = None, co=None):
        """The value of one cell (None when it has none); leave out the dimensions the
        query did not have."""
        given = {"dx": dx, "pe": pe, "ou": ou, "co": co}
        return self._index.get(tuple(given[d] for d in self.dimensions))

    def as_dhis2(self, output_id_scheme: str = "UID", skip_meta: bool = False) -> dict:
        """DHIS2's /api/analytics answer."""
        scheme = (output_id_scheme or "UID").upper()
        rename = self._renamer(scheme)
        rows = [[rename(v) for v in row[:-1]] + [_render(row[-1])] for row in self.rows]
        body = {"headers": self.headers}
        if not skip_meta:
            body["metaData"] = {
                "items": {rename(k): v for k, v in self.items.items()},
                "dimensions": {
                    d: [rename(i) for i in ids] for d, ids in self.dimension_items.items()
                },
            }
            if self.ou_hierarchy:
                body["metaData"]["ouHierarchy"] = {
                    rename(k): v for k, v in self.ou_hierarchy.items()
                }
        body.update(
            {
                "rowContext": {},
                "rows": rows,
                "height": len(rows),
                "width": len(self.dimensions) + 1,
                "headerWidth": len(self.dimensions) + 1,
            }
        )
        return body

    def _renamer(self, scheme):
        if scheme in ("UID", "ID", "UUID"):
            return lambda value: value
        if scheme == "CODE":
            return lambda value: self._codes.get(value) or value
        if scheme == "NAME":
            return lambda value: self.name(value) if value in self._codes else value
        raise QueryError(
            _("Unknown outputIdScheme “%(value)s”: use UID, CODE or NAME.") % {"value": scheme}
        )

    def as_table(self) -> tuple[list[str], list[list]]:
        """Column labels and rows with names instead of UIDs (for .xlsx/.csv and pages)."""
        labels = {
            "dx": _("Data"),
            "co": _("Disaggregation"),
            "pe": _("Period"),
            "ou": _("Org unit"),
        }
        headers = [labels[d] for d in self.dimensions] + [_("Value")]
        rows = [[self.name(v) for v in row[:-1]] + [row[-1]] for row in self.rows]
        return headers, rows


# ----------------------------------------------------------------------------- the query


def run_query(
    user,
    dx: Iterable[str] = (),
    pe: Iterable[str] = (),
    ou: Iterable[str] = (),
    filters: Mapping[str, Iterable[str]] | None = None,
    boundaries=None,
    reference_date: datetime.date | None = None,
    co: bool = False,
    display_property: str = "NAME",
    hierarchy_meta: bool = False,
    dimension_order: Iterable[str] | None = None,
    input_id_scheme: str = "UID",
    aggregation_type: str | None = None,
    skip_rounding: bool = False,
) -> AnalyticsResult:
    """Aggregate data values for the dx, pe and ou items given as dimensions (and those
    given in ``filters``), within the user's scope. QueryError names what is wrong."""
    if user is None or not user.is_authenticated or not can(user, DataValue, "view"):
        raise QueryError(_("You are not allowed to read data values."), "E7121")
    scope_prefix = user_scope_path(user)
    if scope_prefix is None:
        raise QueryError(_("Your account has no org unit: ask an administrator."), "E7123")
    filters = {k: list(v) for k, v in (filters or {}).items() if v is not None}
    dims = {"dx": list(dx or ()), "pe": list(pe or ()), "ou": list(ou or ())}
    for name in filters:
        if name not in ("dx", "pe", "ou", "co"):
            raise QueryError(
                _("Dimension identifier does not reference any dimension: %(name)s")
                % {"name": name},
                "E7125",
            )
        if name == "co":
            raise QueryError(_("Category option combos cannot be specified as filter"), "E7110")
        if dims.get(name):
            raise QueryError(
                _("Dimensions cannot be specified as dimension and filter simultaneously: %(name)s")
                % {"name": name},
                "E7103",
            )
    if aggregation_type and aggregation_type not in AggregationType.values:
        raise QueryError(_("Unknown aggregation type “%(value)s”.") % {"value": aggregation_type})
    display_property = (display_property or "NAME").upper()
    if display_property not in ("NAME", "SHORTNAME"):
        raise QueryError(
            _("displayProperty must be NAME or SHORTNAME, not “%(value)s”.")
            % {"value": display_property}
        )
    dx_items_text = dims["dx"] or filters.get("dx", [])
    pe_items_text = dims["pe"] or filters.get("pe", [])
    ou_items_text = dims["ou"] or filters.get("ou", []) or ["USER_ORGUNIT"]
    if not dx_items_text:
        raise QueryError(_("At least one data dimension item must be specified (dx)."), "E7102")
    if not pe_items_text:
        raise QueryError(_("At least one period must be specified (pe)."), "E7104")
    dx_is_filter = not dims["dx"]
    pe_is_filter = not dims["pe"]
    ou_is_filter = not dims["ou"]

    rollup.apply_pending()
    boundary = parse_boundaries(boundaries)
    dx_items = _resolve_dx(dx_items_text, input_id_scheme)
    if dx_is_filter and sum(1 for i in dx_items if i.kind == "indicator") > 1:
        raise QueryError(_("Only a single indicator can be specified as filter"), "E7108")
    if co and any(i.kind != "de" for i in dx_items):
        raise QueryError(
            _(
                "The disaggregation dimension (co) can only be asked for data elements, "
                "not for indicators or operands."
            ),
            "E7114",
        )
    periods = _resolve_pe(pe_items_text, reference_date)
    tree = _Tree(boundary)
    ou_items = _resolve_ou(ou_items_text, user, scope_prefix, tree, input_id_scheme)

    # Every data element reference needed, with its element.
    refs: dict[expressions.ItemRef, DataElement] = {}
    for item in dx_items:
        if item.kind in ("de", "operand"):
            refs[item.ref] = item.element
    indicator_refs = _indicator_refs(dx_items)
    refs.update(indicator_refs)
    engine = _Engine(periods, ou_items, boundary, scope_prefix, co, aggregation_type)
    cells = engine.compute(refs)
    aggregation_of_key = {ref.key: engine.aggregation(e) for ref, e in refs.items()}
    cells = _collapse(cells, aggregation_of_key.get, pe_is_filter, ou_is_filter)
    values = {key: cell.result(aggregation_of_key[key[0]]) for key, cell in cells.items()}

    pe_ids = [None] if pe_is_filter else [p.id for p in periods]
    ou_ids = [None] if ou_is_filter else [i.uid for i in ou_items]
    days = {p.id: (p.end - p.start).days + 1 for p in periods}
    total_days = sum(days.values())
    results = {}  # (dx id, coc, pe, ou) -> value
    coc_seen = set()
    constants = _constants(dx_items)
    values_by_key = defaultdict(list)
    for (key, coc, pe_id, ou_id), value in values.items():
        if value is not None:
            values_by_key[key].append((coc, pe_id, ou_id, value))
    for item in dx_items:
        if item.kind != "indicator":
            decimals = None if skip_rounding else DEFAULT_DECIMALS
            for coc, pe_id, ou_id, value in values_by_key.get(item.ref.key, ()):
                results[(item.id, coc, pe_id, ou_id)] = _round(value, decimals)
                if coc:
                    coc_seen.add(coc)
            continue
        indicator = item.indicator
        needed = [r.key for r in _refs_of_indicator(indicator)]
        decimals = (
            None
            if skip_rounding
            else (indicator.decimals if indicator.decimals is not None else DEFAULT_DECIMALS)
        )
        for pe_id in pe_ids:
            for ou_id in ou_ids:
                cell_values = {
                    key: values.get((key, None, pe_id, ou_id))
                    for key in needed
                    if values.get((key, None, pe_id, ou_id)) is not None
                }
                if not cell_values:
                    continue
                value = _indicator_value(
                    indicator,
                    cell_values,
                    constants,
                    days.get(pe_id, total_days),
                    periods if pe_id is None else [p for p in periods if p.id == pe_id],
                )
                if value is not None:
                    results[(item.id, None, pe_id, ou_id)] = _round(value, decimals)

    if dx_is_filter:
        folded = defaultdict(float)
        for (_dx, coc, pe_id, ou_id), value in results.items():
            folded[(None, coc, pe_id, ou_id)] += value
        results = dict(folded)

    # Order and shape.
    order = _dimension_order(dimension_order, dx_is_filter, pe_is_filter, ou_is_filter, co)
    coc_objects = {
        c.uid: c
        for c in CategoryOptionCombo.objects.filter(uid__in=coc_seen).order_by(
            "category_combo_id", "sort_order"
        )
    }
    coc_ids = list(coc_objects) if co else [None]
    dx_ids = [None] if dx_is_filter else [i.id for i in dx_items]
    rows = []
    for dx_id in dx_ids:
        for coc in coc_ids:
            for pe_id in pe_ids:
                for ou_id in ou_ids:
                    value = results.get((dx_id, coc, pe_id, ou_id))
                    if value is None:
                        continue
                    given = {"dx": dx_id, "co": coc, "pe": pe_id, "ou": ou_id}
                    rows.append([given[d] for d in order] + [value])

    items, codes = _metadata(
        dx_items, pe_items_text, periods, ou_items, coc_objects, display_property, reference_date
    )
    dimension_items = {
        "dx": [i.id for i in dx_items],
        "pe": [p.id for p in periods],
        "ou": [i.uid for i in ou_items],
        "co": list(coc_objects) if co else [],
    }
    ou_hierarchy = {}
    if hierarchy_meta:
        ou_hierarchy = _ou_hierarchy(ou_items, items, codes, display_property)
    return AnalyticsResult(
        dimensions=order,
        rows=rows,
        items=items,
        dimension_items=dimension_items,
        ou_hierarchy=ou_hierarchy,
        codes=codes,
    )


def _round(value: float, decimals: int | None) -> float:
    if decimals is None:
        return float(value)
    return round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


def _dimension_order(order, dx_is_filter, pe_is_filter, ou_is_filter, co):
    present = {"dx": not dx_is_filter, "co": co, "pe": not pe_is_filter, "ou": not ou_is_filter}
    out = []
    for name in list(order or ()) + ["dx", "co", "pe", "ou"]:
        if name in present and present[name] and name not in out:
            out.append(name)
    return out


# ----------------------------------------------------------------------------- resolving


def _lookup_field(scheme: str) -> str:
    scheme = (scheme or "UID").upper()
    if scheme in ("UID", "ID"):
        return "uid"
    if scheme == "CODE":
        return "code"
    raise QueryError(_("Unknown inputIdScheme “%(value)s”: use UID or CODE.") % {"value": scheme})


def _resolve_dx(texts: list[str], scheme: str) -> list[DxItem]:
    lookup = _lookup_field(scheme)
    texts = [t.strip() for t in texts if t and t.strip()]
    seen = list(dict.fromkeys(texts))
    heads = {t.split(".")[0] for t in seen}
    elements = {
        getattr(e, lookup): e for e in DataElement.objects.filter(**{f"{lookup}__in": heads})
    }
    indicators = {
        getattr(i, lookup): i
        for i in Indicator.objects.filter(**{f"{lookup}__in": heads}).select_related(
            "indicator_type"
        )
    }
    combo_texts = {p for t in seen for p in t.split(".")[1:] if p != "*"}
    combos = {
        getattr(c, lookup): c
        for c in CategoryOptionCombo.objects.filter(**{f"{lookup}__in": combo_texts})
    }
    out = []
    for text in seen:
        upper = text.upper()
        if upper.startswith(("DE_GROUP-", "IN_GROUP-")) or ".REPORTING_RATE" in upper:
            raise QueryError(
                _("This kind of data item is not supported: %(item)s") % {"item": text},
                "E7124",
            )
        parts = text.split(".")
        head = parts[0]
        if len(parts) == 1 and head in indicators:
            indicator = indicators[head]
            out.append(
                DxItem(
                    id=indicator.uid,
                    kind="indicator",
                    name=indicator.name,
                    short_name=indicator.short_name or indicator.name,
                    code=indicator.code,
                    indicator=indicator,
                )
            )
            continue
        element = elements.get(head)
        if element is None or len(parts) > 3:
            raise QueryError(
                _("Data element, indicator or operand does not exist: %(item)s") % {"item": text},
                "E7124",
            )
        if not element.is_numeric and element.value_type not in (
            ValueType.BOOLEAN,
            ValueType.TRUE_ONLY,
        ):
            raise QueryError(
                _(
                    "Data elements must be of a value and aggregation type that allow "
                    "aggregation: %(item)s (%(name)s)"
                )
                % {"item": text, "name": element.name},
                "E7115",
            )
        coc = aoc = None
        names = []
        if len(parts) >= 2 and parts[1] != "*":
            coc = combos.get(parts[1])
            if coc is None or coc.category_combo_id != element.category_combo_id:
                raise QueryError(
                    _("Category option combo %(coc)s is not a disaggregation of %(item)s.")
                    % {"coc": parts[1], "item": head},
                    "E7124",
                )
            names.append(coc.name)
        if len(parts) == 3 and parts[2] != "*":
            aoc = combos.get(parts[2])
            if aoc is None:
                raise QueryError(
                    _("Attribute option combo does not exist: %(aoc)s") % {"aoc": parts[2]},
                    "E7124",
                )
            names.append(aoc.name)
        if coc is None and aoc is None:
            ref = expressions.ItemRef(element.uid)
            item_id, kind = element.uid, "de"
        else:
            ref = expressions.ItemRef(
                element.uid, coc.uid if coc else "*", aoc.uid if aoc else None
            )
            if aoc is None:
                ref = expressions.ItemRef(element.uid, coc.uid)
            item_id, kind = ref.key, "operand"
        suffix = f" ({', '.join(names)})" if names else ""
        out.append(
            DxItem(
                id=item_id,
                kind=kind,
                name=element.name + suffix,
                short_name=(element.short_name or element.name) + suffix,
                code=_operand_code(element, coc, aoc),
                element=element,
                ref=ref,
            )
        )
    return out


def _operand_code(element, coc, aoc) -> str | None:
    """deCode, or deCode.cocCode(.aocCode) when every part has a code."""
    if coc is None and aoc is None:
        return element.code
    parts = [element.code, coc.code if coc else "*"]
    if aoc is not None:
        parts.append(aoc.code)
    return ".".join(parts) if all(parts) else None


def _refs_of_indicator(indicator: Indicator) -> list[expressions.ItemRef]:
    out = {}
    for side, text in (("numerator", indicator.numerator), ("denominator", indicator.denominator)):
        try:
            for ref in expressions.items(text or "1"):
                out.setdefault(ref, None)
        except expressions.ExpressionError as error:
            raise QueryError(
                _("Indicator “%(name)s” has an invalid %(side)s: %(error)s")
                % {"name": indicator.name, "side": side, "error": error.message},
                "E7116",
            ) from None
    return list(out)


def _indicator_refs(dx_items) -> dict:
    refs = {}
    wanted = {}
    for item in dx_items:
        if item.kind == "indicator":
            for ref in _refs_of_indicator(item.indicator):
                wanted[ref] = item.indicator
    if not wanted:
        return refs
    uids = {r.data_element for r in wanted}
    elements = {e.uid: e for e in DataElement.objects.filter(uid__in=uids)}
    for ref, indicator in wanted.items():
        element = elements.get(ref.data_element)
        if element is None:
            raise QueryError(
                _("Indicator “%(name)s” refers to a data element that does not exist: %(uid)s")
                % {"name": indicator.name, "uid": ref.data_element},
                "E7116",
            )
        refs[ref] = element
    return refs


def _constants(dx_items) -> dict[str, float]:
    uids = set()
    for item in dx_items:
        if item.kind == "indicator":
            for text in (item.indicator.numerator, item.indicator.denominator):
                uids.update(expressions.constants_in(text or "1"))
    if not uids:
        return {}
    return dict(Constant.objects.filter(uid__in=uids).values_list("uid", "value"))


def _indicator_value(indicator, values, constants, days, periods) -> float | None:
    strategy = MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING
    numerator = expressions.evaluate(
        indicator.numerator, values, strategy, constants=constants, days=days
    )
    if numerator is None:
        return None
    denominator_text = "1" if indicator.indicator_type.number else (indicator.denominator or "1")
    denominator = expressions.evaluate(
        denominator_text, values, strategy, constants=constants, days=days
    )
    if denominator is None or denominator == 0:
        return None
    value = numerator / denominator * indicator.indicator_type.factor
    if indicator.annualized and periods:
        year_days = sum(366 if _is_leap(p.start.year) else 365 for p in periods) / len(periods)
        period_days = sum((p.end - p.start).days + 1 for p in periods) / len(periods)
        value *= year_days / period_days
    return value


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _resolve_pe(texts, reference_date) -> list[Period]:
    seen: dict[str, Period] = {}
    for text in texts:
        if not text or not text.strip():
            continue
        try:
            for period in resolve_period(text, reference_date):
                seen.setdefault(period.id, period)
        except PeriodError as error:
            raise QueryError(str(error), "E7124") from None
    if not seen:
        raise QueryError(_("At least one period must be specified (pe)."), "E7104")
    return list(seen.values())


def _resolve_ou(texts, user, scope_prefix, tree: _Tree, scheme) -> list[OuItem]:
    lookup = _lookup_field(scheme)
    levels: list[int] = []
    explicit: list[OuItem] = []
    texts = [t.strip() for t in texts if t and t.strip()]
    plain = []
    for text in texts:
        upper = text.upper()
        if upper.startswith("LEVEL-"):
            rest = text[6:]
            level_text, _sep, boundary_uid = rest.partition("-")
            if not level_text.isdigit() or int(level_text) < 1:
                raise QueryError(
                    _("“%(item)s” is not an org-unit level: write LEVEL-2.") % {"item": text},
                    "E7124",
                )
            levels.append(int(level_text))
            if boundary_uid:
                plain.append(boundary_uid)
        elif upper in ("USER_ORGUNIT", "USER_ORGUNIT_CHILDREN", "USER_ORGUNIT_GRANDCHILDREN"):
            mine = tree.place(user_units(user))
            if not mine:
                raise QueryError(
                    _("Your account has no org unit, so %(item)s means nothing.") % {"item": text},
                    "E7123",
                )
            if upper == "USER_ORGUNIT_CHILDREN":
                mine = tree.children(mine)
            elif upper == "USER_ORGUNIT_GRANDCHILDREN":
                mine = tree.children(tree.children(mine))
            explicit.extend(mine)
        elif upper.startswith("OU_GROUP-"):
            raise QueryError(
                _("Org-unit groups are not supported: %(item)s") % {"item": text}, "E7124"
            )
        else:
            plain.append(text)
    if plain:
        found = {getattr(u, lookup): u for u in OrgUnit.objects.filter(**{f"{lookup}__in": plain})}
        for text in plain:
            if text not in found:
                raise QueryError(
                    _("Organisation unit does not exist: %(item)s") % {"item": text}, "E7124"
                )
        explicit.extend(tree.place(found[t] for t in plain))
    if levels:
        boundaries = explicit or tree.place(user_units(user))
        items = []
        for level in levels:
            items.extend(tree.level(level, boundaries))
    else:
        items = explicit
    # Each unit once, in the order asked (levels: in tree order).
    unique = {}
    for item in items:
        unique.setdefault(item.uid, item)
    items = list(unique.values())
    if levels:
        items.sort(key=lambda i: (i.depth, i.unit.sort_name))
    if not items:
        raise QueryError(
            _("Dimension is present in query without any valid dimension options: ou"), "E7124"
        )
    for item in items:
        if scope_prefix and not (
            item.unit.path.startswith(scope_prefix) or item.path.startswith(scope_prefix)
        ):
            raise QueryError(
                _("User is not allowed to view org unit: %(uid)s (%(name)s)")
                % {"uid": item.uid, "name": item.unit.name},
                "E7120",
            )
    return items


def _label(obj, display_property: str) -> str:
    if display_property == "SHORTNAME" and getattr(obj, "short_name", ""):
        return obj.short_name
    return obj.name


def _metadata(dx_items, pe_texts, periods, ou_items, coc_objects, display_property, reference_date):
    items = {
        "dx": {"name": COLUMNS["dx"]},
        "pe": {"name": COLUMNS["pe"]},
        "ou": {"name": COLUMNS["ou"]},
    }
    codes = {}
    for item in dx_items:
        name = item.short_name if display_property == "SHORTNAME" else item.name
        items[item.id] = {"name": name}
        codes[item.id] = item.code
    for text in pe_texts:
        if is_relative(text):
            items[text.strip().upper()] = {"name": relative_period_name(text)}
    for period in periods:
        items[period.id] = {"name": period.name}
    for item in ou_items:
        items[item.uid] = {"name": _label(item.unit, display_property)}
        codes[item.uid] = item.unit.code
    if coc_objects:
        items["co"] = {"name": COLUMNS["co"]}
    for uid, combo in coc_objects.items():
        items[uid] = {"name": combo.name}
        codes[uid] = combo.code
    return items, codes


def _ou_hierarchy(ou_items, items, codes, display_property) -> dict[str, str]:
    out = {}
    ancestors = {uid for item in ou_items for uid in rollup.ancestor_uids(item.path)[:-1]}
    for unit in OrgUnit.objects.filter(uid__in=ancestors):
        items.setdefault(unit.uid, {"name": _label(unit, display_property)})
        codes.setdefault(unit.uid, unit.code)
    for item in ou_items:
        parents = rollup.ancestor_uids(item.path)[:-1]
        out[item.uid] = "/" + "/".join(parents) if parents else ""
    return out
