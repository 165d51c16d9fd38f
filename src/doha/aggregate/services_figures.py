"""Service figures of preventive-medicine centres as data values, computed from the records of
service vaccination and service revenue (issue 7, seed 000).

Three figures per unit and month fill the computed data elements of the ``DS_SERVICES`` data
set. Each is disaggregated by a category; ``doha.vaccines.revenue`` computes them:

``service_revenue`` (``SVC_REVENUE``, by ``CAT_REVENUE_SOURCE``)
    VND of the unit's receipts in the month, cancelled ones aside, by revenue source
    (``revenue.monthly_revenue``);
``doses_by_antigen`` (``SVC_DOSES``, by ``CAT_ANTIGEN``)
    doses given at the unit's stores in the month, by antigen; a dose of a combined vaccine
    counts once for each of its antigens (``revenue.doses_by_antigen``);
``aefi_counts`` (``SVC_AEFI``, by ``CAT_AEFI_SEVERITY``)
    adverse events that began in the month after doses given at the unit, by severity
    (``revenue.aefi_counts``). A month in which the unit gave doses stores its zeros too
    (the element's zeros are significant): "no adverse event" is information.

A figure's key (a revenue source code, an antigen code, a severity) goes to the option
combination of the element's disaggregation whose option code is the category's prefix and
the key in upper case (``REV_VACCINATION``, ``AG_FLU``, ``AEFI_SERIOUS``); a key without an
option of its own goes to the category's ``…_OTHER`` option (an antigen added to the
catalogue later), or, when there is none, is reported in ``unmapped`` and left out. A
computed element with the "default" disaggregation gets the total of the figure.

Values are stored at the unit the records belong to (the centre, a vaccination point) and
roll up in analytics. They are written like the activity figures (``activities``): through
the one write path (``datavalues.apply_values``), stored by ``doha-services``, only what
changed, a figure that fell to zero deleted; running it twice changes nothing.

``compute_services`` recomputes a range of months (``manage.py compute_services``);
``recompute_for`` one unit and the month of a date, after a receipt, a dose or an adverse
event changed (the ``record_changed`` signal, see ``activities.on_record_changed``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Min
from django.utils import timezone

from doha.aggregate.activities import (
    ActivitySummary,
    _unit_ids,
    months_between,
    write_computed,
)
from doha.aggregate.models import DataElement, DataElementSource
from doha.aggregate.periods import Period
from doha.orgunits.models import OrgUnit

STORED_BY = "doha-services"

SERVICE_REVENUE = "service_revenue"
DOSES_BY_ANTIGEN = "doses_by_antigen"
AEFI_COUNTS = "aefi_counts"
FIGURES = (SERVICE_REVENUE, DOSES_BY_ANTIGEN, AEFI_COUNTS)
# The option code of a key is the prefix, "_" and the key in upper case.
PREFIXES = {SERVICE_REVENUE: "REV", DOSES_BY_ANTIGEN: "AG", AEFI_COUNTS: "AEFI"}
OTHER = "OTHER"

# (org unit id, first day of the month) -> figure -> key -> number
UnitFigures = dict[tuple[int, datetime.date], dict[str, dict[str, int]]]


@dataclass
class ServiceSummary(ActivitySummary):
    """What a computation found and changed; ``unmapped`` names the keys without an option
    in their element's disaggregation (left out)."""

    unmapped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {**super().as_dict(), "unmapped": self.unmapped}


# ------------------------------------------------------------------------------ figures


def _moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def active_unit_ids(first: datetime.date, last: datetime.date, org_unit_ids=None) -> set[int]:
    """The units with a receipt, a dose or an adverse event between ``first`` and ``last``."""
    from doha.vaccines.models import Aefi, Dose, Receipt

    start, end = _moment(first), _moment(last + datetime.timedelta(days=1))
    receipts = Receipt.objects.filter(date__gte=first, date__lte=last)
    doses = Dose.objects.filter(given_at__gte=start, given_at__lt=end)
    events = Aefi.objects.filter(onset_at__gte=start, onset_at__lt=end)
    if org_unit_ids is not None:
        receipts = receipts.filter(org_unit_id__in=org_unit_ids)
        doses = doses.filter(visit__store__org_unit_id__in=org_unit_ids)
        events = events.filter(dose__visit__store__org_unit_id__in=org_unit_ids)
    found = set(receipts.values_list("org_unit_id", flat=True).distinct())
    found |= set(doses.values_list("visit__store__org_unit_id", flat=True).distinct())
    found |= set(events.values_list("dose__visit__store__org_unit_id", flat=True).distinct())
    return found


