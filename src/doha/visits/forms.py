from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme
from doha.visits.models import (
    Finding,
    FollowUpAction,
    Visit,
    VisitAttachment,
    VisitMember,
)
from doha.visits.services import CLOSE, DROP, START

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _units():
    return OrgUnit.objects.filter(active=True).order_by("sort_name")


class VisitForm(forms.ModelForm):
    host = UnitChoiceField(label=_("Host unit"), queryset=OrgUnit.objects.none())
    visiting = UnitChoiceField(label=_("Visiting unit"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Visit
        fields = [
            "kind",
            "title",
            "host",
            "visiting",
            "start_date",
            "end_date",
            "programme",
            "status",
            "purpose",
            "lessons",
            "notes",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "lessons": forms.Textarea(attrs={"rows": 4}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = _units()
        # A retired unit already on the visit stays choosable (a visit before a merger).
        if self.instance.pk:
            units = OrgUnit.objects.filter(
                pk__in=[
                    *units.values_list("pk", flat=True),
                    self.instance.host_id,
                    self.instance.visiting_id,
                ]
            ).order_by("sort_name")
        self.fields["host"].queryset = units
        self.fields["visiting"].queryset = units
        self.fields["programme"].queryset = Programme.objects.restrict(user, "view").order_by(
            "-start_date"
        )


class MemberForm(forms.ModelForm):
    class Meta:
        model = VisitMember
        fields = ["person", "name", "position", "unit"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Taken from the health worker when left empty.")
        # Only the workers the user may see (a registry of names is personal data).
        self.fields["person"].queryset = (
            HealthWorker.objects.restrict(user, "view").filter(active=True).order_by("sort_name")
        )


class FindingForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = ["order", "area", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A blank row stays blank (unchanged) until its text is typed; the order then
        # defaults to the row's place.
        self.fields["order"].required = False
        self.fields["order"].initial = None
        if self.instance.pk is None:
            self.initial.pop("order", None)

    def clean_order(self):
        return self.cleaned_data.get("order") or 0


MemberFormSet = inlineformset_factory(Visit, VisitMember, form=MemberForm, extra=2, can_delete=True)
FindingFormSet = inlineformset_factory(Visit, Finding, form=FindingForm, extra=2, can_delete=True)

# Prefix -> (service keyword, formset class, title).
VISIT_FORMSETS = {
    "members": ("members", MemberFormSet, _("Members of the visiting team")),
    "findings": ("findings", FindingFormSet, _("Findings")),
}


class AttachmentForm(forms.ModelForm):
    class Meta:
        model = VisitAttachment
        fields = ["file", "description"]


class ActionForm(forms.ModelForm):
    owner_facility = UnitChoiceField(label=_("Owner facility"), queryset=OrgUnit.objects.none())

    class Meta:
        model = FollowUpAction
        fields = ["finding", "description", "owner_facility", "owner_person", "due_date"]
        widgets = {"due_date": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, visit=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        visit = visit or (self.instance.visit if self.instance.visit_id else None)
        self.fields["owner_facility"].queryset = _units()
        findings = Finding.objects.filter(visit=visit) if visit else Finding.objects.none()
        self.fields["finding"].queryset = findings


class ActionStatusForm(forms.Form):
    """One form for the three steps; the button pressed names the step."""

    step = forms.ChoiceField(
        choices=[(START, _("Start")), (CLOSE, _("Close")), (DROP, _("Drop"))],
        widget=forms.HiddenInput,
    )
    closed_on = forms.DateField(
        label=_("Closed on"),
        required=False,
        widget=DATE,
        help_text=_("Today when left empty."),
    )
    evidence = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_file = forms.FileField(label=_("Evidence file"), required=False)
    drop_reason = forms.CharField(
        label=_("Reason for dropping"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
