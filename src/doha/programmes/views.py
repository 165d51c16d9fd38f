"""Pages of needs surveys, the province needs table, assessments and programmes.

Every queryset is ``Model.objects.restrict(user, action)``; every write goes through
``services.py`` inside one transaction, with the form and all its formsets: a refused row
saves nothing.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from doha.catalog.models import Technique
from doha.core.scope import can, in_scope
from doha.core.views import ObjectFormView, ObjectListView, ScopedViewMixin
from doha.orgunits.models import OrgUnit
from doha.programmes import services
from doha.programmes.filters import (
    AssessmentFilterSet,
    NeedKind,
    NeedTable,
    ProgrammeFilterSet,
    SurveyFilterSet,
)
from doha.programmes.forms import (
    NEED_FORMSETS,
    PROGRAMME_FORMSETS,
    AssessmentForm,
    CapacityFormSet,
    ProgrammeForm,
    ResponseForm,
    SurveyEditForm,
    SurveyForm,
    formset_instances,
)
from doha.programmes.importexport import (
    export_assessments,
    export_needs,
    export_programme,
    export_programmes,
    export_survey,
    export_surveys,
)
from doha.programmes.models import (
    Assessment,
    ContentArea,
    ItemStatus,
    NeedsSurvey,
    PartyRole,
    Programme,
    ProgrammeParty,
    ResponseStatus,
    Side,
    SurveyResponse,
    TechniqueNeed,
)


def _export_allowed(view):
    if not view.user_can("export"):
        raise PermissionDenied(_("Your role does not allow this action."))


def _add_formset_errors(formset, messages_):
    formset.non_form_errors()  # computes (and caches) the formset's own errors first
    formset._non_form_errors.extend(ValidationError(messages_).messages)


def _distribute(exc: ValidationError, form, formsets: dict):
    """A service's errors: the formset's key to that formset, a field to the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        if key in formsets:
            _add_formset_errors(formsets[key], errors)
        else:
            form.add_error(key if key in form.fields else None, errors)


class FormsetView(ScopedViewMixin, TemplateView):
    """A form and its formsets, saved together by one service call, or not at all.

    ``formsets`` maps a prefix to (service keyword, formset class, title). A submit button
    named ``add_rows`` with a prefix as value shows two more blank rows of that formset.
    """

    form_class = None
    formsets: dict = {}

    def get_instance(self):
        raise ImproperlyConfigured(f"{type(self).__name__} must define get_instance()")

    def form_kwargs(self):
        return {"user": self.request.user}

    def build(self, data=None):
        instance = self.get_instance()
        form = self.form_class(data, instance=instance, **self.form_kwargs())
        formsets = {
            prefix: cls(data, instance=instance, prefix=prefix)
            for prefix, (_key, cls, _title) in self.formsets.items()
        }
        return form, formsets

    def perform(self, form, rows: dict):
        raise ImproperlyConfigured(f"{type(self).__name__} must define perform()")

    def success_message(self, obj):
        return _("Saved: %(name)s") % {"name": obj}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        formsets = ctx.get("formsets", {})
        ctx["sections"] = [
            {"prefix": prefix, "title": title, "formset": formsets[prefix]}
            for prefix, (_key, _cls, title) in self.formsets.items()
            if prefix in formsets
        ]
        return ctx

    def get(self, request, *args, **kwargs):
        form, formsets = self.build()
        return self.render_to_response(self.get_context_data(form=form, formsets=formsets))

    def post(self, request, *args, **kwargs):
        data = request.POST
        more = data.get("add_rows")
        if more in self.formsets:
            data = data.copy()
            total = f"{more}-TOTAL_FORMS"
            data[total] = str(int(data.get(total) or 0) + 2)
            form, formsets = self.build(data)
            ctx = self.get_context_data(form=form, formsets=formsets, adding_rows=True)
            return self.render_to_response(ctx)
        form, formsets = self.build(data)
        valid = form.is_valid()
        valid = all([fs.is_valid() for fs in formsets.values()]) and valid
        if valid:
            rows = {
                self.formsets[prefix][0]: formset_instances(fs) for prefix, fs in formsets.items()
            }
            try:
                with transaction.atomic():
                    obj = self.perform(form, rows)
            except ValidationError as exc:
                by_key = {self.formsets[p][0]: fs for p, fs in formsets.items()}
                _distribute(exc, form, by_key)
            else:
                messages.success(request, self.success_message(obj))
                return redirect(obj.get_absolute_url())
        ctx = self.get_context_data(form=form, formsets=formsets)
        return self.render_to_response(ctx, status=400)


