"""Checklists: versioned templates of sections and questions, filled on a visit.

A template (``ChecklistTemplate``) is identified by its code and version. A draft version
may be edited; a published version is frozen (editing it means making a new version from
it); publishing a version retires the earlier published one of the same code. A fill
(``ChecklistFill``) answers one version for one facility, normally on a visit to it; its
scores are computed by ``doha.checklists.services`` and stored when it is submitted.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.permissions import Action, Role
from doha.core.scope import RestrictedQuerySet, can
from doha.core.text import format_number
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.visits.models import Visit, VisitKind

# Templates are national or provincial reference texts: DOH officers and system
# administrators write them, every other role reads them.
TEMPLATE_EDITOR_ROLES = {Role.SYSTEM_ADMIN, Role.DOH_OFFICER}
READ_ACTIONS = {Action.VIEW, Action.EXPORT}


def may_edit_templates(user, action: str = "change") -> bool:
    """Whether the user's role may write checklist templates (scope aside)."""
    if not can(user, ChecklistTemplate, action):
        return False
    return user.is_superuser or getattr(user, "role", None) in TEMPLATE_EDITOR_ROLES


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("No longer used")


class AnswerType(models.TextChoices):
    YES_NO = "yes_no", _("Yes/no")
    SCORE = "score", _("Score 0..n")
    NUMBER = "number", _("Number (value)")
    TEXT = "text", _("Text (not scored)")


class FillStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class ChecklistTemplateQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = "view"):
        """Every signed-in user reads every template; writing is for DOH officers and
        system administrators, on the templates their unit (or a unit below it) owns."""
        if action in READ_ACTIONS:
            if not can(user, self.model, action):
                return self.none()
            return self.all()
        if user is None or not user.is_authenticated or not may_edit_templates(user, action):
            return self.none()
        return super().restrict(user, action)


class ChecklistTemplate(BaseModel):
    """One version of a checklist (bảng kiểm)."""

    scope_path_field = "owner__path"
    permission_resource = "checklisttemplate"

    objects = ChecklistTemplateQuerySet.as_manager()

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    code = models.CharField(
        _("code"),
        max_length=40,
        help_text=_("The same for every version of the checklist, e.g. GS-TTYT."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=300)
    visit_kind = models.CharField(
        _("visit kind"), max_length=12, choices=VisitKind.choices, default=VisitKind.SUPERVISION
    )
    owner = models.ForeignKey(
        OrgUnit,
        verbose_name=_("owner unit"),
        on_delete=models.PROTECT,
        related_name="checklist_templates",
        help_text=_("The department of health (or ministry) that writes this checklist."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    description = models.TextField(_("description"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="checklist_code_version")
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def get_absolute_url(self):
        return reverse("checklists:template_detail", args=[self.uid])

    @property
    def is_draft(self) -> bool:
        return self.status == TemplateStatus.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == TemplateStatus.PUBLISHED


class ChecklistSection(BaseModel):
    permission_resource = "checklisttemplate"

    template = models.ForeignKey(
        ChecklistTemplate,
        verbose_name=_("checklist template"),
        on_delete=models.CASCADE,
        related_name="sections",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=300)
    weight = models.DecimalField(
        _("weight"),
        max_digits=7,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("The section's weight in the overall score."),
    )

    class Meta:
        verbose_name = _("checklist section")
        verbose_name_plural = _("checklist sections")
        ordering = ["template", "order", "pk"]

    def __str__(self):
        return self.title

    @property
    def weight_display(self) -> str:
        return format_number(self.weight, 0 if self.weight == int(self.weight) else 2)


class ChecklistQuestion(BaseModel):
    permission_resource = "checklisttemplate"

    section = models.ForeignKey(
        ChecklistSection,
        verbose_name=_("section"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.TextField(_("question"))
    answer_type = models.CharField(_("answer type"), max_length=8, choices=AnswerType.choices)
    max_score = models.PositiveSmallIntegerField(
        _("maximum score"),
        null=True,
        blank=True,
        help_text=_("For a 0..n score: n, the score that gives full marks."),
    )
    target = models.DecimalField(
        _("target"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("For a number: the value that gives full marks; without it, not scored."),
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=7,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
    )
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        verbose_name = _("checklist question")
        verbose_name_plural = _("checklist questions")
        ordering = ["section", "order", "pk"]

    def __str__(self):
        return self.text if len(self.text) <= 80 else self.text[:77] + "..."

    @property
    def is_scored(self) -> bool:
        if self.answer_type == AnswerType.TEXT:
            return False
        if self.answer_type == AnswerType.NUMBER:
            return self.target is not None and self.target > 0
        return True

    @property
    def limit(self):
        """The "max score/target" cell of the spreadsheet."""
        if self.answer_type == AnswerType.SCORE:
            return self.max_score
        if self.answer_type == AnswerType.NUMBER:
            return self.target
        return None

    @property
    def weight_display(self) -> str:
        return format_number(self.weight, 0 if self.weight == int(self.weight) else 2)


class ChecklistFill(BaseModel):
    """A template version answered for one facility, normally on a visit to it."""

    # The facility checked, and the unit that went on the visit, both see it.
    scope_path_field = ("facility__path", "visit__visiting__path")
    permission_resource = "checklistfill"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    template = models.ForeignKey(
        ChecklistTemplate,
        verbose_name=_("checklist template"),
        on_delete=models.PROTECT,
        related_name="fills",
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("official visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checklist_fills",
    )
    facility = models.ForeignKey(
        OrgUnit,
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="checklist_fills",
    )
    date = models.DateField(_("date"))
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FillStatus.choices, default=FillStatus.DRAFT
    )
    overall_score = models.DecimalField(
        _("overall score"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    # [{"section": pk, "title": ..., "weight": "1", "score": "62.5" or None,
    #   "obtained": "2.5", "possible": "4"}] as computed on submit.
    section_scores = models.JSONField(_("section scores"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("checklist fill")
        verbose_name_plural = _("checklist fills")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["facility", "date"])]

    def __str__(self):
        return f"{self.template.name} – {self.facility} ({self.date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("checklists:fill_detail", args=[self.uid])

    @property
    def is_submitted(self) -> bool:
        return self.status == FillStatus.SUBMITTED

    @property
    def visit_kind(self) -> str:
        return self.visit.kind if self.visit_id else self.template.visit_kind

    @property
    def overall_display(self) -> str:
        return format_number(self.overall_score, 1) if self.overall_score is not None else ""


class ChecklistAnswer(BaseModel):
    scope_path_field = ("fill__facility__path", "fill__visit__visiting__path")
    permission_resource = "checklistfill"

    fill = models.ForeignKey(
        ChecklistFill,
        verbose_name=_("checklist fill"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    question = models.ForeignKey(
        ChecklistQuestion,
        verbose_name=_("question"),
        on_delete=models.PROTECT,
        related_name="answers",
    )
    yes_no = models.BooleanField(_("yes/no"), null=True, blank=True)
    number = models.DecimalField(
        _("number or score"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("checklist answer")
        verbose_name_plural = _("checklist answers")
        ordering = ["fill", "question__section__order", "question__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["fill", "question"], name="checklist_answer_once")
        ]

    def __str__(self):
        return f"{self.question}: {self.value}"

    @property
    def value(self):
        kind = self.question.answer_type
        if kind == AnswerType.YES_NO:
            return self.yes_no
        if kind in (AnswerType.SCORE, AnswerType.NUMBER):
            return self.number
        return self.text

    @property
    def is_answered(self) -> bool:
        value = self.value
        return value is not None and value != ""
