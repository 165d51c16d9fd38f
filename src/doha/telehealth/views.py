from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.views import (
    ColumnExportMixin,
    ObjectFormView,
    ObjectListView,
    ScopedViewMixin,
    _add_errors,
)
from doha.rotations.tabular_import import ImportView
from doha.telehealth import services
from doha.telehealth.filters import ConsultationFilterSet, SessionFilterSet
from doha.telehealth.forms import AttendanceFormSet, ConsultationForm, SessionForm
from doha.telehealth.imports import ConsultationImport
from doha.telehealth.models import Consultation, TeleEducationSession


def _dt(value):
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


CONSULTATION_COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("Requested at"), 17),
    (gettext_lazy("Requesting facility"), 35),
    (gettext_lazy("Hub facility"), 35),
    (gettext_lazy("Specialty"), 22),
    (gettext_lazy("Urgency"), 12),
    (gettext_lazy("Age"), 6),
    (gettext_lazy("Sex"), 8),
    (gettext_lazy("Patient summary"), 40),
    (gettext_lazy("Answered at"), 17),
    (gettext_lazy("Response time (hours)"), 10),
    (gettext_lazy("Participants"), 30),
    (gettext_lazy("Conclusion"), 40),
    (gettext_lazy("Outcome"), 16),
]


def _consultation_row(c):
    people = [str(p) for p in c.participants.all()]
    if c.participants_text:
        people.append(c.participants_text)
    hours = c.response_hours
    return [
        c.uid,
        _dt(c.requested_at),
        c.requesting.name,
        c.hub.name,
        c.specialty.name,
        c.get_urgency_display(),
        c.patient_age,
        c.get_patient_sex_display(),
        c.patient_summary,
        _dt(c.answered_at),
        round(hours, 1) if hours is not None else "",
        "; ".join(people),
        c.conclusion,
        c.get_outcome_display(),
    ]


class ConsultationListView(ColumnExportMixin, ObjectListView):
    model = Consultation
    filterset_class = ConsultationFilterSet
    template_name = "telehealth/consultation_list.html"
    columns = CONSULTATION_COLUMNS
    export_filename = "hoi-chan-tu-xa"
    sheet_title = gettext_lazy("Remote consultations")

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("requesting", "hub", "specialty")
            .prefetch_related("participants")
            .order_by("-requested_at", "-pk")
        )

    def export_row(self, c):
        return _consultation_row(c)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "active_nav": "telehealth"}


class ConsultationImportView(ImportView):
    """Record remote consultations from a .xlsx or .csv file, all or nothing."""

    model = Consultation
    importer = ConsultationImport
    title = gettext_lazy("Import remote consultations")
    intro = gettext_lazy(
        "One row a consultation. The patient summary must not identify the patient: "
        "a row with a citizen ID or a phone number in it is refused, as on the form."
    )
    list_url = "telehealth:list"
    list_label = gettext_lazy("Remote consultations")
    active_nav = "telehealth"


class ConsultationDetailView(ScopedViewMixin, TemplateView):
    model = Consultation
    template_name = "telehealth/consultation_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = self.get_object()
        ctx.update(
            object=obj,
            participants=obj.participants.all(),
            can_edit=self.user_can("change")
            and self.get_queryset("change").filter(pk=obj.pk).exists(),
            active_nav="telehealth",
        )
        return ctx


class ConsultationCreateView(ObjectFormView):
    model = Consultation
    action = "add"
    form_class = ConsultationForm
    template_name = "telehealth/consultation_form.html"

    def get_form(self, data=None):
        return self.form_class(data, instance=self.get_instance(), user=self.request.user)

    def perform(self, form):
        consultation = form.save(commit=False)
        return services.save_consultation(
            consultation, form.cleaned_data.get("participants"), user=self.request.user
        )

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "active_nav": "telehealth"}


class ConsultationEditView(ConsultationCreateView):
    action = "change"

    def get_instance(self):
        if not hasattr(self, "_object"):
            self._object = self.get_object("change")
        return self._object

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "object": self.get_instance()}


