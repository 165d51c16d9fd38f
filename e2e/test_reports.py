"""Reports in a browser: a DOH officer writes the semi-annual review of the demo province
(Bắc Ninh), watches it being generated in the background (a worker thread; the page polls
with htmx) and downloads the .docx and the .xlsx annex.

The assertions lean on ids, data attributes and the files' figures rather than on interface
strings, whose translation is still in progress.
"""

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect

from doha.aggregate.datavalues import ValueRow, apply_values
from doha.aggregate.metadata import load_default_metadata
from doha.aggregate.models import DataElement, DataSet
from doha.aggregate.periods import parse_period
from doha.core.text import format_number
from doha.reports.models import Report

pytestmark = pytest.mark.e2e

YEAR = 2026


@pytest.fixture
def stats(network, users):
    """The default metadata and six months of outpatient visits for two Bắc Ninh centres."""
    load_default_metadata()
    data_set = DataSet.objects.get(code="DS_MONTHLY")
    data_set.org_units.add(network.bvdk, network.tien_du, network.tu_son)
    opd = DataElement.objects.get(code="OPD_VISITS")
    coc = opd.category_combo.option_combos.order_by("sort_order").first()
    rows = []
    for year, base in ((YEAR, 1200), (YEAR - 1, 1000)):
        for month in range(1, 7):
            period = parse_period(f"{year}{month:02d}")
            for unit, factor in ((network.tien_du, 3), (network.tu_son, 2)):
                rows.append(
                    ValueRow(
                        opd,
                        period,
                        unit,
                        category_option_combo=coc,
                        value=str(base * factor + month),
                        data_set=data_set,
                    )
                )
    summary = apply_values(users.doh, rows)
    assert not summary.conflicts, summary.conflicts
    return sum(1200 * f + m for f in (3, 2) for m in range(1, 7))


def test_doh_officer_generates_and_downloads_the_semiannual_report(
    page, sign_in, network, stats, settings, tmp_path
):
    settings.REPORTS_PDF = False  # the PDF has its own test; here the worker thread matters
    sign_in("syt.bn")
    page.goto("/reports/")
    with page.expect_navigation():
        page.click("#new-semiannual")
    form = page.locator("#report-form")
    form.locator("select[name='org_unit']").select_option(str(network.syt_bn.pk))
    form.locator("select[name='period_kind']").select_option("S1")
    form.locator("input[name='year']").fill(str(YEAR))
    form.locator("input[name='number']").fill("5")
    form.locator("textarea[name='shortcomings']").fill("Vẫn còn những sự cố y khoa.")
    form.locator("textarea[name='next_tasks']").fill("Phòng chống sốt xuất huyết.")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    report = Report.objects.get()
    assert page.url.endswith(report.get_absolute_url())
    # The version is written by a worker thread; the page polls until it is done.
    done = page.locator("#version-table tr[data-version='1'][data-status='done']")
    expect(done).to_have_count(1, timeout=60_000)
    docx_link = done.locator("a.download[data-format='docx']")
    expect(docx_link).to_be_visible()

    with page.expect_download() as info:
        docx_link.click()
    path = tmp_path / "report.docx"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith("-v1.docx")
    doc = Document(io.BytesIO(path.read_bytes()))
    left = [p.text for p in doc.tables[0].rows[0].cells[0].paragraphs if p.text.strip()]
    assert "SỞ Y TẾ TỈNH BẮC NINH" in left
    assert any(text.endswith("05/BC") for text in left)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert format_number(stats) in text  # 917.405 style: the province's visits
    assert "Vẫn còn những sự cố y khoa." in text

    with page.expect_download() as info:
        done.locator("a.download[data-format='xlsx']").click()
    xlsx = tmp_path / "annex.xlsx"
    info.value.save_as(xlsx)
    book = load_workbook(xlsx)
    rows = {
        r[0]: r
        for r in book[book.sheetnames[1]].iter_rows(min_row=5, values_only=True)
        if r and r[0]
    }
    assert rows["BN-TTYT-TIENDU"][2] == sum(1200 * 3 + m for m in range(1, 7))

    # A second version; the first stays downloadable.
    with page.expect_navigation():
        page.click("#regenerate")
    expect(page.locator("#version-table tr[data-status='done']")).to_have_count(2, timeout=60_000)
    expect(page.locator("#version-table tr[data-version='1'] a.download")).to_have_count(2)
