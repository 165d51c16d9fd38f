"""Service revenue of a preventive-medicine centre (seed 000: eleven revenue sources, service
vaccination first).

A receipt (phiếu thu) belongs to a unit and one revenue source; its lines are services at
the unit's prices (``ServicePrice``, valid from a date) or free lines. A vaccination visit
makes its own receipt, a line per dose at the vaccine's price (``add_dose_payment``). A
wrong receipt is cancelled with a reason, never deleted or edited; cancelled receipts count
nowhere.

The facility-statistics layer reads three monthly figures of a unit through
``monthly_revenue``, ``doses_by_antigen`` and ``aefi_counts``.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.core import tabular
from doha.core.scope import can, in_scope, user_scope_path
from doha.core.signals import notify_record_changed
from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.vaccines.models import (
    Aefi,
    AefiSeverity,
    Dose,
    PaymentMethod,
    Receipt,
    ReceiptItem,
    RevenueSource,
    ServicePrice,
    VaccinationVisit,
    Vaccine,
    format_vnd,
)

VACCINATION = "vaccination"

# The centre's service lines (seed 000 names vaccination, the general clinic, environmental
# monitoring and laboratory tests among eleven): code, name, order.
SOURCES = [
    (VACCINATION, "Tiêm chủng vắc xin dịch vụ", 1),
    ("clinic", "Phòng khám đa khoa", 2),
    ("laboratory", "Xét nghiệm", 3),
    ("imaging", "Chẩn đoán hình ảnh, thăm dò chức năng", 4),
    ("environment", "Quan trắc môi trường", 5),
    ("occupational", "Sức khỏe nghề nghiệp, quan trắc môi trường lao động", 6),
    ("health_check", "Khám sức khỏe định kỳ, tuyển dụng, lái xe", 7),
    ("food_water", "Kiểm nghiệm nước, thực phẩm", 8),
    ("disinfection", "Diệt côn trùng, khử khuẩn", 9),
    ("quarantine", "Kiểm dịch y tế quốc tế", 10),
    ("training", "Đào tạo, tập huấn, tư vấn", 11),
]
PREFIX = {VACCINATION: "VX"}
DEFAULT_PREFIX = "DV"


def ensure_sources() -> dict[str, RevenueSource]:
    """The eleven revenue sources (existing ones are left as they are)."""
    found = {s.code: s for s in RevenueSource.objects.filter(code__in=[c for c, _n, _o in SOURCES])}
    for code, name, order in SOURCES:
        if code not in found:
            found[code] = RevenueSource.objects.create(code=code, name=name, sort_order=order)
    return found


def vaccination_source() -> RevenueSource:
    return ensure_sources()[VACCINATION]


# --------------------------------------------------------------------------------------------
# Prices
# --------------------------------------------------------------------------------------------


def _lineage(unit: OrgUnit) -> list[OrgUnit]:
    """The unit and the units above it, nearest first."""
    uids = [u for u in unit.path.strip("/").split("/") if u]
    found = {u.uid: u for u in OrgUnit.objects.filter(uid__in=uids)}
    return [found[u] for u in reversed(uids) if u in found]


def prices_on(unit: OrgUnit, on: datetime.date):
    """Prices valid on ``on`` of the unit and of the units above it (a point charges its
    centre's prices unless it has its own)."""
    return (
        ServicePrice.objects.filter(org_unit__in=_lineage(unit), active=True, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("org_unit", "source", "vaccine")
    )


def price_for_vaccine(vaccine: Vaccine, unit: OrgUnit, on: datetime.date):
    """(price per dose, the ``ServicePrice`` it comes from or None): the nearest unit's price
    of the vaccine valid on the day, else the catalogue's price."""
    lineage = {u.pk: depth for depth, u in enumerate(_lineage(unit))}
    candidates = list(prices_on(unit, on).filter(vaccine=vaccine))
    if not candidates:
        return vaccine.price, None
    best = min(candidates, key=lambda p: (lineage[p.org_unit_id], -p.valid_from.toordinal()))
    return best.price, best


@transaction.atomic
def set_price(price: ServicePrice, user=None) -> ServicePrice:
    """A new price of a service from a date: the price it replaces (same unit and code,
    still open) ends the day before."""
    if user is not None:
        if not can(user, ServicePrice, "add"):
            raise PermissionDenied(_("Your role does not allow this action."))
        if price.org_unit_id and not in_scope(user, price.org_unit.path):
            raise ValidationError({"org_unit": _("This unit is outside your scope.")})
    errors = {}
    if price.price is None or price.price < 0:
        errors["price"] = [_("The price is a whole number of đồng, zero or more.")]
    if not (price.code or "").strip():
        errors["code"] = [_("Give the service's code.")]
    if not (price.name or "").strip():
        errors["name"] = [_("Give the service's name.")]
    if price.valid_from is None:
        errors["valid_from"] = [_("Give the date the price applies from.")]
    if price.vaccine_id and price.source_id and price.source.code != VACCINATION:
        errors["vaccine"] = [_("A vaccine's price belongs to the vaccination source.")]
    if errors:
        raise ValidationError(errors)
    price.code = price.code.strip()
    previous = (
        ServicePrice.objects.select_for_update()
        .filter(org_unit=price.org_unit, code=price.code, valid_to__isnull=True, active=True)
        .exclude(pk=price.pk)
        .order_by("-valid_from")
        .first()
    )
    if previous is not None:
        end = price.valid_from - datetime.timedelta(days=1)
        if end <= previous.valid_from:
            raise ValidationError(
                {
                    "valid_from": _(
                        "The current price of %(code)s applies from %(date)s: a new price "
                        "starts at least two days later."
                    )
                    % {"code": price.code, "date": previous.valid_from.strftime("%d/%m/%Y")}
                }
            )
        previous.valid_to = end
        previous.save()
    price.full_clean()
    price.save()
    return price


# --------------------------------------------------------------------------------------------
# Receipts
# --------------------------------------------------------------------------------------------


@dataclass
class ReceiptLine:
    """A line of a receipt: a service at its price, or a free description and unit price."""

    quantity: int = 1
    price: ServicePrice | None = None
    description: str = ""
    unit_price: int | None = None
    dose: Dose | None = None


def _next_number(unit: OrgUnit, day: datetime.date, prefix: str) -> str:
    start = f"{prefix}{day.year}-"
    # Six digits, zero-padded: the highest number is the last in text order.
    last = (
        Receipt.objects.filter(org_unit=unit, number__regex=rf"^{re.escape(start)}[0-9]{{6}}$")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    highest = int(last[len(start) :]) if last else 0
    return f"{start}{highest + 1:06d}"


def _authorize(user, unit: OrgUnit, action: str = "add") -> None:
    if user is None:
        return
    if not can(user, Receipt, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    if not in_scope(user, unit.path):
        raise ValidationError({"org_unit": _("This unit is outside your scope.")})


def _check_lines(unit, source, lines: list[ReceiptLine], day) -> list[ReceiptItem]:
    if not lines:
        raise ValidationError({"items": [_("A receipt has at least one line.")]})
    lineage = {u.pk for u in _lineage(unit)}
    problems = []
    items = []
    for number, line in enumerate(lines, start=1):
        label = _("Line %(n)s: ") % {"n": number}
        if not isinstance(line.quantity, int) or line.quantity < 1:
            problems.append(label + _("The quantity is a whole number, 1 or more."))
            continue
        if line.price is not None:
            price = line.price
            if price.org_unit_id not in lineage:
                problems.append(
                    label
                    + _("%(service)s is a price of %(unit)s, not of this unit.")
                    % {"service": price.name, "unit": price.org_unit}
                )
                continue
            if price.source_id != source.pk:
                problems.append(
                    label
                    + _("%(service)s belongs to %(source)s.")
                    % {"service": price.name, "source": price.source}
                )
                continue
            if (
                not price.active
                or price.valid_from > day
                or (price.valid_to is not None and price.valid_to < day)
            ):
                problems.append(
                    label
                    + _("The price of %(service)s is not valid on %(date)s.")
                    % {"service": price.name, "date": day.strftime("%d/%m/%Y")}
                )
                continue
            description = line.description or price.name
            unit_price = price.price
        else:
            description = (line.description or "").strip()
            unit_price = line.unit_price
            if not description:
                problems.append(label + _("Choose a service or describe the line."))
                continue
            if not isinstance(unit_price, int) or unit_price < 0:
                problems.append(label + _("The unit price is a whole number of đồng, 0 or more."))
                continue
        items.append(
            ReceiptItem(
                price=line.price,
                dose=line.dose,
                description=description[:255],
                quantity=line.quantity,
                unit_price=unit_price,
                amount=unit_price * line.quantity,
            )
        )
    if problems:
        raise ValidationError({"items": problems})
    return items


def record_receipt(
    unit: OrgUnit,
    source: RevenueSource,
    lines: list[ReceiptLine],
    *,
    date: datetime.date | None = None,
    payer_name: str = "",
    payment_method: str = PaymentMethod.CASH,
    store=None,
    client=None,
    visit: VaccinationVisit | None = None,
    user=None,
    note: str = "",
) -> Receipt:
    """A receipt of ``source`` at ``unit``, numbered in the unit's yearly sequence
    ("VX2025-000123" for vaccination, "DV2025-000045" for other services)."""
    errors = {}
    if unit is None:
        raise ValidationError({"org_unit": _("Choose the unit.")})
    _authorize(user, unit)
    if source is None:
        errors["source"] = [_("Choose the revenue source.")]
    elif not source.active:
        errors["source"] = [_("This revenue source is no longer used.")]
    day = date or timezone.localdate()
    if day > timezone.localdate():
        errors["date"] = [_("A receipt cannot be dated in the future.")]
    if payment_method not in PaymentMethod.values:
        errors["payment_method"] = [_("Choose the payment method.")]
    if errors:
        raise ValidationError(errors)
    items = _check_lines(unit, source, lines, day)
    prefix = PREFIX.get(source.code, DEFAULT_PREFIX)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                receipt = Receipt(
                    org_unit=unit,
                    store=store,
                    number=_next_number(unit, day, prefix),
                    date=day,
                    source=source,
                    client=client,
                    visit=visit,
                    payer_name=(payer_name or "").strip()[:200],
                    amount=sum(i.amount for i in items),
                    payment_method=payment_method,
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                    note=(note or "").strip()[:300],
                )
                receipt.save()
                for item in items:
                    item.receipt = receipt
                    item.save()
            # The unit's revenue by source of the month (once the receipt is committed).
            notify_record_changed(Receipt, unit, day)
            return receipt
        except IntegrityError:
            continue  # another cashier took the number at the same moment
    raise ValidationError({"number": _("Could not number the receipt; try again.")})


def add_dose_payment(visit: VaccinationVisit, dose: Dose, *, payment_method=None, user=None):
    """The payment of a dose: a line on the visit's vaccination receipt (made with the first
    dose). The price is the unit's price of the vaccine on the day. Free doses make none."""
    unit = visit.store.org_unit
    day = timezone.localdate(dose.given_at)
    amount, price = price_for_vaccine(dose.vaccine, unit, day)
    if not amount:
        return None
    description = _("%(vaccine)s, dose %(n)s, lot %(lot)s") % {
        "vaccine": dose.vaccine.name,
        "n": dose.dose_number,
        "lot": dose.lot.lot_number,
    }
    receipt = (
        Receipt.objects.select_for_update()
        .filter(visit=visit, cancelled_at__isnull=True, source__code=VACCINATION)
        .first()
    )
    if receipt is None:
        client = visit.client
        return record_receipt(
            unit,
            vaccination_source(),
            [ReceiptLine(1, price=None, description=description, unit_price=amount, dose=dose)],
            date=day,
            payer_name=client.guardian_name or client.full_name,
            payment_method=payment_method or PaymentMethod.CASH,
            store=visit.store,
            client=client,
            visit=visit,
        )
    ReceiptItem.objects.create(
        receipt=receipt,
        price=price,
        dose=dose,
        description=description,
        quantity=1,
        unit_price=amount,
        amount=amount,
    )
    receipt.amount = receipt.items.aggregate(total=Sum("amount"))["total"] or 0
    receipt.save()
    notify_record_changed(Receipt, receipt.org_unit, receipt.date)
    return receipt


@transaction.atomic
def cancel_receipt(receipt: Receipt, reason: str, user=None) -> Receipt:
    """Cancel a wrong receipt (it stays, marked, and counts nowhere)."""
    _authorize(user, receipt.org_unit, "change")
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.cancelled_at is not None:
        raise ValidationError({"cancel_reason": _("This receipt is already cancelled.")})
    if not (reason or "").strip():
        raise ValidationError({"cancel_reason": _("Say why the receipt is cancelled.")})
    receipt.cancelled_at = timezone.now()
    receipt.cancel_reason = reason.strip()[:300]
    receipt.save()
    notify_record_changed(Receipt, receipt.org_unit, receipt.date)
    return receipt


# --------------------------------------------------------------------------------------------
# Monthly figures (read by the facility-statistics layer)
# --------------------------------------------------------------------------------------------


def month_bounds(month) -> tuple[datetime.date, datetime.date]:
    """(first day, first day of the next month) of a month given as a date, "202503"
    (a DHIS2 monthly period) or "2025-03"."""
    if isinstance(month, datetime.datetime):
        month = timezone.localdate(month) if timezone.is_aware(month) else month.date()
    if isinstance(month, datetime.date):
        first = month.replace(day=1)
    else:
        match = re.fullmatch(r"(\d{4})-?(\d{2})", str(month).strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"not a month: {month!r} (write 202503 or 2025-03)")
        first = datetime.date(int(match.group(1)), int(match.group(2)), 1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following


def _moments(first, following):
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=tz),
    )


def _unit_filter(path_field: str, unit_field: str, unit: OrgUnit, include_descendants: bool):
    if include_descendants:
        return Q(**{f"{path_field}__startswith": unit.path})
    return Q(**{unit_field: unit})


def monthly_revenue(unit: OrgUnit, month, include_descendants: bool = False) -> dict[str, int]:
    """{source code: VND} of the receipts of ``unit`` in ``month`` (cancelled ones aside),
    every active source present (0 when nothing was received). With
    ``include_descendants`` the units below are added in (a centre with its points)."""
    first, following = month_bounds(month)
    totals = {s.code: 0 for s in RevenueSource.objects.filter(active=True)}
    rows = (
        Receipt.objects.filter(
            _unit_filter("org_unit__path", "org_unit", unit, include_descendants),
            date__gte=first,
            date__lt=following,
            cancelled_at__isnull=True,
        )
        .values("source__code")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        totals[row["source__code"]] = row["total"] or 0
    return totals


def doses_by_antigen(unit: OrgUnit, month, include_descendants: bool = False) -> dict[str, int]:
    """{antigen code: doses} given at the stores of ``unit`` in ``month``; a dose of a
    combined vaccine counts once for each of its antigens."""
    start, end = _moments(*month_bounds(month))
    rows = (
        Dose.objects.filter(
            _unit_filter(
                "visit__store__org_unit__path", "visit__store__org_unit", unit, include_descendants
            ),
            given_at__gte=start,
            given_at__lt=end,
        )
        .values("vaccine__antigens__code")
        .annotate(n=Count("pk"))
    )
    return {r["vaccine__antigens__code"]: r["n"] for r in rows if r["vaccine__antigens__code"]}


def aefi_counts(unit: OrgUnit, month, include_descendants: bool = False) -> dict[str, int]:
    """{"common": n, "serious": n} adverse events with their onset in ``month`` after doses
    given at the stores of ``unit``."""
    start, end = _moments(*month_bounds(month))
    counts = {value: 0 for value in AefiSeverity.values}
    rows = (
        Aefi.objects.filter(
            _unit_filter(
                "dose__visit__store__org_unit__path",
                "dose__visit__store__org_unit",
                unit,
                include_descendants,
            ),
            onset_at__gte=start,
            onset_at__lt=end,
        )
        .values("severity")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["severity"]] = row["n"]
    return counts


# --------------------------------------------------------------------------------------------
# Revenue by source and month (page and export)
# --------------------------------------------------------------------------------------------


@dataclass
class RevenueRow:
    source: RevenueSource
    months: list[int]

    @property
    def total(self) -> int:
        return sum(self.months)


def revenue_table(receipts, year: int) -> tuple[list[RevenueRow], list[int], int]:
    """Rows (one per source with any receipt, plus every active source), the monthly totals
    and the year's total of ``receipts`` (a scoped queryset) in ``year``."""
    rows = (
        receipts.filter(date__year=year, cancelled_at__isnull=True)
        .values("source_id", "date__month")
        .annotate(total=Sum("amount"))
    )
    by_source: dict[int, list[int]] = defaultdict(lambda: [0] * 12)
    for row in rows:
        by_source[row["source_id"]][row["date__month"] - 1] += row["total"] or 0
    sources = RevenueSource.objects.filter(Q(active=True) | Q(pk__in=list(by_source)))
    table = [RevenueRow(s, list(by_source[s.pk])) for s in sources.order_by("sort_order", "name")]
    columns = [sum(r.months[m] for r in table) for m in range(12)]
    return table, columns, sum(columns)


def revenue_export(table, columns, total, year: int, fmt: str):
    headers = [str(_("Revenue source"))]
    headers += [_("Month %(m)s/%(y)s") % {"m": m, "y": year} for m in range(1, 13)]
    headers.append(str(_("Total")))

    def rows():
        for row in table:
            yield [row.source.name, *row.months, row.total]
        yield [str(_("Total")), *columns, total]

    return tabular.export_response(
        headers,
        rows(),
        fmt,
        f"doanh-thu-dich-vu-{year}",
        sheet_title=_("Revenue %(year)s") % {"year": year},
        widths=[44] + [14] * 13,
    )


RECEIPT_COLUMNS = [
    gettext_lazy("Receipt number"),
    gettext_lazy("Date"),
    gettext_lazy("Unit"),
    gettext_lazy("Revenue source"),
    gettext_lazy("Payer"),
    gettext_lazy("Amount (VND)"),
    gettext_lazy("Payment method"),
    gettext_lazy("Cancelled"),
    gettext_lazy("Reason for cancelling"),
]


def receipt_export(queryset, fmt: str):
    queryset = queryset.select_related("org_unit", "source")

    def rows():
        for r in queryset:
            yield [
                r.number,
                r.date.strftime("%d/%m/%Y"),
                r.org_unit.name,
                r.source.name,
                r.payer_name,
                r.amount,
                r.get_payment_method_display(),
                timezone.localtime(r.cancelled_at).strftime("%d/%m/%Y %H:%M")
                if r.cancelled_at
                else "",
                r.cancel_reason,
            ]

    return tabular.export_response(
        [str(c) for c in RECEIPT_COLUMNS],
        rows(),
        fmt,
        "phieu-thu",
        sheet_title=_("Receipts"),
        widths=[16, 12, 36, 36, 28, 14, 16, 16, 30],
    )


def amount_text(value) -> str:
    return format_vnd(value)


# --------------------------------------------------------------------------------------------
# Filtersets (pages and API)
# --------------------------------------------------------------------------------------------


def _scope_units(request):
    prefix = user_scope_path(getattr(request, "user", None))
    if prefix is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(path__startswith=prefix, active=True).order_by("sort_name")


def _date_widget():
    return forms.DateInput(attrs={"type": "date"})


class ReceiptFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Number or payer"), method="filter_q")
    org_unit = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Unit (and units below)"),
        queryset=_scope_units,
        to_field_name="uid",
        method="filter_unit",
    )
    source = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Revenue source"),
        queryset=RevenueSource.objects.order_by("sort_order"),
        to_field_name="code",
    )
    date_from = django_filters.DateFilter(
        label=gettext_lazy("From"), field_name="date", lookup_expr="gte", widget=_date_widget()
    )
    date_to = django_filters.DateFilter(
        label=gettext_lazy("To"), field_name="date", lookup_expr="lte", widget=_date_widget()
    )
    payment_method = django_filters.ChoiceFilter(
        label=gettext_lazy("Payment method"), choices=PaymentMethod.choices
    )
    cancelled = django_filters.BooleanFilter(
        label=gettext_lazy("Status"),
        field_name="cancelled_at",
        lookup_expr="isnull",
        exclude=True,
        widget=forms.Select(
            choices=[
                ("", gettext_lazy("All")),
                ("false", gettext_lazy("Valid")),
                ("true", gettext_lazy("Cancelled")),
            ]
        ),
    )

    class Meta:
        model = Receipt
        fields = ["q", "org_unit", "source", "date_from", "date_to", "payment_method", "cancelled"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(Q(number__icontains=term) | Q(payer_name__icontains=term))
        return queryset

    def filter_unit(self, queryset, name, value):
        return queryset.filter(org_unit__path__startswith=value.path)


class PriceFilterSet(django_filters.FilterSet):
    org_unit = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Unit (and units below)"),
        queryset=_scope_units,
        to_field_name="uid",
        method="filter_unit",
    )
    source = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Revenue source"),
        queryset=RevenueSource.objects.order_by("sort_order"),
        to_field_name="code",
    )
    current = django_filters.BooleanFilter(
        label=gettext_lazy("Validity"),
        method="filter_current",
        widget=forms.Select(
            choices=[
                ("", gettext_lazy("All")),
                ("true", gettext_lazy("Valid today")),
                ("false", gettext_lazy("Past or future")),
            ]
        ),
    )

    class Meta:
        model = ServicePrice
        fields = ["org_unit", "source", "current"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(org_unit__path__startswith=value.path)

    def filter_current(self, queryset, name, value):
        today = timezone.localdate()
        valid = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        return queryset.filter(valid) if value else queryset.exclude(valid)
