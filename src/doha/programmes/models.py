"""Needs surveys, assessments of conditions, cooperation programmes and support plans."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty, Technique
from doha.core.models import BaseModel
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit


class Framework(models.TextChoices):
    LINE_DIRECTION = "line_direction", _("Line-direction programme")
    PROJECT_1816 = "project_1816", _("Project 1816")
    SATELLITE = "satellite", _("Satellite hospital project")
    COOPERATION = "cooperation", _("Cooperation programme")
    OTHER = "other", _("Other")


# ---------------------------------------------------------------- needs surveys


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for answers")
    CLOSED = "closed", _("Closed")


class NeedsSurvey(BaseModel):
    """A call (khảo sát nhu cầu) for facilities to register what they need."""

    scope_path_field = ("organiser__path", "facilities__path")
    permission_resource = "survey"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    title = models.CharField(_("title"), max_length=300)
    organiser = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="surveys_organised",
        help_text=_("The Department of Health or upper-level hospital running the survey."),
    )
    framework = models.CharField(
        _("framework"), max_length=30, choices=Framework.choices, default=Framework.LINE_DIRECTION
    )
    facilities = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("facilities asked"),
        related_name="surveys_received",
        help_text=_("The facilities that answer (for a whole province, choose its units)."),
    )
    opens_on = models.DateField(_("opens on"), default=timezone.localdate)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.OPEN
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("needs survey")
        verbose_name_plural = _("needs surveys")
        ordering = ["-opens_on", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("programmes:survey_detail", args=[self.uid])

    def clean(self):
        if self.deadline and self.opens_on and self.deadline < self.opens_on:
            raise ValidationError({"deadline": _("The deadline is before the opening date.")})


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Being filled in")
    SUBMITTED = "submitted", _("Submitted")


class SurveyResponse(BaseModel):
    """One facility's answer to a survey: its needs of every kind."""

    scope_path_field = ("facility__path", "survey__organiser__path")
    permission_resource = "need"

    survey = models.ForeignKey(
        NeedsSurvey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses"
    )
    facility = models.ForeignKey(
        OrgUnit,
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="survey_responses",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    contact = models.CharField(_("contact person"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["survey", "facility__sort_name"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "facility"], name="response_unique")
        ]

    def __str__(self):
        return f"{self.facility} – {self.survey}"

    def get_absolute_url(self):
        return reverse("programmes:response_detail", args=[self.pk])


class NeedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PLANNED = "planned", _("Planned")
    DROPPED = "dropped", _("Dropped")


class Priority(models.IntegerChoices):
    HIGH = 1, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 3, _("Low")


class NeedBase(BaseModel):
    scope_path_field = ("response__facility__path", "response__survey__organiser__path")
    permission_resource = "need"

    response = models.ForeignKey(
        SurveyResponse,
        verbose_name=_("response"),
        on_delete=models.CASCADE,
        related_name="%(class)ss",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.MEDIUM
    )
    # Every kind of need is planned (taken into a programme) or dropped, not only techniques:
    # the province table filters all four kinds by it.
    status = models.CharField(
        _("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        abstract = True


class TechniqueNeed(NeedBase):
    """A technique the facility asks to receive by transfer."""

    technique = models.ForeignKey(
        Technique, verbose_name=_("technique"), on_delete=models.PROTECT, related_name="needs"
    )
    people_to_train = models.PositiveSmallIntegerField(_("people to train"), default=1)

    class Meta:
        verbose_name = _("technique need")
        verbose_name_plural = _("technique needs")
        ordering = ["priority", "technique__code"]
        constraints = [
            models.UniqueConstraint(fields=["response", "technique"], name="techneed_unique")
        ]

    def __str__(self):
        return f"{self.response.facility}: {self.technique}"


class TrainingKind(models.TextChoices):
    SHORT_TERM = "short_term", _("Short-term training")
    LONG_TERM = "long_term", _("Long-term training")
    CME = "cme", _("Continuing medical education (CME)")
    HANDS_ON = "hands_on", _("Hands-on coaching")
    MANAGEMENT = "management", _("Management training")


class TrainingNeed(NeedBase):
    kind = models.CharField(_("kind of training"), max_length=20, choices=TrainingKind.choices)
    topic = models.CharField(_("topic"), max_length=300)
    specialty = models.ForeignKey(
        Specialty,
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_needs",
    )
    people = models.PositiveSmallIntegerField(_("number of people"), default=1)

    class Meta:
        verbose_name = _("training need")
        verbose_name_plural = _("training needs")
        ordering = ["priority", "kind"]

    def __str__(self):
        return f"{self.response.facility}: {self.topic}"


class TeleconsultNeed(NeedBase):
    specialty = models.ForeignKey(
        Specialty,
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        related_name="teleconsult_needs",
    )
    sessions_per_month = models.PositiveSmallIntegerField(
        _("consultations per month"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("remote-consultation need")
        verbose_name_plural = _("remote-consultation needs")
        ordering = ["priority"]

    def __str__(self):
        return f"{self.response.facility}: {self.specialty}"


class EquipmentNeed(NeedBase):
    item = models.CharField(_("equipment"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    estimated_value = models.PositiveBigIntegerField(
        _("estimated value (VND)"), null=True, blank=True
    )
    specialty = models.ForeignKey(
        Specialty,
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="equipment_needs",
        help_text=_("The specialty the equipment serves, if one."),
    )

    class Meta:
        verbose_name = _("equipment need")
        verbose_name_plural = _("equipment needs")
        ordering = ["priority"]

    def __str__(self):
        return f"{self.response.facility}: {self.item}"


# ---------------------------------------------------------------- assessments

SCORE = [MinValueValidator(0), MaxValueValidator(10)]


class Assessment(BaseModel):
    """Thẩm định điều kiện: staff, equipment, infrastructure and capacity per specialty."""

    scope_path_field = ("facility__path", "assessor__path")
    permission_resource = "assessment"

    facility = models.ForeignKey(
        OrgUnit,
        verbose_name=_("facility assessed"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    assessor = models.ForeignKey(
        OrgUnit,
        verbose_name=_("assessing unit"),
        on_delete=models.PROTECT,
        related_name="assessments_made",
    )
    date = models.DateField(_("date"))
    response = models.ForeignKey(
        SurveyResponse,
        verbose_name=_("survey response"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
    )
    programme = models.ForeignKey(
        "Programme",
        verbose_name=_("programme"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
    )
    team = models.CharField(_("assessment team"), max_length=500, blank=True)
    staff_score = models.PositiveSmallIntegerField(_("staff (0-10)"), validators=SCORE)
    staff_comment = models.TextField(_("staff: comment"), blank=True)
    equipment_score = models.PositiveSmallIntegerField(_("equipment (0-10)"), validators=SCORE)
    equipment_comment = models.TextField(_("equipment: comment"), blank=True)
    infrastructure_score = models.PositiveSmallIntegerField(
        _("infrastructure (0-10)"), validators=SCORE
    )
    infrastructure_comment = models.TextField(_("infrastructure: comment"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)

    class Meta:
        verbose_name = _("assessment of conditions")
        verbose_name_plural = _("assessments of conditions")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.facility} ({self.date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("programmes:assessment_detail", args=[self.pk])

    @property
    def overall_score(self):
        return round((self.staff_score + self.equipment_score + self.infrastructure_score) / 3, 1)


class SpecialtyCapacity(BaseModel):
    """The assessed technique capacity of one specialty of the facility."""

    scope_path_field = ("assessment__facility__path", "assessment__assessor__path")
    permission_resource = "assessment"

    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("assessment"),
        on_delete=models.CASCADE,
        related_name="specialties",
    )
    specialty = models.ForeignKey(Specialty, verbose_name=_("specialty"), on_delete=models.PROTECT)
    score = models.PositiveSmallIntegerField(_("capacity (0-10)"), validators=SCORE)
    staff_count = models.PositiveSmallIntegerField(_("staff"), null=True, blank=True)
    techniques_performed = models.PositiveSmallIntegerField(
        _("techniques performed"), null=True, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("specialty capacity")
        verbose_name_plural = _("specialty capacities")
        ordering = ["specialty__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "specialty"], name="specialtycapacity_unique"
            )
        ]

    def __str__(self):
        return f"{self.specialty}: {self.score}"


# ---------------------------------------------------------------- programmes


class ProgrammeKind(models.TextChoices):
    COOPERATION = "cooperation", _("Cooperation programme")
    SUPPORT_PLAN = "support_plan", _("Comprehensive support plan")
    TRANSFER_CONTRACT = "transfer_contract", _("Technique transfer contract")
    AGREEMENT = "agreement", _("Agreement")


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ContentArea(models.TextChoices):
    TRAINING = "training", _("Training")
    TECHNIQUE_TRANSFER = "technique_transfer", _("Technique transfer")
    EQUIPMENT = "equipment", _("Equipment investment support")
    SOCIALISATION = "socialisation", _("Socialisation")
    SECONDMENT = "secondment", _("Secondment and rotation")
    JOINT_CLINIC = "joint_clinic", _("Joint clinics")
    TELEMEDICINE = "telemedicine", _("Telemedicine")
    MANAGEMENT = "management", _("Management capacity")
    ASSIGNED_TASKS = "assigned_tasks", _("Support for assigned tasks")


class Programme(BaseModel):
    """A cooperation programme, support plan or transfer contract between units."""

    scope_path_field = ("parties__org_unit__path",)
    permission_resource = "programme"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    number = models.CharField(
        _("number and symbol"), max_length=60, blank=True, help_text=_("e.g. 544/CT-SYT")
    )
    title = models.CharField(_("title"), max_length=400)
    kind = models.CharField(_("kind"), max_length=30, choices=ProgrammeKind.choices)
    framework = models.CharField(
        _("framework"), max_length=30, choices=Framework.choices, default=Framework.COOPERATION
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    status = models.CharField(
        _("status"), max_length=12, choices=ProgrammeStatus.choices, default=ProgrammeStatus.ACTIVE
    )
    survey = models.ForeignKey(
        NeedsSurvey,
        verbose_name=_("needs survey"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="programmes",
    )
    description = models.TextField(_("description"), blank=True)
    min_secondment_months = models.PositiveSmallIntegerField(
        _("shortest secondment (months)"), default=3
    )
    max_secondment_months = models.PositiveSmallIntegerField(
        _("longest secondment (months)"), default=6
    )

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-start_date", "title"]

    def __str__(self):
        return f"{self.number} {self.title}".strip()

    def get_absolute_url(self):
        return reverse("programmes:programme_detail", args=[self.uid])

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end is before the start.")
        if self.min_secondment_months > self.max_secondment_months:
            errors["max_secondment_months"] = _("The longest is shorter than the shortest.")
        if errors:
            raise ValidationError(errors)


class ProgrammeArea(BaseModel):
    """A content area the programme covers (seed 002: four areas)."""

    scope_path_field = ("programme__parties__org_unit__path",)
    permission_resource = "programme"

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="areas"
    )
    area = models.CharField(_("content area"), max_length=30, choices=ContentArea.choices)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("content area")
        verbose_name_plural = _("content areas")
        ordering = ["programme", "area"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "area"], name="programmearea_unique")
        ]

    def __str__(self):
        return self.get_area_display()


class Side(models.TextChoices):
    PROVIDER = "provider", _("Supporting side")
    RECIPIENT = "recipient", _("Receiving side")


class PartyRole(models.TextChoices):
    SIGNATORY = "signatory", _("Signatory")
    IMPLEMENTER = "implementer", _("Implementing unit")


class ProgrammeParty(BaseModel):
    """A unit taking part: who signed, and who implements, on each side."""

    scope_path_field = ("programme__parties__org_unit__path",)
    permission_resource = "programme"

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="parties"
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="programme_roles"
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    role = models.CharField(_("role"), max_length=12, choices=PartyRole.choices)
    area = models.CharField(
        _("content area"),
        max_length=30,
        choices=ContentArea.choices,
        blank=True,
        help_text=_("For an implementing unit: the area it is assigned (empty: all)."),
    )
    assignment = models.CharField(
        _("assignment"),
        max_length=500,
        blank=True,
        help_text=_("e.g. the department assigned: Khoa Nhi."),
    )

    class Meta:
        verbose_name = _("programme party")
        verbose_name_plural = _("programme parties")
        ordering = ["programme", "side", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "org_unit", "side", "role", "area"], name="party_unique"
            )
        ]

    def __str__(self):
        return f"{self.org_unit} ({self.get_side_display()}, {self.get_role_display()})"


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ProgrammeItem(BaseModel):
    """A planned item of a programme, with its dates (seed 001: six support items)."""

    scope_path_field = ("programme__parties__org_unit__path",)
    permission_resource = "programme"

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="items"
    )
    number = models.PositiveSmallIntegerField(_("no."), default=1)
    area = models.CharField(_("content area"), max_length=30, choices=ContentArea.choices)
    title = models.CharField(_("item"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    provider = models.ForeignKey(
        OrgUnit,
        verbose_name=_("carried out by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recipient = models.ForeignKey(
        OrgUnit,
        verbose_name=_("for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    status = models.CharField(
        _("status"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.PLANNED
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("programme item")
        verbose_name_plural = _("programme items")
        ordering = ["programme", "number"]

    def __str__(self):
        return f"{self.number}. {self.title}"

    @property
    def is_late(self) -> bool:
        return self.status in {ItemStatus.PLANNED, ItemStatus.IN_PROGRESS} and (
            self.planned_end < timezone.localdate()
        )

    def clean(self):
        errors = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The end is before the start.")
        if self.status == ItemStatus.DONE and not self.done_on:
            errors["done_on"] = _("Give the date the item was done.")
        if errors:
            raise ValidationError(errors)
