import datetime

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.tabular import export_response
from doha.core.views import (
    EXPORT_FORMATS,
    ObjectFormView,
    ObjectListView,
    ScopedViewMixin,
    _add_errors,
)
from doha.orgunits.models import OrgUnit
from doha.rotations import services
from doha.rotations.filters import RotationFilterSet
from doha.rotations.forms import CancelForm, OutputsForm, RotationForm
from doha.rotations.imports import RotationImport
from doha.rotations.models import Rotation, RotationStatus
from doha.rotations.tabular_import import ImportView

EXPORT_COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("Kind"), 18),
    (gettext_lazy("Health worker"), 28),
    (gettext_lazy("Sending facility"), 32),
    (gettext_lazy("Receiving facility"), 32),
    (gettext_lazy("Start"), 12),
    (gettext_lazy("End"), 12),
    (gettext_lazy("Programme"), 32),
    (gettext_lazy("Status"), 12),
    (gettext_lazy("Purpose"), 30),
    (gettext_lazy("Techniques to transfer"), 30),
    (gettext_lazy("Patients examined"), 10),
    (gettext_lazy("Surgeries"), 10),
    (gettext_lazy("Techniques transferred"), 10),
    (gettext_lazy("People trained"), 10),
    (gettext_lazy("Note on the outputs"), 30),
]


def _date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def export_rows(queryset):
    for r in queryset:
        yield [
            r.uid,
            r.get_kind_display(),
            r.worker.full_name,
            r.from_facility.name,
            r.to_facility.name,
            _date(r.start),
            _date(r.end),
            str(r.programme) if r.programme_id else "",
            r.get_status_display(),
            r.purpose,
            "; ".join(t.name for t in r.techniques.all()),
            r.patients_examined,
            r.surgeries,
            r.techniques_transferred,
            r.people_trained,
            r.outputs_note,
        ]


class RotationListView(ObjectListView):
    model = Rotation
    filterset_class = RotationFilterSet
    template_name = "rotations/rotation_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("worker", "from_facility", "to_facility", "programme")
            .order_by("-start", "pk")
        )

    export_formats = EXPORT_FORMATS

    def export(self, queryset, fmt):
        return export_response(
            [str(label) for label, _w in EXPORT_COLUMNS],
            export_rows(queryset.prefetch_related("techniques")),
            fmt,
            "luan-phien-biet-phai",
            sheet_title=_("Rotations"),
            widths=[w for _l, w in EXPORT_COLUMNS],
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "rotations"
        return ctx


class RotationImportView(ImportView):
    """Plan rotations and secondments from a .xlsx or .csv file, all or nothing."""

    model = Rotation
    importer = RotationImport
    title = gettext_lazy("Import rotations and secondments")
    intro = gettext_lazy(
        "One row a rotation. The same rules as on the form: the period follows the "
        "programme's policy (3 to 6 months when there is no programme) and a worker cannot "
        "be in two places at once."
    )
    list_url = "rotations:list"
    list_label = gettext_lazy("Rotations and secondments")
    active_nav = "rotations"


class RotationDetailView(ScopedViewMixin, TemplateView):
    model = Rotation
    template_name = "rotations/rotation_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rotation = self.get_object()
        may_change = (
            self.user_can("change")
            and Rotation.objects.restrict(self.request.user, "change")
            .filter(pk=rotation.pk)
            .exists()
        )
        live = rotation.status != RotationStatus.CANCELLED
        ctx.update(
            object=rotation,
            techniques=rotation.techniques.all(),
            can_edit=may_change and live,
            can_cancel=may_change
            and rotation.status in {RotationStatus.PLANNED, RotationStatus.ONGOING},
            can_record=may_change and live and rotation.start <= timezone.localdate(),
            active_nav="rotations",
        )
        return ctx


class RotationCreateView(ObjectFormView):
    model = Rotation
    action = "add"
    form_class = RotationForm
    template_name = "rotations/rotation_form.html"

    def get_form(self, data=None):
        return self.form_class(data, user=self.request.user)

    def perform(self, form):
        return services.create_rotation(
            form.save(commit=False),
            techniques=form.cleaned_data.get("techniques"),
            user=self.request.user,
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "rotations"
        return ctx

    def success_message(self, obj):
        return _("Rotation recorded: %(name)s") % {"name": obj}


class RotationEditView(ObjectFormView):
    model = Rotation
    action = "change"
    form_class = RotationForm
    template_name = "rotations/rotation_form.html"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
        return self._instance

    def perform(self, form):
        return services.update_rotation(
            form.save(commit=False),
            techniques=form.cleaned_data.get("techniques"),
            user=self.request.user,
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        ctx["active_nav"] = "rotations"
        return ctx


class RotationActionView(ScopedViewMixin, TemplateView):
    """A form acting on one rotation (cancel, record outputs)."""

    model = Rotation
    action = "change"
    template_name = "rotations/rotation_action.html"
    title = ""

    def make_form(self, rotation, data=None):
        raise ImproperlyConfigured(f"{type(self).__name__} must define make_form()")

    def get(self, request, *args, **kwargs):
        rotation = self.get_object()
        return self.render_to_response(
            self.get_context_data(object=rotation, form=self.make_form(rotation))
        )

    def post(self, request, *args, **kwargs):
        rotation = self.get_object()
        form = self.make_form(rotation, request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    message = self.perform(rotation, form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect(rotation.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(object=rotation, form=form), status=400
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        ctx["active_nav"] = "rotations"
        return ctx


class CancelView(RotationActionView):
    title = gettext_lazy("Cancel the rotation")

    def make_form(self, rotation, data=None):
        return CancelForm(data)

    def perform(self, rotation, data):
        services.cancel_rotation(rotation, reason=data["cancel_reason"], user=self.request.user)
        return _("The rotation is cancelled.")


class OutputsView(RotationActionView):
    title = gettext_lazy("Record the outputs")

    def make_form(self, rotation, data=None):
        # A copy: the form must not change the rotation before the service accepts it.
        return OutputsForm(data, instance=Rotation.objects.get(pk=rotation.pk))

    def perform(self, rotation, data):
        services.record_outputs(rotation, user=self.request.user, **data)
        return _("The outputs are recorded.")


class TimelineView(ScopedViewMixin, TemplateView):
    """Who is where each month of a year, per receiving facility."""

    model = Rotation
    template_name = "rotations/timeline.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        try:
            year = int(self.request.GET.get("year") or timezone.localdate().year)
        except ValueError:
            year = timezone.localdate().year
        year = min(max(year, 1990), 2100)
        qs = self.get_queryset()
        receivers = OrgUnit.objects.filter(pk__in=qs.values("to_facility")).order_by("sort_name")
        facility = None
        uid = self.request.GET.get("facility")
        if uid:
            facility = receivers.filter(uid=uid).first()
            if facility is not None:
                qs = qs.filter(to_facility=facility)
        ctx.update(
            year=year,
            previous_year=year - 1,
            next_year=year + 1,
            months=[datetime.date(year, m, 1) for m in range(1, 13)],
            groups=services.timeline(qs, year),
            receivers=receivers,
            facility=facility,
            active_nav="rotations",
        )
        return ctx
