"""The share of follow-up actions closed on time, as monthly data values of the aggregate layer.

Two computed data elements per owner facility and month (the month of the action's due date),
in the data set ``DS_VISIT_ACTIONS``, and one indicator that divides them:

``ACT_FOLLOWUP_DUE`` (``computed_from = "followup_due"``)
    follow-up actions due in the month for the owner facility; dropped actions do not count
    (they were judged not worth doing, so they are neither on time nor late);
``ACT_FOLLOWUP_ON_TIME`` (``computed_from = "followup_on_time"``)
    of those, the actions closed as done on or before their due date. A month with actions
    due stores its zero too (the element's zeros are significant): "none on time" is
    information;
``IND_FOLLOWUP_ON_TIME``
    actions closed on time (%) = ACT_FOLLOWUP_ON_TIME / ACT_FOLLOWUP_DUE × 100.

The aggregate app's metadata file does not define them (this app owns them):
``ensure_metadata`` creates them, with fixed UIDs, the first time figures are computed.
Values are written through the one write path of data values (``datavalues.apply_values``),
stored by ``doha-visits``, only what changed, as the activity figures are
(``doha.aggregate.activities``). ``compute_actions`` recomputes a range of months
(``manage.py compute_actions``); ``on_record_changed`` (connected in ``VisitsConfig.ready``)
recomputes the owner facility's month after an action was saved.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from doha.aggregate import services
from doha.aggregate.activities import (
    ActivitySummary,
    _unit_ids,
    months_between,
    write_computed,
)
from doha.aggregate.models import (
    AggregationType,
    DataElement,
    DataElementSource,
    DataSet,
    DataSetElement,
    PeriodType,
    ValueType,
)

STORED_BY = "doha-visits"

FOLLOWUP_DUE = "followup_due"
FOLLOWUP_ON_TIME = "followup_on_time"
FIGURES = (FOLLOWUP_DUE, FOLLOWUP_ON_TIME)

DUE_CODE = "ACT_FOLLOWUP_DUE"
ON_TIME_CODE = "ACT_FOLLOWUP_ON_TIME"
DATA_SET_CODE = "DS_VISIT_ACTIONS"
INDICATOR_CODE = "IND_FOLLOWUP_ON_TIME"

# Fixed UIDs so that every instance (and an export to DHIS2) names them the same.
DUE_UID = "VaDueFUp001"
ON_TIME_UID = "VaOnTime001"
DATA_SET_UID = "VaDsFUp0001"
INDICATOR_UID = "VaIndOnT001"
PERCENT_TYPE_UID = "V5EPCAd0FRf"  # IT_PERCENT of the default metadata

ELEMENTS = (
    {
        "uid": DUE_UID,
        "code": DUE_CODE,
        "computed_from": FOLLOWUP_DUE,
        "name": "Hành động khắc phục đến hạn",
        "short_name": "Hành động khắc phục đến hạn",
        "description": (
            "Follow-up actions after visits due in the month for the owner facility "
            "(dropped ones aside), from the visit records."
        ),
        "zero_is_significant": False,
    },
    {
        "uid": ON_TIME_UID,
        "code": ON_TIME_CODE,
        "computed_from": FOLLOWUP_ON_TIME,
        "name": "Hành động khắc phục hoàn thành đúng hạn",
        "short_name": "Hành động khắc phục đúng hạn",
        "description": (
            "Of the follow-up actions due in the month, those done on or before their due "
            "date, from the visit records."
        ),
        "zero_is_significant": True,
    },
)

# (org unit id, first day of the month) -> figure
Counts = dict[tuple[int, datetime.date], int]


# ------------------------------------------------------------------------------ metadata


@transaction.atomic
def ensure_metadata() -> list[DataElement]:
    """The two data elements, their data set and the indicator (created when missing, left
    alone otherwise)."""
    from doha.analytics.models import Indicator, IndicatorType

    coc = services.ensure_defaults()
    combo = coc.category_combo
    elements = []
    for spec in ELEMENTS:
        element = DataElement.objects.filter(code=spec["code"]).first()
        if element is None:
            element = DataElement.objects.create(
                uid=spec["uid"],
                code=spec["code"],
                name=spec["name"],
                short_name=spec["short_name"],
                form_name=spec["name"],
                description=spec["description"],
                value_type=ValueType.INTEGER_ZERO_OR_POSITIVE,
                aggregation_type=AggregationType.SUM,
                category_combo=combo,
                zero_is_significant=spec["zero_is_significant"],
                source=DataElementSource.COMPUTED,
                computed_from=spec["computed_from"],
            )
        elements.append(element)
    data_set = DataSet.objects.filter(code=DATA_SET_CODE).first()
    if data_set is None:
        data_set = DataSet.objects.create(
            uid=DATA_SET_UID,
            code=DATA_SET_CODE,
            name="Hành động khắc phục sau giám sát (tự tính)",
            short_name="Hành động khắc phục",
            description=(
                "Follow-up actions after visits, computed from doha's visit records; "
                "nobody types them."
            ),
            period_type=PeriodType.MONTHLY,
            category_combo=combo,
        )
    for order, element in enumerate(elements):
        DataSetElement.objects.get_or_create(
            data_set=data_set, data_element=element, defaults={"sort_order": order}
        )
    if not Indicator.objects.filter(code=INDICATOR_CODE).exists():
        percent = (
            IndicatorType.objects.filter(code="IT_PERCENT").first()
            or IndicatorType.objects.filter(uid=PERCENT_TYPE_UID).first()
            or IndicatorType.objects.create(
                uid=PERCENT_TYPE_UID, code="IT_PERCENT", name="Phần trăm", factor=100
            )
        )
        Indicator.objects.create(
            uid=INDICATOR_UID,
            code=INDICATOR_CODE,
            name="Tỷ lệ hành động khắc phục hoàn thành đúng hạn (%)",
            short_name="Hành động khắc phục đúng hạn",
            description="Follow-up actions done on time per 100 actions due in the month.",
            indicator_type=percent,
            numerator=f"#{{{elements[1].uid}}}",
            numerator_description=elements[1].name,
            denominator=f"#{{{elements[0].uid}}}",
            denominator_description=elements[0].name,
            decimals=1,
        )
    return elements


# ------------------------------------------------------------------------------ figures


def figures(first: datetime.date, last: datetime.date, org_unit_ids=None) -> dict[str, Counts]:
    """Actions due and actions done on time, per owner facility and month of the due date."""
    from doha.visits.models import ActionStatus, FollowUpAction

    qs = FollowUpAction.objects.filter(due_date__gte=first, due_date__lte=last).exclude(
        status=ActionStatus.DROPPED
    )
    if org_unit_ids is not None:
        qs = qs.filter(owner_facility_id__in=org_unit_ids)
    rows = (
        qs.annotate(month=TruncMonth("due_date"))
        .values("owner_facility_id", "month")
        .annotate(
            due=Count("pk"),
            on_time=Count(
                "pk",
                filter=Q(
                    status=ActionStatus.DONE,
                    closed_on__isnull=False,
                    closed_on__lte=F("due_date"),
                ),
            ),
        )
        .order_by()
    )
    due: Counts = defaultdict(int)
    on_time: Counts = defaultdict(int)
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        key = (row["owner_facility_id"], month.replace(day=1))
        due[key] += row["due"]
        on_time[key] += row["on_time"]
    return {FOLLOWUP_DUE: dict(due), FOLLOWUP_ON_TIME: dict(on_time)}


def on_time_share(org_unit, month: datetime.date) -> float | None:
    """The share (0–100) of the unit's actions due in the month that were done on time (the
    unit's own, not those below it); None when none was due."""
    first = month.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    found = figures(first, last, [org_unit.pk])
    due = found[FOLLOWUP_DUE].get((org_unit.pk, first), 0)
    if not due:
        return None
    return 100.0 * found[FOLLOWUP_ON_TIME].get((org_unit.pk, first), 0) / due


