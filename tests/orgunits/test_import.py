"""Importing facilities from .xlsx and .csv: all or nothing, every refusal located.

Expected column names and reasons are computed in the page's language (Vietnamese) from the
same message ids the importer uses, so the tests hold however the catalogue words them.
"""

import csv
import datetime
import io
import os

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import Workbook

from doha.orgunits.importexport import COLUMNS, RowError
from doha.orgunits.models import OrgUnit, OrgUnitHierarchy
from tests.orgunits.helpers import snapshot

pytestmark = pytest.mark.usefixtures("shared_world")

HEADER = [
    "code",
    "name",
    "facility_type",
    "technical_level",
    "parent_code",
    "admin_unit_code",
    "opening_date",
    "closing_date",
    "active",
]
NEW_ROW = {
    "code": "BN-TYT-LIM",
    "name": "Trạm Y tế Thị trấn Lim",
    "facility_type": "commune_station",
    "technical_level": "ban đầu",
    "parent_code": "BN-TTYT-TIENDU",
    "admin_unit_code": "9319",  # Excel dropped the leading zero of 09319
    "opening_date": "01/03/2024",
}


def vi(message, **params):
    with translation.override("vi"):
        text = gettext(message)
    return text % params if params else text


def label(key):
    with translation.override("vi"):
        return str(dict(COLUMNS)[key])


def row_values(row: dict, header=HEADER) -> list:
    return [row.get(key, "") for key in header]


