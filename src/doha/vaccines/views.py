"""Pages of the vaccine catalogue, the stock ledger and the cold chain.

Every page names its model, so its role check and org-unit scope are the core views'
(``ScopedViewMixin``); writes go through ``stock`` and ``coldchain``. The ledger has no
edit or delete page: a movement is corrected by reversing it.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.tabular import export_response
from doha.core.text import format_number
from doha.core.views import ObjectFormView, ObjectListView, ScopedViewMixin, _add_errors
from doha.vaccines import coldchain, filters, forms, stock
from doha.vaccines.models import (
    Antigen,
    CountStatus,
    EntryKind,
    Fridge,
    Lot,
    LotHold,
    ScheduleDose,
    StockBalance,
    StockCount,
    StockEntry,
    Store,
    Supplier,
    TemperatureReading,
    Vaccine,
    format_vnd,
)

NAV = "vaccines"


def _dt(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _d(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _signed(value: int) -> str:
    return ("+" if value > 0 else "") + format_number(value)


# --------------------------------------------------------------------------------------------
# Lists with filters and exports
# --------------------------------------------------------------------------------------------


class TableListView(ObjectListView):
    """A filtered, paged list drawn by ``vaccines/list.html`` and exported as .xlsx/.csv
    with the same filters. Subclasses name ``columns`` ((label, width, numeric)), write
    ``cells(obj)`` (text or (text, url)) and ``export_row(obj)`` (plain values)."""

    template_name = "vaccines/list.html"
    title = ""
    columns: list[tuple] = []
    export_name = "vac-xin"
    add_url_name = ""
    add_label = ""
    extra_actions: tuple = ()  # (URL name, label, action needed)
    empty_text = gettext_lazy("Nothing matches.")

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in {"xlsx", "csv"}:
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            filterset = self.filterset_class(
                request.GET, queryset=self.get_queryset("export"), request=request
            )
            qs = filterset.qs if filterset.is_valid() else filterset.queryset.none()
            return export_response(
                [str(label) for label, _w, _n in self.columns],
                (self.export_row(obj) for obj in qs),
                fmt,
                self.export_name,
                sheet_title=str(self.title),
                widths=[w for _l, w, _n in self.columns],
            )
        return super().get(request, *args, **kwargs)

    def cells(self, obj) -> list:
        raise ImproperlyConfigured(f"{type(self).__name__} must define cells()")

    def export_row(self, obj) -> list:
        raise ImproperlyConfigured(f"{type(self).__name__} must define export_row()")

    def row_key(self, obj) -> str:
        return getattr(obj, "uid", "") or str(obj.pk)

    def actions(self) -> list[tuple[str, str]]:
        found = []
        if self.add_url_name and self.user_can("add"):
            found.append((reverse(self.add_url_name), self.add_label))
        for name, label, action in self.extra_actions:
            if self.user_can(action):
                found.append((reverse(name), label))
        return found

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = []
        for obj in ctx["object_list"]:
            cells = []
            for cell in self.cells(obj):
                text, url = cell if isinstance(cell, tuple) else (cell, "")
                cells.append({"text": "" if text is None else text, "url": url})
            rows.append({"key": self.row_key(obj), "cells": cells})
        ctx.update(
            title=self.title,
            headers=[{"label": label, "num": num} for label, _w, num in self.columns],
            rows=rows,
            numeric=[num for _l, _w, num in self.columns],
            actions=self.actions(),
            empty_text=self.empty_text,
            active_nav=NAV,
        )
        return ctx


class FormPageView(ScopedViewMixin, TemplateView):
    """A form page drawn by ``vaccines/form.html`` whose ``perform(form)`` calls a service
    and returns the URL to go to; a service's refusal is shown on the form (status 400)."""

    template_name = "vaccines/form.html"
    form_class = None
    title = ""
    intro = ""
    action = "add"

    def get_form(self, data=None, files=None):
        return self.form_class(data, files, user=self.request.user, **self.form_kwargs())

    def form_kwargs(self) -> dict:
        return {}

    def cancel_url(self) -> str:
        return reverse("vaccines:stock")

    def perform(self, form) -> str:
        raise ImproperlyConfigured(f"{type(self).__name__} must define perform()")

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    url = self.perform(form)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return redirect(url)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": self.title,
            "intro": self.intro,
            "cancel_url": self.cancel_url(),
            "active_nav": NAV,
        }


class ModelFormPage(ObjectFormView):
    """Create (or, with ``editing``, edit) a reference record through its model form."""

    template_name = "vaccines/form.html"
    title = ""
    editing = False
    list_url_name = ""

    def get_instance(self):
        if not self.editing:
            return None
        if not hasattr(self, "_object"):
            self._object = self.get_object("change")
        return self._object

    def perform(self, form):
        obj = form.save(commit=False)
        obj.full_clean()
        obj.save()
        form.save_m2m()
        return obj

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": self.title,
            "object": self.get_instance(),
            "cancel_url": reverse(self.list_url_name),
            "active_nav": NAV,
        }


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


class AntigenListView(TableListView):
    model = Antigen
    filterset_class = filters.AntigenFilterSet
    title = gettext_lazy("Antigens")
    export_name = "khang-nguyen"
    add_url_name = "vaccines:antigen-add"
    add_label = gettext_lazy("Add antigen")
    columns = [
        (gettext_lazy("Code"), 12, False),
        (gettext_lazy("Name"), 30, False),
        (gettext_lazy("Vaccines"), 40, False),
        (gettext_lazy("Active"), 8, False),
    ]

    def get_queryset(self, action=None):
        return super().get_queryset(action).prefetch_related("vaccines").order_by("name")

    def cells(self, obj):
        edit = reverse("vaccines:antigen-edit", args=[obj.uid]) if self.user_can("change") else ""
        return [
            (obj.code, edit),
            obj.name,
            ", ".join(v.name for v in obj.vaccines.all()),
            _("yes") if obj.active else _("no"),
        ]

    def export_row(self, obj):
        return [
            obj.code,
            obj.name,
            ", ".join(v.name for v in obj.vaccines.all()),
            _("yes") if obj.active else _("no"),
        ]

    def row_key(self, obj):
        return obj.code


