"""Commendations and awards (bằng khen, giấy khen): a decision by an issuer recognising a
unit or a person, possibly for their work in a programme."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme


class AwardKind(models.TextChoices):
    COMMENDATION = "commendation", _("Certificate of commendation (bằng khen)")
    MERIT = "merit", _("Certificate of merit (giấy khen)")
    OTHER = "other", _("Other")


class Award(BaseModel):
    """One award decision for one recipient: a unit of the tree or a health worker."""

    scope_path_field = (
        "issuer__path",
        "recipient_unit__path",
        "recipient_person__facility__path",
    )
    permission_resource = "award"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AwardKind.choices)
    decision_number = models.CharField(
        _("decision number"), max_length=100, help_text=_("e.g. 1234/QĐ-SYT")
    )
    decision_date = models.DateField(_("decision date"))
    issuer = models.ForeignKey(
        OrgUnit,
        verbose_name=_("issuer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="awards_issued",
    )
    issuer_name = models.CharField(
        _("issuer outside the tree"),
        max_length=300,
        blank=True,
        help_text=_("When the issuer is not a unit of doha, e.g. Ủy ban nhân dân tỉnh."),
    )
    recipient_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("recipient unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="awards_received",
    )
    recipient_person = models.ForeignKey(
        HealthWorker,
        verbose_name=_("recipient person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="awards",
    )
    recipient_name = models.CharField(
        _("recipient as written on the award"),
        max_length=300,
        blank=True,
        help_text=_("Filled from the unit or the person when left empty."),
    )
    reason = models.TextField(_("reason"), blank=True)
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="awards",
    )

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-decision_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(recipient_unit__isnull=False, recipient_person__isnull=True)
                    | models.Q(recipient_unit__isnull=True, recipient_person__isnull=False)
                ),
                name="award_one_recipient",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.decision_number}: {self.recipient_display}"

    def get_absolute_url(self):
        return reverse("awards:detail", args=[self.uid])

    @property
    def issuer_display(self) -> str:
        return self.issuer.name if self.issuer_id else self.issuer_name

    @property
    def recipient_display(self) -> str:
        if self.recipient_name:
            return self.recipient_name
        if self.recipient_person_id:
            return self.recipient_person.full_name
        return self.recipient_unit.name if self.recipient_unit_id else ""

    def clean(self):
        errors = {}
        if bool(self.recipient_unit_id) == bool(self.recipient_person_id):
            errors["recipient_unit"] = _("Give either the recipient unit or the recipient person.")
        if bool(self.issuer_id) == bool((self.issuer_name or "").strip()):
            errors["issuer"] = _(
                "Give either the issuer from the list or the name of an issuer outside it."
            )
        if errors:
            raise ValidationError(errors)
