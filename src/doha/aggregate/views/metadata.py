"""Pages of the aggregate app (metadata): data elements, data sets and their facilities,
categories and combinations, indicators and validation rules under ``/statistics/``.

Everyone reads metadata; only roles with "metadata" add/change rights (DOH officers, system
administrators) see and use the add and edit pages. Lists search names and codes with accents
ignored and export to .xlsx or .csv.
"""

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.aggregate import filters, forms, metadata
from doha.aggregate.models import (
    DEFAULT_CATEGORY_COMBO_UID,
    DEFAULT_CATEGORY_UID,
    AggregationType,
    Category,
    CategoryCombo,
    DataDimensionType,
    DataElement,
    DataElementSource,
    DataSet,
    DataValue,
    PeriodType,
    ValueType,
)
from doha.analytics.expressions import describe
from doha.analytics.models import (
    Importance,
    Indicator,
    IndicatorType,
    Operator,
    ValidationRule,
)
from doha.core.views import ColumnExportMixin, ObjectListView, ScopedViewMixin, _add_errors
from doha.orgunits.models import OrgUnit

NAV = "metadata"


def _label(choices, value):
    return str(dict(choices.choices).get(value, value)) if value else ""


class MetadataListView(ColumnExportMixin, ObjectListView):
    """A metadata list: search, filters, paging, export; rows built by ``row``."""

    template_name = "aggregate/metadata_list.html"
    title = ""
    add_url = ""
    detail_url = ""
    export_name = "metadata"
    columns: list[tuple[object, int]] = []
    table_columns: list[object] = []

    def get_queryset(self, action=None):
        return super().get_queryset(action).order_by("name")

    def row(self, obj) -> list:
        raise ImproperlyConfigured(f"{type(self).__name__} must define row() for its export.")

    def table_row(self, obj) -> list:
        """The cells shown on the page (the first links to the object)."""
        return self.row(obj)[1 : len(self.table_columns) + 1]

    def export_row(self, obj) -> list:
        return self.row(obj)

    @property
    def export_filename(self):
        return self.export_name

    @property
    def sheet_title(self):
        return self.title

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=self.title,
            add_url=reverse(self.add_url) if self.add_url else "",
            list_url=self.request.path,
            headers=self.table_columns,
            rows=[
                {"url": reverse(self.detail_url, args=[obj.uid]), "cells": self.table_row(obj)}
                for obj in ctx["object_list"]
            ],
            active_nav=NAV,
        )
        return ctx


class MetadataDetailView(ScopedViewMixin, TemplateView):
    edit_url = ""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = self.get_object()
        can_edit = self.user_can("change")
        ctx.update(
            object=obj,
            can_edit=can_edit,
            edit_url=reverse(self.edit_url, args=[obj.uid]) if can_edit else "",
            active_nav=NAV,
        )
        return ctx


class MetadataFormView(ScopedViewMixin, TemplateView):
    """Add (no ``uid``) or edit one object; the save runs in one transaction."""

    template_name = "aggregate/metadata_form.html"
    form_class = None
    detail_url = ""
    list_url = ""
    title_add = ""
    title_edit = ""

    def dispatch(self, request, *args, **kwargs):
        self.action = "change" if "uid" in kwargs else "add"
        return super().dispatch(request, *args, **kwargs)

    def get_instance(self):
        if "uid" not in self.kwargs:
            return None
        if not hasattr(self, "_object"):
            self._object = self.get_object("change")
        return self._object

    def get_form(self, data=None):
        return self.form_class(data, instance=self.get_instance(), user=self.request.user)

    def perform(self, form):
        return form.save()

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.perform(form)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": obj})
                return redirect(reverse(self.detail_url, args=[obj.uid]))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        instance = self.get_instance()
        ctx.update(
            object=instance,
            title=self.title_edit if instance else self.title_add,
            cancel_url=(
                reverse(self.detail_url, args=[instance.uid])
                if instance
                else reverse(self.list_url)
            ),
            active_nav=NAV,
        )
        return ctx


# --------------------------------------------------------------------------------- index


