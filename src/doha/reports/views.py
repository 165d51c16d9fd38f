from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from doha.core.scope import in_scope
from doha.core.text import fold
from doha.core.views import ObjectListView, ScopedViewMixin, _add_errors
from doha.orgunits.models import OrgUnit
from doha.reports import services
from doha.reports.filters import ReportFilterSet
from doha.reports.forms import (
    LetterheadForm,
    LineDirectionReportForm,
    ProgrammeReportForm,
    ReportForm,
    ReportTextForm,
)
from doha.reports.models import Letterhead, Report, ReportKind, ReportVersion
from doha.reports.pdf import soffice_path

FILE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
BINARY_FIELDS = ("docx", "xlsx", "pdf")


class ReportListView(ObjectListView):
    model = Report
    filterset_class = ReportFilterSet
    template_name = "reports/report_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("org_unit", "programme")
            .order_by("-date", "-pk")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        reports = list(ctx["object_list"])
        latest = {}
        for version in (
            ReportVersion.objects.filter(report__in=reports)
            .defer(*BINARY_FIELDS)
            .order_by("report_id", "-number")
        ):
            latest.setdefault(version.report_id, version)
        for report in reports:
            report.latest = latest.get(report.pk)
        ctx.update(
            object_list=reports,
            active_nav="reports",
            can_letterhead=self.user_can("change"),
        )
        return ctx


class ReportCreateView(ScopedViewMixin, TemplateView):
    """A new report; saving it queues its first version."""

    model = Report
    action = "add"
    form_class = ReportForm
    template_name = "reports/report_form.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(form=self.form_class(user=request.user))
        )

    def post(self, request, *args, **kwargs):
        form = self.form_class(request.POST, user=request.user)
        if form.is_valid():
            try:
                with transaction.atomic():
                    report = services.save_report(form.save(commit=False), user=request.user)
                    services.generate(report, request.user)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The report is being written."))
                return redirect(report.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        title = {
            ReportKind.PROGRAMME: _("New programme report"),
            ReportKind.LINE_DIRECTION: _("New line-direction report"),
        }.get(self.form_class.kind, _("New semi-annual or annual review"))
        return {
            **super().get_context_data(**kwargs),
            "title": title,
            "line_direction": self.form_class.kind == ReportKind.LINE_DIRECTION,
            "active_nav": "reports",
        }


class ProgrammeReportCreateView(ReportCreateView):
    form_class = ProgrammeReportForm


class LineDirectionReportCreateView(ReportCreateView):
    form_class = LineDirectionReportForm


def _versions(report):
    return list(report.versions.defer(*BINARY_FIELDS).select_related("created_by"))


def _version_context(report, user):
    versions = _versions(report)
    for version in versions:
        version.stale = services.is_stale(version)
    pending = any(v.is_pending and not v.stale for v in versions)
    return {"object": report, "versions": versions, "pending": pending}


class ReportDetailView(ScopedViewMixin, TemplateView):
    model = Report
    template_name = "reports/report_detail.html"

    def get(self, request, *args, **kwargs):
        report = self.get_object()
        if request.htmx and request.GET.get("partial") == "versions":
            self.template_name = "reports/_versions.html"
            return self.render_to_response(_version_context(report, request.user))
        return self.render_to_response(self.get_context_data(report=report))

    def get_context_data(self, report=None, **kwargs):
        ctx = super().get_context_data(**kwargs)
        can_change = self.user_can("change") and (
            self.get_queryset("change").filter(pk=report.pk).exists()
        )
        ctx.update(
            _version_context(report, self.request.user),
            can_change=can_change,
            soffice=bool(soffice_path()),
            active_nav="reports",
        )
        return ctx


class ReportEditView(ScopedViewMixin, TemplateView):
    """The officer's text, number and date; "save and regenerate" writes a new version."""

    model = Report
    action = "change"
    template_name = "reports/report_edit.html"

    def get(self, request, *args, **kwargs):
        report = self.get_object()
        form = ReportTextForm(instance=report, user=request.user)
        return self.render_to_response(self.get_context_data(form=form, object=report))

    def post(self, request, *args, **kwargs):
        report = self.get_object()
        form = ReportTextForm(request.POST, instance=report, user=request.user)
        if form.is_valid():
            try:
                with transaction.atomic():
                    report = services.save_report(form.save(commit=False), user=request.user)
                    if "regenerate" in request.POST:
                        services.generate(report, request.user)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": report})
                return redirect(report.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, object=report), status=400)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "active_nav": "reports"}


