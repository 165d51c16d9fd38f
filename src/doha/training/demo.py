"""Demo training data: a BVĐK Bắc Ninh course for TTYT Tiên Du staff, with enrolments and
passed results (earning CME credit hours), and a hands-on course at BVTW Thái Nguyên.

Idempotent: run it again and nothing is duplicated. Needs the org units of the main demo.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker, Profession, Sex
from doha.training import services
from doha.training.models import Course, CourseKind, CourseStatus, Enrolment, Result

TIEN_DU_STAFF = [
    ("Nguyễn Thị Hồng Nhung", Sex.FEMALE, Profession.NURSE, "ĐD"),
    ("Trần Văn Đức", Sex.MALE, Profession.DOCTOR, "BS"),
    ("Lê Thị Thu Hằng", Sex.FEMALE, Profession.MIDWIFE, "HS"),
    ("Phạm Quốc Việt", Sex.MALE, Profession.PHYSICIAN_ASSISTANT, "YS"),
]
PHU_BINH_STAFF = [
    ("Hoàng Văn Khánh", Sex.MALE, Profession.DOCTOR, "BS"),
    ("Đỗ Thị Lan Anh", Sex.FEMALE, Profession.NURSE, "ĐD"),
]


def _workers(unit, staff):
    workers = []
    for name, sex, profession, title in staff:
        worker, _ = HealthWorker.objects.get_or_create(
            facility=unit,
            full_name=name,
            defaults={"sex": sex, "profession": profession, "title": title},
        )
        workers.append(worker)
    return workers


def _course(organiser, title, **fields):
    course = Course.objects.filter(organiser=organiser, title=title).first()
    if course is None:
        course = services.save_course(Course(organiser=organiser, title=title, **fields))
    return course


def _enrol_and_pass(course, workers, attendance):
    """Enrol (while the course is open), record the results, then close the course."""
    for worker, percent in zip(workers, attendance, strict=False):
        enrolment = Enrolment.objects.filter(course=course, worker=worker).first()
        if enrolment is None:
            enrolment = services.enrol(course, worker)
        if enrolment.result == Result.PENDING and course.end_date <= timezone.localdate():
            services.record_result(
                enrolment,
                result=Result.PASSED if percent >= 80 else Result.FAILED,
                attendance_percent=percent,
            )
    if course.status != CourseStatus.COMPLETED:
        course.status = CourseStatus.COMPLETED
        services.save_course(course)


@transaction.atomic
def load_demo_training() -> int:
    """Create the demo courses; returns how many courses exist for the demo units."""
    today = timezone.localdate()
    units = {
        u.code: u
        for u in OrgUnit.objects.filter(
            code__in=["BN-BVDK", "BN-TTYT-TIENDU", "BVTW-TN", "TN-TTYT-PHUBINH"]
        )
    }
    made = 0
    bvdk, tien_du = units.get("BN-BVDK"), units.get("BN-TTYT-TIENDU")
    if bvdk and tien_du:
        start = today - datetime.timedelta(days=60)
        course = _course(
            bvdk,
            "Cấp cứu nhi khoa cơ bản cho tuyến y tế cơ sở",
            kind=CourseKind.CME,
            venue="Hội trường BVĐK tỉnh Bắc Ninh",
            start_date=start,
            end_date=start + datetime.timedelta(days=4),
            hours=Decimal("40"),
            capacity=30,
            status=CourseStatus.RUNNING,
        )
        _enrol_and_pass(course, _workers(tien_du, TIEN_DU_STAFF), [100, 95, 90, 60])
        made += 1
    bvtw = units.get("BVTW-TN")
    if bvtw:
        start = today - datetime.timedelta(days=45)
        course = _course(
            bvtw,
            "Cầm tay chỉ việc: đặt nội khí quản sơ sinh",
            kind=CourseKind.HANDS_ON,
            venue="Khoa Nhi, Bệnh viện Trung ương Thái Nguyên",
            start_date=start,
            end_date=start + datetime.timedelta(days=14),
            hours=Decimal("24"),
            capacity=6,
            status=CourseStatus.RUNNING,
        )
        trainees_unit = units.get("TN-TTYT-PHUBINH") or bvtw
        _enrol_and_pass(course, _workers(trainees_unit, PHU_BINH_STAFF), [100, 85])
        made += 1
    return made
