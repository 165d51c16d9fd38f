from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.views import ColumnExportMixin, ObjectListView, ScopedViewMixin, _add_errors
from doha.donations import services
from doha.donations.filters import DonationFilterSet
from doha.donations.forms import DonationForm, ItemFormSet
from doha.donations.imports import DonationImport
from doha.donations.models import Donation, DonationItem, format_vnd, with_totals
from doha.rotations.tabular_import import ImportView

COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("Date"), 12),
    (gettext_lazy("Donor"), 35),
    (gettext_lazy("Recipient"), 35),
    (gettext_lazy("Programme"), 35),
    (gettext_lazy("Items"), 50),
    (gettext_lazy("Total value (VND)"), 16),
    (gettext_lazy("Description"), 40),
]


def _row(d):
    items = "; ".join(str(i) for i in d.items.all())
    return [
        d.uid,
        d.date.strftime("%d/%m/%Y"),
        d.donor.name,
        d.recipient.name,
        str(d.programme) if d.programme_id else "",
        items,
        d.total_value,
        d.description,
    ]


class DonationListView(ColumnExportMixin, ObjectListView):
    model = Donation
    filterset_class = DonationFilterSet
    template_name = "donations/donation_list.html"

    def get_queryset(self, action=None):
        return (
            with_totals(super().get_queryset(action))
            .select_related("donor", "recipient", "programme")
            .prefetch_related("items")
            .order_by("-date", "-pk")
        )

    columns = COLUMNS
    export_filename = "tai-tro"
    sheet_title = gettext_lazy("Donations")

    def export_row(self, donation):
        return _row(donation)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset = ctx["filterset"]
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        total = DonationItem.objects.filter(donation__in=qs.values("pk")).aggregate(
            total=Sum("total_value")
        )["total"]
        ctx.update(grand_total=format_vnd(total or 0), active_nav="donations")
        return ctx


class DonationImportView(ImportView):
    """Record donations and their items from a .xlsx or .csv file, all or nothing."""

    model = Donation
    importer = DonationImport
    title = gettext_lazy("Import donations")
    intro = gettext_lazy(
        "One row an item; the rows of one donation share its reference. The same rules "
        "as on the form: at least one item, quantities above zero, values in whole đồng, "
        "a programme only between its parties."
    )
    list_url = "donations:list"
    list_label = gettext_lazy("Donations")
    active_nav = "donations"


class DonationDetailView(ScopedViewMixin, TemplateView):
    model = Donation
    template_name = "donations/donation_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = self.get_object()
        ctx.update(
            object=obj,
            items=obj.items.order_by("pk"),
            can_edit=self.user_can("change")
            and self.get_queryset("change").filter(pk=obj.pk).exists(),
            active_nav="donations",
        )
        return ctx


def _item_initial(donation):
    if donation is None:
        return []
    return [
        {
            "item": i.item,
            "quantity": i.quantity,
            "unit": i.unit,
            "unit_value": i.unit_value,
            "total_value": None if i.unit_value is not None else i.total_value,
        }
        for i in donation.items.order_by("pk")
    ]


class DonationCreateView(ScopedViewMixin, TemplateView):
    model = Donation
    action = "add"
    template_name = "donations/donation_form.html"

    def get_instance(self):
        return None

    def get(self, request, *args, **kwargs):
        form = DonationForm(instance=self.get_instance(), user=request.user)
        formset = ItemFormSet(prefix="items", initial=_item_initial(self.get_instance()))
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def post(self, request, *args, **kwargs):
        form = DonationForm(request.POST, instance=self.get_instance(), user=request.user)
        formset = ItemFormSet(request.POST, prefix="items")
        if form.is_valid() and formset.is_valid():
            items = [
                DonationItem(
                    item=f.cleaned_data["item"],
                    quantity=f.cleaned_data["quantity"],
                    unit=f.cleaned_data["unit"],
                    unit_value=f.cleaned_data.get("unit_value"),
                    total_value=f.cleaned_data.get("total_value"),
                )
                for f in formset.forms
                if f.has_changed() and f.cleaned_data
            ]
            try:
                with transaction.atomic():
                    donation = services.save_donation(
                        form.save(commit=False), items, user=request.user
                    )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": donation})
                return redirect(donation.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset), status=400
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "object": self.get_instance(),
            "active_nav": "donations",
        }


class DonationEditView(DonationCreateView):
    action = "change"

    def get_instance(self):
        if not hasattr(self, "_object"):
            self._object = self.get_object("change")
        return self._object
