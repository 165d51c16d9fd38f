"""One filterset per list, shared by the pages, the exports and the REST API.

The province needs table joins four kinds of needs in one table: ``NeedTable`` filters the
four querysets with the same parameters and merges them into rows.
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from doha.catalog.models import Specialty
from doha.core.text import format_number, search_terms
from doha.orgunits.models import OrgUnit
from doha.programmes.models import (
    Assessment,
    ContentArea,
    EquipmentNeed,
    Framework,
    NeedsSurvey,
    NeedStatus,
    Priority,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    ResponseStatus,
    SurveyResponse,
    SurveyStatus,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingNeed,
)


class YearFilter(django_filters.NumberFilter):
    """A calendar year: a whole number from 1 to 9999 (a larger one cannot be a date and
    used to end in a server error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


def _search_units(queryset, path, value):
    """Filter by a unit's name, short name or code, accents and case folded."""
    for term in search_terms(value):
        queryset = queryset.filter(**{f"{path}__search_text__contains": term})
    return queryset


class SurveyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SurveyStatus.choices)
    framework = django_filters.ChoiceFilter(label=_("Framework"), choices=Framework.choices)
    organiser = django_filters.CharFilter(label=_("Organiser"), method="filter_organiser")
    year = YearFilter(label=_("Year"), field_name="opens_on__year")

    class Meta:
        model = NeedsSurvey
        fields = ["q", "status", "framework", "organiser", "year"]

    def filter_q(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(title__icontains=term)
        return queryset

    def filter_organiser(self, queryset, name, value):
        if OrgUnit.objects.filter(uid=value).exists():
            return queryset.filter(organiser__uid=value)
        return _search_units(queryset, "organiser", value)


class ResponseFilterSet(django_filters.FilterSet):
    survey = django_filters.CharFilter(label=_("Survey (UID)"), field_name="survey__uid")
    facility = django_filters.CharFilter(label=_("Facility (UID)"), field_name="facility__uid")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ResponseStatus.choices)

    class Meta:
        model = SurveyResponse
        fields = ["survey", "facility", "status"]


class AssessmentFilterSet(django_filters.FilterSet):
    facility = django_filters.CharFilter(label=_("Facility assessed"), method="filter_facility")
    assessor = django_filters.CharFilter(label=_("Assessing unit"), method="filter_assessor")
    year = YearFilter(label=_("Year"), field_name="date__year")
    programme = django_filters.CharFilter(label=_("Programme (UID)"), field_name="programme__uid")

    class Meta:
        model = Assessment
        fields = ["facility", "assessor", "year", "programme"]

    def filter_facility(self, queryset, name, value):
        return _search_units(queryset, "facility", value)

    def filter_assessor(self, queryset, name, value):
        return _search_units(queryset, "assessor", value)


class ProgrammeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Number or title"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProgrammeKind.choices)
    framework = django_filters.ChoiceFilter(label=_("Framework"), choices=Framework.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProgrammeStatus.choices)
    party = django_filters.CharFilter(
        label=_("Party"),
        method="filter_party",
        help_text=_("Name or UID of a unit taking part."),
    )
    area = django_filters.ChoiceFilter(
        label=_("Content area"), choices=ContentArea.choices, field_name="areas__area"
    )
    year = YearFilter(label=_("Running in year"), method="filter_year")
    active_on = django_filters.DateFilter(
        label=_("Running on"),
        method="filter_active_on",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Programme
        fields = ["q", "kind", "framework", "status", "party", "area", "year", "active_on"]

    def filter_q(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(Q(number__icontains=term) | Q(title__icontains=term))
        return queryset

    def filter_party(self, queryset, name, value):
        parties = OrgUnit.objects.filter(uid=value)
        if not parties.exists():
            parties = OrgUnit.objects.search(value)
        return queryset.filter(pk__in=Programme.objects.filter(parties__org_unit__in=parties))

    def filter_year(self, queryset, name, value):
        year = int(value)
        return queryset.filter(start_date__year__lte=year, end_date__year__gte=year)

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)


# ---------------------------------------------------------------- the province needs table


class NeedKind:
    TECHNIQUE = "technique"
    TRAINING = "training"
    TELECONSULT = "teleconsult"
    EQUIPMENT = "equipment"

    choices = [
        (TECHNIQUE, _("Technique transfer")),
        (TRAINING, _("Training")),
        (TELECONSULT, _("Remote consultation")),
        (EQUIPMENT, _("Equipment")),
    ]
    models = {
        TECHNIQUE: TechniqueNeed,
        TRAINING: TrainingNeed,
        TELECONSULT: TeleconsultNeed,
        EQUIPMENT: EquipmentNeed,
    }
    # The path to each kind's specialty.
    specialty_path = {
        TECHNIQUE: "technique__specialty",
        TRAINING: "specialty",
        TELECONSULT: "specialty",
        EQUIPMENT: "specialty",
    }


@dataclass
class NeedRow:
    """One line of the province needs table, whatever the kind of need."""

    kind: str
    kind_label: str
    need: object
    response: SurveyResponse
    specialty: Specialty | None
    description: str
    quantity: int | None
    quantity_label: str
    estimated_value: int | None

    @property
    def quantity_text(self) -> str:
        """ "3 people", "2 máy", "4 a month" for the page (the export keeps two columns)."""
        if self.quantity is None:
            return ""
        n, text = self.quantity, format_number(self.quantity)
        if self.kind in (NeedKind.TECHNIQUE, NeedKind.TRAINING):
            return ngettext("%(n)s person", "%(n)s people", n) % {"n": text}
        if self.kind == NeedKind.TELECONSULT:
            return ngettext("%(n)s a month", "%(n)s a month", n) % {"n": text}
        return f"{text} {self.quantity_label}".strip()

    @property
    def facility(self):
        return self.response.facility

    @property
    def survey(self):
        return self.response.survey


def _row(kind, need) -> NeedRow:
    labels = dict(NeedKind.choices)
    if kind == NeedKind.TECHNIQUE:
        description = f"{need.technique.code} {need.technique.name}"
        specialty, quantity, unit = need.technique.specialty, need.people_to_train, _("people")
        value = None
    elif kind == NeedKind.TRAINING:
        description = f"{need.get_kind_display()}: {need.topic}"
        specialty, quantity, unit, value = need.specialty, need.people, _("people"), None
    elif kind == NeedKind.TELECONSULT:
        description = str(_("Remote consultation: %(specialty)s") % {"specialty": need.specialty})
        specialty, quantity = need.specialty, need.sessions_per_month
        unit, value = _("per month"), None
    else:
        description = need.item
        specialty, quantity = need.specialty, need.quantity
        unit, value = need.unit, need.estimated_value
    return NeedRow(
        kind=kind,
        kind_label=str(labels[kind]),
        need=need,
        response=need.response,
        specialty=specialty,
        description=description,
        quantity=quantity,
        quantity_label=str(unit or ""),
        estimated_value=value,
    )


class NeedTableForm(forms.Form):
    survey = forms.ModelChoiceField(
        label=_("Survey"), queryset=NeedsSurvey.objects.none(), required=False, to_field_name="uid"
    )
    facility = forms.CharField(
        label=_("Facility"), required=False, help_text=_("Name, code or UID.")
    )
    specialty = forms.ModelChoiceField(
        label=_("Specialty"),
        queryset=Specialty.objects.filter(active=True),
        required=False,
        to_field_name="code",
    )
    kind = forms.ChoiceField(
        label=_("Kind of need"), choices=[("", "---------"), *NeedKind.choices], required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", "---------"), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "---------"), *NeedStatus.choices], required=False
    )
    response_status = forms.ChoiceField(
        label=_("Answer"), choices=[("", "---------"), *ResponseStatus.choices], required=False
    )


class NeedTable:
    """Every need the user may see, of the four kinds, filtered and merged into rows:
    ``NeedTable(request.GET, user).rows()``. The same parameters serve the page, the
    .xlsx export and ``/api/needs/``."""

    def __init__(self, data, user, action="view"):
        self.user = user
        self.action = action
        self.form = NeedTableForm(data or None)
        self.form.fields["survey"].queryset = NeedsSurvey.objects.restrict(user)

    @property
    def params(self) -> dict:
        if self.form.is_bound and self.form.is_valid():
            return self.form.cleaned_data
        return {}

    @property
    def errors(self):
        return self.form.errors if self.form.is_bound else {}

    def querysets(self) -> dict:
        p = self.params
        result = {}
        for kind, model in NeedKind.models.items():
            if p.get("kind") and p["kind"] != kind:
                continue
            qs = model.objects.restrict(self.user, self.action).select_related(
                "response__facility", "response__survey"
            )
            if kind == NeedKind.TECHNIQUE:
                qs = qs.select_related("technique__specialty")
            else:
                qs = qs.select_related("specialty")
            if p.get("survey"):
                qs = qs.filter(response__survey=p["survey"])
            if p.get("facility"):
                value = p["facility"].strip()
                exact = Q(response__facility__uid=value) | Q(response__facility__code=value)
                if OrgUnit.objects.filter(Q(uid=value) | Q(code=value)).exists():
                    qs = qs.filter(exact)
                else:
                    qs = _search_units(qs, "response__facility", value)
            if p.get("specialty"):
                qs = qs.filter(**{NeedKind.specialty_path[kind]: p["specialty"]})
            if p.get("priority"):
                qs = qs.filter(priority=p["priority"])
            if p.get("status"):
                qs = qs.filter(status=p["status"])
            if p.get("response_status"):
                qs = qs.filter(response__status=p["response_status"])
            result[kind] = qs
        return result

    def rows(self) -> list[NeedRow]:
        order = {kind: i for i, (kind, _label) in enumerate(NeedKind.choices)}
        rows = [_row(kind, need) for kind, qs in self.querysets().items() for need in qs]
        rows.sort(
            key=lambda r: (
                -r.response.survey.opens_on.toordinal(),
                r.response.survey_id,
                r.response.facility.sort_name,
                order[r.kind],
                r.need.priority,
                r.description,
            )
        )
        return rows

    def counts(self) -> dict:
        return {kind: qs.count() for kind, qs in self.querysets().items()}
