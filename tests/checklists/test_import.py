"""Templates from .xlsx: all or nothing with the row, column and reason of each refused
row; an export imports back as an equal version; the empty template is offered."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from doha.checklists import services
from doha.checklists.imports import ChecklistTemplateImport
from doha.checklists.models import ChecklistTemplate, TemplateStatus
from tests.checklists.factories import STRUCTURE, make_template
from tests.mixins import new_client

HEADER = [
    "Section",
    "Section weight",
    "Question",
    "Answer type",
    "Max score / target",
    "Weight",
    "Required",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows, header=HEADER, name="bang-kiem.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def run(user, upload, code="NK-01", owner=None, dry_run=False):
    importer = ChecklistTemplateImport(
        user,
        dry_run=dry_run,
        code=code,
        name="Bảng kiểm nhập",
        visit_kind="supervision",
        owner=owner,
    )
    return importer, importer.run(upload)


GOOD_ROWS = [
    ["Kiểm soát nhiễm khuẩn", 2, "Phân loại chất thải đúng", "Yes/no", None, 1, "yes"],
    ["Kiểm soát nhiễm khuẩn", None, "Vệ sinh tay", "score 0..n", 4, 3, "no"],
    ["Hồ sơ bệnh án", "1,5", "Tỷ lệ hồ sơ đầy đủ (%)", "Số", 95, None, None],
    ["Hồ sơ bệnh án", None, "Nhận xét", "văn bản", None, None, None],
]


def test_good_file_becomes_a_draft(network, users):
    importer, report = run(users.doh, xlsx(GOOD_ROWS), owner=network.syt_bn)
    assert report.ok, report.errors
    template = importer.template
    assert (template.code, template.version, template.status) == ("NK-01", 1, "draft")
    structure = services.template_structure(template)
    assert [(s.title, s.weight) for s in structure] == [
        ("Kiểm soát nhiễm khuẩn", 2),
        ("Hồ sơ bệnh án", 1.5),
    ]
    q = structure[0].questions[1]
    assert (q.answer_type, q.max_score, q.weight, q.required) == ("score", 4, 3, False)
    assert structure[1].questions[0].target == 95
    assert structure[0].questions[0].required


def test_bad_rows_refuse_the_whole_file(network, users):
    rows = [
        GOOD_ROWS[0],
        ["Kiểm soát nhiễm khuẩn", None, "Câu loại sai", "trắc nghiệm", None, None, None],  # 3
        ["Kiểm soát nhiễm khuẩn", None, "Trọng số chữ", "Yes/no", None, "nặng", None],  # 4
        ["Kiểm soát nhiễm khuẩn", None, "Thiếu điểm tối đa", "score 0..n", None, None, None],  # 5
        ["Hồ sơ bệnh án", None, None, "text", None, None, None],  # 6: empty question
        ["Kiểm soát nhiễm khuẩn", None, "phân loại chất thải ĐÚNG", "Yes/no", None, 1, None],  # 7
        ["Hồ sơ bệnh án", "x", "Hồ sơ đầy đủ", "score 0..n", 5, None, None],  # 8
        ["Hồ sơ bệnh án", None, "Hồ sơ ký", "Yes/no", 3, None, "có lẽ"],  # 9
    ]
    before = ChecklistTemplate.objects.count()
    _importer, report = run(users.doh, xlsx(rows), owner=network.syt_bn)
    assert not report.ok
    assert ChecklistTemplate.objects.count() == before
    errors = {(e.row, e.field): e.message for e in report.errors}
    assert errors[(3, "Answer type")] == "Unknown value: trắc nghiệm"
    assert errors[(4, "Weight")] == "Not a number: nặng"
    assert errors[(5, "Max score / target")] == "A 0..n score needs its maximum score n."
    assert errors[(6, "Question")] == "This field is required."
    assert errors[(7, "Question")] == "The same question is already in this section on row 2."
    assert errors[(8, "Section weight")] == "Not a number: x"
    assert errors[(9, "Max score / target")] == (
        "Leave this empty for a yes/no or a text question."
    )
    assert errors[(9, "Required")] == "Write yes or no, not có lẽ."
    assert report.refused_rows == [3, 4, 5, 6, 7, 8, 9]


def test_export_then_import_gives_an_equal_version(network, users):
    original = make_template(network.syt_bn, code="GS-TTYT")
    client = new_client()
    client.force_login(users.viewer)
    response = client.get(
        reverse("checklists:template_detail", args=[original.uid]), {"export": "xlsx"}
    )
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert rows[1][:4] == ("Kiểm soát nhiễm khuẩn", 2, "Phân loại chất thải đúng", "Yes/no")
    upload = SimpleUploadedFile("export.xlsx", response.content, content_type=XLSX)
    importer, report = run(users.doh, upload, code="GS-TTYT", owner=network.syt_bn)
    assert report.ok, report.errors
    assert importer.template.version == 2
    assert services.template_structure(importer.template) == STRUCTURE
    assert services.template_structure(importer.template) == services.template_structure(original)


def test_import_page_offers_the_template_and_reports_in_the_page_language(network, users):
    client = new_client()
    client.force_login(users.doh)
    url = reverse("checklists:template_import")
    empty = client.get(url, {"template": "xlsx"})
    header = next(load_workbook(io.BytesIO(empty.content)).active.iter_rows(values_only=True))
    assert list(header) == HEADER
    data = {
        "code": "NK-02",
        "name": "Bảng kiểm nhập",
        "visit_kind": "supervision",
        "owner": network.syt_bn.pk,
    }
    bad = [["Phần A", None, "Câu", "score 0..n", None, None, None]]
    response = client.post(url, {**data, "file": xlsx(bad)})
    assert response.status_code == 400
    assert b"A 0..n score needs its maximum score n." in response.content
    assert not ChecklistTemplate.objects.filter(code="NK-02").exists()
    # In Vietnamese, the reasons are written in Vietnamese.
    client.cookies["django_language"] = "vi"
    bad = [["Phần A", None, "Câu", "trắc nghiệm", None, None, None]]
    response = client.post(url, {**data, "file": xlsx(bad)})
    assert "Giá trị không hợp lệ: trắc nghiệm" in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.post(url, {**data, "file": xlsx(GOOD_ROWS)})
    assert response.status_code == 200, response.content
    template = ChecklistTemplate.objects.get(code="NK-02")
    assert template.status == TemplateStatus.DRAFT
    assert template.get_absolute_url().encode() in response.content


@pytest.mark.parametrize("role", ["viewer", "line", "clerk"])
def test_only_doh_officers_import(network, users, role):
    client = new_client()
    client.force_login(getattr(users, role))
    assert client.get(reverse("checklists:template_import")).status_code == 403
