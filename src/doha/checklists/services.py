"""Business rules of checklists: template versions, filling and scoring, comparison.

Scoring (deterministic, in decimal arithmetic; pages, API, export and demo all use it)
------------------------------------------------------------------------------------
For each *answered, scored* question q with weight w_q, the share of its points obtained:

* yes/no: yes = 1, no = 0;
* score 0..n: k / n (k a whole number from 0 to n);
* number with a target t > 0: min(max(value / t, 0), 1); a number without a target, and a
  text question, are not scored.

Section s:  score_s = 100 × Σ(w_q × share_q) / Σ(w_q), over its answered scored questions
            (points obtained = Σ(w_q × share_q), points possible = Σ(w_q)). A section with no
            answered scored question (or whose weights sum to 0) has no score.
Overall:    overall = Σ(W_s × score_s) / Σ(W_s), over the sections that have a score, with
            W_s the section's weight; no score when no section has one (or ΣW_s = 0).
Scores are rounded half-up to one decimal (0–100) when stored on submit.

Comparison: the previous fill of a fill is the latest *submitted* fill, before it (by date,
then by the order of recording), of a template with the same code (any version), on a visit
of the same kind (a fill without a visit counts as of its template's visit kind), at the same
facility. Sections are matched by their title; the change is in score points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.checklists.models import (
    AnswerType,
    ChecklistAnswer,
    ChecklistFill,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    FillStatus,
    TemplateStatus,
    may_edit_templates,
)
from doha.core.scope import can, in_scope
from doha.core.text import fold

ONE = Decimal(1)
ZERO = Decimal(0)
HUNDRED = Decimal(100)
TENTH = Decimal("0.1")


def round_score(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


# Scoring --------------------------------------------------------------------------------


def question_share(question: ChecklistQuestion, value) -> Decimal | None:
    """The share (0..1) of the question's points an answer obtains; None when the question
    is not scored or not answered."""
    if value is None or value == "" or not question.is_scored:
        return None
    kind = question.answer_type
    if kind == AnswerType.YES_NO:
        return ONE if value else ZERO
    value = Decimal(value)
    if kind == AnswerType.SCORE:
        if not question.max_score:
            return None
        return min(max(value / Decimal(question.max_score), ZERO), ONE)
    if kind == AnswerType.NUMBER:
        return min(max(value / Decimal(question.target), ZERO), ONE)
    return None


@dataclass
class SectionResult:
    section: ChecklistSection
    obtained: Decimal = ZERO
    possible: Decimal = ZERO
    answered: int = 0

    @property
    def score(self) -> Decimal | None:
        if self.possible <= 0:
            return None
        return HUNDRED * self.obtained / self.possible


@dataclass
class ScoreResult:
    sections: list[SectionResult] = field(default_factory=list)

    @property
    def overall(self) -> Decimal | None:
        total_weight = ZERO
        total = ZERO
        for s in self.sections:
            score = s.score
            if score is None:
                continue
            total += s.section.weight * score
            total_weight += s.section.weight
        if total_weight <= 0:
            return None
        return total / total_weight

    def stored(self) -> list[dict]:
        return [
            {
                "section": s.section.pk,
                "title": s.section.title,
                "weight": str(s.section.weight),
                "score": None if s.score is None else str(round_score(s.score)),
                "obtained": str(s.obtained.quantize(Decimal("0.0001"))),
                "possible": str(s.possible),
            }
            for s in self.sections
        ]


def compute_scores(template: ChecklistTemplate, values: dict[int, object]) -> ScoreResult:
    """Scores of ``template`` for answers given as {question pk: value}."""
    result = ScoreResult()
    for section in template.sections.prefetch_related("questions").order_by("order", "pk"):
        sr = SectionResult(section)
        for question in section.questions.all():
            share = question_share(question, values.get(question.pk))
            if share is None:
                continue
            sr.obtained += question.weight * share
            sr.possible += question.weight
            sr.answered += 1
        result.sections.append(sr)
    return result


def fill_values(fill: ChecklistFill) -> dict[int, object]:
    return {a.question_id: a.value for a in fill.answers.select_related("question").order_by("pk")}


def score_fill(fill: ChecklistFill) -> ScoreResult:
    """The fill's scores, recomputed from its answers."""
    return compute_scores(fill.template, fill_values(fill))


