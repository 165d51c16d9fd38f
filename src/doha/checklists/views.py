"""Checklist pages: templates (list, detail, create, edit, sections and questions, publish,
new version, .xlsx export and import) and fills (on a visit, detail with scores and the
comparison with the previous fill, list with filters and .xlsx export).

Views are thin: every write goes through ``doha.checklists.services``."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.checklists import services
from doha.checklists.filters import FillFilterSet, TemplateFilterSet
from doha.checklists.forms import (
    FillForm,
    QuestionForm,
    SectionForm,
    TemplateChoiceForm,
    TemplateForm,
    TemplateImportForm,
)
from doha.checklists.imports import ChecklistTemplateImport, export_template
from doha.checklists.models import (
    ChecklistFill,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    TemplateStatus,
    may_edit_templates,
)
from doha.core.text import format_number
from doha.core.views import (
    ColumnExportMixin,
    ObjectFormView,
    ObjectListView,
    ScopedViewMixin,
    _add_errors,
)
from doha.visits.models import Visit


def score_text(value) -> str:
    return "—" if value is None else format_number(value, 1)


def delta_text(value) -> str:
    if value is None:
        return ""
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return sign + format_number(abs(value), 1)


class TemplateEditorMixin(ScopedViewMixin):
    """Template writes: DOH officers and system administrators, on their units' templates."""

    model = ChecklistTemplate
    action = "change"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_edit_templates(request.user, self.action):
            raise PermissionDenied(_("Your role does not allow this action."))
        return super().dispatch(request, *args, **kwargs)


# Templates ------------------------------------------------------------------------------


class TemplateListView(ObjectListView):
    model = ChecklistTemplate
    filterset_class = TemplateFilterSet
    template_name = "checklists/template_list.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("owner").order_by("code", "-version")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            can_add=may_edit_templates(self.request.user, "add"),
            can_import=may_edit_templates(self.request.user, "import"),
            active_nav="checklists",
        )
        return ctx


