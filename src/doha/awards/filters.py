"""One filterset for awards, shared by the list page, its export and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doha.awards.models import Award, AwardKind
from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme


def _units(field):
    def queryset(request):
        visible = Award.objects.restrict(getattr(request, "user", None), "view")
        return OrgUnit.objects.filter(pk__in=visible.values(field)).order_by("sort_name")

    return queryset


def programmes(request):
    return Programme.objects.restrict(getattr(request, "user", None), "view")


class AwardFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AwardKind.choices)
    issuer = django_filters.ModelChoiceFilter(
        label=_("Issuer"), queryset=_units("issuer"), to_field_name="uid"
    )
    recipient_unit = django_filters.ModelChoiceFilter(
        label=_("Recipient unit"), queryset=_units("recipient_unit"), to_field_name="uid"
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=programmes, to_field_name="uid"
    )
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="decision_date", lookup_expr="gte"
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="decision_date", lookup_expr="lte"
    )

    class Meta:
        model = Award
        fields = ["q", "kind", "issuer", "recipient_unit", "programme", "date_from", "date_to"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(decision_number__icontains=term)
                | Q(recipient_name__icontains=term)
                | Q(issuer_name__icontains=term)
                | Q(issuer__search_text__contains=term)
                | Q(recipient_unit__search_text__contains=term)
                | Q(recipient_person__search_text__contains=term)
                | Q(reason__icontains=term)
            )
        return queryset.distinct()
