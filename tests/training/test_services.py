"""Training rules through the service: dates, enrolment, results, certificates and CME."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from doha.people.models import CmeEntry, CmeSource, HealthWorker
from doha.people.services import cme_hours, cme_shortfall
from doha.training import services
from doha.training.models import Course, CourseKind, Result
from tests.training.factories import make_course, make_worker

D = datetime.date


@pytest.fixture
def course(network):
    return make_course(network.bvdk)


@pytest.fixture
def worker(network):
    return make_worker(network.tien_du, "Nguyễn Thị Hồng Nhung")


def test_end_before_start_is_refused(network):
    with pytest.raises(ValidationError) as err:
        make_course(network.bvdk, start_date=D(2025, 3, 10), end_date=D(2025, 3, 9))
    assert "end_date" in err.value.message_dict


def test_venue_or_online_and_positive_hours(network):
    with pytest.raises(ValidationError) as err:
        make_course(network.bvdk, venue="", hours=Decimal("0"))
    assert {"venue", "hours"} <= set(err.value.message_dict)
    assert make_course(network.bvdk, venue="", online=True).online


def test_enrol_only_active_once_within_capacity(network, course, worker):
    services.enrol(course, worker)
    with pytest.raises(ValidationError, match="already enrolled"):
        services.enrol(course, worker)
    retired = make_worker(network.tien_du, "Trần Văn Bình", active=False)
    with pytest.raises(ValidationError, match="active"):
        services.enrol(course, retired)
    course.capacity = 1
    services.save_course(course)
    with pytest.raises(ValidationError, match="full"):
        services.enrol(course, make_worker(network.tien_du, "Lê Văn Cường"))
    course.capacity = 0
    with pytest.raises(ValidationError) as err:
        services.save_course(course)
    assert "capacity" in err.value.message_dict


def test_pass_only_after_the_course_ended(network, worker):
    future = make_course(network.bvdk, ended=False)
    enrolment = services.enrol(future, worker)
    with pytest.raises(ValidationError) as err:
        services.record_result(enrolment, result=Result.PASSED)
    assert "result" in err.value.message_dict
    assert not CmeEntry.objects.exists()


def test_pass_issues_certificate_and_one_cme_entry(course, worker):
    enrolment = services.enrol(course, worker)
    enrolment = services.record_result(enrolment, result=Result.PASSED, attendance_percent=95)
    prefix = f"{course.end_date.year}/{course.uid[:4].upper()}/"
    assert enrolment.certificate_number == prefix + "001"
    entry = enrolment.cme_entry
    assert entry.hours == Decimal("40") and entry.source == CmeSource.COURSE
    assert entry.certificate_number == enrolment.certificate_number
    assert entry.date == course.end_date
    # Recording "passed" again changes nothing in the ledger.
    services.record_result(enrolment, result=Result.PASSED, attendance_percent=100)
    assert CmeEntry.objects.filter(worker=worker).count() == 1
    assert cme_hours(worker) == Decimal("40")


def test_changing_a_pass_reverses_the_entry(course, worker):
    enrolment = services.record_result(services.enrol(course, worker), result=Result.PASSED)
    entry = enrolment.cme_entry
    enrolment = services.record_result(enrolment, result=Result.FAILED, reason="Sai kết quả")
    assert enrolment.cme_entry is None and enrolment.certificate_number == ""
    assert entry.reversed_by.hours == Decimal("-40")
    assert cme_hours(worker) == 0
    # Passing again earns a new entry and a new certificate number (numbers are not reused).
    enrolment = services.record_result(enrolment, result=Result.PASSED)
    assert enrolment.certificate_number.endswith("/002")
    assert cme_hours(worker) == Decimal("40")
    assert CmeEntry.objects.filter(worker=worker).count() == 3


def test_shortfall_changes_after_passing(network, course, worker):
    workers = HealthWorker.objects.filter(pk=worker.pk)
    before = cme_shortfall(workers)
    assert before[0].cme_missing == Decimal("120")
    services.record_result(services.enrol(course, worker), result=Result.PASSED)
    after = cme_shortfall(workers)
    assert after[0].cme_missing == Decimal("80")
    # Enough courses take the worker off the list.
    big = make_course(network.bvdk, title="Đào tạo liên tục 80 giờ", hours=Decimal("80"))
    services.record_result(services.enrol(big, worker), result=Result.PASSED)
    assert cme_shortfall(workers) == []


def test_hours_frozen_once_results_count(course, worker):
    services.record_result(services.enrol(course, worker), result=Result.PASSED)
    course.hours = Decimal("10")
    with pytest.raises(ValidationError) as err:
        services.save_course(course)
    assert "hours" in err.value.message_dict


def test_only_the_organiser_side_manages(network, users, course, worker):
    # The clerk of Tiên Du sees the course once its staff is enrolled, but does not run it.
    services.enrol(course, worker)
    assert Course.objects.restrict(users.clerk).filter(pk=course.pk).exists()
    with pytest.raises(PermissionDenied):
        services.enrol(course, make_worker(network.tien_du, "Vũ Thị Mai"), user=users.clerk)
    # The line officer of BVĐK manages it (its province), enrolling only workers it sees.
    with pytest.raises(ValidationError, match="outside your scope"):
        services.enrol(course, make_worker(network.phu_binh, "Vũ Thị Mai"), user=users.line)
    services.enrol(course, make_worker(network.tien_du, "Đặng Văn Hải"), user=users.line)
    # Another province's DOH does not run a Bắc Ninh course.
    with pytest.raises(PermissionDenied):
        services.enrol(course, make_worker(network.phu_binh, "Ngô Văn Sơn"), user=users.doh_tn)
    services.enrol(course, make_worker(network.tu_son, "Bùi Thị Hoa"), user=users.doh)


def test_kinds_include_hands_on():
    assert CourseKind.HANDS_ON in CourseKind.values
