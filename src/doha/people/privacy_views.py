"""Pages of personal-data protection (Decree 13/2023/NĐ-CP): the inventory of personal
fields, the log of who opened or exported which person's record, and a person's data on
request. For system administrators and Department of Health officers, in their scope."""

import io
import json

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from doha.core import privacy


class PrivacyOfficerMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not privacy.is_privacy_officer(request.user):
            raise PermissionDenied(_("Your role does not allow this action."))
        return super().dispatch(request, *args, **kwargs)


class InventoryView(PrivacyOfficerMixin, TemplateView):
    """The personal fields the system keeps, why, on which basis and for how long."""

    template_name = "people/privacy_inventory.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        declarations = []
        for d in privacy.REGISTRY:
            model = d.get_model()
            declarations.append(
                {
                    "model": d.model,
                    "name": str(model._meta.verbose_name_plural),
                    "subject": str(d.subject),
                    "purpose": str(d.purpose),
                    "legal_basis": str(d.legal_basis),
                    "retention": str(d.retention),
                    "fields": list(d.field_rows()),
                }
            )
        ctx.update(
            declarations=declarations,
            retention={name: privacy.retention_years(name) for name in privacy.RETENTION_DEFAULTS},
        )
        return ctx


class AccessLogFilter(forms.Form):
    person = forms.CharField(
        label=gettext_lazy("Person UID"), required=False, max_length=11, strip=True
    )
    user = forms.CharField(label=gettext_lazy("User"), required=False, max_length=150)
    kind = forms.ChoiceField(
        label=gettext_lazy("Through"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("page", gettext_lazy("page")),
            ("api", gettext_lazy("API")),
            ("card", gettext_lazy("card")),
            ("export", gettext_lazy("export")),
            ("subject_export", gettext_lazy("data subject request")),
        ],
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AccessLogView(PrivacyOfficerMixin, TemplateView):
    """Who opened or exported which person's record, for the persons in the user's scope."""

    template_name = "people/privacy_access_log.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = AccessLogFilter(self.request.GET or None)
        qs = privacy.access_entries(self.request.user)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            if data["person"]:
                qs = qs.filter(privacy.person_condition(data["person"]))
            if data["user"]:
                qs = qs.filter(actor__username__iexact=data["user"])
            if data["kind"]:
                qs = qs.filter(additional_data__via=data["kind"])
            if data["since"]:
                qs = qs.filter(timestamp__date__gte=data["since"])
            if data["until"]:
                qs = qs.filter(timestamp__date__lte=data["until"])
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        channels = dict(AccessLogFilter.base_fields["kind"].choices)
        for entry in page.object_list:
            entry.kind = privacy.subject_kind(entry)
            via = (entry.additional_data or {}).get("via", "")
            entry.via_label = channels.get(via, via) if via else ""
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            form=form,
            page_obj=page,
            object_list=page.object_list,
            total=page.paginator.count,
            querystring=query.urlencode(),
        )
        return ctx


class SubjectExportView(PrivacyOfficerMixin, View):
    """Everything stored about one person, as JSON or .xlsx, on the person's request."""

    def get(self, request, kind, uid, fmt):
        models = privacy._subject_models()
        if kind not in models:
            raise Http404
        model = models[kind]
        person = get_object_or_404(model.objects.restrict(request.user, "export"), uid=uid)
        data = privacy.subject_data(person)
        privacy.log_access(person, request.user, via="subject_export")
        filename = f"du-lieu-ca-nhan-{kind}-{person.uid}.{fmt}"
        if fmt == "json":
            response = HttpResponse(
                json.dumps(data, ensure_ascii=False, indent=2),
                content_type="application/json; charset=utf-8",
            )
        else:
            response = HttpResponse(
                _workbook(data),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _workbook(data: dict) -> bytes:
    """One sheet per section of ``data``: a record as name/value rows, a list as a table."""
    from openpyxl import Workbook

    from doha.core.tabular import append_text_row

    wb = Workbook()
    wb.remove(wb.active)
    for section, content in data.items():
        ws = wb.create_sheet(section[:31])
        if isinstance(content, dict):
            for key, value in content.items():
                append_text_row(ws, [key, _cell(value)])
        elif isinstance(content, list):
            keys = []
            for row in content:
                keys += [k for k in row if k not in keys]
            append_text_row(ws, keys)
            for row in content:
                append_text_row(ws, [_cell(row.get(k)) for k in keys])
        else:
            append_text_row(ws, [_cell(content)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


app_name = "privacy"

urlpatterns = [
    path("", InventoryView.as_view(), name="inventory"),
    path("access-log/", AccessLogView.as_view(), name="access-log"),
    path(
        "<str:kind>/<str:uid>/data.json",
        SubjectExportView.as_view(),
        {"fmt": "json"},
        name="subject-json",
    ),
    path(
        "<str:kind>/<str:uid>/data.xlsx",
        SubjectExportView.as_view(),
        {"fmt": "xlsx"},
        name="subject-xlsx",
    ),
]