class FiguresView(ScopedViewMixin, TemplateView):
    """Response time and the share treated locally, over the consultations the user sees."""

    model = Consultation
    template_name = "telehealth/figures.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset = ConsultationFilterSet(
            self.request.GET or None, queryset=self.get_queryset(), request=self.request
        )
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        by = (
            self.request.GET.get("by")
            if self.request.GET.get("by")
            in {
                "month",
                "quarter",
                "year",
            }
            else "year"
        )
        group = "spoke" if self.request.GET.get("group") == "spoke" else "hub"
        ctx.update(
            filterset=filterset,
            figures=services.figures(qs, by=by, group=group),
            by=by,
            group=group,
            active_nav="telehealth",
        )
        return ctx


# ---------------------------------------------------------------- tele-education

SESSION_COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("Date"), 12),
    (gettext_lazy("Hub facility"), 35),
    (gettext_lazy("Topic"), 40),
    (gettext_lazy("Specialty"), 22),
    (gettext_lazy("Duration (hours)"), 10),
    (gettext_lazy("Spoke facilities"), 45),
    (gettext_lazy("Attendees"), 10),
]


class SessionListView(ColumnExportMixin, ObjectListView):
    model = TeleEducationSession
    filterset_class = SessionFilterSet
    template_name = "telehealth/session_list.html"
    columns = SESSION_COLUMNS
    export_filename = "dao-tao-tu-xa"
    sheet_title = gettext_lazy("Tele-education sessions")

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("hub", "specialty")
            .prefetch_related("spokes", "attendances")
            .order_by("-date", "-pk")
        )

    def export_row(self, s):
        return [
            s.uid,
            s.date.strftime("%d/%m/%Y"),
            s.hub.name,
            s.topic,
            s.specialty.name if s.specialty_id else "",
            float(s.duration_hours),
            "; ".join(u.name for u in s.spokes.all()),
            sum(a.attendees for a in s.attendances.all()),
        ]

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "active_nav": "telehealth"}


class SessionDetailView(ScopedViewMixin, TemplateView):
    model = TeleEducationSession
    template_name = "telehealth/session_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = self.get_object()
        attendances = obj.attendances.select_related("facility")
        ctx.update(
            object=obj,
            spokes=obj.spokes.order_by("sort_name"),
            attendances=attendances,
            attendees=sum(a.attendees for a in attendances),
            can_edit=self.user_can("change")
            and self.get_queryset("change").filter(pk=obj.pk).exists(),
            active_nav="telehealth",
        )
        return ctx


class SessionCreateView(ScopedViewMixin, TemplateView):
    model = TeleEducationSession
    action = "add"
    template_name = "telehealth/session_form.html"

    def get_instance(self):
        return None

    def _initial_attendance(self):
        obj = self.get_instance()
        if obj is None:
            return []
        return [
            {"facility": a.facility_id, "attendees": a.attendees} for a in obj.attendances.all()
        ]

    def get(self, request, *args, **kwargs):
        form = SessionForm(instance=self.get_instance(), user=request.user)
        formset = AttendanceFormSet(prefix="att", initial=self._initial_attendance())
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def post(self, request, *args, **kwargs):
        form = SessionForm(request.POST, instance=self.get_instance(), user=request.user)
        formset = AttendanceFormSet(request.POST, prefix="att")
        if form.is_valid() and formset.is_valid():
            attendances = [
                (f.cleaned_data["facility"], f.cleaned_data["attendees"])
                for f in formset.forms
                if f.cleaned_data and f.cleaned_data.get("facility")
            ]
            try:
                with transaction.atomic():
                    session = services.save_session(
                        form.save(commit=False),
                        form.cleaned_data.get("spokes"),
                        attendances,
                        user=request.user,
                    )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": session})
                return redirect(session.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset), status=400
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "object": self.get_instance(),
            "active_nav": "telehealth",
        }


class SessionEditView(SessionCreateView):
    action = "change"

    def get_instance(self):
        if not hasattr(self, "_object"):
            self._object = self.get_object("change")
        return self._object
