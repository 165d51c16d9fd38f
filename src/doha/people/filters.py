"""One filterset per list, shared by the pages and the REST API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty
from doha.core.scope import user_scope_path
from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.people.models import CmeEntry, HealthWorker, Profession


def specialty_choices():
    return [(s.code, f"{s.code} · {s.name}") for s in Specialty.objects.order_by("order", "code")]


def scope_units(request):
    """The units a user may pick in the filter: their own and those below it."""
    prefix = user_scope_path(getattr(request, "user", None))
    if prefix is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(path__startswith=prefix).order_by("sort_name")


def _status_widget(yes, no):
    return forms.Select(choices=[("", _("All")), ("true", yes), ("false", no)])


class _FacilitySubtree:
    def filter_facility(self, queryset, name, value):
        return queryset.filter(**{f"{self.facility_path}__startswith": value.path})


class WorkerFilterSet(_FacilitySubtree, django_filters.FilterSet):
    facility_path = "facility__path"

    q = django_filters.CharFilter(label=_("Search name"), method="filter_q")
    facility = django_filters.ModelChoiceFilter(
        label=_("Facility (and units below)"),
        queryset=scope_units,
        to_field_name="uid",
        method="filter_facility",
    )
    profession = django_filters.ChoiceFilter(label=_("Profession"), choices=Profession.choices)
    specialty = django_filters.ChoiceFilter(
        label=_("Specialty"), choices=specialty_choices, field_name="specialty__code"
    )
    active = django_filters.BooleanFilter(
        label=_("Status"), widget=_status_widget(_("Working"), _("Retired"))
    )

    class Meta:
        model = HealthWorker
        fields = ["q", "facility", "profession", "specialty", "active"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(search_text__contains=term)
        return queryset


class ShortfallFilterSet(_FacilitySubtree, django_filters.FilterSet):
    facility_path = "facility__path"

    facility = django_filters.ModelChoiceFilter(
        label=_("Facility (and units below)"),
        queryset=scope_units,
        to_field_name="uid",
        method="filter_facility",
    )
    profession = django_filters.ChoiceFilter(label=_("Profession"), choices=Profession.choices)

    class Meta:
        model = HealthWorker
        fields = ["facility", "profession"]


class CmeEntryFilterSet(_FacilitySubtree, django_filters.FilterSet):
    facility_path = "worker__facility__path"

    worker = django_filters.CharFilter(label=_("Health worker (UID)"), field_name="worker__uid")
    facility = django_filters.ModelChoiceFilter(
        label=_("Facility (and units below)"),
        queryset=scope_units,
        field_name="worker__facility",
        to_field_name="uid",
        method="filter_facility",
    )
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(label=_("To"), field_name="date", lookup_expr="lte")

    class Meta:
        model = CmeEntry
        fields = ["worker", "facility", "source", "date_from", "date_to"]
