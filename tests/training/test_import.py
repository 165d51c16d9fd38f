"""Importing courses, and enrolments with their results, from .xlsx or .csv: all or nothing
per file, through the same services as the pages and the API; a pass credits the CME ledger
once, however often the file is imported."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from doha.people.models import CmeEntry, CmeSource
from doha.training import services
from doha.training.models import Course, CourseKind, CourseStatus, Enrolment, Result
from tests.mixins import table_from_export
from tests.rotations.factories import programme_between
from tests.rotations.sheets import (
    FORMATS,
    assert_import_refused,
    refusals,
    sheet,
    signed_in,
    upload,
)
from tests.training.factories import make_course, make_worker

pytestmark = pytest.mark.usefixtures("shared_world")

COURSES = "/training/import/"
ENROLMENTS = "/training/import/enrolments/"
COURSE_HEADER = [
    "title",
    "kind",
    "organiser_code",
    "venue",
    "online",
    "start_date",
    "end_date",
    "hours",
    "programme",
    "capacity",
    "status",
]
ENROLMENT_HEADER = ["course", "worker", "attendance_percent", "result"]
LABELS = {
    "kind": "Kind",
    "organiser_code": "Organiser code",
    "venue": "Venue",
    "online": "Online",
    "end_date": "End date",
    "hours": "Credit hours",
    "capacity": "Capacity",
    "course": "Course UID",
    "worker": "Health worker (UID or licence number)",
    "attendance_percent": "Attendance (%)",
    "result": "Result",
}


@pytest.fixture
def doh(users):
    return signed_in(users.doh)


def course_row(**changes):
    row = {
        "title": "Hồi sức sơ sinh",
        "kind": "CME",
        "organiser_code": "BN-BVDK",
        "venue": "Hội trường BVĐK tỉnh Bắc Ninh",
        "online": "",
        "start_date": "03/03/2025",
        "end_date": "07/03/2025",
        "hours": "40",
        "programme": "",
        "capacity": "30",
        "status": "",
    }
    row.update(changes)
    return row


# Courses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_good_file_of_courses_adds_them(doh, users, network, fmt):
    programme = programme_between(network.bvdk, network.tien_du, number="7/KH-SYT")
    online = course_row(
        title="Quản lý bệnh viện trực tuyến",
        kind="Management training",
        venue="",
        online="có",
        hours="12,5",
        programme="7/KH-SYT",
        capacity="",
        status="Open for enrolment",
    )
    response = upload(doh, COURSES, sheet(COURSE_HEADER, [course_row(), online], fmt))
    assert response.status_code == 200, refusals(response)
    assert response.context["report"].created == 2
    first = Course.objects.get(title="Hồi sức sơ sinh")
    assert (first.kind, first.organiser, first.capacity) == (CourseKind.CME, network.bvdk, 30)
    assert (first.start_date, first.end_date) == (
        datetime.date(2025, 3, 3),
        datetime.date(2025, 3, 7),
    )
    assert first.hours == Decimal("40") and first.status == CourseStatus.PLANNED
    second = Course.objects.get(title="Quản lý bệnh viện trực tuyến")
    assert second.online and second.venue == "" and second.hours == Decimal("12.5")
    assert (second.kind, second.status) == (CourseKind.MANAGEMENT, CourseStatus.OPEN)
    assert second.programme == programme and second.capacity is None
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Course), object_pk=str(first.pk)
    )
    assert entry.actor == users.doh


COURSE_BAD_ROWS = {
    "end_before_start": (
        {"end_date": "01/03/2025"},
        "end_date",
        "The course cannot end before it starts.",
    ),
    "no_hours": ({"hours": "0"}, "hours", "Credit hours must be more than zero."),
    "no_venue": ({"venue": ""}, "venue", "Give the venue, or mark the course as online."),
    "unknown_kind": ({"kind": "Yoga"}, "kind", "Unknown value: Yoga"),
    "unknown_organiser": ({"organiser_code": "KHONG-CO"}, "organiser_code", "No unit has"),
    "organiser_out_of_scope": (
        {"organiser_code": "TN-TTYT-PHUBINH"},
        "organiser_code",
        "Only the organiser's side manages this course.",
    ),
    "bad_capacity": ({"capacity": "ba mươi"}, "capacity", "Not a whole number: ba mươi"),
    "bad_online": ({"online": "có lẽ"}, "online", "Write yes or no"),
}


@pytest.mark.parametrize("case", COURSE_BAD_ROWS)
def test_one_bad_course_saves_nothing(doh, network, case):
    change, column, reason = COURSE_BAD_ROWS[case]
    rows = [course_row(title="Khóa tốt"), course_row(**change)]
    response = upload(doh, COURSES, sheet(COURSE_HEADER, rows))
    assert response.status_code == 400
    [(row, field, message)] = refusals(response)
    assert (row, field) == (3, LABELS[column])
    assert reason in message
    assert 'id="import-errors"' in response.content.decode()
    assert not Course.objects.exists()


def test_end_before_start_is_refused_by_form_api_and_import(doh, network):
    form = doh.post(
        reverse("training:add"),
        {
            "title": "Khóa sai ngày",
            "kind": "cme",
            "organiser": network.bvdk.pk,
            "venue": "Hội trường",
            "start_date": "2025-03-10",
            "end_date": "2025-03-01",
            "hours": "8",
            "status": "planned",
        },
    )
    api = doh.post(
        "/api/courses/",
        {
            "title": "Khóa sai ngày",
            "kind": "cme",
            "organiser": network.bvdk.uid,
            "venue": "Hội trường",
            "start_date": "2025-03-10",
            "end_date": "2025-03-01",
            "hours": "8",
        },
        content_type="application/json",
    )
    row = course_row(title="Khóa sai ngày", start_date="10/03/2025", end_date="01/03/2025")
    imported = upload(doh, COURSES, sheet(COURSE_HEADER, [row], "csv"))
    assert (form.status_code, api.status_code, imported.status_code) == (400, 400, 400)
    [(_row, field, message)] = refusals(imported)
    assert field == LABELS["end_date"]
    assert form.context["form"].errors["end_date"] == [message]
    assert api.json()["end_date"] == [message]
    assert not Course.objects.exists()


# Enrolments and results ------------------------------------------------------------------


@pytest.fixture
def course(network):
    """A 40-hour course of the provincial hospital that ended last week."""
    return make_course(network.bvdk)


@pytest.fixture
def trainees(network):
    return {
        "an": make_worker(network.tien_du, "Nguyễn Văn An", licence_number="000111/BN-CCHN"),
        "binh": make_worker(network.tien_du, "Lê Thị Bình"),
        "cuc": make_worker(network.tu_son, "Trần Thị Cúc", licence_number="000333/BN-CCHN"),
    }


def results(course, trainees):
    return [
        {
            "course": course.uid,
            "worker": "000111/bn-cchn",
            "attendance_percent": 95,
            "result": "Đạt",
        },
        {
            "course": course.uid,
            "worker": trainees["binh"].uid,
            "attendance_percent": "60",
            "result": "failed",
        },
        {"course": course.uid, "worker": "000333/BN-CCHN"},
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_results_file_enrols_and_credits_the_cme_ledger(doh, course, trainees, fmt):
    response = upload(doh, ENROLMENTS, sheet(ENROLMENT_HEADER, results(course, trainees), fmt))
    assert response.status_code == 200, refusals(response)
    report = response.context["report"]
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    an = Enrolment.objects.get(course=course, worker=trainees["an"])
    assert (an.result, an.attendance_percent) == (Result.PASSED, 95)
    assert an.certificate_number.startswith(services.certificate_prefix(course))
    [credit] = CmeEntry.objects.filter(worker=trainees["an"])
    assert (credit.hours, credit.source, credit.date) == (40, CmeSource.COURSE, course.end_date)
    assert credit.certificate_number == an.certificate_number
    binh = Enrolment.objects.get(course=course, worker=trainees["binh"])
    assert (binh.result, binh.attendance_percent, binh.certificate_number) == ("failed", 60, "")
    cuc = Enrolment.objects.get(course=course, worker=trainees["cuc"])
    assert (cuc.result, cuc.attendance_percent) == (Result.PENDING, None)
    assert not CmeEntry.objects.exclude(worker=trainees["an"]).exists()


def test_a_pass_credits_once_however_often_it_is_imported(doh, course, trainees):
    file = sheet(ENROLMENT_HEADER, results(course, trainees))
    assert upload(doh, ENROLMENTS, file).status_code == 200
    certificate = Enrolment.objects.get(worker=trainees["an"]).certificate_number
    again = upload(doh, ENROLMENTS, sheet(ENROLMENT_HEADER, results(course, trainees)))
    assert again.status_code == 200
    report = again.context["report"]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert CmeEntry.objects.filter(worker=trainees["an"]).count() == 1
    assert Enrolment.objects.get(worker=trainees["an"]).certificate_number == certificate


def test_a_pass_recorded_on_the_page_is_not_credited_again(doh, course, trainees):
    enrolment = services.enrol(course, trainees["an"])
    services.record_result(enrolment, result=Result.PASSED)
    row = {"course": course.uid, "worker": trainees["an"].uid, "result": "passed"}
    response = upload(doh, ENROLMENTS, sheet(ENROLMENT_HEADER, [row]))
    assert response.status_code == 200
    assert response.context["report"].unchanged == 1
    assert CmeEntry.objects.filter(worker=trainees["an"]).count() == 1


def test_a_failed_result_withdraws_the_credit(doh, course, trainees):
    upload(doh, ENROLMENTS, sheet(ENROLMENT_HEADER, results(course, trainees)))
    row = {"course": course.uid, "worker": trainees["an"].uid, "result": "Không đạt"}
    response = upload(doh, ENROLMENTS, sheet(ENROLMENT_HEADER, [row]))
    assert response.context["report"].updated == 1
    assert sum(e.hours for e in CmeEntry.objects.filter(worker=trainees["an"])) == 0
    assert Enrolment.objects.get(worker=trainees["an"]).certificate_number == ""


@pytest.fixture
def future_course(network):
    return make_course(network.bvdk, title="Khóa tháng sau", ended=False)


def enrolment_bad_rows(course, future_course, trainees, far):
    return {
        "not_ended": (
            {"course": future_course.uid, "result": "passed"},
            "result",
            "only after the course has ended",
        ),
        "attendance": (
            {"attendance_percent": "120"},
            "attendance_percent",
            "Attendance is between 0 and 100%.",
        ),
        "unknown_course": ({"course": "KHONGCO"}, "course", "No course has the UID KHONGCO."),
        "unknown_result": ({"result": "Giỏi"}, "result", "Unknown value: Giỏi"),
        "worker_out_of_scope": ({"worker": far.uid}, "worker", "outside your scope"),
        "repeated": (
            {"worker": trainees["an"].uid},
            "worker",
            "Nguyễn Văn An is repeated for this course (first on row 2).",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not_ended",
        "attendance",
        "unknown_course",
        "unknown_result",
        "worker_out_of_scope",
        "repeated",
    ],
)
def test_one_bad_enrolment_saves_nothing(doh, network, course, future_course, trainees, case):
    far = make_worker(network.phu_binh, "Hoàng Văn Xa")
    cases = enrolment_bad_rows(course, future_course, trainees, far)
    change, column, reason = cases[case]
    rows = results(course, trainees)[:1]
    rows.append({"course": course.uid, "worker": trainees["binh"].uid, **change})
    response = upload(doh, ENROLMENTS, sheet(ENROLMENT_HEADER, rows))
    assert response.status_code == 400
    [(row, field, message)] = refusals(response)
    assert (row, field) == (3, LABELS[column])
    assert reason in message
    assert not Enrolment.objects.exists()
    assert not CmeEntry.objects.exists()


def test_a_result_before_the_end_is_refused_by_form_api_and_import(doh, future_course, trainees):
    enrolment = services.enrol(future_course, trainees["an"])
    form = doh.post(reverse("training:result", args=[enrolment.pk]), {"result": "passed"})
    api = doh.post(
        f"/api/enrolments/{enrolment.pk}/result/",
        {"result": "passed"},
        content_type="application/json",
    )
    row = {"course": future_course.uid, "worker": trainees["an"].uid, "result": "passed"}
    imported = upload(doh, ENROLMENTS, sheet(ENROLMENT_HEADER, [row]))
    assert (form.status_code, api.status_code, imported.status_code) == (400, 400, 400)
    [(_row, field, message)] = refusals(imported)
    assert field == LABELS["result"]
    assert form.context["form"].errors["result"] == [message]
    assert api.json()["result"] == [message]
    assert Enrolment.objects.get().result == Result.PENDING


def test_results_of_a_course_organised_elsewhere_are_refused(doh, network, trainees):
    """The DOH of Bắc Ninh sees a Thái Nguyên course its workers attend, but only the
    organiser's side records results."""
    elsewhere = make_course(network.phu_binh, title="Khóa của Phú Bình")
    services.enrol(elsewhere, trainees["an"])
    row = {"course": elsewhere.uid, "worker": trainees["an"].uid, "result": "passed"}
    response = upload(doh, ENROLMENTS, sheet(ENROLMENT_HEADER, [row]))
    assert response.status_code == 400
    assert refusals(response) == [
        (2, LABELS["course"], "Only the organiser's side manages this course.")
    ]
    assert Enrolment.objects.get().result == Result.PENDING
    assert not CmeEntry.objects.exists()