# ---------------------------------------------------------------- lookups (htmx)


class TechniqueLookupView(ScopedViewMixin, View):
    """Options for a technique search box: code or name, accents and case folded."""

    model = Technique

    def get(self, request):
        query = _lookup_query(request)
        qs = Technique.objects.filter(active=True).select_related("specialty")
        if request.GET.get("specialty"):
            qs = qs.filter(specialty__code=request.GET["specialty"])
        options = (
            [(t.pk, f"{t.code} {t.name} ({t.specialty})") for t in qs.search(query)[:30]]
            if query
            else []
        )
        return render(request, "programmes/_options.html", {"options": options, "query": query})


class UnitLookupView(ScopedViewMixin, View):
    """Options for a unit search box. Programmes and surveys join units of different
    provinces, so every active unit may be named here, to users who record them."""

    model = OrgUnit

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not any(
            can(user, m, a) for m in (Programme, NeedsSurvey, Assessment) for a in ("add", "change")
        ):
            raise PermissionDenied(_("Your role does not allow this action."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        query = _lookup_query(request)
        qs = OrgUnit.objects.filter(active=True).select_related("parent")
        options = (
            [
                (u.pk, f"{u.name} ({u.parent.short_name or u.parent.name})" if u.parent else u.name)
                for u in qs.search(query)[:30]
            ]
            if query
            else []
        )
        return render(request, "programmes/_options.html", {"options": options, "query": query})


def _lookup_query(request) -> str:
    for key, value in request.GET.items():
        if key == "q" or key.endswith("__q"):
            return value.strip()
    return ""


# ---------------------------------------------------------------- surveys


class SurveyListView(ObjectListView):
    model = NeedsSurvey
    filterset_class = SurveyFilterSet
    template_name = "programmes/survey_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("organiser")
            .annotate(
                n_asked=Count("facilities", distinct=True),
                n_submitted=Count(
                    "responses",
                    filter=Q(responses__status=ResponseStatus.SUBMITTED),
                    distinct=True,
                ),
            )
            .order_by("-opens_on", "title", "pk")
        )

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _export_allowed(self)
            filterset = SurveyFilterSet(
                request.GET, queryset=self.get_queryset("export"), request=request
            )
            return export_surveys(filterset.qs)
        return super().get(request, *args, **kwargs)


class SurveyCreateView(ObjectFormView):
    model = NeedsSurvey
    action = "add"
    form_class = SurveyForm
    template_name = "programmes/survey_form.html"

    def perform(self, form):
        return services.open_survey(
            form.save(commit=False),
            form.cleaned_data["facilities"],
            under=form.cleaned_data.get("under"),
            facility_types=form.cleaned_data.get("facility_types") or (),
            user=self.request.user,
        )

    def success_message(self, obj):
        return _("Survey opened: %(name)s") % {"name": obj}


class SurveyEditView(ObjectFormView):
    model = NeedsSurvey
    action = "change"
    form_class = SurveyEditForm
    template_name = "programmes/survey_form.html"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        return ctx

    def perform(self, form):
        return services.update_survey(
            form.save(commit=False),
            add=form.cleaned_data["facilities"],
            under=form.cleaned_data.get("under"),
            facility_types=form.cleaned_data.get("facility_types") or (),
            remove=form.cleaned_data["remove"],
            user=self.request.user,
        )


class SurveyCloseView(ScopedViewMixin, View):
    model = NeedsSurvey
    action = "change"

    def post(self, request, uid):
        survey = self.get_object()
        services.close_survey(survey, user=request.user)
        messages.success(request, _("Survey closed: %(name)s") % {"name": survey})
        return redirect(survey.get_absolute_url())


def _need_counts(responses) -> dict:
    """Response pk -> {kind: number of needs}."""
    counts = {r.pk: {} for r in responses}
    for kind, model in NeedKind.models.items():
        rows = (
            model.objects.filter(response__in=list(counts))
            .values("response")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            counts[row["response"]][kind] = row["n"]
    return counts


class SurveyDetailView(ScopedViewMixin, TemplateView):
    model = NeedsSurvey
    template_name = "programmes/survey_detail.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _export_allowed(self)
            survey = self.get_object("export")
            return export_survey(survey, self.facility_rows(survey))
        return super().get(request, *args, **kwargs)

    def facility_rows(self, survey):
        """The facilities asked that the user may see (all of them for the organiser's
        side), each with its answer, if any, and its needs by kind."""
        user = self.request.user
        facilities = survey.facilities.all()
        if not in_scope(user, survey.organiser.path):
            facilities = facilities.filter(pk__in=OrgUnit.objects.restrict(user).values("pk"))
        responses = {
            r.facility_id: r for r in SurveyResponse.objects.restrict(user).filter(survey=survey)
        }
        counts = _need_counts(responses.values())
        accepting = services.survey_refusal(survey) is None
        rows = []
        for facility in facilities.order_by("sort_name"):
            response = responses.get(facility.pk)
            rows.append(
                {
                    "facility": facility,
                    "response": response,
                    "counts": counts.get(response.pk, {}) if response else {},
                    "can_answer": accepting
                    and (response is None or response.status == ResponseStatus.DRAFT)
                    and services.may_answer(user, survey, facility),
                }
            )
        return rows

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        survey = self.get_object()
        rows = self.facility_rows(survey)
        can_change = (
            self.user_can("change")
            and NeedsSurvey.objects.restrict(self.request.user, "change")
            .filter(pk=survey.pk)
            .exists()
        )
        ctx.update(
            object=survey,
            rows=rows,
            n_asked=len(rows),
            n_submitted=sum(
                1
                for r in rows
                if r["response"] and r["response"].status == ResponseStatus.SUBMITTED
            ),
            n_draft=sum(
                1 for r in rows if r["response"] and r["response"].status == ResponseStatus.DRAFT
            ),
            n_missing=sum(1 for r in rows if r["response"] is None),
            refusal=services.survey_refusal(survey),
            can_change=can_change,
            can_export=self.user_can("export"),
            programmes=Programme.objects.restrict(self.request.user).filter(survey=survey),
        )
        return ctx


# ---------------------------------------------------------------- responses


class ResponseEditView(FormsetView):
    """A facility registers (or updates) its answer: needs of the four kinds in formsets."""

    model = SurveyResponse
    action = "add"
    form_class = ResponseForm
    formsets = NEED_FORMSETS
    template_name = "programmes/response_form.html"

    def get(self, request, *args, **kwargs):
        self.load()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.load()
        return super().post(request, *args, **kwargs)

    def load(self):
        user = self.request.user
        self.survey = get_object_or_404(NeedsSurvey.objects.restrict(user), uid=self.kwargs["uid"])
        self.facility = get_object_or_404(
            self.survey.facilities.all(), uid=self.kwargs["facility_uid"]
        )
        if not services.may_answer(user, self.survey, self.facility):
            raise Http404
        self.response = SurveyResponse.objects.filter(
            survey=self.survey, facility=self.facility
        ).first()

    def get_instance(self):
        return self.response or SurveyResponse(survey=self.survey, facility=self.facility)

    def form_kwargs(self):
        return {}

    def perform(self, form, rows):
        return services.save_response(
            self.survey,
            self.facility,
            contact=form.cleaned_data["contact"],
            note=form.cleaned_data["note"],
            user=self.request.user,
            **rows,
        )

    def success_message(self, obj):
        return _("Needs saved for %(facility)s.") % {"facility": obj.facility}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        refusal = services.survey_refusal(self.survey)
        if refusal is None and self.response and self.response.status != ResponseStatus.DRAFT:
            refusal = _("This answer has been submitted: reopen it to change it.")
        ctx.update(survey=self.survey, facility=self.facility, response=self.response)
        ctx["refusal"] = refusal
        return ctx


class ResponseDetailView(ScopedViewMixin, TemplateView):
    model = SurveyResponse
    template_name = "programmes/response_detail.html"

    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        response = self.get_object()
        user = self.request.user
        may_change = (
            services.may_answer(user, response.survey, response.facility)
            and SurveyResponse.objects.restrict(user, "change").filter(pk=response.pk).exists()
        )
        accepting = services.survey_refusal(response.survey) is None
        draft = response.status == ResponseStatus.DRAFT
        ctx.update(
            object=response,
            technique_needs=response.techniqueneeds.select_related("technique__specialty"),
            training_needs=response.trainingneeds.select_related("specialty"),
            teleconsult_needs=response.teleconsultneeds.select_related("specialty"),
            equipment_needs=response.equipmentneeds.select_related("specialty"),
            assessments=Assessment.objects.restrict(user).filter(response=response),
            can_edit=may_change and accepting and draft,
            can_submit=may_change and accepting and draft,
            can_reopen=may_change and accepting and not draft,
            can_assess=can(user, Assessment, "add"),
            refusal=services.survey_refusal(response.survey),
        )
        return ctx


class _ResponseActionView(ScopedViewMixin, View):
    model = SurveyResponse
    action = "change"
    service = None
    done_message = ""

    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}

    def post(self, request, pk):
        response = self.get_object()
        try:
            type(self).service(response, user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, self.done_message % {"facility": response.facility})
        return redirect(response.get_absolute_url())


class ResponseSubmitView(_ResponseActionView):
    service = services.submit_response
    done_message = gettext_lazy("Answer of %(facility)s submitted.")


class ResponseReopenView(_ResponseActionView):
    service = services.reopen_response
    done_message = gettext_lazy("Answer of %(facility)s reopened for changes.")


# ---------------------------------------------------------------- the province needs table


class NeedTableView(ScopedViewMixin, TemplateView):
    """All needs the user may see, of the four kinds, in one table with filters."""

    model = TechniqueNeed  # the "need" resource, as every kind of need
    template_name = "programmes/need_list.html"
    paginate_by = 100

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _export_allowed(self)
            return export_needs(NeedTable(request.GET, request.user, "export").rows())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        table = NeedTable(self.request.GET, self.request.user)
        rows = table.rows()
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        by_kind = {kind: 0 for kind, _label in NeedKind.choices}
        for row in rows:
            by_kind[row.kind] += 1
        ctx.update(
            table=table,
            form=table.form,
            page_obj=page,
            object_list=page.object_list,
            total=len(rows),
            by_kind=[(label, by_kind[kind]) for kind, label in NeedKind.choices],
            querystring=query.urlencode(),
            can_export=self.user_can("export"),
        )
        return ctx


# ---------------------------------------------------------------- assessments


class AssessmentListView(ObjectListView):
    model = Assessment
    filterset_class = AssessmentFilterSet
    template_name = "programmes/assessment_list.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("facility", "assessor", "programme")

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _export_allowed(self)
            filterset = AssessmentFilterSet(
                request.GET, queryset=self.get_queryset("export"), request=request
            )
            return export_assessments(filterset.qs)
        return super().get(request, *args, **kwargs)


class AssessmentFormView(FormsetView):
    model = Assessment
    form_class = AssessmentForm
    formsets = {
        "specialties": ("capacities", CapacityFormSet, gettext_lazy("Capacity per specialty"))
    }
    template_name = "programmes/assessment_form.html"

    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}

    def get_instance(self):
        if "pk" not in self.kwargs:
            return Assessment(date=timezone.localdate())
        if not hasattr(self, "_instance"):
            self._instance = self.get_object("change")
        return self._instance

    def build(self, data=None):
        form, formsets = super().build(data)
        if data is None and "pk" not in self.kwargs:
            response = (
                SurveyResponse.objects.restrict(self.request.user)
                .filter(pk=self.request.GET.get("response") or 0)
                .first()
            )
            if response is not None:
                form.initial.update(response=response.pk, facility=response.facility_id)
        return form, formsets

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance() if "pk" in self.kwargs else None
        return ctx

    def perform(self, form, rows):
        return services.save_assessment(
            form.save(commit=False), rows["capacities"], user=self.request.user
        )


