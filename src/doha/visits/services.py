"""Business rules of visits and follow-up actions. Pages, the REST API and the demo loader call
these; every status change of an action goes through ``change_status`` (audited by the model's
change log). ``user=None`` means the system itself: no check."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from doha.core.scope import can, in_scope
from doha.core.signals import notify_records_changed
from doha.visits.models import (
    CLOSED_STATUSES,
    ActionStatus,
    Finding,
    FollowUpAction,
    Visit,
    VisitAttachment,
    VisitMember,
    today,
)

START, CLOSE, DROP = "start", "close", "drop"
STEPS = (START, CLOSE, DROP)


def _require(user, model, action):
    if user is not None and not can(user, model, action):
        raise PermissionDenied(_("Your role does not allow this action."))


def _merge(errors: dict, exc: ValidationError):
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, []).extend(messages)


def _children(visit, model, given):
    if given is not None:
        return [row for row in given if row is not None]
    if visit.pk is None:
        return []
    return list(model.objects.filter(visit=visit))


def _child_errors(label, exc: ValidationError) -> list[str]:
    out = []
    for _field, messages in exc.message_dict.items():
        for message in messages:
            out.append(f"{label}: {message}")
    return out


@transaction.atomic
def save_visit(
    visit: Visit,
    *,
    members: list[VisitMember] | None = None,
    findings: list[Finding] | None = None,
    user=None,
) -> Visit:
    """Create or update a visit with its members and findings. Each list given replaces the
    visit's rows of that kind (rows with a pk are kept and updated, the others removed; an
    action keeps its place when its finding is removed); None keeps them."""
    _require(user, Visit, "change" if visit.pk else "add")
    errors: dict[str, list] = {}
    try:
        visit.full_clean()
    except ValidationError as exc:
        _merge(errors, exc)
    if visit.start_date and visit.end_date and visit.end_date < visit.start_date:
        errors.setdefault("end_date", []).append(_("The end date cannot be before the start date."))
    if visit.host_id and visit.host_id == visit.visiting_id:
        errors.setdefault("visiting", []).append(
            _("The visiting unit must be another unit than the host.")
        )
    if (
        user is not None
        and visit.host_id
        and visit.visiting_id
        and not (in_scope(user, visit.host.path) or in_scope(user, visit.visiting.path))
    ):
        errors.setdefault("host", []).append(
            _("The host or the visiting unit must be inside your scope.")
        )
    member_list = _children(visit, VisitMember, members)
    finding_list = _children(visit, Finding, findings)
    for number, member in enumerate(member_list, start=1):
        label = _("Member %(n)s (%(name)s)") % {"n": number, "name": member.name or "—"}
        if member.person_id:
            # A member chosen from the registry: name and unit come from there when blank.
            member.name = member.name or member.person.full_name
            member.unit = member.unit or member.person.facility.name
        try:
            member.full_clean(exclude=["visit"], validate_unique=False)
        except ValidationError as exc:
            errors.setdefault("members", []).extend(_child_errors(label, exc))
    for number, finding in enumerate(finding_list, start=1):
        label = _("Finding %(n)s") % {"n": number}
        try:
            finding.full_clean(exclude=["visit"], validate_unique=False)
        except ValidationError as exc:
            errors.setdefault("findings", []).extend(_child_errors(label, exc))
    if visit.pk and visit.start_date:
        early = visit.actions.filter(due_date__lt=visit.start_date).count()
        if early:
            errors.setdefault("start_date", []).append(
                _("%(n)s follow-up actions are due before this start date.") % {"n": early}
            )
    if errors:
        raise ValidationError({k: v for k, v in errors.items() if v})
    visit.save()
    if members is not None:
        keep = [m.pk for m in member_list if m.pk]
        visit.members.exclude(pk__in=keep).delete()
        for member in member_list:
            member.visit = visit
            member.save()
    if findings is not None:
        keep = [f.pk for f in finding_list if f.pk]
        visit.findings.exclude(pk__in=keep).delete()
        for order, finding in enumerate(finding_list, start=1):
            finding.visit = visit
            if not finding.order:
                finding.order = order
            finding.save()
    return visit


def add_attachment(visit: Visit, file, description: str = "", *, user=None) -> VisitAttachment:
    _require(user, Visit, "change")
    if not file:
        raise ValidationError({"file": [_("Choose a file.")]})
    attachment = VisitAttachment(visit=visit, file=file, description=description or "")
    attachment.full_clean()
    attachment.save()
    return attachment


def _notify(action: FollowUpAction, before: tuple | None = None):
    """The owner facility's month of the due date is recomputed (and the old one, when the
    owner or the due date changed)."""
    changes = [(action.owner_facility, action.due_date, None)]
    if before is not None and before != (action.owner_facility_id, action.due_date):
        changes.insert(0, (before[0], before[1], None))
    notify_records_changed(FollowUpAction, changes)


@transaction.atomic
def save_action(action: FollowUpAction, *, user=None) -> FollowUpAction:
    """Create or update what an action asks (not its status: see ``change_status``)."""
    _require(user, FollowUpAction, "change" if action.pk else "add")
    if action.pk:
        # The status and what closed it change only through ``change_status``; a closed
        # action is final.
        current = FollowUpAction.objects.get(pk=action.pk)
        if current.status in CLOSED_STATUSES:
            raise ValidationError(
                {
                    "status": [
                        _("This action is already closed (%(status)s).")
                        % {"status": current.get_status_display()}
                    ]
                }
            )
        for name in ("status", "closed_on", "evidence", "evidence_file", "drop_reason"):
            setattr(action, name, getattr(current, name))
    else:
        action.status = ActionStatus.OPEN
        action.closed_on = None
    errors: dict[str, list] = {}
    try:
        action.full_clean(exclude=["status", "closed_on"])
    except ValidationError as exc:
        _merge(errors, exc)
    visit = action.visit if action.visit_id else None
    if visit is not None and action.due_date and action.due_date < visit.start_date:
        errors.setdefault("due_date", []).append(
            _("The due date cannot be before the visit's start (%(date)s).")
            % {"date": visit.start_date.strftime("%d/%m/%Y")}
        )
    if action.finding_id and visit is not None and action.finding.visit_id != visit.pk:
        errors.setdefault("finding", []).append(_("The finding belongs to another visit."))
    if (
        user is not None
        and visit is not None
        and not Visit.objects.restrict(user, "change").filter(pk=visit.pk).exists()
        and not (
            action.pk
            and FollowUpAction.objects.restrict(user, "change").filter(pk=action.pk).exists()
        )
    ):
        errors.setdefault("visit", []).append(_("This visit is outside your scope."))
    if errors:
        raise ValidationError({k: v for k, v in errors.items() if v})
    before = (
        FollowUpAction.objects.filter(pk=action.pk)
        .values_list("owner_facility_id", "due_date")
        .first()
        if action.pk
        else None
    )
    action.save()
    _notify(action, before)
    return action


@transaction.atomic
def change_status(
    action: FollowUpAction,
    step: str,
    *,
    on: datetime.date | None = None,
    evidence: str = "",
    evidence_file=None,
    reason: str = "",
    user=None,
) -> FollowUpAction:
    """Start, close (done, with evidence: a text or a file) or drop (with a reason) an action.

    A closed action (done or dropped) is final. ``on`` is the day it was closed (default
    today): not in the future, not before the visit started."""
    _require(user, FollowUpAction, "change")
    if user is not None and not (
        FollowUpAction.objects.restrict(user, "change").filter(pk=action.pk).exists()
    ):
        raise PermissionDenied(_("This action is outside your scope."))
    action = FollowUpAction.objects.select_for_update().select_related("visit").get(pk=action.pk)
    errors: dict[str, list] = {}
    if step not in STEPS:
        raise ValidationError({"status": [_("Unknown step: %(step)s.") % {"step": step}]})
    if action.status in CLOSED_STATUSES:
        raise ValidationError(
            {
                "status": [
                    _("This action is already closed (%(status)s).")
                    % {"status": action.get_status_display()}
                ]
            }
        )
    now = today()
    day = on or now
    if step == START:
        if action.status != ActionStatus.OPEN:
            raise ValidationError({"status": [_("Only an open action can be started.")]})
        action.status = ActionStatus.IN_PROGRESS
        action.save()
        _notify(action)
        return action
    if day > now:
        errors.setdefault("closed_on", []).append(_("The closing date cannot be in the future."))
    if day < action.visit.start_date:
        errors.setdefault("closed_on", []).append(
            _("The closing date cannot be before the visit's start (%(date)s).")
            % {"date": action.visit.start_date.strftime("%d/%m/%Y")}
        )
    if step == CLOSE:
        evidence = (evidence or "").strip()
        if not evidence and not evidence_file:
            errors.setdefault("evidence", []).append(
                _("Closing an action requires evidence: describe it or attach a file.")
            )
    else:
        reason = (reason or "").strip()
        if not reason:
            errors.setdefault("drop_reason", []).append(_("Dropping an action requires a reason."))
    if errors:
        raise ValidationError(errors)
    action.closed_on = day
    if step == CLOSE:
        action.status = ActionStatus.DONE
        action.evidence = evidence
        if evidence_file:
            action.evidence_file = evidence_file
    else:
        action.status = ActionStatus.DROPPED
        action.drop_reason = reason
    action.save()
    _notify(action)
    return action
