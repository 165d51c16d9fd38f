"""The semi-annual review as a user receives it: the .docx in the Decree 30/2020/NĐ-CP format,
its figures equal to the analytics query layer's, the .xlsx annex, kept versions."""

import io
import re

import pytest
from django.urls import reverse
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Mm, Pt
from openpyxl import load_workbook

from doha.analytics.query import run_query
from doha.core.text import format_number, format_percent
from doha.reports import services
from doha.reports.models import Letterhead, ReportVersion, VersionStatus
from tests.reports.conftest import MONTHS, MONTHS_BEFORE, english_client

# django_db: without a test asking for the database, pytest-django would leave the
# module fixtures on the development database.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world", "shared_stats")]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def make_letterhead(unit):
    return Letterhead.objects.create(
        org_unit=unit,
        parent_body="UBND tỉnh Bắc Ninh",
        issuing_body="Sở Y tế",
        symbol_suffix="BC-SYT",
        place_name="Bắc Ninh",
        signer_authority="KT. GIÁM ĐỐC",
        signer_title="PHÓ GIÁM ĐỐC",
        signer_name="Lê Minh Hòa",
        recipients="UBND tỉnh\nBộ Y tế (để b/c)",
    )


@pytest.fixture(scope="module")
def shared_report(shared_stats, django_db_blocker):
    """One report of SYT Bắc Ninh for 2026S1, generated once for the module (inline, no
    PDF: the version is queued and built here as ``services.generate`` would)."""
    from django.utils import translation

    from tests.conftest import fetch_network, fetch_users
    from tests.reports.conftest import new_report

    with django_db_blocker.unblock(), translation.override("en"):
        network, users = fetch_network(), fetch_users()
        make_letterhead(network.syt_bn)
        report = new_report(network.syt_bn)
        version = ReportVersion.objects.create(report=report, number=1, created_by=users.doh)
        services.run_version(version.pk, pdf=False)
    return report.pk, version.pk


@pytest.fixture
def letterhead(shared_report, network):
    return Letterhead.objects.get(org_unit=network.syt_bn)


@pytest.fixture
def built(shared_report):
    report_pk, version_pk = shared_report
    version = ReportVersion.objects.select_related("report").get(pk=version_pk)
    assert version.status == VersionStatus.DONE, version.error
    return version.report, version, Document(io.BytesIO(bytes(version.docx)))


def cell_lines(cell):
    return [p.text for p in cell.paragraphs if p.text.strip()]


def body_text(doc):
    return "\n".join(p.text for p in doc.paragraphs)


def table_with(doc, first_header, header):
    for table in doc.tables:
        texts = [c.text for c in table.rows[0].cells]
        if texts[0] == first_header and header in texts:
            return table
    raise AssertionError(f"no table headed {first_header} / {header}")


def uid(code):
    from doha.aggregate.models import DataElement
    from doha.analytics.models import Indicator

    found = DataElement.objects.filter(code=code).first() or Indicator.objects.get(code=code)
    return found.uid


def test_header_follows_decree_30(built):
    _report, _version, doc = built
    left, right = doc.tables[0].rows[0].cells
    assert cell_lines(left) == ["UBND TỈNH BẮC NINH", "SỞ Y TẾ", "No.: 05/BC-SYT"]
    assert cell_lines(right) == [
        "SOCIALIST REPUBLIC OF VIETNAM",
        "Independence - Freedom - Happiness",
        "Bắc Ninh, day 05 month 02 year 2026",
    ]
    issuing = left.paragraphs[1].runs[0]
    assert issuing.bold and issuing.font.size == Pt(13)
    assert not left.paragraphs[0].runs[0].bold
    national = right.paragraphs[0].runs[0]
    assert national.bold and national.font.size == Pt(13)
    motto, line, dated = right.paragraphs[1:4]
    assert motto.runs[0].bold and motto.runs[0].font.size == Pt(14)
    # The line under the motto: a border as long as the motto's text.
    assert line.text == "" and line._p.pPr.find(f"{W}pBdr") is not None
    width = Cm(10 - 0.4) - line.paragraph_format.left_indent - line.paragraph_format.right_indent
    assert Cm(4.5) < width <= Cm(9.6)
    assert dated.runs[0].italic
    # The header table has no borders.
    assert 'w:val="nil"' in doc.tables[0]._tbl.xml
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[0] == "REPORT"
    assert (
        texts[1]
        == "Health-sector review of the first six months of 2026 and tasks for the last six months"
    )
    title = next(p for p in doc.paragraphs if p.text == "REPORT")
    assert title.runs[0].bold and title.alignment == 1  # centred


