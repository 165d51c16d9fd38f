"""The PDF of a report: LibreOffice converts the .docx, poppler renders page 1 and reads it.

Skipped where LibreOffice or poppler-utils is missing (``.ci/run`` installs both). Set
``DOHA_REPORT_PNG=/some/dir`` to keep the rendered page for a look.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from doha.core.text import format_number
from doha.reports import services
from doha.reports.models import Letterhead, VersionStatus
from doha.reports.pdf import soffice_path
from tests.reports.conftest import english_client

pytestmark = [
    pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed"),
    pytest.mark.skipif(
        not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
        reason="poppler-utils (pdftoppm, pdftotext) is not installed",
    ),
]


def test_pdf_first_page_renders_with_the_header(
    stats, make_report, users, network, settings, tmp_path
):
    settings.REPORTS_PDF = True
    Letterhead.objects.create(
        org_unit=network.syt_bn,
        parent_body="UBND tỉnh Bắc Ninh",
        issuing_body="Sở Y tế",
        symbol_suffix="BC-SYT",
        place_name="Bắc Ninh",
        signer_title="Giám đốc",
        signer_name="Lê Minh Hòa",
    )
    report = make_report()
    version = services.generate(report, users.doh)
    assert version.status == VersionStatus.DONE, version.error
    assert bytes(version.pdf)[:5] == b"%PDF-" and version.pdf_note == ""

    client = english_client()
    client.force_login(users.doh)
    response = client.get(reverse("reports:download", args=[report.uid, 1, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)

    text = subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode("utf-8")
    for expected in (
        "UBND TỈNH BẮC NINH",
        "SỞ Y TẾ",
        "No.: 05/BC-SYT",
        "SOCIALIST REPUBLIC OF VIETNAM",
        "Independence - Freedom - Happiness",
        "Bắc Ninh, day 05 month 02 year 2026",
        "REPORT",
        "I. PREVENTIVE MEDICINE",
    ):
        assert expected in text, expected
    # Vietnamese numbers survive the conversion.
    from doha.analytics.query import run_query
    from tests.reports.test_semiannual import uid

    visits = run_query(
        users.doh, dx=[uid("OPD_VISITS")], ou=[network.syt_bn.uid], filters={"pe": ["2026S1"]}
    ).value(uid("OPD_VISITS"), ou=network.syt_bn.uid)
    whole = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    assert format_number(round(visits)) in whole

    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    keep = os.environ.get("DOHA_REPORT_PNG")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / "report-page-1.png")
        shutil.copy(pdf, Path(keep) / "report.pdf")
