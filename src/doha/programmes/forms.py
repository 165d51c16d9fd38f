"""Forms and formsets of the pages. Rules live in ``services.py``; forms only parse input."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty, Technique
from doha.orgunits.models import FacilityType, OrgUnit
from doha.programmes.models import (
    Assessment,
    EquipmentNeed,
    NeedsSurvey,
    Programme,
    ProgrammeArea,
    ProgrammeItem,
    ProgrammeParty,
    SpecialtyCapacity,
    SurveyResponse,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingNeed,
)
from doha.programmes.widgets import SearchSelect

DATE = {"type": "date"}


def date_input():
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


def active_units():
    return OrgUnit.objects.filter(active=True)


class UnitChoiceField(forms.ModelChoiceField):
    """Any active unit of the network, picked by an accent-insensitive search: programmes
    and surveys join units of different provinces. The services check that the record
    stays inside the user's scope."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", active_units())
        kwargs.setdefault("widget", SearchSelect("programmes:lookup_units"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return obj.name


class TechniqueChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault(
            "queryset", Technique.objects.filter(active=True).select_related("specialty")
        )
        kwargs.setdefault(
            "widget",
            SearchSelect("programmes:lookup_techniques", placeholder=_("Code or name…")),
        )
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name} ({obj.specialty})"


class ServiceErrorsMixin:
    """Put an error a service raised on a field this form does not show on the form itself,
    instead of failing with "has no field named ..."."""

    def add_error(self, field, error):
        if field is None and hasattr(error, "error_dict"):
            errors = {}
            for name, messages in error.error_dict.items():
                if name != NON_FIELD_ERRORS and name not in self.fields:
                    name = NON_FIELD_ERRORS
                errors.setdefault(name, []).extend(messages)
            error = ValidationError(errors)
        super().add_error(field, error)


# ---------------------------------------------------------------- surveys


class SurveyFacilitiesMixin(forms.Form):
    """Which facilities to ask: chosen one by one (inside the user's scope), and/or every
    active facility of some types under a unit (a province: its DOH)."""

    facilities = forms.ModelMultipleChoiceField(
        label=_("Facilities asked"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Hold Ctrl to choose several."),
    )
    under = UnitChoiceField(
        label=_("Also every facility under"),
        required=False,
        help_text=_("e.g. a Department of Health: the whole province."),
    )
    facility_types = forms.MultipleChoiceField(
        label=_("of the types"),
        choices=FacilityType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every type."),
    )

    def setup_facilities(self, user):
        self.fields["facilities"].queryset = OrgUnit.objects.restrict(user).filter(active=True)


class SurveyForm(ServiceErrorsMixin, SurveyFacilitiesMixin, forms.ModelForm):
    organiser = UnitChoiceField(label=_("Organiser"))

    class Meta:
        model = NeedsSurvey
        fields = [
            "title",
            "organiser",
            "framework",
            "opens_on",
            "deadline",
            "status",
            "description",
        ]
        widgets = {
            "opens_on": date_input(),
            "deadline": date_input(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_facilities(user)
        # "Closed" too: a past survey is recorded as it ended (no answers are taken then).
        if not self.initial.get("organiser") and user is not None and user.org_unit_id:
            self.initial["organiser"] = user.org_unit_id


class SurveyEditForm(ServiceErrorsMixin, SurveyFacilitiesMixin, forms.ModelForm):
    remove = forms.ModelMultipleChoiceField(
        label=_("Stop asking"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Facilities that have already answered cannot be removed."),
    )

    class Meta:
        model = NeedsSurvey
        fields = ["title", "framework", "opens_on", "deadline", "status", "description"]
        widgets = {
            "opens_on": date_input(),
            "deadline": date_input(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_facilities(user)
        self.fields["facilities"].label = _("Also ask")
        answered = self.instance.responses.values("facility")
        self.fields["remove"].queryset = self.instance.facilities.exclude(pk__in=answered)


# ---------------------------------------------------------------- responses and needs


class ResponseForm(forms.ModelForm):
    class Meta:
        model = SurveyResponse
        fields = ["contact", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class TechniqueNeedForm(forms.ModelForm):
    technique = TechniqueChoiceField(label=_("Technique"))

    class Meta:
        model = TechniqueNeed
        fields = ["technique", "people_to_train", "priority", "note"]


class TrainingNeedForm(forms.ModelForm):
    class Meta:
        model = TrainingNeed
        fields = ["kind", "topic", "specialty", "people", "priority", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = Specialty.objects.filter(active=True)


class TeleconsultNeedForm(forms.ModelForm):
    class Meta:
        model = TeleconsultNeed
        fields = ["specialty", "sessions_per_month", "priority", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = Specialty.objects.filter(active=True)


class EquipmentNeedForm(forms.ModelForm):
    class Meta:
        model = EquipmentNeed
        fields = ["item", "specialty", "quantity", "unit", "estimated_value", "priority", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = Specialty.objects.filter(active=True)


def _need_formset(model, form):
    return inlineformset_factory(
        SurveyResponse, model, form=form, fk_name="response", extra=2, can_delete=True
    )


# Prefix (also the key of the page's sections) -> (service keyword, formset class, title).
NEED_FORMSETS = {
    "technique": (
        "technique_needs",
        _need_formset(TechniqueNeed, TechniqueNeedForm),
        _("Techniques to receive by transfer"),
    ),
    "training": (
        "training_needs",
        _need_formset(TrainingNeed, TrainingNeedForm),
        _("Training"),
    ),
    "teleconsult": (
        "teleconsult_needs",
        _need_formset(TeleconsultNeed, TeleconsultNeedForm),
        _("Remote consultation"),
    ),
    "equipment": (
        "equipment_needs",
        _need_formset(EquipmentNeed, EquipmentNeedForm),
        _("Equipment"),
    ),
}


# ---------------------------------------------------------------- assessments


class AssessmentForm(ServiceErrorsMixin, forms.ModelForm):
    facility = UnitChoiceField(label=_("Facility assessed"))
    assessor = UnitChoiceField(label=_("Assessing unit"))

    class Meta:
        model = Assessment
        fields = [
            "facility",
            "assessor",
            "date",
            "response",
            "programme",
            "team",
            "staff_score",
            "staff_comment",
            "equipment_score",
            "equipment_comment",
            "infrastructure_score",
            "infrastructure_comment",
            "conclusion",
        ]
        widgets = {
            "date": date_input(),
            "staff_comment": forms.Textarea(attrs={"rows": 2}),
            "equipment_comment": forms.Textarea(attrs={"rows": 2}),
            "infrastructure_comment": forms.Textarea(attrs={"rows": 2}),
            "conclusion": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["response"].queryset = SurveyResponse.objects.restrict(user).select_related(
            "survey", "facility"
        )
        self.fields["programme"].queryset = Programme.objects.restrict(user)
        for name in ("staff_score", "equipment_score", "infrastructure_score"):
            self.fields[name].widget.attrs.update(min=0, max=10)


class SpecialtyCapacityForm(forms.ModelForm):
    class Meta:
        model = SpecialtyCapacity
        fields = ["specialty", "score", "staff_count", "techniques_performed", "comment"]
        widgets = {"comment": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = Specialty.objects.filter(active=True)
        self.fields["score"].widget.attrs.update(min=0, max=10)


CapacityFormSet = inlineformset_factory(
    Assessment, SpecialtyCapacity, form=SpecialtyCapacityForm, extra=3, can_delete=True
)


# ---------------------------------------------------------------- programmes


class ProgrammeForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "number",
            "title",
            "kind",
            "framework",
            "signed_on",
            "start_date",
            "end_date",
            "status",
            "survey",
            "min_secondment_months",
            "max_secondment_months",
            "description",
        ]
        widgets = {
            "signed_on": date_input(),
            "start_date": date_input(),
            "end_date": date_input(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = NeedsSurvey.objects.restrict(user)


class PartyForm(forms.ModelForm):
    org_unit = UnitChoiceField(label=_("Unit"))

    class Meta:
        model = ProgrammeParty
        fields = ["org_unit", "side", "role", "area", "assignment"]


class AreaForm(forms.ModelForm):
    class Meta:
        model = ProgrammeArea
        fields = ["area", "description"]
        widgets = {"description": forms.TextInput()}


class ItemForm(forms.ModelForm):
    provider = UnitChoiceField(label=_("Carried out by"), required=False)
    recipient = UnitChoiceField(label=_("For"), required=False)

    class Meta:
        model = ProgrammeItem
        fields = [
            "number",
            "area",
            "title",
            "provider",
            "recipient",
            "planned_start",
            "planned_end",
            "status",
            "done_on",
            "description",
            "result",
        ]
        widgets = {
            "planned_start": date_input(),
            "planned_end": date_input(),
            "done_on": date_input(),
            "title": forms.TextInput(),
            "description": forms.Textarea(attrs={"rows": 1}),
            "result": forms.Textarea(attrs={"rows": 1}),
        }


PartyFormSet = inlineformset_factory(
    Programme, ProgrammeParty, form=PartyForm, extra=2, can_delete=True
)
AreaFormSet = inlineformset_factory(
    Programme, ProgrammeArea, form=AreaForm, extra=2, can_delete=True
)
ItemFormSet = inlineformset_factory(
    Programme, ProgrammeItem, form=ItemForm, extra=2, can_delete=True
)

# Prefix -> (service keyword, formset class, title).
PROGRAMME_FORMSETS = {
    "parties": ("parties", PartyFormSet, _("Parties and implementing units")),
    "areas": ("areas", AreaFormSet, _("Content areas")),
    "items": ("items", ItemFormSet, _("Planned items")),
}


def formset_instances(formset) -> list:
    """The rows a valid formset asks for: every row not marked for deletion, except the
    blank extra rows."""
    rows = []
    for form in formset.forms:
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if form.instance.pk is None and not form.has_changed():
            continue
        rows.append(form.instance)
    return rows
