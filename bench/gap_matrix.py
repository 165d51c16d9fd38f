"""Benchmark: the technique-gap matrix (facility x specialty) at national scale.

Builds, in the database of ``DATABASE_URL`` (PostgreSQL for real figures; without it
``var/bench.sqlite3``), a country of 13,000 facilities in 34 provinces (per province: two
specialised hospitals, 25 health centres at the basic level, the rest commune stations at the
initial level) and a catalogue of 3,000 techniques in 28 specialties (every technique allowed
at the specialised level, half at the basic level, a fifth at the initial level), with the
capabilities a real register would hold: a commune station performs a quarter of what its
level allows, a health centre 45 %, a hospital 70 %; one in twenty capabilities is retired
(no longer performed). About 2.5 million capabilities, written with COPY on PostgreSQL
(``bulk_create`` elsewhere). Then it times ``doha.gaps.services.gap_matrix`` (the page's and
the API's query: one SQL statement, see the module) for a province of ~380 facilities and
for the whole country, median of ``--runs``, checks one province's counts against a plain
per-facility count, and prints the plan of the province query with ``--explain``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/doha_gapbench \\
        .venv/bin/python bench/gap_matrix.py            # --facilities --techniques --runs

What it builds is found again by its codes (GAPB-...): a second run only times.
"""

from __future__ import annotations

import argparse
import datetime
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

_common.setup_django()

from auditlog.context import disable_auditlog  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from doha.catalog.models import FacilityCapability, Specialty, Technique  # noqa: E402
from doha.core.permissions import Role  # noqa: E402
from doha.core.text import collation_key, fold  # noqa: E402
from doha.gaps import services  # noqa: E402
from doha.orgunits.models import FacilityType, OrgUnit, TechnicalLevel  # noqa: E402
from doha.users.models import User  # noqa: E402

MOH = "GAPB-BYT"
DOH = "GAPB-SYT{:02d}"
SPECIALTY = "GAPB{:02d}"
TECHNIQUE = "GAPB.{:02d}.{:04d}"
HOSPITALS, CENTRES = 2, 25
SHARE = {TechnicalLevel.INITIAL: 0.25, TechnicalLevel.BASIC: 0.45, TechnicalLevel.SPECIALISED: 0.7}
RETIRED = 0.05


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=13_000)
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--techniques", type=int, default=3_000)
    parser.add_argument("--specialties", type=int, default=28)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    return parser.parse_args(argv)


def _unit(parent, code, name, facility_type, level, uid=None):
    unit = OrgUnit(
        code=code,
        name=name,
        short_name=name[:100],
        facility_type=facility_type,
        technical_level=level,
        parent=parent,
    )
    unit.path = f"{parent.path if parent else '/'}{unit.uid}/"
    unit.depth = (parent.depth + 1) if parent else 1
    unit.search_text = f" {fold(code)} {fold(name)} "
    unit.sort_name = collation_key(name)[:600]
    return unit


def build_tree(facilities: int, provinces: int) -> list[OrgUnit]:
    moh = _unit(None, MOH, "Bộ Y tế (benchmark)", FacilityType.MINISTRY, "")
    moh.save()
    dohs = [
        _unit(moh, DOH.format(p), f"Sở Y tế tỉnh Số {p}", FacilityType.DOH, "")
        for p in range(1, provinces + 1)
    ]
    OrgUnit.objects.bulk_create(dohs)
    dohs = list(OrgUnit.objects.filter(code__startswith="GAPB-SYT").order_by("code"))
    per_province = facilities // provinces
    units = []
    for doh in dohs:
        n = doh.code[-2:]
        for h in range(HOSPITALS):
            units.append(
                _unit(
                    doh,
                    f"GAPB-{n}-BV{h}",
                    f"Bệnh viện Đa khoa số {h} tỉnh {n}",
                    FacilityType.PROVINCIAL_HOSPITAL,
                    TechnicalLevel.SPECIALISED,
                )
            )
        centres = [
            _unit(
                doh,
                f"GAPB-{n}-TTYT{c:02d}",
                f"Trung tâm Y tế khu vực {c} tỉnh {n}",
                FacilityType.HEALTH_CENTRE,
                TechnicalLevel.BASIC,
            )
            for c in range(CENTRES)
        ]
        units += centres
        for s in range(per_province - HOSPITALS - CENTRES):
            centre = centres[s % CENTRES]
            units.append(
                _unit(
                    centre,
                    f"GAPB-{n}-TYT{s:03d}",
                    f"Trạm Y tế xã {s} tỉnh {n}",
                    FacilityType.COMMUNE_STATION,
                    TechnicalLevel.INITIAL,
                )
            )
    # Health centres first: the stations refer to them.
    OrgUnit.objects.bulk_create([u for u in units if u.parent in dohs], batch_size=2000)
    by_code = {
        u.code: u
        for u in OrgUnit.objects.filter(code__startswith="GAPB-", facility_type="health_centre")
    }
    stations = []
    for u in units:
        if u.facility_type == FacilityType.COMMUNE_STATION:
            centre = by_code[u.parent.code]
            u.parent = centre
            u.path = f"{centre.path}{u.uid}/"
            u.depth = centre.depth + 1
            stations.append(u)
    OrgUnit.objects.bulk_create(stations, batch_size=2000)
    return list(
        OrgUnit.objects.filter(code__startswith="GAPB-")
        .exclude(facility_type__in=[FacilityType.MINISTRY, FacilityType.DOH])
        .only("id", "technical_level")
    )