class MetadataIndexView(ScopedViewMixin, TemplateView):
    model = DataElement
    template_name = "aggregate/metadata_index.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        sections = [
            (DataElement, gettext_lazy("Data elements"), "aggregate:dataelement_list"),
            (DataSet, gettext_lazy("Data sets"), "aggregate:dataset_list"),
            (Category, gettext_lazy("Categories"), "aggregate:category_list"),
            (CategoryCombo, gettext_lazy("Category combinations"), "aggregate:categorycombo_list"),
            (Indicator, gettext_lazy("Indicators"), "aggregate:indicator_list"),
            (ValidationRule, gettext_lazy("Validation rules"), "aggregate:validationrule_list"),
        ]
        ctx.update(
            sections=[
                {
                    "label": label,
                    "url": reverse(name),
                    "count": model.objects.restrict(user, "view").count(),
                }
                for model, label, name in sections
            ],
            active_nav=NAV,
        )
        return ctx


# --------------------------------------------------------------------------- data elements


class DataElementListView(MetadataListView):
    model = DataElement
    filterset_class = filters.DataElementFilterSet
    title = gettext_lazy("Data elements")
    add_url = "aggregate:dataelement_add"
    detail_url = "aggregate:dataelement_detail"
    export_name = "chi-tieu-thong-ke"
    columns = [
        (gettext_lazy("UID"), 13),
        (gettext_lazy("Name"), 45),
        (gettext_lazy("Code"), 24),
        (gettext_lazy("Value type"), 22),
        (gettext_lazy("Aggregation"), 18),
        (gettext_lazy("Disaggregation"), 26),
        (gettext_lazy("Source"), 22),
        (gettext_lazy("Short name"), 30),
        (gettext_lazy("Computed from"), 20),
        (gettext_lazy("Data sets"), 40),
        (gettext_lazy("Description"), 50),
    ]
    table_columns = columns[1:7]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("category_combo")
            .prefetch_related("data_sets")
        )

    def row(self, e):
        return [
            e.uid,
            e.name,
            e.code or "",
            _label(ValueType, e.value_type),
            _label(AggregationType, e.aggregation_type),
            e.category_combo.name,
            _label(DataElementSource, e.source),
            e.short_name,
            e.computed_from,
            "; ".join(ds.name for ds in e.data_sets.all()),
            e.description,
        ]


class DataElementDetailView(MetadataDetailView):
    model = DataElement
    template_name = "aggregate/dataelement_detail.html"
    edit_url = "aggregate:dataelement_edit"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        element = ctx["object"]
        user = self.request.user
        uses = Q(numerator__contains=element.uid) | Q(denominator__contains=element.uid)
        rule_uses = Q(left_side__contains=element.uid) | Q(right_side__contains=element.uid)
        ctx.update(
            data_sets=element.data_sets.order_by("name"),
            option_combos=element.category_combo.option_combos.order_by("sort_order"),
            indicators=Indicator.objects.restrict(user, "view").filter(uses).order_by("name"),
            rules=ValidationRule.objects.restrict(user, "view").filter(rule_uses).order_by("name"),
            has_values=DataValue.objects.filter(data_element=element).exists(),
        )
        return ctx


class DataElementFormView(MetadataFormView):
    model = DataElement
    form_class = forms.DataElementForm
    detail_url = "aggregate:dataelement_detail"
    list_url = "aggregate:dataelement_list"
    title_add = gettext_lazy("Add data element")
    title_edit = gettext_lazy("Edit data element")


# ------------------------------------------------------------------------------- data sets


def units_in_scope(user, data_set):
    return data_set.org_units.filter(pk__in=OrgUnit.objects.restrict(user, "view").values("pk"))


