"""The scoring formula per answer type, question and section weights; stored on submit;
required questions; values out of range are refused naming the question."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from doha.checklists import services
from doha.checklists.models import ChecklistQuestion, FillStatus
from tests.checklists.factories import make_fill, make_template, make_visit, questions

D = Decimal


@pytest.fixture
def template(network):
    return make_template(network.syt_bn)


@pytest.fixture
def visit(network):
    return make_visit(network.tien_du, network.syt_bn)


def scores(template, answers):
    values = {q.pk: a for q, a in zip(questions(template), answers, strict=False)}
    return services.compute_scores(template, values)


@pytest.mark.parametrize(
    ("kind", "limit", "value", "share"),
    [
        ("yes_no", None, True, D(1)),
        ("yes_no", None, False, D(0)),
        ("score", 4, D(3), D("0.75")),
        ("score", 4, D(0), D(0)),
        ("number", D(90), D(45), D("0.5")),
        ("number", D(90), D(120), D(1)),  # above the target: full marks, no more
        ("number", D(90), D(-5), D(0)),
        ("number", None, D(45), None),  # no target: recorded, not scored
        ("text", None, "ghi chú", None),
        ("score", 4, None, None),  # not answered
    ],
)
def test_share_per_answer_type(kind, limit, value, share):
    q = ChecklistQuestion(
        text="q",
        answer_type=kind,
        max_score=limit if kind == "score" else None,
        target=limit if kind == "number" else None,
    )
    assert services.question_share(q, value) == share


def test_section_and_overall_scores_are_weighted(template):
    # Section 1 (weight 2): yes (w1) 1 + score 3/4 (w3) 2.25 + 45/90 (w1) 0.5 = 3.75 of 5.
    # Section 2 (weight 1): count (no target) skipped, 4/5 (w1), text skipped: 80.
    result = scores(template, [True, 3, 45, 20, 4, "ok"])
    s1, s2 = result.sections
    assert (s1.obtained, s1.possible, s1.score) == (D("3.75"), D(5), D(75))
    assert (s2.obtained, s2.possible, s2.score) == (D("0.8"), D(1), D(80))
    assert services.round_score(result.overall) == D("76.7")  # (2×75 + 80) / 3


def test_unanswered_questions_and_sections_are_left_out(template):
    result = scores(template, [False, None, None, 20, None, "x"])
    assert result.sections[0].score == 0
    assert result.sections[1].score is None  # nothing scored answered
    assert result.overall == 0  # only the first section counts
    assert scores(template, []).overall is None


def test_submit_stores_scores_and_recomputes_the_same(template, visit):
    fill = make_fill(template, visit, [True, 3, 45, 20, 4, "ok"])
    assert fill.status == FillStatus.SUBMITTED and fill.submitted_at
    assert fill.overall_score == D("76.7")
    assert [s["score"] for s in fill.section_scores] == ["75.0", "80.0"]
    assert [s["title"] for s in fill.section_scores] == ["Kiểm soát nhiễm khuẩn", "Hồ sơ bệnh án"]
    assert services.round_score(services.score_fill(fill).overall) == fill.overall_score


def test_draft_may_skip_required_questions_but_submit_may_not(template, visit):
    draft = make_fill(template, visit, [None, 2], submit=False)
    assert draft.status == FillStatus.DRAFT and draft.overall_score is None
    required = questions(template)[0]
    with pytest.raises(ValidationError) as exc:
        services.save_fill(draft, {questions(template)[1].pk: 2}, submit=True)
    message = exc.value.message_dict[f"q_{required.pk}"][0]
    assert "Phân loại chất thải đúng" in message and "required" in message


def test_submitted_fill_is_frozen(template, visit):
    fill = make_fill(template, visit, [True, 3])
    with pytest.raises(ValidationError, match="submitted"):
        services.save_fill(fill, {questions(template)[1].pk: 1})


@pytest.mark.parametrize(
    ("index", "value", "reason"),
    [
        (1, 5, "whole number from 0 to 4"),
        (1, "2.5", "whole number from 0 to 4"),
        (1, "abc", "write a number"),
        (0, "maybe", "answer yes or no"),
        (2, "nhiều", "write a number"),
    ],
)
def test_bad_values_are_refused_naming_the_question(template, visit, index, value, reason):
    q = questions(template)[index]
    with pytest.raises(ValidationError) as exc:
        make_fill(template, visit, [None] * index + [value], submit=False)
    message = exc.value.message_dict[f"q_{q.pk}"][0]
    assert q.text in message and reason in message


def test_date_outside_the_visit_is_refused(template, visit):
    with pytest.raises(ValidationError) as exc:
        make_fill(template, visit, [True], date=visit.start_date.replace(year=2020))
    assert "within the visit" in exc.value.message_dict["date"][0]