class AntigenCreateView(ModelFormPage):
    model = Antigen
    action = "add"
    form_class = forms.AntigenForm
    title = gettext_lazy("Antigen")
    list_url_name = "vaccines:antigen-list"


class AntigenEditView(AntigenCreateView):
    action = "change"
    editing = True


class VaccineListView(TableListView):
    model = Vaccine
    filterset_class = filters.VaccineFilterSet
    title = gettext_lazy("Vaccine catalogue")
    export_name = "danh-muc-vac-xin"
    add_url_name = "vaccines:vaccine-add"
    add_label = gettext_lazy("Add vaccine")
    extra_actions = (("vaccines:antigen-list", gettext_lazy("Antigens"), "view"),)
    columns = [
        (gettext_lazy("Code"), 12, False),
        (gettext_lazy("Product"), 30, False),
        (gettext_lazy("Antigens"), 30, False),
        (gettext_lazy("Manufacturer"), 25, False),
        (gettext_lazy("Doses per vial"), 10, True),
        (gettext_lazy("Storage (°C)"), 12, False),
        (gettext_lazy("Doses in schedule"), 10, True),
        (gettext_lazy("Price (VND)"), 14, True),
        (gettext_lazy("Active"), 8, False),
    ]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .prefetch_related("antigens")
            .annotate(schedule_doses=Count("schedule", distinct=True))
            .order_by("name")
        )

    def _values(self, obj):
        return [
            ", ".join(a.name for a in obj.antigens.all()),
            obj.manufacturer,
            obj.doses_per_vial,
            f"{obj.storage_min_c}–{obj.storage_max_c}",
            obj.schedule_doses,
        ]

    def cells(self, obj):
        antigens, manufacturer, per_vial, storage, doses = self._values(obj)
        return [
            obj.code,
            (obj.name, obj.get_absolute_url()),
            antigens,
            manufacturer,
            format_number(per_vial),
            storage,
            format_number(doses),
            format_vnd(obj.price),
            _("yes") if obj.active else _("no"),
        ]

    def export_row(self, obj):
        return [
            obj.code,
            obj.name,
            *self._values(obj),
            obj.price,
            _("yes") if obj.active else _("no"),
        ]

    def row_key(self, obj):
        return obj.code


class VaccineDetailView(ScopedViewMixin, TemplateView):
    model = Vaccine
    template_name = "vaccines/vaccine_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        vaccine = self.get_object()
        balances = StockBalance.objects.restrict(self.request.user, "view").filter(
            lot__vaccine=vaccine, quantity__gt=0
        )
        by_store = (
            balances.values("store__uid", "store__name")
            .annotate(doses=Sum("quantity"))
            .order_by("store__name")
        )
        lots = (
            Lot.objects.filter(vaccine=vaccine)
            .annotate(
                stock_doses=Sum("balances__quantity", filter=Q(balances__in=balances.values("pk")))
            )
            .order_by("expiry_date")
        )
        antigen_schedule = ScheduleDose.objects.filter(antigen__in=vaccine.antigens.all())
        ctx.update(
            object=vaccine,
            antigens=vaccine.antigens.all(),
            schedule=vaccine.schedule.order_by("dose_number"),
            antigen_schedule=antigen_schedule.select_related("antigen").order_by(
                "antigen__name", "dose_number"
            ),
            by_store=by_store,
            lots=[lot for lot in lots if lot.stock_doses],
            can_edit=self.user_can("change"),
            active_nav=NAV,
        )
        return ctx


class VaccineCreateView(ModelFormPage):
    model = Vaccine
    action = "add"
    form_class = forms.VaccineForm
    title = gettext_lazy("Vaccine")
    list_url_name = "vaccines:vaccine-list"


class VaccineEditView(VaccineCreateView):
    action = "change"
    editing = True


class ScheduleDoseCreateView(ModelFormPage):
    """A dose of a vaccine's schedule (``vaccine`` in the URL)."""

    model = ScheduleDose
    action = "change"
    form_class = forms.ScheduleDoseForm
    title = gettext_lazy("Schedule dose")
    list_url_name = "vaccines:vaccine-list"

    def vaccine(self):
        if not hasattr(self, "_vaccine"):
            if self.editing:
                self._vaccine = self.get_instance().vaccine
            else:
                self._vaccine = get_object_or_404(
                    Vaccine.objects.restrict(self.request.user, "change"), uid=self.kwargs["uid"]
                )
        return self._vaccine

    def perform(self, form):
        dose = form.save(commit=False)
        if not self.editing:
            dose.vaccine = self.vaccine()
        try:
            dose.full_clean()
        except ValidationError as exc:
            if "__all__" in getattr(exc, "message_dict", {}):
                raise ValidationError({"dose_number": exc.message_dict["__all__"]}) from exc
            raise
        if dose.max_age_days is not None and dose.max_age_days < dose.min_age_days:
            raise ValidationError({"max_age_days": _("The maximum age is below the minimum age.")})
        dose.save()
        return dose.vaccine

    def success_message(self, obj):
        return _("Schedule saved: %(name)s") % {"name": obj}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            cancel_url=self.vaccine().get_absolute_url(),
            title=_("Schedule dose of %(vaccine)s") % {"vaccine": self.vaccine()},
        )
        return ctx


