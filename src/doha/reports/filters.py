"""One filterset for reports, shared by the list page."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.reports.models import Report, ReportKind


def _units(request):
    visible = Report.objects.restrict(getattr(request, "user", None), "view")
    return OrgUnit.objects.filter(pk__in=visible.values("org_unit")).order_by("sort_name")


class ReportFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ReportKind.choices)
    org_unit = django_filters.ModelChoiceFilter(
        label=_("Org unit"), queryset=_units, to_field_name="uid"
    )
    year = django_filters.NumberFilter(label=_("Year"), field_name="year")

    class Meta:
        model = Report
        fields = ["q", "kind", "org_unit", "year"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(org_unit__search_text__contains=term)
                | Q(title__icontains=term)
                | Q(programme__title__icontains=term)
            )
        return queryset.distinct()