def test_page_fonts_and_margins(built):
    _report, _version, doc = built
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [round(m.mm) for m in (section.top_margin, section.bottom_margin)]
    assert all(20 <= m <= 25 for m in margins)
    assert 30 <= round(section.left_margin.mm) <= 35
    assert 15 <= round(section.right_margin.mm) <= 20
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.text.strip()}
    assert fonts == {"Times New Roman"}
    body = next(p for p in doc.paragraphs if p.text.startswith("The facilities examined"))
    assert body.paragraph_format.first_line_indent.cm == pytest.approx(1.27, abs=0.01)
    assert body.paragraph_format.space_after >= Pt(6)
    assert 1.0 <= body.paragraph_format.line_spacing <= 1.5
    # Page numbers at the top, not on the first page.
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml
    assert "PAGE" not in section.first_page_header._element.xml


def test_sections_numbers_and_free_text(built):
    report, _version, doc = built
    text = body_text(doc)
    for heading in (
        "I. PREVENTIVE MEDICINE",
        "II. MEDICAL EXAMINATION AND TREATMENT",
        "III. LINE DIRECTION",
        "IV. SHORTCOMINGS AND DIFFICULTIES",
        "V. KEY TASKS FOR THE NEXT PERIOD",
    ):
        assert heading in text
    assert "Còn sự cố y khoa." in text and "Phòng chống sốt xuất huyết." in text
    # Totals in the Vietnamese way: thousands with ".", decimals with ",".
    result = run_query(
        report.versions.get().created_by,
        dx=[uid("OPD_VISITS"), uid("IND_REFERRAL_RATE")],
        ou=[report.org_unit.uid],
        filters={"pe": ["2026S1"]},
    )
    visits = result.value(uid("OPD_VISITS"), ou=report.org_unit.uid)
    rate = result.value(uid("IND_REFERRAL_RATE"), ou=report.org_unit.uid)
    assert visits > 10_000
    visits_text = format_number(round(visits))
    assert "." in visits_text
    assert f"The facilities examined {visits_text} outpatient visits" in text
    assert f"(referral rate {format_percent(rate, 1)})" in text
    assert re.search(r"\d+,\d%", text)
    # Compared with the same period last year.
    before = run_query(
        report.versions.get().created_by,
        dx=[uid("OPD_VISITS")],
        ou=[report.org_unit.uid],
        filters={"pe": ["2025S1"]},
    ).value(uid("OPD_VISITS"), ou=report.org_unit.uid)
    change = (visits - before) / before * 100
    assert (
        f"(same period last year: {format_number(round(before))}; "
        f"up {format_percent(change, 1)})" in text
    )
    # Two charts at least, embedded as pictures; recipients and signature.
    assert len(doc.inline_shapes) >= 2
    closing = doc.tables[-1]
    left, right = closing.rows[0].cells
    assert cell_lines(left) == [
        "Recipients:",
        "- UBND tỉnh;",
        "- Bộ Y tế (để b/c);",
        "- Archive: VT.",
    ]
    assert left.paragraphs[0].runs[0].bold and left.paragraphs[0].runs[0].italic
    assert left.paragraphs[0].runs[0].font.size == Pt(12)
    assert left.paragraphs[1].runs[0].font.size == Pt(11)
    assert cell_lines(right) == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Lê Minh Hòa"]


