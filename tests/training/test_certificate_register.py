"""The certificate register: the list page (scope, filters), its .xlsx export and the
read-only REST API."""

import datetime
import io
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from openpyxl import load_workbook

from doha.core.permissions import MATRIX, Role
from doha.training import services, signing
from doha.training.models import Result
from tests.mixins import new_client
from tests.training.factories import make_course, make_worker

URL = "/training/certificates/"


def signed_in(user, **defaults):
    client = new_client(**defaults)
    client.force_login(user)
    return client


def api(user):
    return signed_in(user, HTTP_ACCEPT_LANGUAGE="en")


def passed(course, worker):
    enrolment = services.record_result(services.enrol(course, worker), result=Result.PASSED)
    return enrolment.certificates.get()


@pytest.fixture
def world(network, users):
    bn_course = make_course(network.bvdk, title="Hồi sức sơ sinh nâng cao")
    second = make_course(network.bvdk, title="Cấp cứu nhi khoa cơ bản")
    tn_course = make_course(network.phu_binh, title="Khóa Thái Nguyên")
    valid = passed(bn_course, make_worker(network.tien_du, "Nguyễn Thị Hồng Nhung"))
    revoked = passed(second, make_worker(network.tu_son, "Trần Văn Bình"))
    revoked = services.revoke_certificate(revoked, reason="Sai họ tên", user=users.doh)
    foreign = passed(tn_course, make_worker(network.tyt_phu_binh, "Lê Thị Cúc"))
    return SimpleNamespace(
        bn_course=bn_course, second=second, valid=valid, revoked=revoked, foreign=foreign
    )


def serials(response):
    return [row["object"].serial for row in response.context["rows"]]


def test_the_list_shows_the_certificates_in_scope_newest_first(world, users):
    response = signed_in(users.doh).get(URL)
    assert response.status_code == 200
    assert serials(response) == [world.revoked.serial, world.valid.serial]
    body = response.content.decode()
    assert "Nguyễn Thị Hồng Nhung" in body and "Trần Văn Bình" in body
    assert "Lê Thị Cúc" not in body and "Khóa Thái Nguyên" not in body
    short = services.codes_of(world.valid)[0]
    assert signing.group(short) in body
    assert f'href="/verify/{short}/"' in body
    assert world.bn_course.get_absolute_url() in body
    assert "Sai họ tên" in body  # the reason of the revoked one

    other = signed_in(users.doh_tn).get(URL)
    assert serials(other) == [world.foreign.serial]
    assert "Nguyễn Thị Hồng Nhung" not in other.content.decode()


def test_a_public_code_verifies_on_the_linked_page(world, users):
    response = signed_in(users.doh).get(URL)
    row = next(r for r in response.context["rows"] if r["object"] == world.valid)
    page = new_client().get(row["verify_url"])
    assert page.status_code == 200


def test_anonymous_is_sent_to_sign_in(world):
    response = new_client().get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_filters(world, users, network):
    client = signed_in(users.doh)
    assert serials(client.get(URL, {"status": "valid"})) == [world.valid.serial]
    assert serials(client.get(URL, {"status": "revoked"})) == [world.revoked.serial]
    assert serials(client.get(URL, {"course": world.second.uid})) == [world.revoked.serial]
    assert serials(client.get(URL, {"facility": network.tien_du.uid})) == [world.valid.serial]
    assert serials(client.get(URL, {"q": "hong nhung"})) == [world.valid.serial]
    assert serials(client.get(URL, {"q": str(world.revoked.serial)})) == [world.revoked.serial]
    number = world.valid.enrolment.certificate_number
    assert number and serials(client.get(URL, {"q": number})) == [world.valid.serial]
    today = world.valid.issued_on
    tomorrow = today + datetime.timedelta(days=1)
    assert serials(client.get(URL, {"issued_from": tomorrow})) == []
    assert len(serials(client.get(URL, {"issued_from": today, "issued_until": today}))) == 2
    # Another province's course is not a choice: the filter is refused with an error on
    # the field (the list stays unfiltered, as on every list page), nothing leaks.
    response = client.get(URL, {"course": world.foreign.enrolment.course.uid})
    assert "course" in response.context["filterset"].errors
    assert world.foreign.serial not in serials(response)


def test_export_xlsx_of_the_filtered_list(world, users):
    response = signed_in(users.viewer).get(URL, {"status": "valid", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Serial", "Certificate number", "Holder")
    assert len(rows) == 2
    row = rows[1]
    assert row[0] == world.valid.serial and isinstance(row[0], int)
    assert row[2] == "Nguyễn Thị Hồng Nhung"
    assert row[5] == 40 and isinstance(row[5], (int, float))
    assert row[7] == "valid"
    assert row[10] == signing.group(services.codes_of(world.valid)[0])
    # The export is logged as an access to the holder's personal data.
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).latest("pk")
    assert entry.additional_data["uids"] == [world.valid.enrolment.worker.uid]

    revoked = signed_in(users.doh).get(URL, {"status": "revoked", "export": "xlsx"})
    rows = list(
        load_workbook(io.BytesIO(revoked.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert [r[7] for r in rows[1:]] == ["revoked"] and rows[1][9] == "Sai họ tên"


def test_export_needs_the_export_permission(world, users, monkeypatch):
    """No role lacks "export" today; a role that may only view gets 403 on the export."""
    monkeypatch.setitem(MATRIX[Role.VIEWER], "course", {"view"})
    client = signed_in(users.viewer, HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(URL)
    assert response.status_code == 200 and "export-xlsx" not in response.content.decode()
    assert client.get(URL, {"export": "xlsx"}).status_code == 403


def test_api_lists_scoped_and_filters(world, users):
    body = api(users.doh).get("/api/certificates/").json()
    assert [c["serial"] for c in body["results"]] == [world.revoked.serial, world.valid.serial]
    first = body["results"][1]
    short = services.codes_of(world.valid)[0]
    assert first["code"] == signing.group(short)
    assert first["verify_url"] == f"/verify/{short}/"
    assert first["revoked"] is False and first["revoked_reason"] == ""
    assert first["holder_name"] == "Nguyễn Thị Hồng Nhung"
    assert first["course"] == world.bn_course.uid

    revoked = api(users.doh).get("/api/certificates/", {"status": "revoked"}).json()
    assert [c["serial"] for c in revoked["results"]] == [world.revoked.serial]
    assert revoked["results"][0]["revoked"] is True
    assert revoked["results"][0]["revoked_reason"] == "Sai họ tên"

    detail = api(users.viewer).get(f"/api/certificates/{world.valid.serial}/")
    assert detail.status_code == 200 and detail.json()["serial"] == world.valid.serial
    assert api(users.doh).get(f"/api/certificates/{world.foreign.serial}/").status_code == 404
    tn = api(users.doh_tn).get("/api/certificates/").json()
    assert [c["serial"] for c in tn["results"]] == [world.foreign.serial]


def test_api_is_read_only(world, users):
    client = api(users.doh)
    url = f"/api/certificates/{world.valid.serial}/"
    assert client.patch(url, {"hours": "1"}, content_type="application/json").status_code == 405
    assert client.delete(url).status_code == 405
    assert client.post("/api/certificates/", {}, content_type="application/json").status_code == 405


def test_api_in_the_schema(users):
    response = api(users.admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert "/api/certificates/" in schema["paths"]
    assert "/api/certificates/{serial}/" in schema["paths"]
    fields = schema["components"]["schemas"]["Certificate"]["properties"]
    assert {"code", "verify_url", "revoked", "revoked_reason"} <= set(fields)
