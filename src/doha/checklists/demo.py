"""Demo checklist (issue 11, part 4): the Bắc Ninh DOH's published supervision checklist for
district health centres, filled on two supervision visits to TTYT Tiên Du, the second one
scoring higher. Idempotent: run after the visits' demo; what exists is left as it is."""

import datetime
from decimal import Decimal

from doha.checklists import services
from doha.checklists.models import (
    AnswerType,
    ChecklistFill,
    ChecklistTemplate,
    TemplateStatus,
)
from doha.checklists.services import QuestionData, SectionData
from doha.orgunits.models import OrgUnit
from doha.visits.models import Visit, VisitKind, VisitStatus

CODE = "GS-TTYT"
NAME = "Bảng kiểm giám sát trung tâm y tế huyện"
TIEN_DU = "BN-TTYT-TIENDU"
OWNER = "BN-SYT"
# Used only when the visits' demo has not created the two supervision visits.
# Same dates and titles as doha.visits.demo's.
FALLBACK_VISITS = (
    (datetime.date(2025, 11, 18), "Giám sát công tác chuyên môn tại TTYT Tiên Du lần 1 (11/2025)"),
    (datetime.date(2026, 10, 20), "Giám sát công tác chuyên môn tại TTYT Tiên Du lần 2 (10/2026)"),
)

Y, S, N, T = AnswerType.YES_NO, AnswerType.SCORE, AnswerType.NUMBER, AnswerType.TEXT
D = Decimal


def _q(text, kind, limit=None, weight=1, required=False):
    return QuestionData(
        text=text,
        answer_type=kind,
        max_score=limit if kind == S else None,
        target=D(limit) if kind == N and limit is not None else None,
        weight=D(weight),
        required=required,
    )


STRUCTURE = [
    SectionData(
        "Quản lý chất lượng",
        D(2),
        [
            _q(
                "Có Hội đồng quản lý chất lượng và kế hoạch cải tiến chất lượng năm",
                Y,
                required=True,
            ),
            _q("Mức độ thực hiện Bộ tiêu chí chất lượng bệnh viện Việt Nam", S, 5, weight=2),
            _q("Số đề án cải tiến chất lượng đã triển khai trong năm", N, 3),
        ],
    ),
    SectionData(
        "Kiểm soát nhiễm khuẩn",
        D(2),
        [
            _q("Tỷ lệ tuân thủ vệ sinh tay qua quan sát ngẫu nhiên (%)", N, 90, weight=2),
            _q("Quy trình khử khuẩn, tiệt khuẩn dụng cụ được thực hiện đúng", S, 4),
            _q("Chất thải y tế được phân loại đúng tại nguồn", Y, required=True),
        ],
    ),
    SectionData(
        "Cấp cứu",
        D("1.5"),
        [
            _q("Tủ thuốc, xe cấp cứu đủ cơ số theo danh mục, thuốc còn hạn", Y, required=True),
            _q("Kỹ năng cấp cứu ngừng tuần hoàn của kíp trực (đánh giá thực hành)", S, 5, 2),
            _q("Số buổi diễn tập cấp cứu trong 6 tháng", N, 2),
        ],
    ),
    SectionData(
        "Dược",
        D(1),
        [
            _q("Sổ theo dõi thuốc gây nghiện, hướng thần được cập nhật đầy đủ", Y),
            _q("Bảo quản thuốc đúng nhiệt độ, độ ẩm (có nhiệt ẩm kế, ghi chép hằng ngày)", S, 3),
            _q("Số loại thuốc hết hạn phát hiện trong kho (ghi nhận, không chấm điểm)", N),
        ],
    ),
    SectionData(
        "Hồ sơ bệnh án",
        D(1),
        [
            _q("Số hồ sơ bệnh án được kiểm tra", N),
            _q("Tỷ lệ hồ sơ bệnh án ghi chép đầy đủ, đúng quy định (%)", N, 95, weight=2),
            _q("Nhận xét chung của đoàn giám sát", T),
        ],
    ),
]

