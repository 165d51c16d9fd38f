"""Activity figures as data values, computed from doha's own records.

Five figures per receiving facility and month fill the computed data elements of the
``DS_ACTIVITIES`` data set (``DataElement.source == "computed"``; ``computed_from`` names
the figure), so that one analytics layer serves entered statistics and activities alike:

``transfers_accepted``
    technique transfers accepted (nghiệm thu) in the month, counted for the receiving
    facility (the date of the transfer's "accepted" step);
``rotation_staff``
    rotations and secondments present at the receiving facility during the month (not
    cancelled, at least one day of the month);
``people_trained``
    health workers of the facility who passed a course that ended in the month (each
    worker once a month, however many courses);
``consultations``
    remote consultations the facility requested in the month (local time);
``donation_value``
    total value in VND of the donations the unit received in the month.

Values are written through the one write path of data values (``datavalues.apply_values``,
stored by ``doha-activities``) so that the value audit trail and the analytics rollups stay
right. Only what changed is sent: a figure that is unchanged is left alone, a new or different
one is created or updated, and a stored value whose figure fell to zero is deleted (a zero is
kept only for a data element whose zeros are significant). Running it twice changes nothing.

``compute_activities`` recomputes a range of months (``manage.py compute_activities``);
``recompute_for`` recomputes one facility and the month of a date (or a span), for the
activity apps' services to call after a record changes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.aggregate import services
from doha.aggregate.models import (
    CategoryOptionCombo,
    DataElement,
    DataElementSource,
    DataSet,
    DataSetElement,
    DataValue,
    PeriodType,
)
from doha.aggregate.periods import Period, parse_period, period_containing, periods_between
from doha.core.permissions import Role
from doha.orgunits.models import OrgUnit

STORED_BY = "doha-activities"

TRANSFERS_ACCEPTED = "transfers_accepted"
ROTATION_STAFF = "rotation_staff"
PEOPLE_TRAINED = "people_trained"
CONSULTATIONS = "consultations"
DONATION_VALUE = "donation_value"
FIGURES = (TRANSFERS_ACCEPTED, ROTATION_STAFF, PEOPLE_TRAINED, CONSULTATIONS, DONATION_VALUE)

# (org unit id, first day of the month) -> figure
Counts = dict[tuple[int, datetime.date], int]


class ActivityError(ValueError):
    """A bad argument, named with the reason (periods, org units)."""


@dataclass
class ActivitySummary:
    """What a computation found and changed."""

    periods: list[str] = field(default_factory=list)
    elements: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def as_dict(self) -> dict:
        return {
            "periods": self.periods,
            "elements": self.elements,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "dry_run": self.dry_run,
        }


# ------------------------------------------------------------------------------ periods


def _to_period(value, label: str) -> Period:
    if isinstance(value, Period):
        return value
    if isinstance(value, datetime.date):
        return period_containing(value, PeriodType.MONTHLY)
    try:
        return parse_period(str(value))
    except ValueError as exc:
        raise ActivityError(_("%(field)s: %(reason)s") % {"field": label, "reason": exc}) from exc


def months_between(start, end) -> list[Period]:
    """The months from the start of ``start`` to the end of ``end`` (periods, period ids
    such as 202401 or 2024Q1, or dates)."""
    first = _to_period(start, "start")
    last = _to_period(end, "end")
    if last.end < first.start:
        raise ActivityError(
            _("end: %(end)s is before the start %(start)s.") % {"end": last.id, "start": first.id}
        )
    return periods_between(first.start, last.end, PeriodType.MONTHLY)


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


# ------------------------------------------------------------------------------ figures


def _unit_filter(field_name: str, org_unit_ids):
    return Q() if org_unit_ids is None else Q(**{f"{field_name}__in": org_unit_ids})


def transfers_accepted(first: datetime.date, last: datetime.date, org_unit_ids=None) -> Counts:
    """Transfers accepted in each month, per receiving facility."""
    from doha.transfers.models import TechniqueTransfer, TransferState

    rows = (
        TechniqueTransfer.objects.filter(_unit_filter("recipient_id", org_unit_ids))
        .annotate(accepted_on=Min("steps__date", filter=Q(steps__state=TransferState.ACCEPTED)))
        .filter(accepted_on__gte=first, accepted_on__lte=last)
        .values_list("recipient_id", "accepted_on")
    )
    counts: Counts = defaultdict(int)
    for unit_id, day in rows:
        counts[(unit_id, _month_start(day))] += 1
    return counts


def rotation_staff(first: datetime.date, last: datetime.date, org_unit_ids=None) -> Counts:
    """Rotations (and secondments) present at the receiving facility at least one day of
    each month; cancelled ones do not count."""
    from doha.rotations.models import Rotation, RotationStatus

    rows = (
        Rotation.objects.filter(_unit_filter("to_facility_id", org_unit_ids))
        .filter(start__lte=last, end__gte=first)
        .exclude(status=RotationStatus.CANCELLED)
        .values_list("to_facility_id", "start", "end")
    )
    counts: Counts = defaultdict(int)
    for unit_id, start, end in rows:
        month = _month_start(max(start, first))
        stop = min(end, last)
        while month <= stop:
            counts[(unit_id, month)] += 1
            month = _next_month(month)
    return counts


def people_trained(first: datetime.date, last: datetime.date, org_unit_ids=None) -> Counts:
    """Workers of each facility who passed a course ending in the month (once each)."""
    from doha.training.models import CourseStatus, Enrolment, Result

    rows = (
        Enrolment.objects.filter(_unit_filter("worker__facility_id", org_unit_ids))
        .filter(result=Result.PASSED, course__end_date__gte=first, course__end_date__lte=last)
        .exclude(course__status=CourseStatus.CANCELLED)
        .values_list("worker__facility_id", "course__end_date", "worker_id")
        .distinct()
    )
    workers: dict[tuple[int, datetime.date], set[int]] = defaultdict(set)
    for unit_id, day, worker_id in rows:
        workers[(unit_id, _month_start(day))].add(worker_id)
    return {key: len(ids) for key, ids in workers.items()}


def consultations(first: datetime.date, last: datetime.date, org_unit_ids=None) -> Counts:
    """Remote consultations each facility requested in the month (in local time)."""
    from doha.telehealth.models import Consultation

    def moment(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    rows = (
        Consultation.objects.filter(_unit_filter("requesting_id", org_unit_ids))
        .filter(
            requested_at__gte=moment(first),
            requested_at__lt=moment(last + datetime.timedelta(days=1)),
        )
        .values_list("requesting_id", "requested_at")
    )
    counts: Counts = defaultdict(int)
    for unit_id, moment_at in rows:
        counts[(unit_id, _month_start(timezone.localtime(moment_at).date()))] += 1
    return counts


def donation_value(first: datetime.date, last: datetime.date, org_unit_ids=None) -> Counts:
    """Total value (VND) of the donations each unit received in the month."""
    from doha.donations.models import DonationItem

    rows = (
        DonationItem.objects.filter(_unit_filter("donation__recipient_id", org_unit_ids))
        .filter(donation__date__gte=first, donation__date__lte=last)
        .values("donation__recipient_id", "donation__date")
        .annotate(total=Sum("total_value"))
        .values_list("donation__recipient_id", "donation__date", "total")
    )
    counts: Counts = defaultdict(int)
    for unit_id, day, total in rows:
        counts[(unit_id, _month_start(day))] += int(total or 0)
    return counts


FIGURE_FUNCTIONS = {
    TRANSFERS_ACCEPTED: transfers_accepted,
    ROTATION_STAFF: rotation_staff,
    PEOPLE_TRAINED: people_trained,
    CONSULTATIONS: consultations,
    DONATION_VALUE: donation_value,
}


def figures(first: datetime.date, last: datetime.date, org_unit_ids=None) -> dict[str, Counts]:
    """Every figure for the months from ``first`` to ``last`` (whole months)."""
    return {key: dict(fn(first, last, org_unit_ids)) for key, fn in FIGURE_FUNCTIONS.items()}


def record_span() -> tuple[datetime.date, datetime.date] | None:
    """The first and last day any activity record falls on (None when there is none)."""
    from doha.donations.models import Donation
    from doha.rotations.models import Rotation
    from doha.telehealth.models import Consultation
    from doha.training.models import Course
    from doha.transfers.models import TransferState, TransferStep

    days = []
    for queryset, name in (
        (TransferStep.objects.filter(state=TransferState.ACCEPTED), "date"),
        (Rotation.objects.all(), "start"),
        (Rotation.objects.all(), "end"),
        (Course.objects.all(), "end_date"),
        (Donation.objects.all(), "date"),
    ):
        found = queryset.aggregate(first=Min(name), last=Max(name))
        days.extend(d for d in found.values() if d)
    found = Consultation.objects.aggregate(first=Min("requested_at"), last=Max("requested_at"))
    days.extend(timezone.localtime(d).date() for d in found.values() if d)
    if not days:
        return None
    return min(days), max(days)


# ------------------------------------------------------------------------------ writing


def computed_elements() -> list[DataElement]:
    """The data elements filled by these figures (any number per figure)."""
    return list(
        DataElement.objects.filter(
            source=DataElementSource.COMPUTED, computed_from__in=FIGURES
        ).select_related("category_combo")
    )


def _unit_ids(org_units) -> list[int] | None:
    if org_units is None:
        return None
    ids = []
    for unit in org_units:
        ids.append(unit if isinstance(unit, int) else unit.pk)
    return ids


def compute_activities(
    start_period, end_period, *, org_units=None, dry_run: bool = False
) -> ActivitySummary:
    """Recompute the activity figures of the months from ``start_period`` to ``end_period``
    (for ``org_units`` only, when given) and write what changed.

    Periods are DHIS2 period ids (``202401``; a longer one such as ``2024`` or ``2024Q1``
    stands for its months), ``Period`` objects or dates.
    """
    months = months_between(start_period, end_period)
    summary = ActivitySummary(periods=[m.id for m in months], dry_run=dry_run)
    elements = computed_elements()
    summary.elements = len(elements)
    if not elements:
        return summary
    for element in elements:
        if not element.category_combo.is_default:
            raise ActivityError(
                _(
                    "%(element)s: a computed data element has no disaggregation; "
                    "its category combination must be “default”."
                )
                % {"element": element.code or element.name}
            )
    unit_ids = _unit_ids(org_units)
    values = figures(months[0].start, months[-1].end, unit_ids)
    coc = services.default_option_combo()
    wanted = {
        (element.pk, coc.pk, ou, start): number
        for element in elements
        for (ou, start), number in values[element.computed_from].items()
    }
    return write_computed(
        summary, elements, wanted, months, unit_ids, stored_by=STORED_BY, dry_run=dry_run
    )


def write_computed(
    summary: ActivitySummary,
    elements: list[DataElement],
    wanted: dict[tuple[int, int, int, datetime.date], int],
    months: list[Period],
    unit_ids: list[int] | None,
    *,
    stored_by: str,
    dry_run: bool,
    missing_is_zero: bool = True,
    keep_zero=None,
) -> ActivitySummary:
    """Bring the stored values of computed ``elements`` in ``months`` (of ``unit_ids``, or
    every unit) to the numbers ``wanted`` ((element pk, option combo pk, unit id, first day of
    the month) -> number), through the data values' write path as ``stored_by``; count what
    was created, updated, deleted and unchanged into ``summary``.

    A stored value with no wanted number counts as zero (``missing_is_zero``) or is deleted.
    A zero is stored only where ``keep_zero(element, unit id, month start)`` says so (by
    default: the element keeps zeros); otherwise a zero deletes the stored value. Shared by
    the activity, service and follow-up-action figures."""
    coc = services.default_option_combo()
    by_start = {m.start: m for m in months}
    existing = DataValue.objects.filter(
        data_element__in=elements,
        period_type=PeriodType.MONTHLY,
        start_date__gte=months[0].start,
        start_date__lte=months[-1].end,
        attribute_option_combo=coc,
        deleted=False,
    )
    if unit_ids is not None:
        existing = existing.filter(org_unit_id__in=unit_ids)
    stored = {
        (de, cell, ou, start): value
        for de, cell, ou, start, value in existing.values_list(
            "data_element_id", "category_option_combo_id", "org_unit_id", "start_date", "value"
        )
    }
    by_id = {e.pk: e for e in elements}
    to_write, to_delete = [], []
    for key in sorted(set(wanted) | set(stored)):
        de, cell, ou, start = key
        element = by_id[de]
        number = wanted.get(key)
        if number is None and missing_is_zero:
            number = 0
        before = stored.get(key)
        zero_kept = (
            keep_zero(element, ou, start) if keep_zero is not None else element.zero_is_significant
        )
        if number is None or (number == 0 and not zero_kept):
            if before is not None:
                to_delete.append((element, cell, ou, by_start[start]))
            continue
        text = str(number)
        if before is None:
            to_write.append((element, cell, ou, by_start[start], text))
            summary.created += 1
        elif _same(before, text):
            summary.unchanged += 1
        else:
            to_write.append((element, cell, ou, by_start[start], text))
            summary.updated += 1
    summary.deleted = len(to_delete)
    if to_write or to_delete:
        summary.conflicts = _write(to_write, to_delete, stored_by=stored_by, dry_run=dry_run)
        if summary.conflicts:
            summary.created = summary.updated = summary.deleted = 0
    return summary


def _same(stored: str, text: str) -> bool:
    if stored == text:
        return True
    try:
        return float(stored) == float(text)
    except ValueError:
        return False


class SystemWriter:
    """The system itself as the writer of values it computes: every facility, every action.
    The write path asks who writes (role, scope, name for the audit trail); computed values
    are written by doha, not by a person."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    is_anonymous = False
    pk = None

    def __init__(self, name: str):
        self.username = name
        self.role = Role.SYSTEM_ADMIN

    def get_username(self) -> str:
        return self.username

    def __str__(self):
        return self.username


