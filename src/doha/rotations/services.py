"""Business rules of rotations and secondments, in one place.

Pages, the REST API and the demo loader all go through these functions; each runs in one
transaction and refuses with a ``ValidationError`` naming the field and the reason:

* the end is after the start;
* the period lasts between the programme's shortest and longest secondment
  (``Programme.min_secondment_months``/``max_secondment_months``), or between
  ``DOHA_ROTATION_MIN_MONTHS`` and ``DOHA_ROTATION_MAX_MONTHS`` (3 and 6, seed 001)
  without a programme;
* one person is never in two places at once: no overlap with another rotation of the
  same worker that is not cancelled;
* with a programme, both facilities are parties of it (or units under a party);
* the sending and receiving facilities differ;
* outputs are recorded only once the rotation has started.

``user=None`` means the system itself (demo loader, commands): no scope check.
"""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.core.scope import in_scope
from doha.core.signals import notify_records_changed
from doha.rotations.models import Rotation, RotationStatus

OUTPUT_FIELDS = ("patients_examined", "surgeries", "techniques_transferred", "people_trained")


def add_months(date: datetime.date, months: int) -> datetime.date:
    """31/08 + 6 months -> 28/02 (or 29/02): the last day when the month is shorter."""
    month_index = date.month - 1 + months
    year = date.year + month_index // 12
    month = month_index % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def _fmt(date: datetime.date) -> str:
    return date.strftime("%d/%m/%Y")


def policy_months(programme=None) -> tuple[int, int]:
    """The shortest and longest period, in months, for a rotation under ``programme``."""
    if programme is not None:
        return programme.min_secondment_months, programme.max_secondment_months
    return (
        getattr(settings, "DOHA_ROTATION_MIN_MONTHS", 3),
        getattr(settings, "DOHA_ROTATION_MAX_MONTHS", 6),
    )


def period_bounds(start: datetime.date, programme=None) -> tuple[datetime.date, datetime.date]:
    """The earliest and latest end allowed for a rotation starting on ``start``:
    3 months from 01/03 end on 31/05 at the earliest, 6 months on 31/08 at the latest."""
    shortest, longest = policy_months(programme)
    one_day = datetime.timedelta(days=1)
    return add_months(start, shortest) - one_day, add_months(start, longest) - one_day


def overlapping(rotation: Rotation):
    """The worker's other rotations (not cancelled) sharing at least a day with this one."""
    qs = Rotation.objects.filter(
        worker_id=rotation.worker_id, start__lte=rotation.end, end__gte=rotation.start
    ).exclude(status=RotationStatus.CANCELLED)
    if rotation.pk:
        qs = qs.exclude(pk=rotation.pk)
    return qs.select_related("to_facility").order_by("start")


def _under_party(unit, programme) -> bool:
    paths = [p.org_unit.path for p in programme.parties.select_related("org_unit")]
    return any(unit.path.startswith(path) for path in paths)


def validate(rotation: Rotation, *, user=None) -> None:
    """Every rule on the rotation's own fields; all the errors at once."""
    if rotation.worker_id and not rotation.from_facility_id:
        rotation.from_facility = rotation.worker.facility
    errors: dict[str, list[str]] = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    start, end = rotation.start, rotation.end
    if start is None:
        refuse("start", _("Give the start date."))
    if end is None:
        refuse("end", _("Give the end date."))
    if start and end:
        if end <= start:
            refuse("end", _("The end must be after the start."))
        else:
            earliest, latest = period_bounds(start, rotation.programme)
            shortest, longest = policy_months(rotation.programme)
            if rotation.programme is not None:
                policy = _("the policy of the programme %(programme)s") % {
                    "programme": rotation.programme
                }
            else:
                policy = _("the default policy")
            if end < earliest or end > latest:
                refuse(
                    "end",
                    _(
                        "The period must last from %(min)d to %(max)d months (%(policy)s): "
                        "starting on %(start)s, it ends between %(earliest)s and %(latest)s."
                    )
                    % {
                        "min": shortest,
                        "max": longest,
                        "policy": policy,
                        "start": _fmt(start),
                        "earliest": _fmt(earliest),
                        "latest": _fmt(latest),
                    },
                )
    if rotation.from_facility_id and rotation.from_facility_id == rotation.to_facility_id:
        refuse("to_facility", _("The receiving facility must differ from the sending facility."))
    programme = rotation.programme
    if programme is not None:
        for field in ("from_facility", "to_facility"):
            unit = getattr(rotation, field, None) if getattr(rotation, f"{field}_id") else None
            if unit is not None and not _under_party(unit, programme):
                refuse(
                    field,
                    _("%(unit)s is not a party of the programme %(programme)s.")
                    % {"unit": unit, "programme": programme},
                )
    for field in ("from_facility", "to_facility"):
        unit = getattr(rotation, field) if getattr(rotation, f"{field}_id") else None
        if unit is not None and not unit.active and field not in errors:
            refuse(field, _("%(unit)s is retired.") % {"unit": unit})
    if rotation.worker_id and start and end and end > start:
        other = overlapping(rotation).first()
        if other is not None:
            refuse(
                "worker",
                _(
                    "%(worker)s is already at %(facility)s from %(start)s to %(end)s "
                    "(rotation %(uid)s): one person cannot be in two places at once."
                )
                % {
                    "worker": rotation.worker.full_name,
                    "facility": other.to_facility,
                    "start": _fmt(other.start),
                    "end": _fmt(other.end),
                    "uid": other.uid,
                },
            )
    if user is not None and rotation.from_facility_id and rotation.to_facility_id:
        if not (
            in_scope(user, rotation.from_facility.path) or in_scope(user, rotation.to_facility.path)
        ):
            refuse(
                "to_facility",
                _("Either the sending or the receiving facility must be in your scope."),
            )
    if errors:
        raise ValidationError(errors)


