"""The pages of visits and actions: forms with formsets, the detail with findings and their
actions, the lists with their filters (overdue first), the .xlsx exports and the action steps
with errors naming the field."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from doha.visits import services
from doha.visits.models import ActionStatus, FollowUpAction, Visit, VisitKind
from tests.visits.factories import D, make_action, make_visit

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def doh(client, users):
    client.force_login(users.doh)
    return client


@pytest.fixture
def visit(network):
    return make_visit(network.tien_du, network.syt_bn, title="Giám sát Tiên Du")


def sheet(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    return rows[0], rows[1:]


def test_create_a_visit_with_members_and_findings(doh, network):
    data = {
        "kind": "study_tour",
        "title": "Tham quan mô hình vắc xin dịch vụ",
        "host": network.tu_son.pk,
        "visiting": network.tien_du.pk,
        "start_date": "2026-05-13",
        "end_date": "2026-05-13",
        "status": "done",
        "lessons": "Cần đầu tư dây chuyền lạnh",
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-0-name": "Hàn Thị Hồng Thúy",
        "members-0-position": "Phó Giám đốc",
        "members-1-name": "",
        "findings-TOTAL_FORMS": "2",
        "findings-INITIAL_FORMS": "0",
        "findings-0-order": "1",
        "findings-0-text": "11 nguồn thu dịch vụ",
        "findings-1-order": "",
        "findings-1-text": "",
    }
    response = doh.post(reverse("visits:add"), data)
    assert response.status_code == 302
    visit = Visit.objects.get(title="Tham quan mô hình vắc xin dịch vụ")
    assert visit.kind == VisitKind.STUDY_TOUR
    assert list(visit.members.values_list("name", flat=True)) == ["Hàn Thị Hồng Thúy"]
    assert list(visit.findings.values_list("text", flat=True)) == ["11 nguồn thu dịch vụ"]
    page = doh.get(response["Location"]).content.decode()
    assert "Hàn Thị Hồng Thúy" in page and "Cần đầu tư dây chuyền lạnh" in page


def test_visit_form_errors_name_the_field(doh, network):
    data = {
        "kind": "supervision",
        "title": "Giám sát sai ngày",
        "host": network.tien_du.pk,
        "visiting": network.tien_du.pk,
        "start_date": "2026-05-13",
        "end_date": "2026-05-12",
        "status": "done",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "findings-TOTAL_FORMS": "0",
        "findings-INITIAL_FORMS": "0",
    }
    response = doh.post(reverse("visits:add"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["end_date"] == ["The end date cannot be before the start date."]
    assert "visiting" in form.errors
    assert not Visit.objects.filter(title="Giám sát sai ngày").exists()


def test_more_rows_button_adds_blank_rows(doh):
    response = doh.post(
        reverse("visits:add"),
        {
            "add_rows": "findings",
            "members-TOTAL_FORMS": "2",
            "members-INITIAL_FORMS": "0",
            "findings-TOTAL_FORMS": "2",
            "findings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert len(response.context["formsets"]["findings"].forms) == 4


def test_detail_shows_findings_with_their_actions(doh, visit, network):
    finding = visit.findings.get()
    action = make_action(visit, description="Bổ sung chữ ký bác sĩ")
    response = doh.get(visit.get_absolute_url())
    page = response.content.decode()
    assert f'data-finding="{finding.pk}"' in page
    assert "Bổ sung chữ ký bác sĩ" in page and action.get_absolute_url() in page
    assert reverse("visits:action_add", args=[visit.uid]) + f"?finding={finding.pk}" in page


def test_add_an_action_from_a_finding(doh, visit, network):
    finding = visit.findings.get()
    url = reverse("visits:action_add", args=[visit.uid])
    form = doh.get(url, {"finding": finding.pk}).context["form"]
    assert form.initial["finding"] == finding
    assert form.initial["owner_facility"] == network.tien_du
    response = doh.post(
        url,
        {
            "finding": finding.pk,
            "description": "Lập sổ theo dõi vệ sinh tay",
            "owner_facility": network.tien_du.pk,
            "owner_person": "Khoa KSNK",
            "due_date": "2026-03-01",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["due_date"] == [
        "The due date cannot be before the visit's start (10/03/2026)."
    ]
    response = doh.post(
        url,
        {
            "finding": finding.pk,
            "description": "Lập sổ theo dõi vệ sinh tay",
            "owner_facility": network.tien_du.pk,
            "owner_person": "Khoa KSNK",
            "due_date": "2026-04-30",
        },
    )
    assert response.status_code == 302
    action = FollowUpAction.objects.get(description="Lập sổ theo dõi vệ sinh tay")
    assert action.finding == finding and action.status == ActionStatus.OPEN


def test_close_requires_evidence_and_drop_a_reason_on_the_page(doh, visit):
    action = make_action(visit)
    url = reverse("visits:action_status", args=[action.uid])
    response = doh.post(url, {"step": "close", "evidence": ""})
    assert response.status_code == 400
    assert response.context["status_form"].errors["evidence"] == [
        "Closing an action requires evidence: describe it or attach a file."
    ]
    assert 'data-field="evidence"' in response.content.decode()
    response = doh.post(url, {"step": "drop", "drop_reason": " "})
    assert response.status_code == 400
    assert response.context["status_form"].errors["drop_reason"] == [
        "Dropping an action requires a reason."
    ]
    response = doh.post(url, {"step": "start"})
    assert response.status_code == 302
    upload = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4", "application/pdf")
    response = doh.post(url, {"step": "close", "evidence_file": upload, "closed_on": "2026-04-20"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.closed_on == D(2026, 4, 20)
    download = doh.get(reverse("visits:action_evidence", args=[action.uid]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4"


def test_action_list_puts_overdue_first_and_filters(doh, visit, network):
    later = make_action(visit, due=TODAY + datetime.timedelta(days=20), description="Sắp đến hạn")
    overdue = make_action(visit, due=TODAY - datetime.timedelta(days=5), description="Quá hạn")
    done = make_action(visit, due=TODAY - datetime.timedelta(days=30), description="Đã xong")
    services.change_status(
        done, services.CLOSE, evidence="x", on=TODAY - datetime.timedelta(days=31)
    )
    other = make_visit(network.tu_son, network.syt_bn, title="Giám sát Từ Sơn")
    tu_son = make_action(
        other, due=TODAY - datetime.timedelta(days=1), description="Từ Sơn quá hạn"
    )

    response = doh.get(reverse("visits:actions"))
    order = [a.uid for a in response.context["object_list"]]
    assert order == [overdue.uid, tu_son.uid, later.uid, done.uid]
    assert response.context["overdue_total"] == 2
    page = response.content.decode()
    assert "overdue 5 days" in page

    def listed(**params):
        return {a.uid for a in doh.get(reverse("visits:actions"), params).context["object_list"]}

    assert listed(overdue="true") == {overdue.uid, tu_son.uid}
    assert listed(overdue="false") == {later.uid, done.uid}
    assert listed(status="done") == {done.uid}
    assert listed(owner=network.tu_son.uid) == {tu_son.uid}
    assert listed(q="Từ Sơn") == {tu_son.uid}


def test_my_facility_actions_for_a_clerk(client, users, visit, network):
    mine = make_action(visit, description="Của Tiên Du")
    other_visit = make_visit(network.bvdk, network.tien_du, title="Tiên Du hỗ trợ BVĐK")
    theirs = make_action(other_visit, description="Của BVĐK")  # owned by the host, BVĐK
    client.force_login(users.clerk)
    everything = client.get(reverse("visits:actions")).context["object_list"]
    assert {a.uid for a in everything} == {mine.uid, theirs.uid}  # Tiên Du is a party
    own = client.get(reverse("visits:my_actions")).context["object_list"]
    assert {a.uid for a in own} == {mine.uid}


def test_visit_list_filters(doh, visit, network, users):
    tour = make_visit(
        network.tu_son,
        network.tien_du,
        title="Tham quan Từ Sơn",
        kind=VisitKind.STUDY_TOUR,
        start_date=D(2025, 5, 1),
        end_date=D(2025, 5, 2),
    )

    def listed(**params):
        return {v.uid for v in doh.get(reverse("visits:list"), params).context["object_list"]}

    assert listed() == {visit.uid, tour.uid}
    assert listed(kind="study_tour") == {tour.uid}
    assert listed(host=network.tu_son.uid) == {tour.uid}
    assert listed(visiting=network.syt_bn.uid) == {visit.uid}
    assert listed(date_from="2026-01-01") == {visit.uid}
    assert listed(date_to="2025-12-31") == {tour.uid}
    assert listed(q="Tham quan") == {tour.uid}
    assert listed(q="tien du") == {tour.uid, visit.uid}  # accents folded, host or visiting


def test_visit_export_xlsx_has_the_rows(doh, visit):
    make_action(visit, due=TODAY - datetime.timedelta(days=2))
    header, rows = sheet(doh.get(reverse("visits:list"), {"export": "xlsx"}))
    assert header[:3] == ["UID", "Kind", "Title"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["UID"] == visit.uid
    assert row["Title"] == "Giám sát Tiên Du"
    assert row["Host unit"] == "Trung tâm Y tế Tiên Du"
    assert row["Members"] == "Nguyễn Văn An"
    assert (row["Findings"], row["Actions"], row["Open actions"]) == (1, 1, 1)


def test_action_export_xlsx_has_the_rows(doh, visit):
    overdue = make_action(visit, due=TODAY - datetime.timedelta(days=2), description="Quá hạn")
    done = make_action(visit, due=D(2026, 4, 30), description="Xong")
    services.change_status(done, services.CLOSE, evidence="Biên bản", on=D(2026, 4, 29))
    header, rows = sheet(doh.get(reverse("visits:actions"), {"export": "xlsx"}))
    by_uid = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert set(by_uid) == {overdue.uid, done.uid}
    assert rows[0][0] == overdue.uid  # overdue first, as on the page
    assert by_uid[overdue.uid]["Overdue"] == "Yes"
    assert by_uid[overdue.uid]["Days overdue"] == 2
    assert by_uid[done.uid]["Status"] == "Done"
    assert by_uid[done.uid]["On time"] == "Yes"
    assert by_uid[done.uid]["Evidence"] == "Biên bản"
    filtered = sheet(doh.get(reverse("visits:actions"), {"export": "xlsx", "status": "done"}))
    assert [r[0] for r in filtered[1]] == [done.uid]


def test_attachments_upload_and_permission_checked_download(doh, client, users, visit, network):
    upload = SimpleUploadedFile("bien-ban-giam-sat.pdf", b"%PDF minutes", "application/pdf")
    response = doh.post(
        reverse("visits:attachment_add", args=[visit.uid]),
        {"file": upload, "description": "Biên bản giám sát"},
    )
    assert response.status_code == 302
    attachment = visit.attachments.get()
    url = reverse("visits:attachment", args=[visit.uid, attachment.pk])
    assert url in doh.get(visit.get_absolute_url()).content.decode()
    assert b"".join(doh.get(url).streaming_content) == b"%PDF minutes"
    client.force_login(users.doh_tn)
    assert client.get(url).status_code == 404
    client.force_login(users.viewer)
    assert client.get(url).status_code == 200
    refused = client.post(
        reverse("visits:attachment_add", args=[visit.uid]),
        {"file": SimpleUploadedFile("x.pdf", b"x"), "description": "x"},
    )
    assert refused.status_code == 403
    assert visit.attachments.count() == 1


def test_viewer_sees_no_status_forms(client, users, visit):
    action = make_action(visit)
    client.force_login(users.viewer)
    page = client.get(action.get_absolute_url()).content.decode()
    assert 'id="close-form"' not in page and 'id="drop-form"' not in page
    assert (
        client.post(
            reverse("visits:action_status", args=[action.uid]), {"step": "start"}
        ).status_code
        == 403
    )


def test_api_status_errors_name_the_field(client, users, visit):
    action = make_action(visit)
    client.force_login(users.doh)
    url = f"/api/visit-actions/{action.uid}/status/"
    response = client.post(
        url, {"step": "close"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {
        "evidence": ["Closing an action requires evidence: describe it or attach a file."]
    }
    response = client.post(
        url,
        {"step": "close", "evidence": "Biên bản", "closed_on": "2026-04-30"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done" and body["closed_on_time"] is True and not body["is_overdue"]


def test_api_creates_an_action_with_the_due_date_rule(client, users, visit, network):
    client.force_login(users.doh)
    data = {
        "visit": visit.uid,
        "description": "Cập nhật quy trình",
        "owner_facility": network.tien_du.uid,
        "due_date": "2026-03-01",
    }
    response = client.post(
        "/api/visit-actions/", data, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "due_date" in response.json()
    data["due_date"] = "2026-06-30"
    data["status"] = "done"  # read only: a new action is open
    response = client.post("/api/visit-actions/", data, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["status"] == "open"


def test_schema_lists_the_endpoints(client, users):
    client.force_login(users.doh)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/visits/" in schema["paths"]
    assert "/api/visit-actions/{uid}/status/" in schema["paths"]


def test_a_member_from_the_registry_only_among_the_workers_in_scope(client, users, network):
    from tests.people.factories import HealthWorkerFactory

    ours = HealthWorkerFactory(facility=network.bvdk, full_name="Phạm Văn Bình")
    theirs = HealthWorkerFactory(facility=network.phu_binh, full_name="Đỗ Thị Hoa")
    client.force_login(users.line)
    form = client.get(reverse("visits:add")).context["formsets"]["members"].forms[0]
    choices = set(form.fields["person"].queryset)
    assert ours in choices and theirs not in choices
    data = {
        "kind": "supervision",
        "title": "Giám sát có thành viên trong danh bạ",
        "host": network.tien_du.pk,
        "visiting": network.bvdk.pk,
        "start_date": "2026-05-13",
        "end_date": "2026-05-13",
        "status": "done",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-0-person": ours.pk,
        "findings-TOTAL_FORMS": "0",
        "findings-INITIAL_FORMS": "0",
    }
    assert client.post(reverse("visits:add"), data).status_code == 302
    member = Visit.objects.get(title=data["title"]).members.get()
    assert (member.name, member.unit) == ("Phạm Văn Bình", "Bệnh viện Đa khoa tỉnh Bắc Ninh")
    data["title"] = "Giám sát với người ngoài phạm vi"
    data["members-0-person"] = theirs.pk
    response = client.post(reverse("visits:add"), data)
    assert response.status_code == 400
    assert "person" in response.context["formsets"]["members"].forms[0].errors