def _assign(elements, unit_ids) -> None:
    """Each facility that gets a computed value reports a data set holding the element (the
    write path refuses a value of a data set the facility does not report)."""
    links = DataSetElement.objects.filter(
        data_element__in=elements, data_set__period_type=PeriodType.MONTHLY
    ).values_list("data_element_id", "data_set_id")
    sets_of: dict[int, list[int]] = defaultdict(list)
    for de_id, ds_id in links:
        sets_of[de_id].append(ds_id)
    through = DataSet.org_units.through
    assigned: dict[int, set[int]] = defaultdict(set)
    for ds_id, ou_id in through.objects.filter(orgunit_id__in=unit_ids).values_list(
        "dataset_id", "orgunit_id"
    ):
        assigned[ou_id].add(ds_id)
    new = set()
    for element in elements:
        choices = sorted(sets_of.get(element.pk, []))
        if not choices:
            raise ActivityError(
                _("%(element)s is in no monthly data set: add it to one (e.g. DS_ACTIVITIES).")
                % {"element": element.code or element.name}
            )
        for ou in unit_ids:
            if not assigned[ou] & set(choices):
                new.add((choices[0], ou))
                assigned[ou].add(choices[0])
    if new:
        through.objects.bulk_create(
            [through(dataset_id=ds, orgunit_id=ou) for ds, ou in sorted(new)]
        )


