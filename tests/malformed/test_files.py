"""Every spreadsheet import (facilities, technique catalogue, health workers, rotations,
courses, enrolments, telehealth, donations, cold-chain logger files) against files that
cannot be read as they are: cut off, in a legacy Vietnamese encoding, too large, a zip bomb,
an old .xls, binary data, too many rows. Each is refused as a whole with a message saying
what is wrong and what to do, and the database is left exactly as it was."""

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from doha.catalog.importexport import import_techniques
from doha.donations.imports import DonationImport
from doha.orgunits.importexport import import_org_units
from doha.people.importexport import import_workers
from doha.rotations.imports import RotationImport
from doha.telehealth.imports import ConsultationImport
from doha.training.imports import CourseImport, EnrolmentImport
from doha.vaccines import coldchain
from tests.malformed.conftest import (
    csv_upload,
    cut,
    legacy_csv,
    unchanged_database,
    xlsx_bytes,
    xlsx_upload,
)

IMPORTERS = [
    "facilities",
    "catalogue",
    "workers",
    "rotations",
    "courses",
    "enrolments",
    "telehealth",
    "donations",
    "temperatures",
]


@pytest.fixture
def importer(request, users, cdc):
    """A function taking an uploaded file and returning the import's report."""
    name = request.param
    return {
        "facilities": lambda f: import_org_units(f, users.doh),
        "catalogue": lambda f: import_techniques(f),
        "workers": lambda f: import_workers(f, users.doh),
        "rotations": lambda f: RotationImport(users.doh).run(f),
        "courses": lambda f: CourseImport(users.doh).run(f),
        "enrolments": lambda f: EnrolmentImport(users.doh).run(f),
        "telehealth": lambda f: ConsultationImport(users.doh).run(f),
        "donations": lambda f: DonationImport(users.doh).run(f),
        "temperatures": lambda f: coldchain.upload_readings(
            cdc.centre_fridge, f, user=cdc.cdc_clerk
        ),
    }[name]


def refused_whole(report) -> str:
    """The one file-level refusal (row 0) of ``report``, as text."""
    assert not report.ok
    assert [e.row for e in report.errors] == [0], report.errors
    return report.errors[0].message


def a_sheet(rows=20):
    header = ["code", "name", "facility_type"]
    return [header, *([f"BN-X-{i}", f"Trạm Y tế số {i}", "commune_station"] for i in range(rows))]


CASES = {}


def case(function):
    CASES[function.__name__] = function
    return function


@case
def truncated_xlsx():
    return cut(xlsx_upload(a_sheet()), 0.6), "damaged or incomplete"


@case
def truncated_xlsx_tail():
    # Only the zip's central directory is missing: the entries themselves are whole.
    return cut(xlsx_upload(a_sheet()), 0.97), "damaged or incomplete"


@case
def windows_1258_csv():
    return legacy_csv(["code", "name"], ["BN-X", ""], 1, "cp1258"), "Windows-1258"


@case
def tcvn3_csv():
    return legacy_csv(["code", "name"], ["BN-X", ""], 1, "tcvn3"), "TCVN3"


@case
def vni_csv():
    return legacy_csv(["code", "name"], ["BN-X", ""], 1, "vni"), "VNI"


@case
def old_xls():
    # The start of an OLE2 compound file: Excel 97-2003.
    return SimpleUploadedFile("nhap.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), (
        "Only .xlsx and .csv"
    )


@case
def binary_csv():
    return SimpleUploadedFile("nhap.csv", b"code,name\x00\x01\x02\nBN,\x00\n"), "binary data"


@case
def random_bytes_xlsx():
    return SimpleUploadedFile("nhap.xlsx", bytes(range(256)) * 4), "not a valid .xlsx"


@case
def xlsx_with_a_broken_sheet():
    data = io.BytesIO()
    with zipfile.ZipFile(xlsx_upload(a_sheet())) as source, zipfile.ZipFile(data, "w") as out:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]  # the XML is cut in the middle of a row
            out.writestr(info, body)
    return SimpleUploadedFile("nhap.xlsx", data.getvalue()), "damaged or incomplete"


@pytest.mark.parametrize("importer", IMPORTERS, indirect=True)
@pytest.mark.parametrize("name", sorted(CASES))
def test_unreadable_files_are_refused_whole_and_change_nothing(importer, name):
    upload, expected = CASES[name]()
    with unchanged_database():
        message = refused_whole(importer(upload))
    assert expected in message


@pytest.mark.parametrize("importer", IMPORTERS, indirect=True)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_over_the_size_cap_is_refused_before_it_is_read(importer, fmt):
    rows = a_sheet(200)
    upload = csv_upload(rows) if fmt == "csv" else xlsx_upload(rows)
    cap = upload.size - 1  # one byte too many
    with override_settings(DOHA_IMPORT_MAX_BYTES=cap), unchanged_database():
        message = refused_whole(importer(upload))
    assert "The file is too large" in message and "Split it into smaller files" in message


def test_the_size_cap_reads_no_more_than_the_cap(users):
    """A file object that lies about its size (or has none) is still read only up to the cap
    plus one byte: memory stays bounded."""

    class Endless(io.RawIOBase):
        name = "nhap.csv"
        asked: list = []

        def read(self, size=-1):
            self.asked.append(size)
            assert size != -1, "read the whole stream"
            return b"a" * size

    endless = Endless()
    with override_settings(DOHA_IMPORT_MAX_BYTES=1000):
        report = import_org_units(endless, users.doh)
    assert "too large" in refused_whole(report)
    assert endless.asked == [1001]


