"""Benchmark: 5 data elements by province (LEVEL-2) by quarter over every generated value.

Times the query through the one query layer (``doha.analytics.query.run_query``, which reads
the rollups kept by ``doha.analytics.rollup``), cold (the first run on a new database
connection) and warm (median of --runs), against a hand-written GROUP BY over the data value
table joined to the org units (the province found by its path prefix); checks that both give
the same numbers. Then imports a few values through the real import path (an update in three
provinces, a deletion, a new value), checks that the answer moved by exactly those
differences and still equals the GROUP BY, and puts the values back.

Goal: under 1 s, and within 1.5x of the hand-written GROUP BY.

    DATABASE_URL=postgres://... .venv/bin/python bench/analytics_query.py [--runs 7] [--explain]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common  # noqa: E402

_common.setup_django()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from doha.aggregate.formats import import_file  # noqa: E402
from doha.aggregate.models import CategoryOptionCombo, DataElement, DataValue  # noqa: E402
from doha.aggregate.periods import period_containing  # noqa: E402
from doha.aggregate.services import default_option_combo  # noqa: E402
from doha.analytics.query import run_query  # noqa: E402
from doha.analytics.rollup_models import SubtreeRollup  # noqa: E402
from doha.orgunits.models import FacilityType, OrgUnit  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="warm runs (the median is shown)")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the GROUP BY and of run_query's slowest statement",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def quarters() -> list:
    """The quarters holding generated values, in order."""
    moh = OrgUnit.objects.get(code=_common.MOH_CODE)
    starts = SubtreeRollup.objects.filter(org_unit=moh).values_list("start_date", flat=True)
    found = {period_containing(day, "Quarterly") for day in starts.distinct()}
    if not found:
        raise SystemExit("No generated values: run bench/aggregate_generate.py first.")
    return sorted(found)


def new_connection() -> bool:
    """Start on a fresh database connection (not possible inside a transaction, as in the
    smoke test); whether it did."""
    if connection.in_atomic_block:
        return False
    connection.close()
    return True


def explain(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        for (text,) in cursor.fetchall():
            print(f"      {text}")


class Bench:
    def __init__(self, user, elements, periods):
        self.user = user
        self.elements = elements
        self.periods = periods
        self.uid_of = {e.id: e.uid for e in elements}

    def query(self):
        return run_query(
            self.user,
            dx=[e.uid for e in self.elements],
            pe=[p.id for p in self.periods],
            ou=["LEVEL-2"],
        )

    def handwritten(self):
        return _common.handwritten_by_province(
            [e.id for e in self.elements], self.periods[0].start, self.periods[-1].end, "quarter"
        )

    def same(self, result=None, expected=None) -> tuple[int, int]:
        return _common.compare(
            result if result is not None else self.query(),
            expected if expected is not None else self.handwritten(),
            self.uid_of,
        )


# ----------------------------------------------------------------------------- after imports


def _csv(rows) -> bytes:
    lines = ["dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value"]
    lines += [",".join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _first_combo(element):
    return (
        CategoryOptionCombo.objects.filter(category_combo_id=element.category_combo_id)
        .order_by("sort_order", "id")
        .first()
    )


def _stored(element, period, unit, coc, aoc):
    return DataValue.objects.filter(
        data_element=element,
        period=period.id,
        org_unit=unit,
        category_option_combo=coc,
        attribute_option_combo=aoc,
        deleted=False,
    ).first()


def after_imports(bench: Bench, user) -> list[str]:
    """Import a few values through import_file (the first element updated in three
    provinces, one of them deleted again, a new value of another element where there was
    none), check that the answer moved by exactly the differences and still equals the
    GROUP BY, then put everything back. The problems found (empty when none)."""
    problems = []
    aoc = default_option_combo()
    last = bench.periods[-1].months()[-1]
    quarter = period_containing(last.start, "Quarterly").id
    moh = OrgUnit.objects.get(code=_common.MOH_CODE)
    provinces = list(
        OrgUnit.objects.filter(depth=2, path__startswith=moh.path).order_by("code")[:3]
    )
    element = bench.elements[0]
    coc = _first_combo(element)
    cells = []  # (province, unit, stored value or None)
    for province in provinces:
        unit = (
            OrgUnit.objects.filter(path__startswith=province.path, depth__gt=2)
            .order_by("-depth", "code")
            .first()
        )
        cells.append((province, unit, _stored(element, last, unit, coc, aoc)))
    # A cell without a value: another element, at a facility of the first province that
    # does not report it.
    empty = None
    for other in bench.elements[1:]:
        other_coc = _first_combo(other)
        reporting = DataValue.objects.filter(
            data_element=other,
            period=last.id,
            category_option_combo=other_coc,
            org_unit__path__startswith=provinces[0].path,
        ).values("org_unit_id")
        unit = (
            OrgUnit.objects.filter(path__startswith=provinces[0].path, depth__gt=2)
            .exclude(id__in=reporting)
            .order_by("code")
            .first()
        )
        if unit is not None:
            empty = (other, other_coc, unit)
            break

    before = bench.query()
    change = defaultdict(float)  # (element uid, province uid) -> expected difference
    updates = []
    for province, unit, stored in cells:
        value = int(stored.numeric_value if stored else 0) + 1000
        updates.append((element.uid, last.id, unit.uid, coc.uid, aoc.uid, value))
        change[(element.uid, province.uid)] += value - (stored.numeric_value if stored else 0)
    summary = import_file(user, _csv(updates), "csv", strategy="CREATE_AND_UPDATE")
    if summary.status == "ERROR" or summary.imported + summary.updated != len(updates):
        return [f"the update import failed: {summary.as_dict()}"]
    summary = import_file(user, _csv(updates[:1]), "csv", strategy="DELETE")
    if summary.deleted != 1:
        problems.append(f"the DELETE import deleted {summary.deleted} values, not 1")
    change[(element.uid, provinces[0].uid)] -= updates[0][-1]
    created = []
    if empty is not None:
        other, other_coc, unit = empty
        created = [(other.uid, last.id, unit.uid, other_coc.uid, aoc.uid, 777)]
        summary = import_file(user, _csv(created), "csv", strategy="CREATE")
        if summary.imported != 1:
            problems.append(f"the CREATE import created {summary.imported} values, not 1")
        change[(other.uid, provinces[0].uid)] += 777
    else:
        problems.append("no empty cell found for the CREATE import")

    after = bench.query()
    for (element_uid, province_uid), difference in change.items():
        was = before.value(element_uid, quarter, province_uid) or 0.0
        now = after.value(element_uid, quarter, province_uid) or 0.0
        if abs((now - was) - difference) > 0.005:
            problems.append(
                f"{element_uid} {quarter} {province_uid}: moved by {now - was}, "
                f"expected {difference}"
            )
    compared, different = bench.same(after)
    if different:
        problems.append(f"after the imports, {different} of {compared} cells differ")

    # Put everything back: the stored values (reviving the deleted one), the new ones gone.
    restore = [
        (element.uid, last.id, unit.uid, coc.uid, aoc.uid, int(stored.numeric_value))
        for _province, unit, stored in cells
        if stored is not None
    ]
    if restore:
        import_file(user, _csv(restore), "csv", strategy="CREATE_AND_UPDATE")
    never = [row for row, (_p, _u, stored) in zip(updates, cells, strict=True) if not stored]
    if never or created:
        import_file(user, _csv(never + created), "csv", strategy="DELETE")
    if sorted(bench.query().rows) != sorted(before.rows):
        problems.append("the numbers did not come back after the values were restored")
    return problems


# ----------------------------------------------------------------------------- main


def main(argv=None) -> dict:
    args = parse_args(argv)
    _common.header("analytics: 5 data elements x province (LEVEL-2) x quarter, all values")
    _common.require_generated_data()
    user = _common.national_user()
    codes = _common.query_element_codes()
    elements = sorted(DataElement.objects.filter(code__in=codes), key=lambda e: codes.index(e.code))
    periods = quarters()
    bench = Bench(user, elements, periods)
    provinces = OrgUnit.objects.filter(facility_type=FacilityType.DOH, code__startswith="BENCH-")
    _common.line("data elements", ", ".join(codes))
    _common.line(
        "periods, provinces",
        f"{len(periods)} quarters ({periods[0].id} to {periods[-1].id}), {provinces.count()}",
    )
    _common.line("data values in the table", f"{DataValue.objects.count():,}")
    figures = {}

    fresh = new_connection()
    cold = _common.samples_ms(bench.query, 1)
    warm = _common.samples_ms(bench.query, args.runs)
    result = bench.query()
    figures["query_cold_ms"], figures["query_ms"] = cold[0], statistics.median(warm)
    with CaptureQueriesContext(connection) as captured:
        bench.query()
    _common.line(
        "run_query, cold" + ("" if fresh else " (same connection)"), _common.describe_ms(cold)
    )
    _common.line("run_query, warm", _common.describe_ms(warm))
    _common.line("  SQL statements per run_query", str(len(captured.captured_queries)))

    fresh = new_connection()
    cold = _common.samples_ms(bench.handwritten, 1)
    warm = _common.samples_ms(bench.handwritten, args.runs)
    figures["groupby_cold_ms"], figures["groupby_ms"] = cold[0], statistics.median(warm)
    _common.line(
        "hand-written GROUP BY, cold" + ("" if fresh else " (same connection)"),
        _common.describe_ms(cold),
    )
    _common.line("hand-written GROUP BY, warm", _common.describe_ms(warm))

    ratio = figures["query_ms"] / figures["groupby_ms"]
    figures["ratio"] = ratio
    goal = "met" if figures["query_ms"] < 1000 and ratio <= 1.5 else "missed"
    _common.line(
        "run_query / GROUP BY (warm medians)",
        f"{ratio:8.3f}x  (goal: < 1 s and <= 1.5x: {goal})",
    )
    compared, different = bench.same(result)
    figures["cells"], figures["different"] = compared, different
    _common.line(
        "same numbers",
        f"{'yes' if not different else 'NO'} ({compared:,} cells, {different} differ)",
    )

    if args.explain and _common.is_postgresql():
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        print(f"   run_query's slowest statement ({slowest['time']} s):")
        explain(slowest["sql"], None)
        print("   the hand-written GROUP BY:")
        with CaptureQueriesContext(connection) as handwritten:
            bench.handwritten()
        explain(handwritten.captured_queries[-1]["sql"], None)

    problems = after_imports(bench, user)
    _common.line(
        "after importing 5 values (update x3, delete, create)",
        "numbers moved by exactly the differences, equal the GROUP BY, restored: "
        + ("yes" if not problems else "NO"),
    )
    for problem in problems:
        print(f"   problem: {problem}")
    if different or not compared or problems:
        raise SystemExit("analytics benchmark: the query layer and the data values disagree")
    return figures


if __name__ == "__main__":
    main()
