"""Specialties and techniques (danh mục kỹ thuật) and what each facility performs."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.scope import RestrictedQuerySet
from doha.core.text import collation_key, fold
from doha.orgunits.models import OrgUnit, TechnicalLevel

LEVEL_ORDER = {TechnicalLevel.INITIAL: 1, TechnicalLevel.BASIC: 2, TechnicalLevel.SPECIALISED: 3}


class Specialty(BaseModel):
    """A chapter of the ministry's technique list (e.g. "Nhi khoa")."""

    # National reference data, governed with the techniques (see core.permissions).
    permission_resource = "technique"

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_official = models.BooleanField(
        _("official code"),
        default=True,
        help_text=_("Unticked for codes made up locally, never passed off as official."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:technique_list") + f"?specialty={self.code}"


class TechniqueQuerySet(RestrictedQuerySet):
    def search(self, query):
        from doha.core.text import search_terms

        qs = self
        for term in search_terms(query):
            qs = qs.filter(search_text__contains=term)
        return qs

    def allowed_at(self, level: str):
        return self.filter(**{f"allowed_{level}": True}) if level else self


class Technique(BaseModel):
    """A clinical technique of the catalogue, with the technical levels allowed to do it."""

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("The ministry's code (e.g. 03.0045) or a local code."),
    )
    name = models.CharField(_("name"), max_length=500)
    specialty = models.ForeignKey(
        Specialty,
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        related_name="techniques",
    )
    allowed_initial = models.BooleanField(_("allowed at initial level"), default=False)
    allowed_basic = models.BooleanField(_("allowed at basic level"), default=False)
    allowed_specialised = models.BooleanField(_("allowed at specialised level"), default=True)
    is_official = models.BooleanField(
        _("official code"),
        default=True,
        help_text=_("Unticked for codes made up locally, never passed off as official."),
    )
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("The list it comes from, e.g. Thông tư 23/2024/TT-BYT."),
    )
    active = models.BooleanField(_("active"), default=True)
    search_text = models.CharField(max_length=800, editable=False, db_index=True)
    sort_name = models.CharField(max_length=800, editable=False)

    objects = TechniqueQuerySet.as_manager()
    audit_exclude = ["search_text", "sort_name"]

    class Meta:
        verbose_name = _("technique")
        verbose_name_plural = _("techniques")
        ordering = ["specialty__order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        self.normalize_text_fields()
        self.search_text = f" {fold(self.code)} {fold(self.name)} "
        self.sort_name = collation_key(self.name)[:800]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("catalog:technique_detail", args=[self.pk])

    @property
    def allowed_levels(self) -> list[str]:
        return [lvl for lvl in LEVEL_ORDER if getattr(self, f"allowed_{lvl}")]

    def is_allowed_at(self, level: str) -> bool:
        return bool(level) and getattr(self, f"allowed_{level}", False)

    def clean(self):
        if not (self.allowed_initial or self.allowed_basic or self.allowed_specialised):
            raise ValidationError({"allowed_specialised": _("Tick at least one technical level.")})


class Acquisition(models.TextChoices):
    OWN = "own", _("Developed by the facility")
    TRANSFER_IN = "transfer_in", _("Received by technique transfer")


class FacilityCapability(BaseModel):
    """A technique a facility performs: since when, how it was acquired, yearly volume."""

    scope_path_field = "facility__path"
    permission_resource = "capability"

    facility = models.ForeignKey(
        OrgUnit,
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="capabilities",
    )
    technique = models.ForeignKey(
        Technique,
        verbose_name=_("technique"),
        on_delete=models.PROTECT,
        related_name="capabilities",
    )
    since = models.DateField(_("performed since"), null=True, blank=True)
    acquisition = models.CharField(
        _("acquired by"), max_length=20, choices=Acquisition.choices, default=Acquisition.OWN
    )
    active = models.BooleanField(_("still performed"), default=True)
    until = models.DateField(
        _("performed until"),
        null=True,
        blank=True,
        help_text=_("Set when the facility stopped performing the technique (retired)."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("facility capability")
        verbose_name_plural = _("facility capabilities")
        ordering = ["facility__sort_name", "technique__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "technique"], name="capability_unique_facility_technique"
            )
        ]
        indexes = [
            # The technique-gap matrix anti-joins the active capabilities of many facilities
            # (doha.gaps.services): an index-only probe halves it at national size.
            models.Index(
                fields=["facility", "technique"],
                name="capability_active_fac_tech",
                condition=models.Q(active=True),
            )
        ]

    def __str__(self):
        return f"{self.facility} – {self.technique}"

    def get_absolute_url(self):
        return reverse("catalog:capability_detail", args=[self.pk])

    @property
    def above_level(self) -> bool:
        """The facility performs a technique its technical level is not listed for."""
        level = self.facility.technical_level
        return bool(level) and not self.technique.is_allowed_at(level)

    def clean(self):
        if self.since and self.until and self.until < self.since:
            raise ValidationError(
                {"until": _("The end date is before the date the technique was first performed.")}
            )


class CapabilityVolume(BaseModel):
    """How many times the facility performed the technique in a year."""

    scope_path_field = "capability__facility__path"
    permission_resource = "capability"

    capability = models.ForeignKey(
        FacilityCapability,
        verbose_name=_("capability"),
        on_delete=models.CASCADE,
        related_name="volumes",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    cases = models.PositiveIntegerField(_("cases"))

    class Meta:
        verbose_name = _("yearly volume")
        verbose_name_plural = _("yearly volumes")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["capability", "year"], name="volume_unique_year")
        ]

    def __str__(self):
        return f"{self.capability} {self.year}: {self.cases}"

    def get_absolute_url(self):
        return self.capability.get_absolute_url()