class ReportRegenerateView(ScopedViewMixin, TemplateView):
    model = Report
    action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        report = self.get_object()
        with transaction.atomic():
            version = services.generate(report, request.user)
        messages.success(
            request, _("Version %(number)s is being written.") % {"number": version.number}
        )
        return redirect(report.get_absolute_url())


class VersionDownloadView(ScopedViewMixin, TemplateView):
    """One file of one version, for users who may see the report."""

    model = Report
    action = "export"

    def get(self, request, uid, number, fmt):
        if fmt not in FILE_TYPES:
            raise Http404
        report = self.get_object()
        version = get_object_or_404(
            ReportVersion.objects.only("pk", "number", "status", fmt),
            report=report,
            number=number,
        )
        data = getattr(version, fmt)
        if not data:
            raise Http404(_("This version has no such file."))
        name = slugify(fold(f"{report.org_unit.short_name or report.org_unit.name}"))
        filename = f"bao-cao-{name}-{report.start_date:%Y%m}-v{version.number}.{fmt}"
        response = HttpResponse(bytes(data), content_type=FILE_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class LetterheadEditView(ScopedViewMixin, TemplateView):
    """A unit's letterhead: by default the signed-in user's own unit. Those who may only
    read reports see it; officers change it."""

    model = Letterhead
    action = "view"
    template_name = "reports/letterhead_form.html"

    def get_unit(self):
        uid = self.kwargs.get("uid")
        if uid:
            unit = get_object_or_404(OrgUnit, uid=uid)
        else:
            unit = getattr(self.request.user, "org_unit", None)
            if unit is None:
                return None
        if not in_scope(self.request.user, unit.path):
            raise Http404
        return unit

    def get_instance(self, unit):
        existing = Letterhead.objects.filter(org_unit=unit).first()
        if existing is not None:
            return existing
        from doha.reports.document import letterhead_for

        defaults = letterhead_for(unit)
        return Letterhead(
            org_unit=unit,
            parent_body=defaults.parent_body,
            issuing_body=defaults.issuing_body,
            symbol_suffix=defaults.symbol_suffix or "BC",
            place_name=defaults.place_name,
            signer_authority=defaults.signer_authority,
            signer_title=defaults.signer_title,
            signer_name=defaults.signer_name,
            recipients="\n".join(defaults.recipient_list()),
        )

    def get(self, request, *args, **kwargs):
        unit = self.get_unit()
        if unit is None:
            # An account without a unit (a system administrator) picks a DOH.
            units = OrgUnit.objects.restrict(request.user, "view").filter(
                facility_type="doh", active=True
            )
            return self.render_to_response(
                self.get_context_data(units=units.order_by("sort_name"), form=None)
            )
        form = LetterheadForm(instance=self.get_instance(unit), user=request.user)
        return self.render_to_response(self.get_context_data(form=form, unit=unit))

    def post(self, request, *args, **kwargs):
        unit = self.get_unit()
        if unit is None:
            raise Http404
        if not self.user_can("change"):
            raise PermissionDenied(_("Your role does not allow this action."))
        form = LetterheadForm(
            request.POST, request.FILES, instance=self.get_instance(unit), user=request.user
        )
        if form.is_valid():
            with transaction.atomic():
                letterhead = form.save()
            messages.success(request, _("Saved: %(name)s") % {"name": letterhead})
            return redirect(request.path)
        return self.render_to_response(self.get_context_data(form=form, unit=unit), status=400)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "can_change": self.user_can("change"),
            "active_nav": "letterhead",
        }