def _write(to_write, to_delete, *, stored_by: str, dry_run: bool) -> list[str]:
    """Send the changes through the data values' write path (an empty value deletes); the
    conflicts it reported. A dry run writes inside a transaction rolled back at the end."""
    from doha.aggregate.datavalues import CREATE_AND_UPDATE, ValueRow, apply_values

    changes = [*to_write, *((e, c, ou, p, "") for e, c, ou, p in to_delete)]
    unit_ids = sorted({ou for _e, _c, ou, _p, _v in changes})
    units = OrgUnit.objects.in_bulk(unit_ids)
    combos = CategoryOptionCombo.objects.in_bulk({c for _e, c, _ou, _p, _v in changes})
    rows = [
        ValueRow(
            data_element=element,
            period=period,
            org_unit=units[ou],
            category_option_combo=combos[cell],
            value=text,
        )
        for element, cell, ou, period, text in changes
    ]
    elements = list({e.pk: e for e, _c, _ou, _p, _v in changes}.values())
    with transaction.atomic():
        _assign(elements, unit_ids)
        summary = apply_values(
            SystemWriter(stored_by),
            rows,
            strategy=CREATE_AND_UPDATE,
            atomic=True,
            stored_by=stored_by,
        )
        if dry_run or not summary.ok:
            transaction.set_rollback(True)
    return [f"{c.object}: {c.value}" for c in summary.conflicts]


