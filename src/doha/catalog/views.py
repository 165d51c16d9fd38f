"""Pages of the technique catalogue and the facility capability register.

Thin views: scope comes from ``restrict(user, action)`` (core.views), rules from services.
"""

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from doha.catalog import services
from doha.catalog.filters import CapabilityFilterSet, SpecialtyFilterSet, TechniqueFilterSet
from doha.catalog.forms import (
    CapabilityEditForm,
    CapabilityForm,
    RetireForm,
    TechniqueForm,
    TechniqueImportForm,
    VolumeForm,
    technique_options,
)
from doha.catalog.importexport import capability_export, import_techniques, technique_export
from doha.catalog.models import CapabilityVolume, FacilityCapability, Specialty, Technique
from doha.core.views import ObjectFormView, ObjectListView, ScopedViewMixin, _add_errors
from doha.orgunits.models import OrgUnit

YEAR_COLUMNS = 5


class CatalogMixin:
    active_nav = "catalog"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = self.active_nav
        return ctx


class PkLookupMixin:
    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}


def _volumes_prefetch():
    return Prefetch("volumes", queryset=CapabilityVolume.objects.order_by("year"))


def _with_year_columns(capabilities, limit=YEAR_COLUMNS):
    """Attach ``cases_by_year`` (aligned with the returned years) to each capability;
    the years are the latest ones recorded among them."""
    capabilities = list(capabilities)
    years = sorted({v.year for c in capabilities for v in c.volumes.all()})[-limit:]
    for c in capabilities:
        cases = {v.year: v.cases for v in c.volumes.all()}
        c.cases_by_year = [cases.get(year) for year in years]
    return capabilities, years


def _changes(obj):
    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_pk=str(obj.pk)
        )
        .select_related("actor")
        .order_by("-timestamp")[:100]
    )


def _export_or_none(view, request, filterset_class, exporter):
    fmt = request.GET.get("export")
    if fmt not in {"xlsx", "csv"}:
        return None
    if not view.user_can("export"):
        raise PermissionDenied(_("Your role does not allow this action."))
    filterset = filterset_class(request.GET, queryset=view.get_queryset("export"), request=request)
    qs = filterset.qs if filterset.is_valid() else filterset.queryset
    return exporter(qs, fmt)


# Techniques and specialties -------------------------------------------------------------


class TechniqueListView(CatalogMixin, ObjectListView):
    model = Technique
    filterset_class = TechniqueFilterSet
    template_name = "catalog/technique_list.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("specialty")

    def get(self, request, *args, **kwargs):
        export = _export_or_none(self, request, TechniqueFilterSet, technique_export)
        if export is not None:
            return export
        if request.htmx and request.GET.get("partial") == "rows":
            self.template_name = "catalog/_technique_rows.html"
        return super().get(request, *args, **kwargs)


class TechniqueDetailView(CatalogMixin, PkLookupMixin, ScopedViewMixin, TemplateView):
    model = Technique
    template_name = "catalog/technique_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        technique = self.get_object()
        user = self.request.user
        capabilities = (
            FacilityCapability.objects.restrict(user, "view")
            .filter(technique=technique)
            .select_related("facility", "technique")
            .prefetch_related(_volumes_prefetch())
            .order_by("-active", "facility__sort_name")
        )
        capabilities, years = _with_year_columns(capabilities)
        ctx.update(
            object=technique,
            capabilities=capabilities,
            years=years,
            can_change=self.user_can("change"),
            can_add_capability=services.facilities_for(user, "add").exists(),
            changes=_changes(technique) if user.is_system_admin else [],
        )
        return ctx


class TechniqueCreateView(CatalogMixin, ObjectFormView):
    model = Technique
    action = "add"
    form_class = TechniqueForm
    template_name = "catalog/technique_form.html"

    def perform(self, form):
        return services.save_technique(form.save(commit=False))


class TechniqueEditView(CatalogMixin, PkLookupMixin, ObjectFormView):
    model = Technique
    action = "change"
    form_class = TechniqueForm
    template_name = "catalog/technique_form.html"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        return ctx

    def perform(self, form):
        return services.save_technique(form.save(commit=False))


class TechniqueImportView(CatalogMixin, ScopedViewMixin, TemplateView):
    model = Technique
    action = "import"
    template_name = "catalog/technique_import.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=TechniqueImportForm()))

    def post(self, request, *args, **kwargs):
        form = TechniqueImportForm(request.POST, request.FILES)
        report = None
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            report = import_techniques(
                data["file"],
                dry_run=data["dry_run"],
                source=data["source"],
                official=data["official"],
                default_specialty=data["specialty"],
            )
            status = 200 if report.ok else 400
        return self.render_to_response(
            self.get_context_data(form=form, report=report), status=status
        )


class TechniqueOptionsView(ScopedViewMixin, TemplateView):
    """The technique picker's options for a search (htmx)."""

    model = Technique
    template_name = "catalog/_technique_options.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["options"] = technique_options(self.request.GET.get("technique_q", ""))
        return ctx


class SpecialtyListView(CatalogMixin, ObjectListView):
    model = Specialty
    filterset_class = SpecialtyFilterSet
    template_name = "catalog/specialty_list.html"
    paginate_by = 100

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .annotate(
                technique_count=Count("techniques", filter=Q(techniques__active=True)),
                official_count=Count(
                    "techniques",
                    filter=Q(techniques__active=True, techniques__is_official=True),
                ),
            )
            .order_by("order", "code")
        )


# Capability register --------------------------------------------------------------------


