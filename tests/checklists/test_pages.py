"""Pages: who reads and changes templates, the draft editor, filling on a visit with the
scores and the comparison, the fills list with filters and export, and scope (a clerk of
another district gets a 404)."""

import datetime
import io

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from doha.checklists.models import (
    ChecklistFill,
    ChecklistQuestion,
    ChecklistTemplate,
    FillStatus,
    TemplateStatus,
)
from doha.core.permissions import Role
from tests.checklists.factories import make_fill, make_template, make_visit, questions
from tests.factories import UserFactory
from tests.mixins import assert_login_redirect, new_client

pytestmark = pytest.mark.usefixtures("shared_world")

FAIR = [True, 2, 45, 10, 3]  # 60.0
GOOD = [True, 4, 90, 10, 4]  # section 1: 100, section 2: 80 -> 93.3


def client_as(user):
    client = new_client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(network):
    template = make_template(network.syt_bn)
    visit = make_visit(network.tien_du, network.syt_bn, datetime.date(2025, 3, 10))
    return template, visit


# Templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "doh", "line", "clerk", "viewer", "doh_tn"])
def test_everyone_reads_templates(world, users, role):
    template, _visit = world
    client = client_as(getattr(users, role))
    listing = client.get(reverse("checklists:template_list"))
    assert listing.status_code == 200 and template.name in listing.content.decode()
    detail = client.get(template.get_absolute_url())
    assert detail.status_code == 200
    assert "Phân loại chất thải đúng" in detail.content.decode()


def test_anonymous_is_sent_to_login(world):
    template, visit = world
    client = client_as(None)
    for url in (
        reverse("checklists:template_list"),
        template.get_absolute_url(),
        reverse("checklists:fill_list"),
        reverse("checklists:fill_add", args=[visit.uid]),
    ):
        assert_login_redirect(client.get(url))


@pytest.mark.parametrize(("role", "expected"), [("viewer", 403), ("line", 403), ("clerk", 403)])
def test_only_doh_officers_and_admins_change_templates(world, users, role, expected):
    template = make_template(users.doh.org_unit, code="DRAFT", publish=False)
    client = client_as(getattr(users, role))
    section = template.sections.first()
    assert client.get(reverse("checklists:template_add")).status_code == expected
    assert client.get(reverse("checklists:template_edit", args=[template.uid])).status_code == 403
    for name, args in (
        ("checklists:template_publish", [template.uid]),
        ("checklists:template_new_version", [template.uid]),
        ("checklists:section_delete", [template.uid, section.pk]),
    ):
        assert client.post(reverse(name, args=args)).status_code == 403
    template.refresh_from_db()
    assert template.status == TemplateStatus.DRAFT and template.sections.count() == 2
    page = client.get(template.get_absolute_url()).content.decode()
    assert 'id="publish"' not in page and 'id="new-version"' not in page


def test_another_province_officer_cannot_change_our_template(world, users):
    template = make_template(users.doh.org_unit, code="DRAFT", publish=False)
    client = client_as(users.doh_tn)
    assert client.get(reverse("checklists:template_edit", args=[template.uid])).status_code == 404
    response = client.post(reverse("checklists:template_publish", args=[template.uid]))
    assert response.status_code == 404


