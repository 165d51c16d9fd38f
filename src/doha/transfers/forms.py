from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Technique
from doha.orgunits.models import FacilityType, OrgUnit
from doha.programmes.models import (
    NeedStatus,
    Programme,
    ProgrammeItem,
    ProgrammeStatus,
    TechniqueNeed,
)
from doha.transfers.models import CaseKind, TechniqueTransfer
from doha.transfers.services import EVIDENCE_EXTENSIONS


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several evidence files at once (contract, attendance list, acceptance minutes)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ",".join(sorted(EVIDENCE_EXTENSIONS))})
        )
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Evidence files"))
        kwargs.setdefault("help_text", _("PDF, images, Word or Excel documents; up to 20 MB each."))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)]


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def facility_queryset():
    return (
        OrgUnit.objects.filter(active=True)
        .exclude(facility_type__in=[FacilityType.MINISTRY, FacilityType.DOH])
        .order_by("sort_name")
    )


def open_programmes(user):
    return (
        Programme.objects.restrict(user, "view")
        .exclude(status__in=[ProgrammeStatus.COMPLETED, ProgrammeStatus.CANCELLED])
        .order_by("-start_date", "title")
    )


class TransferForm(forms.ModelForm):
    """Create a transfer (standalone or inside a programme, possibly answering a need)."""

    provider = FacilityChoiceField(
        label=_("Transferring facility"), queryset=OrgUnit.objects.none()
    )
    recipient = FacilityChoiceField(label=_("Receiving facility"), queryset=OrgUnit.objects.none())
    responsible = forms.CharField(label=_("Responsible people"), max_length=500, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    files = EvidenceField()

    class Meta:
        model = TechniqueTransfer
        fields = [
            "technique",
            "provider",
            "recipient",
            "programme",
            "programme_item",
            "need",
            "state_date",
            "planned_start",
            "planned_end",
            "team",
            "provider_lead",
            "recipient_lead",
            "min_independent_cases",
            "level_exception",
            "level_exception_reason",
            "level_exception_decision",
        ]
        labels = {"state_date": _("Planned on")}
        widgets = {
            "state_date": _date_widget(),
            "planned_start": _date_widget(),
            "planned_end": _date_widget(),
            "need": forms.HiddenInput,
            "level_exception_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["technique"].queryset = Technique.objects.filter(active=True).select_related(
            "specialty"
        )
        self.fields["provider"].queryset = facility_queryset()
        self.fields["recipient"].queryset = facility_queryset()
        programmes = open_programmes(user)
        self.fields["programme"].queryset = programmes
        self.fields["programme_item"].queryset = ProgrammeItem.objects.filter(
            programme__in=programmes
        ).select_related("programme")
        self.fields["need"].queryset = TechniqueNeed.objects.restrict(user, "view").filter(
            status=NeedStatus.OPEN
        )
        self.fields["state_date"].initial = timezone.localdate
        self.fields["state_date"].required = True


class TransferEditForm(forms.ModelForm):
    class Meta:
        model = TechniqueTransfer
        fields = [
            "programme",
            "programme_item",
            "planned_start",
            "planned_end",
            "team",
            "provider_lead",
            "recipient_lead",
            "min_independent_cases",
        ]
        widgets = {"planned_start": _date_widget(), "planned_end": _date_widget()}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        programmes = open_programmes(user)
        if self.instance.programme_id:
            programmes = programmes | Programme.objects.filter(pk=self.instance.programme_id)
        self.fields["programme"].queryset = programmes
        self.fields["programme_item"].queryset = ProgrammeItem.objects.filter(
            programme__in=programmes
        ).select_related("programme")


class TransitionForm(forms.Form):
    """Move to the next state: the date, who was responsible, a note, the evidence."""

    state = forms.ChoiceField(label=_("Next step"))
    date = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=_date_widget())
    responsible = forms.CharField(label=_("Responsible people"), max_length=500, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    files = EvidenceField()

    def __init__(self, *args, next_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        from doha.transfers.models import TransferState

        choices = [(next_state, TransferState(next_state).label)] if next_state else []
        self.fields["state"].choices = choices
        if next_state:
            self.fields["state"].initial = next_state


class CancelForm(forms.Form):
    date = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=_date_widget())
    cancel_reason = forms.CharField(
        label=_("Reason for cancelling"), widget=forms.Textarea(attrs={"rows": 2})
    )
    responsible = forms.CharField(label=_("Responsible people"), max_length=500, required=False)
    files = EvidenceField()


class CaseForm(forms.Form):
    date = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=_date_widget())
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    count = forms.IntegerField(label=_("Cases"), min_value=1, max_value=1000, initial=1)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class SustainmentForm(forms.Form):
    months_after = forms.TypedChoiceField(
        label=_("Months after acceptance"), choices=[(6, "6"), (12, "12")], coerce=int
    )
    checked_on = forms.DateField(
        label=_("Checked on"), initial=timezone.localdate, widget=_date_widget()
    )
    still_performed = forms.TypedChoiceField(
        label=_("Still performed"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
    )
    cases_in_period = forms.IntegerField(
        label=_("Cases in the period"), min_value=0, initial=0, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class AcceptProposalForm(forms.Form):
    """Accept one proposal of the matching page: the programme it becomes part of."""

    provider = forms.CharField(widget=forms.HiddenInput)
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    date = forms.DateField(label=_("Planned on"), initial=timezone.localdate, widget=_date_widget())
    level_exception_reason = forms.CharField(
        label=_("Reason for the level exception"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    level_exception_decision = forms.CharField(
        label=_("Decision allowing the exception"), max_length=200, required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = open_programmes(user)

    def clean_provider(self):
        uid = self.cleaned_data["provider"]
        unit = OrgUnit.objects.filter(uid=uid, active=True).first()
        if unit is None:
            raise forms.ValidationError(_("Unknown facility."))
        return unit
