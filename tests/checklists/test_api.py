"""REST API: templates (everyone reads; DOH officers write drafts, publish, new version)
and fills (with answers, scores and the comparison), in the OpenAPI schema, scoped."""

import datetime

import pytest
from django.urls import reverse

from doha.checklists.models import ChecklistFill, ChecklistTemplate, FillStatus, TemplateStatus
from tests.checklists.factories import make_fill, make_template, make_visit, questions
from tests.mixins import new_client

pytestmark = pytest.mark.usefixtures("shared_world")

TEMPLATES = "/api/checklist-templates/"
FILLS = "/api/checklist-fills/"


def api(user):
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


NEW_TEMPLATE = {
    "code": "API-01",
    "name": "Bảng kiểm qua API",
    "visit_kind": "supervision",
    "owner": None,
    "sections": [
        {
            "title": "Cấp cứu",
            "weight": "2",
            "questions": [
                {"text": "Tủ thuốc đủ", "answer_type": "yes_no", "required": True},
                {"text": "Kỹ năng", "answer_type": "score", "max_score": 5, "weight": "2"},
            ],
        }
    ],
}


def test_templates_are_read_by_every_role_and_written_by_doh(network, users):
    template = make_template(network.syt_bn)
    for role in ("viewer", "clerk", "line", "doh_tn"):
        data = api(getattr(users, role)).get(TEMPLATES).json()
        item = next(t for t in data["results"] if t["uid"] == template.uid)
        assert item["sections"][0]["questions"][0]["text"] == "Phân loại chất thải đúng"
    body = {**NEW_TEMPLATE, "owner": network.syt_bn.uid}
    for role in ("viewer", "clerk", "line"):
        response = api(getattr(users, role)).post(TEMPLATES, body, content_type="application/json")
        assert response.status_code == 403, role
    response = api(users.doh).post(TEMPLATES, body, content_type="application/json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["version"], created["status"]) == (1, "draft")
    assert created["sections"][0]["questions"][1]["max_score"] == 5
    url = f"{TEMPLATES}{created['uid']}/"
    # Another province's officer does not change it.
    assert api(users.doh_tn).post(f"{url}publish/").status_code == 404
    response = api(users.doh).post(f"{url}publish/")
    assert response.json()["status"] == "published"
    refused = api(users.doh).patch(url, {"name": "Khác"}, content_type="application/json")
    assert refused.status_code == 400
    assert "Make a new version" in refused.json()["non_field_errors"][0]
    response = api(users.doh).post(f"{url}new-version/")
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["status"]) == (2, "draft")


def test_template_errors_name_the_field(network, users):
    body = {**NEW_TEMPLATE, "owner": network.syt_bn.uid}
    body["sections"] = [
        {"title": "A", "questions": [{"text": "Điểm", "answer_type": "score"}]},
    ]
    response = api(users.doh).post(TEMPLATES, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "max_score": ["A 0..n score needs its maximum score n (a whole number from 1)."]
    }
    assert not ChecklistTemplate.objects.filter(code="API-01").exists()


def test_fill_through_the_api_with_scores_and_comparison(network, users):
    template = make_template(network.syt_bn)
    make_fill(
        template,
        make_visit(network.tien_du, network.syt_bn, datetime.date(2024, 1, 8)),
        [True, 2, 45, 10, 3],
    )
    visit = make_visit(network.tien_du, network.syt_bn, datetime.date(2025, 3, 10))
    qs = questions(template)
    body = {
        "template": template.uid,
        "visit": visit.uid,
        "answers": [{"question": qs[1].pk, "value": 4}, {"question": qs[2].pk, "value": 90}],
        "submit": True,
    }
    client = api(users.clerk)
    refused = client.post(FILLS, body, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()[f"q_{qs[0].pk}"] == [
        "“Phân loại chất thải đúng” is required: answer it before submitting."
    ]
    body["answers"] += [{"question": qs[0].pk, "value": True}, {"question": qs[4].pk, "value": 4}]
    response = client.post(FILLS, body, content_type="application/json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["overall_score"], data["date"]) == (
        "submitted", "93.3", "2025-03-10"
    )  # fmt: skip
    assert data["facility"] == network.tien_du.uid
    assert [s["score"] for s in data["section_scores"]] == ["100.0", "80.0"]
    assert data["previous"]["overall"] == {"previous": 60.0, "now": 93.3, "change": 33.3}
    assert {a["question"]: a["value"] for a in data["answers"]}[qs[0].pk] is True
    # Submitted: frozen.
    response = client.patch(
        f"{FILLS}{data['uid']}/", {"notes": "x"}, content_type="application/json"
    )
    assert response.status_code == 400


def test_fills_are_scoped(network, users):
    template = make_template(network.syt_bn)
    fill = make_fill(template, make_visit(network.tien_du, network.syt_bn), [True, 3])
    assert api(users.doh_tn).get(f"{FILLS}{fill.uid}/").status_code == 404
    assert fill.uid not in [f["uid"] for f in api(users.doh_tn).get(FILLS).json()["results"]]
    assert api(users.clerk).get(f"{FILLS}{fill.uid}/").status_code == 200
    # A viewer reads but does not fill; nobody fills for a visit outside their scope.
    visit = make_visit(network.tien_du, network.syt_bn, datetime.date(2025, 4, 1))
    body = {"template": template.uid, "visit": visit.uid, "answers": []}
    assert api(users.viewer).post(FILLS, body, content_type="application/json").status_code == 403
    response = api(users.doh_tn).post(FILLS, body, content_type="application/json")
    assert response.status_code == 400 and "visit" in response.json()
    assert not ChecklistFill.objects.filter(visit=visit).exists()
    # Without a visit the facility must be given and in scope.
    body = {"template": template.uid, "date": "2025-04-02", "answers": []}
    response = api(users.clerk).post(FILLS, body, content_type="application/json")
    assert response.status_code == 400 and "facility" in response.json()
    body["facility"] = network.phu_binh.uid
    assert api(users.clerk).post(FILLS, body, content_type="application/json").status_code == 403
    body["facility"] = network.tien_du.uid
    response = api(users.clerk).post(FILLS, body, content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == FillStatus.DRAFT


def test_endpoints_are_in_the_openapi_schema(users):
    schema = api(users.viewer).get(reverse("api-schema"), {"format": "json"}).json()
    for path in (
        TEMPLATES,
        "/api/checklist-templates/{uid}/publish/",
        "/api/checklist-templates/{uid}/new-version/",
        FILLS,
        "/api/checklist-fills/{uid}/",
    ):
        assert path in schema["paths"], path


def test_drafts_of_templates_cannot_be_filled_through_the_api(network, users):
    draft = make_template(network.syt_bn, code="D", publish=False)
    assert draft.status == TemplateStatus.DRAFT
    visit = make_visit(network.tien_du, network.syt_bn)
    body = {"template": draft.uid, "visit": visit.uid, "answers": []}
    response = api(users.clerk).post(FILLS, body, content_type="application/json")
    assert response.status_code == 400 and "template" in response.json()
