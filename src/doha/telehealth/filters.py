"""One filterset per list, shared by the list page, its export and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty
from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.telehealth.models import Consultation, Outcome, TeleEducationSession, Urgency


def _units(field, model=Consultation):
    def queryset(request):
        visible = model.objects.restrict(getattr(request, "user", None), "view")
        return OrgUnit.objects.filter(pk__in=visible.values(field)).order_by("sort_name")

    return queryset


class ConsultationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    requesting = django_filters.ModelChoiceFilter(
        label=_("Requesting facility"), queryset=_units("requesting"), to_field_name="uid"
    )
    hub = django_filters.ModelChoiceFilter(
        label=_("Hub facility"), queryset=_units("hub"), to_field_name="uid"
    )
    specialty = django_filters.ModelChoiceFilter(
        label=_("Specialty"), queryset=Specialty.objects.filter(active=True), to_field_name="code"
    )
    urgency = django_filters.ChoiceFilter(label=_("Urgency"), choices=Urgency.choices)
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=Outcome.choices)
    requested_from = django_filters.DateFilter(
        label=_("Requested from"), field_name="requested_at", lookup_expr="date__gte"
    )
    requested_to = django_filters.DateFilter(
        label=_("Requested until"), field_name="requested_at", lookup_expr="date__lte"
    )

    class Meta:
        model = Consultation
        fields = [
            "q",
            "requesting",
            "hub",
            "specialty",
            "urgency",
            "outcome",
            "requested_from",
            "requested_to",
        ]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(requesting__search_text__contains=term) | Q(hub__search_text__contains=term)
            )
        return queryset


class SessionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Topic"), field_name="topic", lookup_expr="icontains")
    hub = django_filters.ModelChoiceFilter(
        label=_("Hub facility"), queryset=_units("hub", TeleEducationSession), to_field_name="uid"
    )
    specialty = django_filters.ModelChoiceFilter(
        label=_("Specialty"), queryset=Specialty.objects.filter(active=True), to_field_name="code"
    )
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(label=_("Until"), field_name="date", lookup_expr="lte")

    class Meta:
        model = TeleEducationSession
        fields = ["q", "hub", "specialty", "date_from", "date_to"]