class ScheduleDoseEditView(ScheduleDoseCreateView):
    editing = True

    def get_queryset(self, action=None):
        return ScheduleDose.objects.restrict(self.request.user, action or self.action).filter(
            vaccine__isnull=False
        )


# --------------------------------------------------------------------------------------------
# Stores, fridges, suppliers, lots
# --------------------------------------------------------------------------------------------


class StoreListView(TableListView):
    model = Store
    filterset_class = filters.StoreFilterSet
    title = gettext_lazy("Vaccine stores and points")
    export_name = "kho-vac-xin"
    add_url_name = "vaccines:store-add"
    add_label = gettext_lazy("Add store")
    columns = [
        (gettext_lazy("UID"), 13, False),
        (gettext_lazy("Name"), 30, False),
        (gettext_lazy("Kind"), 16, False),
        (gettext_lazy("Unit"), 35, False),
        (gettext_lazy("Supplied by"), 25, False),
        (gettext_lazy("Doses on hand"), 12, True),
        (gettext_lazy("Lots on hold"), 10, True),
        (gettext_lazy("Active"), 8, False),
    ]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("org_unit", "supplied_by")
            .annotate(
                doses_on_hand=Sum("balances__quantity"),
                open_holds=Count("holds", filter=Q(holds__released_at__isnull=True), distinct=True),
            )
            .order_by("org_unit__sort_name", "kind", "name")
        )

    def export_row(self, obj):
        return [
            obj.uid,
            obj.name,
            obj.get_kind_display(),
            obj.org_unit.name,
            obj.supplied_by.name if obj.supplied_by_id else "",
            obj.doses_on_hand or 0,
            obj.open_holds,
            _("yes") if obj.active else _("no"),
        ]

    def cells(self, obj):
        row = self.export_row(obj)
        row[1] = (obj.name, obj.get_absolute_url())
        row[5] = format_number(row[5])
        return row


class StoreDetailView(ScopedViewMixin, TemplateView):
    model = Store
    template_name = "vaccines/store_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        store = self.get_object()
        today = timezone.localdate()
        balances = (
            StockBalance.objects.filter(store=store, quantity__gt=0)
            .select_related("lot", "lot__vaccine")
            .order_by("lot__vaccine__name", "lot__expiry_date")
        )
        held = set(
            LotHold.objects.filter(store=store, released_at__isnull=True).values_list(
                "lot_id", flat=True
            )
        )
        rows = [
            {
                "balance": b,
                "held": b.lot_id in held,
                "expired": b.lot.is_expired(today),
                "days_left": (b.lot.expiry_date - today).days,
            }
            for b in balances
        ]
        ctx.update(
            object=store,
            rows=rows,
            fridges=store.fridges.order_by("name"),
            points=store.points.filter(active=True).order_by("name"),
            holds=store.holds.filter(released_at__isnull=True).select_related(
                "lot", "lot__vaccine"
            ),
            entries=store.entries.select_related("lot", "lot__vaccine", "counterpart")[:20],
            can_edit=self.user_can("change")
            and self.get_queryset("change").filter(pk=store.pk).exists(),
            can_move=self.user_can("add"),
            active_nav=NAV,
        )
        return ctx


class StoreCreateView(ModelFormPage):
    model = Store
    action = "add"
    form_class = forms.StoreForm
    title = gettext_lazy("Vaccine store")
    list_url_name = "vaccines:store-list"


class StoreEditView(StoreCreateView):
    action = "change"
    editing = True


class FridgeCreateView(ModelFormPage):
    model = Fridge
    action = "add"
    form_class = forms.FridgeForm
    title = gettext_lazy("Fridge")
    list_url_name = "vaccines:store-list"

    def get_form(self, data=None):
        form = super().get_form(data)
        store = self.request.GET.get("store")
        if store and data is None and not self.editing:
            form.initial["store"] = form.fields["store"].queryset.filter(uid=store).first()
        return form


class FridgeEditView(FridgeCreateView):
    action = "change"
    editing = True


class FridgeDetailView(ScopedViewMixin, TemplateView):
    model = Fridge
    template_name = "vaccines/fridge_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        fridge = self.get_object()
        readings = fridge.readings.order_by("-recorded_at")
        ctx.update(
            object=fridge,
            readings=readings[:100],
            reading_count=readings.count(),
            excursions=readings.filter(excursion=True).count(),
            holds=fridge.holds.select_related("lot", "lot__vaccine").order_by("-started_at")[:50],
            can_add=self.user_can("add"),
            can_import=self.user_can("import"),
            can_edit=self.user_can("change")
            and self.get_queryset("change").filter(pk=fridge.pk).exists(),
            active_nav=NAV,
        )
        return ctx


class SupplierListView(TableListView):
    model = Supplier
    filterset_class = filters.SupplierFilterSet
    title = gettext_lazy("Vaccine suppliers")
    export_name = "nha-cung-cap"
    add_url_name = "vaccines:supplier-add"
    add_label = gettext_lazy("Add supplier")
    columns = [
        (gettext_lazy("UID"), 13, False),
        (gettext_lazy("Name"), 35, False),
        (gettext_lazy("Tax code"), 14, False),
        (gettext_lazy("Buyer"), 35, False),
        (gettext_lazy("Phone"), 14, False),
        (gettext_lazy("Active"), 8, False),
    ]

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("org_unit").order_by("name")

    def export_row(self, obj):
        return [
            obj.uid,
            obj.name,
            obj.tax_code,
            obj.org_unit.name,
            obj.phone,
            _("yes") if obj.active else _("no"),
        ]

    def cells(self, obj):
        row = self.export_row(obj)
        if self.user_can("change"):
            row[1] = (obj.name, reverse("vaccines:supplier-edit", args=[obj.uid]))
        return row


