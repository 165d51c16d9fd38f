"""The rules of visits and follow-up actions, enforced by the services (pages and API call
them): dates, evidence to close, a reason to drop, overdue and on time, audit of status."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from doha.visits import services
from doha.visits.models import ActionStatus, FollowUpAction, Visit, VisitKind, VisitMember
from tests.visits.factories import D, make_action, make_visit

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def visit(network):
    return make_visit(network.tien_du, network.syt_bn)


def errors(exc_info) -> dict:
    return exc_info.value.message_dict


def test_end_date_before_start_is_refused_on_the_end_date(network):
    with pytest.raises(ValidationError) as exc:
        make_visit(
            network.tien_du, network.syt_bn, start_date=D(2026, 3, 10), end_date=D(2026, 3, 9)
        )
    assert "The end date cannot be before the start date." in errors(exc)["end_date"]
    assert not Visit.objects.exists()


def test_host_and_visiting_unit_must_differ(network):
    with pytest.raises(ValidationError) as exc:
        make_visit(network.tien_du, network.tien_du)
    assert "visiting" in errors(exc)


def test_visit_outside_the_users_scope_is_refused(network, users):
    visit = Visit(
        kind=VisitKind.SUPERVISION,
        title="Giám sát Phú Bình",
        host=network.phu_binh,
        visiting=network.syt_tn,
        start_date=D(2026, 3, 1),
        end_date=D(2026, 3, 1),
    )
    with pytest.raises(ValidationError) as exc:
        services.save_visit(visit, user=users.doh)
    assert "host" in errors(exc)


def test_viewer_cannot_record_a_visit(network, users):
    visit = Visit(
        kind=VisitKind.OTHER,
        title="x",
        host=network.tien_du,
        visiting=network.syt_bn,
        start_date=D(2026, 3, 1),
        end_date=D(2026, 3, 1),
    )
    with pytest.raises(PermissionDenied):
        services.save_visit(visit, user=users.viewer)


def test_members_and_findings_are_replaced_and_a_kept_finding_keeps_its_actions(visit):
    finding = visit.findings.get()
    action = make_action(visit)
    assert action.finding == finding
    finding.text = "Phát hiện đã sửa"
    services.save_visit(
        visit,
        members=[VisitMember(name="Trần Thị Bình"), VisitMember(name="Lê Văn Cường")],
        findings=[finding],
    )
    assert list(visit.members.values_list("name", flat=True)) == ["Trần Thị Bình", "Lê Văn Cường"]
    action.refresh_from_db()
    assert action.finding.text == "Phát hiện đã sửa"


def test_member_without_a_name_is_refused(visit):
    with pytest.raises(ValidationError) as exc:
        services.save_visit(visit, members=[VisitMember(position="Thư ký")])
    assert any(m.startswith("Member 1") for m in errors(exc)["members"])


def test_due_date_before_the_visit_start_is_refused(visit):
    with pytest.raises(ValidationError) as exc:
        make_action(visit, due=D(2026, 3, 9))
    assert (
        "The due date cannot be before the visit's start (10/03/2026)." in errors(exc)["due_date"]
    )
    make_action(visit, due=D(2026, 3, 10))  # the start day itself is fine


def test_moving_the_start_after_an_action_due_date_is_refused(visit):
    make_action(visit, due=D(2026, 3, 20))
    visit.start_date = D(2026, 3, 25)
    visit.end_date = D(2026, 3, 26)
    with pytest.raises(ValidationError) as exc:
        services.save_visit(visit)
    assert "start_date" in errors(exc)


def test_a_finding_of_another_visit_is_refused(visit, network):
    other = make_visit(network.tu_son, network.syt_bn)
    action = FollowUpAction(
        visit=visit,
        finding=other.findings.first(),
        description="x",
        owner_facility=network.tien_du,
        due_date=D(2026, 4, 1),
    )
    with pytest.raises(ValidationError) as exc:
        services.save_action(action)
    assert "finding" in errors(exc)


def test_closing_requires_evidence_text_or_file(visit):
    action = make_action(visit)
    with pytest.raises(ValidationError) as exc:
        services.change_status(action, services.CLOSE, evidence="  ")
    assert errors(exc)["evidence"] == [
        "Closing an action requires evidence: describe it or attach a file."
    ]
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and action.closed_on is None

    done = services.change_status(action, services.CLOSE, evidence="Biên bản khắc phục")
    assert done.status == ActionStatus.DONE and done.closed_on == TODAY


def test_closing_with_a_file_only_is_enough(visit, media_root):
    action = make_action(visit)
    upload = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4 minutes", "application/pdf")
    done = services.change_status(action, services.CLOSE, evidence_file=upload, on=D(2026, 4, 2))
    assert done.status == ActionStatus.DONE
    assert done.evidence_file.name.endswith(".pdf")
    assert done.closed_on_time is True


def test_dropping_requires_a_reason(visit):
    action = make_action(visit)
    with pytest.raises(ValidationError) as exc:
        services.change_status(action, services.DROP, reason="")
    assert errors(exc)["drop_reason"] == ["Dropping an action requires a reason."]
    dropped = services.change_status(action, services.DROP, reason="Không còn phù hợp")
    assert dropped.status == ActionStatus.DROPPED
    assert dropped.closed_on == TODAY and dropped.drop_reason == "Không còn phù hợp"
    assert dropped.closed_on_time is None and not dropped.is_overdue


def test_closing_date_neither_in_the_future_nor_before_the_visit(visit):
    action = make_action(visit)
    with pytest.raises(ValidationError) as exc:
        services.change_status(
            action, services.CLOSE, evidence="x", on=TODAY + datetime.timedelta(days=1)
        )
    assert "closed_on" in errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.change_status(action, services.CLOSE, evidence="x", on=D(2026, 3, 1))
    assert "closed_on" in errors(exc)


def test_start_only_from_open_and_a_closed_action_is_final(visit):
    action = make_action(visit)
    started = services.change_status(action, services.START)
    assert started.status == ActionStatus.IN_PROGRESS
    with pytest.raises(ValidationError) as exc:
        services.change_status(started, services.START)
    assert "status" in errors(exc)
    services.change_status(started, services.CLOSE, evidence="x", on=D(2026, 4, 1))
    with pytest.raises(ValidationError) as exc:
        services.change_status(started, services.DROP, reason="y")
    assert "already closed" in errors(exc)["status"][0]


def test_overdue_and_on_time(visit):
    past = make_action(visit, due=TODAY - datetime.timedelta(days=3))
    future = make_action(visit, due=TODAY + datetime.timedelta(days=3))
    assert past.is_overdue and past.days_overdue == 3
    assert not future.is_overdue and future.days_overdue == 0
    late = services.change_status(past, services.CLOSE, evidence="x")
    assert not late.is_overdue and late.closed_on_time is False
    due_day = make_action(visit, due=D(2026, 4, 30))
    on_time = services.change_status(due_day, services.CLOSE, evidence="x", on=D(2026, 4, 30))
    assert on_time.closed_on_time is True


def test_status_change_is_audited_with_actor_and_values(visit, users):
    action = make_action(visit)
    services.change_status(action, services.START, user=users.clerk)
    services.change_status(action, services.DROP, reason="Đã sáp nhập khoa", user=users.clerk)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(FollowUpAction), object_pk=str(action.pk)
    ).order_by("timestamp", "pk")
    changes = [e.changes_dict.get("status") for e in entries]
    assert ["open", "in_progress"] in changes
    assert ["in_progress", "dropped"] in changes
    last = entries.last()
    assert last.changes_dict["drop_reason"][1] == "Đã sáp nhập khoa"


def test_status_change_checks_role_and_scope(visit, users, network):
    action = make_action(visit)
    with pytest.raises(PermissionDenied):
        services.change_status(action, services.START, user=users.viewer)
    with pytest.raises(PermissionDenied):
        services.change_status(action, services.START, user=users.doh_tn)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_owner_facility_clerk_sees_and_changes_an_action_of_a_visit_elsewhere(network, users):
    # A visit of the provincial hospital by the DOH, one action owned by Tiên Du.
    visit = make_visit(network.bvdk, network.syt_bn)
    action = make_action(visit, owner=network.tien_du)
    other = make_action(visit)  # owned by the host
    visible = set(FollowUpAction.objects.restrict(users.clerk).values_list("pk", flat=True))
    assert visible == {action.pk}
    assert not Visit.objects.restrict(users.clerk).exists()
    services.change_status(action, services.START, user=users.clerk)
    with pytest.raises(PermissionDenied):
        services.change_status(other, services.START, user=users.clerk)


def test_editing_keeps_the_status_and_a_closed_action_is_not_edited(visit):
    action = make_action(visit)
    stale = FollowUpAction.objects.get(pk=action.pk)
    services.change_status(action, services.START)
    stale.description = "Khắc phục hồ sơ bệnh án"
    saved = services.save_action(stale)  # a stale copy does not reopen the action
    assert saved.status == ActionStatus.IN_PROGRESS
    services.change_status(saved, services.CLOSE, evidence="x", on=D(2026, 4, 1))
    saved.due_date = D(2026, 3, 20)
    with pytest.raises(ValidationError) as exc:
        services.save_action(saved)
    assert "already closed" in errors(exc)["status"][0]
