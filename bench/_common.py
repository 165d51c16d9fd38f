"""What the aggregate-data benchmarks share: Django set-up, the bench users, timing, the
machine, and the names the generator gives to what it builds.

The scripts run against the database of ``DATABASE_URL`` (PostgreSQL for real figures); without
it they use ``var/bench.sqlite3`` so that the generator and the scripts after it see the same
data. Each script's ``main(argv)`` is also called by ``tests/bench/test_bench_smoke.py`` at a
tiny size, inside the test database.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Codes of what the generator builds (aggregate_generate.py); the other scripts find it by them.
MOH_CODE = "BENCH-BYT"
DOH_CODE = "BENCH-SYT{:02d}"
BENCH_DATA_SET = "DS_BENCH"
SYNTHETIC_CODE = "BENCH_DE_{:02d}"
NATIONAL_USER = "bench-national"
PROVINCE_USER = "bench-doh"
STORED_BY = "bench"
# The five elements of the analytics benchmark: SUM elements, three of them disaggregated.
QUERY_CODES = ["OPD_VISITS", "IPD_ADMISSIONS", "REFERRALS_OUT", "CHILD_FULLY_IMMUNISED"]
QUERY_FIFTH = ["DENGUE_CASES", "HOTLINE_CALLS"]


def setup_django() -> None:
    """Configure Django once (a no-op under pytest, where it is already configured)."""
    for path in (ROOT / "src", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import django
    from django.apps import apps

    if apps.ready:
        return
    # WhiteNoise warns when var/static/ has not been collected: irrelevant to the figures.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doha.settings")
    django.setup()


def migrate_if_needed() -> None:
    """Apply missing migrations (nothing to do in an up-to-date or test database)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("applying migrations ...", flush=True)
        call_command("migrate", verbosity=0)


def is_postgresql() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        return f"PostgreSQL {version} ({connection.settings_dict['NAME']})"
    return f"{connection.vendor} ({connection.settings_dict['NAME']})"


def machine() -> str:
    cpus = os.cpu_count() or 0
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            kb = int(handle.readline().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpus} CPU{memory}, Python {platform.python_version()}, {database_label()}"


def header(title: str) -> None:
    print(f"== {title}")
    print(f"   {machine()}", flush=True)


def seconds(fn, *args, **kwargs):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def samples_ms(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def describe_ms(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):9.1f} ms   min {min(samples):9.1f} ms   "
        f"max {max(samples):9.1f} ms   (n={len(samples)})"
    )


def line(label: str, text: str) -> None:
    print(f"   {label:<58} {text}", flush=True)


def national_user():
    """A DOH officer placed at the ministry: the whole country in scope."""
    from doha.core.permissions import Role
    from doha.orgunits.models import OrgUnit
    from doha.users.models import User

    moh = OrgUnit.objects.get(code=MOH_CODE)
    user, _created = User.objects.update_or_create(
        username=NATIONAL_USER, defaults={"role": Role.DOH_OFFICER, "org_unit": moh}
    )
    return user


def province_user(number: int = 1):
    """A DOH officer of the ``number``-th province."""
    from doha.core.permissions import Role
    from doha.orgunits.models import OrgUnit
    from doha.users.models import User

    doh = OrgUnit.objects.get(code=DOH_CODE.format(number))
    user, _created = User.objects.update_or_create(
        username=PROVINCE_USER, defaults={"role": Role.DOH_OFFICER, "org_unit": doh}
    )
    return user


def require_generated_data() -> None:
    from doha.orgunits.models import OrgUnit

    if not OrgUnit.objects.filter(code=MOH_CODE).exists():
        raise SystemExit(
            "No benchmark data in this database: run bench/aggregate_generate.py first "
            "(with the same DATABASE_URL)."
        )


def query_element_codes() -> list[str]:
    """The five data elements the analytics benchmarks ask for: four fixed ones and the
    first of ``QUERY_FIFTH`` that holds values."""
    from doha.aggregate.models import DataValue

    codes = list(QUERY_CODES)
    for code in QUERY_FIFTH:
        if DataValue.objects.filter(data_element__code=code).exists():
            codes.append(code)
            break
    return codes


def handwritten_by_province(element_ids, first_day, last_day, bucket: str, level: int = 2):
    """The hand-written answer: a GROUP BY over the data value table joined to the org units,
    the province found by its path prefix ("/uid/uid/", 12 characters a level).

    {(data element id, period id, province uid): total} over the monthly values between
    ``first_day`` and ``last_day``, by month (``bucket="month"``) or quarter."""
    from django.db import connection

    from doha.aggregate.models import DataValue
    from doha.orgunits.models import OrgUnit

    length = 1 + 12 * level
    if bucket == "month":
        period_sql = "v.period"
    else:
        period_sql = (
            "CAST(SUBSTR(v.period, 1, 4) AS INTEGER) * 10 "
            "+ (CAST(SUBSTR(v.period, 5, 2) AS INTEGER) + 2) / 3"
        )
    ids = ", ".join(str(int(i)) for i in element_ids)
    sql = (
        f"SELECT v.data_element_id, SUBSTR(o.path, 1, {length}), {period_sql}, "
        f"SUM(v.numeric_value) "
        f"FROM {connection.ops.quote_name(DataValue._meta.db_table)} v "
        f"JOIN {connection.ops.quote_name(OrgUnit._meta.db_table)} o ON o.id = v.org_unit_id "
        f"WHERE v.data_element_id IN ({ids}) AND v.period_type = 'Monthly' "
        f"AND v.start_date >= %s AND v.start_date <= %s "
        f"AND v.deleted = %s AND v.numeric_value IS NOT NULL "
        f"GROUP BY 1, 2, 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [first_day, last_day, False])
        rows = cursor.fetchall()
    out = {}
    for element_id, prefix, period, total in rows:
        if len(prefix) != length:  # a unit above the level
            continue
        if bucket != "month":
            period = f"{int(period) // 10}Q{int(period) % 10}"
        out[(element_id, period, prefix.strip("/").split("/")[-1])] = total
    return out


def compare(result, expected: dict, uid_of_element: dict) -> tuple[int, int]:
    """(cells, cells that differ) between an AnalyticsResult (dx, pe, ou) and
    ``handwritten_by_province``'s answer; run_query rounds to 2 decimals."""
    theirs = {(row[0], row[1], row[2]): row[-1] for row in result.rows}
    ours = {(uid_of_element[de], pe, ou): total for (de, pe, ou), total in expected.items()}
    different = 0
    for key in set(theirs) | set(ours):
        a, b = theirs.get(key), ours.get(key)
        if a is None or b is None or abs(a - b) > 0.005 + 1e-9 * abs(b):
            different += 1
            if different <= 5:
                print(f"   differs: {key}: run_query {a}, GROUP BY {b}")
    return len(set(theirs) | set(ours)), different
