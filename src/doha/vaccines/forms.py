"""Forms of the catalogue, stock and cold-chain pages. They read input; the rules are the
services' (``stock.py``, ``coldchain.py``)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.core.scope import user_scope_path
from doha.orgunits.models import OrgUnit
from doha.vaccines import stock
from doha.vaccines.models import (
    Antigen,
    EntryReason,
    Fridge,
    HoldDecision,
    Lot,
    ScheduleDose,
    StockBalance,
    Store,
    StoreKind,
    Supplier,
    Vaccine,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", DATETIME_FORMAT)
        super().__init__(**kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


def moment_field(label, required=False, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        help_text=help_text,
    )


class StoreChoiceField(forms.ModelChoiceField):
    """A store, by UID."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "uid")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.org_unit.short_name or obj.org_unit.name}"


class LotChoiceField(forms.ModelChoiceField):
    """A lot, by UID, named with its vaccine and expiry date."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "uid")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return _("%(vaccine)s · lot %(lot)s · exp. %(date)s") % {
            "vaccine": obj.vaccine.name,
            "lot": obj.lot_number,
            "date": obj.expiry_date.strftime("%d/%m/%Y"),
        }


def stores_for(user, action="add", kind=None):
    qs = Store.objects.restrict(user, action).filter(active=True).select_related("org_unit")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("org_unit__sort_name", "kind", "name")


def supplying_centres(user):
    """Centre stores that may supply (or take returns from) the user's points: those of the
    user's own province, whether or not the centre sits inside the user's scope (a point's
    clerk names the centre above it), never another province's."""
    qs = Store.objects.filter(kind=StoreKind.CENTRE, active=True).select_related("org_unit")
    prefix = user_scope_path(user)
    if prefix is None:
        return qs.none()
    # Paths are "/uid/uid/.../" with 11-character UIDs: level 2 (the province's DOH) is the
    # first 25 characters.
    return qs.filter(org_unit__path__startswith=prefix[:25])


def lots_in_stock(user):
    """Lots with doses in a store the user may see."""
    balances = StockBalance.objects.restrict(user, "view").filter(quantity__gt=0)
    return (
        Lot.objects.filter(pk__in=balances.values("lot_id"))
        .select_related("vaccine")
        .order_by("vaccine__name", "expiry_date", "lot_number")
    )


# Catalogue --------------------------------------------------------------------------------


