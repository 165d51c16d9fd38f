"""Benchmark: importing a DHIS2 data value set of 1,000,000 values, as CSV and as JSON.

Writes both files (DHIS2's CSV columns and JSON shape, UIDs), then for each format imports the
file through ``doha.aggregate.formats.import_file`` (the path of the upload page and of
``POST /api/dataValueSets``) into the months just before the generated ones, where no value
exists yet; prints values per second, the catch-up of the analytics rollups that the next
query pays, checks the imported months through the analytics query layer against a GROUP BY
over the data values, re-imports the same file (nothing changes: every value is ignored) and
removes what it imported. Last, a plain COPY of the same rows (identifiers resolved) into an
empty copy of the data value table (same columns, unique key and indexes) gives the ratio.

Goal: at least 100,000 values per second on a 2-core machine, within 3x of the plain COPY.

    DATABASE_URL=postgres://... .venv/bin/python bench/aggregate_generate.py   # first
    DATABASE_URL=postgres://... .venv/bin/python bench/aggregate_import.py [--values 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common  # noqa: E402

_common.setup_django()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Min  # noqa: E402

from doha.aggregate import datavalues, streaming  # noqa: E402
from doha.aggregate.formats import import_file  # noqa: E402
from doha.aggregate.models import (  # noqa: E402
    CategoryOptionCombo,
    DataElement,
    DataSetElement,
    DataValue,
    DataValueAudit,
    ValueType,
)
from doha.aggregate.periods import Period, parse_period  # noqa: E402
from doha.aggregate.services import default_option_combo  # noqa: E402
from doha.analytics import rollup  # noqa: E402
from doha.analytics.query import run_query  # noqa: E402
from doha.analytics.rollup_models import SubtreeRollup  # noqa: E402
from doha.orgunits.models import OrgUnit  # noqa: E402

CSV_HEADER = (
    "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,"
    "lastupdated,comment,followup,deleted\n"
)
LAST_UPDATED = "2026-01-05T08:30:00.000+0000"
COPY_TABLE = "bench_datavalue_copy"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000, help="values per file")
    parser.add_argument(
        "--formats", default="csv,json", help="comma-separated: csv, json (default both)"
    )
    parser.add_argument("--keep-files", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    args.formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    if not args.formats or any(f not in ("csv", "json") for f in args.formats):
        parser.error("--formats takes csv, json or both")
    if args.values < 1:
        parser.error("--values must be at least 1")
    return args


# ----------------------------------------------------------------------------- the rows


class Rows:
    """The values of the files: months before the generated ones, every reporting facility,
    every element of the data sets it reports, every option combo; as UIDs (for the files)
    and as ids (for the plain COPY)."""

    def __init__(self, count: int):
        self.count = count
        first = self._first_generated_month()
        elements = list(
            DataElement.objects.filter(
                id__in=DataSetElement.objects.values("data_element_id"),
                value_type__in=ValueType.numeric(),
            ).order_by("code", "id")
        )
        combos = {}
        for coc_id, coc_uid, combo_id in CategoryOptionCombo.objects.order_by(
            "sort_order", "id"
        ).values_list("id", "uid", "category_combo_id"):
            combos.setdefault(combo_id, []).append((coc_id, coc_uid))
        cells = [
            (e.id, e.uid, coc_id, coc_uid)
            for e in elements
            for coc_id, coc_uid in combos.get(e.category_combo_id, [])
        ]
        facilities = list(
            OrgUnit.objects.filter(depth__gte=3, path__startswith=self._moh_path())
            .order_by("path")
            .values_list("id", "uid")
        )
        if not cells or not facilities:
            raise SystemExit("The generated data has no facilities or data elements.")
        aoc = default_option_combo()
        self.aoc = (aoc.id, aoc.uid)
        self.uids: list[tuple] = []  # (de uid, period id, ou uid, coc uid, value)
        self.ids: list[tuple] = []  # (de id, Period, ou id, coc id, value)
        self.periods: list[Period] = []
        period = first
        while len(self.ids) < count:
            period = period.previous()
            self.periods.append(period)
            for ou_id, ou_uid in facilities:
                for de_id, de_uid, coc_id, coc_uid in cells:
                    value = (ou_id * 7 + de_id * 13 + coc_id * 3 + period.start.month) % 500 + 1
                    self.uids.append((de_uid, period.id, ou_uid, coc_uid, value))
                    self.ids.append((de_id, period, ou_id, coc_id, value))
                    if len(self.ids) == count:
                        break
                if len(self.ids) == count:
                    break
        self.element_ids = sorted({row[0] for row in self.ids})
        self.pairs = {(row[0], row[1].start) for row in self.ids}

    @staticmethod
    def _moh_path() -> str:
        return OrgUnit.objects.get(code=_common.MOH_CODE).path

    @staticmethod
    def _first_generated_month() -> Period:
        moh = OrgUnit.objects.get(code=_common.MOH_CODE)
        first = (
            SubtreeRollup.objects.filter(org_unit=moh).aggregate(first=Min("start_date"))["first"]
            or DataValue.objects.aggregate(first=Min("start_date"))["first"]
        )
        if first is None:
            raise SystemExit("No generated values: run bench/aggregate_generate.py first.")
        return parse_period(first.strftime("%Y%m"))

    def write_csv(self, path: Path) -> None:
        aoc = self.aoc[1]
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(CSV_HEADER)
            tail = f",bench-file,{LAST_UPDATED},,false,\n"
            for start in range(0, len(self.uids), 100_000):
                handle.write(
                    "".join(
                        f"{de},{pe},{ou},{coc},{aoc},{value}{tail}"
                        for de, pe, ou, coc, value in self.uids[start : start + 100_000]
                    )
                )

    def write_json(self, path: Path) -> None:
        aoc = self.aoc[1]
        values = [
            {
                "dataElement": de,
                "period": pe,
                "orgUnit": ou,
                "categoryOptionCombo": coc,
                "attributeOptionCombo": aoc,
                "value": str(value),
                "storedBy": "bench-file",
                "lastUpdated": LAST_UPDATED,
                "followup": False,
            }
            for de, pe, ou, coc, value in self.uids
        ]
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"dataValues": values}, handle, separators=(",", ":"))

    def copy_text(self) -> str:
        aoc = self.aoc[0]
        return "".join(
            f"{de}\t{p.id}\t{p.period_type}\t{p.start.isoformat()}\t{p.end.isoformat()}\t"
            f"{ou}\t{coc}\t{aoc}\t{value}\t{value}\tbench-file\t\tf\tf\t{LAST_UPDATED}\t"
            f"{LAST_UPDATED}\n"
            for de, p, ou, coc, value in self.ids
        )

    def sql_rows(self) -> list[tuple]:
        aoc = self.aoc[0]
        return [
            (
                de,
                p.id,
                p.period_type,
                p.start,
                p.end,
                ou,
                coc,
                aoc,
                str(v),
                float(v),
                "bench-file",
                "",
                False,
                False,
                LAST_UPDATED,
                LAST_UPDATED,
            )
            for de, p, ou, coc, v in self.ids
        ]


# ----------------------------------------------------------------------------- helpers


def stored_count(rows: Rows) -> int:
    return DataValue.objects.filter(
        data_element_id__in=rows.element_ids,
        start_date__in=[p.start for p in rows.periods],
        period_type="Monthly",
        deleted=False,
    ).count()


def remove_imported(rows: Rows) -> None:
    """Take the imported months out again (values, their trail, their rollups)."""
    dv = connection.ops.quote_name(DataValue._meta.db_table)
    audit = connection.ops.quote_name(DataValueAudit._meta.db_table)
    elements = ", ".join(str(int(i)) for i in rows.element_ids)
    starts = [p.start for p in rows.periods]
    period_ids = [p.id for p in rows.periods]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {dv} WHERE data_element_id IN ({elements}) AND period_type = 'Monthly' "
            f"AND start_date IN ({', '.join(['%s'] * len(starts))})",
            starts,
        )
        cursor.execute(
            f"DELETE FROM {audit} WHERE data_element_id IN ({elements}) "
            f"AND period IN ({', '.join(['%s'] * len(period_ids))})",
            period_ids,
        )
        rollup.refresh(sorted(rows.pairs))


def check_with_query(user, rows: Rows) -> tuple[int, int]:
    """(cells compared, cells different): three of the imported elements by province and
    month, through run_query and through a GROUP BY over the data values."""
    elements = list(DataElement.objects.filter(id__in=rows.element_ids[:3]))
    months = sorted(rows.periods)
    result = run_query(
        user,
        dx=[e.uid for e in elements],
        pe=[p.id for p in months],
        ou=["LEVEL-2"],
    )
    expected = _common.handwritten_by_province(
        [e.id for e in elements], months[0].start, months[-1].end, "month"
    )
    return _common.compare(result, expected, {e.id: e.uid for e in elements})


def timed_import(user, path: Path, fmt: str, label: str):
    """(summary, seconds, seconds in _write_postgresql or, when the values were streamed,
    after the last one was read (ending the COPY, the audit rows), CPU seconds of this
    process before then: reading, resolving and checking the values (and, streamed, handing
    them to the COPY), whether the values were streamed)."""
    data = path.read_bytes()
    write_seconds = {"s": 0.0, "cpu_before": None, "streamed": False}
    original = datavalues._write_postgresql if _common.is_postgresql() else None
    original_finish = streaming.StreamingWriter.finish

    def measured(*args, **kwargs):
        write_seconds["cpu_before"] = time.process_time()
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            write_seconds["s"] += time.perf_counter() - start

    def measured_finish(self, *args, **kwargs):
        write_seconds["cpu_before"] = time.process_time()
        start = time.perf_counter()
        try:
            done = original_finish(self, *args, **kwargs)
            write_seconds["streamed"] = done
            return done
        finally:
            write_seconds["s"] += time.perf_counter() - start

    if original is not None:
        datavalues._write_postgresql = measured
        streaming.StreamingWriter.finish = measured_finish
    cpu_start = time.process_time()
    try:
        summary, took = _common.seconds(
            import_file,
            user,
            data,
            fmt,
            filename=path.name,
            strategy="CREATE_AND_UPDATE",
            atomic=True,
        )
    finally:
        if original is not None:
            datavalues._write_postgresql = original
            streaming.StreamingWriter.finish = original_finish
    if summary.status == "ERROR" or summary.total_conflicts:
        raise SystemExit(f"{label}: the import failed: {summary.as_dict()}")
    cpu_end = write_seconds["cpu_before"] or time.process_time()
    return summary, took, write_seconds["s"], cpu_end - cpu_start, write_seconds["streamed"]


def plain_copy_seconds(rows: Rows, indexes: bool = True) -> float:
    """A COPY (PostgreSQL) or executemany INSERT (SQLite) of the same rows into an empty copy
    of the data value table: same columns, unique key and indexes (none with
    ``indexes=False``)."""
    table = connection.ops.quote_name(DataValue._meta.db_table)
    copy_table = connection.ops.quote_name(COPY_TABLE)
    columns = ", ".join(streaming.VALUE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {copy_table}")
        if connection.vendor == "postgresql":
            including = " INCLUDING CONSTRAINTS INCLUDING INDEXES" if indexes else ""
            cursor.execute(
                f"CREATE TABLE {copy_table} (LIKE {table} INCLUDING DEFAULTS "
                f"INCLUDING IDENTITY{including})"
            )
            text = rows.copy_text()
            with transaction.atomic():
                start = time.perf_counter()
                with cursor.cursor.copy(f"COPY {copy_table} ({columns}) FROM STDIN") as copy:
                    copy.write(text)
                took = time.perf_counter() - start
        else:
            cursor.execute(f"CREATE TABLE {copy_table} AS SELECT * FROM {table} WHERE 0")
            if indexes:
                cursor.execute(
                    f"CREATE UNIQUE INDEX bench_copy_key ON {copy_table} (data_element_id, "
                    f"period, org_unit_id, category_option_combo_id, attribute_option_combo_id)"
                )
            data = rows.sql_rows()
            placeholders = ", ".join(["%s"] * 16)
            with transaction.atomic():
                start = time.perf_counter()
                cursor.executemany(
                    f"INSERT INTO {copy_table} ({columns}) VALUES ({placeholders})", data
                )
                took = time.perf_counter() - start
        cursor.execute(f"SELECT COUNT(*) FROM {copy_table}")
        copied = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {copy_table}")
    if copied != rows.count:
        raise SystemExit(f"The plain copy wrote {copied} rows, not {rows.count}.")
    return took


def plain_copy_into_values_seconds(rows: Rows) -> float:
    """A COPY of the same rows into the value table itself (the 20 million values, its unique
    key and indexes), rolled back: the fastest way in, with no check and no audit row."""
    table = connection.ops.quote_name(DataValue._meta.db_table)
    columns = ", ".join(streaming.VALUE_COLUMNS)
    text = rows.copy_text()
    with transaction.atomic(), connection.cursor() as cursor:
        start = time.perf_counter()
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(text)
        took = time.perf_counter() - start
        transaction.set_rollback(True)
    return took


# ----------------------------------------------------------------------------- main


def main(argv=None) -> dict:
    args = parse_args(argv)
    _common.header(f"import of {args.values:,} values (CSV, JSON) through import_file")
    _common.require_generated_data()
    user = _common.national_user()
    rows, took = _common.seconds(Rows, args.values)
    _common.line(
        "file rows",
        f"{rows.count:,} values: {len(rows.element_ids)} elements, months "
        f"{min(rows.periods).id} to {max(rows.periods).id} (prepared in {took:.1f} s)",
    )
    _common.line("values already in the database", f"{DataValue.objects.count():,}")
    if stored_count(rows):
        print("   removing values left in those months by an earlier run ...", flush=True)
        remove_imported(rows)
    workdir = Path(tempfile.mkdtemp(prefix="doha-bench-import-"))
    figures = {}
    failures = []
    try:
        for fmt in args.formats:
            path = workdir / f"datavalues.{fmt}"
            _, took = _common.seconds(rows.write_csv if fmt == "csv" else rows.write_json, path)
            size = path.stat().st_size / 1024 / 1024
            _common.line(f"{fmt.upper()} file", f"{size:,.1f} MB written in {took:.1f} s")

            load = os.getloadavg()[0]
            summary, took, write_s, python_cpu, streamed = timed_import(
                user, path, fmt, fmt.upper()
            )
            rate = rows.count / took
            figures[f"{fmt}_s"] = took
            figures[f"{fmt}_rate"] = rate
            figures[f"{fmt}_streamed"] = streamed
            _common.line(
                f"{fmt.upper()} import (new values)",
                f"{took:8.1f} s  {rate:>10,.0f} values/s  imported {summary.imported:,}"
                + ("; streamed into the value table while read" if streamed else ""),
            )
            python_s = took - write_s
            figures[f"{fmt}_python_us"] = python_s / rows.count * 1e6
            figures[f"{fmt}_python_cpu_us"] = python_cpu / rows.count * 1e6
            _common.line(
                "  read, resolve, check"
                + (" and stream to the server" if streamed else " (Python, before the write)"),
                f"{python_s:8.1f} s  {python_s / rows.count * 1e6:6.1f} µs/value "
                f"(CPU of this process {python_cpu / rows.count * 1e6:.1f} µs/value; load "
                f"average {load:.1f} -> {os.getloadavg()[0]:.1f})",
            )
            if write_s:
                _common.line(
                    "  then: the COPY's end and the audit rows"
                    if streamed
                    else "  then: writing (COPY into a temporary table + SQL)",
                    f"{write_s:8.1f} s",
                )
            if summary.imported != rows.count or stored_count(rows) != rows.count:
                failures.append(f"{fmt}: imported {summary.imported:,} of {rows.count:,}")

            pending, took = _common.seconds(rollup.apply_pending)
            figures[f"{fmt}_rollup_s"] = took
            _common.line(
                "  rollup catch-up (paid by the next query)",
                f"{took:8.1f} s  ({pending} element-month slices rebuilt)",
            )
            compared, different = check_with_query(user, rows)
            _common.line(
                "  run_query = GROUP BY over the imported months",
                f"{'yes' if not different else 'NO'} ({compared:,} cells, {different} different)",
            )
            if different or not compared:
                failures.append(f"{fmt}: analytics differ from the data values after the import")

            summary, took, *_ = timed_import(user, path, fmt, f"{fmt.upper()} again")
            figures[f"{fmt}_again_s"] = took
            _common.line(
                f"{fmt.upper()} re-import (nothing changes)",
                f"{took:8.1f} s  {rows.count / took:>10,.0f} values/s  ignored "
                f"{summary.ignored:,}, imported {summary.imported}, updated {summary.updated}",
            )
            if summary.ignored != rows.count or summary.imported or summary.updated:
                failures.append(f"{fmt}: the re-import changed something")
            _, took = _common.seconds(remove_imported, rows)
            _common.line("  imported months removed again (not measured)", f"{took:8.1f} s")
    finally:
        if args.keep_files:
            print(f"   files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    label = "plain COPY" if _common.is_postgresql() else "plain INSERT"
    bare_s = plain_copy_seconds(rows, indexes=False)
    figures["bare_copy_s"] = bare_s
    _common.line(
        f"{label}, same rows, bare table (no keys, no indexes)",
        f"{bare_s:8.1f} s  {rows.count / bare_s:>10,.0f} values/s",
    )
    copy_s = plain_copy_seconds(rows)
    figures["copy_s"] = copy_s
    _common.line(
        f"{label}, same rows, empty copy of the value table",
        f"{copy_s:8.1f} s  {rows.count / copy_s:>10,.0f} values/s",
    )
    if _common.is_postgresql():
        into_s = plain_copy_into_values_seconds(rows)
        figures["copy_into_values_s"] = into_s
        _common.line(
            "plain COPY, same rows, into the value table itself (rolled back)",
            f"{into_s:8.1f} s  {rows.count / into_s:>10,.0f} values/s",
        )
        for fmt in args.formats:
            _common.line(
                f"{fmt.upper()} import time / plain COPY into the value table",
                f"{figures[f'{fmt}_s'] / into_s:8.2f}x",
            )
    for fmt in args.formats:
        ratio = figures[f"{fmt}_s"] / copy_s
        figures[f"{fmt}_ratio"] = ratio
        goal = "met" if figures[f"{fmt}_rate"] >= 100_000 and ratio <= 3 else "missed"
        _common.line(
            f"{fmt.upper()} import time / {label} into the table copy",
            f"{ratio:8.2f}x  (goal: >= 100,000 values/s and <= 3x: {goal})",
        )
    if failures:
        raise SystemExit("import benchmark: " + "; ".join(failures))
    return figures


if __name__ == "__main__":
    main()
