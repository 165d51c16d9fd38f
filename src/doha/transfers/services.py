"""Business rules of technique transfers: create, move through the lifecycle, record cases
and sustainment checks.

Pages, the REST API, the matching page and management commands all go through these
functions. Each runs in one transaction and refuses with a ``ValidationError`` naming the
field and the reason (gettext, so the user reads it in Vietnamese or English).

Who may do what, beyond the role x resource matrix (``doha.core.permissions``):

* creating a transfer, moving it to another state, cancelling it and recording the
  sustainment checks is line-direction work: the Department of Health and the hospitals'
  line-direction offices (``DIRECTING_ROLES``);
* cases performed may also be recorded by a data clerk, but only a clerk of the receiving
  facility (the unit where the patients were treated).

``user=None`` means the system itself (demo loader, management commands): no check.
"""

from __future__ import annotations

import calendar
import datetime
import os

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.catalog import services as catalog_services
from doha.catalog.models import LEVEL_ORDER, FacilityCapability
from doha.core.permissions import Role
from doha.core.scope import can, in_scope
from doha.core.signals import notify_record_changed
from doha.orgunits.models import TechnicalLevel
from doha.programmes.models import NeedStatus, Programme, ProgrammeStatus
from doha.transfers.models import (
    CANCELLABLE_STATES,
    LIVE_STATES,
    STATE_ORDER,
    CaseKind,
    StepEvidence,
    SustainmentCheck,
    TechniqueTransfer,
    TransferCase,
    TransferState,
    TransferStep,
)

DIRECTING_ROLES = {Role.SYSTEM_ADMIN, Role.DOH_OFFICER, Role.LINE_OFFICER}
SUSTAINMENT_MONTHS = (6, 12)
EVIDENCE_EXTENSIONS = {
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".odt",
    ".ods",
}
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
CASE_STATES = {TransferState.TRAINING, TransferState.SUPERVISED, TransferState.INDEPENDENT}


def min_independent_cases() -> int:
    return getattr(settings, "DOHA_MIN_INDEPENDENT_CASES", 5)


# ---------------------------------------------------------------- who may


def can_direct(user) -> bool:
    """Whether the user may create transfers and move them through their lifecycle."""
    if user is None:
        return True
    if not can(user, TechniqueTransfer, "change"):
        return False
    return user.is_superuser or getattr(user, "role", None) in DIRECTING_ROLES


def can_record_cases(user, transfer: TechniqueTransfer) -> bool:
    """Directing roles, or a clerk whose scope holds the receiving facility."""
    if user is None:
        return True
    if not can(user, TechniqueTransfer, "change"):
        return False
    if can_direct(user):
        return True
    return in_scope(user, transfer.recipient.path)


def _refuse(message=None):
    raise PermissionDenied(message or _("Your role does not allow this action."))


def _authorize_direct(user, transfer: TechniqueTransfer | None = None):
    if user is None:
        return
    if not can_direct(user):
        _refuse(_("Only the Department of Health and line-direction offices manage transfers."))
    if transfer is not None and not _in_user_scope(user, transfer, "change"):
        _refuse(_("This transfer is outside your scope."))


def _in_user_scope(user, transfer, action) -> bool:
    return TechniqueTransfer.objects.restrict(user, action).filter(pk=transfer.pk).exists()


# ---------------------------------------------------------------- dates


def add_months(date: datetime.date, months: int) -> datetime.date:
    """31/08 + 6 months -> 28/02 (or 29/02): the last day when the month is shorter."""
    month_index = date.month - 1 + months
    year = date.year + month_index // 12
    month = month_index % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def _fmt(date: datetime.date) -> str:
    return date.strftime("%d/%m/%Y")


def _check_not_future(date, field="date"):
    if date is None:
        raise ValidationError({field: _("Give the date.")})
    if date > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})


def last_step_date(transfer: TechniqueTransfer) -> datetime.date | None:
    step = transfer.steps.order_by("-date", "-created").first()
    return step.date if step else None


# ---------------------------------------------------------------- evidence


def validate_evidence_file(f) -> None:
    name = os.path.basename(getattr(f, "name", "") or "")
    ext = os.path.splitext(name)[1].lower()
    if ext not in EVIDENCE_EXTENSIONS:
        raise ValidationError(
            {
                "files": _("%(name)s: only these kinds of file are accepted: %(kinds)s.")
                % {"name": name, "kinds": ", ".join(sorted(EVIDENCE_EXTENSIONS))}
            }
        )
    if (getattr(f, "size", 0) or 0) > EVIDENCE_MAX_BYTES:
        raise ValidationError({"files": _("%(name)s is larger than 20 MB.") % {"name": name}})