# Templates ------------------------------------------------------------------------------


def _check_template_write(template: ChecklistTemplate, user, action: str = "change"):
    if user is None:
        return
    if not may_edit_templates(user, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    if template.owner_id and not in_scope(user, template.owner.path):
        raise PermissionDenied(_("This unit is outside your scope."))


def check_editable(template: ChecklistTemplate):
    if not template.is_draft:
        raise ValidationError(
            _(
                "Version %(version)s of this checklist is %(status)s: it cannot be changed. "
                "Make a new version from it."
            )
            % {"version": template.version, "status": template.get_status_display().lower()}
        )


def next_version(code: str) -> int:
    latest = ChecklistTemplate.objects.filter(code__iexact=code).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def question_problems(question: ChecklistQuestion) -> list[tuple[str, str]]:
    """(field, reason) of each rule one question breaks; the import names the column."""
    problems = []
    if not (question.text or "").strip():
        problems.append(("text", _("Write the question.")))
    if question.answer_type not in AnswerType.values:
        problems.append(("answer_type", _("Choose an answer type.")))
    if question.answer_type == AnswerType.SCORE and not question.max_score:
        problems.append(
            ("max_score", _("A 0..n score needs its maximum score n (a whole number from 1)."))
        )
    if question.answer_type == AnswerType.NUMBER and question.target is not None:
        if question.target <= 0:
            problems.append(("target", _("The target must be more than zero.")))
    if question.weight is None or question.weight < 0:
        problems.append(("weight", _("The weight must be a number from 0.")))
    return problems


def _validate_question(question: ChecklistQuestion):
    if question.answer_type != AnswerType.SCORE:
        question.max_score = None
    if question.answer_type != AnswerType.NUMBER:
        question.target = None
    problems = question_problems(question)
    if problems:
        errors: dict[str, list] = {}
        for key, message in problems:
            errors.setdefault(key, []).append(message)
        raise ValidationError(errors)


@transaction.atomic
def save_template(template: ChecklistTemplate, *, user=None) -> ChecklistTemplate:
    """Create a draft template (version 1, or the next version of its code) or change a
    draft's own fields."""
    creating = template.pk is None
    _check_template_write(template, user, "add" if creating else "change")
    if creating:
        template.status = TemplateStatus.DRAFT
        template.version = next_version(template.code)
        existing = ChecklistTemplate.objects.filter(code__iexact=template.code).first()
        if existing is not None:
            if user is not None and not in_scope(user, existing.owner.path):
                raise ValidationError(
                    {
                        "code": _("%(unit)s's checklist already uses this code.")
                        % {"unit": existing.owner.name}
                    }
                )
            template.code = existing.code
    else:
        stored = ChecklistTemplate.objects.get(pk=template.pk)
        check_editable(stored)
        # The code and version name the checklist across versions: they never change.
        template.code, template.version = stored.code, stored.version
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def save_section(section: ChecklistSection, *, user=None) -> ChecklistSection:
    _check_template_write(section.template, user)
    check_editable(section.template)
    if section.weight is None or section.weight < 0:
        raise ValidationError({"weight": _("The weight must be a number from 0.")})
    if not section.order:
        last = section.template.sections.exclude(pk=section.pk).aggregate(m=Max("order"))["m"]
        section.order = (last or 0) + 1
    section.full_clean()
    section.save()
    return section


@transaction.atomic
def delete_section(section: ChecklistSection, *, user=None):
    _check_template_write(section.template, user)
    check_editable(section.template)
    section.delete()


@transaction.atomic
def save_question(question: ChecklistQuestion, *, user=None) -> ChecklistQuestion:
    template = question.section.template
    _check_template_write(template, user)
    check_editable(template)
    _validate_question(question)
    if not question.order:
        last = question.section.questions.exclude(pk=question.pk).aggregate(m=Max("order"))["m"]
        question.order = (last or 0) + 1
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def delete_question(question: ChecklistQuestion, *, user=None):
    template = question.section.template
    _check_template_write(template, user)
    check_editable(template)
    question.delete()


@dataclass
class QuestionData:
    text: str
    answer_type: str
    max_score: int | None = None
    target: Decimal | None = None
    weight: Decimal = ONE
    required: bool = False


@dataclass
class SectionData:
    title: str
    weight: Decimal = ONE
    questions: list[QuestionData] = field(default_factory=list)


def template_structure(template: ChecklistTemplate) -> list[SectionData]:
    """The sections and questions of a version, as plain data (export, copies, tests)."""
    return [
        SectionData(
            title=s.title,
            weight=s.weight,
            questions=[
                QuestionData(
                    text=q.text,
                    answer_type=q.answer_type,
                    max_score=q.max_score,
                    target=q.target,
                    weight=q.weight,
                    required=q.required,
                )
                for q in s.questions.order_by("order", "pk")
            ],
        )
        for s in template.sections.order_by("order", "pk")
    ]


@transaction.atomic
def replace_structure(template: ChecklistTemplate, sections: list[SectionData], *, user=None):
    """A draft's sections and questions become ``sections`` (import, API)."""
    _check_template_write(template, user)
    check_editable(template)
    titles = set()
    for s in sections:
        if not (s.title or "").strip():
            raise ValidationError({"sections": _("Every section needs a title.")})
        if fold(s.title) in titles:
            raise ValidationError(
                {"sections": _("Two sections have the title %(title)s.") % {"title": s.title}}
            )
        titles.add(fold(s.title))
    template.sections.all().delete()
    for s_order, s in enumerate(sections, start=1):
        section = ChecklistSection(template=template, order=s_order, title=s.title, weight=s.weight)
        if section.weight is None or section.weight < 0:
            raise ValidationError({"sections": _("The weight must be a number from 0.")})
        section.save()
        for q_order, q in enumerate(s.questions, start=1):
            question = ChecklistQuestion(
                section=section,
                order=q_order,
                text=q.text,
                answer_type=q.answer_type,
                max_score=q.max_score,
                target=q.target,
                weight=q.weight,
                required=q.required,
            )
            _validate_question(question)
            question.save()
    return template


@transaction.atomic
def publish(template: ChecklistTemplate, *, user=None) -> ChecklistTemplate:
    """Freeze a draft; the earlier published version of the code is retired."""
    _check_template_write(template, user)
    check_editable(template)
    sections = list(template.sections.prefetch_related("questions"))
    if not sections or not any(s.questions.all() for s in sections):
        raise ValidationError(_("A checklist needs at least one section with a question."))
    for s in sections:
        if not s.questions.all():
            raise ValidationError(_("The section %(title)s has no question.") % {"title": s.title})
    for earlier in ChecklistTemplate.objects.filter(
        code=template.code, status=TemplateStatus.PUBLISHED
    ).exclude(pk=template.pk):
        earlier.status = TemplateStatus.RETIRED
        earlier.save(update_fields=["status", "last_updated"])
    template.status = TemplateStatus.PUBLISHED
    template.published_at = timezone.now()
    template.save(update_fields=["status", "published_at", "last_updated"])
    return template


@transaction.atomic
def retire(template: ChecklistTemplate, *, user=None) -> ChecklistTemplate:
    _check_template_write(template, user)
    if template.status == TemplateStatus.RETIRED:
        return template
    template.status = TemplateStatus.RETIRED
    template.save(update_fields=["status", "last_updated"])
    return template


@transaction.atomic
def new_version(template: ChecklistTemplate, *, user=None) -> ChecklistTemplate:
    """A draft copy of ``template`` (sections and questions) as the code's next version."""
    _check_template_write(template, user, "add")
    copy = ChecklistTemplate(
        code=template.code,
        version=next_version(template.code),
        name=template.name,
        visit_kind=template.visit_kind,
        owner=template.owner,
        description=template.description,
        status=TemplateStatus.DRAFT,
    )
    copy.save()
    replace_structure(copy, template_structure(template))
    return copy


# Filling --------------------------------------------------------------------------------


def _question_label(question: ChecklistQuestion) -> str:
    return str(question)


def parse_answer(question: ChecklistQuestion, raw):
    """A typed value from a form, the API or a spreadsheet; ValidationError naming the
    question when it cannot be read or is out of range. None: not answered."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = question.answer_type
    name = {"question": _question_label(question)}
    if kind == AnswerType.TEXT:
        return str(raw).strip()
    if kind == AnswerType.YES_NO:
        if isinstance(raw, bool):
            return raw
        text = fold(str(raw))
        if text in {"yes", "co", "1", "true", "dat"}:
            return True
        if text in {"no", "khong", "0", "false", "khong dat"}:
            return False
        raise ValidationError(_("“%(question)s”: answer yes or no.") % name)
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(_("“%(question)s”: write a number.") % name)
    if kind == AnswerType.SCORE:
        if value != value.to_integral_value() or value < 0 or value > question.max_score:
            raise ValidationError(
                _("“%(question)s”: the score must be a whole number from 0 to %(max)s.")
                % {**name, "max": question.max_score}
            )
    if kind == AnswerType.NUMBER and abs(value) >= Decimal("1e10"):
        raise ValidationError(_("“%(question)s”: the number is too large.") % name)
    return value


def _check_fill_write(fill: ChecklistFill, user, action: str):
    if user is None:
        return
    if not can(user, ChecklistFill, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    paths = [fill.facility.path]
    if fill.visit_id:
        paths.append(fill.visit.visiting.path)
    if not any(in_scope(user, p) for p in paths):
        raise PermissionDenied(_("This facility is outside your scope."))


@transaction.atomic
def save_fill(
    fill: ChecklistFill, raw_values: dict[int, object], *, user=None, submit: bool = False
) -> ChecklistFill:
    """Create or update a draft fill with its answers ({question pk: raw value}); with
    ``submit`` the required questions must be answered and the scores are stored.

    Errors are keyed ``q_<question pk>`` (the form's field names) and name the question."""
    creating = fill.pk is None
    if not creating and ChecklistFill.objects.get(pk=fill.pk).is_submitted:
        raise ValidationError(_("This checklist was submitted: it cannot be changed."))
    if fill.visit_id:
        fill.facility = fill.visit.host
        if fill.date is None:
            fill.date = fill.visit.start_date
    _check_fill_write(fill, user, "add" if creating else "change")
    errors: dict[str, list] = {}
    template = fill.template
    if template.status == TemplateStatus.DRAFT:
        errors.setdefault("template", []).append(
            _("This checklist is a draft: publish it before filling it.")
        )
    elif creating and template.status == TemplateStatus.RETIRED:
        errors.setdefault("template", []).append(
            _("This version of the checklist is retired: use the published one.")
        )
    if fill.date is None:
        errors.setdefault("date", []).append(_("This field is required."))
    elif fill.visit_id and not (fill.visit.start_date <= fill.date <= fill.visit.end_date):
        errors.setdefault("date", []).append(
            _("The date must be within the visit (%(period)s).")
            % {"period": fill.visit.period_display}
        )
    questions = {q.pk: q for q in ChecklistQuestion.objects.filter(section__template=template)}
    unknown = [k for k in raw_values if k not in questions]
    if unknown:
        errors.setdefault("answers", []).append(
            _("These questions are not in the checklist: %(ids)s")
            % {"ids": ", ".join(str(k) for k in unknown)}
        )
    values: dict[int, object] = {}
    for pk, question in questions.items():
        try:
            values[pk] = parse_answer(question, raw_values.get(pk))
        except ValidationError as exc:
            errors.setdefault(f"q_{pk}", []).extend(exc.messages)
            continue
        if submit and question.required and values[pk] is None:
            errors.setdefault(f"q_{pk}", []).append(
                _("“%(question)s” is required: answer it before submitting.")
                % {"question": _question_label(question)}
            )
    if errors:
        raise ValidationError(errors)
    fill.full_clean(exclude=["filled_by", "section_scores"])
    if creating and user is not None and fill.filled_by_id is None:
        fill.filled_by = user
    fill.save()
    existing = {a.question_id: a for a in fill.answers.all()}
    for pk, value in values.items():
        question = questions[pk]
        answer = existing.get(pk)
        if value is None:
            if answer is not None:
                answer.delete()
            continue
        answer = answer or ChecklistAnswer(fill=fill, question=question)
        answer.yes_no = value if question.answer_type == AnswerType.YES_NO else None
        answer.number = (
            value if question.answer_type in (AnswerType.SCORE, AnswerType.NUMBER) else None
        )
        answer.text = value if question.answer_type == AnswerType.TEXT else ""
        answer.save()
    if submit:
        store_scores(fill)
        fill.status = FillStatus.SUBMITTED
        fill.submitted_at = timezone.now()
        fill.save(update_fields=["status", "submitted_at", "last_updated"])
    return fill


def store_scores(fill: ChecklistFill) -> ScoreResult:
    result = score_fill(fill)
    fill.overall_score = round_score(result.overall)
    fill.section_scores = result.stored()
    fill.save(update_fields=["overall_score", "section_scores", "last_updated"])
    return result


# Comparison -----------------------------------------------------------------------------


def previous_fill(fill: ChecklistFill, user=None) -> ChecklistFill | None:
    """The latest submitted fill before ``fill`` of the same code, visit kind and facility
    (among those ``user`` may see, when given)."""
    kind = fill.visit_kind
    qs = ChecklistFill.objects.all() if user is None else ChecklistFill.objects.restrict(user)
    qs = (
        qs.filter(
            status=FillStatus.SUBMITTED,
            facility_id=fill.facility_id,
            template__code=fill.template.code,
        )
        .filter(Q(visit__kind=kind) | Q(visit__isnull=True, template__visit_kind=kind))
        .exclude(pk=fill.pk)
    )
    if fill.pk:
        qs = qs.filter(Q(date__lt=fill.date) | Q(date=fill.date, pk__lt=fill.pk))
    else:
        qs = qs.filter(date__lte=fill.date)
    return qs.select_related("template", "visit").order_by("-date", "-pk").first()


@dataclass
class Change:
    title: str
    previous: Decimal | None
    now: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        if self.previous is None or self.now is None:
            return None
        return self.now - self.previous


@dataclass
class Comparison:
    previous: ChecklistFill
    overall: Change
    sections: list[Change]


def _stored_scores(fill: ChecklistFill) -> dict[str, Decimal | None]:
    return {
        fold(s["title"]): None if s.get("score") is None else Decimal(s["score"])
        for s in fill.section_scores or []
    }


def current_scores(fill: ChecklistFill) -> tuple[Decimal | None, list[tuple[str, Decimal | None]]]:
    """(overall, [(section title, score)]): stored ones once submitted, else recomputed."""
    if fill.is_submitted:
        return fill.overall_score, [
            (s["title"], None if s.get("score") is None else Decimal(s["score"]))
            for s in fill.section_scores or []
        ]
    result = score_fill(fill)
    return round_score(result.overall), [
        (s.section.title, round_score(s.score)) for s in result.sections
    ]


def compare_with_previous(fill: ChecklistFill, user=None) -> Comparison | None:
    previous = previous_fill(fill, user)
    if previous is None:
        return None
    overall, sections = current_scores(fill)
    before = _stored_scores(previous)
    return Comparison(
        previous=previous,
        overall=Change(_("Overall"), previous.overall_score, overall),
        sections=[Change(title, before.get(fold(title)), score) for title, score in sections],
    )
