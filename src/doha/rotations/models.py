"""Rotations (luân phiên, Project 1816) and secondments (biệt phái) of health workers."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Technique
from doha.core.models import BaseModel
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme


class RotationKind(models.TextChoices):
    ROTATION = "rotation", _("Rotation (Project 1816)")
    SECONDMENT = "secondment", _("Secondment (biệt phái)")


class RotationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Rotation(BaseModel):
    """One health worker sent from one facility to another for a period."""

    scope_path_field = ("from_facility__path", "to_facility__path")
    permission_resource = "rotation"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=RotationKind.choices, default=RotationKind.ROTATION
    )
    worker = models.ForeignKey(
        HealthWorker,
        verbose_name=_("health worker"),
        on_delete=models.PROTECT,
        related_name="rotations",
    )
    from_facility = models.ForeignKey(
        OrgUnit,
        verbose_name=_("sending facility"),
        on_delete=models.PROTECT,
        related_name="rotations_sent",
        help_text=_("Empty: the worker's own facility."),
    )
    to_facility = models.ForeignKey(
        OrgUnit,
        verbose_name=_("receiving facility"),
        on_delete=models.PROTECT,
        related_name="rotations_received",
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    purpose = models.TextField(_("purpose"), blank=True)
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rotations",
    )
    techniques = models.ManyToManyField(
        Technique,
        verbose_name=_("techniques to transfer"),
        blank=True,
        related_name="rotations",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RotationStatus.choices, default=RotationStatus.PLANNED
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # Outputs, recorded once the rotation has started.
    patients_examined = models.PositiveIntegerField(_("patients examined"), null=True, blank=True)
    surgeries = models.PositiveIntegerField(_("surgeries"), null=True, blank=True)
    techniques_transferred = models.PositiveIntegerField(
        _("techniques transferred"), null=True, blank=True
    )
    people_trained = models.PositiveIntegerField(_("people trained"), null=True, blank=True)
    outputs_note = models.TextField(_("note on the outputs"), blank=True)

    class Meta:
        verbose_name = _("rotation")
        verbose_name_plural = _("rotations")
        ordering = ["-start", "pk"]

    def __str__(self):
        return f"{self.worker.full_name}: {self.from_facility} → {self.to_facility}"

    def get_absolute_url(self):
        return reverse("rotations:detail", args=[self.uid])

    @property
    def has_outputs(self) -> bool:
        return any(
            getattr(self, f) is not None
            for f in ("patients_examined", "surgeries", "techniques_transferred", "people_trained")
        )
