from django import forms
from django.utils.translation import gettext_lazy as _

from doha.donations.models import Donation
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DonationForm(forms.ModelForm):
    donor = UnitChoiceField(label=_("Donor"), queryset=OrgUnit.objects.none())
    recipient = UnitChoiceField(label=_("Recipient"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Donation
        fields = ["donor", "recipient", "date", "programme", "description"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = OrgUnit.objects.filter(active=True).order_by("sort_name")
        self.fields["donor"].queryset = units
        self.fields["recipient"].queryset = units
        self.fields["programme"].queryset = Programme.objects.restrict(user, "view").order_by(
            "-start_date"
        )


class ItemForm(forms.Form):
    item = forms.CharField(label=_("Item"), max_length=300)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=2)
    unit = forms.CharField(label=_("Unit"), max_length=40)
    unit_value = forms.IntegerField(label=_("Unit value (VND)"), required=False)
    total_value = forms.IntegerField(
        label=_("Total value (VND)"),
        required=False,
        help_text=_("Leave empty when the unit value is given."),
    )


ItemFormSet = forms.formset_factory(ItemForm, extra=3)
