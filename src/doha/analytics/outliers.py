"""Outliers: a value far from what the same cell usually holds.

The data-entry form asks, for each number typed, whether it lies outside the cell's usual
range: the mean of the same cell (facility, data element, option combo, attribute combo)
over the previous 12 periods of the same type, plus or minus 3 standard deviations (the
z-score test of DHIS2's outlier detection, population standard deviation). With fewer than
3 earlier values nothing is judged. A cell whose history never varied (standard deviation
0) uses a min-max range instead: the history's extremes, widened by half of its mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from doha.aggregate.models import CategoryOptionCombo, DataElement, DataValue, ValueType
from doha.aggregate.periods import Period, parse_period
from doha.aggregate.services import default_option_combo
from doha.core.text import format_number
from doha.orgunits.models import OrgUnit

__all__ = [
    "HISTORY",
    "MIN_HISTORY",
    "THRESHOLD",
    "Outlier",
    "outliers",
    "outliers_of_cells",
    "usual_range",
]

HISTORY = 12
MIN_HISTORY = 3
THRESHOLD = 3.0
NON_NEGATIVE = {
    ValueType.INTEGER_POSITIVE,
    ValueType.INTEGER_ZERO_OR_POSITIVE,
    ValueType.PERCENTAGE,
    ValueType.UNIT_INTERVAL,
}


@dataclass
class Outlier:
    value: float
    mean: float
    std_dev: float
    z_score: float | None
    low: float
    high: float
    history: int
    method: str  # "z_score" or "min_max"

    def __bool__(self):
        return True

    @property
    def message(self) -> str:
        values = {
            "value": _fmt(self.value),
            "low": _fmt(self.low),
            "high": _fmt(self.high),
            "mean": _fmt(self.mean),
            "n": self.history,
        }
        if self.z_score is not None:
            values["z"] = format_number(self.z_score, 1)
            return (
                _(
                    "Unusual value: %(value)s is outside %(low)s–%(high)s (mean %(mean)s of "
                    "the %(n)s previous periods, z-score %(z)s)."
                )
                % values
            )
        return (
            _(
                "Unusual value: %(value)s is outside %(low)s–%(high)s (the %(n)s previous "
                "periods all held %(mean)s)."
            )
            % values
        )

    def __str__(self):
        return self.message


def _fmt(value: float) -> str:
    return format_number(value, 0 if float(value).is_integer() else 1)


def _previous_periods(period: Period) -> list[str]:
    previous = []
    current = period
    for _step in range(HISTORY):
        current = current.previous()
        previous.append(current.id)
    return previous


def _histories(org_unit, cells, aoc, period: Period) -> dict[tuple[int, int], list[float]]:
    """The previous periods' numbers of every (data element, option combo) cell, one query."""
    element_ids = {de.pk for de, _coc in cells}
    wanted = {(de.pk, coc.pk) for de, coc in cells}
    out: dict[tuple[int, int], list[float]] = {key: [] for key in wanted}
    rows = DataValue.objects.filter(
        org_unit=org_unit,
        data_element_id__in=element_ids,
        attribute_option_combo=aoc,
        period__in=_previous_periods(period),
        deleted=False,
        numeric_value__isnull=False,
    ).values_list("data_element_id", "category_option_combo_id", "numeric_value")
    for de_id, coc_id, number in rows:
        if (de_id, coc_id) in out:
            out[(de_id, coc_id)].append(number)
    return out


def usual_range(history: list[float]) -> tuple[float, float, float, float, str] | None:
    """(low, high, mean, std dev, method) of a history, or None when it is too short."""
    if len(history) < MIN_HISTORY:
        return None
    mean = sum(history) / len(history)
    std_dev = math.sqrt(sum((v - mean) ** 2 for v in history) / len(history))
    if std_dev > 0:
        return mean - THRESHOLD * std_dev, mean + THRESHOLD * std_dev, mean, std_dev, "z_score"
    margin = max(abs(mean) * 0.5, 1.0)
    return min(history) - margin, max(history) + margin, mean, 0.0, "min_max"


def outliers(
    org_unit: OrgUnit,
    data_element: DataElement,
    coc: CategoryOptionCombo,
    period,
    value,
    aoc: CategoryOptionCombo | None = None,
) -> Outlier | None:
    """An ``Outlier`` (true, with a message) when ``value`` is unusual for this cell;
    None when it is usual or the cell has too little history to tell."""
    return outliers_of_cells(org_unit, [(data_element, coc, value)], period, aoc)[0]


def outliers_of_cells(
    org_unit: OrgUnit,
    cells: list[tuple[DataElement, CategoryOptionCombo, object]],
    period,
    aoc: CategoryOptionCombo | None = None,
) -> list[Outlier | None]:
    """``outliers`` of many cells of one facility and period (a data-entry form), with one
    query for all their histories. One answer per cell, in order."""
    numbers: list[float | None] = []
    for _de, _coc, value in cells:
        try:
            numbers.append(None if value is None or value == "" else float(value))
        except (TypeError, ValueError):
            numbers.append(None)
    judged = [(de, coc) for (de, coc, _v), n in zip(cells, numbers, strict=True) if n is not None]
    if not judged:
        return [None] * len(cells)
    period = period if isinstance(period, Period) else parse_period(str(period))
    aoc = aoc or default_option_combo()
    histories = _histories(org_unit, judged, aoc, period)
    return [
        None if number is None else _judge(de, number, histories[(de.pk, coc.pk)])
        for (de, coc, _v), number in zip(cells, numbers, strict=True)
    ]


def _judge(data_element: DataElement, number: float, history: list[float]) -> Outlier | None:
    bounds = usual_range(history)
    if bounds is None:
        return None
    low, high, mean, std_dev, method = bounds
    if data_element.value_type in NON_NEGATIVE:
        low = max(low, 0.0)
    if low <= number <= high:
        return None
    z_score = (number - mean) / std_dev if std_dev else None
    return Outlier(
        value=number,
        mean=mean,
        std_dev=std_dev,
        z_score=z_score,
        low=low,
        high=high,
        history=len(history),
        method=method,
    )
