"""Importing the staff register from .xlsx or .csv: all or nothing per file, every row
through the same service as the form and the API, refused rows named by row and column."""

import csv
import datetime
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from doha.catalog.models import Specialty
from doha.people.models import HealthWorker, Profession, Sex
from tests.people.factories import HealthWorkerFactory

pytestmark = pytest.mark.usefixtures("shared_world")

HEADER = [
    "facility_code",
    "full_name",
    "title",
    "sex",
    "birth_date",
    "profession",
    "specialty",
    "position",
    "licence_number",
    "licence_date",
    "phone",
    "active",
]
NEW_ROW = {
    "facility_code": "BN-TTYT-TIENDU",
    "full_name": "Nguyễn Văn An",
    "title": "BSCKI",
    "sex": "Nam",
    "birth_date": "12/04/1980",
    "profession": "Bác sĩ",
    "specialty": "NHI",
    "position": "Trưởng khoa Nhi",
    "licence_number": "001234/BN-CCHN",
    "licence_date": "01/06/2008",
    "phone": "0912345678",
    "active": "có",
}


def row_values(row: dict, header=HEADER) -> list:
    return [row.get(key, "") for key in header]


def xlsx_file(rows, header=HEADER, name="nhan-vien.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row_values(row, header))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def csv_file(rows, header=HEADER, name="nhan-vien.csv"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row_values(row, header))
    return SimpleUploadedFile(name, ("\ufeff" + out.getvalue()).encode("utf-8"))


def upload(client, file, dry_run=False):
    data = {"file": file}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse("people:worker_import"), data)


def snapshot():
    return sorted(
        HealthWorker.objects.values_list(
            "licence_number", "facility_id", "full_name", "position", "birth_date", "active"
        )
    )


@pytest.fixture
def doh(client, users):
    client.force_login(users.doh)
    return client


@pytest.fixture
def nhi(db):
    return Specialty.objects.create(code="NHI", name="Nhi khoa")


@pytest.fixture
def existing(network):
    return HealthWorkerFactory(
        facility=network.tyt_tien_du, full_name="Lê Thị Cúc", licence_number="000777/BN-CCHN"
    )


# A good file -----------------------------------------------------------------------------


