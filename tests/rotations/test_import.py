"""Importing rotations from .xlsx or .csv: all or nothing per file, every row through the
same service as the form and the API, refused rows named by row, column and reason."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from doha.rotations.models import Rotation, RotationKind, RotationStatus
from tests.mixins import table_from_export
from tests.rotations.factories import (
    TechniqueFactory,
    WorkerFactory,
    make_rotation,
    programme_between,
)
from tests.rotations.sheets import (
    FORMATS,
    assert_import_refused,
    refusals,
    sheet,
    signed_in,
    upload,
)

pytestmark = pytest.mark.usefixtures("shared_world")

D = datetime.date
URL = "/rotations/import/"
HEADER = [
    "worker",
    "kind",
    "from_facility_code",
    "to_facility_code",
    "start",
    "end",
    "purpose",
    "programme",
    "techniques",
]
LABELS = {
    "worker": "Health worker (UID or licence number)",
    "to_facility_code": "Receiving facility code",
    "start": "Start",
    "end": "End",
    "programme": "Programme number",
    "techniques": "Technique codes",
}


@pytest.fixture
def world(network):
    an = WorkerFactory(
        facility=network.bvdk, full_name="Trần Văn An", licence_number="000111/BN-CCHN"
    )
    binh = WorkerFactory(facility=network.bvdk, full_name="Lê Thị Bình")
    far = WorkerFactory(facility=network.phu_binh, full_name="Hoàng Văn Xa", licence_number="9/TN")
    programme = programme_between(network.bvdk, network.tien_du, number="12/CT-SYT")
    technique = TechniqueFactory(code="NHI.001", name="Thở CPAP ở trẻ sơ sinh")
    return {"an": an, "binh": binh, "far": far, "programme": programme, "technique": technique}


@pytest.fixture
def doh(users):
    return signed_in(users.doh)


def good_row(**changes):
    row = {
        "worker": "000111/BN-CCHN",
        "kind": "Biệt phái",
        "from_facility_code": "BN-BVDK",
        "to_facility_code": "BN-TTYT-TIENDU",
        "start": "01/01/2025",
        "end": "30/04/2025",
        "purpose": "Hỗ trợ khoa Nhi",
        "programme": "12/ct-syt",
        "techniques": "nhi.001",
    }
    row.update(changes)
    return row


# A good file ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_good_file_plans_every_rotation(doh, users, network, world, fmt):
    second = {
        "worker": world["binh"].uid,
        "to_facility_code": "TYT-09319",
        "start": "01/03/2025",
        "end": "31/08/2025",
    }
    response = upload(doh, URL, sheet(HEADER, [good_row(), second], fmt))
    assert response.status_code == 200, refusals(response)
    assert response.context["report"].created == 2
    assert "Import done." in response.content.decode()
    an = Rotation.objects.get(worker=world["an"])
    assert (an.kind, an.from_facility, an.to_facility) == (
        RotationKind.SECONDMENT,
        network.bvdk,
        network.tien_du,
    )
    assert (an.start, an.end, an.programme) == (D(2025, 1, 1), D(2025, 4, 30), world["programme"])
    assert list(an.techniques.all()) == [world["technique"]]
    assert an.status == RotationStatus.PLANNED and an.purpose == "Hỗ trợ khoa Nhi"
    binh = Rotation.objects.get(worker=world["binh"])
    # An empty sending facility is the worker's own; an empty kind is a rotation.
    assert (binh.kind, binh.from_facility, binh.programme) == (
        RotationKind.ROTATION,
        network.bvdk,
        None,
    )
    # Saved through the normal path: audited with the importing user.
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Rotation),
        object_pk=str(an.pk),
        action=LogEntry.Action.CREATE,
    )
    assert entry.actor == users.doh


def test_english_labels_are_read_as_headers(doh, network, world):
    header = ["Health worker", "Receiving facility code", "Start", "End"]
    row = {"Health worker": "000111/BN-CCHN", "Receiving facility code": "BN-TTYT-TIENDU"}
    row.update({"Start": "01/01/2025", "End": "30/04/2025"})
    response = upload(doh, URL, sheet(header, [row]))
    assert response.status_code == 200, refusals(response)
    assert Rotation.objects.get(worker=world["an"]).to_facility == network.tien_du


def test_a_dry_run_checks_and_saves_nothing(doh, world):
    response = upload(doh, URL, sheet(HEADER, [good_row()]), dry_run=True)
    assert response.status_code == 200
    assert response.context["report"].created == 1
    assert "nothing was saved (check only)" in response.content.decode()
    assert not Rotation.objects.exists()


# One bad row: nothing saved, the row, column and reason named ----------------------------

BAD_ROWS = {
    "two_months": ({"end": "28/02/2025"}, "end", "must last from 3 to 6 months"),
    "seven_months": ({"end": "31/07/2025"}, "end", "must last from 3 to 6 months"),
    "end_before_start": ({"end": "01/12/2024"}, "end", "The end must be after the start."),
    "not_a_party": (
        {"to_facility_code": "BN-TTYT-TUSON"},
        "to_facility_code",
        "is not a party of the programme 12/CT-SYT",
    ),
    "same_facility": (
        {"to_facility_code": "BN-BVDK", "programme": ""},
        "to_facility_code",
        "must differ from the sending facility",
    ),
    "unknown_facility": (
        {"to_facility_code": "KHONG-CO"},
        "to_facility_code",
        "No unit has the code KHONG-CO.",
    ),
    "unknown_worker": (
        {"worker": "000999/BN-CCHN"},
        "worker",
        "No health worker has the UID or licence number 000999/BN-CCHN.",
    ),
    "worker_out_of_scope": ({"worker": "9/TN"}, "worker", "outside your scope"),
    "unknown_programme": ({"programme": "99/CT"}, "programme", "has the number 99/CT"),
    "unknown_technique": ({"techniques": "NHI.001; XYZ"}, "techniques", "Unknown value: XYZ"),
    "bad_date": ({"start": "31/02/2025"}, "start", "Not a date"),
    "no_end": ({"end": ""}, "end", "This field is required."),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_one_bad_row_saves_nothing_and_is_named(doh, world, case):
    change, column, reason = BAD_ROWS[case]
    first = good_row(worker=world["binh"].uid)
    response = upload(doh, URL, sheet(HEADER, [first, good_row(**change)]))
    assert response.status_code == 400
    assert response.context["report"].refused_rows == [3]
    [(row, field, message)] = refusals(response)
    assert (row, field) == (3, LABELS.get(column, field))
    assert reason in message
    html = response.content.decode()
    assert 'id="import-errors"' in html and "Nothing was saved: 1 row was refused." in html
    assert not Rotation.objects.exists()


def test_every_bad_row_is_listed(doh, world):
    rows = [
        good_row(to_facility_code="KHONG-CO"),
        good_row(worker=world["binh"].uid),
        good_row(worker="000999", end="xx"),
    ]
    response = upload(doh, URL, sheet(HEADER, rows, "csv"))
    assert response.context["report"].refused_rows == [2, 4]
    assert {(row, field) for row, field, _m in refusals(response)} == {
        (2, LABELS["to_facility_code"]),
        (4, LABELS["worker"]),
        (4, LABELS["end"]),
    }
    assert not Rotation.objects.exists()


def test_rows_keep_their_spreadsheet_numbers_across_blank_rows(doh, world):
    rows = [good_row(worker=world["binh"].uid), {}, {}, good_row(to_facility_code="KHONG-CO")]
    response = upload(doh, URL, sheet(HEADER, rows))
    assert [(row, field) for row, field, _m in refusals(response)] == [
        (5, LABELS["to_facility_code"])
    ]


def test_an_overlapping_rotation_is_refused(doh, network, world):
    busy = make_rotation(world["an"], network.tu_son, start=D(2025, 2, 1), end=D(2025, 5, 31))
    response = upload(doh, URL, sheet(HEADER, [good_row()]))
    assert response.status_code == 400
    [(row, field, message)] = refusals(response)
    assert (row, field) == (2, LABELS["worker"])
    assert busy.uid in message and "one person cannot be in two places at once" in message
    assert Rotation.objects.get() == busy


def test_rows_of_one_file_cannot_overlap_each_other(doh, world):
    later = good_row(start="01/04/2025", end="31/07/2025", programme="")
    response = upload(doh, URL, sheet(HEADER, [good_row(), later]))
    assert response.status_code == 400
    [(row, field, message)] = refusals(response)
    assert (row, field) == (3, LABELS["worker"])
    assert "two places at once" in message
    assert not Rotation.objects.exists()


def test_a_two_month_rotation_is_refused_by_form_api_and_import(doh, network, world):
    """One rule, one message, whatever the way in."""
    worker = world["an"]
    form = doh.post(
        reverse("rotations:add"),
        {
            "kind": "rotation",
            "worker": worker.pk,
            "to_facility": network.tien_du.pk,
            "start": "2025-01-01",
            "end": "2025-02-28",
        },
    )
    assert form.status_code == 400
    api = doh.post(
        "/api/rotations/",
        {
            "kind": "rotation",
            "worker": worker.uid,
            "to_facility": network.tien_du.uid,
            "start": "2025-01-01",
            "end": "2025-02-28",
        },
        content_type="application/json",
    )
    assert api.status_code == 400
    row = good_row(end="28/02/2025", programme="", techniques="")
    imported = upload(doh, URL, sheet(HEADER, [row]))
    assert imported.status_code == 400
    [(_row, field, message)] = refusals(imported)
    assert field == LABELS["end"]
    assert "from 3 to 6 months (the default policy)" in message
    assert form.context["form"].errors["end"] == [message]
    assert api.json()["end"] == [message]
    assert not Rotation.objects.exists()


def test_facilities_outside_the_scope_are_refused(doh, network, world):
    row = good_row(from_facility_code="TN-TTYT-PHUBINH", to_facility_code="TYT-PHUBINH")
    response = upload(doh, URL, sheet(HEADER, [{**row, "programme": ""}]))
    assert response.status_code == 400
    [(row_number, field, message)] = refusals(response)
    assert (row_number, field) == (2, LABELS["to_facility_code"])
    assert message == "Either the sending or the receiving facility must be in your scope."
    assert not Rotation.objects.exists()


def test_another_province_cannot_import_rotations_here(users, world):
    response = upload(signed_in(users.doh_tn), URL, sheet(HEADER, [good_row()]))
    assert response.status_code == 400
    fields = {field for _row, field, _m in refusals(response)}
    assert LABELS["worker"] in fields
    assert not Rotation.objects.exists()


def test_refusals_follow_the_active_language(doh, settings, world):
    settings.LANGUAGE_CODE = "vi"
    with translation.override("vi"):
        header = ["Nhân viên y tế", "Cơ sở nhận chuyển giao", "Bắt đầu", "Kết thúc"]
        cells = ["000111/BN-CCHN", "BN-TTYT-TIENDU", "01/01/2025", "31/02/2025"]
        row = dict(zip(header, cells, strict=True))
        response = upload(doh, URL, sheet(header, [row]))
    assert response.status_code == 400
    assert refusals(response) == [
        (2, "Kết thúc", "Không phải ngày hợp lệ: 31/02/2025 (ghi theo dạng dd/mm/yyyy).")
    ]


# The page ---------------------------------------------------------------------------------


def test_the_list_links_to_the_import_page(doh):
    assert URL == reverse("rotations:import")
    assert URL in doh.get(reverse("rotations:list")).content.decode()
    page = doh.get(URL)
    assert page.status_code == 200
    assert "Sending facility code" in page.content.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_template_has_the_import_columns(doh, fmt):
    response = doh.get(URL, {"template": fmt})
    assert response.status_code == 200
    header, rows = table_from_export(response)
    assert header[:4] == [
        "Health worker (UID or licence number)",
        "Kind",
        "Sending facility code",
        "Receiving facility code",
    ]
    assert rows == []


@pytest.mark.parametrize("role", ["viewer", "clerk"])
def test_roles_without_import_cannot_import(users, world, role):
    user = getattr(users, role)
    assert_import_refused(user, reverse("rotations:list"), URL, sheet(HEADER, [good_row()]))
    assert not Rotation.objects.exists()
