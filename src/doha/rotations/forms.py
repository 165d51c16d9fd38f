from django import forms
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Technique
from doha.people.models import HealthWorker
from doha.programmes.models import Programme, ProgrammeStatus
from doha.rotations.models import Rotation
from doha.transfers.forms import FacilityChoiceField, facility_queryset


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RotationForm(forms.ModelForm):
    """Plan or edit a rotation; the rules are checked by ``services`` on saving."""

    from_facility = FacilityChoiceField(
        label=_("Sending facility"),
        queryset=facility_queryset(),
        required=False,
        help_text=_("Empty: the worker's own facility."),
    )
    to_facility = FacilityChoiceField(label=_("Receiving facility"), queryset=facility_queryset())

    class Meta:
        model = Rotation
        fields = [
            "kind",
            "worker",
            "from_facility",
            "to_facility",
            "start",
            "end",
            "programme",
            "purpose",
            "techniques",
        ]
        widgets = {
            "start": _date_widget(),
            "end": _date_widget(),
            "purpose": forms.Textarea(attrs={"rows": 2}),
            "techniques": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        workers = HealthWorker.objects.restrict(user, "view").filter(active=True)
        if self.instance.worker_id:
            # Editing keeps the worker, even one the user's scope does not list.
            workers = workers | HealthWorker.objects.filter(pk=self.instance.worker_id)
        self.fields["worker"].queryset = workers.select_related("facility")
        self.fields["worker"].label_from_instance = lambda w: f"{w.full_name} ({w.facility})"
        programmes = Programme.objects.restrict(user, "view").exclude(
            status=ProgrammeStatus.CANCELLED
        )
        if self.instance.programme_id:
            programmes = programmes | Programme.objects.filter(pk=self.instance.programme_id)
        self.fields["programme"].queryset = programmes.distinct().order_by("-start_date", "title")
        self.fields["techniques"].queryset = Technique.objects.filter(active=True)
        self.fields["techniques"].required = False


class CancelForm(forms.Form):
    cancel_reason = forms.CharField(
        label=_("Reason for cancelling"), widget=forms.Textarea(attrs={"rows": 2})
    )


class OutputsForm(forms.ModelForm):
    class Meta:
        model = Rotation
        fields = [
            "patients_examined",
            "surgeries",
            "techniques_transferred",
            "people_trained",
            "outputs_note",
        ]
        widgets = {"outputs_note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            if name != "outputs_note":
                self.fields[name].min_value = 0
