"""Pages of visits and follow-up actions: lists with filters and .xlsx exports, details,
forms (a visit with its members and findings; an action from a finding) and an action's steps
(start, close with evidence, drop with a reason)."""

import os

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.scope import user_scope_path
from doha.core.tabular import export_response
from doha.core.views import ObjectListView, ScopedViewMixin, _add_errors
from doha.programmes.views import FormsetView
from doha.visits import services
from doha.visits.filters import ActionFilterSet, VisitFilterSet
from doha.visits.forms import (
    VISIT_FORMSETS,
    ActionForm,
    ActionStatusForm,
    AttachmentForm,
    VisitForm,
)
from doha.visits.models import (
    OPEN_STATUSES,
    Finding,
    FollowUpAction,
    Visit,
    VisitAttachment,
    today,
)


def _export_allowed(view):
    if not view.user_can("export"):
        raise PermissionDenied(_("Your role does not allow this action."))


def _date(value):
    return value.strftime("%d/%m/%Y") if value else ""


# ---------------------------------------------------------------- visits

VISIT_COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("Kind"), 18),
    (gettext_lazy("Title"), 45),
    (gettext_lazy("Host unit"), 35),
    (gettext_lazy("Visiting unit"), 35),
    (gettext_lazy("Start date"), 12),
    (gettext_lazy("End date"), 12),
    (gettext_lazy("Programme"), 30),
    (gettext_lazy("Members"), 40),
    (gettext_lazy("Findings"), 10),
    (gettext_lazy("Actions"), 10),
    (gettext_lazy("Open actions"), 12),
    (gettext_lazy("Purpose"), 40),
    (gettext_lazy("Lessons learnt"), 50),
]


def _visit_row(v):
    actions = list(v.actions.all())
    return [
        v.uid,
        v.get_kind_display(),
        v.title,
        v.host.name,
        v.visiting.name,
        _date(v.start_date),
        _date(v.end_date),
        str(v.programme) if v.programme_id else "",
        "; ".join(m.name for m in v.members.all()),
        len(v.findings.all()),
        len(actions),
        sum(1 for a in actions if a.status in OPEN_STATUSES),
        v.purpose,
        v.lessons,
    ]


class VisitListView(ObjectListView):
    model = Visit
    filterset_class = VisitFilterSet
    template_name = "visits/visit_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("host", "visiting", "programme")
            .prefetch_related("actions")
            .order_by("-start_date", "-pk")
        )

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _export_allowed(self)
            filterset = VisitFilterSet(
                request.GET, queryset=self.get_queryset("export"), request=request
            )
            qs = filterset.qs if filterset.is_valid() else filterset.queryset.none()
            qs = qs.prefetch_related("members", "findings")
            return export_response(
                [str(label) for label, _w in VISIT_COLUMNS],
                (_visit_row(v) for v in qs),
                "xlsx",
                "chuyen-cong-tac",
                sheet_title=_("Official visits"),
                widths=[w for _l, w in VISIT_COLUMNS],
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "active_nav": "visits"}


class VisitDetailView(ScopedViewMixin, TemplateView):
    model = Visit
    template_name = "visits/visit_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        visit = get_object_or_404(
            self.get_queryset().select_related("host", "visiting", "programme"),
            uid=self.kwargs["uid"],
        )
        can_edit = (
            self.user_can("change") and self.get_queryset("change").filter(pk=visit.pk).exists()
        )
        actions = visit.actions.select_related("owner_facility").order_by("due_date", "pk")
        findings = visit.findings.prefetch_related(Prefetch("actions", queryset=actions)).order_by(
            "order", "pk"
        )
        ctx.update(
            object=visit,
            members=visit.members.select_related("person").order_by("pk"),
            findings=findings,
            loose_actions=actions.filter(finding__isnull=True),
            attachments=visit.attachments.order_by("pk"),
            attachment_form=kwargs.get("attachment_form") or AttachmentForm(),
            can_edit=can_edit,
            active_nav="visits",
        )
        return ctx


