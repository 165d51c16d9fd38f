"""Importing technique lists in the ministry's layout: all or nothing, per-row report,
idempotent, the A/B/C/D -> three levels mapping."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from doha.catalog.importexport import import_techniques, normalize_code
from doha.catalog.models import Specialty, Technique
from tests.catalog.factories import SpecialtyFactory, TechniqueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages and column labels are asserted in English, whatever the default language."""
    with translation.override("en"):
        yield


def xlsx(rows, name="danh-muc.xlsx"):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def csv_file(text, name="danh-muc.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"))


# The layout of the annex of Thông tư 43/2013/TT-BYT: a title, a two-row header with the
# four former levels under "PHÂN TUYẾN KỸ THUẬT", chapter and section rows, x marks.
TT43 = [
    ["DANH MỤC KỸ THUẬT TRONG KHÁM BỆNH, CHỮA BỆNH"],  # row 1
    [],  # row 2
    ["STT", "DANH MỤC KỸ THUẬT", "PHÂN TUYẾN KỸ THUẬT", None, None, None],  # row 3
    [None, None, "A", "B", "C", "D"],  # row 4
    ["III", "NHI KHOA", None, None, None, None],  # row 5
    ["A. SƠ SINH", None, None, None, None, None],  # row 6
    [1, "Đặt catheter tĩnh mạch rốn ở trẻ sơ sinh", "x", None, None, None],  # row 7
    [2, "Chiếu đèn điều trị vàng da sơ sinh", "x", "x", "x", None],  # row 8
    [3, "Hồi sức sơ sinh ngạt tại phòng sinh", "x", "x", "x", "x"],  # row 9
    ["I", "HỒI SỨC CẤP CỨU VÀ CHỐNG ĐỘC", None, None, None, None],  # row 10
    [45, "Rửa dạ dày cấp cứu", None, None, None, "X"],  # row 11
    ["I. NỘI TIẾT", None, None, None, None, None],  # row 12: a section lettered I
    [46, "Rửa dạ dày bằng than hoạt", None, "x", "x", None],  # row 13: still chapter I
]


def test_ministry_layout_creates_techniques_with_mapped_levels():
    report = import_techniques(xlsx(TT43), source="Thông tư 43/2013/TT-BYT")
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)

    uvc = Technique.objects.get(code="03.0001")
    assert uvc.specialty.code == "03" and uvc.specialty.name == "Nhi khoa"
    assert uvc.allowed_levels == ["specialised"]  # A only
    assert uvc.is_official and uvc.source == "Thông tư 43/2013/TT-BYT"
    phototherapy = Technique.objects.get(code="03.0002")
    assert phototherapy.allowed_levels == ["basic", "specialised"]  # A, B, C
    resuscitation = Technique.objects.get(code="03.0003")
    assert resuscitation.allowed_levels == ["initial", "basic", "specialised"]
    lavage = Technique.objects.get(code="01.0045")  # chapter I, STT 45
    assert lavage.specialty.name == "Hồi sức cấp cứu và chống độc"
    assert lavage.allowed_levels == ["initial"]  # D only
    charcoal = Technique.objects.get(code="01.0046")
    assert charcoal.allowed_levels == ["basic", "specialised"]  # B, C


def test_reimport_is_idempotent_and_updates_what_changed():
    import_techniques(xlsx(TT43), source="Thông tư 43/2013/TT-BYT")
    again = import_techniques(xlsx(TT43), source="Thông tư 43/2013/TT-BYT")
    assert again.ok
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert Technique.objects.count() == 5

    changed = [list(r) for r in TT43]
    changed[7] = [2, "Chiếu đèn điều trị vàng da ở trẻ sơ sinh", "x", "x", None, None]
    report = import_techniques(xlsx(changed), source="Thông tư 43/2013/TT-BYT")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    technique = Technique.objects.get(code="03.0002")
    assert technique.name == "Chiếu đèn điều trị vàng da ở trẻ sơ sinh"
    assert technique.allowed_levels == ["basic", "specialised"]  # A, B


def test_bad_rows_save_nothing_and_are_reported_by_spreadsheet_row():
    rows = [list(r) for r in TT43]
    rows[7] = [2, "", "x", None, None, None]  # row 8: no name
    rows[8] = [3, "Hồi sức sơ sinh ngạt", "có thể", None, None, None]  # row 9: bad mark
    rows[10] = [45, "Rửa dạ dày cấp cứu", None, None, None, None]  # row 11: no level
    report = import_techniques(xlsx(rows))
    assert not report.ok
    assert report.refused_rows == [8, 9, 11]
    by_row = {e.row: e for e in report.errors}
    assert by_row[8].field == "Technique"
    assert by_row[9].field == "A"
    assert "có thể" in by_row[9].message
    assert by_row[11].field == "Levels"
    assert Technique.objects.count() == 0
    assert not Specialty.objects.exists()  # the chapters it met are rolled back too


