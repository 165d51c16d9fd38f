"""One filterset per model, shared by the pages and the REST API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from doha.orgunits.models import (
    AdminEdition,
    AdminLevel,
    AdminUnit,
    FacilityType,
    OrgUnit,
    TechnicalLevel,
)


def province_choices():
    return [
        (u.code, u.name)
        for u in AdminUnit.objects.filter(
            edition=AdminEdition.CURRENT, level=AdminLevel.PROVINCE
        ).order_by("name")
    ]


class OrgUnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    facility_type = django_filters.MultipleChoiceFilter(
        label=_("Type"),
        choices=FacilityType.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    technical_level = django_filters.ChoiceFilter(
        label=_("Technical level"), choices=TechnicalLevel.choices
    )
    province = django_filters.ChoiceFilter(
        label=_("Province"), choices=province_choices, field_name="admin_unit__province_code"
    )
    active = django_filters.BooleanFilter(
        label=_("Status"),
        widget=forms.Select(
            choices=[("", _("All")), ("true", _("Active")), ("false", _("Retired"))]
        ),
    )
    parent = django_filters.CharFilter(label=_("Parent unit (UID)"), field_name="parent__uid")
    code = django_filters.CharFilter(label=_("Code"), lookup_expr="iexact")

    class Meta:
        model = OrgUnit
        fields = ["q", "facility_type", "technical_level", "province", "active", "parent", "code"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class AdminUnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    edition = django_filters.ChoiceFilter(label=_("Edition"), choices=AdminEdition.choices)
    level = django_filters.ChoiceFilter(label=_("Level"), choices=AdminLevel.choices)
    province_code = django_filters.CharFilter(label=_("Province code"))
    parent = django_filters.CharFilter(label=_("Parent code"), field_name="parent__code")

    class Meta:
        model = AdminUnit
        fields = ["q", "edition", "level", "province_code", "parent"]

    def filter_q(self, queryset, name, value):
        from doha.core.text import search_terms

        for term in search_terms(value):
            queryset = queryset.filter(search_text__contains=term)
        return queryset
