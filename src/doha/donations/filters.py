"""One filterset for donations, shared by the list page, its export and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doha.core.text import search_terms
from doha.donations.models import Donation
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme


def _units(field):
    def queryset(request):
        visible = Donation.objects.restrict(getattr(request, "user", None), "view")
        return OrgUnit.objects.filter(pk__in=visible.values(field)).order_by("sort_name")

    return queryset


def programmes(request):
    return Programme.objects.restrict(getattr(request, "user", None), "view")


class DonationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    donor = django_filters.ModelChoiceFilter(
        label=_("Donor"), queryset=_units("donor"), to_field_name="uid"
    )
    recipient = django_filters.ModelChoiceFilter(
        label=_("Recipient"), queryset=_units("recipient"), to_field_name="uid"
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=programmes, to_field_name="uid"
    )
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(label=_("Until"), field_name="date", lookup_expr="lte")

    class Meta:
        model = Donation
        fields = ["q", "donor", "recipient", "programme", "date_from", "date_to"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(donor__search_text__contains=term)
                | Q(recipient__search_text__contains=term)
                | Q(items__item__icontains=term)
                | Q(description__icontains=term)
            )
        return queryset.distinct()
