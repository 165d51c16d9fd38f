"""One filterset per model of the catalogue, stock and cold chain, shared by the list pages,
their exports and the REST API. Choices (stores, vaccines) are those the user may see."""

import datetime

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.vaccines.models import (
    Antigen,
    CountStatus,
    EntryKind,
    EntryReason,
    Fridge,
    HoldDecision,
    Lot,
    LotHold,
    ReadingSource,
    StockBalance,
    StockCount,
    StockEntry,
    Store,
    StoreKind,
    Supplier,
    TemperatureReading,
    Vaccine,
)


def _user(request):
    return getattr(request, "user", None)


def visible_stores(request):
    return (
        Store.objects.restrict(_user(request), "view")
        .select_related("org_unit")
        .order_by("org_unit__sort_name", "kind", "name")
    )


def visible_fridges(request):
    return Fridge.objects.restrict(_user(request), "view").select_related("store")


def vaccines(request):
    return Vaccine.objects.restrict(_user(request), "view").order_by("name")


def antigens(request):
    return Antigen.objects.restrict(_user(request), "view").order_by("name")


def store_units(request):
    stores = Store.objects.restrict(_user(request), "view")
    return OrgUnit.objects.filter(pk__in=stores.values("org_unit")).order_by("sort_name")


class UidChoice(django_filters.ModelChoiceFilter):
    """A related record chosen by its UID (in pages and API alike)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "uid")
        super().__init__(*args, **kwargs)


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class AntigenFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Antigen
        fields = ["q", "active"]

    def filter_q(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(Q(name__icontains=term) | Q(code__icontains=term))
        return queryset


class VaccineFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    antigen = UidChoice(label=_("Antigen"), queryset=antigens, field_name="antigens")
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Vaccine
        fields = ["q", "antigen", "active"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(search_text__contains=term) | Q(antigens__name__icontains=term)
            )
        return queryset.distinct()


class StoreFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    org_unit = UidChoice(label=_("Unit"), queryset=store_units)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=StoreKind.choices)
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Store
        fields = ["q", "org_unit", "kind", "active"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(name__icontains=term) | Q(org_unit__search_text__contains=term)
            )
        return queryset


class FridgeFilterSet(django_filters.FilterSet):
    store = UidChoice(label=_("Store"), queryset=visible_stores)
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Fridge
        fields = ["store", "active"]


class SupplierFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Supplier
        fields = ["q", "active"]

    def filter_q(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(Q(name__icontains=term) | Q(tax_code__icontains=term))
        return queryset


class LotFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Lot number"), field_name="lot_number", lookup_expr="icontains"
    )
    vaccine = UidChoice(label=_("Vaccine"), queryset=vaccines)
    expires_before = django_filters.DateFilter(
        label=_("Expires before"), field_name="expiry_date", lookup_expr="lt"
    )

    class Meta:
        model = Lot
        fields = ["q", "vaccine", "expires_before"]


class StockBalanceFilterSet(django_filters.FilterSet):
    store = UidChoice(label=_("Store"), queryset=visible_stores)
    vaccine = UidChoice(label=_("Vaccine"), queryset=vaccines, field_name="lot__vaccine")
    lot = django_filters.CharFilter(
        label=_("Lot number"), field_name="lot__lot_number", lookup_expr="icontains"
    )
    expiring_within = django_filters.NumberFilter(
        label=_("Expiring within (days)"),
        method="filter_expiring",
        min_value=0,
        max_value=36500,
    )
    held = django_filters.ChoiceFilter(label=_("On hold"), choices=YES_NO, method="filter_held")
    empty = django_filters.ChoiceFilter(
        label=_("Show empty lots"), choices=YES_NO, method="filter_empty"
    )

    class Meta:
        model = StockBalance
        fields = ["store", "vaccine", "lot", "expiring_within", "held", "empty"]

    @property
    def qs(self):
        """Lots with doses only, unless empty lots are asked for."""
        queryset = super().qs
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        if data.get("empty") != "yes":
            queryset = queryset.filter(quantity__gt=0)
        return queryset

    def filter_expiring(self, queryset, name, value):
        limit = timezone.localdate() + datetime.timedelta(days=int(value))
        return queryset.filter(lot__expiry_date__lte=limit)

    def filter_held(self, queryset, name, value):
        condition = Exists(
            LotHold.objects.filter(
                released_at__isnull=True, store=OuterRef("store"), lot=OuterRef("lot")
            )
        )
        return queryset.filter(condition if value == "yes" else ~condition)

    def filter_empty(self, queryset, name, value):
        return queryset  # read by ``qs``


class StockEntryFilterSet(django_filters.FilterSet):
    store = UidChoice(label=_("Store"), queryset=visible_stores)
    vaccine = UidChoice(label=_("Vaccine"), queryset=vaccines, field_name="lot__vaccine")
    lot = django_filters.CharFilter(
        label=_("Lot number"), field_name="lot__lot_number", lookup_expr="iexact"
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=EntryKind.choices)
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=EntryReason.choices)
    reference = django_filters.CharFilter(label=_("Reference"), lookup_expr="icontains")
    movement = django_filters.CharFilter(label=_("Movement"))
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="occurred_at", lookup_expr="date__gte"
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="occurred_at", lookup_expr="date__lte"
    )

    class Meta:
        model = StockEntry
        fields = [
            "store",
            "vaccine",
            "lot",
            "kind",
            "reason",
            "reference",
            "movement",
            "date_from",
            "date_to",
        ]


class TemperatureReadingFilterSet(django_filters.FilterSet):
    store = UidChoice(label=_("Store"), queryset=visible_stores, field_name="fridge__store")
    fridge = UidChoice(label=_("Fridge"), queryset=visible_fridges)
    excursion = django_filters.BooleanFilter(label=_("Excursions only"))
    source = django_filters.ChoiceFilter(label=_("Source"), choices=ReadingSource.choices)
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="recorded_at", lookup_expr="date__gte"
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="recorded_at", lookup_expr="date__lte"
    )

    class Meta:
        model = TemperatureReading
        fields = ["store", "fridge", "excursion", "source", "date_from", "date_to"]


HOLD_STATUS = [("open", _("On hold")), ("decided", _("Decided"))]


class LotHoldFilterSet(django_filters.FilterSet):
    store = UidChoice(label=_("Store"), queryset=visible_stores)
    vaccine = UidChoice(label=_("Vaccine"), queryset=vaccines, field_name="lot__vaccine")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=HOLD_STATUS, method="filter_status"
    )
    decision = django_filters.ChoiceFilter(label=_("Decision"), choices=HoldDecision.choices)

    class Meta:
        model = LotHold
        fields = ["store", "vaccine", "status", "decision"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(released_at__isnull=(value == "open"))


class StockCountFilterSet(django_filters.FilterSet):
    store = UidChoice(label=_("Store"), queryset=visible_stores)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CountStatus.choices)

    class Meta:
        model = StockCount
        fields = ["store", "status"]
