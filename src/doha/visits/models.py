"""Visits (chuyến công tác) between units, their findings and the follow-up actions they raise."""

import datetime

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme


class VisitKind(models.TextChoices):
    SUPERVISION = "supervision", _("Supervision (giám sát)")
    WORKING = "working", _("Working visit")
    ASSESSMENT = "assessment", _("Assessment")
    STUDY_TOUR = "study_tour", _("Study tour (tham quan học tập)")
    OTHER = "other", _("Other")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


CLOSED_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)
OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


def today() -> datetime.date:
    return timezone.localdate()


class Visit(BaseModel):
    """One visit: a visiting unit goes to a host facility (supervision, study tour...)."""

    scope_path_field = ("host__path", "visiting__path")
    permission_resource = "visit"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=VisitKind.choices)
    title = models.CharField(_("title"), max_length=300)
    host = models.ForeignKey(
        OrgUnit,
        verbose_name=_("host unit"),
        on_delete=models.PROTECT,
        related_name="visits_hosted",
        help_text=_("The facility or unit visited."),
    )
    visiting = models.ForeignKey(
        OrgUnit,
        verbose_name=_("visiting unit"),
        on_delete=models.PROTECT,
        related_name="visits_made",
        help_text=_("The unit that goes on the visit."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.DONE
    )
    purpose = models.TextField(_("purpose"), blank=True)
    lessons = models.TextField(_("lessons learnt"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("official visit")
        verbose_name_plural = _("official visits")
        ordering = ["-start_date", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("visits:detail", args=[self.uid])

    @property
    def period_display(self) -> str:
        if self.start_date == self.end_date:
            return f"{self.start_date:%d/%m/%Y}"
        return f"{self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y}"


class VisitMember(BaseModel):
    """A member of the visiting team."""

    scope_path_field = ("visit__host__path", "visit__visiting__path")
    permission_resource = "visit"

    visit = models.ForeignKey(
        Visit, verbose_name=_("official visit"), on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(
        HealthWorker,
        verbose_name=_("health worker"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
    )
    name = models.CharField(_("name"), max_length=200)
    position = models.CharField(_("position or role"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("visit member")
        verbose_name_plural = _("visit members")
        ordering = ["visit", "pk"]

    def __str__(self):
        return self.name


class VisitAttachment(BaseModel):
    """A file of the visit: minutes, report, photos."""

    scope_path_field = ("visit__host__path", "visit__visiting__path")
    permission_resource = "visit"

    visit = models.ForeignKey(
        Visit,
        verbose_name=_("official visit"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to="visits/attachments/%Y/")
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")
        ordering = ["visit", "pk"]

    def __str__(self):
        return self.description or self.file.name.rsplit("/", 1)[-1]


class Finding(BaseModel):
    """What was seen on the visit, in one area."""

    scope_path_field = ("visit__host__path", "visit__visiting__path")
    permission_resource = "visit"

    visit = models.ForeignKey(
        Visit, verbose_name=_("official visit"), on_delete=models.CASCADE, related_name="findings"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    area = models.CharField(_("area"), max_length=200, blank=True)
    text = models.TextField(_("finding"))

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["visit", "order", "pk"]

    def __str__(self):
        text = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return f"{self.area}: {text}" if self.area else text


class FollowUpAction(BaseModel):
    """Something a facility must do after a visit, with an owner and a due date."""

    # The owner facility sees its actions even when it is neither host nor visitor.
    scope_path_field = ("visit__host__path", "visit__visiting__path", "owner_facility__path")
    permission_resource = "visit"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("official visit"), on_delete=models.CASCADE, related_name="actions"
    )
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
    )
    description = models.TextField(_("what to do"))
    owner_facility = models.ForeignKey(
        OrgUnit,
        verbose_name=_("owner facility"),
        on_delete=models.PROTECT,
        related_name="followup_actions",
    )
    owner_person = models.CharField(_("person responsible"), max_length=200, blank=True)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    drop_reason = models.TextField(_("reason for dropping"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to="visits/evidence/%Y/", blank=True
    )

    class Meta:
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["owner_facility", "due_date"])]

    def __str__(self):
        text = self.description if len(self.description) <= 80 else self.description[:77] + "..."
        return text

    def get_absolute_url(self):
        return reverse("visits:action_detail", args=[self.uid])

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_date < today()

    @property
    def closed_on_time(self) -> bool | None:
        """True when done on or before the due date, False when done late; None otherwise."""
        if self.status != ActionStatus.DONE or self.closed_on is None:
            return None
        return self.closed_on <= self.due_date

    @property
    def days_overdue(self) -> int:
        if not self.is_overdue:
            return 0
        return (today() - self.due_date).days
