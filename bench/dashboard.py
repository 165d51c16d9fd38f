"""Benchmark: server time of the province dashboard (/analytics/dashboard/).

A DOH officer of one generated province opens the dashboard (the headline figures of the
last six months against the same six months a year before, health-record coverage by unit,
the referral-rate trend of the last 12 months); the page is rendered by Django's test client,
so the time is the server's (URL routing, middleware, views, queries, templates), with no
network. Prints the first request and the median of --runs.

Goal: under 300 ms.

    DATABASE_URL=postgres://... .venv/bin/python bench/dashboard.py [--runs 15] [--province 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common  # noqa: E402

_common.setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from doha.orgunits.models import OrgUnit  # noqa: E402

URL = "/analytics/dashboard/"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="requests (the median is shown)")
    parser.add_argument("--province", type=int, default=1, help="which generated province")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest SQL statement"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    _common.header("province dashboard: server time")
    _common.require_generated_data()
    user = _common.province_user(args.province)
    province = user.org_unit
    units = OrgUnit.objects.filter(path__startswith=province.path).count()
    _common.line("province", f"{province.name} ({units:,} units), user {user.username}")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    def get():
        response = client.get(URL)
        if response.status_code != 200:
            raise SystemExit(f"{URL} answered {response.status_code}")
        return response

    first = _common.samples_ms(get, 1)
    samples = _common.samples_ms(get, args.runs)
    with CaptureQueriesContext(connection) as captured:
        response = get()
    html = response.content.decode()
    if province.name not in html:
        raise SystemExit(f"{URL} does not name the province {province.name!r}")
    figures = {"first_ms": first[0], "median_ms": statistics.median(samples)}
    _common.line(f"GET {URL}, first request", _common.describe_ms(first))
    _common.line(f"GET {URL}", _common.describe_ms(samples))
    _common.line(
        "  SQL statements, page size",
        f"{len(captured.captured_queries)} statements, {len(response.content) / 1024:.0f} KB",
    )
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    figures["sql_ms"] = sql_ms
    _common.line("  time in SQL (one request)", f"{sql_ms:9.1f} ms")
    for query in queries[:3]:
        _common.line(f"    {float(query['time']) * 1000:7.1f} ms", query["sql"][:110])
    if args.explain and _common.is_postgresql() and queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + queries[0]["sql"])
            for (text,) in cursor.fetchall():
                print(f"      {text}")
    goal = "met" if figures["median_ms"] < 300 else "missed"
    _common.line("goal: under 300 ms", goal)
    return figures


if __name__ == "__main__":
    main()
