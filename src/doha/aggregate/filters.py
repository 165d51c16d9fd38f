"""Filtersets of the metadata lists (pages and exports), and accent-insensitive search.

Metadata tables are small (tens to a few thousand rows) and carry no folded search column, so a
search folds names and codes in Python and filters by the matching keys: "kham benh" finds
"Lượt khám bệnh", "dan so" finds "Dân số". Indicators and validation rules are kept by the
analytics app but defined on the statistics pages, so their filtersets live here too.
"""

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from doha.aggregate.models import (
    AggregationType,
    Category,
    CategoryCombo,
    DataElement,
    DataElementSource,
    DataSet,
    PeriodType,
    ValueType,
)
from doha.analytics.models import Importance, Indicator, IndicatorType, ValidationRule
from doha.core.text import fold, search_terms


def fold_search(queryset: QuerySet, query: str, fields=("name", "short_name", "code")) -> QuerySet:
    """Rows whose ``fields`` together contain every word of ``query``, accents and case
    ignored."""
    terms = search_terms(query)
    if not terms:
        return queryset
    matches = []
    for row in queryset.order_by().values("pk", *fields):
        text = " ".join(fold(str(row[f])) for f in fields if row[f])
        if all(term in text for term in terms):
            matches.append(row["pk"])
    return queryset.filter(pk__in=matches)


class FoldSearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    search_fields = ("name", "short_name", "code", "uid")

    def filter_q(self, queryset, name, value):
        return fold_search(queryset, value, self.search_fields)


def _data_sets(request):
    return DataSet.objects.restrict(getattr(request, "user", None), "view").order_by("name")


def _combos(request):
    return CategoryCombo.objects.restrict(getattr(request, "user", None), "view").order_by("name")


class DataElementFilterSet(FoldSearchFilterSet):
    value_type = django_filters.ChoiceFilter(label=_("Value type"), choices=ValueType.choices)
    aggregation_type = django_filters.ChoiceFilter(
        label=_("Aggregation type"), choices=AggregationType.choices
    )
    category_combo = django_filters.ModelChoiceFilter(
        label=_("Disaggregation"), queryset=_combos, to_field_name="uid"
    )
    source = django_filters.ChoiceFilter(label=_("Source"), choices=DataElementSource.choices)
    data_set = django_filters.ModelChoiceFilter(
        label=_("Data set"), queryset=_data_sets, field_name="data_sets", to_field_name="uid"
    )

    class Meta:
        model = DataElement
        fields = ["q", "value_type", "aggregation_type", "category_combo", "source", "data_set"]


class DataSetFilterSet(FoldSearchFilterSet):
    period_type = django_filters.ChoiceFilter(label=_("Period type"), choices=PeriodType.choices)

    class Meta:
        model = DataSet
        fields = ["q", "period_type"]


class CategoryFilterSet(FoldSearchFilterSet):
    class Meta:
        model = Category
        fields = ["q"]


class CategoryComboFilterSet(FoldSearchFilterSet):
    class Meta:
        model = CategoryCombo
        fields = ["q"]


def _indicator_types(request):
    return IndicatorType.objects.restrict(getattr(request, "user", None), "view").order_by("name")


class IndicatorFilterSet(FoldSearchFilterSet):
    indicator_type = django_filters.ModelChoiceFilter(
        label=_("Indicator type"), queryset=_indicator_types, to_field_name="uid"
    )

    class Meta:
        model = Indicator
        fields = ["q", "indicator_type"]


class ValidationRuleFilterSet(FoldSearchFilterSet):
    importance = django_filters.ChoiceFilter(label=_("Importance"), choices=Importance.choices)
    period_type = django_filters.ChoiceFilter(label=_("Period type"), choices=PeriodType.choices)

    class Meta:
        model = ValidationRule
        fields = ["q", "importance", "period_type"]
