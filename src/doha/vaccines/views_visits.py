"""Pages of the vaccination service: a visit (screening, doses with their lot, the
30-minute observation), adverse events (the DOH's list of serious ones), reminders of the
doses due, and the centre's service revenue (receipts, prices, revenue by source and month).

Thin views: scope from ``restrict(user, action)``, rules from ``visits.py``,
``schedule.py`` and ``revenue.py``; a refused action re-renders its form with the reason
on the field (status 400).
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.scope import can, user_scope_path
from doha.core.views import ObjectListView, ScopedViewMixin, _add_errors
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.vaccines import clients, revenue, schedule, visits
from doha.vaccines.models import (
    Aefi,
    AefiOutcome,
    AefiSeverity,
    Client,
    Dose,
    InjectionSite,
    Lot,
    PaymentMethod,
    Receipt,
    RevenueSource,
    Route,
    ServicePrice,
    Store,
    VaccinationVisit,
    Vaccine,
    VisitStatus,
)
from doha.vaccines.views_clients import VaccinationMixin, export_or_none

DATE = {"type": "date"}
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


def _moment_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MOMENT_FORMAT)


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


# --------------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------------


class StoreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.facility.short_name or obj.facility.name})"


def _staff_of(stores):
    units = set()
    for store in stores:
        units.add(store.org_unit_id)
        if store.supplied_by_id:
            units.add(store.supplied_by.org_unit_id)
    return (
        HealthWorker.objects.filter(active=True, facility_id__in=units)
        .select_related("facility")
        .order_by("sort_name")
    )


ANSWERS = [("no", gettext_lazy("No")), ("yes", gettext_lazy("Yes"))]


class ScreeningForm(forms.Form):
    """The visit's first step; the checklist's questions are added for the client's age."""

    store = StoreChoiceField(label=gettext_lazy("Vaccination point"), queryset=None)
    visited_at = forms.DateTimeField(label=gettext_lazy("Time"), widget=_moment_widget())
    screened_by = WorkerChoiceField(label=gettext_lazy("Screening doctor"), queryset=None)
    # Text: "36,8" and "36.8" both read (the service parses and checks the value).
    temperature_c = forms.CharField(
        label=gettext_lazy("Body temperature (°C)"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    weight_kg = forms.CharField(
        label=gettext_lazy("Weight (kg)"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    BASE = ["store", "visited_at", "screened_by", "temperature_c", "weight_kg"]

    def __init__(self, *args, user=None, checklist=None, **kwargs):
        super().__init__(*args, **kwargs)
        stores = list(visits.vaccination_stores(user))
        self.fields["store"].queryset = visits.vaccination_stores(user)
        self.fields["screened_by"].queryset = _staff_of(stores)
        if user is not None and len(stores) >= 1:
            own = [s for s in stores if s.org_unit_id == user.org_unit_id]
            self.fields["store"].initial = (own or stores)[0].pk
        self.fields["visited_at"].initial = _now_local()
        self.checklist = checklist
        for question in checklist.questions:
            self.fields[f"q_{question.code}"] = forms.ChoiceField(
                label=question.text,
                choices=ANSWERS,
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer this question.")},
            )
        self.fields["screening_note"] = forms.CharField(
            label=gettext_lazy("Screening note"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=gettext_lazy("Required when another reason is ticked."),
        )

    def base_fields_bound(self):
        return [self[name] for name in self.BASE]

    def question_rows(self):
        return [(q, self[f"q_{q.code}"]) for q in self.checklist.questions]

    def answers(self) -> dict:
        data = self.cleaned_data
        return {
            q.code: data.get(f"q_{q.code}") == "yes"
            for q in self.checklist.questions
            if data.get(f"q_{q.code}") in ("yes", "no")
        }


def lot_label(lot, available=None, problem=None) -> str:
    parts = [
        lot.vaccine.name,
        _("lot %(lot)s") % {"lot": lot.lot_number},
        _("exp. %(date)s") % {"date": lot.expiry_date.strftime("%d/%m/%Y")},
    ]
    if available is not None:
        parts.append(_("%(n)s doses") % {"n": available})
    label = " · ".join(parts)
    if problem:
        label += " — " + (_("expired") if lot.expiry_date < timezone.localdate() else _("on hold"))
    return label


class DoseForm(forms.Form):
    vaccine = forms.ModelChoiceField(
        label=gettext_lazy("Vaccine"), queryset=Vaccine.objects.filter(active=True)
    )
    lot = forms.ModelChoiceField(
        label=gettext_lazy("Lot"),
        queryset=Lot.objects.none(),
        help_text=gettext_lazy("First expiry first out: the suggested lot is chosen."),
    )
    site = forms.ChoiceField(
        label=gettext_lazy("Site"), choices=[("", "---------"), *InjectionSite.choices]
    )
    route = forms.ChoiceField(
        label=gettext_lazy("Route"),
        required=False,
        choices=[("", gettext_lazy("The vaccine's route")), *Route.choices],
    )
    vaccinator = WorkerChoiceField(label=gettext_lazy("Vaccinator"), queryset=None)
    given_at = forms.DateTimeField(label=gettext_lazy("Given at"), widget=_moment_widget())
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment method"), choices=PaymentMethod.choices
    )

    def __init__(self, *args, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        store = visit.store
        on = timezone.localdate()
        options = visits.lot_options(store, None, on)
        self.lot_options = options
        ids = [o.lot.pk for o in options]
        self.fields["lot"].queryset = Lot.objects.filter(pk__in=ids).select_related("vaccine")
        labels = {o.lot.pk: lot_label(o.lot, o.available, o.problem) for o in options}
        self.fields["lot"].choices = [("", "---------")] + [(pk, labels[pk]) for pk in ids]
        in_stock = {o.lot.vaccine_id for o in options}
        self.fields["vaccine"].queryset = Vaccine.objects.filter(active=True).filter(
            Q(pk__in=in_stock)
        )
        suggested = [o for o in options if o.suggested]
        if len(in_stock) == 1 and suggested:
            self.fields["vaccine"].initial = suggested[0].lot.vaccine_id
            self.fields["lot"].initial = suggested[0].lot.pk
        # Choosing a vaccine reloads its lots (htmx), the suggested one selected.
        self.fields["vaccine"].widget.attrs.update(
            {
                "hx-get": reverse("vaccines:visit-lots", args=[visit.uid]),
                "hx-trigger": "change",
                "hx-target": "#id_lot",
                "hx-swap": "innerHTML",
            }
        )
        self.fields["vaccinator"].queryset = _staff_of([store])
        if visit.vaccinator_id:
            self.fields["vaccinator"].initial = visit.vaccinator_id
        self.fields["given_at"].initial = _now_local()


class ObservationForm(forms.Form):
    ended_at = forms.DateTimeField(
        label=gettext_lazy("Observation ended at"), widget=_moment_widget()
    )
    note = forms.CharField(
        label=gettext_lazy("Observation note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_at"].initial = _now_local()


class AefiForm(forms.Form):
    onset_at = forms.DateTimeField(label=gettext_lazy("Onset"), widget=_moment_widget())
    severity = forms.ChoiceField(
        label=gettext_lazy("Severity"), choices=[("", "---------"), *AefiSeverity.choices]
    )
    symptoms = forms.CharField(label=gettext_lazy("Symptoms"), widget=forms.Textarea({"rows": 3}))
    treatment = forms.CharField(
        label=gettext_lazy("Treatment"), required=False, widget=forms.Textarea({"rows": 2})
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=AefiOutcome.choices, initial=AefiOutcome.UNKNOWN
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["onset_at"].initial = _now_local()


class AefiFollowUpForm(forms.Form):
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=AefiSeverity.choices)
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=AefiOutcome.choices)
    treatment = forms.CharField(
        label=gettext_lazy("Treatment"), required=False, widget=forms.Textarea({"rows": 2})
    )


# --------------------------------------------------------------------------------------------
# Visits
# --------------------------------------------------------------------------------------------


class VisitMixin(VaccinationMixin):
    active_nav = "vaccination-visits"


class VisitListView(VisitMixin, ObjectListView):
    model = VaccinationVisit
    filterset_class = visits.VisitFilterSet
    template_name = "vaccines/visit_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("client", "store", "vaccinator")
            .prefetch_related("doses__vaccine")
        )

    def get(self, request, *args, **kwargs):
        export = export_or_none(
            self, request, visits.VisitFilterSet, self.get_queryset("export"), visits.visit_export
        )
        if export is not None:
            return export
        return super().get(request, *args, **kwargs)


class VisitCreateView(VisitMixin, ScopedViewMixin, TemplateView):
    """Screening: the checklist of the client's age; a stop is recorded with its reasons."""

    model = VaccinationVisit
    action = "add"
    template_name = "vaccines/visit_form.html"

    def get_client(self):
        return get_object_or_404(
            Client.objects.restrict(self.request.user, "view").select_related("registered_at"),
            uid=self.kwargs["uid"],
        )

    def get_form(self, client, data=None):
        checklist = visits.checklist_for(client.date_of_birth, timezone.localdate())
        return ScreeningForm(data, user=self.request.user, checklist=checklist)

    def get(self, request, *args, **kwargs):
        client = self.get_client()
        return self.render_to_response(
            self.get_context_data(client=client, form=self.get_form(client))
        )

    def post(self, request, *args, **kwargs):
        client = self.get_client()
        form = self.get_form(client, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = visits.screen(
                    client,
                    data["store"],
                    answers=form.answers(),
                    temperature_c=data["temperature_c"],
                    weight_kg=data["weight_kg"],
                    screened_by=data["screened_by"],
                    visited_at=data["visited_at"],
                    note=data["screening_note"],
                    user=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc, {"screening_answers": None})
            else:
                if visit.status == VisitStatus.STOPPED:
                    messages.error(
                        request,
                        _("The screening stops the visit: %(result)s.")
                        % {"result": visit.get_screening_result_display()},
                    )
                else:
                    messages.success(request, _("Eligible: the dose can be given."))
                return redirect(visit.get_absolute_url())
        return self.render_to_response(self.get_context_data(client=client, form=form), status=400)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        client = ctx["client"]
        ctx["age"] = clients.age_label(client.date_of_birth)
        return ctx


def _visits(user, action):
    return VaccinationVisit.objects.restrict(user, action).select_related(
        "client",
        "client__registered_at",
        "store",
        "store__org_unit",
        "store__supplied_by",
        "screened_by",
        "vaccinator",
    )


class VisitDetailView(VisitMixin, ScopedViewMixin, TemplateView):
    """A visit: screening answers, the doses (and the form to give one), the observation,
    the receipt. Showing the client's details, its opening is logged on the client."""

    model = VaccinationVisit
    template_name = "vaccines/visit_detail.html"

    def get_queryset(self, action=None):
        return _visits(self.request.user, action or self.action)

    def get(self, request, *args, **kwargs):
        visit = self.get_object()
        clients.log_access(visit.client, request.user, via="visit")
        return self.render_to_response(self.get_context_data(visit=visit))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        visit = ctx["visit"]
        user = self.request.user
        checklist = visits.get_checklist(visit.checklist)
        answers = visit.screening_answers or {}
        open_visit = visit.status in (VisitStatus.SCREENING, VisitStatus.VACCINATED)
        changeable = self.get_queryset("change").filter(pk=visit.pk).exists()
        can_dose = open_visit and can(user, Dose, "add") and changeable
        ctx.update(
            object=visit,
            client=visit.client,
            age=clients.age_label(visit.client.date_of_birth, timezone.localdate(visit.visited_at)),
            checklist=checklist,
            answer_rows=[(q, answers.get(q.code)) for q in checklist.questions],
            stop_reasons=visits.stop_reasons(visit),
            doses=visit.doses.select_related("vaccine", "lot").prefetch_related("aefis"),
            receipts=Receipt.objects.restrict(user).filter(visit=visit).prefetch_related("items"),
            observation_ends=visits.observation_ends_at(visit),
            can_dose=can_dose,
            can_close=visit.status == VisitStatus.VACCINATED
            and can(user, VaccinationVisit, "change")
            and changeable,
            can_aefi=can(user, Aefi, "add") and changeable,
        )
        if can_dose:
            ctx.setdefault("dose_form", DoseForm(visit=visit))
        if ctx["can_close"]:
            ctx.setdefault("observation_form", ObservationForm())
        return ctx


class _VisitAction(VisitMixin, ScopedViewMixin, TemplateView):
    template_name = "vaccines/visit_detail.html"
    action = "change"

    def get_queryset(self, action=None):
        return _visits(self.request.user, action or "change")

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def refuse(self, visit, **forms_):
        view = VisitDetailView()
        view.request, view.args, view.kwargs = self.request, self.args, self.kwargs
        ctx = view.get_context_data(visit=visit, **forms_)
        return self.render_to_response(ctx, status=400)


class DoseCreateView(_VisitAction):
    model = Dose
    action = "add"

    def get_object(self, action=None):
        return get_object_or_404(_visits(self.request.user, "change"), uid=self.kwargs["uid"])

    def post(self, request, *args, **kwargs):
        visit = self.get_object()
        form = DoseForm(request.POST, visit=visit)
        if form.is_valid():
            data = form.cleaned_data
            try:
                dose = visits.give_dose(
                    visit,
                    vaccine=data["vaccine"],
                    lot=data["lot"],
                    site=data["site"],
                    route=data["route"],
                    vaccinator=data["vaccinator"],
                    given_at=data["given_at"],
                    payment_method=data["payment_method"],
                    user=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                ends = visits.observation_ends_at(dose.visit)
                messages.success(
                    request,
                    _("Dose given: %(dose)s. Observe the client until %(time)s.")
                    % {"dose": dose, "time": timezone.localtime(ends).strftime("%H:%M")},
                )
                return redirect(visit.get_absolute_url())
        return self.refuse(visit, dose_form=form)


class LotOptionsView(VisitMixin, ScopedViewMixin, TemplateView):
    """The lot choices of a vaccine at the visit's point (htmx), suggested lot first."""

    model = VaccinationVisit
    template_name = "vaccines/visit_lot_options.html"

    def get(self, request, *args, **kwargs):
        visit = self.get_object()
        vaccine = Vaccine.objects.filter(pk=request.GET.get("vaccine") or 0).first()
        options = visits.lot_options(visit.store, vaccine, timezone.localdate())
        rows = [(o, lot_label(o.lot, o.available, o.problem)) for o in options]
        return self.render_to_response({"rows": rows})


class ObservationCloseView(_VisitAction):
    model = VaccinationVisit

    def post(self, request, *args, **kwargs):
        visit = self.get_object()
        form = ObservationForm(request.POST)
        if form.is_valid():
            try:
                visits.close_observation(
                    visit,
                    ended_at=form.cleaned_data["ended_at"],
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc, {"observation_ended_at": "ended_at"})
            else:
                messages.success(request, _("Observation ended: the visit is complete."))
                return redirect(visit.get_absolute_url())
        return self.refuse(visit, observation_form=form)


# --------------------------------------------------------------------------------------------
# Adverse events
# --------------------------------------------------------------------------------------------


class AefiMixin(VaccinationMixin):
    active_nav = "vaccination-aefi"


class AefiCreateView(AefiMixin, ScopedViewMixin, TemplateView):
    model = Aefi
    action = "add"
    template_name = "vaccines/aefi_form.html"

    def get_dose(self):
        return get_object_or_404(
            Dose.objects.restrict(self.request.user, "change").select_related(
                "vaccine", "lot", "visit__client", "visit__store__org_unit"
            ),
            uid=self.kwargs["uid"],
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(dose=self.get_dose(), form=AefiForm()))

    def post(self, request, *args, **kwargs):
        dose = self.get_dose()
        form = AefiForm(request.POST)
        if form.is_valid():
            try:
                aefi = visits.record_aefi(dose, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                if aefi.severity == AefiSeverity.SERIOUS:
                    messages.warning(
                        request,
                        _("Serious adverse event recorded: it is on the DOH's list now."),
                    )
                else:
                    messages.success(request, _("Adverse event recorded."))
                return redirect(aefi.get_absolute_url())
        return self.render_to_response(self.get_context_data(dose=dose, form=form), status=400)


class AefiListView(AefiMixin, ObjectListView):
    model = Aefi
    filterset_class = visits.AefiFilterSet
    template_name = "vaccines/aefi_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related(
                "dose__vaccine", "dose__lot", "dose__visit__client", "dose__visit__store"
            )
        )

    def get(self, request, *args, **kwargs):
        export = export_or_none(
            self, request, visits.AefiFilterSet, self.get_queryset("export"), visits.aefi_export
        )
        if export is not None:
            return export
        return super().get(request, *args, **kwargs)


class SeriousAefiView(AefiMixin, ScopedViewMixin, TemplateView):
    """Serious adverse events in the user's scope, for the Department of Health."""

    model = Aefi
    template_name = "vaccines/aefi_serious.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") in {"xlsx", "csv"}:
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            queryset = visits.serious_aefis(request.user) & Aefi.objects.restrict(
                request.user, "export"
            )
            return visits.aefi_export(queryset, request.GET["export"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = list(visits.serious_aefis(self.request.user)[:500])
        ctx.update(
            object_list=rows,
            total=len(rows),
            recent=visits.serious_aefi_alert(self.request.user),
            can_export=self.user_can("export"),
        )
        return ctx


class AefiDetailView(AefiMixin, ScopedViewMixin, TemplateView):
    model = Aefi
    template_name = "vaccines/aefi_detail.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related(
                "dose__vaccine",
                "dose__lot",
                "dose__visit__client",
                "dose__visit__store",
                "reported_by",
            )
        )

    def get(self, request, *args, **kwargs):
        aefi = self.get_object()
        clients.log_access(aefi.dose.visit.client, request.user, via="aefi")
        return self.render_to_response(self.get_context_data(object=aefi))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        aefi = ctx["object"]
        can_change = (
            self.user_can("change") and self.get_queryset("change").filter(pk=aefi.pk).exists()
        )
        ctx["can_change"] = can_change
        if can_change:
            ctx.setdefault(
                "form",
                AefiFollowUpForm(
                    initial={
                        "severity": aefi.severity,
                        "outcome": aefi.outcome,
                        "treatment": aefi.treatment,
                    }
                ),
            )
        return ctx

    def post(self, request, *args, **kwargs):
        if not self.user_can("change"):
            raise PermissionDenied(_("Your role does not allow this action."))
        aefi = get_object_or_404(self.get_queryset("change"), uid=self.kwargs["uid"])
        form = AefiFollowUpForm(request.POST)
        if form.is_valid():
            try:
                visits.update_aefi(aefi, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Follow-up saved."))
                return redirect(aefi.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=aefi, form=form), status=400)


# --------------------------------------------------------------------------------------------
# Reminders
# --------------------------------------------------------------------------------------------


class ReminderForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Due on"), widget=forms.DateInput(DATE, "%Y-%m-%d"))
    overdue = forms.BooleanField(label=gettext_lazy("Also overdue doses"), required=False)
    registered_at = forms.ModelChoiceField(
        label=gettext_lazy("Registered at (and units below)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        to_field_name="uid",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        prefix = user_scope_path(user)
        if prefix is not None:
            with_store = Store.objects.values("org_unit_id")
            self.fields["registered_at"].queryset = OrgUnit.objects.filter(
                path__startswith=prefix, pk__in=with_store
            ).order_by("sort_name")


class ReminderListView(VaccinationMixin, ScopedViewMixin, TemplateView):
    """Doses due on a day, for an SMS/Zalo sending tool (.xlsx/.csv with the phones)."""

    model = Client
    active_nav = "vaccination-reminders"
    template_name = "vaccines/reminder_list.html"

    def can_send(self):
        """The export has the phones in full: for those who record visits, not readers."""
        return self.user_can("export") and self.user_can("change")

    def found(self, action):
        data = self.request.GET.copy()
        data.setdefault("day", timezone.localdate().isoformat())
        form = ReminderForm(data, user=self.request.user)
        if not form.is_valid():
            return form, None, []
        queryset = Client.objects.restrict(self.request.user, action)
        unit = form.cleaned_data["registered_at"]
        if unit is not None:
            queryset = queryset.filter(registered_at__path__startswith=unit.path)
        day = form.cleaned_data["day"]
        return form, day, schedule.reminders(queryset, day, form.cleaned_data["overdue"])

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in {"xlsx", "csv"}:
            if not self.can_send():
                raise PermissionDenied(_("Your role does not allow this action."))
            form, day, rows = self.found("export")
            if day is not None:
                return schedule.reminder_export(rows, fmt, day)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form, day, rows = self.found("view")
        for reminder in rows:
            reminder.phone_masked = clients.masked_phone(reminder.client)
        query = self.request.GET.copy()
        query.pop("export", None)
        if day is not None:
            query["day"] = day.isoformat()
        ctx.update(
            form=form,
            day=day,
            object_list=rows,
            total=len(rows),
            can_export=self.can_send(),
            querystring=query.urlencode(),
            previous_day=day - datetime.timedelta(days=1) if day else None,
            next_day=day + datetime.timedelta(days=1) if day else None,
        )
        return ctx


# --------------------------------------------------------------------------------------------
# Service revenue
# --------------------------------------------------------------------------------------------


class RevenueMixin(VaccinationMixin):
    active_nav = "revenue"


def _revenue_units(user, action="add"):
    prefix = user_scope_path(user)
    if prefix is None or not can(user, Receipt, action):
        return OrgUnit.objects.none()
    priced = ServicePrice.objects.values("org_unit_id")
    stores = Store.objects.values("org_unit_id")
    return (
        OrgUnit.objects.filter(active=True, path__startswith=prefix)
        .filter(Q(pk__in=priced) | Q(pk__in=stores))
        .order_by("sort_name")
    )


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PriceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        unit = obj.org_unit.short_name or obj.org_unit.name
        return f"{obj.name} · {unit} · {revenue.amount_text(obj.price)}"


class ReceiptForm(forms.Form):
    org_unit = UnitField(label=gettext_lazy("Unit"), queryset=None)
    source = forms.ModelChoiceField(
        label=gettext_lazy("Revenue source"),
        queryset=RevenueSource.objects.filter(active=True).order_by("sort_order"),
    )
    service = PriceChoiceField(
        label=gettext_lazy("Service"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("A service at its current price; or describe the line below."),
    )
    description = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=255)
    unit_price = forms.IntegerField(label=gettext_lazy("Unit price (VND)"), required=False)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), initial=1)
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(DATE, "%Y-%m-%d"))
    payer_name = forms.CharField(label=gettext_lazy("Payer"), required=False, max_length=200)
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment method"), choices=PaymentMethod.choices
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = _revenue_units(user)
        self.fields["org_unit"].queryset = units
        if user is not None and units.filter(pk=user.org_unit_id).exists():
            self.fields["org_unit"].initial = user.org_unit_id
        today = timezone.localdate()
        self.fields["service"].queryset = (
            ServicePrice.objects.restrict(user, "view")
            .filter(active=True, valid_from__lte=today)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .select_related("org_unit", "source")
            .order_by("source__sort_order", "name")
        )
        self.fields["date"].initial = today


class PriceForm(forms.ModelForm):
    org_unit = UnitField(label=gettext_lazy("Unit"), queryset=None)

    class Meta:
        model = ServicePrice
        fields = ["org_unit", "source", "code", "name", "vaccine", "price", "valid_from"]
        widgets = {"valid_from": forms.DateInput(DATE, "%Y-%m-%d")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Any active unit in scope may set its prices (a centre, or a point of its own).
        prefix = user_scope_path(user)
        units = OrgUnit.objects.none()
        if prefix is not None and can(user, ServicePrice, "add"):
            units = OrgUnit.objects.filter(active=True, path__startswith=prefix)
        self.fields["org_unit"].queryset = units.order_by("sort_name")
        self.fields["source"].queryset = RevenueSource.objects.filter(active=True)
        self.fields["vaccine"].queryset = Vaccine.objects.filter(active=True)
        self.fields["valid_from"].initial = timezone.localdate()

    def _get_validation_exclusions(self):
        # The service closes the previous price first; the unique check would run too early.
        return super()._get_validation_exclusions() | {"valid_from"}


class RevenueView(RevenueMixin, ScopedViewMixin, TemplateView):
    """Revenue by source and month of a year, for the units in scope (or one subtree)."""

    model = Receipt
    template_name = "vaccines/revenue_summary.html"

    def table(self, action):
        today = timezone.localdate()
        try:
            year = int(self.request.GET.get("year") or today.year)
        except ValueError:
            year = today.year
        receipts = Receipt.objects.restrict(self.request.user, action)
        unit = None
        uid = self.request.GET.get("org_unit")
        if uid:
            unit = OrgUnit.objects.restrict(self.request.user).filter(uid=uid).first()
            if unit is not None:
                receipts = receipts.filter(org_unit__path__startswith=unit.path)
        return year, unit, revenue.revenue_table(receipts, year)

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in {"xlsx", "csv"}:
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            year, _unit, (rows, columns, total) = self.table("export")
            return revenue.revenue_export(rows, columns, total, year, fmt)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        year, unit, (rows, columns, total) = self.table("view")
        query = self.request.GET.copy()
        query.pop("export", None)
        query["year"] = str(year)
        this_year = timezone.localdate().year
        ctx.update(
            year=year,
            years=list(range(this_year, this_year - 6, -1)),
            unit=unit,
            units=_revenue_units(self.request.user, "view"),
            rows=rows,
            columns=columns,
            total=total,
            months=list(range(1, 13)),
            querystring=query.urlencode(),
            can_export=self.user_can("export"),
        )
        return ctx


class ReceiptListView(RevenueMixin, ObjectListView):
    model = Receipt
    filterset_class = revenue.ReceiptFilterSet
    template_name = "vaccines/revenue_receipt_list.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("org_unit", "source")

    def get(self, request, *args, **kwargs):
        export = export_or_none(
            self,
            request,
            revenue.ReceiptFilterSet,
            self.get_queryset("export"),
            revenue.receipt_export,
        )
        if export is not None:
            return export
        return super().get(request, *args, **kwargs)


class ReceiptCreateView(RevenueMixin, ScopedViewMixin, TemplateView):
    model = Receipt
    action = "add"
    template_name = "vaccines/revenue_receipt_form.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ReceiptForm(user=request.user)))

    def post(self, request, *args, **kwargs):
        form = ReceiptForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            line = revenue.ReceiptLine(
                quantity=data["quantity"],
                price=data["service"],
                description=data["description"],
                unit_price=data["unit_price"],
            )
            try:
                receipt = revenue.record_receipt(
                    data["org_unit"],
                    data["source"],
                    [line],
                    date=data["date"],
                    payer_name=data["payer_name"],
                    payment_method=data["payment_method"],
                    note=data["note"],
                    user=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc, {"items": None})
            else:
                messages.success(request, _("Receipt recorded: %(r)s") % {"r": receipt})
                return redirect(receipt.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CancelForm(forms.Form):
    cancel_reason = forms.CharField(label=gettext_lazy("Reason for cancelling"), max_length=300)


class ReceiptDetailView(RevenueMixin, ScopedViewMixin, TemplateView):
    model = Receipt
    template_name = "vaccines/revenue_receipt_detail.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("org_unit", "source", "store", "client", "visit", "created_by")
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(object=self.get_object()))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        receipt = ctx["object"]
        can_cancel = (
            receipt.cancelled_at is None
            and self.user_can("change")
            and self.get_queryset("change").filter(pk=receipt.pk).exists()
        )
        ctx.update(
            items=receipt.items.select_related("price", "dose"),
            can_cancel=can_cancel,
            client_visible=receipt.client_id
            and Client.objects.restrict(self.request.user).filter(pk=receipt.client_id).exists(),
        )
        if can_cancel:
            ctx.setdefault("cancel_form", CancelForm())
        return ctx

    def post(self, request, *args, **kwargs):
        if not self.user_can("change"):
            raise PermissionDenied(_("Your role does not allow this action."))
        receipt = get_object_or_404(self.get_queryset("change"), uid=self.kwargs["uid"])
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                revenue.cancel_receipt(receipt, form.cleaned_data["cancel_reason"], request.user)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Receipt cancelled: %(r)s") % {"r": receipt.number})
                return redirect(receipt.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(object=receipt, cancel_form=form), status=400
        )


class PriceListView(RevenueMixin, ObjectListView):
    model = ServicePrice
    filterset_class = revenue.PriceFilterSet
    template_name = "vaccines/revenue_price_list.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("org_unit", "source", "vaccine")


class PriceCreateView(RevenueMixin, ScopedViewMixin, TemplateView):
    model = ServicePrice
    action = "add"
    template_name = "vaccines/revenue_price_form.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=PriceForm(user=request.user)))

    def post(self, request, *args, **kwargs):
        form = PriceForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                price = revenue.set_price(form.save(commit=False), request.user)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Price saved: %(p)s") % {"p": price})
                return redirect("vaccines:price-list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


urlpatterns = [
    path("visits/", VisitListView.as_view(), name="visit-list"),
    path("clients/<str:uid>/visit/", VisitCreateView.as_view(), name="visit-add"),
    path("visits/<str:uid>/", VisitDetailView.as_view(), name="visit-detail"),
    path("visits/<str:uid>/doses/", DoseCreateView.as_view(), name="visit-dose"),
    path("visits/<str:uid>/lots/", LotOptionsView.as_view(), name="visit-lots"),
    path("visits/<str:uid>/close/", ObservationCloseView.as_view(), name="visit-close"),
    path("doses/<str:uid>/aefi/", AefiCreateView.as_view(), name="aefi-add"),
    path("aefi/", AefiListView.as_view(), name="aefi-list"),
    path("aefi/serious/", SeriousAefiView.as_view(), name="aefi-serious"),
    path("aefi/<str:uid>/", AefiDetailView.as_view(), name="aefi-detail"),
    path("reminders/", ReminderListView.as_view(), name="reminder-list"),
    path("revenue/", RevenueView.as_view(), name="revenue-summary"),
    path("receipts/", ReceiptListView.as_view(), name="receipt-list"),
    path("receipts/add/", ReceiptCreateView.as_view(), name="receipt-add"),
    path("receipts/<str:uid>/", ReceiptDetailView.as_view(), name="receipt-detail"),
    path("prices/", PriceListView.as_view(), name="price-list"),
    path("prices/add/", PriceCreateView.as_view(), name="price-add"),
]
