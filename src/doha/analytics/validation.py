"""Validation rules: is ``left operator right`` true for a facility and a period?

``run_rules`` checks one facility and period, on its stored values or on values a clerk
has typed and not saved yet (the data-entry form passes ``{(de_uid, coc_uid): number}``);
``run_rules_for`` checks a subtree over periods for a validation-analysis list.

DHIS2's semantics: each side is an expression (``doha.analytics.expressions``) evaluated
with its own missing-value strategy; a side without a value skips the rule, except for the
pair operators: ``compulsory_pair`` is violated when one side has data and the other none,
``exclusive_pair`` when both have data. A facility's rule is evaluated on its own values
(not its subtree's); a rule of a period type longer than the data's uses the sum of the
values that roll up into its period.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils.translation import gettext as _

from doha.aggregate.models import DataSet, DataValue
from doha.aggregate.periods import TYPE_ORDER, Period, parse_period
from doha.aggregate.services import default_option_combo
from doha.analytics import expressions
from doha.analytics.models import Constant, Importance, Operator, ValidationRule
from doha.analytics.periods import contained_periods, rank, resolve_periods
from doha.core.scope import can
from doha.core.text import format_number
from doha.orgunits.models import OrgUnit

__all__ = ["Violation", "run_rules", "run_rules_for", "rules_for"]

IMPORTANCE_ORDER = {Importance.HIGH: 0, Importance.MEDIUM: 1, Importance.LOW: 2}


@dataclass
class Violation:
    rule: ValidationRule
    org_unit: OrgUnit
    period: Period
    left_value: float | None
    right_value: float | None

    @property
    def importance(self) -> str:
        return self.rule.importance

    @property
    def message(self) -> str:
        rule = self.rule
        if rule.operator == Operator.COMPULSORY_PAIR:
            text = _("“%(rule)s”: %(left)s and %(right)s must be filled in together.") % {
                "rule": rule.name,
                "left": rule.left_side_description or _("left side"),
                "right": rule.right_side_description or _("right side"),
            }
        elif rule.operator == Operator.EXCLUSIVE_PAIR:
            text = _("“%(rule)s”: %(left)s and %(right)s cannot both be filled in.") % {
                "rule": rule.name,
                "left": rule.left_side_description or _("left side"),
                "right": rule.right_side_description or _("right side"),
            }
        else:
            text = _(
                "“%(rule)s”: %(left)s (%(left_value)s) %(op)s %(right)s (%(right_value)s) "
                "is not true."
            ) % {
                "rule": rule.name,
                "left": rule.left_side_description or _("left side"),
                "left_value": _number(self.left_value),
                "op": rule.get_operator_display(),
                "right": rule.right_side_description or _("right side"),
                "right_value": _number(self.right_value),
            }
        if rule.instruction:
            text = f"{text} {rule.instruction}"
        return text

    def __str__(self):
        return self.message


def _number(value) -> str:
    if value is None:
        return "—"
    decimals = 0 if float(value).is_integer() else 2
    return format_number(value, decimals)


def _as_period(period) -> Period:
    return period if isinstance(period, Period) else parse_period(str(period))


def rules_for(period_type: str, data_set: DataSet | None = None) -> list[ValidationRule]:
    """The rules of a period type; with a data set, those that use one of its elements."""
    rules = list(ValidationRule.objects.filter(period_type=period_type).order_by("name"))
    if data_set is None:
        return rules
    uids = set(data_set.data_elements.values_list("uid", flat=True))
    out = []
    for rule in rules:
        try:
            refs = expressions.items(rule.left_side) + expressions.items(rule.right_side)
        except expressions.ExpressionError:
            continue
        if any(ref.data_element in uids for ref in refs):
            out.append(rule)
    return out


def _refs(rules) -> list[expressions.ItemRef]:
    out = {}
    for rule in rules:
        for side in (rule.left_side, rule.right_side):
            try:
                for ref in expressions.items(side):
                    out.setdefault(ref, None)
            except expressions.ExpressionError:
                continue
    return list(out)


def _item_values(cells: Mapping[tuple[str, str, str], float], refs) -> dict[str, float]:
    """Item key -> value from (de uid, coc uid, aoc uid) -> value cells."""
    out = {}
    for ref in refs:
        total, found = 0.0, False
        for (de, coc, aoc), value in cells.items():
            if de != ref.data_element:
                continue
            if ref.coc not in (None, "*") and ref.coc != coc:
                continue
            if ref.aoc is not None and ref.aoc != aoc:
                continue
            total += value
            found = True
        if found:
            out[ref.key] = total
    return out


def _stored_cells(units, period: Period, element_uids) -> dict[int, dict[tuple, float]]:
    """unit id -> {(de uid, coc uid, aoc uid): value} of values rolling up into ``period``."""
    types = [t for t in TYPE_ORDER if rank(t) <= rank(period.period_type)]
    rows = (
        DataValue.objects.filter(
            org_unit__in=units,
            data_element__uid__in=element_uids,
            start_date__gte=period.start,
            start_date__lte=period.end,
            period_type__in=types,
            deleted=False,
            numeric_value__isnull=False,
        )
        .values(
            "org_unit_id",
            "data_element__uid",
            "category_option_combo__uid",
            "attribute_option_combo__uid",
        )
        .annotate(total=Sum("numeric_value"))
        .order_by()
    )
    out: dict[int, dict[tuple, float]] = defaultdict(dict)
    for row in rows:
        key = (
            row["data_element__uid"],
            row["category_option_combo__uid"],
            row["attribute_option_combo__uid"],
        )
        out[row["org_unit_id"]][key] = row["total"]
    return out


def _compare(operator: str, left: float, right: float) -> bool:
    close = math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    if operator == Operator.EQUAL_TO:
        return close
    if operator == Operator.NOT_EQUAL_TO:
        return not close
    if operator == Operator.GREATER_THAN:
        return left > right and not close
    if operator == Operator.GREATER_THAN_OR_EQUAL_TO:
        return left > right or close
    if operator == Operator.LESS_THAN:
        return left < right and not close
    if operator == Operator.LESS_THAN_OR_EQUAL_TO:
        return left < right or close
    raise ValueError(operator)


def _check(rule, values, constants, days, org_unit, period) -> Violation | None:
    try:
        left = expressions.evaluate(
            rule.left_side, values, rule.left_missing_value_strategy, constants, days
        )
        right = expressions.evaluate(
            rule.right_side, values, rule.right_missing_value_strategy, constants, days
        )
    except expressions.ExpressionError:
        return None
    if rule.operator == Operator.COMPULSORY_PAIR:
        broken = (left is None) != (right is None)
    elif rule.operator == Operator.EXCLUSIVE_PAIR:
        broken = left is not None and right is not None
    else:
        if left is None or right is None:
            return None
        broken = not _compare(rule.operator, left, right)
    if not broken:
        return None
    return Violation(rule, org_unit, period, left, right)


def _constants(rules) -> dict[str, float]:
    uids = set()
    for rule in rules:
        for side in (rule.left_side, rule.right_side):
            try:
                uids.update(expressions.constants_in(side))
            except expressions.ExpressionError:
                continue
    return dict(Constant.objects.filter(uid__in=uids).values_list("uid", "value"))


def run_rules(
    org_unit: OrgUnit,
    period,
    data_set: DataSet | None = None,
    values: Mapping[tuple[str, str], float] | None = None,
    rules: Iterable[ValidationRule] | None = None,
) -> list[Violation]:
    """The rules ``org_unit`` breaks for ``period`` (a Period or "202401").

    ``values`` are numbers typed but not saved, keyed by (data element uid, option combo
    uid) in the default attribute combo: for the data set's elements (or, without a data
    set, the elements they name) they replace what is stored, so a cell emptied in the form
    counts as empty. ``rules`` defaults to the rules of the period's type (that use one of
    the data set's elements, when a data set is given)."""
    period = _as_period(period)
    rules = list(rules) if rules is not None else rules_for(period.period_type, data_set)
    if not rules:
        return []
    refs = _refs(rules)
    element_uids = {ref.data_element for ref in refs}
    cells = _stored_cells([org_unit], period, element_uids).get(org_unit.pk, {})
    if values is not None:
        if data_set is not None:
            typed_elements = set(data_set.data_elements.values_list("uid", flat=True))
        else:
            typed_elements = {de for de, _coc in values}
        aoc = default_option_combo().uid
        cells = {k: v for k, v in cells.items() if k[0] not in typed_elements}
        for (de, coc), number in values.items():
            if number is not None:
                cells[(de, coc, aoc)] = float(number)
    item_values = _item_values(cells, refs)
    constants = _constants(rules)
    days = (period.end - period.start).days + 1
    violations = []
    for rule in rules:
        violation = _check(rule, item_values, constants, days, org_unit, period)
        if violation is not None:
            violations.append(violation)
    violations.sort(key=lambda v: (IMPORTANCE_ORDER.get(v.importance, 9), v.rule.name))
    return violations


