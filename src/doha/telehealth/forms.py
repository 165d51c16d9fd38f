from django import forms
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty
from doha.orgunits.models import FacilityType, OrgUnit
from doha.people.models import HealthWorker
from doha.telehealth.models import Consultation, TeleEducationSession


def facilities():
    return (
        OrgUnit.objects.filter(active=True)
        .exclude(facility_type__in=[FacilityType.MINISTRY, FacilityType.DOH])
        .order_by("sort_name")
    )


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class FacilityMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ConsultationForm(forms.ModelForm):
    requesting = FacilityChoiceField(
        label=_("Requesting facility"), queryset=OrgUnit.objects.none()
    )
    hub = FacilityChoiceField(label=_("Hub facility"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Consultation
        fields = [
            "requesting",
            "hub",
            "specialty",
            "urgency",
            "patient_age",
            "patient_sex",
            "patient_summary",
            "requested_at",
            "answered_at",
            "participants",
            "participants_text",
            "conclusion",
            "outcome",
        ]
        widgets = {
            "requested_at": _datetime_widget(),
            "answered_at": _datetime_widget(),
            "patient_summary": forms.Textarea(attrs={"rows": 4}),
            "conclusion": forms.Textarea(attrs={"rows": 3}),
            "participants": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requesting"].queryset = facilities()
        self.fields["hub"].queryset = facilities()
        self.fields["specialty"].queryset = Specialty.objects.filter(active=True)
        self.fields["participants"].queryset = HealthWorker.objects.restrict(user, "view").filter(
            active=True
        )
        for name in ("requested_at", "answered_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class SessionForm(forms.ModelForm):
    hub = FacilityChoiceField(label=_("Hub facility"), queryset=OrgUnit.objects.none())
    spokes = FacilityMultipleChoiceField(
        label=_("Spoke facilities"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = TeleEducationSession
        fields = ["hub", "topic", "specialty", "date", "duration_hours", "spokes"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = facilities()
        self.fields["spokes"].queryset = facilities()
        self.fields["specialty"].queryset = Specialty.objects.filter(active=True)


class AttendanceForm(forms.Form):
    facility = FacilityChoiceField(label=_("Facility"), queryset=OrgUnit.objects.none())
    attendees = forms.IntegerField(label=_("Attendees"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities()


AttendanceFormSet = forms.formset_factory(AttendanceForm, extra=3)
