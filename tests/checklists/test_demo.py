"""The demo checklist: published, five sections of every answer type, filled twice for
TTYT Tiên Du on the visits' demo supervision visits, the second scoring higher; idempotent."""

import datetime

from doha.checklists import services
from doha.checklists.demo import CODE, load_demo_checklists
from doha.checklists.models import ChecklistFill, ChecklistTemplate, TemplateStatus
from doha.visits.demo import TIEN_DU_VISIT_TITLES
from doha.visits.models import Visit


def test_demo_checklist_filled_twice_showing_progress(network):
    visits = [
        Visit.objects.create(
            kind="supervision",
            title=title,
            host=network.tien_du,
            visiting=network.syt_bn,
            start_date=date,
            end_date=date,
        )
        for title, date in zip(
            TIEN_DU_VISIT_TITLES,
            (datetime.date(2025, 11, 18), datetime.date(2026, 10, 20)),
            strict=True,
        )
    ]
    assert load_demo_checklists() == 2
    assert load_demo_checklists() == 0
    template = ChecklistTemplate.objects.get(code=CODE)
    assert template.status == TemplateStatus.PUBLISHED
    assert template.name == "Bảng kiểm giám sát trung tâm y tế huyện"
    assert template.sections.count() == 5
    kinds = set(template.sections.values_list("questions__answer_type", flat=True))
    assert kinds == {"yes_no", "score", "number", "text"}
    first, second = ChecklistFill.objects.filter(template=template).order_by("date")
    assert [first.visit, second.visit] == visits
    assert first.is_submitted and second.is_submitted
    assert 40 < first.overall_score < second.overall_score <= 100
    comparison = services.compare_with_previous(second)
    assert comparison.previous == first and comparison.overall.delta > 10
    assert Visit.objects.count() == 2  # the visits' demo visits were used


def test_demo_creates_its_visits_when_the_visits_demo_did_not(network):
    assert load_demo_checklists() == 2
    assert Visit.objects.filter(host=network.tien_du, kind="supervision").count() == 2
    assert load_demo_checklists() == 0
    assert ChecklistFill.objects.count() == 2