class SupplierCreateView(ModelFormPage):
    model = Supplier
    action = "add"
    form_class = forms.SupplierForm
    title = gettext_lazy("Supplier")
    list_url_name = "vaccines:supplier-list"


class SupplierEditView(SupplierCreateView):
    action = "change"
    editing = True


class LotDetailView(ScopedViewMixin, TemplateView):
    model = Lot
    template_name = "vaccines/lot_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        lot = self.get_object()
        user = self.request.user
        ctx.update(
            object=lot,
            expired=lot.is_expired(timezone.localdate()),
            balances=StockBalance.objects.restrict(user, "view")
            .filter(lot=lot)
            .select_related("store")
            .order_by("store__name"),
            holds=LotHold.objects.restrict(user, "view")
            .filter(lot=lot)
            .select_related("store")
            .order_by("-started_at"),
            entries=StockEntry.objects.restrict(user, "view")
            .filter(lot=lot)
            .select_related("store", "counterpart")[:100],
            active_nav=NAV,
        )
        return ctx


# --------------------------------------------------------------------------------------------
# Stock on hand, ledger, expiry
# --------------------------------------------------------------------------------------------


class BalanceListView(TableListView):
    model = StockBalance
    filterset_class = filters.StockBalanceFilterSet
    title = gettext_lazy("Vaccine stock on hand")
    export_name = "ton-kho-vac-xin"
    extra_actions = (
        ("vaccines:receive", gettext_lazy("Receive"), "add"),
        ("vaccines:issue", gettext_lazy("Issue to a point"), "add"),
        ("vaccines:transfer", gettext_lazy("Transfer"), "add"),
        ("vaccines:return", gettext_lazy("Return"), "add"),
        ("vaccines:adjust", gettext_lazy("Adjust"), "add"),
        ("vaccines:count-list", gettext_lazy("Physical counts"), "view"),
        ("vaccines:expiry", gettext_lazy("Expiry warnings"), "view"),
        ("vaccines:entry-list", gettext_lazy("Ledger"), "view"),
    )
    columns = [
        (gettext_lazy("Store"), 28, False),
        (gettext_lazy("Vaccine"), 28, False),
        (gettext_lazy("Lot"), 14, False),
        (gettext_lazy("Expiry date"), 12, False),
        (gettext_lazy("Days left"), 10, True),
        (gettext_lazy("On hold"), 8, False),
        (gettext_lazy("Doses on hand"), 12, True),
    ]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("store", "lot", "lot__vaccine")
            .order_by("store__name", "lot__vaccine__name", "lot__expiry_date", "lot__lot_number")
        )

    def get_filterset(self):
        # Always bound: lots without doses are hidden unless asked for (see the filterset).
        return self.filterset_class(
            self.request.GET, queryset=self.get_queryset(), request=self.request
        )

    def get_context_data(self, **kwargs):
        self._held = set(
            LotHold.objects.restrict(self.request.user, "view")
            .filter(released_at__isnull=True)
            .values_list("store_id", "lot_id")
        )
        ctx = super().get_context_data(**kwargs)
        filterset = ctx["filterset"]
        qs = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        ctx["total_doses"] = format_number(qs.aggregate(t=Sum("quantity"))["t"] or 0)
        return ctx

    def _held_flag(self, obj):
        if not hasattr(self, "_held"):
            self._held = set(
                LotHold.objects.filter(released_at__isnull=True).values_list("store_id", "lot_id")
            )
        return (obj.store_id, obj.lot_id) in self._held

    def export_row(self, obj):
        return [
            obj.store.name,
            obj.lot.vaccine.name,
            obj.lot.lot_number,
            _d(obj.lot.expiry_date),
            (obj.lot.expiry_date - timezone.localdate()).days,
            _("yes") if self._held_flag(obj) else "",
            obj.quantity,
        ]

    def cells(self, obj):
        row = self.export_row(obj)
        row[0] = (obj.store.name, obj.store.get_absolute_url())
        row[2] = (obj.lot.lot_number, obj.lot.get_absolute_url())
        row[4] = format_number(row[4])
        row[6] = format_number(row[6])
        return row

    def row_key(self, obj):
        return f"{obj.store.uid}-{obj.lot.uid}"


class EntryListView(TableListView):
    model = StockEntry
    filterset_class = filters.StockEntryFilterSet
    title = gettext_lazy("Stock ledger")
    export_name = "so-kho-vac-xin"
    columns = [
        (gettext_lazy("UID"), 13, False),
        (gettext_lazy("Time"), 17, False),
        (gettext_lazy("Store"), 28, False),
        (gettext_lazy("Kind"), 16, False),
        (gettext_lazy("Vaccine"), 25, False),
        (gettext_lazy("Lot"), 14, False),
        (gettext_lazy("Doses"), 10, True),
        (gettext_lazy("Reason"), 20, False),
        (gettext_lazy("Counterpart"), 28, False),
        (gettext_lazy("Reference"), 18, False),
        (gettext_lazy("Reverses"), 13, False),
        (gettext_lazy("Recorded by"), 16, False),
    ]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related(
                "store", "lot", "lot__vaccine", "counterpart", "supplier", "reverses", "created_by"
            )
            .order_by("-occurred_at", "-pk")
        )

    def export_row(self, obj):
        counterpart = obj.counterpart.name if obj.counterpart_id else ""
        if obj.supplier_id and not counterpart:
            counterpart = obj.supplier.name
        return [
            obj.uid,
            _dt(obj.occurred_at),
            obj.store.name,
            obj.get_kind_display(),
            obj.lot.vaccine.name,
            obj.lot.lot_number,
            obj.quantity,
            obj.get_reason_display(),
            counterpart,
            obj.reference,
            obj.reverses.uid if obj.reverses_id else "",
            obj.created_by.username if obj.created_by_id else "",
        ]

    def cells(self, obj):
        row = self.export_row(obj)
        row[0] = (obj.uid, obj.get_absolute_url())
        row[5] = (obj.lot.lot_number, obj.lot.get_absolute_url())
        row[6] = _signed(obj.quantity)
        return row


