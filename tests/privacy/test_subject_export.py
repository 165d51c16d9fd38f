"""A person's data on request (Decree 13/2023/NĐ-CP art. 9): everything stored about a
health worker or a vaccination client, as JSON or .xlsx, logged, role- and scope-checked."""

import datetime
import io
import json
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from doha.core import privacy
from doha.people import services as people_services
from doha.training.models import Enrolment
from tests.mixins import assert_login_redirect, new_client
from tests.rotations.factories import make_rotation
from tests.training.factories import make_course
from tests.vaccines.test_aefi import serious
from tests.vaccines.test_visits_setup import screened, service, vaccinate


def logged_in(user):
    c = new_client()
    c.force_login(user)
    return c


def url(kind, uid, fmt="json"):
    return reverse(f"privacy:subject-{fmt}", args=[kind, uid])


def test_worker_data_holds_cme_rotations_and_enrolments(users, network, worker):
    people_services.add_cme_entry(
        worker,
        date=datetime.date(2025, 3, 1),
        hours=Decimal("8"),
        description="Hội thảo sơ sinh",
    )
    make_rotation(worker, network.bvdk, purpose="Học kỹ thuật thở máy")
    course = make_course(network.bvdk)
    Enrolment.objects.create(course=course, worker=worker, certificate_number="CC-77")

    response = logged_in(users.doh).get(url("worker", worker.uid))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["health_worker"]["full_name"] == "Trần Văn Bảo"
    assert data["health_worker"]["licence_number"] == "001234/BN-CCHN"
    assert data["health_worker"]["phone"] == "0987654321"
    assert [e["description"] for e in data["cme_entries"]] == ["Hội thảo sơ sinh"]
    assert [r["purpose"] for r in data["rotations"]] == ["Học kỹ thuật thở máy"]
    assert [e["certificate_number"] for e in data["enrolments"]] == ["CC-77"]
    # The request itself is logged, and shows in the next answer.
    assert [e.additional_data["via"] for e in privacy.accesses_of(worker)] == ["subject_export"]


def test_client_data_holds_visits_doses_and_aefis(cdc, users):
    svc = service(cdc)
    visit = screened(cdc, svc, minutes_ago=60)
    dose = vaccinate(cdc, svc, visit, minutes_ago=50)
    serious(dose, cdc.point_clerk)
    child = svc.child
    logged_in(cdc.point_clerk).get(reverse("vaccines:client-list"), {"export": "csv"})

    response = logged_in(users.doh).get(url("client", child.uid))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["client"]["full_name"] == child.full_name
    assert data["client"]["phone"] == "0912345678"
    assert [v["uid"] for v in data["visits"]] == [visit.uid]
    assert [d["uid"] for d in data["doses"]] == [dose.uid]
    assert data["aefis"][0]["symptoms"] == "Khó thở, tím tái, mạch nhanh"
    assert len(data["receipts"]) == 1
    assert [(e["by"], e["format"]) for e in data["exports"]] == [("diem1.bn", "csv")]


def test_xlsx_has_one_sheet_per_section(users, worker):
    response = logged_in(users.admin).get(url("worker", worker.uid, "xlsx"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[:2] == ["health_worker", "cme_entries"]
    values = {row[0]: row[1] for row in wb["health_worker"].iter_rows(values_only=True)}
    assert values["full_name"] == "Trần Văn Bảo"


def test_formula_in_a_name_is_kept_as_text_in_xlsx(users, worker):
    worker.position = '=HYPERLINK("http://x")'
    worker.save()
    response = logged_in(users.admin).get(url("worker", worker.uid, "xlsx"))
    ws = load_workbook(io.BytesIO(response.content))["health_worker"]
    cell = next(r[1] for r in ws.iter_rows() if r[0].value == "position")
    assert cell.data_type == "s"


def test_refused_outside_role_or_scope(users, cdc, worker, outsider_worker, person, tn_person):
    for user in (users.clerk, users.viewer, users.line):
        assert logged_in(user).get(url("worker", worker.uid)).status_code == 403
    assert logged_in(cdc.point_clerk).get(url("client", person.uid)).status_code == 403
    doh = logged_in(users.doh)
    assert doh.get(url("worker", outsider_worker.uid)).status_code == 404
    assert doh.get(url("client", tn_person.uid)).status_code == 404
    assert doh.get(url("nobody", worker.uid)).status_code == 404
    assert doh.get(f"/privacy/worker/{worker.uid}/data.pdf").status_code == 404
    assert_login_redirect(new_client().get(url("worker", worker.uid)))
    # Nothing was logged for the refused requests.
    assert not privacy.accesses_of(outsider_worker).exists()
    assert not privacy.accesses_of(tn_person).exists()


def test_detail_pages_link_the_request_for_officers_only(users, cdc, worker, person):
    assert 'id="subject-export"' in logged_in(users.doh).get(worker.get_absolute_url()).text
    assert 'id="subject-export"' not in logged_in(users.clerk).get(worker.get_absolute_url()).text
    assert 'id="subject-export"' in logged_in(users.doh).get(person.get_absolute_url()).text
    assert 'id="subject-export"' not in (
        logged_in(cdc.point_clerk).get(person.get_absolute_url()).text
    )
