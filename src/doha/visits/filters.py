"""Filtersets of visits and follow-up actions, shared by the list pages, exports and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doha.core.text import nfc, search_terms
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme
from doha.visits.models import (
    ActionStatus,
    FollowUpAction,
    Visit,
    VisitKind,
    today,
)


def _units(model, field):
    def queryset(request):
        visible = model.objects.restrict(getattr(request, "user", None), "view")
        return OrgUnit.objects.filter(pk__in=visible.values(field)).order_by("sort_name")

    return queryset


def programmes(request):
    return Programme.objects.restrict(getattr(request, "user", None), "view")


class VisitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=VisitKind.choices)
    host = django_filters.ModelChoiceFilter(
        label=_("Host unit"), queryset=_units(Visit, "host"), to_field_name="uid"
    )
    visiting = django_filters.ModelChoiceFilter(
        label=_("Visiting unit"), queryset=_units(Visit, "visiting"), to_field_name="uid"
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=programmes, to_field_name="uid"
    )
    date_from = django_filters.DateFilter(label=_("From"), field_name="end_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="start_date", lookup_expr="lte"
    )

    class Meta:
        model = Visit
        fields = ["q", "kind", "host", "visiting", "programme", "date_from", "date_to"]

    def filter_q(self, queryset, name, value):
        text = nfc(value)
        units = Q()
        for term in search_terms(value):
            units &= Q(host__search_text__contains=term) | Q(visiting__search_text__contains=term)
        return queryset.filter(
            Q(title__icontains=text)
            | Q(purpose__icontains=text)
            | Q(lessons__icontains=text)
            | units
        )


class ActionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ActionStatus.choices)
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner facility"),
        field_name="owner_facility",
        queryset=_units(FollowUpAction, "owner_facility"),
        to_field_name="uid",
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="filter_overdue",
        widget=django_filters.widgets.BooleanWidget,
    )
    kind = django_filters.ChoiceFilter(
        label=_("Visit kind"), field_name="visit__kind", choices=VisitKind.choices
    )
    due_from = django_filters.DateFilter(
        label=_("Due from"), field_name="due_date", lookup_expr="gte"
    )
    due_to = django_filters.DateFilter(
        label=_("Due until"), field_name="due_date", lookup_expr="lte"
    )

    class Meta:
        model = FollowUpAction
        fields = ["q", "status", "owner", "overdue", "kind", "due_from", "due_to"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS], due_date__lt=today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_q(self, queryset, name, value):
        text = nfc(value)
        units = Q()
        for term in search_terms(value):
            units &= Q(owner_facility__search_text__contains=term)
        return queryset.filter(
            Q(description__icontains=text)
            | Q(owner_person__icontains=text)
            | Q(visit__title__icontains=text)
            | units
        )