def recompute_for(org_unit, date: datetime.date, until: datetime.date | None = None):
    """Recompute the figures of one facility for the month of ``date`` (through the month
    of ``until`` when given: a rotation's whole span). For the activity apps' services to
    call after a record of that facility changed; nothing happens when the computed data
    elements are not loaded."""
    if org_unit is None or date is None:
        return ActivitySummary()
    if isinstance(date, datetime.datetime):
        date = timezone.localtime(date).date() if timezone.is_aware(date) else date.date()
    end = until or date
    if isinstance(end, datetime.datetime):
        end = timezone.localtime(end).date() if timezone.is_aware(end) else end.date()
    if end < date:
        date, end = end, date
    return compute_activities(date, end, org_units=[org_unit])


# ------------------------------------------------------------------------------ hooks


def on_record_changed(sender, org_unit, first, last=None, **kwargs):
    """Receiver of ``doha.core.signals.record_changed`` (connected in the app's ``ready``):
    a vaccination record (receipt, dose, adverse event) recomputes the unit's service
    figures, any other activity record its activity figures. It runs after the change was
    committed; a failure is logged by the sender and never undoes the record."""
    if getattr(getattr(sender, "_meta", None), "app_label", None) == "vaccines":
        from doha.aggregate import services_figures

        return services_figures.recompute_for(org_unit, first, last)
    return recompute_for(org_unit, first, last)