def xlsx_file(rows, header=HEADER, name="co-so-y-te.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row_values(row, header) if isinstance(row, dict) else row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def csv_file(rows, header=HEADER, name="co-so-y-te.csv", delimiter=","):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row_values(row, header) if isinstance(row, dict) else row)
    return SimpleUploadedFile(name, ("\ufeff" + out.getvalue()).encode("utf-8"))


def upload(client, file, dry_run=False):
    data = {"file": file}
    if dry_run:
        data["dry_run"] = "on"
    return client.post("/orgunits/import/", data)


@pytest.fixture
def doh(client, users):
    client.force_login(users.doh)
    return client


# A good file -----------------------------------------------------------------------------


@pytest.mark.parametrize("make_file", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_a_good_file_creates_updates_and_counts(doh, network, make_file):
    rows = [
        NEW_ROW,
        {
            "code": "TYT-TUSON",
            "name": "Trạm Y tế Phường Từ Sơn (mới)",
            "facility_type": "Commune health station",  # English labels are understood too
            "parent_code": "BN-TTYT-TUSON",
        },
        {"code": "BN-TTYT-TUSON", "name": "Trung tâm Y tế Từ Sơn", "facility_type": "health_centre"}
        | {"technical_level": "basic", "parent_code": "BN-SYT"},
    ]
    response = upload(doh, make_file(rows))
    assert response.status_code == 200, response.context["report"].errors
    report = response.context["report"]
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert report.errors == []

    new = OrgUnit.objects.get(code="BN-TYT-LIM")
    assert new.parent == network.tien_du
    assert new.path == f"{network.tien_du.path}{new.uid}/"
    assert new.admin_unit.code == "09319"
    assert new.technical_level == "initial"
    assert new.opening_date == datetime.date(2024, 3, 1)
    assert new.hierarchy.get().parent == network.tien_du
    assert OrgUnit.objects.get(code="TYT-TUSON").name == "Trạm Y tế Phường Từ Sơn (mới)"
    assert 'id="import-errors"' not in response.content.decode()


def test_excel_dates_and_semicolon_csv_are_read(doh, network):
    wb_rows = [NEW_ROW | {"opening_date": datetime.datetime(2024, 3, 1)}]
    assert upload(doh, xlsx_file(wb_rows)).status_code == 200
    assert OrgUnit.objects.get(code="BN-TYT-LIM").opening_date == datetime.date(2024, 3, 1)

    row = NEW_ROW | {"code": "BN-TYT-LIM-2", "opening_date": "2024-03-02"}
    assert upload(doh, csv_file([row], delimiter=";")).status_code == 200
    assert OrgUnit.objects.get(code="BN-TYT-LIM-2").opening_date == datetime.date(2024, 3, 2)


def test_headers_may_be_the_column_names_of_the_export(doh, network):
    with translation.override("vi"):
        header = [str(dict(COLUMNS)[k]) for k in HEADER]
    rows = [row_values(NEW_ROW)]
    assert upload(doh, xlsx_file(rows, header=header)).status_code == 200
    assert OrgUnit.objects.filter(code="BN-TYT-LIM").exists()


def test_a_dry_run_checks_and_saves_nothing(doh, network):
    before = snapshot()
    response = upload(doh, xlsx_file([NEW_ROW]), dry_run=True)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.dry_run and report.ok
    assert report.created == 1
    assert snapshot() == before
    assert not OrgUnit.objects.filter(code="BN-TYT-LIM").exists()


def test_a_row_can_retire_a_unit(doh, network):
    row = {
        "code": "TYT-TUSON",
        "name": "Trạm Y tế Phường Từ Sơn",
        "facility_type": "commune_station",
        "parent_code": "BN-TTYT-TUSON",
        "closing_date": "31/12/2025",
        "active": "không",
    }
    assert upload(doh, csv_file([row])).status_code == 200
    unit = OrgUnit.objects.get(code="TYT-TUSON")
    assert not unit.active
    assert unit.closing_date == datetime.date(2025, 12, 31)


# One bad row: nothing saved, the row, the column and the reason listed -------------------

BAD_ROWS = {
    "unknown-type": (
        {"facility_type": "Bệnh viện sao Hỏa"},
        "facility_type",
        lambda: vi("Unknown value: %(value)s", value="Bệnh viện sao Hỏa"),
    ),
    "unknown-parent": (
        {"parent_code": "KHONG-CO"},
        "parent_code",
        lambda: vi("No unit has the code %(code)s.", code="KHONG-CO"),
    ),
    "bad-date": (
        {"opening_date": "31/02/2024"},
        "opening_date",
        lambda: vi("Not a date: %(value)s (write dd/mm/yyyy).", value="31/02/2024"),
    ),
    "parent-out-of-scope": (
        {"parent_code": "TN-TTYT-PHUBINH"},
        "parent_code",
        lambda: vi("This unit is outside your scope."),
    ),
    "code-out-of-scope": (
        {"code": "TYT-PHUBINH"},
        "code",
        lambda: vi("This unit is outside your scope."),
    ),
    "duplicate-code": (
        {"code": NEW_ROW["code"]},
        "code",
        lambda: vi(
            "The code %(code)s is repeated (first on row %(row)s).", code=NEW_ROW["code"], row=2
        ),
    ),
    "no-code": ({"code": ""}, "code", lambda: vi("The code is required.")),
    "closing-before-opening": (
        {"opening_date": "01/01/2024", "closing_date": "01/01/2023"},
        "closing_date",
        lambda: vi("The closing date is before the opening date."),
    ),
    "bad-active": (
        {"active": "có lẽ"},
        "active",
        lambda: vi("Write yes or no, not %(value)s.", value="có lẽ"),
    ),
    "unknown-admin-unit": (
        {"admin_unit_code": "99999"},
        "admin_unit_code",
        lambda: vi("No administrative unit in force has the code %(code)s.", code="99999"),
    ),
}


@pytest.mark.parametrize("make_file", [xlsx_file, csv_file], ids=["xlsx", "csv"])
@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_one_bad_row_saves_nothing_and_is_reported(doh, network, case, make_file):
    change, column, reason = BAD_ROWS[case]
    bad = NEW_ROW | {"code": "BN-TYT-HOAN"} | change
    good_update = {
        "code": "TYT-TUSON",
        "name": "Đổi tên",
        "facility_type": "commune_station",
        "parent_code": "BN-TTYT-TUSON",
    }
    before = snapshot()
    response = upload(doh, make_file([NEW_ROW, bad, good_update]))

    assert response.status_code == 400
    report = response.context["report"]
    assert report.errors == [RowError(3, label(column), reason())]
    assert report.refused_rows == [3]
    assert snapshot() == before
    html = response.content.decode()
    table = html[html.index('id="import-errors"') :]
    assert f"<td>3</td><td>{label(column)}</td>" in table
    assert f"<td>{escape(reason())}</td>" in table


def test_every_bad_row_is_listed(doh, network):
    rows = [
        NEW_ROW,
        NEW_ROW | {"code": "A-1", "facility_type": "?"},
        NEW_ROW | {"code": "A-2"},
        NEW_ROW | {"code": "A-3", "parent_code": "KHONG-CO", "opening_date": "hôm qua"},
    ]
    response = upload(doh, xlsx_file(rows))
    report = response.context["report"]
    assert response.status_code == 400
    assert [(e.row, e.field) for e in report.errors] == [
        (3, label("facility_type")),
        (5, label("parent_code")),
        (5, label("opening_date")),
    ]
    assert report.refused_rows == [3, 5]
    assert not OrgUnit.objects.filter(code__in=["BN-TYT-LIM", "A-2"]).exists()


def test_a_refused_service_rule_undoes_the_rows_before_it(doh, network):
    """Row 3 tries to retire a centre that still has stations: rows 2 and 3 are not saved."""
    rows = [
        NEW_ROW,
        {
            "code": "BN-TTYT-TUSON",
            "name": "Trung tâm Y tế Từ Sơn",
            "facility_type": "health_centre",
            "parent_code": "BN-SYT",
            "active": "no",
        },
    ]
    before = snapshot()
    response = upload(doh, csv_file(rows))
    assert response.status_code == 400
    assert response.context["report"].refused_rows == [3]
    assert snapshot() == before


# Files that are not what they claim -------------------------------------------------------


def test_random_bytes_named_xlsx_get_a_clear_error(doh, network):
    before = snapshot()
    response = upload(doh, SimpleUploadedFile("co-so.xlsx", os.urandom(2048)))
    assert response.status_code == 400
    assert [e.message for e in response.context["report"].errors] == [
        vi("The file cannot be read: it is not a valid .xlsx or .csv file.")
    ]
    assert vi("The file cannot be read: it is not a valid .xlsx or .csv file.") in (
        response.content.decode()
    )
    assert snapshot() == before


def test_an_empty_csv_is_refused_by_the_form(doh, network):
    response = upload(doh, SimpleUploadedFile("co-so.csv", b""))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["file"]
    assert response.context["report"] is None


def test_a_csv_of_blank_lines_is_empty(doh, network):
    response = upload(doh, SimpleUploadedFile("co-so.csv", b"\r\n,,,\r\n\r\n"))
    assert response.status_code == 400
    assert [e.message for e in response.context["report"].errors] == [vi("The file is empty.")]


def test_wrong_headers_are_named(doh, network):
    before = snapshot()
    response = upload(doh, csv_file([["X", "Y", ""]], header=["Mã số", "Tên cơ sở", "Ghi chú"]))
    assert response.status_code == 400
    report = response.context["report"]
    messages = [e.message for e in report.errors]
    assert any("Mã số" in m and "Tên cơ sở" in m and "Ghi chú" in m for m in messages)
    missing = {e.field for e in report.errors if e.message == vi("This column is missing.")}
    assert missing == {label("code"), label("name"), label("facility_type")}
    assert snapshot() == before


def test_other_file_types_are_refused(doh, network):
    response = upload(doh, SimpleUploadedFile("co-so.txt", b"code,name\nA,B\n"))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["file"]


def test_a_role_without_import_cannot_post_a_file(client, users, network):
    client.force_login(users.clerk)
    before = snapshot()
    response = upload(client, xlsx_file([NEW_ROW]))
    assert response.status_code == 403
    assert snapshot() == before


# Round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("role", ["admin", "doh", "doh_tn"])
def test_export_then_import_changes_nothing(client, users, network, role, fmt):
    client.force_login(getattr(users, role))
    network.tyt_tu_son.opening_date = datetime.date(2019, 5, 1)
    network.tyt_tu_son.save()
    exported = client.get("/orgunits/", {"export": fmt})
    before = snapshot()
    log_entries = LogEntry.objects.count()
    periods = OrgUnitHierarchy.objects.count()

    response = upload(client, SimpleUploadedFile(f"export.{fmt}", exported.content))

    assert response.status_code == 200, response.context["report"].errors
    report = response.context["report"]
    visible = OrgUnit.objects.restrict(getattr(users, role)).count()
    assert (report.created, report.updated, report.unchanged) == (0, 0, visible)
    assert snapshot() == before
    assert OrgUnitHierarchy.objects.count() == periods
    assert LogEntry.objects.count() == log_entries
