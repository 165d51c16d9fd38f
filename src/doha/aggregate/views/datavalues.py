"""Pages of the aggregate app (data values): import a data value set file, export one, and
read one value's history.

The import page hands the file to ``formats.import_file`` (the same path as the DHIS2 API) and
shows DHIS2's import summary in the page language; the export page streams ``formats.render``.
Both check the role (``import``/``export`` on data values) and the org-unit scope.
"""

import datetime

from django import forms
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.aggregate import datavalues, formats
from doha.aggregate.models import DataSet, DataValue, DataValueAudit
from doha.aggregate.periods import parse_period
from doha.core.text import format_number
from doha.core.views import ScopedViewMixin
from doha.orgunits.models import OrgUnit

MAX_UPLOAD_BYTES = 200 * 1024 * 1024

STRATEGY_CHOICES = [
    (datavalues.CREATE_AND_UPDATE, gettext_lazy("Create new values and update existing ones")),
    (datavalues.CREATE, gettext_lazy("Create new values only (leave existing ones)")),
    (datavalues.UPDATE, gettext_lazy("Update existing values only")),
    (datavalues.DELETE, gettext_lazy("Delete the values in the file")),
]
ID_SCHEME_CHOICES = [
    ("", gettext_lazy("Default (UID; code for ADX)")),
    (formats.UID, gettext_lazy("UID")),
    (formats.CODE, gettext_lazy("Code")),
    (formats.NAME, gettext_lazy("Name")),
]
FORMAT_CHOICES = [
    (formats.JSON, "JSON"),
    (formats.CSV, "CSV"),
    (formats.ADX, "ADX XML"),
]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Data value set file (.json, .csv or .xml)"),
        help_text=gettext_lazy(
            "DHIS2 data value sets in JSON, CSV or ADX XML. Nothing is saved if any value is "
            "refused, unless you ask to import the valid values only."
        ),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("", gettext_lazy("Detect from the file")), *FORMAT_CHOICES],
        required=False,
    )
    strategy = forms.ChoiceField(
        label=gettext_lazy("Import strategy"),
        choices=STRATEGY_CHOICES,
        initial=datavalues.CREATE_AND_UPDATE,
    )
    id_scheme = forms.ChoiceField(
        label=gettext_lazy("Identifiers in the file"), choices=ID_SCHEME_CHOICES, required=False
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Check only, do not save"), required=False)
    partial = forms.BooleanField(
        label=gettext_lazy("Import the valid values only (skip the refused ones)"),
        required=False,
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.")
                % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return f


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ExportForm(forms.Form):
    data_set = forms.ModelChoiceField(
        label=gettext_lazy("Data set"), queryset=DataSet.objects.none()
    )
    org_unit = UnitChoiceField(label=gettext_lazy("Org unit"), queryset=OrgUnit.objects.none())
    children = forms.BooleanField(
        label=gettext_lazy("Include the units below it"), required=False, initial=True
    )
    start_date = forms.DateField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end_date = forms.DateField(
        label=gettext_lazy("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES)
    id_scheme = forms.ChoiceField(
        label=gettext_lazy("Identifiers in the file"), choices=ID_SCHEME_CHOICES, required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_set"].queryset = DataSet.objects.restrict(user, "view").order_by("name")
        self.fields["org_unit"].queryset = (
            OrgUnit.objects.restrict(user, "view").filter(active=True).order_by("sort_name")
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and start > end:
            self.add_error("end_date", _("The end date is before the start date."))
        return data


class DataValueImportView(ScopedViewMixin, TemplateView):
    model = DataValue
    action = "import"
    template_name = "aggregate/datavalue_import.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ImportForm()))

    def post(self, request, *args, **kwargs):
        form = ImportForm(request.POST, request.FILES)
        summary = None
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                summary = formats.import_file(
                    request.user,
                    upload,
                    data["format"] or None,
                    filename=upload.name,
                    content_type=getattr(upload, "content_type", None),
                    strategy=data["strategy"],
                    dry_run=data["dry_run"],
                    atomic=not data["partial"],
                    id_schemes=data["id_scheme"] or None,
                )
            except formats.ImportOptionsError as exc:
                form.add_error(None, str(exc))
            else:
                status = 200 if summary.ok else 400
        return self.render_to_response(
            self.get_context_data(form=form, summary=summary), status=status
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "datavalue_import"
        ctx["can_export"] = self.user_can("export")
        return ctx


def _default_range():
    today = timezone.localdate()
    end = parse_period(today.strftime("%Y%m")).end
    index = today.year * 12 + today.month - 1 - 11
    start = datetime.date(index // 12, index % 12 + 1, 1)
    return start, end


class DataValueExportView(ScopedViewMixin, TemplateView):
    model = DataValue
    action = "export"
    template_name = "aggregate/datavalue_export.html"

    def get(self, request, *args, **kwargs):
        if "data_set" not in request.GET:
            start, end = _default_range()
            initial = {"start_date": start, "end_date": end, "children": True}
            if request.user.org_unit_id:
                initial["org_unit"] = request.user.org_unit_id
            form = ExportForm(initial=initial, user=request.user)
            return self.render_to_response(self.get_context_data(form=form))
        form = ExportForm(request.GET, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            query = formats.ExportQuery(
                data_sets=[data["data_set"]],
                org_units=[data["org_unit"]],
                children=data["children"],
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
            try:
                values = formats.export_values(request.user, query)
                stream = formats.render(values, data["format"], query, data["id_scheme"] or None)
            except formats.ExportError as exc:
                form.add_error(None, str(exc))
            else:
                response = StreamingHttpResponse(
                    stream, content_type=formats.CONTENT_TYPES[data["format"]]
                )
                ds = data["data_set"]
                filename = "du-lieu-{}-{}-{}.{}".format(
                    ds.code or ds.uid,
                    data["start_date"].strftime("%Y%m%d"),
                    data["end_date"].strftime("%Y%m%d"),
                    formats.EXTENSIONS[data["format"]],
                )
                response["Content-Disposition"] = f'attachment; filename="{filename}"'
                return response
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "datavalue_export"
        return ctx


def display_value(value: DataValue) -> str:
    """A stored value as a Vietnamese reader writes it ("1.234,5")."""
    if value.data_element.is_numeric and value.numeric_value is not None:
        decimals = len(value.value.partition(".")[2])
        return format_number(value.value, decimals)
    return value.value


class DataValueHistoryView(ScopedViewMixin, TemplateView):
    """One value's trail: every change, who made it, when, and the value before and after."""

    model = DataValue
    action = "view"
    template_name = "aggregate/datavalue_history.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        value = get_object_or_404(
            self.get_queryset().select_related(
                "data_element",
                "org_unit",
                "category_option_combo",
                "attribute_option_combo",
            ),
            pk=self.kwargs["pk"],
        )
        audits = DataValueAudit.objects.restrict(self.request.user, "view").filter(
            data_element_id=value.data_element_id,
            period=value.period,
            org_unit_id=value.org_unit_id,
            category_option_combo_id=value.category_option_combo_id,
            attribute_option_combo_id=value.attribute_option_combo_id,
        )
        try:
            period_name = parse_period(value.period).name
        except ValueError:
            period_name = value.period
        ctx.update(
            object=value,
            display_value=display_value(value),
            period_name=period_name,
            audits=audits.order_by("-created", "-id"),
            active_nav="datavalue_import",
        )
        return ctx


urlpatterns = [
    path("import/", DataValueImportView.as_view(), name="datavalue_import"),
    path("export/", DataValueExportView.as_view(), name="datavalue_export"),
    path(
        "values/<int:pk>/history/",
        DataValueHistoryView.as_view(),
        name="datavalue_history",
    ),
]