class AssessmentCreateView(AssessmentFormView):
    action = "add"


class AssessmentEditView(AssessmentFormView):
    action = "change"


class AssessmentDetailView(ScopedViewMixin, TemplateView):
    model = Assessment
    template_name = "programmes/assessment_detail.html"

    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        assessment = self.get_object()
        ctx.update(
            object=assessment,
            capacities=assessment.specialties.select_related("specialty"),
            can_change=self.user_can("change")
            and Assessment.objects.restrict(self.request.user, "change")
            .filter(pk=assessment.pk)
            .exists(),
        )
        return ctx


# ---------------------------------------------------------------- programmes


class ProgrammeListView(ObjectListView):
    model = Programme
    filterset_class = ProgrammeFilterSet
    template_name = "programmes/programme_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .prefetch_related(
                Prefetch(
                    "parties",
                    queryset=ProgrammeParty.objects.select_related("org_unit"),
                )
            )
            .annotate(
                n_items=Count("items", distinct=True),
                n_done=Count("items", filter=Q(items__status=ItemStatus.DONE), distinct=True),
            )
            .order_by("-start_date", "title", "pk")
        )

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _export_allowed(self)
            filterset = ProgrammeFilterSet(
                request.GET, queryset=self.get_queryset("export"), request=request
            )
            return export_programmes(filterset.qs)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = list(ctx["object_list"])
        for p in rows:
            parties = list(p.parties.all())
            p.providers = _signatories(parties, Side.PROVIDER)
            p.recipients = _signatories(parties, Side.RECIPIENT)
        ctx["object_list"] = rows
        return ctx


