"""Reporting completeness and timeliness of a data set, as DHIS2 reports them.

For a data set, a parent unit and periods: the expected reports are the facilities under the
parent (in the user's scope) that the data set is assigned to; a report is complete when a
complete registration exists, and timely when it was marked complete no later than
``timely_days`` days after the period ended.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from doha.aggregate.models import CompleteRegistration, DataSet
from doha.aggregate.periods import Period
from doha.orgunits.models import OrgUnit


@dataclass
class CompletenessRow:
    org_unit: OrgUnit
    expected: int = 0
    actual: int = 0
    on_time: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)  # (period id, unit name)

    @property
    def rate(self) -> float | None:
        return 100.0 * self.actual / self.expected if self.expected else None

    @property
    def timely_rate(self) -> float | None:
        return 100.0 * self.on_time / self.expected if self.expected else None


def deadline(data_set: DataSet, period: Period) -> datetime.date:
    return period.end + datetime.timedelta(days=data_set.timely_days)


def completeness(
    user, data_set: DataSet, parent: OrgUnit, periods: list[Period]
) -> tuple[list[CompletenessRow], CompletenessRow]:
    """One row per child of ``parent`` (its own subtree counted), and the total."""
    assigned = (
        data_set.org_units.filter(path__startswith=parent.path)
        .filter(pk__in=OrgUnit.objects.restrict(user, "view").values("pk"))
        .values_list("pk", "path", "name", "opening_date", "closing_date")
    )
    assigned = list(assigned)
    children = list(
        OrgUnit.objects.restrict(user, "view").filter(parent=parent).order_by("sort_name")
    )
    rows = {child.pk: CompletenessRow(child) for child in children}
    own = CompletenessRow(parent)
    total = CompletenessRow(parent)

    def row_for(path: str) -> CompletenessRow:
        for child in children:
            if path.startswith(child.path):
                return rows[child.pk]
        return own

    period_ids = [p.id for p in periods]
    registrations = {
        (r.org_unit_id, r.period): timezone.localtime(r.date).date()
        for r in CompleteRegistration.objects.filter(
            Q(data_set=data_set) & Q(period__in=period_ids) & Q(completed=True),
            org_unit_id__in=[unit[0] for unit in assigned],
        ).only("org_unit_id", "period", "date")
    }
    for pk, path, name, opened, closed in assigned:
        row = row_for(path)
        for period in periods:
            # A facility is expected to report only for periods while it was open.
            if (opened and period.end < opened) or (closed and period.start >= closed):
                continue
            row.expected += 1
            total.expected += 1
            done = registrations.get((pk, period.id))
            if done is None:
                row.missing.append((period.id, name))
                total.missing.append((period.id, name))
                continue
            row.actual += 1
            total.actual += 1
            if done <= deadline(data_set, period):
                row.on_time += 1
                total.on_time += 1
    result = [rows[c.pk] for c in children if rows[c.pk].expected]
    if own.expected:
        result.insert(0, own)
    return result, total