class TemplateDetailView(ScopedViewMixin, TemplateView):
    model = ChecklistTemplate
    template_name = "checklists/template_detail.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") in {"xlsx", "csv"}:
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            return export_template(self.get_object(), request.GET["export"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = self.get_object()
        writable = self.get_queryset("change").filter(pk=obj.pk).exists()
        ctx.update(
            object=obj,
            sections=obj.sections.prefetch_related("questions").order_by("order", "pk"),
            versions=ChecklistTemplate.objects.filter(code=obj.code).order_by("-version"),
            can_edit=writable and obj.is_draft,
            can_publish=writable and obj.is_draft,
            can_retire=writable and obj.is_published,
            can_new_version=writable and may_edit_templates(self.request.user, "add"),
            fill_count=ChecklistFill.objects.restrict(self.request.user)
            .filter(template=obj)
            .count(),
            active_nav="checklists",
        )
        return ctx


class TemplateCreateView(TemplateEditorMixin, ObjectFormView):
    action = "add"
    form_class = TemplateForm
    template_name = "checklists/form.html"

    def perform(self, form):
        return services.save_template(form.save(commit=False), user=self.request.user)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": _("New checklist"),
            "cancel_url": "checklists:template_list",
            "active_nav": "checklists",
        }


class TemplateEditView(TemplateCreateView):
    action = "change"

    def get_instance(self):
        if not hasattr(self, "_object"):
            self._object = self.get_object("change")
        return self._object

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and may_edit_templates(request.user, "change"):
            template = self.get_instance()
            if not template.is_draft:
                messages.error(
                    request, _("A published checklist is frozen: make a new version to change it.")
                )
                return redirect(template.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": _("Edit checklist"),
            "object": self.get_instance(),
        }


class TemplateActionView(TemplateEditorMixin, TemplateView):
    """POST only: publish, retire or make a new version."""

    operation = ""
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        template = self.get_object("add" if self.operation == "new_version" else "change")
        try:
            with transaction.atomic():
                result = getattr(services, self.operation)(template, user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(template.get_absolute_url())
        notes = {
            "publish": _("Version %(version)s is published; earlier versions are retired."),
            "retire": _("Version %(version)s is retired."),
            "new_version": _("Version %(version)s is a draft copy: change it, then publish it."),
        }
        messages.success(request, notes[self.operation] % {"version": result.version})
        return redirect(result.get_absolute_url())


class TemplateImportView(TemplateEditorMixin, TemplateView):
    action = "import"
    template_name = "checklists/template_import.html"

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("template")
        if fmt in {"xlsx", "csv"}:
            return ChecklistTemplateImport.template_response(fmt)
        form = TemplateImportForm(user=request.user, initial={"visit_kind": "supervision"})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = TemplateImportForm(request.POST, request.FILES, user=request.user)
        report = imported = None
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            importer = ChecklistTemplateImport(
                request.user,
                dry_run=data["dry_run"],
                code=data["code"],
                name=data["name"],
                visit_kind=data["visit_kind"],
                owner=data["owner"],
            )
            report = importer.run(data["file"])
            if report.ok:
                status = 200
                if not report.dry_run:
                    imported = importer.template
        return self.render_to_response(
            self.get_context_data(form=form, report=report, imported=imported), status=status
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "import_columns": ChecklistTemplateImport.column_rows(),
            "active_nav": "checklists",
        }


class DraftPartMixin(TemplateEditorMixin):
    """Sections and questions of a draft the user may change."""

    def template_for(self, uid):
        template = get_object_or_404(
            ChecklistTemplate.objects.restrict(self.request.user, "change"), uid=uid
        )
        return template


class SectionFormView(DraftPartMixin, ObjectFormView):
    form_class = SectionForm
    template_name = "checklists/form.html"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            if "pk" in self.kwargs:
                self._instance = get_object_or_404(
                    ChecklistSection, pk=self.kwargs["pk"], template=self.template
                )
            else:
                self._instance = ChecklistSection(template=self.template)
        return self._instance

    @cached_property
    def template(self):
        return self.template_for(self.kwargs["uid"])

    def perform(self, form):
        section = form.save(commit=False)
        section.template = self.template
        services.save_section(section, user=self.request.user)
        return self.template

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": _("Section of %(name)s") % {"name": self.template},
            "object": self.template,
            "active_nav": "checklists",
        }


class QuestionFormView(SectionFormView):
    """A question: new in a section (``adding``: ``pk`` is the section's) or changed."""

    form_class = QuestionForm
    adding = False

    def get_instance(self):
        if not hasattr(self, "_instance"):
            if self.adding:
                section = get_object_or_404(
                    ChecklistSection, pk=self.kwargs["pk"], template=self.template
                )
                self._instance = ChecklistQuestion(section=section)
            else:
                self._instance = get_object_or_404(
                    ChecklistQuestion, pk=self.kwargs["pk"], section__template=self.template
                )
        return self._instance

    def perform(self, form):
        question = form.save(commit=False)
        services.save_question(question, user=self.request.user)
        return self.template

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("Question in %(section)s") % {"section": self.get_instance().section}
        return ctx


class PartDeleteView(DraftPartMixin, TemplateView):
    http_method_names = ["post"]
    part = "section"

    def post(self, request, uid, pk):
        template = self.template_for(uid)
        try:
            if self.part == "section":
                section = get_object_or_404(ChecklistSection, pk=pk, template=template)
                services.delete_section(section, user=request.user)
            else:
                question = get_object_or_404(ChecklistQuestion, pk=pk, section__template=template)
                services.delete_question(question, user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Deleted."))
        return redirect(template.get_absolute_url())


# Fills ----------------------------------------------------------------------------------

FILL_COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("Date"), 12),
    (gettext_lazy("Facility"), 35),
    (gettext_lazy("Checklist template"), 40),
    (gettext_lazy("Version"), 9),
    (gettext_lazy("Official visit"), 40),
    (gettext_lazy("Status"), 12),
    (gettext_lazy("Overall score"), 12),
    (gettext_lazy("Section scores"), 60),
]


def _fill_row(f):
    sections = "; ".join(
        f"{s['title']}: {score_text(None if s.get('score') is None else float(s['score']))}"
        for s in f.section_scores or []
    )
    return [
        f.uid,
        f.date.strftime("%d/%m/%Y"),
        f.facility.name,
        f.template.name,
        f.template.version,
        f.visit.title if f.visit_id else "",
        f.get_status_display(),
        float(f.overall_score) if f.overall_score is not None else None,
        sections,
    ]


class FillListView(ColumnExportMixin, ObjectListView):
    model = ChecklistFill
    filterset_class = FillFilterSet
    template_name = "checklists/fill_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("template", "facility", "visit")
            .order_by("-date", "-pk")
        )

    columns = FILL_COLUMNS
    export_filename = "bang-kiem-da-dien"
    sheet_title = gettext_lazy("Checklist fills")

    def export_row(self, fill):
        return _fill_row(fill)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(can_add=False, active_nav="checklist_fills")
        return ctx


