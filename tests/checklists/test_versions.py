"""Template versions: a published version is frozen, publishing retires the earlier one,
"new version from this one" copies sections and questions, drafts cannot be filled."""

import pytest
from django.core.exceptions import ValidationError

from doha.checklists import services
from doha.checklists.models import (
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    TemplateStatus,
)
from tests.checklists.factories import STRUCTURE, make_fill, make_template, make_visit


def test_published_version_is_frozen(network):
    template = make_template(network.syt_bn)
    section = template.sections.first()
    question = section.questions.first()
    question.text = "Đổi câu hỏi"
    for change in (
        lambda: services.save_question(question),
        lambda: services.save_section(ChecklistSection(template=template, title="Mới")),
        lambda: services.delete_section(section),
        lambda: services.delete_question(question),
        lambda: services.replace_structure(template, STRUCTURE[:1]),
        lambda: services.save_template(template),
        lambda: services.publish(template),
    ):
        with pytest.raises(ValidationError, match="cannot be changed. Make a new version"):
            change()
    assert ChecklistQuestion.objects.get(pk=question.pk).text == "Phân loại chất thải đúng"


def test_new_version_copies_sections_and_questions(network):
    v1 = make_template(network.syt_bn)
    v2 = services.new_version(v1)
    assert (v2.code, v2.version, v2.status) == (v1.code, 2, TemplateStatus.DRAFT)
    assert v2.owner == v1.owner and v2.visit_kind == v1.visit_kind
    assert services.template_structure(v2) == services.template_structure(v1)
    assert not set(v2.sections.values_list("pk", flat=True)) & set(
        v1.sections.values_list("pk", flat=True)
    )
    # The copy is editable; the original is not touched.
    question = ChecklistQuestion.objects.filter(section__template=v2).first()
    question.text = "Câu hỏi mới"
    services.save_question(question)
    assert services.template_structure(v1) == STRUCTURE
    # Publishing v2 retires v1; fills keep pointing at their version.
    services.publish(v2)
    v1.refresh_from_db()
    assert v1.status == TemplateStatus.RETIRED


def test_a_draft_cannot_be_published_empty_nor_filled(network):
    empty = ChecklistTemplate(code="X", name="Trống", owner=network.syt_bn)
    services.save_template(empty)
    with pytest.raises(ValidationError, match="at least one section"):
        services.publish(empty)
    draft = make_template(network.syt_bn, code="D", publish=False)
    visit = make_visit(network.tien_du, network.syt_bn)
    with pytest.raises(ValidationError) as exc:
        make_fill(draft, visit, [True])
    assert "publish it before filling" in exc.value.message_dict["template"][0]


def test_a_used_code_makes_the_next_version(network, users):
    make_template(network.syt_bn, code="GS-02")
    again = ChecklistTemplate(code="gs-02", name="Lần hai", owner=network.syt_bn)
    services.save_template(again, user=users.doh)
    assert (again.code, again.version) == ("GS-02", 2)
    # Another province does not add versions to it.
    theirs = ChecklistTemplate(code="GS-02", name="Của tỉnh khác", owner=network.syt_tn)
    with pytest.raises(ValidationError) as exc:
        services.save_template(theirs, user=users.doh_tn)
    assert exc.value.message_dict["code"] == [
        "Sở Y tế tỉnh Bắc Ninh's checklist already uses this code."
    ]


def test_score_question_needs_its_maximum(network):
    draft = make_template(network.syt_bn, code="D", publish=False)
    section = draft.sections.first()
    with pytest.raises(ValidationError) as exc:
        services.save_question(ChecklistQuestion(section=section, text="Điểm", answer_type="score"))
    assert "maximum score" in exc.value.message_dict["max_score"][0]