def unit_figures(months: list[Period], org_unit_ids=None) -> UnitFigures:
    """The three figures of each unit with records, for each month (``revenue``'s own
    functions compute them, so the values are the figures its pages show)."""
    from doha.vaccines import revenue

    ids = active_unit_ids(months[0].start, months[-1].end, org_unit_ids)
    out: UnitFigures = {}
    for unit in OrgUnit.objects.filter(pk__in=ids).order_by("pk"):
        for month in months:
            doses = revenue.doses_by_antigen(unit, month.start)
            aefis = revenue.aefi_counts(unit, month.start)
            money = {k: v for k, v in revenue.monthly_revenue(unit, month.start).items() if v}
            if not (doses or money or any(aefis.values())):
                continue
            out[(unit.pk, month.start)] = {
                SERVICE_REVENUE: money,
                DOSES_BY_ANTIGEN: doses,
                # Zeros count only where doses were given (or an event began).
                AEFI_COUNTS: aefis if doses or any(aefis.values()) else {},
            }
    return out


def record_span() -> tuple[datetime.date, datetime.date] | None:
    """The first and last day a receipt, dose or adverse event falls on (None: none)."""
    from doha.vaccines.models import Aefi, Dose, Receipt

    days = [d for d in Receipt.objects.aggregate(a=Min("date"), b=Max("date")).values() if d]
    for model, name in ((Dose, "given_at"), (Aefi, "onset_at")):
        found = model.objects.aggregate(a=Min(name), b=Max(name))
        days.extend(timezone.localtime(d).date() for d in found.values() if d)
    if not days:
        return None
    return min(days), max(days)


# ------------------------------------------------------------------------------ writing


def computed_elements() -> list[DataElement]:
    """The data elements filled by these figures."""
    return list(
        DataElement.objects.filter(
            source=DataElementSource.COMPUTED, computed_from__in=FIGURES
        ).select_related("category_combo")
    )


def _cells(element: DataElement) -> dict[str, object]:
    """Option code -> option combo of the element's disaggregation ("" -> the default)."""
    combos = list(element.category_combo.option_combos.prefetch_related("options"))
    if element.category_combo.is_default:
        return {"": combos[0]}
    cells = {}
    for coc in combos:
        options = list(coc.options.all())
        if len(options) == 1 and options[0].code:
            cells[options[0].code.upper()] = coc
    return cells


def _cell_for(element, cells, key: str):
    if "" in cells:
        return cells[""]
    prefix = PREFIXES[element.computed_from]
    return cells.get(f"{prefix}_{key.upper()}") or cells.get(f"{prefix}_{OTHER}")


def compute_services(
    start_period, end_period, *, org_units=None, dry_run: bool = False
) -> ServiceSummary:
    """Recompute the service figures of the months from ``start_period`` to ``end_period``
    (for ``org_units`` only, when given) and write what changed. Periods as in
    ``activities.compute_activities``."""
    months = months_between(start_period, end_period)
    summary = ServiceSummary(periods=[m.id for m in months], dry_run=dry_run)
    elements = computed_elements()
    summary.elements = len(elements)
    if not elements:
        return summary
    unit_ids = _unit_ids(org_units)
    wanted: dict[tuple[int, int, int, datetime.date], int] = defaultdict(int)
    unmapped = set()
    found = unit_figures(months, unit_ids)
    for element in elements:
        cells = _cells(element)
        for (ou, start), figures in found.items():
            for key, number in figures.get(element.computed_from, {}).items():
                coc = _cell_for(element, cells, key)
                if coc is None:
                    unmapped.add(f"{element.code or element.name}: {key}")
                    continue
                wanted[(element.pk, coc.pk, ou, start)] += int(number or 0)
    summary.unmapped = sorted(unmapped)
    # A unit-month the records no longer give loses its stored values.
    return write_computed(
        summary,
        elements,
        wanted,
        months,
        unit_ids,
        stored_by=STORED_BY,
        dry_run=dry_run,
        missing_is_zero=False,
    )


def recompute_for(org_unit, date, until=None) -> ServiceSummary:
    """Recompute the service figures of one unit for the month of ``date`` (through the
    month of ``until``). Nothing happens when the computed data elements are not loaded."""
    if org_unit is None or date is None:
        return ServiceSummary()
    if isinstance(date, datetime.datetime):
        date = timezone.localtime(date).date() if timezone.is_aware(date) else date.date()
    end = until or date
    if isinstance(end, datetime.datetime):
        end = timezone.localtime(end).date() if timezone.is_aware(end) else end.date()
    if end < date:
        date, end = end, date
    return compute_services(date, end, org_units=[org_unit])


def compute_recorded(until: datetime.date | None = None) -> ServiceSummary:
    """The service figures of every month that has records (up to ``until``): the demo
    loader's call once the vaccination demo is loaded."""
    span = record_span()
    if span is None:
        return ServiceSummary()
    last = min(span[1], until or timezone.localdate())
    if last < span[0]:
        return ServiceSummary()
    summary = compute_services(span[0], last)
    if summary.conflicts:
        raise RuntimeError("Service figures refused:\n" + "\n".join(summary.conflicts[:20]))
    return summary