class EntryDetailView(ScopedViewMixin, TemplateView):
    model = StockEntry
    template_name = "vaccines/entry_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        entry = self.get_object()
        movement = (
            StockEntry.objects.restrict(self.request.user, "view")
            .filter(movement=entry.movement)
            .select_related("store", "lot", "lot__vaccine", "counterpart")
            .order_by("pk")
        )
        reversed_by = StockEntry.objects.filter(reverses__movement=entry.movement).first()
        can_reverse = (
            self.user_can("change")
            and not entry.reverses_id
            and reversed_by is None
            and entry.kind != EntryKind.ADMINISTERED
            and self.get_queryset("change").filter(pk=entry.pk).exists()
        )
        ctx.update(
            object=entry,
            movement=movement,
            reversed_by=reversed_by,
            can_reverse=can_reverse,
            form=kwargs.get("form") or forms.ReverseForm(),
            active_nav=NAV,
        )
        return ctx


class EntryReverseView(EntryDetailView):
    action = "change"

    def get(self, request, *args, **kwargs):
        return redirect("vaccines:entry-detail", uid=kwargs["uid"])

    def post(self, request, *args, **kwargs):
        entry = self.get_object("change")
        form = forms.ReverseForm(request.POST)
        if form.is_valid():
            try:
                reversals = stock.reverse_movement(
                    entry, user=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The movement is reversed."))
                return redirect(reversals[0].get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ExpiryView(TableListView):
    """Stock expiring within 30, 60 and 90 days, and stock already expired."""

    model = StockBalance
    filterset_class = filters.StockBalanceFilterSet
    template_name = "vaccines/expiry.html"
    title = gettext_lazy("Expiry warnings")
    export_name = "vac-xin-sap-het-han"
    paginate_by = 500
    columns = [
        (gettext_lazy("Horizon"), 14, False),
        (gettext_lazy("Store"), 28, False),
        (gettext_lazy("Vaccine"), 28, False),
        (gettext_lazy("Lot"), 14, False),
        (gettext_lazy("Expiry date"), 12, False),
        (gettext_lazy("Days left"), 10, True),
        (gettext_lazy("Doses on hand"), 12, True),
    ]

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in {"xlsx", "csv"}:
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            return export_response(
                [str(label) for label, _w, _n in self.columns],
                (self._row(w) for w in self.warnings("export")),
                fmt,
                self.export_name,
                sheet_title=str(self.title),
                widths=[w for _l, w, _n in self.columns],
            )
        return TemplateView.get(self, request, *args, **kwargs)

    def warnings(self, action="view"):
        filterset = self.filterset_class(
            self.request.GET or None, queryset=self.get_queryset(action), request=self.request
        )
        qs = filterset.qs if not filterset.is_bound or filterset.is_valid() else filterset.qs.none()
        self._filterset = filterset
        return stock.expiry_warnings(qs)

    @staticmethod
    def _horizon(w) -> str:
        if w.expired:
            return str(_("Expired"))
        return _("Within %(n)s days") % {"n": w.horizon}

    def _row(self, w):
        b = w.balance
        return [
            self._horizon(w),
            b.store.name,
            b.lot.vaccine.name,
            b.lot.lot_number,
            _d(b.lot.expiry_date),
            w.days_left,
            b.quantity,
        ]

    def get_context_data(self, **kwargs):
        ctx = TemplateView.get_context_data(self, **kwargs)
        warnings = self.warnings()
        groups = []
        for key, label in [
            (None, _("Expired")),
            (30, _("Within 30 days")),
            (60, _("Within 60 days")),
            (90, _("Within 90 days")),
        ]:
            items = [w for w in warnings if w.horizon == key and (key is not None or w.expired)]
            groups.append(
                {
                    "key": "expired" if key is None else str(key),
                    "label": label,
                    "items": items,
                    "doses": format_number(sum(w.balance.quantity for w in items)),
                }
            )
        query = self.request.GET.copy()
        query.pop("export", None)
        ctx.update(
            title=self.title,
            filterset=self._filterset,
            groups=groups,
            querystring=query.urlencode(),
            can_export=self.user_can("export"),
            active_nav=NAV,
        )
        return ctx


# --------------------------------------------------------------------------------------------
# Movements
# --------------------------------------------------------------------------------------------


class MovementView(ScopedViewMixin, TemplateView):
    """A movement form with lines (a formset)."""

    model = StockEntry
    action = "add"
    template_name = "vaccines/movement_form.html"
    title = ""
    intro = ""
    kind = ""

    def get_form(self, data=None):
        return forms.MoveForm(data, user=self.request.user, kind=self.kind, initial=self.initial())

    def initial(self):
        uid = self.request.GET.get("store")
        return {"store": Store.objects.filter(uid=uid).first()} if uid else {}

    def get_formset(self, data=None):
        return forms.MoveLineFormSet(data, prefix="lines", user=self.request.user)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(form=self.get_form(), formset=self.get_formset())
        )

    def post(self, request, *args, **kwargs):
        form, formset = self.get_form(request.POST), self.get_formset(request.POST)
        if form.is_valid() and formset.is_valid():
            try:
                with transaction.atomic():
                    entries = self.perform(form, formset)
            except ValidationError as exc:
                _add_errors(form, exc, {"lines": "__all__", "quantity": "__all__"})
            else:
                doses = sum(e.quantity for e in entries if e.quantity > 0)
                messages.success(request, _("Recorded: %(n)s doses.") % {"n": format_number(doses)})
                return redirect(entries[0].get_absolute_url())
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset), status=400
        )

    def perform(self, form, formset):
        raise ImproperlyConfigured(f"{type(self).__name__} must define perform()")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": self.title,
            "intro": self.intro,
            "kind": self.kind,
            "active_nav": NAV,
        }


