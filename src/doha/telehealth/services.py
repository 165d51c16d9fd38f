"""Business rules of remote consultations and tele-education sessions, and their figures.

Pages, the REST API and the demo loader all go through these functions; each runs in one
transaction and refuses with a ``ValidationError`` naming the field and the reason.
``user=None`` means the system itself (demo loader, management commands): no check.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from doha.core.scope import can, in_scope
from doha.core.signals import notify_records_changed
from doha.telehealth.models import Attendance, Consultation, Outcome, TeleEducationSession


def _merge(errors: dict, exc: ValidationError):
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, []).extend(messages)


def _require(user, model, action):
    if user is not None and not can(user, model, action):
        raise PermissionDenied(_("Your role does not allow this action."))


@transaction.atomic
def save_consultation(consultation: Consultation, participants=None, *, user=None) -> Consultation:
    """Create or update a consultation; ``participants`` (when given) replaces the list."""
    _require(user, Consultation, "change" if consultation.pk else "add")
    errors: dict[str, list] = {}
    try:
        consultation.full_clean(exclude=["participants"])
    except ValidationError as exc:
        _merge(errors, exc)
    if consultation.requesting_id and consultation.requesting_id == consultation.hub_id:
        errors.setdefault("hub", []).append(
            _("The hub must be another facility than the requesting one.")
        )
    if (
        consultation.answered_at
        and consultation.requested_at
        and consultation.answered_at < consultation.requested_at
    ):
        errors.setdefault("answered_at", []).append(_("The answer cannot come before the request."))
    if consultation.outcome != Outcome.PENDING and not consultation.answered_at:
        errors.setdefault("answered_at", []).append(
            _("Give the time of the answer when the outcome is known.")
        )
    if (
        user is not None
        and consultation.requesting_id
        and consultation.hub_id
        and not (
            in_scope(user, consultation.requesting.path) or in_scope(user, consultation.hub.path)
        )
    ):
        errors.setdefault("requesting", []).append(
            _("The requesting facility or the hub must be inside your scope.")
        )
    if errors:
        raise ValidationError(errors)
    before = (
        Consultation.objects.filter(pk=consultation.pk)
        .values_list("requesting_id", "requested_at")
        .first()
        if consultation.pk
        else None
    )
    consultation.save()
    if participants is not None:
        consultation.participants.set(participants)
    # The requesting facility's monthly count: the old month (and facility) and the new.
    changes = [(consultation.requesting, consultation.requested_at, None)]
    if before is not None and before != (consultation.requesting_id, consultation.requested_at):
        changes.insert(0, (before[0], before[1], None))
    notify_records_changed(Consultation, changes)
    return consultation


@transaction.atomic
def save_session(
    session: TeleEducationSession, spokes=None, attendances=None, *, user=None
) -> TeleEducationSession:
    """Create or update a tele-education session; ``attendances`` is a list of
    (facility, attendees) and replaces the session's list; every attending facility is a
    spoke."""
    _require(user, TeleEducationSession, "change" if session.pk else "add")
    errors: dict[str, list] = {}
    try:
        session.full_clean(exclude=["spokes"])
    except ValidationError as exc:
        _merge(errors, exc)
    spokes = list(spokes or [])
    attendances = list(attendances or [])
    if session.hub_id and any(s.pk == session.hub_id for s in spokes):
        errors.setdefault("spokes", []).append(_("The hub cannot be one of its own spokes."))
    for facility, attendees in attendances:
        if attendees is None or attendees < 0:
            errors.setdefault("attendances", []).append(
                _("%(facility)s: the number of attendees cannot be negative.")
                % {"facility": facility}
            )
    if user is not None and session.hub_id:
        units = [session.hub, *spokes, *(f for f, _n in attendances)]
        if not any(in_scope(user, unit.path) for unit in units):
            errors.setdefault("hub", []).append(
                _("The hub or one of the spokes must be inside your scope.")
            )
    if errors:
        raise ValidationError(errors)
    session.save()
    all_spokes = {s.pk: s for s in spokes}
    for facility, _n in attendances:
        all_spokes.setdefault(facility.pk, facility)
    session.spokes.set(all_spokes.values())
    if attendances or session.attendances.exists():
        session.attendances.all().delete()
        Attendance.objects.bulk_create(
            [Attendance(session=session, facility=f, attendees=n) for f, n in attendances]
        )
    return session


# ---------------------------------------------------------------- figures


def _period(dt, by: str) -> str:
    if by == "month":
        return f"{dt:%m/%Y}"
    if by == "quarter":
        return f"Q{(dt.month - 1) // 3 + 1}/{dt.year}"
    return str(dt.year)


def _summary(rows: list[Consultation]) -> dict:
    hours = [c.response_hours for c in rows if c.response_hours is not None]
    decided = [c for c in rows if c.outcome != Outcome.PENDING]
    local = sum(1 for c in decided if c.outcome == Outcome.TREATED_LOCALLY)
    return {
        "count": len(rows),
        "answered": len(hours),
        "median_hours": round(statistics.median(hours), 1) if hours else None,
        "mean_hours": round(statistics.fmean(hours), 1) if hours else None,
        "decided": len(decided),
        "treated_locally": local,
        "local_share": round(100 * local / len(decided), 1) if decided else None,
    }


def figures(queryset, by: str = "year", group: str = "hub") -> dict:
    """Response time (median and mean hours from request to answer) and the share of the
    consultations with an outcome that were treated locally, overall and per period x hub
    (``group="hub"``) or requesting facility (``group="spoke"``).

    ``queryset`` is what the user may see: call it with ``restrict(user, "view")``."""
    rows = list(queryset.select_related("hub", "requesting"))
    grouped: dict[tuple, list] = defaultdict(list)
    for c in rows:
        unit = c.hub if group == "hub" else c.requesting
        grouped[(_period(c.requested_at, by), unit.name)].append(c)

    def order(key):
        period, unit = key
        parts = period.replace("Q", "").split("/")
        return (tuple(int(p) for p in reversed(parts)), unit)

    return {
        "total": _summary(rows),
        "rows": [
            {"period": period, "unit": unit, **_summary(grouped[(period, unit)])}
            for period, unit in sorted(grouped, key=order)
        ],
    }