def _save_techniques(rotation, techniques):
    if techniques is not None:
        rotation.techniques.set(techniques)


@transaction.atomic
def create_rotation(rotation: Rotation, *, techniques=None, user=None) -> Rotation:
    """Plan a rotation (its status is "planned" until outputs are recorded)."""
    rotation.status = RotationStatus.PLANNED
    validate(rotation, user=user)
    rotation.full_clean(exclude=["techniques"], validate_unique=False)
    rotation.save()
    _save_techniques(rotation, techniques)
    _notify(rotation)
    return rotation


def _notify(*rotations) -> None:
    """The receiving facilities' monthly figures over the rotations' spans (old and new
    span on an edit) are recomputed once the change is committed."""
    notify_records_changed(
        Rotation, [(r.to_facility, r.start, r.end) for r in rotations if r is not None]
    )


@transaction.atomic
def update_rotation(rotation: Rotation, *, techniques=None, user=None) -> Rotation:
    """Save edits: the same rules as on creation; a cancelled rotation is not edited."""
    stored = Rotation.objects.select_for_update().get(pk=rotation.pk)
    if stored.status == RotationStatus.CANCELLED:
        raise ValidationError({"status": _("A cancelled rotation cannot be changed.")})
    if rotation.status == RotationStatus.CANCELLED:
        raise ValidationError({"status": _("Cancel the rotation with the cancel action.")})
    validate(rotation, user=user)
    rotation.save()
    _save_techniques(rotation, techniques)
    _notify(stored, rotation)
    return rotation


@transaction.atomic
def cancel_rotation(rotation: Rotation, *, reason: str = "", user=None) -> Rotation:
    if rotation.status == RotationStatus.CANCELLED:
        raise ValidationError({"status": _("The rotation is already cancelled.")})
    if rotation.status == RotationStatus.COMPLETED:
        raise ValidationError({"status": _("A completed rotation cannot be cancelled.")})
    rotation.status = RotationStatus.CANCELLED
    rotation.cancel_reason = reason.strip()
    rotation.save(update_fields=["status", "cancel_reason", "last_updated"])
    _notify(rotation)
    return rotation


@transaction.atomic
def record_outputs(rotation: Rotation, *, user=None, today=None, **outputs) -> Rotation:
    """Record what the rotation produced; possible only once it has started. The status
    becomes "ongoing", or "completed" once the end has passed."""
    today = today or timezone.localdate()
    if rotation.status == RotationStatus.CANCELLED:
        raise ValidationError({"status": _("The rotation is cancelled: it has no outputs.")})
    if rotation.start > today:
        raise ValidationError(
            {
                "start": _(
                    "Outputs can be recorded only once the rotation has started "
                    "(it starts on %(start)s)."
                )
                % {"start": _fmt(rotation.start)}
            }
        )
    errors = {}
    for field in OUTPUT_FIELDS:
        value = outputs.get(field)
        if value is not None and value < 0:
            errors[field] = _("The number cannot be negative.")
        setattr(rotation, field, value)
    if errors:
        raise ValidationError(errors)
    rotation.outputs_note = (outputs.get("outputs_note") or "").strip()
    rotation.status = RotationStatus.COMPLETED if rotation.end < today else RotationStatus.ONGOING
    rotation.save()
    return rotation


# ---------------------------------------------------------------- timeline


def timeline(queryset, year: int) -> list[dict]:
    """Per receiving facility, the rotations overlapping ``year``, each with 12 month cells
    (True when the worker is there at least a day of that month)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    rows = (
        queryset.filter(start__lte=last, end__gte=first)
        .exclude(status=RotationStatus.CANCELLED)
        .select_related("worker", "from_facility", "to_facility")
        .order_by("to_facility__sort_name", "start", "pk")
    )
    groups: dict[int, dict] = {}
    for r in rows:
        months = []
        for m in range(1, 13):
            m_first = datetime.date(year, m, 1)
            m_last = datetime.date(year, m, calendar.monthrange(year, m)[1])
            months.append(r.start <= m_last and r.end >= m_first)
        group = groups.setdefault(
            r.to_facility_id, {"facility": r.to_facility, "rows": [], "counts": [0] * 12}
        )
        group["rows"].append({"rotation": r, "months": months})
        for i, here in enumerate(months):
            group["counts"][i] += int(here)
    return list(groups.values())
