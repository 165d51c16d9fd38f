"""Remote consultations (hội chẩn từ xa) and tele-education sessions (hub and spoke)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty
from doha.core.models import BaseModel
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker, Sex

# A Vietnamese citizen ID (CCCD) has 12 digits; a phone number 10 digits starting with 0
# (or +84 / 84 and 9 digits). Spaces, dots and dashes between digits are ignored.
_DIGIT_RUN = re.compile(r"\+?\d[\d .\-]{7,}\d")


def looks_like_identifier(text: str) -> str | None:
    """``"id"`` or ``"phone"`` when the text holds a citizen ID or a phone number."""
    for match in _DIGIT_RUN.finditer(text or ""):
        raw = match.group(0)
        digits = re.sub(r"\D", "", raw)
        if len(digits) == 12 and not raw.startswith("+") and not digits.startswith("84"):
            return "id"
        if (len(digits) in (10, 11) and digits.startswith("0")) or (
            len(digits) in (11, 12) and digits.startswith("84")
        ):
            return "phone"
        if len(digits) == 12:
            return "id"
    return None


def validate_deidentified(text: str) -> None:
    kind = looks_like_identifier(text)
    if kind == "id":
        raise ValidationError(
            _(
                "The summary seems to contain a citizen ID number (12 digits). Remove it: "
                "the patient summary must not identify the patient."
            ),
            code="identifier",
        )
    if kind == "phone":
        raise ValidationError(
            _(
                "The summary seems to contain a phone number. Remove it: the patient summary "
                "must not identify the patient."
            ),
            code="identifier",
        )


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    TREATED_LOCALLY = "treated_locally", _("Treated locally")
    REFERRED = "referred", _("Referred")
    TRANSFERRED = "transferred", _("Transferred")


class Consultation(BaseModel):
    """A remote consultation: a facility asks a hub for advice on one de-identified patient."""

    scope_path_field = ("requesting__path", "hub__path")
    permission_resource = "consultation"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    requesting = models.ForeignKey(
        OrgUnit,
        verbose_name=_("requesting facility"),
        on_delete=models.PROTECT,
        related_name="consultations_requested",
    )
    hub = models.ForeignKey(
        OrgUnit,
        verbose_name=_("hub facility"),
        on_delete=models.PROTECT,
        related_name="consultations_answered",
    )
    specialty = models.ForeignKey(
        Specialty,
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    patient_age = models.PositiveSmallIntegerField(
        _("patient's age (years)"), validators=[MaxValueValidator(130)]
    )
    patient_sex = models.CharField(_("patient's sex"), max_length=10, choices=Sex.choices)
    patient_summary = models.TextField(
        _("patient summary"),
        validators=[validate_deidentified],
        help_text=_("De-identified: no name, no ID number, no phone number, no address."),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    participants = models.ManyToManyField(
        HealthWorker,
        verbose_name=_("participants"),
        blank=True,
        related_name="consultations",
    )
    participants_text = models.CharField(
        _("other participants"),
        max_length=500,
        blank=True,
        help_text=_("Participants not in the register, e.g. BS. Nguyễn Văn A (BVTW)."),
    )
    conclusion = models.TextField(_("conclusion"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )

    class Meta:
        verbose_name = _("remote consultation")
        verbose_name_plural = _("remote consultations")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.specialty} – {self.requesting} ({self.requested_at:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("telehealth:detail", args=[self.uid])

    @property
    def response_hours(self) -> float | None:
        if not self.answered_at or not self.requested_at:
            return None
        return (self.answered_at - self.requested_at).total_seconds() / 3600


class TeleEducationSession(BaseModel):
    """A tele-education session (Project ECHO style): a hub teaches, spokes attend."""

    scope_path_field = ("hub__path", "spokes__path")
    permission_resource = "consultation"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    hub = models.ForeignKey(
        OrgUnit,
        verbose_name=_("hub facility"),
        on_delete=models.PROTECT,
        related_name="tele_sessions_given",
    )
    topic = models.CharField(_("topic"), max_length=300)
    specialty = models.ForeignKey(
        Specialty,
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tele_sessions",
    )
    date = models.DateField(_("date"))
    duration_hours = models.DecimalField(
        _("duration (hours)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0)],
    )
    spokes = models.ManyToManyField(
        OrgUnit, verbose_name=_("spoke facilities"), related_name="tele_sessions_received"
    )

    class Meta:
        verbose_name = _("tele-education session")
        verbose_name_plural = _("tele-education sessions")
        ordering = ["-date", "topic"]

    def __str__(self):
        return f"{self.topic} ({self.date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("telehealth:session_detail", args=[self.uid])

    def clean(self):
        if self.duration_hours is not None and self.duration_hours <= 0:
            raise ValidationError({"duration_hours": _("The duration must be more than zero.")})


class Attendance(BaseModel):
    scope_path_field = ("session__hub__path", "facility__path")
    permission_resource = "consultation"

    session = models.ForeignKey(
        TeleEducationSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    facility = models.ForeignKey(
        OrgUnit, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+"
    )
    attendees = models.PositiveIntegerField(_("attendees"))

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["session", "facility__sort_name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "facility"], name="attendance_unique")
        ]

    def __str__(self):
        return f"{self.facility}: {self.attendees}"
