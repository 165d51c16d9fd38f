import os

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from doha.core.scope import can
from doha.core.views import (
    EXPORT_FORMATS,
    ObjectFormView,
    ObjectListView,
    ScopedViewMixin,
    _add_errors,
)
from doha.orgunits.models import TechnicalLevel
from doha.programmes.models import NeedsSurvey, NeedStatus, TechniqueNeed
from doha.transfers import matching, services
from doha.transfers.filters import TechniqueTransferFilterSet
from doha.transfers.forms import (
    AcceptProposalForm,
    CancelForm,
    CaseForm,
    SustainmentForm,
    TransferEditForm,
    TransferForm,
    TransitionForm,
    open_programmes,
)
from doha.transfers.importexport import export_response, with_case_totals
from doha.transfers.models import StepEvidence, TechniqueTransfer, TransferState


class DirectingMixin:
    """Creating and moving transfers is for the DOH and line-direction offices."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.can_direct(request.user):
            raise PermissionDenied(
                _("Only the Department of Health and line-direction offices manage transfers.")
            )
        return super().dispatch(request, *args, **kwargs)


class TransferListView(ObjectListView):
    model = TechniqueTransfer
    filterset_class = TechniqueTransferFilterSet
    template_name = "transfers/transfer_list.html"

    def get_queryset(self, action=None):
        return with_case_totals(
            super()
            .get_queryset(action)
            .select_related("technique__specialty", "provider", "recipient", "programme")
        ).order_by("-state_date", "-pk")

    export_formats = EXPORT_FORMATS

    def export(self, queryset, fmt):
        return export_response(queryset, fmt)

    def get(self, request, *args, **kwargs):
        if request.htmx and request.GET.get("partial") == "rows":
            self.template_name = "transfers/_transfer_rows.html"
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_add"] = ctx["can_add"] and services.can_direct(self.request.user)
        ctx["active_nav"] = "transfers"
        return ctx


def _in_scope(user, transfer, action) -> bool:
    return TechniqueTransfer.objects.restrict(user, action).filter(pk=transfer.pk).exists()


class TransferDetailView(ScopedViewMixin, TemplateView):
    model = TechniqueTransfer
    template_name = "transfers/transfer_detail.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related(
                "technique__specialty",
                "provider",
                "recipient",
                "programme",
                "programme_item",
                "need__response__survey",
                "capability",
            )
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        transfer = kwargs.get("object") or self.get_object()
        user = self.request.user
        in_change_scope = self.user_can("change") and _in_scope(user, transfer, "change")
        may_direct = in_change_scope and services.can_direct(user)
        may_record = in_change_scope and services.can_record_cases(user, transfer)
        following = services.next_state(transfer)
        steps = transfer.steps.select_related("recorded_by").prefetch_related(
            Prefetch("evidence", queryset=StepEvidence.objects.order_by("pk"))
        )
        changes = (
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(TechniqueTransfer),
                object_pk=str(transfer.pk),
            )
            .select_related("actor")
            .order_by("-timestamp")
        )
        ctx.update(
            object=transfer,
            steps=steps,
            cases=transfer.case_records.order_by("date", "pk"),
            progress=services.acceptance_progress(transfer),
            checks=transfer.sustainment_checks.order_by("months_after"),
            next_state=following,
            next_state_label=TransferState(following).label if following else "",
            can_direct=may_direct,
            can_edit=may_direct,
            can_move=may_direct and following is not None,
            can_cancel=may_direct and transfer.state in services.CANCELLABLE_STATES,
            can_record_cases=may_record and transfer.state in services.CASE_STATES,
            can_check=may_direct
            and transfer.state in {TransferState.ACCEPTED, TransferState.SUSTAINED},
            changes=changes[:100],
            active_nav="transfers",
        )
        # Several forms on one page: distinct ids so each label points at its own input.
        ctx["transition_form"] = TransitionForm(next_state=following, auto_id="move_%s")
        ctx["cancel_form"] = CancelForm(auto_id="cancel_%s")
        ctx["case_form"] = CaseForm(auto_id="case_%s")
        ctx["sustainment_form"] = SustainmentForm(
            initial=self._next_check(transfer), auto_id="check_%s"
        )
        return ctx

    @staticmethod
    def _next_check(transfer):
        done = set(transfer.sustainment_checks.values_list("months_after", flat=True))
        return {"months_after": 12 if 6 in done else 6}


class TransferCreateView(DirectingMixin, ObjectFormView):
    model = TechniqueTransfer
    action = "add"
    form_class = TransferForm
    template_name = "transfers/transfer_form.html"

    def get_form(self, data=None):
        initial = {}
        if data is None:
            initial = self._initial()
        return self.form_class(
            data,
            self.request.FILES if data is not None else None,
            user=self.request.user,
            initial=initial,
        )

    def _initial(self):
        """From a programme page (?programme=UID) or a need (?need=ID)."""
        initial = {}
        user = self.request.user
        uid = self.request.GET.get("programme")
        if uid:
            programme = open_programmes(user).filter(uid=uid).first()
            if programme is not None:
                initial["programme"] = programme.pk
        need_id = self.request.GET.get("need")
        if need_id and need_id.isdigit():
            need = (
                TechniqueNeed.objects.restrict(user, "view")
                .filter(pk=need_id, status=NeedStatus.OPEN)
                .select_related("response__facility")
                .first()
            )
            if need is not None:
                initial.update(
                    need=need.pk, technique=need.technique_id, recipient=need.response.facility_id
                )
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "transfers"
        return ctx

    def perform(self, form):
        data = form.cleaned_data
        return services.create_transfer(
            form.save(commit=False),
            user=self.request.user,
            responsible=data.get("responsible", ""),
            note=data.get("note", ""),
            files=data.get("files") or [],
        )

    def success_message(self, obj):
        return _("Transfer recorded: %(name)s") % {"name": obj}


class TransferEditView(DirectingMixin, ObjectFormView):
    model = TechniqueTransfer
    action = "change"
    form_class = TransferEditForm
    template_name = "transfers/transfer_form.html"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        ctx["active_nav"] = "transfers"
        return ctx

    def perform(self, form):
        return services.update_transfer(form.save(commit=False), user=self.request.user)


class TransferActionView(ScopedViewMixin, TemplateView):
    """One form acting on one transfer (move, cancel, cases, sustainment): shown on the
    detail page, posted here; errors come back on this page with the form."""

    model = TechniqueTransfer
    action = "change"
    template_name = "transfers/transfer_action.html"
    form_class = None
    title = ""
    form_key = ""
    error_fields: dict[str, str] = {}

    def allowed(self, transfer) -> bool:
        return services.can_direct(self.request.user)

    def get_transfer(self):
        transfer = self.get_object()
        if not self.allowed(transfer):
            raise PermissionDenied(_("Your role does not allow this action."))
        return transfer

    def make_form(self, transfer, data=None, files=None):
        return self.form_class(data, files)

    def get(self, request, *args, **kwargs):
        transfer = self.get_transfer()
        return self.render_to_response(
            self.get_context_data(object=transfer, form=self.make_form(transfer))
        )

    def post(self, request, *args, **kwargs):
        transfer = self.get_transfer()
        form = self.make_form(transfer, request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    message = self.perform(transfer, form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc, self.error_fields)
            else:
                messages.success(request, message)
                return redirect(transfer.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(object=transfer, form=form), status=400
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        ctx["active_nav"] = "transfers"
        ctx["multipart"] = "files" in ctx["form"].fields
        return ctx


class TransitionView(TransferActionView):
    form_class = TransitionForm
    title = _("Move to the next step")

    def make_form(self, transfer, data=None, files=None):
        return TransitionForm(data, files, next_state=services.next_state(transfer))

    def perform(self, transfer, data):
        moved = services.transition(
            transfer,
            data["state"],
            date=data["date"],
            user=self.request.user,
            responsible=data["responsible"],
            note=data["note"],
            files=data["files"],
        )
        return _("The transfer is now: %(state)s") % {"state": moved.get_state_display()}


class CancelView(TransferActionView):
    form_class = CancelForm
    title = _("Cancel the transfer")

    def perform(self, transfer, data):
        services.transition(
            transfer,
            TransferState.CANCELLED,
            date=data["date"],
            user=self.request.user,
            responsible=data["responsible"],
            files=data["files"],
            reason=data["cancel_reason"],
        )
        return _("The transfer is cancelled.")


class CaseView(TransferActionView):
    form_class = CaseForm
    title = _("Record cases performed")

    def allowed(self, transfer):
        return services.can_record_cases(self.request.user, transfer)

    def perform(self, transfer, data):
        case = services.record_cases(
            transfer,
            date=data["date"],
            kind=data["kind"],
            count=data["count"],
            note=data["note"],
            user=self.request.user,
        )
        return _("Recorded: %(cases)s") % {"cases": case}


class SustainmentView(TransferActionView):
    form_class = SustainmentForm
    title = _("Record a sustainment check")

    def perform(self, transfer, data):
        check = services.record_sustainment(
            transfer,
            months_after=data["months_after"],
            checked_on=data["checked_on"],
            still_performed=data["still_performed"],
            cases_in_period=data.get("cases_in_period") or 0,
            note=data["note"],
            user=self.request.user,
        )
        return _("The %(months)d-month check is recorded.") % {"months": check.months_after}


class EvidenceDownloadView(ScopedViewMixin, TemplateView):
    """Evidence files are served only through here, to users who see the transfer."""

    model = StepEvidence

    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}

    def get(self, request, *args, **kwargs):
        evidence = self.get_object()
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("The file is missing.")) from exc
        name = evidence.description or os.path.basename(evidence.file.name)
        return FileResponse(handle, as_attachment=True, filename=name)


# ---------------------------------------------------------------- matching


class MatchingView(ScopedViewMixin, TemplateView):
    """Every technique need the user sees, with the providers proposed for it."""

    model = TechniqueNeed
    template_name = "transfers/matching.html"
    paginate_by = 20

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        surveys = NeedsSurvey.objects.restrict(user, "view").order_by("-opens_on", "title")
        needs = (
            TechniqueNeed.objects.restrict(user, "view")
            .select_related(
                "technique__specialty",
                "response__facility__admin_unit",
                "response__survey",
            )
            .order_by("response__survey__opens_on", "priority", "technique__code", "pk")
        )
        survey = None
        survey_uid = self.request.GET.get("survey")
        if survey_uid:
            survey = surveys.filter(uid=survey_uid).first()
            if survey is None:
                raise Http404
            needs = needs.filter(response__survey=survey)
        status = self.request.GET.get("status", NeedStatus.OPEN)
        if status in NeedStatus.values:
            needs = needs.filter(status=status)
        page = Paginator(needs, self.paginate_by).get_page(self.request.GET.get("page"))
        rows = list(page.object_list)
        proposals = matching.Matcher().propose_many([n for n in rows if n.status == "open"])
        planned = {}
        visible = TechniqueTransfer.objects.restrict(user, "view").select_related("provider")
        for t in visible.filter(need__in=rows):
            planned.setdefault(t.need_id, []).append(t)
        for need in rows:
            need.proposals = proposals.get(need.pk, [])[:5]
            need.planned_transfers = planned.get(need.pk, [])
            need.needs_exception = services.level_exception_needed(
                need.technique, need.response.facility
            )
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            surveys=surveys,
            survey=survey,
            status=status,
            statuses=NeedStatus.choices,
            needs=rows,
            page_obj=page,
            querystring=query.urlencode(),
            can_accept=can(user, TechniqueTransfer, "add") and services.can_direct(user),
            programmes=list(open_programmes(user)),
            active_nav="matching",
        )
        return ctx


class NeedProposalsView(ScopedViewMixin, TemplateView):
    """One need's proposals; POST accepts one of them into a programme."""

    model = TechniqueNeed
    template_name = "transfers/need_proposals.html"

    def get_need(self):
        return get_object_or_404(
            TechniqueNeed.objects.restrict(self.request.user, "view").select_related(
                "technique__specialty", "response__facility__admin_unit", "response__survey"
            ),
            pk=self.kwargs["pk"],
        )

    def can_accept(self):
        user = self.request.user
        return can(user, TechniqueTransfer, "add") and services.can_direct(user)

    def context(self, need, form=None):
        user = self.request.user
        return self.get_context_data(
            need=need,
            proposals=matching.propose(need) if need.status == NeedStatus.OPEN else [],
            transfers=TechniqueTransfer.objects.restrict(user, "view").filter(need=need),
            needs_exception=services.level_exception_needed(need.technique, need.response.facility),
            level_needed=TechnicalLevel(
                matching.level_needed(need.technique, need.response.facility)
            ).label,
            form=form,
            can_accept=self.can_accept(),
            programmes=list(open_programmes(user)),
            active_nav="matching",
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context(self.get_need()))

    def post(self, request, *args, **kwargs):
        need = self.get_need()
        if not self.can_accept():
            raise PermissionDenied(_("Your role does not allow this action."))
        form = AcceptProposalForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                transfer = matching.accept_proposal(
                    need,
                    data["provider"],
                    data["programme"],
                    user=request.user,
                    date=data["date"],
                    level_exception_reason=data["level_exception_reason"],
                    level_exception_decision=data["level_exception_decision"],
                )
            except ValidationError as exc:
                _add_errors(
                    form,
                    exc,
                    {
                        "level_exception": "level_exception_reason",
                        "state_date": "date",
                        "recipient": "provider",
                    },
                )
            else:
                messages.success(
                    request, _("Planned transfer created: %(name)s") % {"name": transfer}
                )
                return redirect(transfer.get_absolute_url())
        return self.render_to_response(self.context(need, form), status=400)