def _attach(step: TransferStep, files) -> None:
    for f in files or ():
        validate_evidence_file(f)
        name = os.path.basename(f.name)
        StepEvidence.objects.create(step=step, file=f, description=name[:300])


# ---------------------------------------------------------------- create and edit


def level_exception_needed(technique, recipient) -> bool:
    """Whether the recipient's technical level is not among the technique's allowed levels."""
    return not technique.is_allowed_at(recipient.technical_level)


def _check_level(transfer: TechniqueTransfer) -> None:
    if not level_exception_needed(transfer.technique, transfer.recipient):
        # Nothing to except: do not keep a misleading exception on record.
        transfer.level_exception = False
        transfer.level_exception_reason = ""
        transfer.level_exception_decision = ""
        return
    if not transfer.level_exception or not transfer.level_exception_reason.strip():
        levels = ", ".join(
            str(TechnicalLevel(lvl).label) for lvl in transfer.technique.allowed_levels
        )
        if transfer.recipient.technical_level:
            message = _(
                "%(technique)s is allowed at these technical levels only: %(levels)s; "
                "%(recipient)s is at the %(level)s level. Tick the exception and give its "
                "reason to go ahead."
            ) % {
                "technique": transfer.technique.name,
                "levels": levels,
                "recipient": transfer.recipient,
                "level": transfer.recipient.get_technical_level_display(),
            }
        else:
            message = _(
                "The technical level of %(recipient)s is not recorded, so %(technique)s "
                "(allowed at: %(levels)s) needs an exception with its reason."
            ) % {
                "technique": transfer.technique.name,
                "levels": levels,
                "recipient": transfer.recipient,
            }
        raise ValidationError({"level_exception": message})


def _check_links(transfer: TechniqueTransfer, user) -> None:
    errors = {}
    programme = transfer.programme
    if programme is not None:
        if programme.status in {ProgrammeStatus.COMPLETED, ProgrammeStatus.CANCELLED}:
            errors["programme"] = _("The programme is %(status)s: it takes no new transfers.") % {
                "status": programme.get_status_display().lower()
            }
        elif user is not None and not (
            Programme.objects.restrict(user, "view").filter(pk=programme.pk).exists()
        ):
            errors["programme"] = _("This programme is outside your scope.")
    item = transfer.programme_item
    if item is not None:
        if programme is None:
            transfer.programme = programme = item.programme
        elif item.programme_id != programme.pk:
            errors["programme_item"] = _("The item belongs to another programme.")
    need = transfer.need
    if need is not None:
        if need.technique_id != transfer.technique_id:
            errors["need"] = _("The need is for another technique.")
        elif need.response.facility_id != transfer.recipient_id:
            errors["need"] = _("The need was registered by another facility.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_transfer(
    transfer: TechniqueTransfer,
    *,
    user=None,
    responsible: str = "",
    note: str = "",
    files=(),
) -> TechniqueTransfer:
    """Record a planned transfer (its first step is "planned", on ``transfer.state_date``).

    A technique above the recipient's technical level is refused unless the exception is
    ticked with its reason; the exception is then kept on the transfer.
    """
    _authorize_direct(user)
    if user is not None and not (
        in_scope(user, transfer.provider.path) or in_scope(user, transfer.recipient.path)
    ):
        raise ValidationError(
            {
                "recipient": _(
                    "Either the transferring or the receiving facility must be in your scope."
                )
            }
        )
    transfer.state = TransferState.PLANNED
    transfer.state_date = transfer.state_date or timezone.localdate()
    if transfer.min_independent_cases is None:
        transfer.min_independent_cases = min_independent_cases()
    _check_not_future(transfer.state_date, "state_date")
    errors = {}
    if not transfer.technique.active:
        errors["technique"] = _("This technique is retired from the catalogue.")
    for field in ("provider", "recipient"):
        unit = getattr(transfer, field)
        if not unit.active:
            errors[field] = _("%(unit)s is retired.") % {"unit": unit}
    if transfer.min_independent_cases < min_independent_cases():
        errors["min_independent_cases"] = _(
            "At least %(n)d independent cases are required before acceptance."
        ) % {"n": min_independent_cases()}
    if errors:
        raise ValidationError(errors)
    transfer.full_clean(exclude=["state_date"])
    _check_level(transfer)
    _check_links(transfer, user)
    duplicate = TechniqueTransfer.objects.filter(
        technique=transfer.technique,
        provider=transfer.provider,
        recipient=transfer.recipient,
        state__in=LIVE_STATES,
    )
    if duplicate.exists():
        raise ValidationError(
            {
                "technique": _(
                    "%(provider)s is already transferring this technique to %(recipient)s."
                )
                % {"provider": transfer.provider, "recipient": transfer.recipient}
            }
        )
    need = transfer.need
    if need is not None and need.status != NeedStatus.OPEN:
        raise ValidationError({"need": _("This need is no longer open.")})
    transfer.save()
    step = TransferStep.objects.create(
        transfer=transfer,
        state=TransferState.PLANNED,
        date=transfer.state_date,
        responsible=responsible,
        note=note,
        recorded_by=user,
    )
    _attach(step, files)
    if need is not None:
        need.status = NeedStatus.PLANNED
        need.save(update_fields=["status", "last_updated"])
    return transfer


