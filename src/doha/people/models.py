"""Health workers and their continuing-education (CME) ledger.

Personal data is kept to the minimum (Decree 13/2023/NĐ-CP): lists mask identifiers and
every opening of a person's record is logged.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import Specialty
from doha.core.models import BaseModel
from doha.core.text import collation_key, fold
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit


def mask(value: str, keep: int) -> str:
    """Hide all but the last ``keep`` characters (and the length) of an identifier."""
    value = (value or "").strip()
    if not value:
        return ""
    return "•••" + value[-keep:] if len(value) > keep else "•••"


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Profession(models.TextChoices):
    DOCTOR = "doctor", _("Doctor")
    PHYSICIAN_ASSISTANT = "physician_assistant", _("Physician assistant (y sĩ)")
    NURSE = "nurse", _("Nurse")
    MIDWIFE = "midwife", _("Midwife")
    TECHNICIAN = "technician", _("Medical technician")
    PHARMACIST = "pharmacist", _("Pharmacist")
    TRADITIONAL = "traditional", _("Traditional medicine practitioner")
    PUBLIC_HEALTH = "public_health", _("Public health officer")
    OTHER = "other", _("Other")


class HealthWorker(BaseModel):
    """A person working at a facility (viên chức, người lao động)."""

    scope_path_field = "facility__path"
    permission_resource = "worker"
    audit_exclude = ["search_text", "sort_name"]

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    facility = models.ForeignKey(
        OrgUnit, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="workers"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True)
    profession = models.CharField(_("profession"), max_length=30, choices=Profession.choices)
    specialty = models.ForeignKey(
        Specialty,
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workers",
    )
    position = models.CharField(
        _("position"), max_length=200, blank=True, help_text=_("e.g. Trưởng khoa Nhi")
    )
    title = models.CharField(
        _("professional title"), max_length=60, blank=True, help_text=_("e.g. BSCKII, ThS, ĐD")
    )
    licence_number = models.CharField(_("practising licence number"), max_length=50, blank=True)
    licence_date = models.DateField(_("licence issued on"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)
    search_text = models.CharField(max_length=400, editable=False, db_index=True)
    sort_name = models.CharField(max_length=400, editable=False)

    class Meta:
        verbose_name = _("health worker")
        verbose_name_plural = _("health workers")
        ordering = ["sort_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence_number"],
                condition=~models.Q(licence_number=""),
                name="worker_unique_licence",
            )
        ]

    def __str__(self):
        return f"{self.title} {self.full_name}".strip()

    def get_absolute_url(self):
        return reverse("people:worker_detail", args=[self.uid])

    # Masked identifiers, for lists and exports (Decree 13/2023/NĐ-CP) ---------------------
    @property
    def masked_licence(self) -> str:
        return mask(self.licence_number, 3)

    @property
    def masked_phone(self) -> str:
        return mask(self.phone, 2)

    @property
    def birth_year(self):
        return self.birth_date.year if self.birth_date else None

    def save(self, *args, **kwargs):
        self.normalize_text_fields()
        self.search_text = f" {fold(self.full_name)} {fold(self.position)} "
        # Vietnamese lists sort by given name (the last word), then the whole name.
        given = self.full_name.split(" ")[-1] if self.full_name else ""
        self.sort_name = (collation_key(given) + " " + collation_key(self.full_name))[:400]
        super().save(*args, **kwargs)


class CmeSource(models.TextChoices):
    COURSE = "course", _("Course in doha")
    EXTERNAL = "external", _("Certificate from elsewhere")
    ROTATION = "rotation", _("Teaching during a rotation")


class CmeEntry(BaseModel):
    """One line of a worker's CME ledger: credit hours earned on a date.

    Entries are not edited: a mistake is corrected by a reversing entry (negative hours)
    that names the entry it corrects.
    """

    scope_path_field = "worker__facility__path"
    permission_resource = "cme"

    worker = models.ForeignKey(
        HealthWorker,
        verbose_name=_("health worker"),
        on_delete=models.PROTECT,
        related_name="cme_entries",
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("credit hours"), max_digits=6, decimal_places=1)
    source = models.CharField(_("source"), max_length=20, choices=CmeSource.choices)
    description = models.CharField(_("description"), max_length=300)
    certificate_number = models.CharField(_("certificate number"), max_length=60, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("corrects entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("CME entry")
        verbose_name_plural = _("CME entries")
        ordering = ["worker", "date", "created"]

    def __str__(self):
        return f"{self.worker}: {self.hours} ({self.date:%d/%m/%Y})"


class RetentionRun(BaseModel):
    """One run of ``manage.py apply_retention`` (Decree 13/2023/NĐ-CP): what it removed.

    Its creation is audited like every record; the anonymised clients carry their own
    audited change.
    """

    permission_resource = "privacy"

    access_entries_deleted = models.PositiveIntegerField(_("access-log entries deleted"))
    clients_anonymised = models.PositiveIntegerField(_("vaccination clients anonymised"))
    settings_used = models.JSONField(_("retention settings"), default=dict)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.created:%d/%m/%Y %H:%M}"