def test_facility_table_equals_run_query(built, network, users):
    report, _version, doc = built
    table = table_with(doc, "Facility", "Outpatient visits")
    codes = ["OPD_VISITS", "IPD_ADMISSIONS", "REFERRALS_OUT"]
    children = [network.bvdk, network.tien_du, network.tu_son]
    result = run_query(
        users.doh,
        dx=[uid(c) for c in codes],
        ou=[u.uid for u in children],
        filters={"pe": ["2026S1"]},
    )
    rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in table.rows[1:]}
    for unit in children:
        shown = rows[unit.short_name or unit.name]
        for index, code in enumerate(codes):
            value = result.value(uid(code), ou=unit.uid)
            assert shown[index] == format_number(round(value)), (unit, code)
    total = rows["Total"]
    totals = run_query(
        users.doh, dx=[uid(c) for c in codes], ou=[network.syt_bn.uid], filters={"pe": ["2026S1"]}
    )
    assert total[0] == format_number(round(totals.value(uid("OPD_VISITS"), ou=network.syt_bn.uid)))
    # Health-record coverage by commune.
    communes = table_with(doc, "Commune health station", "Coverage")
    coverage = run_query(
        users.doh,
        dx=[uid("IND_HEALTH_RECORD_COVERAGE")],
        ou=[network.tyt_tien_du.uid],
        filters={"pe": ["2026S1"]},
    ).value(uid("IND_HEALTH_RECORD_COVERAGE"), ou=network.tyt_tien_du.uid)
    row = next(r for r in communes.rows if r.cells[0].text == network.tyt_tien_du.name)
    assert row.cells[3].text == format_percent(coverage, 1)
    # Figures stand right, percentages and changes written as text included; names left.
    assert [p.alignment for p in (row.cells[0].paragraphs[0], row.cells[3].paragraphs[0])] == [
        WD_ALIGN_PARAGRAPH.LEFT,
        WD_ALIGN_PARAGRAPH.RIGHT,
    ]
    # Nothing of Thái Nguyên.
    assert network.phu_binh.name not in body_text(doc)
    assert all(
        network.phu_binh.name not in c.text for t in doc.tables for r in t.rows for c in r.cells
    )


def test_xlsx_annex_holds_the_tables_as_numbers(built, network, users):
    report, version, _doc = built
    book = load_workbook(io.BytesIO(bytes(version.xlsx)))
    assert {"Summary", "By facility", "Health records by commune", "By month"} <= set(
        book.sheetnames
    )
    sheet = book["By facility"]
    headers = [c.value for c in sheet[4]]
    at = headers.index("Outpatient visits")
    result = run_query(
        users.doh, dx=[uid("OPD_VISITS")], ou=[network.bvdk.uid], filters={"pe": ["2026S1"]}
    )
    row = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0] == "BN-BVDK")
    assert row[at] == round(result.value(uid("OPD_VISITS"), ou=network.bvdk.uid))
    summary = {r[0]: r for r in book["Summary"].iter_rows(min_row=5, values_only=True)}
    before = run_query(
        users.doh, dx=[uid("DENGUE_CASES")], ou=[network.syt_bn.uid], filters={"pe": ["2025S1"]}
    ).value(uid("DENGUE_CASES"), ou=network.syt_bn.uid)
    assert summary["DENGUE_CASES"][3] == round(before)
    months = [r[0] for r in book["By month"].iter_rows(min_row=5, values_only=True)]
    assert months[0] == f"01/{MONTHS_BEFORE[0][:4]}" and months[-1] == f"06/{MONTHS[0][:4]}"


def test_range_of_months_and_year(stats, make_report, users):
    import datetime

    report = make_report(
        period_kind="range",
        start_date=datetime.date(2026, 2, 1),
        end_date=datetime.date(2026, 4, 30),
    )
    version = services.generate(report, users.doh)
    assert version.status == VersionStatus.DONE, version.error
    doc = Document(io.BytesIO(bytes(version.docx)))
    visits = run_query(
        users.doh,
        dx=[uid("OPD_VISITS")],
        ou=[report.org_unit.uid],
        filters={"pe": ["202602", "202603", "202604"]},
    ).value(uid("OPD_VISITS"), ou=report.org_unit.uid)
    assert f"examined {format_number(round(visits))} outpatient visits" in body_text(doc)
    assert "the months from 02/2026 to 04/2026" in body_text(doc)