# Set when the transfer is created or by its lifecycle, never by editing.
FIXED_FIELDS = [
    "technique_id",
    "provider_id",
    "recipient_id",
    "need_id",
    "state",
    "state_date",
    "level_exception",
    "cancel_reason",
    "capability_id",
]


@transaction.atomic
def update_transfer(transfer: TechniqueTransfer, *, user=None) -> TechniqueTransfer:
    """Save edits to the descriptive fields (the lifecycle moves only by ``transition``)."""
    _authorize_direct(user, transfer)
    stored = TechniqueTransfer.objects.select_for_update().get(pk=transfer.pk)
    for field in FIXED_FIELDS:
        if getattr(stored, field) != getattr(transfer, field):
            raise ValidationError(
                {field.removesuffix("_id"): _("This cannot be changed once the transfer exists.")}
            )
    if transfer.min_independent_cases != stored.min_independent_cases:
        if stored.state not in LIVE_STATES:
            raise ValidationError(
                {"min_independent_cases": _("The transfer is finished: the minimum is fixed.")}
            )
        if transfer.min_independent_cases < min_independent_cases():
            raise ValidationError(
                {
                    "min_independent_cases": _(
                        "At least %(n)d independent cases are required before acceptance."
                    )
                    % {"n": min_independent_cases()}
                }
            )
    transfer.full_clean()
    if transfer.programme_id != stored.programme_id or (
        transfer.programme_item_id != stored.programme_item_id
    ):
        _check_links(transfer, user)
    transfer.save()
    return transfer


# ---------------------------------------------------------------- lifecycle


def next_state(transfer: TechniqueTransfer) -> str | None:
    """The state a transfer may move to next by ``transition`` (None when none).

    "Sustained" is reached by a positive sustainment check, not by a transition.
    """
    if transfer.state not in STATE_ORDER:
        return None
    index = STATE_ORDER.index(transfer.state)
    following = STATE_ORDER[index + 1] if index + 1 < len(STATE_ORDER) else None
    return None if following == TransferState.SUSTAINED else following


@transaction.atomic
def transition(
    transfer: TechniqueTransfer,
    to_state: str,
    *,
    date: datetime.date,
    user=None,
    responsible: str = "",
    note: str = "",
    files=(),
    reason: str = "",
) -> TechniqueTransfer:
    """Move ``transfer`` to ``to_state`` on ``date`` and record the step with its evidence.

    States move forward one at a time (planned -> contracted -> training -> supervised ->
    independent -> accepted); cancelling is possible from any state before acceptance and
    needs a reason. A step's date is neither in the future nor before the previous step's.
    Acceptance needs the transfer's minimum of independent cases recorded up to its date;
    it creates (or updates) the recipient's capability, acquired by transfer.
    """
    _authorize_direct(user, transfer)
    transfer = TechniqueTransfer.objects.select_for_update().get(pk=transfer.pk)
    if to_state not in TransferState.values:
        raise ValidationError({"state": _("Unknown state.")})
    _check_not_future(date)
    previous = last_step_date(transfer) or transfer.state_date
    if previous and date < previous:
        raise ValidationError(
            {
                "date": _("Dates cannot go backwards: the previous step is dated %(date)s.")
                % {"date": _fmt(previous)}
            }
        )
    if to_state == TransferState.CANCELLED:
        return _cancel(transfer, date, user, responsible, note, files, reason)
    expected = next_state(transfer)
    if to_state != expected:
        if transfer.state == TransferState.CANCELLED:
            message = _("The transfer is cancelled.")
        elif to_state == TransferState.SUSTAINED and transfer.state == TransferState.ACCEPTED:
            message = _(
                "A transfer becomes sustained by a positive sustainment check 6 months "
                "after acceptance."
            )
        elif expected is None:
            message = _("The transfer is finished: it moves no further.")
        else:
            message = _(
                "A transfer moves one step at a time: from %(current)s the next step is %(next)s."
            ) % {
                "current": transfer.get_state_display(),
                "next": TransferState(expected).label,
            }
        raise ValidationError({"state": message})
    if to_state == TransferState.ACCEPTED:
        recorded = transfer.cases(CaseKind.INDEPENDENT, until=date)
        needed = transfer.min_independent_cases
        if recorded < needed:
            raise ValidationError(
                {
                    "state": _(
                        "Acceptance needs at least %(needed)d independent cases; "
                        "%(recorded)d are recorded up to %(date)s."
                    )
                    % {"needed": needed, "recorded": recorded, "date": _fmt(date)}
                }
            )
    transfer.state = to_state
    transfer.state_date = date
    if to_state == TransferState.ACCEPTED:
        transfer.capability = _gain_capability(transfer, date)
    transfer.save()
    step = TransferStep.objects.create(
        transfer=transfer,
        state=to_state,
        date=date,
        responsible=responsible,
        note=note,
        recorded_by=user,
    )
    _attach(step, files)
    if to_state == TransferState.ACCEPTED:
        # The receiving facility's "transfers accepted" figure of that month.
        notify_record_changed(TechniqueTransfer, transfer.recipient, date)
    return transfer