def record_span() -> tuple[datetime.date, datetime.date] | None:
    from doha.visits.models import FollowUpAction

    found = FollowUpAction.objects.aggregate(first=Min("due_date"), last=Max("due_date"))
    if not found["first"]:
        return None
    return found["first"], found["last"]


# ------------------------------------------------------------------------------ writing


def compute_actions(
    start_period, end_period, *, org_units=None, dry_run: bool = False
) -> ActivitySummary:
    """Recompute the action figures of the months from ``start_period`` to ``end_period`` (for
    ``org_units`` only, when given) and write what changed. Periods as in
    ``doha.aggregate.activities.compute_activities``."""
    months = months_between(start_period, end_period)
    summary = ActivitySummary(periods=[m.id for m in months], dry_run=dry_run)
    elements = ensure_metadata()
    summary.elements = len(elements)
    unit_ids = _unit_ids(org_units)
    values = figures(months[0].start, months[-1].end, unit_ids)
    coc = services.default_option_combo()
    wanted = {
        (element.pk, coc.pk, ou, start): number
        for element in elements
        for (ou, start), number in values[element.computed_from].items()
    }
    due = values[FOLLOWUP_DUE]

    def keep_zero(element, ou, start):
        # A zero is kept only where actions were due (and the element keeps zeros).
        return element.zero_is_significant and due.get((ou, start), 0) > 0

    return write_computed(
        summary,
        elements,
        wanted,
        months,
        unit_ids,
        stored_by=STORED_BY,
        dry_run=dry_run,
        keep_zero=keep_zero,
    )


def recompute_for(org_unit, date, until=None) -> ActivitySummary:
    """Recompute one facility's action figures for the month of ``date`` (through ``until``)."""
    if org_unit is None or date is None:
        return ActivitySummary()
    end = until or date
    if end < date:
        date, end = end, date
    # A month still to come has no figure yet (and the write path refuses future periods).
    end = min(end, timezone.localdate())
    if end < date:
        return ActivitySummary()
    return compute_actions(date, end, org_units=[org_unit])


def compute_recorded(until: datetime.date | None = None) -> ActivitySummary:
    """The action figures of every month with an action due (up to ``until``, default: this
    month's end): the demo loader's call."""
    span = record_span()
    if span is None:
        return ActivitySummary()
    last = min(span[1], until or timezone.localdate())
    if last < span[0]:
        return ActivitySummary()
    summary = compute_actions(span[0], last)
    if summary.conflicts:
        raise RuntimeError("Action figures refused:\n" + "\n".join(summary.conflicts[:20]))
    return summary


def on_record_changed(sender, org_unit, first, last=None, **kwargs):
    """Receiver of ``doha.core.signals.record_changed``: a follow-up action recomputes its
    owner facility's month (the sender logs a failure; the action stays saved)."""
    from doha.visits.models import FollowUpAction

    if sender is not FollowUpAction:
        return None
    return recompute_for(org_unit, first, last)
