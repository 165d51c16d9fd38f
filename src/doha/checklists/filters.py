"""One filterset per model, shared by the list pages, the export and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doha.checklists.models import (
    ChecklistFill,
    ChecklistTemplate,
    FillStatus,
    TemplateStatus,
)
from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.visits.models import VisitKind


def _facilities(request):
    visible = ChecklistFill.objects.restrict(getattr(request, "user", None), "view")
    return OrgUnit.objects.filter(pk__in=visible.values("facility")).order_by("sort_name")


def _template_codes(request):
    codes = ChecklistTemplate.objects.order_by("code").values_list("code", "name").distinct()
    seen, choices = set(), []
    for code, name in codes:
        if code not in seen:
            seen.add(code)
            choices.append((code, f"{code} – {name}"))
    return choices


class TemplateFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=TemplateStatus.choices)
    visit_kind = django_filters.ChoiceFilter(label=_("Visit kind"), choices=VisitKind.choices)

    class Meta:
        model = ChecklistTemplate
        fields = ["q", "status", "visit_kind"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(Q(code__icontains=term) | Q(name__icontains=term))
        return queryset


class FillFilterSet(django_filters.FilterSet):
    facility = django_filters.ModelChoiceFilter(
        label=_("Facility"), queryset=_facilities, to_field_name="uid"
    )
    template = django_filters.ChoiceFilter(
        label=_("Checklist template"), field_name="template__code", choices=[]
    )
    visit = django_filters.CharFilter(label=_("Official visit"), field_name="visit__uid")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=FillStatus.choices)
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(label=_("Until"), field_name="date", lookup_expr="lte")

    class Meta:
        model = ChecklistFill
        fields = ["facility", "template", "visit", "status", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # On the form, not the filter: the schema generator caches the filters' fields.
        self.form.fields["template"].choices = [("", "---------"), *_template_codes(self.request)]
        self.form.fields["visit"].widget = self.form.fields["visit"].hidden_widget()
