"""Administrative units (both the pre- and post-2025 sets) and health facilities (org units)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.scope import RestrictedQuerySet
from doha.core.text import collation_key, fold
from doha.core.uid import generate_uid, is_valid_uid

REFORM_DATE = datetime.date(2025, 7, 1)
ABBREVIATIONS = [
    ("benh vien", "bv"),
    ("da khoa", "dk"),
    ("trung tam y te", "ttyt"),
    ("tram y te", "tyt"),
    ("so y te", "syt"),
    ("bo y te", "byt"),
    ("trung uong", "tw"),
    ("kiem soat benh tat", "cdc"),
    ("y te du phong", "ttytdp"),
    ("thanh pho", "tp"),
]


class AdminEdition(models.TextChoices):
    LEGACY = "legacy", _("Before 2025-07-01 (63 provinces, with districts)")
    CURRENT = "2025", _("From 2025-07-01 (34 provinces, no districts)")


class AdminLevel(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    DISTRICT = 2, _("District")
    COMMUNE = 3, _("Commune / ward")


class AdminUnit(models.Model):
    """A province, district or commune/ward with its official code, as published.

    Loaded from ``vietnamadminunits`` by ``manage.py load_admin_units``; never typed by hand.
    """

    edition = models.CharField(_("edition"), max_length=8, choices=AdminEdition.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=AdminLevel.choices)
    code = models.CharField(_("official code"), max_length=8)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=100)
    unit_type = models.CharField(_("unit type"), max_length=40)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    province_code = models.CharField(_("province code"), max_length=4, db_index=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    search_text = models.CharField(max_length=300, editable=False, db_index=True)

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["edition", "level", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "level", "code"], name="adminunit_unique_code"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def full_name(self) -> str:
        names = []
        unit = self
        while unit is not None:
            names.append(unit.name)
            unit = unit.parent
        return ", ".join(names)

    def is_valid_on(self, date: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= date) and (
            self.valid_to is None or date < self.valid_to
        )


class AdminUnitMapping(models.Model):
    """Old (pre-2025) unit -> new unit it became part of on 2025-07-01."""

    old = models.ForeignKey(
        AdminUnit, on_delete=models.CASCADE, related_name="mapped_to", verbose_name=_("old unit")
    )
    new = models.ForeignKey(
        AdminUnit, on_delete=models.CASCADE, related_name="mapped_from", verbose_name=_("new unit")
    )
    is_default = models.BooleanField(
        _("default"),
        default=True,
        help_text=_("When the old unit was divided, the new unit that took its seat."),
    )

    class Meta:
        verbose_name = _("administrative unit mapping")
        verbose_name_plural = _("administrative unit mappings")
        constraints = [
            models.UniqueConstraint(fields=["old", "new"], name="adminunitmapping_unique")
        ]

    def __str__(self):
        return f"{self.old} → {self.new}"


class FacilityType(models.TextChoices):
    MINISTRY = "ministry", _("Ministry of Health")
    DOH = "doh", _("Department of Health")
    CENTRAL_HOSPITAL = "central_hospital", _("Central hospital")
    PROVINCIAL_HOSPITAL = "provincial_hospital", _("Provincial general hospital")
    SPECIALTY_HOSPITAL = "specialty_hospital", _("Specialty hospital")
    HEALTH_CENTRE = "health_centre", _("Regional / district health centre")
    COMMUNE_STATION = "commune_station", _("Commune health station")
    CDC = "cdc", _("CDC / preventive-medicine centre")
    POLYCLINIC = "polyclinic", _("Polyclinic")
    PRIVATE_HOSPITAL = "private_hospital", _("Private hospital")


class TechnicalLevel(models.TextChoices):
    """Cấp chuyên môn kỹ thuật (Law on Medical Examination and Treatment 2023)."""

    INITIAL = "initial", _("Initial (ban đầu)")
    BASIC = "basic", _("Basic (cơ bản)")
    SPECIALISED = "specialised", _("Specialised (chuyên sâu)")


class FormerLevel(models.TextChoices):
    """Tuyến: the four levels in force before 2024, kept for history."""

    CENTRAL = "central", _("Central (trung ương)")
    PROVINCIAL = "provincial", _("Provincial (tỉnh)")
    DISTRICT = "district", _("District (huyện)")
    COMMUNE = "commune", _("Commune (xã)")


class OrgUnitQuerySet(RestrictedQuerySet):
    def active(self):
        return self.filter(active=True)

    def subtree(self, unit, include_self=True):
        qs = self.filter(path__startswith=unit.path)
        return qs if include_self else qs.exclude(pk=unit.pk)

    def search(self, query: str):
        from doha.core.text import search_terms

        qs = self
        for term in search_terms(query):
            qs = qs.filter(search_text__contains=term)
        return qs

    def as_of(self, date: datetime.date):
        """Units open on ``date``, annotated with the parent and path they had then."""
        periods = OrgUnitHierarchy.objects.filter(org_unit=models.OuterRef("pk")).valid_on(date)
        return (
            self.filter(models.Q(opening_date__isnull=True) | models.Q(opening_date__lte=date))
            .filter(models.Q(closing_date__isnull=True) | models.Q(closing_date__gt=date))
            .annotate(
                parent_as_of=models.Subquery(periods.values("parent_id")[:1]),
                path_as_of=models.Subquery(periods.values("path")[:1]),
            )
            .filter(path_as_of__isnull=False)
        )


class OrgUnit(BaseModel):
    """A health facility or health authority: one node of the org-unit tree."""

    scope_path_field = "path"
    permission_resource = "orgunit"
    # Derived columns: the parent change itself is what the audit log keeps.
    audit_exclude = ["path", "depth", "search_text", "sort_name"]

    uid = models.CharField(
        _("UID"),
        max_length=11,
        unique=True,
        default=generate_uid,
        editable=False,
        help_text=_("11-character DHIS2-style identifier."),
    )
    code = models.CharField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("Facility code, e.g. the ministry's KCB code."),
    )
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    facility_type = models.CharField(_("type"), max_length=30, choices=FacilityType.choices)
    technical_level = models.CharField(
        _("technical level"), max_length=20, choices=TechnicalLevel.choices, blank=True
    )
    former_level = models.CharField(
        _("former level (tuyến)"), max_length=20, choices=FormerLevel.choices, blank=True
    )
    admin_unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("administrative unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="org_units",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=600, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(_("level in tree"), default=1, editable=False)
    opening_date = models.DateField(_("opening date"), null=True, blank=True)
    closing_date = models.DateField(_("closing date"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    search_text = models.CharField(max_length=600, editable=False, db_index=True)
    sort_name = models.CharField(max_length=600, editable=False, db_index=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("health facility")
        verbose_name_plural = _("health facilities")
        ordering = ["sort_name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("orgunits:detail", args=[self.uid])

    @property
    def province(self):
        unit = self.admin_unit
        while unit is not None and unit.level != AdminLevel.PROVINCE:
            unit = unit.parent
        return unit

    def ancestors(self):
        uids = [u for u in self.path.strip("/").split("/") if u][:-1]
        found = {u.uid: u for u in OrgUnit.objects.filter(uid__in=uids)}
        return [found[u] for u in uids if u in found]

    def clean(self):
        errors = {}
        if self.code and not self.code.strip():
            errors["code"] = _("The code cannot be blank.")
        if self.uid and not is_valid_uid(self.uid):
            errors["uid"] = _("A UID has 11 letters or digits and starts with a letter.")
        if self.opening_date and self.closing_date and self.closing_date < self.opening_date:
            errors["closing_date"] = _("The closing date is before the opening date.")
        if self.parent_id and self.pk:
            if self.parent_id == self.pk or (
                self.parent.path.startswith(self.path) if self.path else False
            ):
                errors["parent"] = _("A unit cannot be placed under itself or its own sub-unit.")
        if errors:
            raise ValidationError(errors)

    def compute_search_text(self) -> str:
        parts = [self.name, self.short_name, self.code]
        if self.admin_unit_id:
            parts.append(self.admin_unit.name)
        text = " ".join(fold(p) for p in parts if p)
        # The abbreviations people type: "bv da khoa", "ttyt tien du", "syt bac ninh".
        extra = [abbr for phrase, abbr in ABBREVIATIONS if phrase in text]
        return " ".join([text, *extra])

    def save(self, *args, **kwargs):
        self.normalize_text_fields()
        self.search_text = " " + self.compute_search_text() + " "
        self.sort_name = collation_key(self.name)[:600]
        self.path = (self.parent.path if self.parent_id else "/") + self.uid + "/"
        self.depth = self.path.count("/") - 1
        super().save(*args, **kwargs)


class HierarchyQuerySet(models.QuerySet):
    def valid_on(self, date):
        return self.filter(valid_from__lte=date).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=date)
        )


class OrgUnitHierarchy(models.Model):
    """One period of a unit's place in the tree: its parent and path from ``valid_from``
    until ``valid_to`` (exclusive; open when empty)."""

    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="hierarchy", verbose_name=_("unit")
    )
    parent = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("parent unit"),
    )
    path = models.CharField(max_length=600, db_index=True)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)

    objects = HierarchyQuerySet.as_manager()

    class Meta:
        verbose_name = _("hierarchy period")
        verbose_name_plural = _("hierarchy periods")
        ordering = ["org_unit", "valid_from"]
        indexes = [models.Index(fields=["valid_from", "valid_to"], name="orgunithier_validity")]

    def __str__(self):
        return f"{self.org_unit} ({self.valid_from} – {self.valid_to or '…'})"