class VisitFormView(FormsetView):
    model = Visit
    form_class = VisitForm
    formsets = VISIT_FORMSETS
    template_name = "visits/visit_form.html"

    def build(self, data=None):
        instance = self.get_instance()
        form = self.form_class(data, instance=instance, **self.form_kwargs())
        formsets = {
            prefix: cls(
                data,
                instance=instance,
                prefix=prefix,
                form_kwargs={"user": self.request.user} if prefix == "members" else {},
            )
            for prefix, (_key, cls, _title) in self.formsets.items()
        }
        return form, formsets

    def get_instance(self):
        if "uid" not in self.kwargs:
            return Visit()
        if not hasattr(self, "_instance"):
            self._instance = self.get_object("change")
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            object=self.get_instance() if "uid" in self.kwargs else None, active_nav="visits"
        )
        return ctx

    def perform(self, form, rows):
        return services.save_visit(form.save(commit=False), user=self.request.user, **rows)


class VisitCreateView(VisitFormView):
    action = "add"


class VisitEditView(VisitFormView):
    action = "change"


class AttachmentAddView(ScopedViewMixin, TemplateView):
    """Upload a file to a visit (from its page)."""

    model = Visit
    action = "change"
    template_name = "visits/visit_detail.html"

    def get(self, request, *args, **kwargs):
        # The upload form lives on the visit's page.
        return redirect(self.get_object("view").get_absolute_url())

    def post(self, request, *args, **kwargs):
        visit = self.get_object("change")
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.add_attachment(
                    visit,
                    form.cleaned_data["file"],
                    form.cleaned_data.get("description") or "",
                    user=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("File added."))
                return redirect(visit.get_absolute_url())
        view = VisitDetailView(request=request, kwargs=self.kwargs, args=())
        ctx = view.get_context_data(attachment_form=form)
        return self.render_to_response(ctx, status=400)


class AttachmentDownloadView(ScopedViewMixin, TemplateView):
    """Attachments are served only through here, to users who see the visit."""

    model = VisitAttachment

    def get_lookup(self):
        return {"pk": self.kwargs["pk"], "visit__uid": self.kwargs["uid"]}

    def get(self, request, *args, **kwargs):
        attachment = self.get_object()
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("The file is missing.")) from exc
        name = os.path.basename(attachment.file.name)
        return FileResponse(handle, as_attachment=True, filename=name)


# ---------------------------------------------------------------- actions

ACTION_COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("What to do"), 50),
    (gettext_lazy("Owner facility"), 35),
    (gettext_lazy("Person responsible"), 25),
    (gettext_lazy("Due date"), 12),
    (gettext_lazy("Status"), 14),
    (gettext_lazy("Overdue"), 10),
    (gettext_lazy("Days overdue"), 10),
    (gettext_lazy("Closed on"), 12),
    (gettext_lazy("On time"), 10),
    (gettext_lazy("Evidence"), 40),
    (gettext_lazy("Reason for dropping"), 30),
    (gettext_lazy("Official visit"), 40),
    (gettext_lazy("Finding"), 40),
]


def _yes_no(value):
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _action_row(a):
    return [
        a.uid,
        a.description,
        a.owner_facility.name,
        a.owner_person,
        _date(a.due_date),
        a.get_status_display(),
        _yes_no(a.is_overdue),
        a.days_overdue or "",
        _date(a.closed_on),
        _yes_no(a.closed_on_time),
        a.evidence,
        a.drop_reason,
        a.visit.title,
        a.finding.text if a.finding_id else "",
    ]