class FillDetailView(ScopedViewMixin, TemplateView):
    model = ChecklistFill
    template_name = "checklists/fill_detail.html"

    def get_object(self, action=None):
        return get_object_or_404(
            self.get_queryset(action).select_related(
                "template", "facility", "visit", "visit__visiting", "filled_by"
            ),
            uid=self.kwargs["uid"],
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        fill = self.get_object()
        comparison = services.compare_with_previous(fill, self.request.user)
        overall, section_scores = services.current_scores(fill)
        by_title = {}
        if comparison:
            by_title = {c.title: c for c in comparison.sections}
        answers = {a.question_id: a for a in fill.answers.all()}
        sections = []
        stored = {s["title"]: s for s in fill.section_scores or []}
        for (title, score), section in zip(
            section_scores,
            fill.template.sections.prefetch_related("questions").order_by("order", "pk"),
            strict=False,
        ):
            change = by_title.get(title)
            sections.append(
                {
                    "section": section,
                    "score": score_text(score),
                    "points": stored.get(title),
                    "previous": score_text(change.previous) if change else "",
                    "delta": delta_text(change.delta) if change else "",
                    "questions": [(q, answers.get(q.pk)) for q in section.questions.all()],
                }
            )
        ctx.update(
            object=fill,
            overall=score_text(overall),
            sections=sections,
            comparison=comparison,
            previous_overall=score_text(comparison.overall.previous) if comparison else "",
            overall_delta=delta_text(comparison.overall.delta) if comparison else "",
            can_edit=not fill.is_submitted
            and self.user_can("change")
            and self.get_queryset("change").filter(pk=fill.pk).exists(),
            active_nav="checklist_fills",
        )
        return ctx


class FillFormView(ScopedViewMixin, TemplateView):
    """Fill a checklist on a visit (``visits/<uid>/``), or go on with a draft
    (``fills/<uid>/edit/``). "Save draft" keeps it open; "Submit" checks the required
    questions, stores the scores and freezes it."""

    model = ChecklistFill
    action = "add"
    template_name = "checklists/fill_form.html"

    def setup_objects(self):
        if "visit" in self.kwargs:
            self.fill = None
            self.visit = get_object_or_404(
                Visit.objects.restrict(self.request.user, "view").select_related("host"),
                uid=self.kwargs["visit"],
            )
            self.template = None
            uid = self.request.GET.get("template") or self.request.POST.get("template")
            if uid:
                self.template = ChecklistTemplate.objects.filter(
                    uid=uid, status=TemplateStatus.PUBLISHED
                ).first()
                if self.template is None:
                    raise Http404
        else:
            self.action = "change"
            self.fill = get_object_or_404(
                self.get_queryset("change").select_related("template", "visit", "facility"),
                uid=self.kwargs["uid"],
            )
            if self.fill.is_submitted:
                raise PermissionDenied(_("This checklist was submitted: it cannot be changed."))
            self.visit, self.template = self.fill.visit, self.fill.template

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if "uid" in kwargs:
                self.action = "change"
            if not self.user_can(self.action):
                raise PermissionDenied(_("Your role does not allow this action."))
            self.setup_objects()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.template is None:
            choose = TemplateChoiceForm(kind=self.visit.kind)
            if not choose.fields["template"].queryset.exists():
                choose = TemplateChoiceForm()
            return self.render_to_response(self.get_context_data(choose=choose))
        if self.fill is not None:
            form = FillForm(template=self.template, initial=FillForm.initial_for(self.fill))
        else:
            form = FillForm(template=self.template, initial={"date": self.visit.start_date})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        if self.template is None:
            choose = TemplateChoiceForm(request.POST, kind=self.visit.kind)
            return self.render_to_response(self.get_context_data(choose=choose), status=400)
        form = FillForm(request.POST, template=self.template)
        submit = "submit" in request.POST
        if form.is_valid():
            fill = self.fill or ChecklistFill(
                template=self.template, visit=self.visit, facility=self.visit.host
            )
            fill.date = form.cleaned_data["date"]
            fill.notes = form.cleaned_data["notes"]
            try:
                fill = services.save_fill(
                    fill, form.answer_values(), user=request.user, submit=submit
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                if submit:
                    messages.success(
                        request,
                        _("Submitted: overall score %(score)s.")
                        % {"score": score_text(fill.overall_score)},
                    )
                else:
                    messages.success(request, _("Draft saved."))
                return redirect(fill.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        form = kwargs.get("form")
        return {
            **super().get_context_data(**kwargs),
            "visit": self.visit,
            "template": self.template,
            "fill": self.fill,
            "groups": form.grouped() if form is not None else [],
            "header_fields": [form["date"], form["notes"]] if form is not None else [],
            "question_errors": [
                (form[name].label, error)
                for name in (form.errors if form is not None else {})
                if name.startswith("q_")
                for error in form.errors[name]
            ],
            "active_nav": "checklist_fills",
        }
