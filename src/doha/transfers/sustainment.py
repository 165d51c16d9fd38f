"""Sustainment from the facility's own monthly counts: is a transferred technique still
performed 6 and 12 months after acceptance?

The monthly statistics carry one more data element for this, ``TECH_CASES`` ("cases
performed of a transferred technique"), disaggregated by the category ``TECH_TRANSFERRED``
whose options are techniques (option code = the catalogue's technique code). It is reported
through its own monthly data set ``DS_TECH_CASES`` by every facility that has accepted a
transfer (its own data set, so that reloading the default metadata, which keeps
``DS_MONTHLY`` exactly as shipped, never drops it). A technique's option, its option combo
and the facility's data-set assignment are made when a transfer is accepted (the
``record_changed`` signal the transfer service sends) and by ``manage.py
sync_technique_options``; clerks then enter the counts through the data-entry form, the
imports and the DHIS2 API like any other value. The metadata is written with the aggregate
app's own functions (``save_category``, ``save_category_combo``,
``set_data_set_elements``), so the same rules apply as on its pages.

The rule (``evaluate``):

* Month 1 is the calendar month after the month of acceptance (the date of the transfer's
  "accepted" step); months 1-6 and 7-12 are the two halves of the first year.
* Month 6 and month 12 are the checkpoints. A checkpoint is due once its month has ended.
* The technique is *performed* at a checkpoint when at least one case is counted in the
  3 months ending with it (months 4-6, months 10-12): a technique done a few times a quarter
  still counts, one that stopped does not.
* Status: **too early** while month 6 has not ended; **no data** when a checkpoint is due
  but the facility reported no count at all (not even a zero) for the technique in months
  1 to that checkpoint; **sustained at 6 months** when performed at month 6 and month 12
  has not ended; **sustained at 12 months** when performed at both; **fell silent** when a
  due checkpoint shows no case. A silent transfer lists its months without cases and, when
  the silence lasts to the last month ended, since when ("no cases since 03/2026: 8
  months").

``record_checks`` can write the result as the transfer's ``SustainmentCheck`` (through
``services.record_sustainment``: a positive check makes the transfer "sustained", a
negative one marks the capability as no longer performed).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.catalog.models import Technique
from doha.transfers import services
from doha.transfers.models import TechniqueTransfer, TransferState

DATA_ELEMENT_CODE = "TECH_CASES"
CATEGORY_CODE = "TECH_TRANSFERRED"
COMBO_CODE = "TECH_TRANSFERRED"
DATA_SET_CODE = "DS_TECH_CASES"
# Fixed UIDs: DHIS2 clients and national systems can rely on them.
DATA_ELEMENT_UID = "dohaTechCas"
CATEGORY_UID = "dohaTechCat"
COMBO_UID = "dohaTechCmb"
DATA_SET_UID = "dohaTechDSt"

ACCEPTED_STATES = (TransferState.ACCEPTED, TransferState.SUSTAINED)
CHECKPOINTS = (6, 12)
WINDOW = 3  # months ending at a checkpoint in which one case is enough

TOO_EARLY = "too_early"
NO_DATA = "no_data"
SUSTAINED_6 = "sustained_6"
SUSTAINED_12 = "sustained_12"
SILENT = "silent"
STATUSES = [
    (SUSTAINED_12, gettext_lazy("Sustained at 12 months")),
    (SUSTAINED_6, gettext_lazy("Sustained at 6 months")),
    (SILENT, gettext_lazy("Fell silent")),
    (TOO_EARLY, gettext_lazy("Too early")),
    (NO_DATA, gettext_lazy("No data")),
]
STATUS_LABELS = dict(STATUSES)


# ---------------------------------------------------------------- months


def month_key(year: int, month: int) -> str:
    return f"{year:04d}{month:02d}"


def shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def month_label(period: str) -> str:
    """ "202603" -> "03/2026"."""
    return f"{period[4:]}/{period[:4]}"


def last_month_ended(as_of: datetime.date) -> tuple[int, int]:
    """The last calendar month that has ended on ``as_of`` (its last day counts as ended)."""
    if as_of == month_end(as_of.year, as_of.month):
        return as_of.year, as_of.month
    return shift_month(as_of.year, as_of.month, -1)


# ---------------------------------------------------------------- metadata


def _metadata_models():
    from doha.aggregate import models as aggregate_models

    return aggregate_models


def option_name(technique: Technique) -> str:
    return f"{technique.code} {technique.name}"[:230]


def accepted_transfers(queryset=None):
    qs = TechniqueTransfer.objects.all() if queryset is None else queryset
    return qs.filter(state__in=ACCEPTED_STATES)


@transaction.atomic
def sync_technique_options(recipients=None) -> dict:
    """Make the metadata that carries per-technique monthly counts, up to date with the
    accepted transfers: one category option per technique transferred (code = technique
    code), the option combos, the data element ``TECH_CASES``, the data set
    ``DS_TECH_CASES`` and its assignment to the receiving facilities (``recipients``
    limits the assignment to these units; the options always follow every accepted
    transfer). Idempotent; returns what it created."""
    from doha.aggregate import metadata
    from doha.aggregate import services as aggregate_services

    m = _metadata_models()
    result = {"options": 0, "facilities": 0}
    transfers = accepted_transfers()
    technique_ids = set(transfers.values_list("technique_id", flat=True))
    if not technique_ids:
        return result
    techniques = list(Technique.objects.filter(pk__in=technique_ids).order_by("code"))
    category = m.Category.objects.filter(uid=CATEGORY_UID).first()
    current = category.ordered_options() if category is not None else []
    have = {o.code for o in current}
    existing = {
        o.code: o for o in m.CategoryOption.objects.filter(code__in=[t.code for t in techniques])
    }
    options = list(current)
    new_options = []
    for technique in techniques:
        if technique.code in have:
            continue
        if technique.code in existing:
            options.append(existing[technique.code])
        else:
            new_options.append((technique.code, option_name(technique)))
        result["options"] += 1
    if category is None:
        category = m.Category(
            uid=CATEGORY_UID,
            code=CATEGORY_CODE,
            name="Kỹ thuật đã nhận chuyển giao",
            short_name="Kỹ thuật chuyển giao",
            description="Transferred techniques: one option per catalogue technique (code).",
        )
    if category.pk is None or result["options"]:
        metadata.save_category(category, options, new_options)
    combo = m.CategoryCombo.objects.filter(uid=COMBO_UID).first()
    if combo is None:
        combo = m.CategoryCombo(
            uid=COMBO_UID,
            code=COMBO_CODE,
            name="Kỹ thuật đã nhận chuyển giao",
            short_name="Kỹ thuật chuyển giao",
        )
        metadata.save_category_combo(combo, [category])
    _code_option_combos(combo)
    element = m.DataElement.objects.filter(uid=DATA_ELEMENT_UID).first()
    if element is None:
        element = m.DataElement(
            uid=DATA_ELEMENT_UID,
            code=DATA_ELEMENT_CODE,
            name="Số ca thực hiện kỹ thuật đã nhận chuyển giao",
            short_name="Ca kỹ thuật chuyển giao",
            form_name="Số ca thực hiện trong tháng",
            description="Cases performed in the month of a technique received by transfer, "
            "by technique: shows whether the technique is sustained after acceptance.",
            value_type=m.ValueType.INTEGER_ZERO_OR_POSITIVE,
            aggregation_type=m.AggregationType.SUM,
            zero_is_significant=True,
            category_combo=combo,
        )
        element.full_clean()
        element.save()
    data_set = m.DataSet.objects.filter(uid=DATA_SET_UID).first()
    if data_set is None:
        data_set = m.DataSet(
            uid=DATA_SET_UID,
            code=DATA_SET_CODE,
            name="Số ca kỹ thuật đã nhận chuyển giao hằng tháng",
            short_name="Ca kỹ thuật chuyển giao",
            period_type=m.PeriodType.MONTHLY,
            category_combo=aggregate_services.default_combo(),
        )
        data_set.full_clean()
        data_set.save()
    if not data_set.elements.filter(data_element=element).exists():
        metadata.set_data_set_elements(data_set, [*data_set.data_elements.all(), element])
    units = transfers
    if recipients is not None:
        units = units.filter(recipient__in=recipients)
    wanted = set(units.values_list("recipient_id", flat=True))
    assigned = set(data_set.org_units.values_list("pk", flat=True))
    missing = wanted - assigned
    if missing:
        data_set.org_units.add(*missing)
        result["facilities"] = len(missing)
    return result


def _code_option_combos(combo) -> None:
    """Each option combo of the technique combo carries the technique code, so that files
    imported with ``idScheme=CODE`` can name it."""
    m = _metadata_models()
    for coc in combo.option_combos.prefetch_related("options").filter(code__isnull=True):
        options = list(coc.options.all())
        if len(options) != 1 or not options[0].code:
            continue
        if m.CategoryOptionCombo.objects.filter(code=options[0].code).exists():
            continue
        coc.code = options[0].code
        coc.save(update_fields=["code", "last_updated"])


def option_combos() -> dict[str, object]:
    """Technique code -> its option combo of ``TECH_CASES`` (empty before any acceptance)."""
    m = _metadata_models()
    out = {}
    for coc in m.CategoryOptionCombo.objects.filter(category_combo__uid=COMBO_UID).prefetch_related(
        "options"
    ):
        for option in coc.options.all():
            if option.code:
                out[option.code] = coc
    return out


def on_record_changed(sender, org_unit, first, last=None, **kwargs):
    """Receiver of ``doha.core.signals.record_changed``: a transfer accepted by ``org_unit``
    gets its technique option and the facility its data set."""
    if sender is not TechniqueTransfer:
        return
    sync_technique_options(recipients=[org_unit])


def connect() -> None:
    from doha.core.signals import record_changed

    record_changed.connect(on_record_changed, dispatch_uid="doha.transfers.sustainment")


# ---------------------------------------------------------------- evaluation


@dataclass
class MonthCount:
    number: int  # 1..12 after acceptance
    period: str  # YYYYMM
    cases: int | None  # None: nothing reported
    ended: bool

    @property
    def label(self) -> str:
        return month_label(self.period)


@dataclass
class Sustainment:
    transfer: TechniqueTransfer
    accepted_on: datetime.date | None
    status: str
    months: list[MonthCount] = field(default_factory=list)
    performed: dict[int, bool] = field(default_factory=dict)  # due checkpoints only
    window_cases: dict[int, int] = field(default_factory=dict)  # cases in the 3 months
    silent_months: list[str] = field(default_factory=list)
    silent_since: str | None = None
    silent_for: int = 0

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def cases_1_6(self) -> int:
        return sum(m.cases or 0 for m in self.months[:6])

    @property
    def cases_7_12(self) -> int:
        return sum(m.cases or 0 for m in self.months[6:12])

    @property
    def is_sustained(self) -> bool:
        return self.status in (SUSTAINED_6, SUSTAINED_12)

    @property
    def silence_text(self) -> str:
        if self.status != SILENT:
            return ""
        if self.silent_since:
            return _("no cases since %(month)s: %(n)d months") % {
                "month": month_label(self.silent_since),
                "n": self.silent_for,
            }
        return _("months without cases: %(months)s") % {
            "months": ", ".join(month_label(p) for p in self.silent_months)
        }


def _accepted_dates(transfers) -> dict[int, datetime.date]:
    from doha.transfers.models import TransferStep

    dates = {}
    for transfer_id, date in (
        TransferStep.objects.filter(
            transfer__in=[t.pk for t in transfers], state=TransferState.ACCEPTED
        )
        .order_by("transfer_id", "date")
        .values_list("transfer_id", "date")
    ):
        dates[transfer_id] = date  # the latest acceptance step wins
    return dates


def _counts(transfers, first: str, last: str) -> dict[tuple[int, str, str], int]:
    """(recipient id, technique code, YYYYMM) -> cases, for the months between ``first``
    and ``last``; one query over the live values of ``TECH_CASES``."""
    m = _metadata_models()
    cocs = option_combos()
    codes = {t.technique.code for t in transfers}
    by_coc = {coc.pk: code for code, coc in cocs.items() if code in codes}
    if not by_coc:
        return {}
    rows = m.DataValue.objects.filter(
        data_element__uid=DATA_ELEMENT_UID,
        org_unit_id__in={t.recipient_id for t in transfers},
        category_option_combo_id__in=list(by_coc),
        period__gte=first,
        period__lte=last,
        period_type=m.PeriodType.MONTHLY,
        deleted=False,
    ).values_list("org_unit_id", "category_option_combo_id", "period", "numeric_value")
    out: dict[tuple[int, str, str], int] = {}
    for unit_id, coc_id, period, number in rows:
        key = (unit_id, by_coc[coc_id], period)
        out[key] = out.get(key, 0) + int(number or 0)
    return out


def evaluate_many(transfers, as_of: datetime.date | None = None) -> list[Sustainment]:
    """The sustainment of each accepted transfer of ``transfers`` on ``as_of`` (today)."""
    as_of = as_of or timezone.localdate()
    transfers = [
        t
        for t in (
            transfers.select_related("technique", "provider", "recipient")
            if hasattr(transfers, "select_related")
            else transfers
        )
        if t.state in ACCEPTED_STATES
    ]
    if not transfers:
        return []
    accepted = _accepted_dates(transfers)
    last_year, last_month = last_month_ended(as_of)
    last = month_key(last_year, last_month)
    starts = [d for d in accepted.values()]
    counts = {}
    if starts:
        first_day = min(starts)
        y, mth = shift_month(first_day.year, first_day.month, 1)
        counts = _counts(transfers, month_key(y, mth), last)
    return [_evaluate(t, accepted.get(t.pk), counts, last, as_of) for t in transfers]


def evaluate(transfer: TechniqueTransfer, as_of: datetime.date | None = None) -> Sustainment:
    return evaluate_many([transfer], as_of)[0]


def _evaluate(transfer, accepted_on, counts, last: str, as_of) -> Sustainment:
    if accepted_on is None:
        accepted_on = transfer.state_date
    result = Sustainment(transfer=transfer, accepted_on=accepted_on, status=TOO_EARLY)
    code, unit = transfer.technique.code, transfer.recipient_id
    for number in range(1, 13):
        y, m = shift_month(accepted_on.year, accepted_on.month, number)
        period = month_key(y, m)
        ended = period <= last
        cases = counts.get((unit, code, period)) if ended else None
        result.months.append(MonthCount(number, period, cases, ended))
    due = [n for n in CHECKPOINTS if result.months[n - 1].ended]
    if not due:
        return result
    latest = due[-1]
    if all(m.cases is None for m in result.months[:latest]):
        result.status = NO_DATA
        return result
    for n in due:
        window = result.months[n - WINDOW : n]
        result.window_cases[n] = sum(m.cases or 0 for m in window)
        result.performed[n] = result.window_cases[n] > 0
    if all(result.performed.values()):
        result.status = SUSTAINED_12 if 12 in due else SUSTAINED_6
        return result
    result.status = SILENT
    result.silent_months = [m.period for m in result.months[:latest] if not m.cases]
    # The silence that lasts to the last month ended (beyond month 12 as well).
    y, m = shift_month(accepted_on.year, accepted_on.month, 1)
    period, last_case = month_key(y, m), None
    while period <= last:
        if counts.get((unit, code, period)):
            last_case = period
        y, m = shift_month(y, m, 1)
        period = month_key(y, m)
    if last_case != last:
        if last_case is None:
            y, m = shift_month(accepted_on.year, accepted_on.month, 1)
        else:
            y, m = shift_month(int(last_case[:4]), int(last_case[4:]), 1)
        result.silent_since = month_key(y, m)
        ly, lm = int(last[:4]), int(last[4:])
        result.silent_for = (ly * 12 + lm) - (y * 12 + m) + 1
    return result


def sustainment_summary(transfers_queryset, as_of: datetime.date) -> dict:
    """How many accepted transfers of ``transfers_queryset`` are in each status on
    ``as_of``: ``{"total", "sustained_12", "sustained_6", "silent", "too_early",
    "no_data"}`` (transfers not accepted are not counted)."""
    summary = {"total": 0, **{status: 0 for status, _label in STATUSES}}
    for item in evaluate_many(accepted_transfers(transfers_queryset), as_of):
        summary["total"] += 1
        summary[item.status] += 1
    return summary


# ---------------------------------------------------------------- checks


def record_checks(
    transfer: TechniqueTransfer, as_of: datetime.date | None = None, *, user=None
) -> list:
    """Record the 6- and 12-month checks the counts can decide and that are not recorded
    yet, dated the last day of month 6 (12). Nothing is recorded without data."""
    result = evaluate(transfer, as_of)
    if result.status in (TOO_EARLY, NO_DATA):
        return []
    done = set(transfer.sustainment_checks.values_list("months_after", flat=True))
    recorded = []
    for n in CHECKPOINTS:
        if n not in result.performed or n in done:
            continue
        month = result.months[n - 1]
        checked_on = month_end(int(month.period[:4]), int(month.period[4:]))
        half = result.months[n - 6 : n]
        recorded.append(
            services.record_sustainment(
                transfer,
                months_after=n,
                checked_on=max(checked_on, services.add_months(result.accepted_on, n)),
                still_performed=result.performed[n],
                cases_in_period=sum(m.cases or 0 for m in half),
                note=_("From the monthly counts: %(cases)d cases in months %(first)d-%(last)d.")
                % {"cases": sum(m.cases or 0 for m in half), "first": n - 5, "last": n},
                user=user,
            )
        )
        transfer.refresh_from_db()
    return recorded


def record_checks_many(transfers, as_of=None, *, user=None) -> tuple[int, list[str]]:
    """``record_checks`` for each transfer; returns how many checks were recorded and the
    refusals (one line per transfer)."""
    count, problems = 0, []
    for transfer in accepted_transfers(transfers).select_related("technique", "recipient"):
        try:
            with transaction.atomic():
                count += len(record_checks(transfer, as_of, user=user))
        except ValidationError as exc:
            problems.append(f"{transfer}: {'; '.join(exc.messages)}")
    return count, problems