def build_catalogue(count: int, specialties: int) -> list[Technique]:
    rng = random.Random(7)
    rows = [
        Specialty(code=SPECIALTY.format(s), name=f"Chuyên khoa {s} (benchmark)", order=900 + s)
        for s in range(1, specialties + 1)
    ]
    Specialty.objects.bulk_create(rows)
    specs = list(Specialty.objects.filter(code__startswith="GAPB").order_by("code"))
    techniques = []
    for i in range(count):
        spec = specs[i % len(specs)]
        draw = rng.random()
        name = f"Kỹ thuật số {i} chuyên khoa {spec.code[-2:]}"
        code = TECHNIQUE.format(int(spec.code[-2:]), i)
        techniques.append(
            Technique(
                code=code,
                name=name,
                specialty=spec,
                allowed_initial=draw < 0.2,
                allowed_basic=draw < 0.5,
                allowed_specialised=True,
                is_official=False,
                source="benchmark",
                search_text=f" {fold(code)} {fold(name)} ",
                sort_name=collation_key(name)[:800],
            )
        )
    Technique.objects.bulk_create(techniques, batch_size=2000)
    return list(Technique.objects.filter(code__startswith="GAPB."))


def capability_rows(units, techniques):
    rng = random.Random(11)
    allowed = {
        level: [t.pk for t in techniques if getattr(t, f"allowed_{level}")] for level in SHARE
    }
    since = datetime.date(2015, 1, 1)
    for unit in units:
        pool = allowed[unit.technical_level]
        for technique_id in rng.sample(pool, round(len(pool) * SHARE[unit.technical_level])):
            yield unit.pk, technique_id, since, rng.random() >= RETIRED


def load_capabilities(units, techniques) -> int:
    table = connection.ops.quote_name(FacilityCapability._meta.db_table)
    columns = "facility_id, technique_id, since, acquisition, active, note, created, last_updated"
    now = datetime.datetime.now(datetime.UTC).isoformat()
    written = 0
    if _common.is_postgresql():
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for facility_id, technique_id, since, active in capability_rows(units, techniques):
                    copy.write_row((facility_id, technique_id, since, "own", active, "", now, now))
                    written += 1
        return written
    batch = []
    for facility_id, technique_id, since, active in capability_rows(units, techniques):
        batch.append(
            FacilityCapability(
                facility_id=facility_id, technique_id=technique_id, since=since, active=active
            )
        )
        if len(batch) >= 5000:
            FacilityCapability.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    FacilityCapability.objects.bulk_create(batch)
    return written + len(batch)


def build(args) -> None:
    if OrgUnit.objects.filter(code=MOH).exists():
        print("   (benchmark data already there: timing only)")
        return
    with disable_auditlog(), transaction.atomic():
        (units, s) = _common.seconds(build_tree, args.facilities, args.provinces)
        _common.line("facilities built", f"{len(units):,} in {s:.1f} s")
        (techniques, s) = _common.seconds(build_catalogue, args.techniques, args.specialties)
        _common.line("techniques built", f"{len(techniques):,} in {s:.1f} s")
        (written, s) = _common.seconds(load_capabilities, units, techniques)
        how = "COPY" if _common.is_postgresql() else "bulk_create"
        _common.line(f"capabilities written ({how})", f"{written:,} in {s:.1f} s")
    if _common.is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def user_at(unit, username):
    user, _ = User.objects.update_or_create(
        username=username, defaults={"role": Role.DOH_OFFICER, "org_unit": unit}
    )
    return user


def check(user, province) -> None:
    """One province's matrix against a plain count per facility (the facility page's way)."""
    matrix = services.gap_matrix(user, province)
    rows = matrix.rows[:5]
    for row in rows:
        level = row.facility.technical_level
        allowed = Technique.objects.filter(active=True, **{f"allowed_{level}": True})
        performed = FacilityCapability.objects.filter(
            facility=row.facility, active=True, technique__in=allowed
        ).count()
        if (row.allowed, row.performed) != (allowed.count(), performed):
            raise SystemExit(f"matrix differs for {row.facility.code}")
    _common.line("check against per-facility counts", f"{len(rows)} facilities agree")


def main(argv=None) -> dict:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    _common.migrate_if_needed()
    _common.header("Technique gap matrix (doha.gaps.services.gap_matrix)")
    build(args)
    moh = OrgUnit.objects.get(code=MOH)
    province = OrgUnit.objects.get(code=DOH.format(1))
    national = user_at(moh, "bench-gaps-national")
    provincial = user_at(province, "bench-gaps-doh")
    facilities = services.facilities_in_scope(national, moh).count()
    in_province = services.facilities_in_scope(provincial, province).count()
    capabilities = FacilityCapability.objects.filter(facility__path__startswith=moh.path).count()
    techniques = Technique.objects.filter(code__startswith="GAPB.").count()
    _common.line(
        "data",
        f"{facilities:,} facilities, {techniques:,} techniques, {capabilities:,} capabilities",
    )
    check(provincial, province)
    figures = {}
    for label, user, root in (
        (f"one province ({in_province:,} facilities)", provincial, province),
        (f"whole country ({facilities:,} facilities)", national, moh),
    ):
        services.gap_matrix(user, root)  # warm the cache
        samples = _common.samples_ms(lambda u=user, r=root: services.gap_matrix(u, r), args.runs)
        _common.line(f"gap_matrix, {label}", _common.describe_ms(samples))
        figures[label] = samples
    if args.explain and _common.is_postgresql():
        sql, params = services.matrix_sql(services.facilities_in_scope(provincial, province))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = io.StringIO()
            for (text,) in cursor.fetchall():
                plan.write(f"   | {text}\n")
        print(plan.getvalue(), end="")
    return figures


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"   total {time.perf_counter() - started:.0f} s")