def _signatories(parties, side):
    """The units that signed on one side, else every unit of that side, once each."""
    on_side = [p for p in parties if p.side == side]
    chosen = [p for p in on_side if p.role == "signatory"] or on_side
    seen, units = set(), []
    for p in chosen:
        if p.org_unit_id not in seen:
            seen.add(p.org_unit_id)
            units.append(p.org_unit)
    return units


class ProgrammeFormView(FormsetView):
    model = Programme
    form_class = ProgrammeForm
    formsets = PROGRAMME_FORMSETS
    template_name = "programmes/programme_form.html"

    def get_instance(self):
        if "uid" not in self.kwargs:
            return Programme()
        if not hasattr(self, "_instance"):
            self._instance = self.get_object("change")
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance() if "uid" in self.kwargs else None
        return ctx

    def perform(self, form, rows):
        return services.save_programme(form.save(commit=False), user=self.request.user, **rows)


class ProgrammeCreateView(ProgrammeFormView):
    action = "add"


class ProgrammeEditView(ProgrammeFormView):
    action = "change"


def transfers_by_state(programme, user) -> list[dict]:
    """The programme's technique transfers the user may see, counted by state, in the
    lifecycle's order. The transfers app defines them (``programme.transfers``); this app
    only reads the reverse relation, it does not import that app."""
    descriptor = getattr(Programme, "transfers", None)
    if descriptor is None:
        return []
    transfer = descriptor.rel.related_model
    qs = transfer.objects.restrict(user, "view").filter(programme=programme)
    counts = dict(qs.values_list("state").annotate(n=Count("pk")).order_by())
    return [
        {"state": value, "label": str(label), "n": counts.get(value, 0)}
        for value, label in transfer._meta.get_field("state").flatchoices
    ]