class IssueView(MovementView):
    kind = "issue"
    title = gettext_lazy("Issue vaccine to a point")
    intro = gettext_lazy(
        "Lots are suggested first-expiry-first-out. Expired lots and lots on hold cannot be issued."
    )

    def perform(self, form, formset):
        d = form.cleaned_data
        return stock.issue(
            d["store"],
            d["counterpart"],
            forms.lines_from(formset),
            occurred_at=d.get("occurred_at"),
            user=self.request.user,
            reference=d.get("reference", ""),
            note=d.get("note", ""),
        )


class TransferView(MovementView):
    kind = "transfer"
    title = gettext_lazy("Transfer vaccine between stores")

    def perform(self, form, formset):
        d = form.cleaned_data
        return stock.transfer(
            d["store"],
            d["counterpart"],
            forms.lines_from(formset),
            occurred_at=d.get("occurred_at"),
            user=self.request.user,
            reference=d.get("reference", ""),
            note=d.get("note", ""),
        )


class ReturnView(MovementView):
    kind = "return"
    title = gettext_lazy("Return vaccine to the centre")
    intro = gettext_lazy(
        "Expired or recalled doses may be returned; lots on hold stay until decided."
    )

    def perform(self, form, formset):
        d = form.cleaned_data
        return stock.return_stock(
            d["store"],
            forms.lines_from(formset),
            destination=d.get("counterpart"),
            reason=d.get("reason", ""),
            occurred_at=d.get("occurred_at"),
            user=self.request.user,
            reference=d.get("reference", ""),
            note=d.get("note", ""),
        )


class ReceiveView(MovementView):
    kind = "receive"
    title = gettext_lazy("Receive vaccine from a supplier")
    intro = gettext_lazy(
        "One line a lot: a new lot number is recorded with its expiry date on its first receipt."
    )

    def get_form(self, data=None):
        return forms.ReceiveForm(data, user=self.request.user, initial=self.initial())

    def get_formset(self, data=None):
        return forms.ReceiveLineFormSet(data, prefix="lines")

    def perform(self, form, formset):
        d = form.cleaned_data
        lines = []
        for line in formset.forms:
            if not (line.has_changed() and line.cleaned_data):
                continue
            c = line.cleaned_data
            try:
                lot = stock.find_or_create_lot(c["vaccine"], c["lot_number"], c["expiry_date"])
            except ValidationError as exc:
                raise ValidationError(
                    {"lines": [f"{c['lot_number']}: {m}" for m in exc.messages]}
                ) from exc
            lines.append(stock.Line(lot, c["quantity"]))
        return stock.receive(
            d["store"],
            lines,
            supplier=d["supplier"],
            reference=d["reference"],
            occurred_at=d.get("occurred_at"),
            user=self.request.user,
            note=d.get("note", ""),
        )


class AdjustView(FormPageView):
    model = StockEntry
    form_class = forms.AdjustForm
    title = gettext_lazy("Adjust stock")
    intro = gettext_lazy(
        "Write doses off (negative) for expiry, breakage, a cold-chain break, VVM stage 3 or 4, "
        "an opened vial; add doses (positive) only to correct a count."
    )

    def perform(self, form):
        d = form.cleaned_data
        entry = stock.adjust(
            d["store"],
            d["lot"],
            d["quantity"],
            d["reason"],
            occurred_at=d.get("occurred_at"),
            user=self.request.user,
            note=d.get("note", ""),
        )
        messages.success(self.request, _("Recorded: %(entry)s") % {"entry": entry})
        return entry.get_absolute_url()


class FefoView(ScopedViewMixin, TemplateView):
    """The lots to take first for a store, vaccine and number of doses (an htmx fragment of
    the issue form, or a page of its own)."""

    model = StockBalance
    template_name = "vaccines/_fefo.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        store = (
            Store.objects.restrict(user, "view").filter(uid=self.request.GET.get("store")).first()
        )
        vaccine = Vaccine.objects.filter(uid=self.request.GET.get("vaccine")).first()
        try:
            quantity = max(int(self.request.GET.get("quantity") or 1), 1)
        except ValueError:
            quantity = 1
        suggestions, missing = ([], 0)
        if store and vaccine:
            suggestions, missing = stock.suggest_lots(store, vaccine, quantity)
        ctx.update(
            store=store,
            vaccine=vaccine,
            quantity=quantity,
            suggestions=suggestions,
            missing=missing,
            stores=Store.objects.restrict(user, "view").filter(active=True).order_by("name"),
            vaccines=Vaccine.objects.filter(active=True).order_by("name"),
            base_template="vaccines/_bare.html"
            if self.request.headers.get("HX-Request")
            else "web/base.html",
            active_nav=NAV,
        )
        return ctx


# --------------------------------------------------------------------------------------------
# Physical counts
# --------------------------------------------------------------------------------------------


class CountListView(TableListView):
    model = StockCount
    filterset_class = filters.StockCountFilterSet
    title = gettext_lazy("Physical counts")
    export_name = "kiem-ke-vac-xin"
    add_url_name = "vaccines:count-add"
    add_label = gettext_lazy("New count")
    columns = [
        (gettext_lazy("UID"), 13, False),
        (gettext_lazy("Counted at"), 17, False),
        (gettext_lazy("Store"), 30, False),
        (gettext_lazy("Status"), 14, False),
        (gettext_lazy("Lots"), 8, True),
        (gettext_lazy("Reconciled at"), 17, False),
    ]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("store")
            .annotate(line_count=Count("lines"))
            .order_by("-counted_at", "-pk")
        )

    def export_row(self, obj):
        return [
            obj.uid,
            _dt(obj.counted_at),
            obj.store.name,
            obj.get_status_display(),
            obj.line_count,
            _dt(obj.reconciled_at),
        ]

    def cells(self, obj):
        row = self.export_row(obj)
        row[0] = (obj.uid, obj.get_absolute_url())
        return row


