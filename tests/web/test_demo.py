"""The demo (``manage.py load_demo``, run by ``make run``) holds seeds 001, 002 and 003, built
through the services, and loading it again changes nothing.

The demo is loaded once for the whole module (twice, to compare), inside a transaction
rolled back after the module; each test runs in its own savepoint on top of it.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import transaction

from doha.catalog.models import Acquisition, FacilityCapability
from doha.core.permissions import Role
from doha.orgunits.models import OrgUnit
from doha.programmes.models import (
    ContentArea,
    Framework,
    NeedsSurvey,
    NeedStatus,
    Programme,
    ProgrammeKind,
    ResponseStatus,
    Side,
    SurveyStatus,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingKind,
    TrainingNeed,
)
from doha.programmes.services import programme_progress
from doha.transfers.matching import Matcher
from doha.transfers.models import STATE_ORDER, CaseKind, TechniqueTransfer, TransferState
from doha.users.models import User
from doha.web.demo import DEMO_PASSWORD, load_demo
from doha.web.demo_line_direction import (
    NUMBER_002,
    PLAN_001_TITLE,
    PROGRAMME_003_TITLE,
    SIX_PAEDIATRIC,
    SURVEY_003_TITLE,
)

pytestmark = pytest.mark.django_db
D = datetime.date
APPS = ("orgunits", "users", "catalog", "programmes", "transfers", "auditlog")


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in APPS
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo twice; the counts of rows after each load."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_demo()
            first = row_counts()
            users = load_demo()
            yield SimpleNamespace(first=first, second=row_counts(), users=users)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_loading_again_creates_and_changes_nothing(demo):
    assert demo.first == demo.second
    assert demo.first["auditlog.LogEntry"] > 0  # built through the services: audited


def test_demo_accounts_include_the_seed_003_users(demo):
    listed = {username: (role, unit) for username, _f, _l, role, unit in demo.users}
    assert listed["cdt.bvtwthainguyen"] == (Role.LINE_OFFICER, "BVTW-TN")
    assert listed["ttyt.chomoi"] == (Role.DATA_CLERK, "BK-TTYT-CHOMOI")
    for username, (role, unit) in listed.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert (user.org_unit.code if user.org_unit else None) == unit
        assert user.check_password(DEMO_PASSWORD)


def test_bac_kan_moved_under_thai_nguyen_on_the_reform_date(demo):
    syt_bk, syt_tn = OrgUnit.objects.get(code="BK-SYT"), OrgUnit.objects.get(code="TN-SYT")
    assert not syt_bk.active and syt_bk.closing_date == D(2025, 7, 1)
    moved = OrgUnit.objects.filter(code="BK-BVDK") | OrgUnit.objects.filter(
        code__startswith="BK-TTYT-"
    )
    assert moved.count() == 9  # the general hospital and one centre per old district
    for unit in moved:
        assert unit.parent == syt_tn
        before = unit.hierarchy.get(valid_to=D(2025, 7, 1))
        assert before.parent == syt_bk


def test_seed_001_assessment_support_plan_and_transfers(demo):
    bv, ttyt = OrgUnit.objects.get(code="BN-BVDK"), OrgUnit.objects.get(code="BN-TTYT-TIENDU")
    plan = Programme.objects.get(title=PLAN_001_TITLE, kind=ProgrammeKind.SUPPORT_PLAN)
    assert (plan.start_date, plan.end_date) == (D(2022, 1, 1), D(2023, 12, 31))
    assert plan.items.count() == 6
    assert plan.areas.count() == 6
    progress = programme_progress(plan)
    assert progress["done"] >= 3 and progress["late"] == 1

    assessment = plan.assessments.get()
    assert (assessment.facility, assessment.assessor) == (ttyt, bv)
    assert assessment.date == D(2022, 2, 17)
    assert "12 thành viên" in assessment.team
    assert assessment.specialties.exists()

    transfers = plan.transfers.filter(provider=bv, recipient=ttyt)
    states = set(transfers.values_list("state", flat=True))
    assert len(states) >= 5
    assert TransferState.CANCELLED in states
    assert states & {TransferState.ACCEPTED, TransferState.SUSTAINED}
    assert sum(t.cases() for t in transfers) > 0


def test_seed_002_programme_544_and_six_accepted_paediatric_transfers(demo):
    programme = Programme.objects.get(number=NUMBER_002)
    assert programme.signed_on == D(2016, 5, 6)
    assert (programme.start_date.year, programme.end_date.year) == (2016, 2020)
    assert set(programme.areas.values_list("area", flat=True)) == {
        ContentArea.TRAINING,
        ContentArea.TECHNIQUE_TRANSFER,
        ContentArea.EQUIPMENT,
        ContentArea.SOCIALISATION,
    }
    implementers = {
        (p.org_unit.code, p.side, p.assignment)
        for p in programme.parties.filter(role="implementer").select_related("org_unit")
    }
    assert ("HCM-BVND2", Side.PROVIDER) in {(c, s) for c, s, _a in implementers}
    assert ("DNO-BVDK", Side.RECIPIENT, "Khoa Nhi") in implementers

    transfers = programme.transfers.select_related("technique", "provider", "recipient")
    assert sorted(t.technique.code for t in transfers) == SIX_PAEDIATRIC
    for transfer in transfers:
        assert (transfer.provider.code, transfer.recipient.code) == ("HCM-BVND2", "DNO-BVDK")
        accepted_on = transfer.step_date(TransferState.ACCEPTED)
        assert D(2016, 1, 1) <= accepted_on <= D(2017, 12, 31)
        assert transfer.cases(CaseKind.INDEPENDENT, until=accepted_on) >= 5
        steps = list(transfer.steps.order_by("date", "created"))
        assert [s.state for s in steps] == STATE_ORDER[: len(steps)]
        assert transfer.sustainment_checks.filter(months_after=6, still_performed=True).exists()
        assert transfer.capability.acquisition == Acquisition.TRANSFER_IN
    received = FacilityCapability.objects.filter(
        facility__code="DNO-BVDK", acquisition=Acquisition.TRANSFER_IN, active=True
    )
    assert sorted(received.values_list("technique__code", flat=True)) == SIX_PAEDIATRIC


def test_seed_003_survey_needs_matching_and_a_planned_transfer(demo):
    survey = NeedsSurvey.objects.get(title=SURVEY_003_TITLE)
    assert survey.organiser.code == "BVTW-TN"
    assert survey.framework == Framework.PROJECT_1816
    assert survey.opens_on == D(2024, 7, 24)
    assert survey.status == SurveyStatus.CLOSED
    asked = set(survey.facilities.values_list("code", flat=True))
    assert "BK-BVDK" in asked and len(asked) == 9
    statuses = list(survey.responses.values_list("status", flat=True))
    assert len(statuses) >= 4
    assert ResponseStatus.DRAFT in statuses and ResponseStatus.SUBMITTED in statuses
    kinds = set(TrainingNeed.objects.filter(response__survey=survey).values_list("kind", flat=True))
    assert {
        TrainingKind.SHORT_TERM,
        TrainingKind.LONG_TERM,
        TrainingKind.CME,
        TrainingKind.HANDS_ON,
    } <= kinds
    assert TeleconsultNeed.objects.filter(response__survey=survey).count() >= 3

    needs = TechniqueNeed.objects.filter(response__survey=survey).select_related(
        "technique", "response__facility"
    )
    open_needs = [n for n in needs if n.status == NeedStatus.OPEN]
    proposals = Matcher().propose_many(open_needs)
    assert sum(1 for n in open_needs if proposals[n.pk]) >= 5

    planned = needs.get(status=NeedStatus.PLANNED)
    transfer = TechniqueTransfer.objects.get(need=planned)
    assert transfer.state == TransferState.PLANNED
    assert transfer.provider.code == "BVTW-TN"
    assert transfer.programme.title == PROGRAMME_003_TITLE
    assert transfer.programme.framework == Framework.PROJECT_1816
    assert transfer.programme.survey == survey
    parties = set(transfer.programme.parties.values_list("org_unit__code", "side"))
    assert {("BVTW-TN", Side.PROVIDER), ("BK-SYT", Side.RECIPIENT)} <= parties


def test_matching_page_shows_proposals_to_the_central_hospital(demo, client):
    client.force_login(User.objects.get(username="cdt.bvtwthainguyen"))
    response = client.get("/transfers/matching/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bệnh viện Đa khoa tỉnh Bắc Kạn" in page
    assert "Bệnh viện Trung ương Thái Nguyên" in page  # among the proposed providers


def test_each_seed_page_opens_for_its_users(demo, client):
    pages = {
        "cdt.bvdkbacninh": Programme.objects.get(title=PLAN_001_TITLE),
        "ttyt.tiendu": Programme.objects.get(title=PLAN_001_TITLE),
        "admin": Programme.objects.get(number=NUMBER_002),
        "cdt.bvtwthainguyen": NeedsSurvey.objects.get(title=SURVEY_003_TITLE),
        "ttyt.chomoi": Programme.objects.get(title=PROGRAMME_003_TITLE),
        "syt.thainguyen": NeedsSurvey.objects.get(title=SURVEY_003_TITLE),
    }
    for username, record in pages.items():
        client.force_login(User.objects.get(username=username))
        assert client.get(record.get_absolute_url()).status_code == 200, username
