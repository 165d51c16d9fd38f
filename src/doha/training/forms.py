from django import forms
from django.utils.translation import gettext_lazy as _

from doha.core.text import search_terms
from doha.orgunits.models import FacilityType, OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme, ProgrammeStatus
from doha.training.models import Course, Result


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def organisers(user):
    """Units the user may organise courses for (their scope, not the ministry/DOH types)."""
    return (
        OrgUnit.objects.restrict(user, "view")
        .filter(active=True)
        .exclude(facility_type=FacilityType.MINISTRY)
        .order_by("sort_name")
    )


class CourseForm(forms.ModelForm):
    organiser = UnitChoiceField(label=_("Organiser"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Course
        fields = [
            "title",
            "kind",
            "organiser",
            "venue",
            "online",
            "start_date",
            "end_date",
            "hours",
            "programme",
            "capacity",
            "status",
        ]
        widgets = {"start_date": _date_widget(), "end_date": _date_widget()}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = organisers(user)
        if self.instance.pk:
            units = units | OrgUnit.objects.filter(pk=self.instance.organiser_id)
        self.fields["organiser"].queryset = units
        programmes = Programme.objects.restrict(user, "view").exclude(
            status=ProgrammeStatus.CANCELLED
        )
        if self.instance.programme_id:
            programmes = programmes | Programme.objects.filter(pk=self.instance.programme_id)
        self.fields["programme"].queryset = programmes.distinct().order_by("-start_date")


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} · {obj.facility.short_name or obj.facility.name}"


def enrollable_workers(user, course, query=""):
    """Active workers the user may see, not yet enrolled; ``query`` ignores accents."""
    qs = (
        HealthWorker.objects.restrict(user, "view")
        .filter(active=True)
        .exclude(enrolments__course=course)
        .select_related("facility")
    )
    for term in search_terms(query):
        qs = qs.filter(search_text__contains=term)
    return qs.order_by("facility__sort_name", "sort_name")


class EnrolForm(forms.Form):
    worker = WorkerChoiceField(label=_("Health worker"), queryset=HealthWorker.objects.none())

    def __init__(self, *args, user=None, course=None, query="", **kwargs):
        super().__init__(*args, **kwargs)
        # All the workers the user sees: the service refuses duplicates with a clear message.
        qs = HealthWorker.objects.restrict(user, "view").select_related("facility")
        if not args or args[0] is None:
            qs = enrollable_workers(user, course, query)
        self.fields["worker"].queryset = qs


class ResultForm(forms.Form):
    attendance_percent = forms.IntegerField(
        label=_("Attendance (%)"), min_value=0, max_value=100, required=False
    )
    result = forms.ChoiceField(label=_("Result"), choices=Result.choices)
    reason = forms.CharField(
        label=_("Reason for changing a passed result"), max_length=200, required=False
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the public verification page: write no personal data."),
    )


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Certificate code"),
        max_length=250,
        help_text=_("The code printed under the QR code; spaces and dashes do not matter."),
    )