def test_regenerating_keeps_earlier_versions(built, users, client):
    report, first, _doc = built
    report.shortcomings = "Một tồn tại mới."
    report.save()
    client.force_login(users.doh)
    response = client.post(reverse("reports:regenerate", args=[report.uid]))
    assert response.status_code == 302
    assert list(report.versions.order_by("number").values_list("number", "status")) == [
        (1, "done"),
        (2, "done"),
    ]
    old = client.get(reverse("reports:download", args=[report.uid, 1, "docx"]))
    new = client.get(reverse("reports:download", args=[report.uid, 2, "docx"]))
    assert old.status_code == new.status_code == 200
    assert "attachment" in old["Content-Disposition"]
    old_text = body_text(Document(io.BytesIO(old.content)))
    new_text = body_text(Document(io.BytesIO(new.content)))
    assert "Còn sự cố y khoa." in old_text and "Một tồn tại mới." not in old_text
    assert "Một tồn tại mới." in new_text
    page = client.get(report.get_absolute_url()).content.decode()
    assert 'data-version="1"' in page and 'data-version="2"' in page
    xlsx = client.get(reverse("reports:download", args=[report.uid, 2, "xlsx"]))
    assert xlsx.status_code == 200
    assert client.get(reverse("reports:download", args=[report.uid, 2, "pdf"])).status_code == 404


def test_base_template_is_used(stats, letterhead, make_report, users):
    template = Document()
    template.add_paragraph("MẪU CỦA SỞ Y TẾ BẮC NINH")
    template.sections[0].left_margin = Mm(35)
    buffer = io.BytesIO()
    template.save(buffer)
    letterhead.template = buffer.getvalue()
    letterhead.template_name = "mau.docx"
    letterhead.save()
    version = services.generate(make_report(), users.doh)
    doc = Document(io.BytesIO(bytes(version.docx)))
    assert doc.paragraphs[0].text == "MẪU CỦA SỞ Y TẾ BẮC NINH"
    assert round(doc.sections[0].left_margin.mm) == 35  # the template's page set-up is kept
    assert "SỞ Y TẾ" in [p.text for p in doc.tables[0].rows[0].cells[0].paragraphs]


def test_without_letterhead_the_unit_names_head_the_report(stats, make_report, users):
    Letterhead.objects.all().delete()
    version = services.generate(make_report(), users.doh)
    doc = Document(io.BytesIO(bytes(version.docx)))
    left = doc.tables[0].rows[0].cells[0]
    assert cell_lines(left)[:2] == ["BỘ Y TẾ", "SỞ Y TẾ TỈNH BẮC NINH"]


def test_builder_registry(stats, make_report, users, monkeypatch, network):
    from doha.reports.document import BuiltReport

    calls = []

    def fake_build(report, version, progress):
        progress(50, "half")
        calls.append((report.pk, version.number))
        return BuiltReport(docx=b"docx", xlsx=None)

    import sys
    import types

    module = types.ModuleType("tests_reports_fake_builder")
    module.build = fake_build
    monkeypatch.setitem(sys.modules, "tests_reports_fake_builder", module)
    monkeypatch.setitem(services.BUILDERS, "programme", "tests_reports_fake_builder.build")
    report = make_report(kind="programme")
    version = services.generate(report, users.doh)
    assert version.status == VersionStatus.DONE and bytes(version.docx) == b"docx"
    assert calls == [(report.pk, 1)]

    monkeypatch.setitem(services.BUILDERS, "programme", "doha.reports.no_such_builder.build")
    failed = services.generate(report, users.doh)
    assert failed.status == VersionStatus.FAILED
    assert "doha.reports.no_such_builder" in failed.error
    page = english_client()
    page.force_login(users.doh)
    html = page.get(report.get_absolute_url()).content.decode()
    assert 'data-status="failed"' in html and "is not installed" in html
    assert ReportVersion.objects.filter(report=report).count() == 2


def test_annex_keeps_a_formula_like_facility_name_as_text():
    """A name typed as "=HYPERLINK(...)" in the registry is text in the annex, never a
    formula that Excel would run."""
    from openpyxl import load_workbook

    from doha.reports.annex import Annex

    annex = Annex("Báo cáo", "Tỉnh")
    annex.sheet("Bảng", ["Cơ sở", "Lượt"], [['=HYPERLINK("http://x","y")', 5], ["-", -3]], [20])
    ws = load_workbook(io.BytesIO(annex.save())).active
    assert ws["A5"].value == '=HYPERLINK("http://x","y")'
    assert ws["A5"].data_type == "s"
    assert ws["B5"].value == 5 and ws["B6"].value == -3
