"""Checklists for tests: a template from a compact structure, visits, fills."""

import datetime
from decimal import Decimal

from doha.checklists import services
from doha.checklists.models import AnswerType, ChecklistFill, ChecklistTemplate
from doha.checklists.services import QuestionData, SectionData
from doha.visits.models import Visit, VisitKind

D = Decimal
Y, S, N, T = AnswerType.YES_NO, AnswerType.SCORE, AnswerType.NUMBER, AnswerType.TEXT

# Two sections: weights 2 and 1.
STRUCTURE = [
    SectionData(
        "Kiểm soát nhiễm khuẩn",
        D(2),
        [
            QuestionData("Phân loại chất thải đúng", Y, required=True),
            QuestionData("Vệ sinh tay", S, max_score=4, weight=D(3)),
            QuestionData("Tỷ lệ tuân thủ (%)", N, target=D(90)),
        ],
    ),
    SectionData(
        "Hồ sơ bệnh án",
        D(1),
        [
            QuestionData("Số hồ sơ kiểm tra", N),
            QuestionData("Hồ sơ đầy đủ", S, max_score=5),
            QuestionData("Nhận xét", T),
        ],
    ),
]


def make_template(owner, code="GS-01", structure=None, publish=True, kind=VisitKind.SUPERVISION):
    template = ChecklistTemplate(code=code, name=f"Bảng kiểm {code}", visit_kind=kind, owner=owner)
    services.save_template(template)
    services.replace_structure(template, structure or STRUCTURE)
    if publish:
        services.publish(template)
    return template


def make_visit(host, visiting, date=datetime.date(2025, 3, 10), kind=VisitKind.SUPERVISION):
    return Visit.objects.create(
        kind=kind,
        title=f"Giám sát {host.short_name or host.name} {date:%d/%m/%Y}",
        host=host,
        visiting=visiting,
        start_date=date,
        end_date=date + datetime.timedelta(days=1),
    )


def questions(template):
    return [q for s in template.sections.order_by("order") for q in s.questions.all()]


def make_fill(template, visit, answers, submit=True, date=None, facility=None):
    """``answers``: values in the order of the template's questions (None: unanswered)."""
    fill = ChecklistFill(
        template=template,
        visit=visit,
        facility=facility or (visit.host if visit else None),
        date=date or (visit.start_date if visit else None),
    )
    values = {q.pk: a for q, a in zip(questions(template), answers, strict=False)}
    return services.save_fill(fill, values, submit=submit)