class CountFormView(ScopedViewMixin, TemplateView):
    """Start a count of a store (its lots listed from the ledger) or correct an open one."""

    model = StockCount
    action = "add"
    template_name = "vaccines/count_form.html"

    def count(self):
        return None

    def store(self, form=None):
        count = self.count()
        if count is not None:
            return count.store
        uid = self.request.POST.get("store") or self.request.GET.get("store")
        return forms.stores_for(self.request.user).filter(uid=uid).first() if uid else None

    def initial_lines(self, store):
        count = self.count()
        if count is not None:
            return [
                {"lot": line.lot, "counted": line.counted, "reason": line.reason, "note": line.note}
                for line in count.lines.select_related("lot")
            ]
        if store is None:
            return []
        return [{"lot": lot} for lot, _n in stock.count_sheet(store)]

    def get_forms(self, data=None):
        store = self.store()
        count = self.count()
        initial = {"store": store}
        if count is not None:
            initial.update(counted_at=timezone.localtime(count.counted_at), note=count.note)
        form = forms.CountForm(data, user=self.request.user, initial=initial)
        if count is not None:
            form.fields["store"].disabled = True
        formset = forms.CountLineFormSet(
            data, prefix="lines", user=self.request.user, initial=self.initial_lines(store)
        )
        return form, formset

    def get(self, request, *args, **kwargs):
        form, formset = self.get_forms()
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def post(self, request, *args, **kwargs):
        form, formset = self.get_forms(request.POST)
        if form.is_valid() and formset.is_valid():
            d = form.cleaned_data
            lines = [
                stock.CountInput(
                    f.cleaned_data["lot"],
                    f.cleaned_data["counted"],
                    f.cleaned_data.get("reason", ""),
                    f.cleaned_data.get("note", ""),
                )
                for f in formset.forms
                if f.has_changed() and f.cleaned_data
            ]
            try:
                count = stock.record_count(
                    self.count().store if self.count() else d["store"],
                    lines,
                    counted_at=d.get("counted_at"),
                    user=request.user,
                    note=d.get("note", ""),
                    count=self.count(),
                )
            except ValidationError as exc:
                _add_errors(form, exc, {"lines": "__all__"})
            else:
                messages.success(request, _("Count saved."))
                return redirect(count.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset), status=400
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "object": self.count(),
            "store": self.store(),
            "active_nav": NAV,
        }


class CountEditView(CountFormView):
    action = "change"

    def count(self):
        if not hasattr(self, "_count"):
            self._count = self.get_object("change")
            if self._count.status != CountStatus.OPEN:
                raise Http404
        return self._count


class CountDetailView(ScopedViewMixin, TemplateView):
    model = StockCount
    template_name = "vaccines/count_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        count = self.get_object()
        lines = []
        for line in count.lines.select_related("lot", "lot__vaccine"):
            expected = (
                line.expected
                if line.expected is not None
                else stock.ledger_balance(count.store, line.lot, count.counted_at)
            )
            lines.append(
                {"line": line, "expected": expected, "difference": line.counted - expected}
            )
        ctx.update(
            object=count,
            lines=lines,
            adjustments=StockEntry.objects.filter(count_line__count=count).select_related("lot"),
            can_change=count.status == CountStatus.OPEN
            and self.user_can("change")
            and self.get_queryset("change").filter(pk=count.pk).exists(),
            errors=kwargs.get("errors"),
            active_nav=NAV,
        )
        return ctx


class CountReconcileView(CountDetailView):
    action = "change"

    def get(self, request, *args, **kwargs):
        return redirect("vaccines:count-detail", uid=kwargs["uid"])

    def post(self, request, *args, **kwargs):
        count = self.get_object("change")
        try:
            entries = stock.reconcile_count(count, user=request.user)
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(errors=exc.messages), status=400)
        messages.success(
            request,
            _("Count reconciled: %(n)s adjustments recorded.") % {"n": len(entries)},
        )
        return redirect(count.get_absolute_url())


# --------------------------------------------------------------------------------------------
# Cold chain
# --------------------------------------------------------------------------------------------


class ReadingListView(TableListView):
    model = TemperatureReading
    filterset_class = filters.TemperatureReadingFilterSet
    title = gettext_lazy("Cold-chain temperatures")
    export_name = "nhiet-do-day-chuyen-lanh"
    extra_actions = (("vaccines:hold-list", gettext_lazy("Lots on hold"), "view"),)
    columns = [
        (gettext_lazy("Time"), 17, False),
        (gettext_lazy("Store"), 28, False),
        (gettext_lazy("Fridge"), 25, False),
        (gettext_lazy("Temperature (°C)"), 12, True),
        (gettext_lazy("Range (°C)"), 10, False),
        (gettext_lazy("Excursion"), 10, False),
        (gettext_lazy("Source"), 14, False),
    ]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("fridge", "fridge__store")
            .order_by("-recorded_at", "-pk")
        )

    def export_row(self, obj):
        return [
            _dt(obj.recorded_at),
            obj.fridge.store.name,
            obj.fridge.name,
            float(obj.temperature_c),
            f"{obj.fridge.min_c}–{obj.fridge.max_c}",
            _("yes") if obj.excursion else "",
            obj.get_source_display(),
        ]

    def cells(self, obj):
        row = self.export_row(obj)
        row[2] = (obj.fridge.name, obj.fridge.get_absolute_url())
        row[3] = format_number(obj.temperature_c, 1)
        return row