class CapabilityListView(CatalogMixin, ObjectListView):
    model = FacilityCapability
    filterset_class = CapabilityFilterSet
    template_name = "catalog/capability_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("facility", "technique__specialty")
            .prefetch_related(_volumes_prefetch())
        )

    def get(self, request, *args, **kwargs):
        export = _export_or_none(self, request, CapabilityFilterSet, capability_export)
        if export is not None:
            return export
        if request.htmx and request.GET.get("partial") == "rows":
            self.template_name = "catalog/_capability_rows.html"
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object_list"], ctx["years"] = _with_year_columns(ctx["object_list"], 3)
        return ctx


class FacilityCapabilityView(CatalogMixin, ScopedViewMixin, TemplateView):
    """One facility's register: what it performs, since when, how acquired, yearly cases."""

    model = FacilityCapability
    template_name = "catalog/facility_capabilities.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        facility = get_object_or_404(OrgUnit.objects.restrict(user, "view"), uid=self.kwargs["uid"])
        capabilities = (
            self.get_queryset()
            .filter(facility=facility)
            .select_related("technique__specialty", "facility")
            .prefetch_related(_volumes_prefetch())
            .order_by("technique__specialty__order", "technique__code")
        )
        capabilities, years = _with_year_columns(capabilities)
        ctx.update(
            facility=facility,
            current=[c for c in capabilities if c.active],
            stopped=[c for c in capabilities if not c.active],
            years=years,
            can_add=services.facilities_for(user, "add").filter(pk=facility.pk).exists(),
            can_export=self.user_can("export"),
        )
        return ctx


class CapabilityDetailView(CatalogMixin, PkLookupMixin, ScopedViewMixin, TemplateView):
    model = FacilityCapability
    template_name = "catalog/capability_detail.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("facility", "technique__specialty")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        capability = kwargs.get("object") or self.get_object()
        changeable = (
            self.user_can("change")
            and self.get_queryset("change").filter(pk=capability.pk).exists()
        )
        ctx.update(
            object=capability,
            volumes=capability.volumes.order_by("-year"),
            can_change=changeable,
            can_retire=changeable and self.user_can("retire"),
            volume_form=kwargs.get("volume_form") or (VolumeForm() if changeable else None),
            changes=_changes(capability),
        )
        return ctx


class CapabilityCreateView(CatalogMixin, ObjectFormView):
    model = FacilityCapability
    action = "add"
    form_class = CapabilityForm
    template_name = "catalog/capability_form.html"

    def get_form(self, data=None):
        initial = {"since": None}
        facility_uid = self.request.GET.get("facility")
        if facility_uid:
            facility = OrgUnit.objects.filter(uid=facility_uid).first()
            if facility is not None:
                initial["facility"] = facility.pk
        technique = self.request.GET.get("technique")
        if technique and technique.isdigit():
            initial["technique"] = int(technique)
        return CapabilityForm(
            data,
            initial=initial,
            user=self.request.user,
            technique_query=self.request.GET.get("technique_q", ""),
        )

    def perform(self, form):
        data = form.cleaned_data
        return services.add_capability(
            data["facility"], data["technique"], data["since"], data["acquisition"], data["note"]
        )

    def success_message(self, obj):
        return _("Added to the register: %(name)s") % {"name": obj}


class CapabilityEditView(CatalogMixin, PkLookupMixin, ObjectFormView):
    model = FacilityCapability
    action = "change"
    form_class = CapabilityEditForm
    template_name = "catalog/capability_form.html"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        return ctx

    def perform(self, form):
        return services.update_capability(form.save(commit=False))


class CapabilityRetireView(CatalogMixin, PkLookupMixin, ScopedViewMixin, TemplateView):
    model = FacilityCapability
    action = "retire"
    template_name = "catalog/capability_retire.html"

    def get(self, request, *args, **kwargs):
        capability = self.get_object()
        return self.render_to_response(self.get_context_data(object=capability, form=RetireForm()))

    def post(self, request, *args, **kwargs):
        capability = self.get_object()
        form = RetireForm(request.POST)
        if form.is_valid():
            try:
                services.retire_capability(capability, form.cleaned_data["date"])
            except ValidationError as exc:
                _add_errors(form, exc, fields={"until": "date"})
            else:
                messages.success(request, _("No longer performed: %(name)s") % {"name": capability})
                return redirect(capability.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(object=capability, form=form), status=400
        )


class CapabilityReactivateView(CatalogMixin, PkLookupMixin, ScopedViewMixin, TemplateView):
    model = FacilityCapability
    action = "change"
    http_method_names = ["post"]  # a form on the detail page posts here

    def post(self, request, *args, **kwargs):
        capability = self.get_object()
        try:
            services.reactivate_capability(capability)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Performed again: %(name)s") % {"name": capability})
        return redirect(capability.get_absolute_url())


class VolumeRecordView(CapabilityDetailView):
    """Record (or correct) the number of cases of one year, from the capability page."""

    action = "change"

    def get(self, request, *args, **kwargs):
        return redirect("catalog:capability_detail", pk=self.kwargs["pk"])

    def post(self, request, *args, **kwargs):
        capability = self.get_object()
        form = VolumeForm(request.POST)
        if form.is_valid():
            try:
                volume, created = services.record_volume(
                    capability, form.cleaned_data["year"], form.cleaned_data["cases"]
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(year)s: %(cases)s cases recorded.")
                    % {"year": volume.year, "cases": volume.cases},
                )
                return redirect(capability.get_absolute_url())
        self.action = "view"
        return self.render_to_response(
            self.get_context_data(object=capability, volume_form=form), status=400
        )