class DataSetListView(MetadataListView):
    model = DataSet
    filterset_class = filters.DataSetFilterSet
    title = gettext_lazy("Data sets")
    add_url = "aggregate:dataset_add"
    detail_url = "aggregate:dataset_detail"
    export_name = "bo-du-lieu"
    columns = [
        (gettext_lazy("UID"), 13),
        (gettext_lazy("Name"), 45),
        (gettext_lazy("Code"), 18),
        (gettext_lazy("Period type"), 16),
        (gettext_lazy("Data elements"), 14),
        (gettext_lazy("Reporting facilities (in your scope)"), 20),
        (gettext_lazy("Description"), 60),
    ]
    table_columns = columns[1:6]

    def get_queryset(self, action=None):
        scope = OrgUnit.objects.restrict(self.request.user, "view").values("pk")
        return (
            super()
            .get_queryset(action)
            .annotate(
                element_count=Count("elements", distinct=True),
                unit_count=Count("org_units", filter=Q(org_units__in=scope), distinct=True),
            )
        )

    def row(self, ds):
        return [
            ds.uid,
            ds.name,
            ds.code or "",
            _label(PeriodType, ds.period_type),
            ds.element_count,
            ds.unit_count,
            ds.description,
        ]


class DataSetDetailView(MetadataDetailView):
    model = DataSet
    template_name = "aggregate/dataset_detail.html"
    edit_url = "aggregate:dataset_edit"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        data_set = ctx["object"]
        rows = data_set.elements.select_related(
            "data_element__category_combo", "category_combo"
        ).order_by("sort_order")
        sections = []
        for row in rows:
            if not sections or sections[-1]["name"] != row.section:
                sections.append({"name": row.section, "rows": []})
            sections[-1]["rows"].append(row)
        ctx.update(
            sections=sections,
            unit_count=units_in_scope(self.request.user, data_set).count(),
            units_url=reverse("aggregate:dataset_units", args=[data_set.uid]),
        )
        return ctx


class DataSetFormView(MetadataFormView):
    model = DataSet
    form_class = forms.DataSetForm
    detail_url = "aggregate:dataset_detail"
    list_url = "aggregate:dataset_list"
    title_add = gettext_lazy("Add data set")
    title_edit = gettext_lazy("Edit data set")

    def perform(self, form):
        data_set = form.save()
        metadata.set_data_set_elements(data_set, list(form.cleaned_data["elements"]))
        return data_set


class DataSetUnitsView(ScopedViewMixin, TemplateView):
    """The data set's reporting facilities in the user's scope; assign or remove a subtree."""

    model = DataSet
    template_name = "aggregate/dataset_units.html"
    paginate_by = 100

    def get_context_data(self, form=None, **kwargs):
        ctx = super().get_context_data(**kwargs)
        data_set = self.get_object()
        units = units_in_scope(self.request.user, data_set).select_related("parent")
        page = Paginator(units.order_by("path"), self.paginate_by).get_page(
            self.request.GET.get("page")
        )
        can_change = self.user_can("change")
        if form is None and can_change:
            form = forms.DataSetUnitsForm(user=self.request.user)
        ctx.update(
            object=data_set,
            form=form,
            can_change=can_change,
            page_obj=page,
            units=page.object_list,
            total=page.paginator.count,
            querystring="",
            active_nav=NAV,
        )
        return ctx

    def post(self, request, *args, **kwargs):
        if not self.user_can("change"):
            raise PermissionDenied(_("Your role does not allow this action."))
        data_set = self.get_object("change")
        form = forms.DataSetUnitsForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        remove = data["operation"] == forms.DataSetUnitsForm.REMOVE
        with transaction.atomic():
            count = metadata.assign_data_set_units(
                data_set,
                data["org_unit"],
                user=request.user,
                include_below=data["include_below"],
                facility_types=data["facility_types"],
                remove=remove,
            )
        if remove:
            text = _("%(count)s facilities removed from %(name)s.")
        else:
            text = _("%(count)s facilities assigned to %(name)s.")
        messages.success(request, text % {"count": count, "name": data_set.name})
        return redirect(reverse("aggregate:dataset_units", args=[data_set.uid]))


# ---------------------------------------------------------------- categories and combos


class CategoryListView(MetadataListView):
    model = Category
    filterset_class = filters.CategoryFilterSet
    title = gettext_lazy("Categories")
    add_url = "aggregate:category_add"
    detail_url = "aggregate:category_detail"
    export_name = "nhom-phan-to"
    columns = [
        (gettext_lazy("UID"), 13),
        (gettext_lazy("Name"), 30),
        (gettext_lazy("Code"), 16),
        (gettext_lazy("Options"), 60),
        (gettext_lazy("Description"), 50),
    ]
    table_columns = columns[1:4]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .exclude(uid=DEFAULT_CATEGORY_UID)
            .prefetch_related("memberships__option")
        )

    def row(self, c):
        options = sorted(c.memberships.all(), key=lambda m: m.sort_order)
        return [
            c.uid,
            c.name,
            c.code or "",
            ", ".join(m.option.name for m in options),
            c.description,
        ]


