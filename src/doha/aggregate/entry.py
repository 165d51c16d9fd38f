"""The data-entry form of a data set, a facility and a period.

The grid is built from the data set's sections and elements (each element's disaggregation
gives the columns); what the clerk types goes through the one write path
(``datavalues.apply_values``) so that the form refuses exactly what imports and the API
refuse. Before saving, the clerk sees validation-rule violations and outliers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from itertools import groupby

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.aggregate import services
from doha.aggregate.models import CompleteRegistration, DataSet, DataValue
from doha.aggregate.periods import Period, PeriodError, parse_period, period_containing
from doha.orgunits.models import OrgUnit


def field_name(de_uid: str, coc_uid: str) -> str:
    return f"v:{de_uid}:{coc_uid}"


@dataclass
class Cell:
    element: object
    option_combo: object
    name: str
    value: str = ""
    error: str = ""
    outlier: str = ""


@dataclass
class Row:
    element: object
    cells: list[Cell]


@dataclass
class Block:
    """Consecutive elements of one section sharing a disaggregation: one table."""

    section: str
    columns: list
    rows: list[Row] = field(default_factory=list)


def latest_open_period(data_set: DataSet, today: datetime.date | None = None) -> Period:
    """As in DHIS2: with no open future periods, the last period that has ended; each open
    future period adds one (1 opens the running period)."""
    today = today or timezone.localdate()
    latest = period_containing(today, data_set.period_type).previous()
    for _i in range(data_set.open_future_periods):
        latest = latest.next()
    return latest


def entry_periods(data_set: DataSet, today: datetime.date | None = None, count=12) -> list[Period]:
    """The periods a clerk may pick, newest first."""
    periods = [latest_open_period(data_set, today)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods


def check_open(data_set: DataSet, period: Period, today: datetime.date | None = None):
    """Refuse a period of another type, one not open yet, or one past its expiry days."""
    today = today or timezone.localdate()
    if period.period_type != data_set.period_type:
        raise ValidationError(
            {
                "pe": _("%(ds)s is reported by %(type)s periods; %(pe)s is not one.")
                % {
                    "ds": data_set.name,
                    "type": data_set.get_period_type_display().lower(),
                    "pe": period.id,
                }
            }
        )
    if period.start > latest_open_period(data_set, today).start:
        raise ValidationError(
            {"pe": _("Period %(pe)s is not open for entry yet.") % {"pe": period.id}}
        )
    if data_set.expiry_days and today > period.end + datetime.timedelta(days=data_set.expiry_days):
        raise ValidationError(
            {
                "pe": _("Entry for %(pe)s closed %(days)s days after the period ended.")
                % {"pe": period.id, "days": data_set.expiry_days}
            }
        )


class EntryForm:
    """The grid of one data set x facility x period, with stored or typed values."""

    def __init__(self, user, data_set: DataSet, org_unit: OrgUnit, period: Period):
        self.user = user
        self.data_set = data_set
        self.org_unit = org_unit
        self.period = period
        self.attribute_option_combo = services.default_option_combo()
        self.elements = list(
            data_set.elements.select_related(
                "data_element", "data_element__category_combo", "category_combo"
            ).order_by("sort_order", "pk")
        )
        combos = {e.effective_combo.pk: e.effective_combo for e in self.elements}
        self.option_combos = {
            pk: list(combo.option_combos.order_by("sort_order", "pk"))
            for pk, combo in combos.items()
        }
        self.stored = {
            (v.data_element_id, v.category_option_combo_id): v
            for v in DataValue.objects.live().filter(
                data_element__in=[e.data_element for e in self.elements],
                org_unit=org_unit,
                period=period.id,
                attribute_option_combo=self.attribute_option_combo,
            )
        }
        self.typed: dict[tuple[int, int], str] | None = None
        self.errors: dict[str, str] = {}
        self.outliers: dict[str, str] = {}

    # -- grid -----------------------------------------------------------------------------
    def value_of(self, de, coc) -> str:
        if self.typed is not None:
            return self.typed.get((de.pk, coc.pk), "")
        stored = self.stored.get((de.pk, coc.pk))
        return stored.value if stored else ""

    def blocks(self) -> list[Block]:
        blocks = []
        for (section, combo_pk), members in groupby(
            self.elements, key=lambda e: (e.section, e.effective_combo.pk)
        ):
            cocs = self.option_combos[combo_pk]
            block = Block(section=section, columns=cocs)
            for member in members:
                de = member.data_element
                cells = []
                for coc in cocs:
                    name = field_name(de.uid, coc.uid)
                    cells.append(
                        Cell(
                            de,
                            coc,
                            name,
                            self.value_of(de, coc),
                            self.errors.get(name, ""),
                            self.outliers.get(name, ""),
                        )
                    )
                block.rows.append(Row(de, cells))
            blocks.append(block)
        return blocks

    @property
    def complete_registration(self):
        return CompleteRegistration.objects.filter(
            data_set=self.data_set,
            org_unit=self.org_unit,
            period=self.period.id,
            attribute_option_combo=self.attribute_option_combo,
            completed=True,
        ).first()

    # -- input ----------------------------------------------------------------------------
    def bind(self, data):
        self.typed = {}
        for member in self.elements:
            de = member.data_element
            for coc in self.option_combos[member.effective_combo.pk]:
                self.typed[(de.pk, coc.pk)] = (data.get(field_name(de.uid, coc.uid)) or "").strip()

    def changed_rows(self):
        """Value rows for the cells whose text differs from what is stored (a cleared cell
        deletes its value, as in DHIS2)."""
        from doha.aggregate.datavalues import ValueRow

        rows = []
        for member in self.elements:
            de = member.data_element
            for coc in self.option_combos[member.effective_combo.pk]:
                typed = self.typed.get((de.pk, coc.pk), "")
                stored = self.stored.get((de.pk, coc.pk))
                if typed == (stored.value if stored else ""):
                    continue
                rows.append(
                    ValueRow(
                        data_element=de,
                        period=self.period,
                        org_unit=self.org_unit,
                        category_option_combo=coc,
                        attribute_option_combo=self.attribute_option_combo,
                        value=typed,
                        deleted=not typed,
                        data_set=self.data_set,
                        index=len(rows),
                    )
                )
        return rows

    def _cell_for_conflict(self, rows, summary):
        """Put each conflict on the cells of the rows it refused."""
        names = [field_name(r.data_element.uid, r.category_option_combo.uid) for r in rows]
        for conflict in summary.conflicts:
            if not conflict.indexes:
                self.errors.setdefault("__all__", conflict.value)
            for index in conflict.indexes:
                if 0 <= index < len(names):
                    self.errors[names[index]] = conflict.value

    def typed_numbers(self) -> dict[tuple[str, str], float]:
        """What the clerk typed, as numbers, keyed by (element uid, option combo uid)."""
        from doha.aggregate.datavalues import parse_number

        out = {}
        for member in self.elements:
            de = member.data_element
            if not de.is_numeric:
                continue
            for coc in self.option_combos[member.effective_combo.pk]:
                text = self.typed.get((de.pk, coc.pk), "")
                if not text:
                    continue
                try:
                    out[(de.uid, coc.uid)] = float(parse_number(text))
                except (ValueError, TypeError, ArithmeticError, ValidationError):
                    continue
        return out

    def check(self):
        """Dry-run the write path and evaluate rules and outliers on what was typed."""
        from doha.aggregate.datavalues import apply_values
        from doha.analytics.outliers import outliers_of_cells
        from doha.analytics.validation import run_rules

        rows = self.changed_rows()
        summary = apply_values(self.user, rows, dry_run=True, atomic=True, action="change")
        self._cell_for_conflict(rows, summary)
        numbers = self.typed_numbers()
        cells = []
        for (de_uid, coc_uid), number in numbers.items():
            member = next(m for m in self.elements if m.data_element.uid == de_uid)
            coc = next(c for c in self.option_combos[member.effective_combo.pk] if c.uid == coc_uid)
            cells.append((member.data_element, coc, number))
        for (de, coc, _number), flag in zip(
            cells, outliers_of_cells(self.org_unit, cells, self.period), strict=True
        ):
            if flag:
                self.outliers[field_name(de.uid, coc.uid)] = str(flag)
        violations = run_rules(self.org_unit, self.period, data_set=self.data_set, values=numbers)
        return summary, violations

    @transaction.atomic
    def save(self, *, complete: bool | None = None):
        from doha.aggregate.datavalues import apply_values

        rows = self.changed_rows()
        summary = apply_values(self.user, rows, dry_run=False, atomic=True, action="change")
        self._cell_for_conflict(rows, summary)
        if self.errors:
            return summary
        if complete is not None:
            self.set_complete(complete)
        return summary

    def set_complete(self, complete: bool):
        now = timezone.now()
        name = self.user.get_username()
        registration, created = CompleteRegistration.objects.get_or_create(
            data_set=self.data_set,
            org_unit=self.org_unit,
            period=self.period.id,
            attribute_option_combo=self.attribute_option_combo,
            defaults={"completed": complete, "date": now, "stored_by": name},
        )
        if not created:
            registration.completed = complete
            registration.last_updated_by = name
            if complete:
                registration.date = now
            registration.save()
        return registration


def resolve(user, ds_uid: str, ou_uid: str, pe_id: str, action="add"):
    """The data set, facility and period named in a request, checked: the facility must be
    in the user's scope and assigned to the data set. Raises ValidationError naming the field."""
    data_set = DataSet.objects.filter(uid=ds_uid).first()
    if data_set is None:
        raise ValidationError({"ds": _("Choose a data set.")})
    org_unit = OrgUnit.objects.restrict(user, "view").filter(uid=ou_uid).first()
    if org_unit is None:
        raise ValidationError({"ou": _("Choose a facility in your area.")})
    if not data_set.org_units.filter(pk=org_unit.pk).exists():
        raise ValidationError(
            {"ou": _("%(ou)s does not report %(ds)s.") % {"ou": org_unit.name, "ds": data_set.name}}
        )
    try:
        period = parse_period(pe_id)
    except PeriodError as exc:
        raise ValidationError({"pe": str(exc)}) from exc
    return data_set, org_unit, period