# The pages -------------------------------------------------------------------------------


def test_the_list_links_to_both_imports(doh):
    assert (COURSES, ENROLMENTS) == (
        reverse("training:import"),
        reverse("training:import_enrolments"),
    )
    html = doh.get(reverse("training:list")).content.decode()
    assert COURSES in html and ENROLMENTS in html
    assert ENROLMENTS in doh.get(COURSES).content.decode()
    assert "Course UID" in doh.get(ENROLMENTS).content.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_templates_have_the_import_columns(doh, fmt):
    header, rows = table_from_export(doh.get(COURSES, {"template": fmt}))
    assert header[:3] == ["Title", "Kind", "Organiser code"] and rows == []
    header, rows = table_from_export(doh.get(ENROLMENTS, {"template": fmt}))
    assert header == [
        "Course UID",
        "Health worker (UID or licence number)",
        "Attendance (%)",
        "Result",
    ]


@pytest.mark.parametrize("role", ["viewer", "clerk"])
def test_roles_without_import_cannot_import(users, course, trainees, role):
    user, listing = getattr(users, role), reverse("training:list")
    assert_import_refused(user, listing, COURSES, sheet(COURSE_HEADER, [course_row()]))
    file = sheet(ENROLMENT_HEADER, results(course, trainees))
    assert_import_refused(user, listing, ENROLMENTS, file)
    assert not Enrolment.objects.exists()
    assert Course.objects.count() == 1