def test_doh_officer_writes_a_checklist_with_the_pages(network, users):
    client = client_as(users.doh)
    assert client.get(reverse("checklists:template_add")).status_code == 200
    assert client.get(reverse("checklists:template_import")).status_code == 200
    response = client.post(
        reverse("checklists:template_add"),
        {"code": "GS-X", "name": "Bảng kiểm X", "visit_kind": "supervision",
         "owner": network.syt_bn.pk, "description": ""},
    )  # fmt: skip
    template = ChecklistTemplate.objects.get(code="GS-X")
    assert response.status_code == 302 and response["Location"] == template.get_absolute_url()
    client.post(
        reverse("checklists:section_add", args=[template.uid]),
        {"title": "Cấp cứu", "weight": "1.5", "order": ""},
    )
    section = template.sections.get()
    assert section.weight == 1.5 and section.order == 1
    for name, args in (
        ("checklists:template_edit", [template.uid]),
        ("checklists:section_edit", [template.uid, section.pk]),
        ("checklists:question_add", [template.uid, section.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 200, name
    url = reverse("checklists:question_add", args=[template.uid, section.pk])
    refused = client.post(url, {"text": "Kỹ năng", "answer_type": "score", "weight": "1"})
    assert refused.status_code == 400
    assert "A 0..n score needs its maximum score n" in refused.content.decode()
    client.post(url, {"text": "Kỹ năng", "answer_type": "score", "max_score": "5", "weight": "2"})
    assert ChecklistQuestion.objects.get(section=section).max_score == 5
    response = client.post(reverse("checklists:template_publish", args=[template.uid]))
    template.refresh_from_db()
    assert template.status == TemplateStatus.PUBLISHED
    # Frozen: the edit page sends back to the detail, a section cannot be added.
    response = client.get(reverse("checklists:template_edit", args=[template.uid]))
    assert response.status_code == 302
    response = client.post(
        reverse("checklists:section_add", args=[template.uid]), {"title": "Dược", "weight": "1"}
    )
    assert response.status_code == 400 and "Make a new version" in response.content.decode()
    response = client.post(reverse("checklists:template_new_version", args=[template.uid]))
    copy = ChecklistTemplate.objects.get(code="GS-X", version=2)
    assert response["Location"] == copy.get_absolute_url()
    assert copy.status == TemplateStatus.DRAFT
    assert list(copy.sections.values_list("title", flat=True)) == ["Cấp cứu"]


# Fills ----------------------------------------------------------------------------------


def fill_data(template, answers, date="2025-03-10", submit=True):
    data = {"template": template.uid, "date": date, "notes": ""}
    for q, a in zip(questions(template), answers, strict=False):
        if a is True:
            a = "yes"
        elif a is False:
            a = "no"
        data[f"q_{q.pk}"] = "" if a is None else str(a)
    data["submit" if submit else "save"] = "1"
    return data


def test_fill_on_a_visit_shows_section_scores_overall_and_comparison(world, users, network):
    template, visit = world
    make_fill(
        template, make_visit(network.tien_du, network.syt_bn, datetime.date(2024, 3, 1)), FAIR
    )
    client = client_as(users.clerk)
    url = reverse("checklists:fill_add", args=[visit.uid])
    choose = client.get(url)
    assert choose.status_code == 200 and template.uid in choose.content.decode()
    form = client.get(url, {"template": template.uid})
    assert "Kiểm soát nhiễm khuẩn" in form.content.decode()
    response = client.post(url, fill_data(template, GOOD))
    fill = ChecklistFill.objects.get(visit=visit)
    assert response.status_code == 302 and response["Location"] == fill.get_absolute_url()
    assert (fill.status, fill.facility, fill.filled_by) == (
        FillStatus.SUBMITTED, network.tien_du, users.clerk
    )  # fmt: skip
    page = client.get(fill.get_absolute_url()).content.decode()
    assert 'id="overall-score">93,3<' in page
    assert "previous: 60,0 → now: 93,3, +33,3" in page
    assert '<td class="num section-score">100,0</td>' in page
    assert '<td class="num section-score">80,0</td>' in page
    assert '<td class="num section-change">+40,0</td>' in page


def test_validation_errors_name_the_question(world, users):
    template, visit = world
    client = client_as(users.clerk)
    url = reverse("checklists:fill_add", args=[visit.uid])
    answers = [None, 9, 45]
    response = client.post(url, fill_data(template, answers))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 4." in page
    response = client.post(url, fill_data(template, [None, 3, 45]))
    page = response.content.decode()
    assert "“Phân loại chất thải đúng” is required: answer it before submitting." in page, page
    assert not ChecklistFill.objects.filter(visit=visit).exists()
    # A draft may leave it out, and be finished later.
    response = client.post(url, fill_data(template, [None, 3, 45], submit=False))
    fill = ChecklistFill.objects.get(visit=visit)
    assert fill.status == FillStatus.DRAFT
    edit = reverse("checklists:fill_edit", args=[fill.uid])
    assert client.get(edit).status_code == 200
    response = client.post(edit, fill_data(template, [True, 3, 45]))
    fill.refresh_from_db()
    assert fill.status == FillStatus.SUBMITTED and fill.overall_score is not None
    assert client.get(edit).status_code == 403  # submitted: frozen


def test_clerk_of_another_district_cannot_see_the_fill(world, users, network):
    template, visit = world
    fill = make_fill(template, visit, GOOD)
    other = UserFactory(username="ttyt.tuson", role=Role.DATA_CLERK, org_unit=network.tu_son)
    client = client_as(other)
    assert client.get(fill.get_absolute_url()).status_code == 404
    assert client.get(reverse("checklists:fill_edit", args=[fill.uid])).status_code == 404
    assert client.get(reverse("checklists:fill_add", args=[visit.uid])).status_code == 404
    listing = client.get(reverse("checklists:fill_list")).content.decode()
    assert fill.uid not in listing
    assert client_as(users.doh_tn).get(fill.get_absolute_url()).status_code == 404
    for role in ("doh", "line", "viewer", "clerk", "admin"):
        assert client_as(getattr(users, role)).get(fill.get_absolute_url()).status_code == 200


def test_viewer_cannot_fill(world, users):
    template, visit = world
    draft = make_fill(template, visit, [True], submit=False)
    client = client_as(users.viewer)
    url = reverse("checklists:fill_add", args=[visit.uid])
    assert client.get(url).status_code == 403
    assert client.post(url, fill_data(template, GOOD)).status_code == 403
    edit = reverse("checklists:fill_edit", args=[draft.uid])
    assert client.post(edit, fill_data(template, GOOD)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == FillStatus.DRAFT


def test_fill_list_filters_and_export(world, users, network):
    template, visit = world
    other = make_template(network.syt_bn, code="KHAC")
    tien_du = make_fill(template, visit, GOOD)
    tu_son = make_fill(
        other, make_visit(network.tu_son, network.syt_bn, datetime.date(2024, 6, 1)), FAIR
    )
    client = client_as(users.doh)
    page = client.get(reverse("checklists:fill_list")).content.decode()
    assert tien_du.uid in page and tu_son.uid in page
    page = client.get(
        reverse("checklists:fill_list"), {"facility": network.tu_son.uid}
    ).content.decode()
    assert tien_du.uid not in page and tu_son.uid in page
    page = client.get(reverse("checklists:fill_list"), {"template": "GS-01"}).content.decode()
    assert tien_du.uid in page and tu_son.uid not in page
    page = client.get(
        reverse("checklists:fill_list"), {"date_from": "2025-01-01", "date_to": "2025-12-31"}
    ).content.decode()
    assert tien_du.uid in page and tu_son.uid not in page
    response = client.get(reverse("checklists:fill_list"), {"export": "xlsx", "template": "GS-01"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("UID", "Date", "Facility")
    assert len(rows) == 2 and rows[1][0] == tien_du.uid and rows[1][7] == 93.3
    assert "Kiểm soát nhiễm khuẩn: 100,0" in rows[1][8]


def test_visit_checklists_tag_lists_fills_and_offers_to_fill(world, users):
    template, visit = world
    fill = make_fill(template, visit, GOOD)
    request = RequestFactory().get("/")
    rendered = Template("{% load checklists_tags %}{% visit_checklists visit %}")
    request.user = users.clerk
    html = rendered.render(Context({"visit": visit, "request": request}))
    assert fill.get_absolute_url() in html and "93,3" in html
    assert reverse("checklists:fill_add", args=[visit.uid]) in html
    request.user = users.viewer
    html = rendered.render(Context({"visit": visit, "request": request}))
    assert fill.get_absolute_url() in html and 'id="fill-checklist"' not in html