class CategoryDetailView(MetadataDetailView):
    model = Category
    template_name = "aggregate/metadata_category_detail.html"
    edit_url = "aggregate:category_edit"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        category = ctx["object"]
        ctx.update(options=category.ordered_options(), combos=category.combos.order_by("name"))
        return ctx


class CategoryFormView(MetadataFormView):
    model = Category
    form_class = forms.CategoryForm
    detail_url = "aggregate:category_detail"
    list_url = "aggregate:category_list"
    title_add = gettext_lazy("Add category")
    title_edit = gettext_lazy("Edit category")

    def perform(self, form):
        return metadata.save_category(
            form.save(commit=False),
            list(form.cleaned_data["options"]),
            form.cleaned_data["new_options"],
        )


class CategoryComboListView(MetadataListView):
    model = CategoryCombo
    filterset_class = filters.CategoryComboFilterSet
    title = gettext_lazy("Category combinations")
    add_url = "aggregate:categorycombo_add"
    detail_url = "aggregate:categorycombo_detail"
    export_name = "phan-to"
    columns = [
        (gettext_lazy("UID"), 13),
        (gettext_lazy("Name"), 30),
        (gettext_lazy("Code"), 16),
        (gettext_lazy("Categories"), 40),
        (gettext_lazy("Option combinations"), 12),
        (gettext_lazy("Data dimension type"), 18),
    ]
    table_columns = columns[1:5]

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .exclude(uid=DEFAULT_CATEGORY_COMBO_UID)
            .annotate(cell_count=Count("option_combos", distinct=True))
            .prefetch_related("category_memberships__category")
        )

    def row(self, c):
        categories = sorted(c.category_memberships.all(), key=lambda m: m.sort_order)
        return [
            c.uid,
            c.name,
            c.code or "",
            ", ".join(m.category.name for m in categories),
            c.cell_count,
            _label(DataDimensionType, c.data_dimension_type),
        ]


class CategoryComboDetailView(MetadataDetailView):
    model = CategoryCombo
    template_name = "aggregate/metadata_categorycombo_detail.html"
    edit_url = "aggregate:categorycombo_edit"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        combo = ctx["object"]
        ctx.update(
            categories=combo.ordered_categories(),
            option_combos=combo.option_combos.order_by("sort_order"),
            data_elements=combo.data_elements.order_by("name"),
            can_edit=ctx["can_edit"] and not combo.is_default,
        )
        return ctx


class CategoryComboFormView(MetadataFormView):
    model = CategoryCombo
    form_class = forms.CategoryComboForm
    detail_url = "aggregate:categorycombo_detail"
    list_url = "aggregate:categorycombo_list"
    title_add = gettext_lazy("Add category combination")
    title_edit = gettext_lazy("Edit category combination")

    def perform(self, form):
        return metadata.save_category_combo(
            form.save(commit=False), list(form.cleaned_data["categories"])
        )


# ------------------------------------------------------------------------------ indicators


class IndicatorListView(MetadataListView):
    model = Indicator
    filterset_class = filters.IndicatorFilterSet
    title = gettext_lazy("Indicators")
    add_url = "aggregate:indicator_add"
    detail_url = "aggregate:indicator_detail"
    export_name = "chi-so"
    columns = [
        (gettext_lazy("UID"), 13),
        (gettext_lazy("Name"), 45),
        (gettext_lazy("Code"), 26),
        (gettext_lazy("Indicator type"), 14),
        (gettext_lazy("Numerator"), 40),
        (gettext_lazy("Denominator"), 40),
        (gettext_lazy("Factor"), 10),
        (gettext_lazy("Decimals"), 10),
        (gettext_lazy("Numerator expression"), 30),
        (gettext_lazy("Denominator expression"), 30),
    ]
    table_columns = columns[1:6]

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("indicator_type")

    def row(self, i):
        return [
            i.uid,
            i.name,
            i.code or "",
            i.indicator_type.name,
            i.numerator_description,
            i.denominator_description,
            i.indicator_type.factor,
            "" if i.decimals is None else i.decimals,
            i.numerator,
            i.denominator,
        ]