@pytest.mark.parametrize("importer", IMPORTERS, indirect=True)
def test_a_zip_bomb_is_refused_by_its_unpacked_size(importer):
    # 3 MB of one repeated cell compresses to a few kilobytes.
    rows = [["code", "name"], *(["BN-X", "x" * 3000] for _ in range(1000))]
    upload = xlsx_upload(rows)
    assert upload.size < 200_000
    with override_settings(DOHA_IMPORT_MAX_UNZIPPED_BYTES=1_000_000), unchanged_database():
        message = refused_whole(importer(upload))
    assert "unpacks to more than" in message


@pytest.mark.parametrize("importer", IMPORTERS, indirect=True)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_too_many_rows_are_refused_while_reading(importer, fmt):
    rows = a_sheet(60)
    upload = csv_upload(rows) if fmt == "csv" else xlsx_upload(rows)
    with override_settings(DOHA_IMPORT_MAX_READ_ROWS=50), unchanged_database():
        message = refused_whole(importer(upload))
    assert "more than 50 rows" in message


# Files that must import: the shapes Excel writes in a Vietnamese office.


def facility_rows():
    return [
        ["code", "name", "facility_type", "parent_code", "opening_date"],
        ["BN-TYT-LIM", "Trạm Y tế Thị trấn Lim", "commune_station", "BN-TTYT-TIENDU", "01/03/2024"],
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"bom": True},
        {"bom": False},
        {"delimiter": ";"},  # "CSV" as Excel saves it when Windows is set to Vietnamese
        {"delimiter": ";", "bom": False},
        {"delimiter": "\t"},
    ],
    ids=["bom", "no_bom", "semicolon", "semicolon_no_bom", "tab"],
)
def test_facility_csv_as_excel_writes_it_imports(users, options):
    from doha.orgunits.models import OrgUnit

    report = import_org_units(csv_upload(facility_rows(), **options), users.doh)
    assert report.ok, report.errors
    unit = OrgUnit.objects.get(code="BN-TYT-LIM")
    assert unit.name == "Trạm Y tế Thị trấn Lim"  # no BOM glued to a header or a name
    assert unit.parent.code == "BN-TTYT-TIENDU"


def test_semicolon_csv_whose_text_holds_commas_is_split_on_semicolons(users):
    from doha.orgunits.models import OrgUnit

    rows = facility_rows()
    rows[1][1] = "Trạm Y tế Lim, Tiên Du"
    report = import_org_units(csv_upload(rows, delimiter=";"), users.doh)
    assert report.ok, report.errors
    assert OrgUnit.objects.get(code="BN-TYT-LIM").name == "Trạm Y tế Lim, Tiên Du"


def test_catalogue_with_bom_and_semicolons_imports(db):
    from doha.catalog.models import Technique
    from tests.catalog.factories import SpecialtyFactory

    SpecialtyFactory(code="03", name="Nhi khoa", order=3)
    rows = [
        ["Chương", "Mã", "Tên kỹ thuật", "Ban đầu", "Cơ bản", "Chuyên sâu"],
        ["03", "03.0001", "Đặt nội khí quản", "", "x", "x"],
    ]
    report = import_techniques(csv_upload(rows, delimiter=";"))
    assert report.ok, report.errors
    assert Technique.objects.get(code="03.0001").name == "Đặt nội khí quản"


def logger_rows(temperatures):
    now = timezone.now().replace(second=0, microsecond=0)
    return [["Thời gian", "Nhiệt độ"]] + [
        [
            timezone.localtime(now - datetime.timedelta(hours=len(temperatures) - i)).strftime(
                "%d/%m/%Y %H:%M"
            ),
            t,
        ]
        for i, t in enumerate(temperatures)
    ]


def test_logger_csv_with_semicolons_and_decimal_commas_imports(cdc):
    rows = logger_rows(["4,5", "5,0", "6,5"])
    report = coldchain.upload_readings(
        cdc.centre_fridge, csv_upload(rows, delimiter=";"), user=cdc.cdc_clerk
    )
    assert report.ok, report.errors
    assert report.created == 3
    temps = sorted(float(r.temperature_c) for r in cdc.centre_fridge.readings.all())
    assert temps == [4.5, 5.0, 6.5]


@pytest.mark.parametrize("encoding", ["cp1258", "tcvn3", "vni"])
def test_legacy_encoding_message_names_the_line_and_the_fix(users, encoding):
    upload = legacy_csv(
        ["code", "name", "facility_type"], ["BN-X", "", "commune_station"], 1, encoding
    )
    with unchanged_database():
        message = refused_whole(import_org_units(upload, users.doh))
    assert message.startswith("The file is not UTF-8 text (line 2)")
    assert "CSV UTF-8" in message


def test_an_empty_workbook_and_an_empty_csv_are_refused(users):
    for upload in (xlsx_upload([]), SimpleUploadedFile("nhap.csv", b"")):
        with unchanged_database():
            report = import_org_units(upload, users.doh)
        assert [e.message for e in report.errors] == ["The file is empty."]


def test_xlsx_bytes_named_csv_are_refused_as_binary(users):
    upload = SimpleUploadedFile("nhap.csv", xlsx_bytes(facility_rows()))
    with unchanged_database():
        message = refused_whole(import_org_units(upload, users.doh))
    assert "not UTF-8" in message or "binary data" in message
