"""Training courses, enrolments, results and the certificates they earn."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.text import fold
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.people.models import CmeEntry, HealthWorker
from doha.programmes.models import Programme


class CourseKind(models.TextChoices):
    SHORT_TERM = "short_term", _("Short-term training")
    LONG_TERM = "long_term", _("Long-term training")
    CME = "cme", _("Continuing medical education (CME)")
    HANDS_ON = "hands_on", _("Hands-on coaching (cầm tay chỉ việc)")
    MANAGEMENT = "management", _("Management training")


class CourseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open for enrolment")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Result(models.TextChoices):
    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class Course(BaseModel):
    """A course organised by a unit; its enrolments may come from other facilities."""

    scope_path_field = ("organiser__path", "enrolments__worker__facility__path")
    permission_resource = "course"
    audit_exclude = ["search_text"]

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=CourseKind.choices)
    organiser = models.ForeignKey(
        OrgUnit, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="courses"
    )
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    online = models.BooleanField(_("online"), default=False)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    hours = models.DecimalField(
        _("credit hours"),
        max_digits=6,
        decimal_places=1,
        help_text=_("One hour of a short course counts as one CME credit hour."),
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty for no limit.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=CourseStatus.choices, default=CourseStatus.PLANNED
    )
    search_text = models.CharField(max_length=700, editable=False, db_index=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-start_date", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("training:detail", args=[self.uid])

    def save(self, *args, **kwargs):
        self.normalize_text_fields()
        self.search_text = f" {fold(self.title)} {fold(self.venue)} "
        super().save(*args, **kwargs)


class Enrolment(BaseModel):
    """A worker enrolled in a course: attendance, result and certificate."""

    scope_path_field = ("course__organiser__path", "worker__facility__path")
    permission_resource = "course"

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="enrolments"
    )
    worker = models.ForeignKey(
        HealthWorker,
        verbose_name=_("health worker"),
        on_delete=models.PROTECT,
        related_name="enrolments",
    )
    attendance_percent = models.PositiveSmallIntegerField(
        _("attendance (%)"), null=True, blank=True
    )
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    result_date = models.DateField(_("result recorded on"), null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=60, blank=True)
    cme_entry = models.OneToOneField(
        CmeEntry,
        verbose_name=_("CME entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolment",
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["course", "worker__sort_name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "worker"], name="enrolment_unique_worker"),
            models.UniqueConstraint(
                fields=["certificate_number"],
                condition=~models.Q(certificate_number=""),
                name="enrolment_unique_certificate",
            ),
        ]

    def __str__(self):
        return f"{self.worker.full_name} · {self.course}"

    def get_absolute_url(self):
        return self.course.get_absolute_url()


class Certificate(BaseModel):
    """A signed certificate issued for a passed enrolment; revoked, never deleted.

    The public code is derived from these fields and the instance's key (see signing.py):
    the serial, the issue date, the credit hours and a digest of holder and course.
    """

    scope_path_field = ("enrolment__course__organiser__path", "enrolment__worker__facility__path")
    permission_resource = "course"

    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("enrolment"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    serial = models.PositiveIntegerField(_("serial"), unique=True, editable=False)
    issued_on = models.DateField(_("issued on"))
    hours = models.DecimalField(_("credit hours"), max_digits=6, decimal_places=1)
    holder_digest = models.CharField(max_length=12, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-serial"]

    def __str__(self):
        return f"{self.enrolment.certificate_number or self.serial} · {self.enrolment}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def get_absolute_url(self):
        return self.enrolment.course.get_absolute_url()
