"""The same rules through the pages (forms) and the REST API; filters, export and demo."""

import datetime
from decimal import Decimal

import pytest

from doha.people.models import CmeEntry, HealthWorker
from doha.people.services import cme_shortfall
from doha.training import services
from doha.training.demo import load_demo_training
from doha.training.models import Course, Enrolment, Result
from tests.factories import OrgUnitFactory
from tests.mixins import new_client, table_from_export
from tests.training.factories import make_course, make_worker

JSON = "application/json"


def signed_in(user):
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def course(network):
    return make_course(network.bvdk, capacity=2)


def test_form_refuses_end_before_start(network, users):
    response = signed_in(users.doh).post(
        "/training/add/",
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
    assert response.status_code == 400
    assert "cannot end before it starts" in response.context["form"].errors["end_date"][0]
    assert not Course.objects.filter(title="Khóa sai ngày").exists()


def test_api_refuses_end_before_start(network, users):
    response = signed_in(users.doh).post(
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
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "end_date" in response.json()


def test_detail_search_ignores_accents(network, users, course):
    make_worker(network.tien_du, "Nguyễn Thị Hồng Nhung")
    make_worker(network.tien_du, "Trần Văn Đức")
    make_worker(network.phu_binh, "Nguyễn Văn Ngoài")  # outside the DOH's scope
    response = signed_in(users.doh).get(course.get_absolute_url(), {"q": "nguyen hong"})
    names = [w.full_name for w in response.context["enrol_form"].fields["worker"].queryset]
    assert names == ["Nguyễn Thị Hồng Nhung"]
    response = signed_in(users.doh).get(course.get_absolute_url(), {"q": "duc"})
    names = [w.full_name for w in response.context["enrol_form"].fields["worker"].queryset]
    assert names == ["Trần Văn Đức"]


def test_enrol_and_result_through_the_pages(network, users, course):
    client = signed_in(users.doh)
    worker = make_worker(network.tien_du, "Nguyễn Thị Hồng Nhung")
    url = f"/training/{course.uid}/enrol/"
    assert client.post(url, {"worker": worker.pk}).status_code == 302
    response = client.post(url, {"worker": worker.pk})
    assert response.status_code == 400
    assert "already enrolled" in str(response.context["enrol_form"].errors)
    retired = make_worker(network.tien_du, "Lê Văn Nghỉ", active=False)
    response = client.post(url, {"worker": retired.pk})
    assert response.status_code == 400
    enrolment = Enrolment.objects.get(course=course, worker=worker)
    workers = HealthWorker.objects.filter(pk=worker.pk)
    assert cme_shortfall(workers)[0].cme_missing == Decimal("120")
    result_url = f"/training/enrolments/{enrolment.pk}/result/"
    assert client.get(result_url).status_code == 200
    response = client.post(result_url, {"result": "passed", "attendance_percent": 95})
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.certificate_number and enrolment.attendance_percent == 95
    assert cme_shortfall(workers)[0].cme_missing == Decimal("80")
    page = client.get(course.get_absolute_url()).content.decode()
    assert enrolment.certificate_number in page
    # The clerk of Tiên Du sees the course but cannot record results.
    assert signed_in(users.clerk).post(result_url, {"result": "failed"}).status_code == 403


def test_capacity_through_the_api(network, users, course):
    client = signed_in(users.doh)
    for name in ["Nguyễn Văn A", "Nguyễn Văn B"]:
        worker = make_worker(network.tien_du, name)
        response = client.post(
            "/api/enrolments/", {"course": course.uid, "worker": worker.uid}, content_type=JSON
        )
        assert response.status_code == 201, response.json()
    response = client.post(
        "/api/enrolments/", {"course": course.uid, "worker": worker.uid}, content_type=JSON
    )
    assert response.status_code == 400 and "already enrolled" in str(response.json())
    third = make_worker(network.tien_du, "Nguyễn Văn C")
    response = client.post(
        "/api/enrolments/", {"course": course.uid, "worker": third.uid}, content_type=JSON
    )
    assert response.status_code == 400 and "full" in str(response.json()["worker"])


def test_result_through_the_api(network, users):
    client = signed_in(users.doh)
    future = make_course(network.bvdk, ended=False)
    worker = make_worker(network.tien_du, "Nguyễn Thị Hồng Nhung")
    enrolment = services.enrol(future, worker)
    url = f"/api/enrolments/{enrolment.pk}/result/"
    response = client.post(url, {"result": "passed"}, content_type=JSON)
    assert response.status_code == 400 and "result" in response.json()
    past = make_course(network.bvdk)
    enrolment = services.enrol(past, worker)
    url = f"/api/enrolments/{enrolment.pk}/result/"
    body = client.post(url, {"result": "passed", "attendance_percent": 90}, content_type=JSON)
    body = body.json()
    assert body["result"] == "passed" and body["certificate"].endswith("/certificate/")
    assert CmeEntry.objects.filter(worker=worker).count() == 1
    client.post(url, {"result": "failed", "reason": "Nhập nhầm"}, content_type=JSON)
    assert sum(e.hours for e in CmeEntry.objects.filter(worker=worker)) == 0
    # Viewers read, never record.
    response = signed_in(users.viewer).post(url, {"result": "passed"}, content_type=JSON)
    assert response.status_code == 403


def test_list_filters_and_export(network, users):
    make_course(network.bvdk, title="Khóa CME", kind="cme")
    make_course(network.bvdk, title="Cầm tay chỉ việc", kind="hands_on")
    make_course(network.tu_son, title="Khóa tương lai", ended=False, kind="cme")
    client = signed_in(users.doh)
    response = client.get("/training/", {"kind": "cme"})
    assert {c.title for c in response.context["object_list"]} == {"Khóa CME", "Khóa tương lai"}
    response = client.get("/training/", {"organiser": network.bvdk.uid})
    assert response.context["total"] == 2
    today = datetime.date.today()
    response = client.get("/training/", {"start": (today + datetime.timedelta(days=1))})
    assert [c.title for c in response.context["object_list"]] == ["Khóa tương lai"]
    response = client.get("/training/", {"kind": "cme", "export": "xlsx"})
    header, rows = table_from_export(response)
    assert len(header) == 13
    assert {r[1] for r in rows} == {"Khóa CME", "Khóa tương lai"}
    assert signed_in(users.doh).get("/api/courses/", {"kind": "hands_on"}).json()["count"] == 1


def test_demo_is_idempotent(network):
    OrgUnitFactory(code="BVTW-TN", name="Bệnh viện Trung ương Thái Nguyên", parent=network.syt_tn)
    assert load_demo_training() == 2
    counts = (Course.objects.count(), Enrolment.objects.count(), CmeEntry.objects.count())
    assert load_demo_training() == 2
    assert (Course.objects.count(), Enrolment.objects.count(), CmeEntry.objects.count()) == counts
    passed = Enrolment.objects.filter(result=Result.PASSED)
    assert passed.filter(course__organiser=network.bvdk, worker__facility=network.tien_du).count()
    assert all(e.cme_entry_id for e in passed)
    assert Course.objects.filter(kind="hands_on", organiser__code="BVTW-TN").exists()