class ActionListView(ObjectListView):
    """Follow-up actions across the user's scope, overdue ones first."""

    model = FollowUpAction
    filterset_class = ActionFilterSet
    template_name = "visits/action_list.html"
    mine = False

    def get_queryset(self, action=None):
        qs = super().get_queryset(action)
        if self.mine:
            # "My facility's actions": those the user's own facility (or one below) owns.
            prefix = user_scope_path(self.request.user)
            if prefix is None:
                qs = qs.none()
            elif prefix:
                qs = qs.filter(owner_facility__path__startswith=prefix)
        overdue = Q(status__in=OPEN_STATUSES, due_date__lt=today())
        return (
            qs.select_related("owner_facility", "visit", "finding")
            .annotate(
                overdue_first=Case(
                    When(overdue, then=Value(0)),
                    When(status__in=OPEN_STATUSES, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                )
            )
            .order_by("overdue_first", "due_date", "pk")
        )

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            _export_allowed(self)
            filterset = ActionFilterSet(
                request.GET, queryset=self.get_queryset("export"), request=request
            )
            qs = filterset.qs if filterset.is_valid() else filterset.queryset.none()
            return export_response(
                [str(label) for label, _w in ACTION_COLUMNS],
                (_action_row(a) for a in qs),
                "xlsx",
                "hanh-dong-khac-phuc",
                sheet_title=_("Follow-up actions"),
                widths=[w for _l, w in ACTION_COLUMNS],
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        base = self.get_queryset()
        ctx.update(
            mine=self.mine,
            overdue_total=base.filter(status__in=OPEN_STATUSES, due_date__lt=today()).count(),
            list_url="visits:my_actions" if self.mine else "visits:actions",
            active_nav="visit_actions",
        )
        return ctx


class MyActionListView(ActionListView):
    mine = True


class ActionDetailView(ScopedViewMixin, TemplateView):
    model = FollowUpAction
    template_name = "visits/action_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        action = get_object_or_404(
            self.get_queryset().select_related("visit", "finding", "owner_facility"),
            uid=self.kwargs["uid"],
        )
        can_change = (
            self.user_can("change") and self.get_queryset("change").filter(pk=action.pk).exists()
        )
        ctx.update(
            object=action,
            can_change=can_change,
            status_form=kwargs.get("status_form") or ActionStatusForm(),
            active_nav="visit_actions",
        )
        return ctx


class ActionStatusView(ScopedViewMixin, TemplateView):
    """Start, close (with evidence) or drop (with a reason) an action."""

    model = FollowUpAction
    action = "change"
    template_name = "visits/action_detail.html"

    def post(self, request, *args, **kwargs):
        action = self.get_object("change")
        form = ActionStatusForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    action = services.change_status(
                        action,
                        data["step"],
                        on=data.get("closed_on"),
                        evidence=data.get("evidence") or "",
                        evidence_file=data.get("evidence_file"),
                        reason=data.get("drop_reason") or "",
                        user=request.user,
                    )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Status changed: %(status)s.") % {"status": action.get_status_display()},
                )
                return redirect(action.get_absolute_url())
        view = ActionDetailView(request=request, kwargs=self.kwargs, args=())
        return self.render_to_response(view.get_context_data(status_form=form), status=400)


class ActionFormView(ScopedViewMixin, TemplateView):
    """Raise an action on a visit (from one of its findings), or edit what it asks."""

    model = FollowUpAction
    template_name = "visits/action_form.html"

    def get_instance(self):
        """The action being edited (the create view makes a new one)."""
        if not hasattr(self, "_instance"):
            self._instance = self.get_object("change")
        return self._instance

    def get_visit(self):
        return self.get_instance().visit

    def get_form(self, data=None):
        visit = self.get_visit()
        initial = {}
        finding = self.request.GET.get("finding")
        if finding and finding.isdigit():
            initial["finding"] = Finding.objects.filter(visit=visit, pk=finding).first()
        if self.get_instance().pk is None:
            initial["owner_facility"] = visit.host
        return ActionForm(
            data,
            instance=self.get_instance(),
            visit=visit,
            user=self.request.user,
            initial=initial,
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            action = form.save(commit=False)
            action.visit = self.get_visit()
            try:
                with transaction.atomic():
                    action = services.save_action(action, user=request.user)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": action})
                return redirect(action.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        instance = self.get_instance()
        return {
            **super().get_context_data(**kwargs),
            "visit": self.get_visit(),
            "object": instance if instance.pk else None,
            "active_nav": "visit_actions",
        }


class ActionCreateView(ActionFormView):
    action = "add"

    def get_visit(self):
        if not hasattr(self, "_visit"):
            self._visit = get_object_or_404(
                Visit.objects.restrict(self.request.user, "change"), uid=self.kwargs["uid"]
            )
        return self._visit

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = FollowUpAction(visit=self.get_visit())
        return self._instance


class ActionEditView(ActionFormView):
    action = "change"


class ActionEvidenceView(ScopedViewMixin, TemplateView):
    """An action's evidence file, only for users who see the action."""

    model = FollowUpAction

    def get(self, request, *args, **kwargs):
        action = self.get_object()
        if not action.evidence_file:
            raise Http404(_("The file is missing."))
        try:
            handle = action.evidence_file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("The file is missing.")) from exc
        name = os.path.basename(action.evidence_file.name)
        return FileResponse(handle, as_attachment=True, filename=name)
