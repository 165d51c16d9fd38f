"""Importing remote consultations from .xlsx or .csv: all or nothing per file, through the
same service as the form and the API; a summary that identifies the patient (citizen ID,
phone number) is refused there too."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from doha.people.models import HealthWorker, Profession
from doha.telehealth.models import Consultation, Outcome, Urgency
from tests.mixins import table_from_export
from tests.rotations.sheets import (
    FORMATS,
    assert_import_refused,
    refusals,
    sheet,
    signed_in,
    upload,
)
from tests.telehealth.factories import at
from tests.transfers.factories import SpecialtyFactory

pytestmark = pytest.mark.usefixtures("shared_world")

URL = "/telehealth/import/"
HEADER = [
    "requesting_code",
    "hub_code",
    "specialty",
    "urgency",
    "patient_age",
    "patient_sex",
    "patient_summary",
    "requested_at",
    "answered_at",
    "participants",
    "participants_text",
    "conclusion",
    "outcome",
]
LABELS = {
    "requesting_code": "Requesting facility code",
    "hub_code": "Hub facility code",
    "specialty": "Specialty",
    "patient_age": "Patient's age (years)",
    "patient_sex": "Patient's sex",
    "patient_summary": "Patient summary",
    "requested_at": "Requested at",
    "answered_at": "Answered at",
    "participants": "Participants (UID or licence number)",
    "outcome": "Outcome",
}


@pytest.fixture
def doh(users):
    return signed_in(users.doh)


@pytest.fixture
def specialty(db):
    return SpecialtyFactory(code="02", name="Nội khoa")


@pytest.fixture
def doctor(network):
    return HealthWorker.objects.create(
        facility=network.bvdk,
        full_name="BS. Phạm Văn Đông",
        profession=Profession.DOCTOR,
        licence_number="000555/BN-CCHN",
    )


def row(**changes):
    values = {
        "requesting_code": "BN-TTYT-TIENDU",
        "hub_code": "BN-BVDK",
        "specialty": "02",
        "urgency": "Khẩn",
        "patient_age": "54",
        "patient_sex": "Nam",
        "patient_summary": "Đau ngực 3 giờ, ST chênh lên DII, DIII, aVF.",
        "requested_at": "01/03/2025 08:00",
        "answered_at": "01/03/2025 10:30",
        "participants": "000555/BN-CCHN",
        "participants_text": "BS. Nguyễn Văn A (BVTW)",
        "conclusion": "Nhồi máu cơ tim cấp: chuyển tuyến.",
        "outcome": "Chuyển viện",
    }
    values.update(changes)
    return values


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_good_file_records_the_consultations(doh, users, network, specialty, doctor, fmt):
    second = row(
        requesting_code="TYT-09319",
        specialty="nội khoa",
        urgency="",
        patient_age="2",
        patient_sex="female",
        patient_summary="Trẻ sốt cao 39 độ, co giật 1 lần.",
        answered_at="",
        participants="",
        participants_text="",
        conclusion="",
        outcome="",
    )
    response = upload(doh, URL, sheet(HEADER, [row(), second], fmt))
    assert response.status_code == 200, refusals(response)
    assert response.context["report"].created == 2
    first = Consultation.objects.get(requesting=network.tien_du)
    assert (first.hub, first.specialty, first.urgency) == (network.bvdk, specialty, Urgency.URGENT)
    assert (first.patient_age, first.patient_sex) == (54, "male")
    assert (first.requested_at, first.answered_at) == (at(2025, 3, 1, 8), at(2025, 3, 1, 10, 30))
    assert first.response_hours == 2.5 and first.outcome == Outcome.TRANSFERRED
    assert list(first.participants.all()) == [doctor]
    assert first.participants_text == "BS. Nguyễn Văn A (BVTW)"
    other = Consultation.objects.get(requesting=network.tyt_tien_du)
    assert (other.urgency, other.outcome, other.answered_at) == (
        Urgency.ROUTINE,
        Outcome.PENDING,
        None,
    )
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Consultation),
        object_pk=str(first.pk),
        action=LogEntry.Action.CREATE,
    )
    assert entry.actor == users.doh


def test_excel_dates_and_numbers_are_read(doh, network, specialty, doctor):
    """Cells Excel typed itself: a date-time, an integer, a licence number as a number."""
    doctor.licence_number = "123456"
    doctor.save()
    values = row(requested_at=datetime.datetime(2025, 3, 1, 8, 0), patient_age=54)
    values.update(answered_at=datetime.datetime(2025, 3, 1, 9, 0), participants=123456)
    response = upload(doh, URL, sheet(HEADER, [values]))
    assert response.status_code == 200, refusals(response)
    consultation = Consultation.objects.get()
    assert consultation.requested_at == at(2025, 3, 1, 8) and consultation.response_hours == 1
    assert list(consultation.participants.all()) == [doctor]


BAD_ROWS = {
    "citizen_id": (
        {"patient_summary": "Bệnh nhân CCCD 001203004567, đau ngực."},
        "patient_summary",
        "citizen ID number",
    ),
    "phone": (
        {"patient_summary": "Liên hệ người nhà 0912 345 678."},
        "patient_summary",
        "phone number",
    ),
    "same_hub": ({"hub_code": "BN-TTYT-TIENDU"}, "hub_code", "another facility"),
    "answer_first": ({"answered_at": "01/03/2025 07:00"}, "answered_at", "before the request"),
    "outcome_unanswered": ({"answered_at": ""}, "answered_at", "when the outcome is known"),
    "unknown_specialty": ({"specialty": "Phép thuật"}, "specialty", "Unknown value"),
    "bad_moment": ({"requested_at": "hôm qua"}, "requested_at", "Not a date and time"),
    "old_age": ({"patient_age": "150"}, "patient_age", "less than or equal to 130"),
    "unknown_participant": ({"participants": "000555/BN-CCHN; 42"}, "participants", "42"),
    "no_sex": ({"patient_sex": ""}, "patient_sex", "This field is required."),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_one_bad_row_saves_nothing_and_is_named(doh, specialty, doctor, case):
    change, column, reason = BAD_ROWS[case]
    response = upload(doh, URL, sheet(HEADER, [row(), row(**change)]))
    assert response.status_code == 400
    [(number, field, message)] = refusals(response)
    assert (number, field) == (3, LABELS[column])
    assert reason in message
    assert "Nothing was saved: 1 row was refused." in response.content.decode()
    assert not Consultation.objects.exists()


def test_an_identifying_summary_is_refused_by_form_api_and_import(doh, network, specialty):
    summary = "Bệnh nhân nam, SĐT 0987654321, đau bụng."
    form = doh.post(
        reverse("telehealth:add"),
        {
            "requesting": network.tien_du.pk,
            "hub": network.bvdk.pk,
            "specialty": specialty.pk,
            "urgency": "urgent",
            "patient_age": 40,
            "patient_sex": "male",
            "patient_summary": summary,
            "requested_at": "2025-03-01T08:00",
            "outcome": "pending",
        },
    )
    api = doh.post(
        "/api/consultations/",
        {
            "requesting": network.tien_du.uid,
            "hub": network.bvdk.uid,
            "specialty": "02",
            "patient_age": 40,
            "patient_sex": "male",
            "patient_summary": summary,
            "requested_at": "2025-03-01T08:00:00+07:00",
        },
        content_type="application/json",
    )
    values = row(patient_summary=summary, participants="", answered_at="", outcome="")
    imported = upload(doh, URL, sheet(HEADER, [values], "csv"))
    assert (form.status_code, api.status_code, imported.status_code) == (400, 400, 400)
    [(_number, field, message)] = refusals(imported)
    assert field == LABELS["patient_summary"]
    assert "must not identify the patient" in message
    assert form.context["form"].errors["patient_summary"] == [message]
    assert api.json()["patient_summary"] == [message]
    assert not Consultation.objects.exists()


def test_facilities_outside_the_scope_are_refused(doh, specialty):
    values = row(requesting_code="TYT-PHUBINH", hub_code="TN-TTYT-PHUBINH", participants="")
    response = upload(doh, URL, sheet(HEADER, [values]))
    assert response.status_code == 400
    assert refusals(response) == [
        (
            2,
            LABELS["requesting_code"],
            "The requesting facility or the hub must be inside your scope.",
        )
    ]
    assert not Consultation.objects.exists()


def test_a_participant_outside_the_scope_is_refused(doh, network, specialty):
    HealthWorker.objects.create(
        facility=network.phu_binh,
        full_name="BS. Ngoài Tỉnh",
        profession=Profession.DOCTOR,
        licence_number="777/TN",
    )
    response = upload(doh, URL, sheet(HEADER, [row(participants="777/TN")]))
    assert refusals(response) == [
        (2, LABELS["participants"], "This health worker is outside your scope.")
    ]


# The page ---------------------------------------------------------------------------------


def test_the_list_links_to_the_import_page(doh):
    assert URL == reverse("telehealth:import")
    assert URL in doh.get(reverse("telehealth:list")).content.decode()
    page = doh.get(URL).content.decode()
    assert "De-identified: no name, no ID number, no phone number, no address." in page


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_template_has_the_import_columns(doh, fmt):
    header, rows = table_from_export(doh.get(URL, {"template": fmt}))
    assert header[:3] == ["Requesting facility code", "Hub facility code", "Specialty"]
    assert len(header) == len(HEADER) and rows == []


@pytest.mark.parametrize("role", ["viewer", "clerk"])
def test_roles_without_import_cannot_import(users, specialty, doctor, role):
    user = getattr(users, role)
    assert_import_refused(user, reverse("telehealth:list"), URL, sheet(HEADER, [row()]))
    assert not Consultation.objects.exists()
