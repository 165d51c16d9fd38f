"""Benchmark data: a national network of facilities with months of monthly statistics.

Builds, in an empty database, Bộ Y tế > 34 Sở Y tế > hospitals and health centres > commune
stations (about 13,000 facilities; paths, depths and hierarchy rows written in bulk the way
``OrgUnit.save`` would), the default statistics metadata plus synthetic data elements up to 50,
the data sets assigned to every facility, and one value per facility, data element, option
combo and month: about 20 million values for 36 months. The values are written with COPY
straight into the data value table (on PostgreSQL the table's secondary indexes and foreign
keys are dropped for the load and rebuilt after it, as pg_restore does); the import that is
measured is aggregate_import.py's. Then the analytics rollups are rebuilt.

    DATABASE_URL=postgres://... .venv/bin/python bench/aggregate_generate.py
    .venv/bin/python bench/aggregate_generate.py --provinces 4 --facilities 400 --months 12

Sizes: --facilities (all provinces together), --provinces, --elements (data elements that get
values: the default set's first, then synthetic ones), --months (ending with --end, by
default the last month of the last finished quarter).
"""

from __future__ import annotations

import argparse
import datetime
import math
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common  # noqa: E402

_common.setup_django()

from auditlog.context import disable_auditlog  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from doha.aggregate.metadata import load_default_metadata  # noqa: E402
from doha.aggregate.models import (  # noqa: E402
    AggregationType,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataSetElement,
    DataValue,
    PeriodType,
    ValueType,
)
from doha.aggregate.periods import Period, parse_period  # noqa: E402
from doha.aggregate.services import default_combo, default_option_combo  # noqa: E402
from doha.aggregate.streaming import VALUE_COLUMNS  # noqa: E402
from doha.analytics import rollup  # noqa: E402
from doha.analytics.rollup_models import SubtreeRollup, UnitRollup  # noqa: E402
from doha.core.text import collation_key  # noqa: E402
from doha.orgunits.models import FacilityType, OrgUnit, OrgUnitHierarchy  # noqa: E402

STATION, CENTRE, HOSPITAL = "station", "centre", "hospital"
# Above this many values, PostgreSQL loads with the secondary indexes and foreign keys of the
# data value table dropped and rebuilds them after (much faster than maintaining them).
BULK_THRESHOLD = 100_000

# Monthly figures per facility: (kind, commune station, health centre, hospital); None where
# that kind of facility does not report the element. "flow": a count with a season;
# "stock": a running figure (LAST aggregation) that grows slowly; "rare": small counts, often 0.
SPECS = {
    "OPD_VISITS": ("flow", 260, 5200, 14000),
    "IPD_ADMISSIONS": ("flow", None, 520, 1900),
    "REFERRALS_OUT": ("flow", 14, 60, 90),
    "CHILD_FULLY_IMMUNISED": ("flow", 9, None, None),
    "DENGUE_CASES": ("rare", 2, 6, 10),
    "HEALTH_RECORDS": ("stock", 6000, None, None),
    "POPULATION": ("stock", 8600, None, None),
    "CHILDREN_UNDER1": ("stock", 120, None, None),
    "IPD_DAYS": ("flow", None, 3100, 12500),
    "REFERRALS_IN": ("flow", None, 25, 160),
    "SURGERIES": ("flow", None, 60, 420),
    "DEATHS": ("rare", None, 2, 6),
    "TECHNIQUES_PERFORMED": ("stock", None, 150, 420),
    "NEW_TECHNIQUES": ("rare", None, 1, 2),
    "PREGNANT_VACCINATED": ("flow", 8, None, None),
    "FOOD_POISONING_EVENTS": ("rare", 1, 1, 1),
    "HOTLINE_CALLS": ("flow", 6, 30, 50),
    "HOTLINE_RESOLVED": ("flow", 5, 27, 45),
    "MEDICAL_INCIDENTS": ("rare", None, 1, 2),
    "ACT_TRANSFERS_ACCEPTED": ("rare", None, 1, 1),
    "ACT_ROTATION_STAFF": ("flow", None, 2, 4),
    "ACT_PEOPLE_TRAINED": ("flow", 3, 20, 40),
    "ACT_CONSULTATIONS": ("flow", 2, 15, 30),
    "ACT_DONATION_VALUE": ("flow", 5_000_000, 60_000_000, 150_000_000),
}
# Share of each option combo in a disaggregated element's total, in sort order.
CELL_WEIGHTS = [1.0, 0.8, 1.15, 0.95, 1.1, 0.85, 1.05, 0.9]