def _cancel(transfer, date, user, responsible, note, files, reason):
    if transfer.state not in CANCELLABLE_STATES:
        if transfer.state == TransferState.CANCELLED:
            message = _("The transfer is already cancelled.")
        else:
            message = _("An accepted transfer cannot be cancelled.")
        raise ValidationError({"state": message})
    if not (reason or "").strip():
        raise ValidationError({"cancel_reason": _("Give the reason for cancelling.")})
    transfer.state = TransferState.CANCELLED
    transfer.state_date = date
    transfer.cancel_reason = reason.strip()
    transfer.save()
    step = TransferStep.objects.create(
        transfer=transfer,
        state=TransferState.CANCELLED,
        date=date,
        responsible=responsible,
        note=note or transfer.cancel_reason,
        recorded_by=user,
    )
    _attach(step, files)
    need = transfer.need
    if (
        need is not None
        and need.status == NeedStatus.PLANNED
        and not need.transfers.filter(
            state__in=[*LIVE_STATES, TransferState.ACCEPTED, TransferState.SUSTAINED]
        ).exists()
    ):
        # Nobody else is transferring it: the need is open again for matching.
        need.status = NeedStatus.OPEN
        need.save(update_fields=["status", "last_updated"])
    return transfer


def _gain_capability(transfer: TechniqueTransfer, date) -> FacilityCapability:
    """The recipient performs the technique from acceptance: the capability register's own
    write path adds it as received by transfer (or performs a retired one again; a record
    the facility already had stays as it is)."""
    return catalog_services.record_transfer_in(transfer.recipient, transfer.technique, date)


# ---------------------------------------------------------------- cases


@transaction.atomic
def record_cases(
    transfer: TechniqueTransfer,
    *,
    date: datetime.date,
    kind: str,
    count: int = 1,
    note: str = "",
    user=None,
) -> TransferCase:
    """Patients treated with the technique at the recipient during the transfer.

    Supervised cases are recorded from the start of training; independent cases once the
    recipient performs independently, dated from that step.
    """
    if user is not None:
        if not can_record_cases(user, transfer):
            _refuse(_("Only the receiving facility and line-direction staff record cases."))
        if not _in_user_scope(user, transfer, "change"):
            _refuse(_("This transfer is outside your scope."))
    transfer = TechniqueTransfer.objects.select_for_update().get(pk=transfer.pk)
    if kind not in CaseKind.values:
        raise ValidationError({"kind": _("Choose supervised or independent.")})
    if not count or count < 1:
        raise ValidationError({"count": _("Give at least one case.")})
    if transfer.state not in CASE_STATES:
        if transfer.state in {TransferState.PLANNED, TransferState.CONTRACTED}:
            message = _("Cases are recorded once training has started.")
        elif transfer.state == TransferState.CANCELLED:
            message = _("The transfer is cancelled.")
        else:
            message = _(
                "The transfer is accepted: later cases go to the facility's yearly volume "
                "of the technique."
            )
        raise ValidationError({"state": message})
    _check_not_future(date)
    training_start = transfer.step_date(TransferState.TRAINING)
    if training_start and date < training_start:
        raise ValidationError(
            {
                "date": _("Cases cannot be dated before training started on %(date)s.")
                % {"date": _fmt(training_start)}
            }
        )
    if kind == CaseKind.INDEPENDENT:
        since = transfer.step_date(TransferState.INDEPENDENT)
        if since is None:
            raise ValidationError(
                {
                    "kind": _(
                        "Independent cases are recorded once the transfer has reached "
                        "'performing independently'."
                    )
                }
            )
        if date < since:
            raise ValidationError(
                {
                    "date": _(
                        "Independent cases cannot be dated before %(date)s, when the "
                        "recipient began performing independently."
                    )
                    % {"date": _fmt(since)}
                }
            )
    case = TransferCase(transfer=transfer, date=date, kind=kind, count=count, note=note)
    case.full_clean()
    case.save()
    return case


