"""One filterset per model, shared by the pages and the REST API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Acquisition, FacilityCapability, Specialty, Technique
from doha.core.scope import user_scope_path
from doha.core.text import search_terms
from doha.orgunits.models import FacilityType, OrgUnit, TechnicalLevel


def specialty_choices():
    return [(s.code, f"{s.code} · {s.name}") for s in Specialty.objects.order_by("order", "code")]


def _status_widget(yes, no):
    return forms.Select(choices=[("", _("All")), ("true", yes), ("false", no)])


class SpecialtyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    active = django_filters.BooleanFilter(
        label=_("Status"), widget=_status_widget(_("Active"), _("Retired"))
    )

    class Meta:
        model = Specialty
        fields = ["q", "active"]

    def filter_q(self, queryset, name, value):
        # Few rows: fold in Python rather than keep a search column for 30 chapters.
        from doha.core.text import fold

        terms = search_terms(value)
        pks = [
            s.pk for s in queryset if all(t in f" {fold(s.code)} {fold(s.name)} " for t in terms)
        ]
        return queryset.filter(pk__in=pks)


class TechniqueFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    specialty = django_filters.ChoiceFilter(
        label=_("Specialty"), choices=specialty_choices, field_name="specialty__code"
    )
    level = django_filters.ChoiceFilter(
        label=_("Allowed at level"), choices=TechnicalLevel.choices, method="filter_level"
    )
    is_official = django_filters.BooleanFilter(
        label=_("Code"), widget=_status_widget(_("Official"), _("Local"))
    )
    active = django_filters.BooleanFilter(
        label=_("Status"), widget=_status_widget(_("Active"), _("Retired"))
    )
    code = django_filters.CharFilter(label=_("Code"), lookup_expr="iexact")

    class Meta:
        model = Technique
        fields = ["q", "specialty", "level", "is_official", "active", "code"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_level(self, queryset, name, value):
        return queryset.allowed_at(value)


def capability_facilities(request):
    """The facilities a user may pick in the filter: those inside their scope."""
    user = getattr(request, "user", None)
    prefix = user_scope_path(user)
    if prefix is None:
        return OrgUnit.objects.none()
    return (
        OrgUnit.objects.filter(path__startswith=prefix)
        .exclude(facility_type__in=[FacilityType.MINISTRY, FacilityType.DOH])
        .order_by("sort_name")
    )


class CapabilityFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search technique"), method="filter_q")
    facility = django_filters.ModelChoiceFilter(
        label=_("Facility"), queryset=capability_facilities, to_field_name="uid"
    )
    within = django_filters.CharFilter(
        label=_("Within unit (UID)"), method="filter_within", widget=forms.HiddenInput
    )
    specialty = django_filters.ChoiceFilter(
        label=_("Specialty"), choices=specialty_choices, field_name="technique__specialty__code"
    )
    technique = django_filters.CharFilter(
        label=_("Technique code"), field_name="technique__code", lookup_expr="iexact"
    )
    acquisition = django_filters.ChoiceFilter(label=_("Acquired by"), choices=Acquisition.choices)
    active = django_filters.BooleanFilter(
        label=_("Status"), widget=_status_widget(_("Still performed"), _("Stopped"))
    )

    class Meta:
        model = FacilityCapability
        fields = ["q", "facility", "within", "specialty", "technique", "acquisition", "active"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(technique__search_text__contains=term)
        return queryset

    def filter_within(self, queryset, name, value):
        unit = OrgUnit.objects.filter(uid=value).first()
        if unit is None:
            return queryset.none()
        return queryset.filter(facility__path__startswith=unit.path)
