"""Benchmark: the semi-annual review of a province with 200 facilities (.docx + .xlsx; PDF apart).

Builds, when the database holds no benchmark units yet, one province of ``--facilities``
facilities (hospitals, health centres, commune stations) with 24 months of the default data
set's statistics through ``aggregate_generate.py``; otherwise uses the generated province 1.
Then writes the DOH's review of the last complete six months that has the same six months a
year before: every figure through the analytics query layer, three tables by facility, the
coverage table by commune, two charts, the .xlsx annex. Prints the time of the first run
(cold: imports, first queries) and the median of --runs warm runs, split into queries,
document and annex; then one LibreOffice PDF conversion when LibreOffice is installed.

Goal: the .docx and .xlsx in under 3 s.

    .venv/bin/python bench/reports.py [--facilities 200] [--runs 5]
    DATABASE_URL=postgres://... .venv/bin/python bench/reports.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common  # noqa: E402

_common.setup_django()

from django.db.models import Max  # noqa: E402
from django.utils import translation  # noqa: E402

from doha.analytics.rollup_models import SubtreeRollup  # noqa: E402
from doha.orgunits.models import OrgUnit  # noqa: E402
from doha.reports import semiannual  # noqa: E402
from doha.reports.models import Report  # noqa: E402
from doha.reports.pdf import PdfUnavailable, convert, soffice_path  # noqa: E402
from doha.reports.periods import period_bounds  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=200, help="facilities to generate")
    parser.add_argument("--months", type=int, default=24, help="months to generate")
    parser.add_argument("--runs", type=int, default=5, help="warm runs (the median is shown)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF conversion")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.months < 13:
        parser.error("--months must be at least 13 (the report compares with a year before)")
    return args


def ensure_province(args) -> OrgUnit:
    if not OrgUnit.objects.filter(code=_common.MOH_CODE).exists():
        from bench import aggregate_generate

        aggregate_generate.main(
            [
                "--provinces",
                "1",
                "--facilities",
                str(args.facilities),
                "--elements",
                "24",
                "--months",
                str(args.months),
            ]
        )
    return OrgUnit.objects.get(code=_common.DOH_CODE.format(1))


def last_half_with_a_year_before(doh: OrgUnit) -> tuple[str, int]:
    """The latest six months that are complete in the data and have a year before."""
    latest = SubtreeRollup.objects.filter(org_unit=doh).aggregate(last=Max("start_date"))["last"]
    if latest is None:
        raise SystemExit("No values for the province: run bench/aggregate_generate.py first.")
    if latest.month == 12:
        return "S2", latest.year
    if latest.month >= 6:
        return "S1", latest.year
    return "S2", latest.year - 1


def build_once(report, version) -> dict:
    times = {}
    with translation.override(report.language):
        start = time.perf_counter()
        figures = semiannual.collect(report, version.created_by)
        times["queries"] = time.perf_counter() - start
        start = time.perf_counter()
        docx = semiannual.write_document(report, figures)
        times["docx"] = time.perf_counter() - start
        start = time.perf_counter()
        xlsx = semiannual.write_annex(report, figures)
        times["xlsx"] = time.perf_counter() - start
    times["total"] = times["queries"] + times["docx"] + times["xlsx"]
    return {"times": times, "docx": docx, "xlsx": xlsx, "figures": figures}


def main(argv=None) -> dict:
    args = parse_args(argv)
    _common.header("semi-annual review report")
    _common.migrate_if_needed()
    doh = ensure_province(args)
    user = _common.province_user(1)
    half, year = last_half_with_a_year_before(doh)
    start, end = period_bounds(half, year)
    report = Report(
        kind="semiannual",
        org_unit=doh,
        issuer=doh,
        period_kind=half,
        year=year,
        start_date=start,
        end_date=end,
        number=5,
        language="vi",
        shortcomings="Vẫn còn sự cố y khoa.",
        next_tasks="Phòng, chống sốt xuất huyết.",
    )
    version = SimpleNamespace(created_by=user, number=1)
    units = OrgUnit.objects.filter(path__startswith=doh.path).exclude(pk=doh.pk).count()
    _common.line("province", f"{doh.name}: {units:,} facilities below the DOH")
    _common.line("period", f"{year}{half} against {year - 1}{half}")

    cold = build_once(report, version)
    figures = cold["figures"]
    _common.line(
        "tables",
        f"{len(figures.facilities)} facilities, {len(figures.communes)} communes; "
        f".docx {len(cold['docx']) / 1024:.0f} KB, .xlsx {len(cold['xlsx']) / 1024:.0f} KB",
    )
    _common.line("first run (cold), .docx + .xlsx", f"{cold['times']['total'] * 1000:9.1f} ms")
    warm = [build_once(report, version)["times"] for _ in range(args.runs)]
    result = {"cold_s": cold["times"]["total"], "facilities": units}
    for part in ("queries", "docx", "xlsx", "total"):
        samples = [t[part] * 1000 for t in warm]
        _common.line(f"warm: {part}", _common.describe_ms(samples))
        result[f"{part}_ms"] = statistics.median(samples)
    goal = "met" if result["total_ms"] < 3000 else "missed"
    _common.line("goal: .docx + .xlsx under 3 s", f"{goal} (median {result['total_ms']:.0f} ms)")

    if not args.no_pdf:
        if soffice_path() is None:
            _common.line("PDF (LibreOffice)", "skipped: soffice is not installed")
        else:
            try:
                _pdf, seconds = _common.seconds(convert, cold["docx"])
            except PdfUnavailable as exc:
                _common.line("PDF (LibreOffice)", f"failed: {exc}")
            else:
                result["pdf_s"] = seconds
                _common.line("PDF (LibreOffice, cold profile)", f"{seconds * 1000:9.1f} ms")
    return result


if __name__ == "__main__":
    main()