def test_malformed_files_are_refused_with_a_reason():
    garbage = import_techniques(SimpleUploadedFile("list.xlsx", b"not a spreadsheet"))
    assert [(e.row, e.message[:22]) for e in garbage.errors] == [(0, "The file cannot be rea")]
    empty = import_techniques(csv_file(""))
    assert empty.errors[0].message == "The file is empty."
    no_header = import_techniques(csv_file("a,b\n1,2\n"))
    assert "No header row" in no_header.errors[0].message
    mixed = import_techniques(csv_file("STT,Tên kỹ thuật,A,Chuyên sâu\n1,Thử,x,x\n"))
    assert mixed.errors[0].row == 1 and mixed.errors[0].field == "Levels"
    assert Technique.objects.count() == 0


def test_doha_layout_with_codes_duplicates_and_numbers_as_codes():
    SpecialtyFactory(code="03", name="Nhi khoa", order=3)
    text = (
        "Chương,Mã,Tên kỹ thuật,Ban đầu,Cơ bản,Chuyên sâu\n"
        "03,3.45,Bơm surfactant,,,x\n"
        "03,03.0045,Bơm surfactant (lặp),,,x\n"
        "99,DH.99.001,Không có chương,,x,x\n"
    )
    report = import_techniques(csv_file(text))
    assert report.refused_rows == [3, 4]
    assert "repeated (first on row 2)" in report.errors[0].message
    assert report.errors[1].field == "Chapter"

    wb_rows = [["Chương", "Mã", "Tên kỹ thuật", "Chuyên sâu"], ["03", 3.1, "Thử mã số", "x"]]
    numeric = import_techniques(xlsx(wb_rows))
    assert numeric.errors[0].row == 2 and numeric.errors[0].field == "Code"
    assert Technique.objects.count() == 0


def test_codes_of_the_2013_list_are_normalised():
    assert normalize_code("3.45") == "03.0045"
    assert normalize_code(" 03.0045 ") == "03.0045"
    assert normalize_code("DH.03.001") == "DH.03.001"
    assert normalize_code("01.0065.0123") == "01.0065.0123"


def test_dry_run_saves_nothing():
    report = import_techniques(xlsx(TT43), dry_run=True)
    assert report.ok and report.created == 5
    assert Technique.objects.count() == 0


def test_official_list_gives_a_starter_technique_its_official_code():
    nhi = SpecialtyFactory(code="03", name="Nhi khoa", order=3)
    local = TechniqueFactory(
        code="DH.03.001",
        name="Đặt catheter tĩnh mạch rốn ở trẻ sơ sinh",
        specialty=nhi,
        is_official=False,
    )
    report = import_techniques(xlsx(TT43), source="Thông tư 43/2013/TT-BYT")
    assert report.ok
    local.refresh_from_db()
    assert local.code == "03.0001" and local.is_official
    assert any("DH.03.001" in note for note in report.notes)
    assert Technique.objects.filter(name=local.name).count() == 1


def test_file_without_levels_keeps_existing_levels():
    nhi = SpecialtyFactory(code="03", name="Nhi khoa", order=3)
    TechniqueFactory(code="03.0002", name="Chiếu đèn", specialty=nhi, allowed_initial=True)
    text = "STT,Mã,Tên kỹ thuật,Chương\n1,03.0002,Chiếu đèn,03\n2,03.0009,Mới,03\n"
    report = import_techniques(csv_file(text))
    assert report.ok, report.errors
    assert Technique.objects.get(code="03.0002").allowed_initial
    assert Technique.objects.get(code="03.0009").allowed_levels == ["specialised"]
    assert any("no level columns" in note for note in report.notes)


def test_import_page_for_doh_and_refused_to_clerk(client, users):
    client.force_login(users.doh)
    response = client.post(
        "/catalog/techniques/import/",
        {"file": xlsx(TT43), "source": "Thông tư 43/2013/TT-BYT", "official": "on"},
    )
    assert response.status_code == 200
    assert response.context["report"].created == 5
    bad = [list(r) for r in TT43]
    bad[10] = [45, "Rửa dạ dày cấp cứu", None, None, None, "?"]
    response = client.post("/catalog/techniques/import/", {"file": xlsx(bad)})
    assert response.status_code == 400
    assert b"import-errors" in response.content

    client.force_login(users.clerk)
    assert client.get("/catalog/techniques/import/").status_code == 403
    assert client.post("/catalog/techniques/import/", {"file": xlsx(TT43)}).status_code == 403


def test_export_imports_back_unchanged(client, users):
    import_techniques(xlsx(TT43), source="Thông tư 43/2013/TT-BYT")
    client.force_login(users.viewer)
    response = client.get("/catalog/", {"export": "xlsx"})
    assert response.status_code == 200
    exported = SimpleUploadedFile("export.xlsx", response.content)
    report = import_techniques(exported)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