class IndicatorDetailView(MetadataDetailView):
    model = Indicator
    template_name = "aggregate/indicator_detail.html"
    edit_url = "aggregate:indicator_edit"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        indicator = ctx["object"]
        ctx.update(
            numerator_text=describe(indicator.numerator),
            denominator_text=describe(indicator.denominator),
        )
        return ctx


class IndicatorFormView(MetadataFormView):
    model = Indicator
    form_class = forms.IndicatorForm
    detail_url = "aggregate:indicator_detail"
    list_url = "aggregate:indicator_list"
    title_add = gettext_lazy("Add indicator")
    title_edit = gettext_lazy("Edit indicator")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["no_indicator_types"] = not IndicatorType.objects.exists()
        return ctx


# ------------------------------------------------------------------------ validation rules


class ValidationRuleListView(MetadataListView):
    model = ValidationRule
    filterset_class = filters.ValidationRuleFilterSet
    title = gettext_lazy("Validation rules")
    add_url = "aggregate:validationrule_add"
    detail_url = "aggregate:validationrule_detail"
    export_name = "quy-tac-kiem-tra"
    columns = [
        (gettext_lazy("UID"), 13),
        (gettext_lazy("Name"), 45),
        (gettext_lazy("Importance"), 12),
        (gettext_lazy("Left side"), 35),
        (gettext_lazy("Operator"), 10),
        (gettext_lazy("Right side"), 35),
        (gettext_lazy("Code"), 30),
        (gettext_lazy("Period type"), 14),
        (gettext_lazy("Left side expression"), 30),
        (gettext_lazy("Right side expression"), 30),
        (gettext_lazy("Instruction"), 50),
    ]
    table_columns = columns[1:6]

    def row(self, r):
        return [
            r.uid,
            r.name,
            _label(Importance, r.importance),
            r.left_side_description,
            _label(Operator, r.operator),
            r.right_side_description,
            r.code or "",
            _label(PeriodType, r.period_type),
            r.left_side,
            r.right_side,
            r.instruction,
        ]


class ValidationRuleDetailView(MetadataDetailView):
    model = ValidationRule
    template_name = "aggregate/validationrule_detail.html"
    edit_url = "aggregate:validationrule_edit"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rule = ctx["object"]
        ctx.update(left_text=describe(rule.left_side), right_text=describe(rule.right_side))
        return ctx


class ValidationRuleFormView(MetadataFormView):
    model = ValidationRule
    form_class = forms.ValidationRuleForm
    detail_url = "aggregate:validationrule_detail"
    list_url = "aggregate:validationrule_list"
    title_add = gettext_lazy("Add validation rule")
    title_edit = gettext_lazy("Edit validation rule")


def _crud(prefix: str, name: str, list_view, detail_view, form_view):
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/add/", form_view.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<str:uid>/", detail_view.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<str:uid>/edit/", form_view.as_view(), name=f"{name}_edit"),
    ]


urlpatterns = [
    path("metadata/", MetadataIndexView.as_view(), name="metadata"),
    *_crud(
        "data-elements",
        "dataelement",
        DataElementListView,
        DataElementDetailView,
        DataElementFormView,
    ),
    *_crud("data-sets", "dataset", DataSetListView, DataSetDetailView, DataSetFormView),
    path("data-sets/<str:uid>/units/", DataSetUnitsView.as_view(), name="dataset_units"),
    *_crud("categories", "category", CategoryListView, CategoryDetailView, CategoryFormView),
    *_crud(
        "category-combos",
        "categorycombo",
        CategoryComboListView,
        CategoryComboDetailView,
        CategoryComboFormView,
    ),
    *_crud("indicators", "indicator", IndicatorListView, IndicatorDetailView, IndicatorFormView),
    *_crud(
        "validation-rules",
        "validationrule",
        ValidationRuleListView,
        ValidationRuleDetailView,
        ValidationRuleFormView,
    ),
]