def timeline(programme, items, today: datetime.date) -> list[dict]:
    """Per year of the programme, each item's bar as CSS percentages of the year."""
    years = []
    for year in range(programme.start_date.year, programme.end_date.year + 1):
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        days = (last - first).days + 1

        def pct(date, first=first, days=days):
            return f"{(date - first).days / days * 100:.2f}"

        bars = []
        for item in items:
            if item.planned_end < first or item.planned_start > last:
                continue
            start, end = max(item.planned_start, first), min(item.planned_end, last)
            width = max(((end - start).days + 1) / days * 100, 0.6)
            css = "late" if item.is_late else item.status
            bars.append(
                {
                    "item": item,
                    "left": pct(start),
                    "width": f"{width:.2f}",
                    "css": css,
                    "starts_before": item.planned_start < first,
                    "ends_after": item.planned_end > last,
                    "done_at": pct(item.done_on)
                    if item.done_on and first <= item.done_on <= last
                    else None,
                }
            )
        period_start = max(programme.start_date, first)
        period_end = min(programme.end_date, last)
        years.append(
            {
                "year": year,
                "bars": bars,
                "months": range(1, 13),
                "period_left": pct(period_start),
                "period_width": f"{((period_end - period_start).days + 1) / days * 100:.2f}",
                "today": pct(today) if first <= today <= last else None,
            }
        )
    return years


class ProgrammeDetailView(ScopedViewMixin, TemplateView):
    model = Programme
    template_name = "programmes/programme_detail.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _export_allowed(self)
            programme = self.get_object("export")
            return export_programme(
                programme,
                services.programme_progress(programme),
                transfers_by_state(programme, request.user),
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        programme = self.get_object()
        user = self.request.user
        today = timezone.localdate()
        items = list(programme.items.select_related("provider", "recipient"))
        # Signatories first, then implementing units; areas in the order of the choices.
        parties = sorted(
            programme.parties.select_related("org_unit"),
            key=lambda p: (p.role != PartyRole.SIGNATORY, p.area, p.org_unit.sort_name),
        )
        area_order = {value: i for i, value in enumerate(ContentArea.values)}
        areas = sorted(programme.areas.all(), key=lambda a: area_order.get(a.area, 99))
        transfers = transfers_by_state(programme, user)
        ctx.update(
            object=programme,
            providers=[p for p in parties if p.side == Side.PROVIDER],
            recipients=[p for p in parties if p.side == Side.RECIPIENT],
            areas=areas,
            items=items,
            progress=services.programme_progress(programme, today),
            transfers=transfers,
            transfers_total=sum(t["n"] for t in transfers),
            timeline=timeline(programme, items, today),
            assessments=Assessment.objects.restrict(user)
            .filter(programme=programme)
            .select_related("facility"),
            can_change=self.user_can("change")
            and Programme.objects.restrict(user, "change").filter(pk=programme.pk).exists(),
            can_export=self.user_can("export"),
        )
        return ctx
