"""One filterset for rotations, shared by the list page, its export and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme
from doha.rotations.models import Rotation, RotationKind, RotationStatus


def _visible(request):
    return Rotation.objects.restrict(getattr(request, "user", None), "view")


def senders(request):
    return OrgUnit.objects.filter(pk__in=_visible(request).values("from_facility"))


def receivers(request):
    return OrgUnit.objects.filter(pk__in=_visible(request).values("to_facility"))


def programmes(request):
    return Programme.objects.restrict(getattr(request, "user", None), "view")


class RotationFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=RotationKind.choices)
    worker = django_filters.CharFilter(label=_("Health worker"), method="filter_worker")
    from_facility = django_filters.ModelChoiceFilter(
        label=_("Sending facility"), queryset=senders, to_field_name="uid"
    )
    to_facility = django_filters.ModelChoiceFilter(
        label=_("Receiving facility"), queryset=receivers, to_field_name="uid"
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=programmes, to_field_name="uid"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RotationStatus.choices)
    period_from = django_filters.DateFilter(
        label=_("In the period from"),
        field_name="end",
        lookup_expr="gte",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    period_to = django_filters.DateFilter(
        label=_("to"),
        field_name="start",
        lookup_expr="lte",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Rotation
        fields = [
            "kind",
            "worker",
            "from_facility",
            "to_facility",
            "programme",
            "status",
            "period_from",
            "period_to",
        ]

    def filter_worker(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(worker__search_text__contains=term)
        return queryset