def run_rules_for(
    user,
    org_unit: OrgUnit,
    periods: Iterable,
    rules: Iterable[ValidationRule] | None = None,
    data_set: DataSet | None = None,
    reference_date=None,
) -> list[Violation]:
    """Validation analysis: every violation in ``org_unit``'s subtree (within the user's
    scope) over ``periods`` (ISO or relative periods, or Period objects). A rule runs for
    each period of its own type inside the periods asked (monthly rules over 2024Q1 run for
    its three months)."""
    if not can(user, DataValue, "view"):
        raise PermissionDenied(_("Your role does not allow this action."))
    units_qs = OrgUnit.objects.restrict(user, "view")
    if not units_qs.filter(pk=org_unit.pk).exists():
        raise PermissionDenied(_("This org unit is outside your scope."))
    units = list(units_qs.filter(path__startswith=org_unit.path))
    units = [u for u in units if u.path.startswith(org_unit.path)]
    asked = []
    texts = []
    for period in periods:
        if isinstance(period, Period):
            asked.append(period)
        else:
            texts.append(str(period))
    asked.extend(resolve_periods(texts, reference_date))
    all_rules = list(rules) if rules is not None else None
    violations = []
    by_type: dict[str, list[Period]] = defaultdict(list)
    candidates = all_rules if all_rules is not None else list(ValidationRule.objects.all())
    if data_set is not None:
        uids = set(data_set.data_elements.values_list("uid", flat=True))
        candidates = [r for r in candidates if any(ref.data_element in uids for ref in _refs([r]))]
    for rule in candidates:
        by_type[rule.period_type].append(rule)
    constants = _constants(candidates)
    for period_type, type_rules in by_type.items():
        periods_of_type = {}
        for period in asked:
            if rank(period.period_type) < rank(period_type):
                continue
            for inner in contained_periods(period, period_type):
                periods_of_type.setdefault(inner.id, inner)
        refs = _refs(type_rules)
        element_uids = {ref.data_element for ref in refs}
        for period in sorted(periods_of_type.values(), key=lambda p: p.start):
            stored = _stored_cells(units, period, element_uids)
            for unit in units:
                cells = stored.get(unit.pk)
                if not cells:
                    continue
                item_values = _item_values(cells, refs)
                days = (period.end - period.start).days + 1
                for rule in type_rules:
                    violation = _check(rule, item_values, constants, days, unit, period)
                    if violation is not None:
                        violations.append(violation)
    violations.sort(
        key=lambda v: (
            v.org_unit.sort_name,
            v.period.start,
            IMPORTANCE_ORDER.get(v.importance, 9),
            v.rule.name,
        )
    )
    return violations