class AntigenForm(forms.ModelForm):
    class Meta:
        model = Antigen
        fields = ["code", "name", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class VaccineForm(forms.ModelForm):
    class Meta:
        model = Vaccine
        fields = [
            "code",
            "name",
            "antigens",
            "manufacturer",
            "country",
            "doses_per_vial",
            "open_vial_policy",
            "open_vial_hours",
            "route",
            "dose_volume_ml",
            "storage_min_c",
            "storage_max_c",
            "price",
            "active",
        ]
        widgets = {"antigens": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["antigens"].queryset = Antigen.objects.filter(active=True).order_by("name")


class ScheduleDoseForm(forms.ModelForm):
    class Meta:
        model = ScheduleDose
        fields = [
            "dose_number",
            "min_age_days",
            "max_age_days",
            "recommended_age_days",
            "min_interval_days",
            "recommended_interval_days",
            "booster",
            "note",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


# Stores, fridges, suppliers ---------------------------------------------------------------


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class StoreForm(forms.ModelForm):
    org_unit = UnitChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    supplied_by = StoreChoiceField(
        label=_("Supplied by"), queryset=Store.objects.none(), required=False
    )

    class Meta:
        model = Store
        fields = ["org_unit", "name", "kind", "supplied_by", "address", "active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        units = OrgUnit.objects.restrict(user, "view").filter(active=True).order_by("sort_name")
        self.fields["org_unit"].queryset = units
        centres = supplying_centres(user)
        if self.instance.pk:
            centres = centres.exclude(pk=self.instance.pk)
        self.fields["supplied_by"].queryset = centres.order_by("org_unit__sort_name", "name")

    def clean(self):
        data = super().clean()
        kind, supplier = data.get("kind"), data.get("supplied_by")
        unit = data.get("org_unit")
        if kind == StoreKind.CENTRE and supplier is not None:
            self.add_error("supplied_by", _("A centre store is not supplied by another store."))
        if kind == StoreKind.POINT and supplier is None:
            self.add_error("supplied_by", _("Name the centre store that supplies this point."))
        if (
            supplier is not None
            and unit is not None
            and not unit.path.startswith(supplier.org_unit.path)
        ):
            self.add_error(
                "supplied_by",
                _("A point is supplied by the centre of its own unit or of a unit above it."),
            )
        return data


class FridgeForm(forms.ModelForm):
    store = StoreChoiceField(label=_("Store"), queryset=Store.objects.none())

    class Meta:
        model = Fridge
        fields = [
            "store",
            "name",
            "model_name",
            "serial_number",
            "logger_serial",
            "min_c",
            "max_c",
            "active",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(user, "view")

    def clean(self):
        data = super().clean()
        low, high = data.get("min_c"), data.get("max_c")
        if low is not None and high is not None and low >= high:
            self.add_error("max_c", _("The maximum must be above the minimum."))
        return data


class SupplierForm(forms.ModelForm):
    org_unit = UnitChoiceField(label=_("Buyer"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Supplier
        fields = ["org_unit", "name", "tax_code", "address", "phone", "active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        stores = Store.objects.restrict(user, "view")
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(
            pk__in=stores.values("org_unit")
        ).order_by("sort_name")


# Movements --------------------------------------------------------------------------------


class ReceiveForm(forms.Form):
    store = StoreChoiceField(label=_("Receiving store"), queryset=Store.objects.none())
    supplier = forms.ModelChoiceField(label=_("Supplier"), queryset=Supplier.objects.none())
    reference = forms.CharField(label=_("Invoice number"), max_length=100)
    occurred_at = moment_field(_("Received at"), help_text=_("Empty: now."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(user)
        self.fields["supplier"].queryset = (
            Supplier.objects.restrict(user, "view").filter(active=True).order_by("name")
        )


class ReceiveLineForm(forms.Form):
    vaccine = forms.ModelChoiceField(label=_("Vaccine"), queryset=Vaccine.objects.none())
    lot_number = forms.CharField(label=_("Lot number"), max_length=50)
    expiry_date = forms.DateField(label=_("Expiry date"), widget=DateInput())
    quantity = forms.IntegerField(label=_("Doses"), min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vaccine"].queryset = Vaccine.objects.filter(active=True).order_by("name")


ReceiveLineFormSet = forms.formset_factory(ReceiveLineForm, extra=4)


class MoveForm(forms.Form):
    """Issue, transfer or return: from a store to another."""

    store = StoreChoiceField(label=_("From"), queryset=Store.objects.none())
    counterpart = StoreChoiceField(label=_("To"), queryset=Store.objects.none())
    occurred_at = moment_field(_("Time"), help_text=_("Empty: now."))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", "—"), *EntryReason.choices],
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user=None, kind="issue", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(
            user, kind=StoreKind.CENTRE if kind == "issue" else None
        )
        if kind == "issue":
            targets = stores_for(user, "view", kind=StoreKind.POINT)
        elif kind == "return":
            targets = supplying_centres(user)
            self.fields["counterpart"].required = False
            self.fields["counterpart"].help_text = _("Empty: the centre store that supplies it.")
        else:
            targets = stores_for(user, "view")
        self.fields["counterpart"].queryset = targets.order_by("org_unit__sort_name", "name")
        if kind != "return":
            del self.fields["reason"]


class MoveLineForm(forms.Form):
    lot = LotChoiceField(label=_("Lot"), queryset=Lot.objects.none())
    quantity = forms.IntegerField(label=_("Doses"), min_value=1)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lots_in_stock(user)


class BaseMoveLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "user": self.user}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            user=self.user,
        )
        self.add_fields(form, None)
        return form


MoveLineFormSet = forms.formset_factory(MoveLineForm, formset=BaseMoveLineFormSet, extra=3)


def lines_from(formset) -> list[stock.Line]:
    return [
        stock.Line(f.cleaned_data["lot"], f.cleaned_data["quantity"])
        for f in formset.forms
        if f.has_changed() and f.cleaned_data
    ]


class AdjustForm(forms.Form):
    store = StoreChoiceField(label=_("Store"), queryset=Store.objects.none())
    lot = LotChoiceField(label=_("Lot"), queryset=Lot.objects.none())
    quantity = forms.IntegerField(
        label=_("Doses"),
        help_text=_("Negative to write doses off, positive to add doses found."),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            ("", "—"),
            *[(r.value, r.label) for r in map(EntryReason, stock.ADJUSTMENT_REASONS)],
        ],
    )
    occurred_at = moment_field(_("Time"), help_text=_("Empty: now."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(user)
        self.fields["lot"].queryset = lots_in_stock(user)


class ReverseForm(forms.Form):
    note = forms.CharField(
        label=_("Why is the movement reversed?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# Counts -----------------------------------------------------------------------------------


class CountForm(forms.Form):
    store = StoreChoiceField(label=_("Store"), queryset=Store.objects.none())
    counted_at = moment_field(_("Counted at"), help_text=_("Empty: now."))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(user)


class CountLineForm(forms.Form):
    lot = LotChoiceField(label=_("Lot"), queryset=Lot.objects.none())
    counted = forms.IntegerField(label=_("Counted doses"), min_value=0)
    reason = forms.ChoiceField(
        label=_("Reason for a difference"),
        required=False,
        choices=[
            ("", "—"),
            *[(r.value, r.label) for r in map(EntryReason, stock.ADJUSTMENT_REASONS)],
        ],
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = Lot.objects.select_related("vaccine").order_by(
            "vaccine__name", "expiry_date"
        )


CountLineFormSet = forms.formset_factory(CountLineForm, formset=BaseMoveLineFormSet, extra=2)


# Cold chain -------------------------------------------------------------------------------


class ReadingForm(forms.Form):
    recorded_at = moment_field(_("Time"), required=True)
    temperature_c = forms.DecimalField(label=_("Temperature (°C)"), max_digits=5, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "recorded_at", timezone.localtime().replace(second=0, microsecond=0)
            )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Logger file (.csv or .xlsx)"),
        help_text=_(
            "A time column (timestamp, or date and time: dd/mm/yyyy hh:mm or ISO 8601) and a "
            "temperature column. Nothing is saved if any row is refused."
        ),
    )
    dry_run = forms.BooleanField(label=_("Only check the file"), required=False)


class HoldForm(forms.Form):
    store = StoreChoiceField(label=_("Store"), queryset=Store.objects.none())
    lot = LotChoiceField(label=_("Lot"), queryset=Lot.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(user)
        self.fields["lot"].queryset = lots_in_stock(user)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=HoldDecision.choices)
    note = forms.CharField(
        label=_("Grounds of the decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Stability data, the manufacturer's or the ministry's advice, VVM stage."),
    )
