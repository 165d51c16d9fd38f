"""The demo visits (seed 000's study tour, the Thái Nguyên central hospital's 2024 visit to the
former Bắc Kạn with its actions, two supervisions of Tiên Du), loaded on top of the demo
network through the services; loading again changes nothing. One module-wide load (slow)."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import transaction

from doha.aggregate.models import DataValue
from doha.orgunits.models import OrgUnit
from doha.users.models import User
from doha.visits import figures
from doha.visits.demo import (
    BAC_KAN_TITLE,
    STUDY_TOUR_TITLE,
    TIEN_DU_VISIT_TITLES,
    load_demo_visits,
)
from doha.visits.models import ActionStatus, FollowUpAction, Visit, VisitKind
from doha.web.demo import load_demo

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_demo(statistics=False)  # loads the demo visits (web.demo.load_visits_and_awards)
            created = Visit.objects.count()
            counts = (Visit.objects.count(), FollowUpAction.objects.count())
            again = load_demo_visits()
            yield SimpleNamespace(
                created=created,
                again=again,
                counts=counts,
                counts_after=(Visit.objects.count(), FollowUpAction.objects.count()),
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_loading_again_changes_nothing(demo):
    assert demo.created == 4 and demo.again == 0  # four visits, nothing created again
    assert demo.counts == demo.counts_after


def test_seed_000_study_tour_with_its_lessons(demo):
    tour = Visit.objects.get(title=STUDY_TOUR_TITLE)
    assert tour.kind == VisitKind.STUDY_TOUR
    assert (tour.host.code, tour.visiting.code) == ("QN-TTYTDP", "BG-TTYTDP")
    assert tour.start_date == D(2016, 5, 13)
    assert "11 nguồn thu" in tour.lessons
    assert {m.name for m in tour.members.all()} == {"Hàn Thị Hồng Thúy", "BS Đặng Thanh Minh"}


def test_bac_kan_visit_has_actions_on_time_late_overdue_and_dropped(demo):
    visit = Visit.objects.get(title=BAC_KAN_TITLE)
    assert (visit.visiting.code, visit.host.code) == ("BVTW-TN", "BK-BVDK")
    assert visit.start_date == D(2024, 7, 24)
    actions = list(visit.actions.all())
    assert all(a.finding_id for a in actions)
    assert sum(1 for a in actions if a.closed_on_time is True) == 2
    assert sum(1 for a in actions if a.closed_on_time is False) == 1
    assert sum(1 for a in actions if a.is_overdue) == 2
    dropped = [a for a in actions if a.status == ActionStatus.DROPPED]
    assert len(dropped) == 1 and dropped[0].drop_reason
    owners = {a.owner_facility.code for a in actions}
    assert "BK-TTYT-CHOMOI" in owners
    # The Thái Nguyên DOH sees the visit (its host moved under it) and the Chợ Mới clerk
    # sees the action its centre owns.
    officer = User.objects.get(username="syt.thainguyen")
    assert Visit.objects.restrict(officer).filter(pk=visit.pk).exists()
    clerk = User.objects.get(username="ttyt.chomoi")
    mine = FollowUpAction.objects.restrict(clerk).filter(visit=visit)
    assert [a.owner_facility.code for a in mine] == ["BK-TTYT-CHOMOI"]
    assert mine[0].is_overdue


def test_two_supervisions_of_tien_du(demo):
    tien_du = OrgUnit.objects.get(code="BN-TTYT-TIENDU")
    visits = Visit.objects.filter(title__in=TIEN_DU_VISIT_TITLES).order_by("start_date")
    assert [v.title for v in visits] == list(TIEN_DU_VISIT_TITLES)
    assert all(v.host == tien_du and v.kind == VisitKind.SUPERVISION for v in visits)
    assert [v.start_date for v in visits] == [D(2025, 11, 18), D(2026, 10, 20)]
    clerk = User.objects.get(username="ttyt.tiendu")
    overdue = [a for a in FollowUpAction.objects.restrict(clerk) if a.is_overdue]
    assert len(overdue) == 1


def test_the_figures_are_computed(demo):
    chodon = OrgUnit.objects.get(code="BK-TTYT-CHODON")
    values = DataValue.objects.filter(org_unit=chodon, deleted=False)
    got = dict(values.values_list("data_element__code", "value").filter(period="202503"))
    assert got == {"ACT_FOLLOWUP_DUE": "1", "ACT_FOLLOWUP_ON_TIME": "0"}
    tien_du = OrgUnit.objects.get(code="BN-TTYT-TIENDU")
    assert figures.on_time_share(tien_du, D(2025, 12, 1)) == 100.0
    assert figures.on_time_share(tien_du, D(2026, 1, 1)) == 0.0


def test_the_demo_pages_render_for_the_thai_nguyen_officer(demo, client):
    from django.urls import reverse

    client.force_login(User.objects.get(username="syt.thainguyen"))
    visit = Visit.objects.get(title=BAC_KAN_TITLE)
    page = client.get(visit.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    for action in visit.actions.all():
        assert action.get_absolute_url() in text
    overdue = client.get(reverse("visits:actions"), {"overdue": "true"})
    assert {a.owner_facility.code for a in overdue.context["object_list"]} == {
        "BK-TTYT-CHOMOI",
        "BK-BVDK",
    }