def synthetic_spec(index: int):
    """Synthetic elements: every one reported by hospitals and health centres, three in four
    by commune stations."""
    station = None if index % 4 == 3 else 10 + 3 * index
    return ("flow", station, 10 * (10 + 3 * index), 20 * (10 + 3 * index))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=13_000, help="facilities in all")
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--elements", type=int, default=50, help="data elements with values")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--end", default=None, help="last month, YYYYMM")
    args = parser.parse_args(argv)
    if args.provinces < 1 or args.facilities < args.provinces:
        parser.error("--facilities must be at least --provinces (one facility per province)")
    if args.elements < 5:
        parser.error("--elements must be at least 5 (the analytics benchmark asks for five)")
    if args.months < 1:
        parser.error("--months must be at least 1")
    return args


def default_end(today: datetime.date) -> str:
    """The last month of the last finished quarter."""
    quarter_start_month = 3 * ((today.month - 1) // 3) + 1
    year, month = today.year, quarter_start_month - 1
    if month == 0:
        year, month = year - 1, 12
    return f"{year}{month:02d}"


def month_periods(end: str, months: int) -> list[Period]:
    last = parse_period(end)
    if last.period_type != PeriodType.MONTHLY:
        raise SystemExit(f"--end must be a month (YYYYMM), not {end!r}")
    periods = [last]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    return periods[::-1]


# ----------------------------------------------------------------------------- metadata


def ensure_elements(count: int) -> list[tuple[DataElement, dict]]:
    """The data elements that get values, in order, with their spec: the default set's (in
    SPECS order), then synthetic ones (created, with a data set of their own)."""
    defaults = {e.code: e for e in DataElement.objects.filter(code__in=SPECS)}
    chosen = [(defaults[code], SPECS[code]) for code in SPECS if code in defaults][:count]
    extra = count - len(chosen)
    if extra <= 0:
        return chosen
    combo = default_combo()
    data_set, _created = DataSet.objects.get_or_create(
        code=_common.BENCH_DATA_SET,
        defaults={
            "name": "Bộ số liệu thử tải (benchmark)",
            "short_name": "Thử tải",
            "period_type": PeriodType.MONTHLY,
            "category_combo": combo,
        },
    )
    for index in range(extra):
        code = _common.SYNTHETIC_CODE.format(index + 1)
        element, _created = DataElement.objects.get_or_create(
            code=code,
            defaults={
                "name": f"Chỉ tiêu thử tải {index + 1:02d}",
                "short_name": f"Thử tải {index + 1:02d}",
                "value_type": ValueType.INTEGER_ZERO_OR_POSITIVE,
                "aggregation_type": AggregationType.SUM,
                "category_combo": combo,
            },
        )
        DataSetElement.objects.get_or_create(
            data_set=data_set, data_element=element, defaults={"sort_order": index}
        )
        chosen.append((element, synthetic_spec(index)))
    return chosen


# ----------------------------------------------------------------------------- org units


def _unit(parent, code, name, facility_type):
    unit = OrgUnit(code=code, name=name, facility_type=facility_type, parent=parent)
    unit.normalize_text_fields()
    unit.search_text = " " + unit.compute_search_text() + " "
    unit.sort_name = collation_key(unit.name)[:600]
    # As OrgUnit.save: "/uid/uid/.../", depth = number of segments.
    unit.path = (parent.path if parent else "/") + unit.uid + "/"
    unit.depth = unit.path.count("/") - 1
    return unit


def layout(facilities: int, provinces: int) -> tuple[int, int, int]:
    """Per province: (hospitals, health centres, commune stations)."""
    per = facilities // provinces
    hospitals = min(3, per)
    rest = per - hospitals
    centres = max(1, round(rest / 32)) if rest else 0
    return hospitals, centres, rest - centres


def build_tree(facilities: int, provinces: int) -> dict[str, list[OrgUnit]]:
    """The org units, by kind of facility (MOH and DOHs under "authority")."""
    hospitals, centres, stations = layout(facilities, provinces)
    moh = _unit(None, _common.MOH_CODE, "Bộ Y tế (thử tải)", FacilityType.MINISTRY)
    OrgUnit.objects.bulk_create([moh])
    dohs = [
        _unit(moh, _common.DOH_CODE.format(p), f"Sở Y tế tỉnh Thử Tải {p}", FacilityType.DOH)
        for p in range(1, provinces + 1)
    ]
    OrgUnit.objects.bulk_create(dohs)
    level3, kinds = [], {}
    for p, doh in enumerate(dohs, start=1):
        for h in range(1, hospitals + 1):
            unit = _unit(
                doh,
                f"{doh.code}-BV{h}",
                f"Bệnh viện Đa khoa Số {h} tỉnh Thử Tải {p}",
                FacilityType.PROVINCIAL_HOSPITAL,
            )
            level3.append(unit)
            kinds[unit.code] = HOSPITAL
        for c in range(1, centres + 1):
            unit = _unit(
                doh,
                f"{doh.code}-TTYT{c:02d}",
                f"Trung tâm Y tế Khu vực {c} tỉnh Thử Tải {p}",
                FacilityType.HEALTH_CENTRE,
            )
            level3.append(unit)
            kinds[unit.code] = CENTRE
    OrgUnit.objects.bulk_create(level3, batch_size=2000)
    level4 = []
    by_province = {}
    for unit in level3:
        if kinds[unit.code] == CENTRE:
            by_province.setdefault(unit.parent_id, []).append(unit)
    for doh in dohs:
        province_centres = by_province.get(doh.id, [])
        for s in range(stations):
            centre = province_centres[s * len(province_centres) // stations]
            level4.append(
                _unit(
                    centre,
                    f"{centre.code}-TYT{s + 1:03d}",
                    f"Trạm Y tế Xã {s + 1} {centre.name.removeprefix('Trung tâm Y tế ')}",
                    FacilityType.COMMUNE_STATION,
                )
            )
    OrgUnit.objects.bulk_create(level4, batch_size=2000)
    everything = [moh, *dohs, *level3, *level4]
    OrgUnitHierarchy.objects.bulk_create(
        [
            OrgUnitHierarchy(
                org_unit=u, parent_id=u.parent_id, path=u.path, valid_from="1900-01-01"
            )
            for u in everything
        ],
        batch_size=2000,
    )
    return {
        "authority": [moh, *dohs],
        HOSPITAL: [u for u in level3 if kinds[u.code] == HOSPITAL],
        CENTRE: [u for u in level3 if kinds[u.code] == CENTRE],
        STATION: level4,
    }


def assign_data_sets(units: list[OrgUnit]) -> None:
    through = DataSet.org_units.through
    data_sets = list(
        DataSet.objects.filter(elements__isnull=False).distinct().values_list("id", flat=True)
    )
    through.objects.bulk_create(
        [through(dataset_id=ds, orgunit_id=u.id) for ds in data_sets for u in units],
        batch_size=5000,
        ignore_conflicts=True,
    )


# ----------------------------------------------------------------------------- values


def unit_factor(unit_id: int) -> float:
    """A facility's size, 0.6 to 1.4, the same for every element (so ratios stay plausible)."""
    return 0.6 + ((unit_id * 2654435761) % 1000) / 1250


def season(kind: str, code: str, month: int) -> float:
    if code == "DENGUE_CASES":  # the rainy season, peaking in September
        return 0.4 + 1.2 * max(0.0, math.cos((month - 9) * math.pi / 6))
    if kind == "flow":
        return 1.0 + 0.08 * math.sin((month - 1) * math.pi / 6)
    return 1.0


def plan(elements, units_by_kind, periods) -> list[tuple]:
    """One block per (element, option combo, month): what is written, and who reports it."""
    default = default_option_combo()
    blocks = []
    for e_index, (element, spec) in enumerate(elements):
        combos = list(
            CategoryOptionCombo.objects.filter(category_combo_id=element.category_combo_id)
            .order_by("sort_order", "id")
            .values_list("id", flat=True)
        )
        kind, *bases = spec
        weights = CELL_WEIGHTS[: len(combos)] or [1.0]
        weight_sum = sum(weights[i % len(weights)] for i in range(len(combos)))
        for c_index, coc_id in enumerate(combos):
            share = weights[c_index % len(weights)] / weight_sum
            for m_index, period in enumerate(periods):
                groups = []
                for facility_kind, base in zip((STATION, CENTRE, HOSPITAL), bases, strict=True):
                    if base is None or not units_by_kind[facility_kind]:
                        continue
                    groups.append((facility_kind, base * share))
                if groups:
                    blocks.append(
                        (
                            element,
                            kind,
                            coc_id,
                            default.id,
                            period,
                            m_index,
                            e_index,
                            c_index,
                            groups,
                        )
                    )
    return blocks


def block_values(block, units_by_kind, months_total):
    """[(org unit id, integer value)] of one block."""
    element, kind, _coc, _aoc, period, m_index, e_index, c_index, groups = block
    zero_ok = element.zero_is_significant
    salt = m_index * 9973 + c_index * 131 + e_index * 7
    out = []
    for facility_kind, base in groups:
        units = units_by_kind[facility_kind]
        if kind == "stock":
            growth = 1.0 + 0.004 * m_index
            if element.code == "HEALTH_RECORDS":  # coverage from about 55% to 80%
                growth = 0.7 + 0.3 * m_index / max(1, months_total - 1)
            scale = base * growth
            out.extend((uid, int(scale * f) or 1) for uid, f, _h in units)
        elif kind == "rare":
            scale = 2.0 * base / 1000
            if zero_ok:
                out.extend((uid, int(((h + salt) % 1000) * scale * f)) for uid, f, h in units)
            else:
                out.extend((uid, int(((h + salt) % 1000) * scale * f) or 1) for uid, f, h in units)
        else:
            scale = base * season(kind, element.code, period.start.month)
            out.extend(
                (uid, int(scale * f * (0.9 + ((h + salt) % 21) * 0.01)) or 1) for uid, f, h in units
            )
    return out


COLUMNS = VALUE_COLUMNS


def _constraints_and_indexes(table: str):
    """The foreign keys and unique constraints of ``table`` and its plain indexes, with the
    SQL that makes them again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [table],
        )
        indexes = cursor.fetchall()
    return constraints, indexes


@contextmanager
def indexes_dropped(table: str, *, constraints: bool = False):
    """Drop the plain indexes of ``table`` (and, with ``constraints``, its unique keys and
    foreign keys), run the block, make them again exactly as they were (PostgreSQL, inside
    a transaction: a failure leaves the table as it was)."""
    assert connection.in_atomic_block
    quoted = connection.ops.quote_name(table)
    keys, indexes = _constraints_and_indexes(table)
    if not constraints:
        keys = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for name, _kind, _definition in keys:
            cursor.execute(
                f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}"
            )
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for name, definition in indexes:
            _, took = _common.seconds(cursor.execute, definition)
            print(f"   index {name} rebuilt in {took:.0f} s", flush=True)
        for name, kind, definition in keys:
            name_sql = connection.ops.quote_name(name)
            sql = f"ALTER TABLE {quoted} ADD CONSTRAINT {name_sql} {definition}"
            _, took = _common.seconds(cursor.execute, sql)
            what = "unique key" if kind == "u" else "foreign key"
            print(f"   {what} {name} rebuilt in {took:.0f} s", flush=True)


def load_values(blocks, units_by_kind, months_total, expected: int) -> int:
    """Write every block's values; the number written."""
    now = timezone.now()
    table = DataValue._meta.db_table
    written = 0
    if connection.vendor != "postgresql":
        sql = (
            f"INSERT INTO {connection.ops.quote_name(table)} ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            for block in blocks:
                element, _k, coc, aoc, period, *_rest = block
                rows = [
                    (
                        element.id,
                        period.id,
                        period.period_type,
                        period.start,
                        period.end,
                        uid,
                        coc,
                        aoc,
                        str(v),
                        float(v),
                        _common.STORED_BY,
                        "",
                        False,
                        False,
                        now,
                        now,
                    )
                    for uid, v in block_values(block, units_by_kind, months_total)
                ]
                cursor.executemany(sql, rows)
                written += len(rows)
        return written

    bulk = expected >= BULK_THRESHOLD
    stamp = now.isoformat()
    suffix = f"\t{_common.STORED_BY}\t\tf\tf\t{stamp}\t{stamp}\n"
    quoted = connection.ops.quote_name(table)
    with transaction.atomic(), connection.cursor() as cursor:
        if bulk:
            # An empty table truncated in this transaction: with wal_level=minimal the load
            # skips the write-ahead log.
            cursor.execute(f"TRUNCATE {quoted}")
        dropped = indexes_dropped(table, constraints=True) if bulk else nullcontext()
        with dropped:
            started, reported = time.perf_counter(), 0
            with cursor.cursor.copy(f"COPY {quoted} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for block in blocks:
                    element, _k, coc, aoc, period, *_rest = block
                    head = (
                        f"{element.id}\t{period.id}\t{period.period_type}\t"
                        f"{period.start.isoformat()}\t{period.end.isoformat()}\t"
                    )
                    middle = f"\t{coc}\t{aoc}\t"
                    values = block_values(block, units_by_kind, months_total)
                    copy.write("".join([f"{head}{u}{middle}{v}\t{v}{suffix}" for u, v in values]))
                    written += len(values)
                    if written - reported >= 2_000_000:
                        reported = written
                        rate = written / (time.perf_counter() - started)
                        print(f"   ... {written:,} values ({rate:,.0f}/s)", flush=True)
            if bulk:
                print(f"   COPY done in {time.perf_counter() - started:.0f} s", flush=True)
    return written


def rebuild_rollups(bulk: bool) -> None:
    """``rollup.refresh_all()``; for a big load on PostgreSQL with the rollup tables' plain
    indexes dropped during the rebuild and made again after it."""
    if not bulk or connection.vendor != "postgresql":
        rollup.refresh_all()
        return
    with (
        transaction.atomic(),
        indexes_dropped(UnitRollup._meta.db_table),
        indexes_dropped(SubtreeRollup._meta.db_table),
    ):
        rollup.refresh_all()


def analyze() -> None:
    tables = [
        DataValue._meta.db_table,
        UnitRollup._meta.db_table,
        SubtreeRollup._meta.db_table,
        OrgUnit._meta.db_table,
        OrgUnitHierarchy._meta.db_table,
    ]
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"VACUUM (ANALYZE) {quoted}" if vacuum else f"ANALYZE {quoted}")


# ----------------------------------------------------------------------------- main


def main(argv=None) -> dict:
    args = parse_args(argv)
    _common.header("aggregate data generator")
    _common.migrate_if_needed()
    if OrgUnit.objects.filter(code=_common.MOH_CODE).exists() or DataValue.objects.exists():
        raise SystemExit(
            "This database already holds benchmark units or data values: generate into an "
            "empty, migrated database (dropdb/createdb, or delete var/bench.sqlite3)."
        )
    periods = month_periods(args.end or default_end(timezone.localdate()), args.months)
    total_start = time.perf_counter()
    figures = {}
    with disable_auditlog():
        _, figures["metadata_s"] = _common.seconds(load_default_metadata)
        elements = ensure_elements(args.elements)
        (tree, figures["org_units_s"]) = _common.seconds(
            build_tree, args.facilities, args.provinces
        )
        facilities = tree[STATION] + tree[CENTRE] + tree[HOSPITAL]
        assign_data_sets(facilities)
        _common.national_user()
        _common.province_user(1)
    _common.line(
        "org units",
        f"{len(tree['authority']) + len(facilities):,} ({args.provinces} provinces; "
        f"{len(tree[HOSPITAL]):,} hospitals, {len(tree[CENTRE]):,} health centres, "
        f"{len(tree[STATION]):,} commune stations) in {figures['org_units_s']:.1f} s",
    )
    _common.line(
        "data elements with values",
        f"{len(elements)} ({sum(1 for e, _s in elements if e.code.startswith('BENCH_'))} "
        f"synthetic); metadata loaded in {figures['metadata_s']:.1f} s",
    )
    _common.line("months", f"{len(periods)}: {periods[0].id} to {periods[-1].id}")

    units_by_kind = {
        kind: [(u.id, unit_factor(u.id), (u.id * 40503) % 100_003) for u in tree[kind]]
        for kind in (STATION, CENTRE, HOSPITAL)
    }
    blocks = plan(elements, units_by_kind, periods)
    expected = sum(len(units_by_kind[k]) for b in blocks for k, _base in b[-1])
    _common.line("values to write", f"{expected:,}")
    written, figures["values_s"] = _common.seconds(
        load_values, blocks, units_by_kind, len(periods), expected
    )
    figures["values"] = written
    _common.line(
        "values written (COPY)" if _common.is_postgresql() else "values written (INSERT)",
        f"{written:,} in {figures['values_s']:.1f} s ({written / figures['values_s']:,.0f}/s)",
    )
    _, figures["rollups_s"] = _common.seconds(rebuild_rollups, written >= BULK_THRESHOLD)
    _common.line(
        "rollups rebuilt (rollup.refresh_all)",
        f"{UnitRollup.objects.count():,} unit rows, {SubtreeRollup.objects.count():,} "
        f"subtree rows in {figures['rollups_s']:.1f} s",
    )
    _, figures["analyze_s"] = _common.seconds(analyze)
    _common.line("VACUUM ANALYZE", f"{figures['analyze_s']:.1f} s")
    figures["total_s"] = time.perf_counter() - total_start
    _common.line("total", f"{figures['total_s']:.1f} s")
    return figures


if __name__ == "__main__":
    main()
