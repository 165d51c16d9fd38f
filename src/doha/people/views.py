"""Pages of the staff register and the CME ledger.

Thin views: scope comes from ``restrict(user, action)`` (core.views), rules from services.
Lists and exports mask personal identifiers; every opening of a full record is logged.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from doha.core import privacy
from doha.core.views import ObjectFormView, ObjectListView, ScopedViewMixin, _add_errors
from doha.people import services
from doha.people.filters import ShortfallFilterSet, WorkerFilterSet
from doha.people.forms import CmeEntryForm, ReverseForm, WorkerForm, WorkerImportForm
from doha.people.importexport import import_workers, shortfall_export, worker_export
from doha.people.models import CmeEntry, HealthWorker


class PeopleMixin:
    active_nav = "people"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = self.active_nav
        return ctx


def _export_or_none(view, request, filterset_class, queryset, exporter):
    fmt = request.GET.get("export")
    if fmt not in {"xlsx", "csv"}:
        return None
    if not view.user_can("export"):
        raise PermissionDenied(_("Your role does not allow this action."))
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    qs = filterset.qs if filterset.is_valid() else filterset.queryset
    privacy.log_export(qs, request.user, fmt)
    return exporter(qs, fmt)


# The register -----------------------------------------------------------------------------


class WorkerListView(PeopleMixin, ObjectListView):
    model = HealthWorker
    filterset_class = WorkerFilterSet
    template_name = "people/worker_list.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("facility", "specialty")

    def get(self, request, *args, **kwargs):
        export = _export_or_none(
            self, request, WorkerFilterSet, self.get_queryset("export"), worker_export
        )
        if export is not None:
            return export
        return super().get(request, *args, **kwargs)


class WorkerDetailView(PeopleMixin, ScopedViewMixin, TemplateView):
    model = HealthWorker
    template_name = "people/worker_detail.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("facility", "specialty")

    def get(self, request, *args, **kwargs):
        worker = self.get_object()
        services.log_access(worker, request.user, via="page")
        return self.render_to_response(self.get_context_data(object=worker))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        worker = ctx["object"]
        changeable = (
            self.user_can("change") and self.get_queryset("change").filter(pk=worker.pk).exists()
        )
        user = self.request.user
        is_admin = user.is_system_admin
        ctx.update(
            can_change=changeable,
            can_retire=changeable
            and self.user_can("retire")
            and self.get_queryset("retire").filter(pk=worker.pk).exists(),
            cme_hours=services.cme_hours(worker),
            cme_required=settings.DOHA_CME_REQUIRED_HOURS,
            accesses=services.access_log(worker)[:100] if is_admin else None,
            full_identifiers=privacy.needs_full(user, HealthWorker),
            can_subject_export=privacy.is_privacy_officer(user),
        )
        return ctx


class _WorkerInstance:
    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        return ctx


class WorkerCreateView(PeopleMixin, ObjectFormView):
    model = HealthWorker
    action = "add"
    form_class = WorkerForm
    template_name = "people/worker_form.html"

    def perform(self, form):
        return services.create_worker(form.save(commit=False))


class WorkerEditView(PeopleMixin, _WorkerInstance, ObjectFormView):
    model = HealthWorker
    action = "change"
    form_class = WorkerForm
    template_name = "people/worker_form.html"

    def perform(self, form):
        return services.update_worker(form.save(commit=False))


class WorkerRetireView(PeopleMixin, ScopedViewMixin, TemplateView):
    """Retire (no longer working here) or, with ``reactivate``, take back on the register."""

    model = HealthWorker
    action = "retire"

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        worker = self.get_object()
        if request.POST.get("reactivate"):
            services.reactivate_worker(worker)
            messages.success(request, _("Working again: %(name)s") % {"name": worker})
        else:
            services.retire_worker(worker)
            messages.success(request, _("No longer working: %(name)s") % {"name": worker})
        return redirect(worker.get_absolute_url())


class WorkerImportView(PeopleMixin, ScopedViewMixin, TemplateView):
    """Add and update health workers from a .xlsx or .csv file, all or nothing."""

    model = HealthWorker
    action = "import"
    template_name = "people/worker_import.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=WorkerImportForm()))

    def post(self, request, *args, **kwargs):
        form = WorkerImportForm(request.POST, request.FILES)
        report = None
        status = 400
        if form.is_valid():
            report = import_workers(
                form.cleaned_data["file"], request.user, dry_run=form.cleaned_data["dry_run"]
            )
            status = 200 if report.ok else 400
        return self.render_to_response(
            self.get_context_data(form=form, report=report), status=status
        )


# The CME ledger ---------------------------------------------------------------------------


class CmeLedgerView(PeopleMixin, ScopedViewMixin, TemplateView):
    """A worker's ledger: entries, the total of the rolling period, add and correct."""

    model = CmeEntry
    template_name = "people/cme_ledger.html"

    def get_worker(self, action="view"):
        return get_object_or_404(
            HealthWorker.objects.restrict(self.request.user, action).select_related("facility"),
            uid=self.kwargs["uid"],
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        worker = kwargs.get("worker") or self.get_worker()
        start, end = services.cme_window()
        entries = list(
            self.get_queryset()
            .filter(worker=worker)
            .select_related("reverses")
            .order_by("date", "created")
        )
        corrected = {e.reverses_id for e in entries if e.reverses_id}
        for e in entries:
            e.in_window = start <= e.date <= end
            e.is_corrected = e.pk in corrected
        hours = services.cme_hours(worker)
        required = settings.DOHA_CME_REQUIRED_HOURS
        # The ledger follows the worker: a worker in scope means their entries are too.
        can_add = self.user_can("add")
        ctx.update(
            worker=worker,
            entries=entries,
            window_start=start,
            window_end=end,
            cme_hours=hours,
            cme_required=required,
            cme_missing=max(required - hours, 0),
            can_add=can_add and worker.active,
            can_correct=self.user_can("change"),
            form=kwargs.get("form") or (CmeEntryForm(initial={"date": timezone.localdate()})),
            reverse_form=ReverseForm(),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        if not self.user_can("add"):
            raise PermissionDenied(_("Your role does not allow this action."))
        worker = self.get_worker()
        form = CmeEntryForm(request.POST)
        if form.is_valid():
            try:
                entry = services.add_cme_entry(worker, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Entry added: %(entry)s") % {"entry": entry})
                return redirect("people:worker_cme", uid=worker.uid)
        return self.render_to_response(self.get_context_data(worker=worker, form=form), status=400)


class CmeReverseView(PeopleMixin, ScopedViewMixin, TemplateView):
    """Correct an entry with a reversing one (entries are never edited nor deleted)."""

    model = CmeEntry
    action = "change"

    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}

    def get(self, request, *args, **kwargs):
        entry = self.get_object()
        return redirect("people:worker_cme", uid=entry.worker.uid)

    def post(self, request, *args, **kwargs):
        entry = self.get_object()
        form = ReverseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the entry is corrected."))
        else:
            try:
                services.reverse_cme_entry(entry, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Entry corrected: %(entry)s") % {"entry": entry})
        return redirect("people:worker_cme", uid=entry.worker.uid)


class CmeShortfallView(PeopleMixin, ScopedViewMixin, TemplateView):
    """Active workers with fewer credit hours than required in the rolling period."""

    model = HealthWorker
    template_name = "people/cme_shortfall.html"

    def filtered(self, action):
        filterset = ShortfallFilterSet(
            self.request.GET or None,
            queryset=self.get_queryset(action),
            request=self.request,
        )
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        return filterset, services.cme_shortfall(qs)

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") in {"xlsx", "csv"}:
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            rows = self.filtered("export")[1]
            privacy.log_export(
                HealthWorker.objects.filter(pk__in=[w.pk for w in rows]),
                request.user,
                request.GET["export"],
            )
            return shortfall_export(rows, request.GET["export"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset, rows = self.filtered("view")
        start, end = services.cme_window()
        query = self.request.GET.copy()
        query.pop("export", None)
        ctx.update(
            filterset=filterset,
            object_list=rows,
            total=len(rows),
            window_start=start,
            window_end=end,
            cme_required=settings.DOHA_CME_REQUIRED_HOURS,
            can_export=self.user_can("export"),
            querystring=query.urlencode(),
        )
        return ctx