@pytest.mark.parametrize("make_file", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_a_good_file_creates_and_updates(doh, network, nhi, existing, make_file):
    second = {**NEW_ROW, "full_name": "Trần Thị Bích", "licence_number": "", "sex": "female"}
    second.update(profession="Điều dưỡng", specialty="Nhi khoa", phone="", active="")
    update = {
        "facility_code": "BN-TTYT-TIENDU",
        "full_name": "Lê Thị Cúc",
        "profession": "nurse",
        "position": "Điều dưỡng trưởng",
        "licence_number": "000777/bn-cchn",
        "active": "không",
    }
    response = upload(doh, make_file([NEW_ROW, second, update]))
    assert response.status_code == 200, response.context["report"].errors
    report = response.context["report"]
    assert (report.created, report.updated, report.unchanged) == (2, 1, 0)
    an = HealthWorker.objects.get(licence_number="001234/BN-CCHN")
    assert an.facility == network.tien_du
    assert (an.sex, an.profession, an.specialty) == (Sex.MALE, Profession.DOCTOR, nhi)
    assert an.birth_date == datetime.date(1980, 4, 12)
    assert an.licence_date == datetime.date(2008, 6, 1)
    assert an.phone == "0912345678" and an.active
    bich = HealthWorker.objects.get(full_name="Trần Thị Bích")
    assert (bich.profession, bich.specialty, bich.licence_number) == ("nurse", nhi, "")
    existing.refresh_from_db()
    assert existing.facility == network.tien_du
    assert existing.position == "Điều dưỡng trưởng"
    assert existing.licence_number == "000777/BN-CCHN"
    assert not existing.active
    assert 'id="import-errors"' not in response.content.decode()


def test_english_labels_are_read_as_headers(doh, network, nhi):
    header = ["Facility code", "Full name", "Profession", "Practising licence number"]
    row = {"Facility code": "BN-BVDK", "Full name": "Đỗ Minh", "Profession": "Nurse"}
    row["Practising licence number"] = 123456  # a number in Excel
    response = upload(doh, xlsx_file([row], header=header))
    assert response.status_code == 200, response.context["report"].errors
    assert HealthWorker.objects.get(licence_number="123456").facility == network.bvdk


def test_a_file_read_twice_changes_nothing(doh, network, nhi):
    upload(doh, xlsx_file([NEW_ROW]))
    response = upload(doh, xlsx_file([NEW_ROW]))
    report = response.context["report"]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_a_dry_run_checks_and_saves_nothing(doh, network, nhi, existing):
    before = snapshot()
    update = {**NEW_ROW, "licence_number": existing.licence_number, "position": "Mới"}
    response = upload(doh, xlsx_file([NEW_ROW, update]), dry_run=True)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.dry_run and (report.created, report.updated) == (1, 1)
    assert "nothing was saved (check only)" in response.content.decode()
    assert snapshot() == before


# One bad row: nothing saved, the row and column named ---------------------------------------

FUTURE = (timezone.localdate() + datetime.timedelta(days=3)).strftime("%d/%m/%Y")
BAD_ROWS = {
    "unknown_facility": ({"facility_code": "KHONG-CO"}, "Facility code", "No unit has the code"),
    "out_of_scope": (
        {"facility_code": "TN-TTYT-PHUBINH"},
        "Facility code",
        "outside your scope",
    ),
    "future_birth": (
        {"birth_date": FUTURE, "licence_date": ""},
        "Date of birth",
        "The date of birth cannot be in the future.",
    ),
    "duplicate_licence": (
        {"licence_number": "000111/BN-CCHN"},
        "Practising licence number",
        "is repeated (first on row 2)",
    ),
    "unknown_profession": ({"profession": "Phù thủy"}, "Profession", "Unknown value: Phù thủy"),
    "bad_date": ({"licence_date": "31/02/2010"}, "Licence issued on", "Not a date"),
    "no_name": ({"full_name": ""}, "Full name", "This field cannot be blank."),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_one_bad_row_saves_nothing_and_is_reported(doh, network, nhi, existing, case):
    change, column, reason = BAD_ROWS[case]
    first = {**NEW_ROW, "licence_number": "000111/BN-CCHN"}
    touch = {**NEW_ROW, "licence_number": existing.licence_number, "position": "Đã sửa"}
    bad = {**NEW_ROW, "licence_number": "000222/BN-CCHN", **change}
    before = snapshot()
    response = upload(doh, xlsx_file([first, touch, bad]))
    assert response.status_code == 400
    report = response.context["report"]
    assert report.refused_rows == [4]
    assert [(e.row, e.field) for e in report.errors] == [(4, column)]
    assert reason in report.errors[0].message
    html = response.content.decode()
    assert 'id="import-errors"' in html and column in html
    assert snapshot() == before


def test_every_bad_row_is_listed(doh, network, nhi):
    rows = [
        {**NEW_ROW, "facility_code": "KHONG-CO", "licence_number": "1"},
        NEW_ROW,
        {**NEW_ROW, "licence_number": "9", "sex": "?"},
    ]
    response = upload(doh, csv_file(rows))
    assert response.context["report"].refused_rows == [2, 4]
    assert not HealthWorker.objects.exists()


def test_the_import_refuses_what_the_form_refuses(doh, users, network, nhi):
    row = {**NEW_ROW, "birth_date": "01/01/1990", "licence_date": "01/01/1985"}
    response = upload(doh, csv_file([row]))
    assert response.status_code == 400
    [error] = response.context["report"].errors
    assert (error.row, error.field) == (2, "Licence issued on")
    assert error.message == "The licence must be issued after the date of birth."
    assert not HealthWorker.objects.exists()
    # The form's page gives the same reason, through the same service.
    data = {
        "facility": network.tien_du.pk,
        "full_name": "Nguyễn Văn An",
        "profession": "doctor",
        "birth_date": "1990-01-01",
        "licence_date": "1985-01-01",
    }
    page = doh.post(reverse("people:worker_add"), data)
    assert page.status_code == 400
    assert page.context["form"].errors["licence_date"] == [error.message]


def test_a_licence_held_outside_the_scope_is_refused(doh, network, nhi):
    HealthWorkerFactory(facility=network.tyt_phu_binh, licence_number="555/TN")
    response = upload(doh, csv_file([{**NEW_ROW, "licence_number": "555/TN"}]))
    assert response.status_code == 400
    [error] = response.context["report"].errors
    assert (error.row, error.field) == (2, "Practising licence number")
    assert HealthWorker.objects.get(licence_number="555/TN").facility == network.tyt_phu_binh


# Files that are not what they claim -------------------------------------------------------


def test_random_bytes_named_xlsx_get_a_clear_error(doh, network):
    response = upload(doh, SimpleUploadedFile("nv.xlsx", os.urandom(2048)))
    assert response.status_code == 400
    assert [e.message for e in response.context["report"].errors] == [
        "The file cannot be read: it is not a valid .xlsx or .csv file."
    ]
    assert "The file cannot be read" in response.content.decode()


def test_an_empty_file_is_refused_by_the_form(doh, network):
    response = upload(doh, SimpleUploadedFile("nv.csv", b""))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["file"]
    assert response.context["report"] is None


def test_a_csv_of_blank_lines_is_empty(doh, network):
    response = upload(doh, SimpleUploadedFile("nv.csv", b"\r\n,,,\r\n\r\n"))
    assert response.status_code == 400
    assert [e.message for e in response.context["report"].errors] == ["The file is empty."]


def test_wrong_headers_are_named(doh, network):
    response = upload(doh, csv_file([{}], header=["Mã số", "Ghi chú"]))
    assert response.status_code == 400
    report = response.context["report"]
    assert any("Mã số" in e.message and "Ghi chú" in e.message for e in report.errors)
    missing = {e.field for e in report.errors if e.message == "This column is missing."}
    assert missing == {"Facility code", "Full name", "Profession"}
    assert not HealthWorker.objects.exists()


def test_other_file_types_are_refused(doh, network):
    response = upload(doh, SimpleUploadedFile("nv.txt", b"full_name\nA\n"))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["file"]


# Who may import ---------------------------------------------------------------------------


def test_the_list_links_to_the_import_page(doh, network):
    url = reverse("people:worker_import")
    assert url == "/people/import/"
    assert url in doh.get(reverse("people:worker_list")).content.decode()
    assert doh.get(url).status_code == 200


def test_a_role_without_import_cannot_import(client, users, network, nhi):
    client.force_login(users.clerk)
    assert (
        reverse("people:worker_import")
        not in client.get(reverse("people:worker_list")).content.decode()
    )
    response = upload(client, csv_file([NEW_ROW]))
    assert response.status_code == 403
    assert not HealthWorker.objects.exists()
