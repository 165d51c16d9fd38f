"""One filterset for technique transfers, shared by the list page, its export and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty, Technique
from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme
from doha.transfers.models import TechniqueTransfer, TransferState


def _visible(request):
    user = getattr(request, "user", None)
    return TechniqueTransfer.objects.restrict(user, "view")


def providers(request):
    return OrgUnit.objects.filter(pk__in=_visible(request).values("provider"))


def recipients(request):
    return OrgUnit.objects.filter(pk__in=_visible(request).values("recipient"))


def techniques(request):
    return Technique.objects.filter(pk__in=_visible(request).values("technique"))


def programmes(request):
    return Programme.objects.restrict(getattr(request, "user", None), "view")


class TechniqueTransferFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        choices=TransferState.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    provider = django_filters.ModelChoiceFilter(
        label=_("Transferring facility"), queryset=providers, to_field_name="uid"
    )
    recipient = django_filters.ModelChoiceFilter(
        label=_("Receiving facility"), queryset=recipients, to_field_name="uid"
    )
    technique = django_filters.ModelChoiceFilter(
        label=_("Technique"), queryset=techniques, to_field_name="code"
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=programmes, to_field_name="uid"
    )
    specialty = django_filters.ModelChoiceFilter(
        label=_("Specialty"),
        field_name="technique__specialty",
        queryset=Specialty.objects.filter(active=True),
        to_field_name="code",
    )
    level_exception = django_filters.BooleanFilter(
        label=_("Level exception"),
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]),
    )
    need = django_filters.NumberFilter(
        label=_("Need"), field_name="need_id", widget=forms.HiddenInput
    )

    class Meta:
        model = TechniqueTransfer
        fields = [
            "q",
            "state",
            "provider",
            "recipient",
            "technique",
            "programme",
            "specialty",
            "level_exception",
        ]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(technique__search_text__contains=term)
                | Q(provider__search_text__contains=term)
                | Q(recipient__search_text__contains=term)
            )
        return queryset
