from django import forms
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty
from doha.core.scope import can, user_scope_path
from doha.orgunits.forms import ImportForm
from doha.orgunits.models import OrgUnit
from doha.people.models import CmeEntry, CmeSource, HealthWorker

DATE_WIDGET = {"type": "date"}


def facilities_for(user, action: str = "add"):
    """Active units whose staff register the user may ``action``: their own and below."""
    prefix = user_scope_path(user)
    if prefix is None or not can(user, HealthWorker, action):
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(active=True, path__startswith=prefix).order_by("sort_name")


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class WorkerForm(forms.ModelForm):
    facility = FacilityChoiceField(label=_("Facility"), queryset=None)

    class Meta:
        model = HealthWorker
        fields = [
            "facility",
            "full_name",
            "sex",
            "birth_date",
            "profession",
            "specialty",
            "title",
            "position",
            "licence_number",
            "licence_date",
            "phone",
        ]
        widgets = {
            "birth_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "licence_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        action = "change" if self.instance.pk else "add"
        self.fields["facility"].queryset = facilities_for(user, action)
        self.fields["specialty"].queryset = Specialty.objects.filter(active=True).order_by(
            "order", "code"
        )

    def _get_validation_exclusions(self):
        # The licence's uniqueness is the service's rule (one message, on the field, for
        # form, API and import alike); the form field already checks its length.
        exclude = super()._get_validation_exclusions()
        exclude.add("licence_number")
        return exclude


class CmeEntryForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs=DATE_WIDGET))
    hours = forms.DecimalField(label=_("Credit hours"), max_digits=6, decimal_places=1)
    source = forms.ChoiceField(
        label=_("Source"), choices=CmeSource.choices, initial=CmeSource.EXTERNAL
    )
    description = forms.CharField(
        label=_("Description"), max_length=CmeEntry._meta.get_field("description").max_length
    )
    certificate_number = forms.CharField(
        label=_("Certificate number"), max_length=60, required=False
    )


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Why is the entry corrected?"), max_length=200)


class WorkerImportForm(ImportForm):
    """The facilities' import form, with a word on how rows are matched."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A row whose practising licence number exists updates that health worker; "
            "otherwise it adds one. Nothing is saved if any row is refused."
        )