class FridgeChildMixin:
    """A page under a fridge (``uid`` in the URL), which must be in the user's scope."""

    def fridge(self):
        if not hasattr(self, "_fridge"):
            self._fridge = get_object_or_404(
                Fridge.objects.restrict(self.request.user, self.action).select_related(
                    "store", "store__org_unit"
                ),
                uid=self.kwargs["uid"],
            )
        return self._fridge

    def cancel_url(self):
        return self.fridge().get_absolute_url()


class ReadingCreateView(FridgeChildMixin, FormPageView):
    model = TemperatureReading
    form_class = forms.ReadingForm
    title = gettext_lazy("Record a temperature")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["intro"] = _(
            "%(fridge)s: allowed %(lo)s–%(hi)s °C. A reading outside the range puts the "
            "store's lots on hold."
        ) % {"fridge": self.fridge(), "lo": self.fridge().min_c, "hi": self.fridge().max_c}
        return ctx

    def perform(self, form):
        d = form.cleaned_data
        reading = coldchain.record_reading(
            self.fridge(),
            d["recorded_at"],
            d["temperature_c"],
            user=self.request.user,
            note=d.get("note", ""),
        )
        if reading.excursion:
            holds = reading.holds.count()
            messages.warning(
                self.request,
                _("Excursion recorded: %(n)s lots put on hold until a decision.") % {"n": holds},
            )
        else:
            messages.success(self.request, _("Reading recorded."))
        return self.fridge().get_absolute_url()


class ReadingUploadView(FridgeChildMixin, ScopedViewMixin, TemplateView):
    model = TemperatureReading
    action = "import"
    template_name = "vaccines/reading_upload.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=forms.UploadForm()))

    def post(self, request, *args, **kwargs):
        form = forms.UploadForm(request.POST, request.FILES)
        report = None
        status = 400
        if form.is_valid():
            report = coldchain.upload_readings(
                self.fridge(),
                form.cleaned_data["file"],
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
            status = 200 if report.ok else 400
        return self.render_to_response(
            self.get_context_data(form=form, report=report), status=status
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "fridge": self.fridge(),
            "active_nav": NAV,
        }


class HoldListView(TableListView):
    model = LotHold
    filterset_class = filters.LotHoldFilterSet
    title = gettext_lazy("Lots on hold")
    export_name = "lo-vac-xin-tam-dung"
    add_url_name = "vaccines:hold-add"
    add_label = gettext_lazy("Put a lot on hold")
    columns = [
        (gettext_lazy("UID"), 13, False),
        (gettext_lazy("Since"), 17, False),
        (gettext_lazy("Store"), 28, False),
        (gettext_lazy("Vaccine"), 25, False),
        (gettext_lazy("Lot"), 14, False),
        (gettext_lazy("Reason"), 45, False),
        (gettext_lazy("Decision"), 18, False),
        (gettext_lazy("Decided at"), 17, False),
    ]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("store", "lot", "lot__vaccine")
            .order_by("released_at", "-started_at", "-pk")
        )

    def export_row(self, obj):
        return [
            obj.uid,
            _dt(obj.started_at),
            obj.store.name,
            obj.lot.vaccine.name,
            obj.lot.lot_number,
            obj.reason,
            obj.get_decision_display() if obj.decision else _("On hold"),
            _dt(obj.released_at),
        ]

    def cells(self, obj):
        row = self.export_row(obj)
        row[0] = (obj.uid, reverse("vaccines:hold-detail", args=[obj.uid]))
        return row


class HoldCreateView(FormPageView):
    model = LotHold
    form_class = forms.HoldForm
    title = gettext_lazy("Put a lot on hold")
    intro = gettext_lazy(
        "A recall, a suspected quality problem, a VVM change: the lot cannot be issued or given "
        "at this store until a decision is recorded."
    )

    def cancel_url(self):
        return reverse("vaccines:hold-list")

    def perform(self, form):
        d = form.cleaned_data
        hold, created = coldchain.put_on_hold(
            d["store"], d["lot"], reason=d["reason"], user=self.request.user
        )
        if not created:
            raise ValidationError({"lot": _("This lot is already on hold at this store.")})
        messages.success(self.request, _("The lot is on hold."))
        return reverse("vaccines:hold-detail", args=[hold.uid])


class HoldDetailView(ScopedViewMixin, TemplateView):
    model = LotHold
    template_name = "vaccines/hold_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        hold = self.get_object()
        ctx.update(
            object=hold,
            doses=stock.on_hand(hold.store, hold.lot),
            readings=(
                hold.fridge.readings.filter(
                    recorded_at__gte=hold.started_at - datetime.timedelta(hours=12),
                    recorded_at__lte=(hold.released_at or timezone.now()),
                ).order_by("recorded_at")[:200]
                if hold.fridge_id
                else []
            ),
            can_decide=hold.is_open
            and self.user_can("change")
            and self.get_queryset("change").filter(pk=hold.pk).exists(),
            form=kwargs.get("form") or forms.DecisionForm(),
            active_nav=NAV,
        )
        return ctx


class HoldDecideView(HoldDetailView):
    action = "change"

    def get(self, request, *args, **kwargs):
        return redirect("vaccines:hold-detail", uid=kwargs["uid"])

    def post(self, request, *args, **kwargs):
        hold = self.get_object("change")
        form = forms.DecisionForm(request.POST)
        if form.is_valid():
            try:
                coldchain.decide_hold(
                    hold,
                    form.cleaned_data["decision"],
                    user=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                _add_errors(form, exc, {"decision_note": "note"})
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("vaccines:hold-detail", uid=hold.uid)
        return self.render_to_response(self.get_context_data(form=form), status=400)
