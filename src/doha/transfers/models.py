"""Technique transfers (chuyển giao kỹ thuật) and their lifecycle."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import FacilityCapability, Technique
from doha.core.models import BaseModel
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme, ProgrammeItem, TechniqueNeed


class TransferState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONTRACTED = "contracted", _("Contracted")
    TRAINING = "training", _("Training")
    SUPERVISED = "supervised", _("Supervised practice")
    INDEPENDENT = "independent", _("Performing independently")
    ACCEPTED = "accepted", _("Accepted (nghiệm thu)")
    SUSTAINED = "sustained", _("Sustained")
    CANCELLED = "cancelled", _("Cancelled")


# The order a transfer moves in; cancelling is possible from any state before acceptance.
STATE_ORDER = [
    TransferState.PLANNED,
    TransferState.CONTRACTED,
    TransferState.TRAINING,
    TransferState.SUPERVISED,
    TransferState.INDEPENDENT,
    TransferState.ACCEPTED,
    TransferState.SUSTAINED,
]
# Committed and not finished: what counts as a provider's load.
LIVE_STATES = STATE_ORDER[:5]
# Cancelling is possible from these states only (an accepted transfer is done).
CANCELLABLE_STATES = LIVE_STATES


def default_min_cases():
    return getattr(settings, "DOHA_MIN_INDEPENDENT_CASES", 5)


class TechniqueTransfer(BaseModel):
    """One technique taught by a provider facility to a recipient facility."""

    scope_path_field = ("provider__path", "recipient__path")
    permission_resource = "transfer"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    technique = models.ForeignKey(
        Technique,
        verbose_name=_("technique"),
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    provider = models.ForeignKey(
        OrgUnit,
        verbose_name=_("transferring facility"),
        on_delete=models.PROTECT,
        related_name="transfers_given",
    )
    recipient = models.ForeignKey(
        OrgUnit,
        verbose_name=_("receiving facility"),
        on_delete=models.PROTECT,
        related_name="transfers_received",
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    programme_item = models.ForeignKey(
        ProgrammeItem,
        verbose_name=_("programme item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transfers",
    )
    need = models.ForeignKey(
        TechniqueNeed,
        verbose_name=_("need"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transfers",
    )
    state = models.CharField(
        _("state"), max_length=12, choices=TransferState.choices, default=TransferState.PLANNED
    )
    state_date = models.DateField(_("state since"))
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    team = models.CharField(
        _("clinical team (kíp)"),
        max_length=500,
        blank=True,
        help_text=_("The recipient's team trained together."),
    )
    provider_lead = models.CharField(_("provider's lead"), max_length=200, blank=True)
    recipient_lead = models.CharField(_("recipient's lead"), max_length=200, blank=True)
    min_independent_cases = models.PositiveSmallIntegerField(
        _("independent cases needed for acceptance"), default=default_min_cases
    )
    level_exception = models.BooleanField(
        _("exception to the technical level"),
        default=False,
        help_text=_("The technique is above the recipient's technical level."),
    )
    level_exception_reason = models.TextField(_("reason for the exception"), blank=True)
    level_exception_decision = models.CharField(
        _("decision allowing the exception"), max_length=200, blank=True
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    capability = models.ForeignKey(
        FacilityCapability,
        verbose_name=_("capability gained"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transfers",
    )

    class Meta:
        verbose_name = _("technique transfer")
        verbose_name_plural = _("technique transfers")
        ordering = ["-state_date"]

    def __str__(self):
        return f"{self.technique.name}: {self.provider} → {self.recipient}"

    def get_absolute_url(self):
        return reverse("transfers:detail", args=[self.uid])

    def cases(self, kind=None, until=None) -> int:
        qs = self.case_records.all()
        if kind:
            qs = qs.filter(kind=kind)
        if until:
            qs = qs.filter(date__lte=until)
        return qs.aggregate(n=models.Sum("count"))["n"] or 0

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    def step_date(self, state):
        """The date the transfer reached ``state`` (None when it has not)."""
        step = self.steps.filter(state=state).order_by("-date").first()
        return step.date if step else None

    def clean(self):
        errors = {}
        if self.provider_id and self.provider_id == self.recipient_id:
            errors["recipient"] = _("A facility cannot transfer a technique to itself.")
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The end is before the start.")
        if self.level_exception and not self.level_exception_reason.strip():
            errors["level_exception_reason"] = _("Give the reason for the exception.")
        if self.state == TransferState.CANCELLED and not self.cancel_reason.strip():
            errors["cancel_reason"] = _("Give the reason for cancelling.")
        if errors:
            raise ValidationError(errors)


class TransferStep(BaseModel):
    """A step of the lifecycle: the state reached, when, who was responsible, evidence."""

    scope_path_field = ("transfer__provider__path", "transfer__recipient__path")
    permission_resource = "transfer"

    transfer = models.ForeignKey(
        TechniqueTransfer,
        verbose_name=_("transfer"),
        on_delete=models.CASCADE,
        related_name="steps",
    )
    state = models.CharField(_("state"), max_length=12, choices=TransferState.choices)
    date = models.DateField(_("date"))
    responsible = models.CharField(_("responsible people"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("transfer step")
        verbose_name_plural = _("transfer steps")
        ordering = ["transfer", "date", "created"]

    def __str__(self):
        return f"{self.get_state_display()} {self.date:%d/%m/%Y}"


class StepEvidence(BaseModel):
    """A file proving a step: contract, attendance list, acceptance minutes."""

    scope_path_field = (
        "step__transfer__provider__path",
        "step__transfer__recipient__path",
    )
    permission_resource = "transfer"

    step = models.ForeignKey(
        TransferStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to="transfers/evidence/%Y/")
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self):
        return self.description or self.file.name


class CaseKind(models.TextChoices):
    SUPERVISED = "supervised", _("Supervised")
    INDEPENDENT = "independent", _("Independent")


class TransferCase(BaseModel):
    """Patients treated with the technique at the recipient during the transfer."""

    scope_path_field = ("transfer__provider__path", "transfer__recipient__path")
    permission_resource = "transfer"

    transfer = models.ForeignKey(
        TechniqueTransfer,
        verbose_name=_("transfer"),
        on_delete=models.CASCADE,
        related_name="case_records",
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=CaseKind.choices)
    count = models.PositiveSmallIntegerField(_("cases"), default=1)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("cases performed")
        verbose_name_plural = _("cases performed")
        ordering = ["transfer", "date"]

    def __str__(self):
        return f"{self.count} {self.get_kind_display()} {self.date:%d/%m/%Y}"


class SustainmentCheck(BaseModel):
    """Is the technique still performed 6 and 12 months after acceptance?"""

    scope_path_field = ("transfer__provider__path", "transfer__recipient__path")
    permission_resource = "transfer"

    transfer = models.ForeignKey(
        TechniqueTransfer,
        verbose_name=_("transfer"),
        on_delete=models.CASCADE,
        related_name="sustainment_checks",
    )
    months_after = models.PositiveSmallIntegerField(
        _("months after acceptance"), choices=[(6, "6"), (12, "12")]
    )
    checked_on = models.DateField(_("checked on"))
    still_performed = models.BooleanField(_("still performed"))
    cases_in_period = models.PositiveIntegerField(_("cases in the period"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("sustainment check")
        verbose_name_plural = _("sustainment checks")
        ordering = ["transfer", "months_after"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "months_after"], name="sustainment_unique")
        ]

    def __str__(self):
        return f"{self.transfer} +{self.months_after}"