# ---------------------------------------------------------------- sustainment


@transaction.atomic
def record_sustainment(
    transfer: TechniqueTransfer,
    *,
    months_after: int,
    checked_on: datetime.date,
    still_performed: bool,
    cases_in_period: int = 0,
    note: str = "",
    user=None,
) -> SustainmentCheck:
    """Is the technique still performed 6 and 12 months after acceptance?

    A check is dated no earlier than acceptance + 6 (or 12) months; the 12-month check
    follows the 6-month one. A positive check moves an accepted transfer to "sustained";
    a negative one marks the recipient's capability as no longer performed.
    """
    _authorize_direct(user, transfer)
    transfer = TechniqueTransfer.objects.select_for_update().get(pk=transfer.pk)
    try:
        months_after = int(months_after)
    except (TypeError, ValueError):
        months_after = 0
    if months_after not in SUSTAINMENT_MONTHS:
        raise ValidationError({"months_after": _("Choose 6 or 12 months.")})
    if transfer.state not in {TransferState.ACCEPTED, TransferState.SUSTAINED}:
        raise ValidationError(
            {"state": _("Sustainment is checked after the transfer has been accepted.")}
        )
    accepted_on = transfer.step_date(TransferState.ACCEPTED)
    _check_not_future(checked_on, "checked_on")
    due = add_months(accepted_on, months_after)
    if checked_on < due:
        raise ValidationError(
            {
                "checked_on": _(
                    "The %(months)d-month check cannot be dated before %(due)s "
                    "(acceptance on %(accepted)s + %(months)d months)."
                )
                % {"months": months_after, "due": _fmt(due), "accepted": _fmt(accepted_on)}
            }
        )
    if transfer.sustainment_checks.filter(months_after=months_after).exists():
        raise ValidationError(
            {
                "months_after": _("The %(months)d-month check is already recorded.")
                % {"months": months_after}
            }
        )
    if months_after == 12:
        six = transfer.sustainment_checks.filter(months_after=6).first()
        if six is None:
            raise ValidationError({"months_after": _("Record the 6-month check first.")})
        if checked_on < six.checked_on:
            raise ValidationError(
                {
                    "checked_on": _(
                        "Dates cannot go backwards: the 6-month check is dated %(date)s."
                    )
                    % {"date": _fmt(six.checked_on)}
                }
            )
    if cases_in_period is None or cases_in_period < 0:
        raise ValidationError({"cases_in_period": _("Give a number of cases (0 or more).")})
    check = SustainmentCheck(
        transfer=transfer,
        months_after=months_after,
        checked_on=checked_on,
        still_performed=still_performed,
        cases_in_period=cases_in_period,
        note=note,
    )
    check.full_clean()
    check.save()
    if transfer.capability_id:
        capability = transfer.capability
        if capability.active and not still_performed:
            catalog_services.retire_capability(capability, checked_on)
        elif still_performed and not capability.active:
            catalog_services.reactivate_capability(capability)
    if still_performed and transfer.state == TransferState.ACCEPTED:
        transfer.state = TransferState.SUSTAINED
        transfer.state_date = checked_on
        transfer.save(update_fields=["state", "state_date", "last_updated"])
        TransferStep.objects.create(
            transfer=transfer,
            state=TransferState.SUSTAINED,
            date=checked_on,
            note=note
            or _("Still performed %(months)d months after acceptance.") % {"months": months_after},
            recorded_by=user,
        )
    return check


def acceptance_progress(transfer: TechniqueTransfer) -> dict:
    """Cases recorded against the minimum, for the detail page and the API."""
    supervised = transfer.cases(CaseKind.SUPERVISED)
    independent = transfer.cases(CaseKind.INDEPENDENT)
    needed = transfer.min_independent_cases
    return {
        "supervised": supervised,
        "independent": independent,
        "needed": needed,
        "missing": max(0, needed - independent),
        "ready": independent >= needed,
    }


def level_rank(level: str | None) -> int:
    return LEVEL_ORDER.get(level, 0) if level else 0