# Answers in the order of the questions above: the 2024 visit, then the 2025 one.
ANSWERS = (
    [
        True, 2, 1,
        62, 2, True,
        False, 3, 0,
        True, 2, 3,
        30, 70,
        "Hồ sơ bệnh án còn thiếu chữ ký, chưa ghi đủ diễn biến; kíp trực cấp cứu cần diễn tập "
        "định kỳ; tủ thuốc cấp cứu khoa Nội thiếu adrenalin.",
    ],
    [
        True, 3, 2,
        85, 3, True,
        True, 4, 2,
        True, 3, 0,
        30, 88,
        "Đã khắc phục phần lớn tồn tại của đợt giám sát trước: tủ thuốc cấp cứu đủ cơ số, "
        "diễn tập cấp cứu 2 buổi, tuân thủ vệ sinh tay tăng rõ.",
    ],
)  # fmt: skip


def _template() -> ChecklistTemplate | None:
    existing = (
        ChecklistTemplate.objects.filter(code=CODE, status=TemplateStatus.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if existing is not None:
        return existing
    owner = OrgUnit.objects.filter(code=OWNER).first()
    if owner is None:
        return None
    template = ChecklistTemplate(
        code=CODE,
        name=NAME,
        visit_kind=VisitKind.SUPERVISION,
        owner=owner,
        description="Bảng kiểm dùng trong các đợt giám sát định kỳ của Sở Y tế tại trung tâm y "
        "tế huyện/khu vực: 5 phần, điểm tổng 0-100.",
    )
    services.save_template(template)
    services.replace_structure(template, STRUCTURE)
    services.publish(template)
    return template


def tien_du_visits(host, visiting) -> list[Visit]:
    """The two supervision visits to Tiên Du of the visits' demo (by their titles), or the
    fallback ones, created when missing (matched by host and date)."""
    try:
        from doha.visits.demo import TIEN_DU_VISIT_TITLES
    except ImportError:
        TIEN_DU_VISIT_TITLES = ()
    visits = list(
        Visit.objects.filter(
            host=host, kind=VisitKind.SUPERVISION, title__in=list(TIEN_DU_VISIT_TITLES)
        ).order_by("start_date", "pk")
    )
    if len(visits) >= 2:
        return visits[:2]
    visits = []
    for date, title in FALLBACK_VISITS:
        visit = Visit.objects.filter(host=host, kind=VisitKind.SUPERVISION, start_date=date).first()
        if visit is None:
            visit = Visit.objects.create(
                kind=VisitKind.SUPERVISION,
                title=title,
                host=host,
                visiting=visiting,
                start_date=date,
                end_date=date + datetime.timedelta(days=1),
                status=VisitStatus.DONE,
                purpose="Giám sát định kỳ công tác chuyên môn theo bảng kiểm của Sở Y tế.",
            )
        visits.append(visit)
    return visits


def load_demo_checklists() -> int:
    """Create the checklist and its two fills when missing; returns the fills created."""
    host = OrgUnit.objects.filter(code=TIEN_DU).first()
    visiting = OrgUnit.objects.filter(code=OWNER).first()
    if host is None or visiting is None:
        return 0
    template = _template()
    if template is None:
        return 0
    questions = [q for s in template.sections.order_by("order") for q in s.questions.all()]
    created = 0
    for visit, answers in zip(tien_du_visits(host, visiting), ANSWERS, strict=True):
        if ChecklistFill.objects.filter(visit=visit, template__code=CODE).exists():
            continue
        fill = ChecklistFill(
            template=template,
            visit=visit,
            facility=host,
            date=visit.start_date,
            notes="Đoàn giám sát Sở Y tế Bắc Ninh.",
        )
        services.save_fill(
            fill, {q.pk: a for q, a in zip(questions, answers, strict=True)}, submit=True
        )
        created += 1
    return created
