"""Service vaccination at a preventive-medicine centre (vắc xin dịch vụ).

Four parts, each with its permission resource:

* the catalogue ("vaccine": national reference data, changed by the DOH and system
  administrators): antigens, vaccine products and their schedules;
* stock ("vaccinestock"): stores (the centre and its vaccination points), fridges, suppliers,
  lots, the append-only stock ledger (``StockEntry``) with its cached balance
  (``StockBalance``, never below zero: a database constraint), physical counts, cold-chain
  temperature readings and the holds they put on lots;
* vaccination ("vaccination"): clients, visits with the pre-vaccination screening, doses
  given and adverse events following immunisation (AEFI);
* service revenue ("revenue"): the centre's revenue sources, prices and receipts.

Business rules live in ``stock.py``, ``coldchain.py`` (and the visit, schedule and revenue
services); models hold each record's own invariants only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.scope import RestrictedQuerySet
from doha.core.text import fold, format_number
from doha.core.uid import generate_uid
from doha.orgunits.models import AdminUnit, OrgUnit
from doha.people.models import HealthWorker, Sex


def format_vnd(value) -> str:
    """1250000 -> "1.250.000 đ"."""
    if value is None:
        return ""
    return f"{format_number(value)} đ"


def _uid_field():
    return models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )


def _url(name, uid):
    try:
        return reverse(name, args=[uid] if uid else [])
    except NoReverseMatch:
        return ""


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


class Antigen(BaseModel):
    """What a vaccine protects against (kháng nguyên): measles, hepatitis B, rabies, ..."""

    permission_resource = "vaccine"

    uid = _uid_field()
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("antigen")
        verbose_name_plural = _("antigens")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        url = _url("vaccines:antigen-list", None)
        return f"{url}?q={self.code}" if url else ""


class OpenVialPolicy(models.TextChoices):
    SINGLE_DOSE = "single_dose", _("Single-dose vial")
    DISCARD_AFTER_HOURS = "after_hours", _("Discard the opened vial after a number of hours")
    DISCARD_AT_SESSION_END = "session_end", _("Discard the opened vial at the end of the session")


class Route(models.TextChoices):
    INTRAMUSCULAR = "im", _("Intramuscular")
    SUBCUTANEOUS = "sc", _("Subcutaneous")
    INTRADERMAL = "id", _("Intradermal")
    ORAL = "oral", _("Oral")
    INTRANASAL = "nasal", _("Intranasal")


class Vaccine(BaseModel):
    """A vaccine product (tên thương mại) with its presentation, storage range and price."""

    permission_resource = "vaccine"
    audit_exclude = ["search_text"]

    uid = _uid_field()
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("product name"), max_length=200)
    antigens = models.ManyToManyField(Antigen, verbose_name=_("antigens"), related_name="vaccines")
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    country = models.CharField(_("country of origin"), max_length=100, blank=True)
    doses_per_vial = models.PositiveSmallIntegerField(
        _("doses per vial"), default=1, help_text=_("The presentation: 1 for a single-dose vial.")
    )
    open_vial_policy = models.CharField(
        _("multi-dose vial policy"),
        max_length=20,
        choices=OpenVialPolicy.choices,
        default=OpenVialPolicy.SINGLE_DOSE,
    )
    open_vial_hours = models.PositiveSmallIntegerField(
        _("discard after (hours)"),
        null=True,
        blank=True,
        help_text=_("For a multi-dose vial kept a number of hours after opening."),
    )
    route = models.CharField(
        _("route"), max_length=10, choices=Route.choices, default=Route.INTRAMUSCULAR
    )
    dose_volume_ml = models.DecimalField(
        _("dose volume (ml)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    storage_min_c = models.DecimalField(
        _("storage minimum (°C)"), max_digits=4, decimal_places=1, default=2
    )
    storage_max_c = models.DecimalField(
        _("storage maximum (°C)"), max_digits=4, decimal_places=1, default=8
    )
    price = models.BigIntegerField(_("price per dose (VND)"), default=0)
    active = models.BooleanField(_("active"), default=True)
    search_text = models.CharField(max_length=600, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("vaccine")
        verbose_name_plural = _("vaccines")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(storage_min_c__lt=models.F("storage_max_c")),
                name="vaccine_storage_range",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="vaccine_price_not_negative"),
            models.CheckConstraint(
                condition=Q(doses_per_vial__gte=1), name="vaccine_doses_per_vial"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _url("vaccines:vaccine-detail", self.uid)

    @property
    def price_display(self) -> str:
        return format_vnd(self.price)

    @property
    def is_multi_dose(self) -> bool:
        return self.doses_per_vial > 1

    def save(self, *args, **kwargs):
        self.normalize_text_fields()
        self.search_text = " ".join(fold(p) for p in (self.name, self.code, self.manufacturer) if p)
        super().save(*args, **kwargs)


class ScheduleDose(BaseModel):
    """One dose of a schedule (phác đồ): for a product, or for an antigen whatever the
    product. Ages and intervals in days; the schedule logic lives in ``schedule.py``."""

    permission_resource = "vaccine"

    uid = _uid_field()
    vaccine = models.ForeignKey(
        Vaccine,
        verbose_name=_("vaccine"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedule",
    )
    antigen = models.ForeignKey(
        Antigen,
        verbose_name=_("antigen"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedule",
    )
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    min_age_days = models.PositiveIntegerField(_("minimum age (days)"), default=0)
    max_age_days = models.PositiveIntegerField(
        _("maximum age (days)"), null=True, blank=True, help_text=_("Empty: no upper limit.")
    )
    recommended_age_days = models.PositiveIntegerField(
        _("recommended age (days)"), null=True, blank=True
    )
    min_interval_days = models.PositiveIntegerField(
        _("minimum interval from the previous dose (days)"), null=True, blank=True
    )
    recommended_interval_days = models.PositiveIntegerField(
        _("recommended interval from the previous dose (days)"), null=True, blank=True
    )
    booster = models.BooleanField(_("booster"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("schedule dose")
        verbose_name_plural = _("schedule doses")
        ordering = ["vaccine", "antigen", "dose_number"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(vaccine__isnull=False) & Q(antigen__isnull=True))
                | (Q(vaccine__isnull=True) & Q(antigen__isnull=False)),
                name="scheduledose_vaccine_or_antigen",
            ),
            models.UniqueConstraint(
                fields=["vaccine", "dose_number"],
                condition=Q(vaccine__isnull=False),
                name="scheduledose_unique_vaccine_dose",
            ),
            models.UniqueConstraint(
                fields=["antigen", "dose_number"],
                condition=Q(antigen__isnull=False),
                name="scheduledose_unique_antigen_dose",
            ),
            models.CheckConstraint(
                condition=Q(dose_number__gte=1), name="scheduledose_dose_number_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_age_days__isnull=True)
                | Q(max_age_days__gte=models.F("min_age_days")),
                name="scheduledose_age_range",
            ),
        ]

    def __str__(self):
        series = self.vaccine or self.antigen
        return _("%(series)s, dose %(n)s") % {"series": series, "n": self.dose_number}


# --------------------------------------------------------------------------------------------
# Stores, equipment, suppliers and lots
# --------------------------------------------------------------------------------------------


class StoreKind(models.TextChoices):
    CENTRE = "centre", _("Centre store")
    POINT = "point", _("Vaccination point")


class Store(BaseModel):
    """A place that holds vaccine: the centre's store or one of its vaccination points."""

    scope_path_field = "org_unit__path"
    permission_resource = "vaccinestock"

    uid = _uid_field()
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="vaccine_stores"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=StoreKind.choices)
    supplied_by = models.ForeignKey(
        "self",
        verbose_name=_("supplied by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points",
        help_text=_("The centre store a vaccination point receives its vaccine from."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("vaccine store")
        verbose_name_plural = _("vaccine stores")
        ordering = ["org_unit__sort_name", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="store_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _url("vaccines:store-detail", self.uid)


class Fridge(BaseModel):
    """A refrigerator (or freezer, cold box) of a store, with its allowed range."""

    scope_path_field = "store__org_unit__path"
    permission_resource = "vaccinestock"

    uid = _uid_field()
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="fridges"
    )
    name = models.CharField(_("name"), max_length=200)
    model_name = models.CharField(_("model"), max_length=200, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    logger_serial = models.CharField(_("temperature logger serial"), max_length=100, blank=True)
    min_c = models.DecimalField(_("minimum (°C)"), max_digits=4, decimal_places=1, default=2)
    max_c = models.DecimalField(_("maximum (°C)"), max_digits=4, decimal_places=1, default=8)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("fridge")
        verbose_name_plural = _("fridges")
        ordering = ["store", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="fridge_unique_name"),
            models.CheckConstraint(condition=Q(min_c__lt=models.F("max_c")), name="fridge_range"),
        ]

    def __str__(self):
        return f"{self.name} ({self.store})"

    def get_absolute_url(self):
        return _url("vaccines:fridge-detail", self.uid)


class Supplier(BaseModel):
    """A company the centre buys vaccine from, kept by the centre (org unit) that buys."""

    scope_path_field = "org_unit__path"
    permission_resource = "vaccinestock"

    uid = _uid_field()
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="vaccine_suppliers"
    )
    name = models.CharField(_("name"), max_length=255)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="supplier_unique_name"),
        ]

    def __str__(self):
        return self.name


class Lot(BaseModel):
    """A manufacturer's lot (lô) of one vaccine, with its expiry date."""

    permission_resource = "vaccinestock"

    uid = _uid_field()
    vaccine = models.ForeignKey(
        Vaccine, verbose_name=_("vaccine"), on_delete=models.PROTECT, related_name="lots"
    )
    lot_number = models.CharField(_("lot number"), max_length=50)
    expiry_date = models.DateField(_("expiry date"))
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    manufactured_on = models.DateField(_("manufacturing date"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["vaccine", "expiry_date", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["vaccine", "lot_number"], name="lot_unique_number"),
        ]

    def __str__(self):
        return _("%(vaccine)s lot %(lot)s (exp. %(date)s)") % {
            "vaccine": self.vaccine,
            "lot": self.lot_number,
            "date": self.expiry_date.strftime("%d/%m/%Y"),
        }

    def get_absolute_url(self):
        return _url("vaccines:lot-detail", self.uid)

    def is_expired(self, on) -> bool:
        """A lot may be used up to and including its expiry date."""
        return self.expiry_date < on


# --------------------------------------------------------------------------------------------
# Cold chain
# --------------------------------------------------------------------------------------------


class ReadingSource(models.TextChoices):
    MANUAL = "manual", _("Manual entry")
    LOGGER = "logger", _("Logger upload")


class TemperatureReading(BaseModel):
    """One temperature of a fridge; ``excursion`` when outside the fridge's range."""

    scope_path_field = "fridge__store__org_unit__path"
    permission_resource = "vaccinestock"

    uid = _uid_field()
    fridge = models.ForeignKey(
        Fridge, verbose_name=_("fridge"), on_delete=models.PROTECT, related_name="readings"
    )
    recorded_at = models.DateTimeField(_("time"))
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=5, decimal_places=2)
    source = models.CharField(
        _("source"), max_length=10, choices=ReadingSource.choices, default=ReadingSource.MANUAL
    )
    excursion = models.BooleanField(_("excursion"), default=False, editable=False)
    upload = models.CharField(
        _("upload"), max_length=11, blank=True, help_text=_("The file upload it came from.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("temperature reading")
        verbose_name_plural = _("temperature readings")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fridge", "recorded_at"], name="temperaturereading_unique_time"
            ),
        ]
        indexes = [
            models.Index(fields=["fridge", "-recorded_at"], name="reading_fridge_time"),
        ]

    def __str__(self):
        return f"{self.fridge.name} {self.recorded_at:%d/%m/%Y %H:%M}: {self.temperature_c} °C"


class HoldDecision(models.TextChoices):
    USE = "use", _("Use (stability confirmed)")
    DISCARD = "discard", _("Discard")


class LotHold(BaseModel):
    """A lot at a store that may not be issued or given until a decision is recorded
    (after a cold-chain excursion, a recall, a suspected quality problem)."""

    scope_path_field = "store__org_unit__path"
    permission_resource = "vaccinestock"

    uid = _uid_field()
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="holds"
    )
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="holds"
    )
    fridge = models.ForeignKey(
        Fridge,
        verbose_name=_("fridge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
    )
    excursion = models.ForeignKey(
        TemperatureReading,
        verbose_name=_("excursion reading"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
    )
    started_at = models.DateTimeField(_("on hold since"))
    reason = models.CharField(_("reason"), max_length=300)
    released_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=HoldDecision.choices, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("lot hold")
        verbose_name_plural = _("lot holds")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(released_at__isnull=True) & Q(decision=""))
                | (Q(released_at__isnull=False) & ~Q(decision="")),
                name="lothold_decision_with_release",
            ),
            # One open hold per lot and store: a second excursion joins the open one.
            models.UniqueConstraint(
                fields=["lot", "store"],
                condition=Q(released_at__isnull=True),
                name="lothold_one_open",
            ),
        ]

    def __str__(self):
        return _("%(lot)s on hold at %(store)s") % {"lot": self.lot, "store": self.store}

    @property
    def is_open(self) -> bool:
        return self.released_at is None


# --------------------------------------------------------------------------------------------
# The stock ledger
# --------------------------------------------------------------------------------------------


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue to a point")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    RETURN = "return", _("Return")
    ADJUSTMENT = "adjustment", _("Adjustment")
    ADMINISTERED = "administered", _("Administered")
    WASTAGE = "wastage", _("Wastage")


# The sign of an original entry's quantity by kind (a reversing entry has the opposite sign);
# a return leaves one store (-) and enters another (+); an adjustment goes either way.
INCOMING_KINDS = (EntryKind.RECEIPT, EntryKind.TRANSFER_IN)
OUTGOING_KINDS = (
    EntryKind.ISSUE,
    EntryKind.TRANSFER_OUT,
    EntryKind.ADMINISTERED,
    EntryKind.WASTAGE,
)


class EntryReason(models.TextChoices):
    EXPIRED = "expired", _("Expired")
    BROKEN = "broken", _("Broken vial")
    COLD_CHAIN = "cold_chain", _("Cold-chain break")
    VVM_3 = "vvm3", _("VVM stage 3")
    VVM_4 = "vvm4", _("VVM stage 4")
    OPENED_VIAL = "opened_vial", _("Opened-vial wastage")
    COUNT_CORRECTION = "count", _("Physical count correction")
    RECALL = "recall", _("Recall by the manufacturer or the ministry")
    CORRECTION = "correction", _("Correction of an entry")
    OTHER = "other", _("Other")


class StockEntry(BaseModel):
    """One movement of doses of a lot in or out of a store: the ledger is append-only.

    The quantity is in doses, signed (+ in, - out). A mistake is corrected by a reversing
    entry (``reverses``), never by an edit; ``StockBalance`` caches the sum per store and lot.
    """

    scope_path_field = "store__org_unit__path"
    permission_resource = "vaccinestock"

    uid = _uid_field()
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="entries"
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    quantity = models.IntegerField(_("quantity (doses)"))
    reason = models.CharField(_("reason"), max_length=20, choices=EntryReason.choices, blank=True)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Invoice number, session, ...")
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    counterpart = models.ForeignKey(
        Store,
        verbose_name=_("counterpart store"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counterpart_entries",
    )
    movement = models.CharField(
        _("movement"),
        max_length=11,
        db_index=True,
        help_text=_("Entries written together (both sides of an issue or transfer)."),
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    dose = models.ForeignKey(
        "Dose",
        verbose_name=_("dose"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_entries",
    )
    count_line = models.ForeignKey(
        "StockCountLine",
        verbose_name=_("count line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    occurred_at = models.DateTimeField(_("time"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("stock entry")
        verbose_name_plural = _("stock entries")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stockentry_quantity_not_zero"),
            models.CheckConstraint(
                condition=Q(reverses__isnull=False)
                | ~Q(kind__in=INCOMING_KINDS)
                | Q(quantity__gt=0),
                name="stockentry_incoming_positive",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=False)
                | ~Q(kind__in=OUTGOING_KINDS)
                | Q(quantity__lt=0),
                name="stockentry_outgoing_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=(EntryKind.ADJUSTMENT, EntryKind.WASTAGE)) | ~Q(reason=""),
                name="stockentry_adjustment_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "lot", "occurred_at"], name="stockentry_store_lot"),
            models.Index(fields=["kind", "occurred_at"], name="stockentry_kind_time"),
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()} {self.quantity:+d} · {self.lot.lot_number} · {self.store}"
        )

    def get_absolute_url(self):
        return _url("vaccines:entry-detail", self.uid)


class StockBalance(models.Model):
    """The cached sum of the ledger per store and lot, updated in the entry's transaction
    under a row lock. Never below zero: the database refuses it. Not change-logged: the
    ledger itself is the history."""

    scope_path_field = "store__org_unit__path"
    permission_resource = "vaccinestock"

    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="balances"
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="balances"
    )
    quantity = models.IntegerField(_("on hand (doses)"), default=0)
    last_updated = models.DateTimeField(_("last updated"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        ordering = ["store", "lot__expiry_date"]
        constraints = [
            models.UniqueConstraint(fields=["store", "lot"], name="stockbalance_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stockbalance_not_negative"),
        ]

    def __str__(self):
        return f"{self.store} · {self.lot.lot_number}: {self.quantity}"


class CountStatus(models.TextChoices):
    OPEN = "open", _("Counting")
    RECONCILED = "reconciled", _("Reconciled")


class StockCount(BaseModel):
    """A physical count of a store (kiểm kê); reconciling it adjusts the ledger to the count."""

    scope_path_field = "store__org_unit__path"
    permission_resource = "vaccinestock"

    uid = _uid_field()
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="counts"
    )
    counted_at = models.DateTimeField(_("counted at"))
    status = models.CharField(
        _("status"), max_length=12, choices=CountStatus.choices, default=CountStatus.OPEN
    )
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reconciled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        ordering = ["-counted_at", "-pk"]

    def __str__(self):
        return _("Count of %(store)s on %(date)s") % {
            "store": self.store,
            "date": self.counted_at.strftime("%d/%m/%Y"),
        }

    def get_absolute_url(self):
        return _url("vaccines:count-detail", self.uid)


class StockCountLine(BaseModel):
    scope_path_field = "count__store__org_unit__path"
    permission_resource = "vaccinestock"

    count = models.ForeignKey(
        StockCount, verbose_name=_("count"), on_delete=models.CASCADE, related_name="lines"
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="count_lines"
    )
    counted = models.PositiveIntegerField(_("counted (doses)"))
    expected = models.IntegerField(
        _("ledger balance (doses)"),
        null=True,
        blank=True,
        help_text=_("The ledger's balance when the count was reconciled."),
    )
    reason = models.CharField(
        _("reason for a difference"), max_length=20, choices=EntryReason.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        ordering = ["count", "lot__expiry_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["count", "lot"], name="stockcountline_unique_lot"),
        ]

    def __str__(self):
        return f"{self.lot.lot_number}: {self.counted}"

    @property
    def difference(self) -> int | None:
        if self.expected is None:
            return None
        return self.counted - self.expected


# --------------------------------------------------------------------------------------------
# Clients, visits, doses and adverse events
# --------------------------------------------------------------------------------------------


class Client(BaseModel):
    """A person vaccinated (đối tượng tiêm chủng), with the minimum personal data."""

    scope_path_field = "registered_at__path"
    permission_resource = "vaccination"
    audit_exclude = ["search_text"]

    uid = _uid_field()
    full_name = models.CharField(_("full name"), max_length=200)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    guardian_name = models.CharField(
        _("guardian's name"), max_length=200, blank=True, help_text=_("For a child.")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    commune = models.ForeignKey(
        AdminUnit,
        verbose_name=_("commune / ward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    registered_at = models.ForeignKey(
        OrgUnit,
        verbose_name=_("registered at"),
        on_delete=models.PROTECT,
        related_name="vaccination_clients",
    )
    search_text = models.CharField(max_length=600, editable=False, db_index=True, default="")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["full_name", "date_of_birth"]
        indexes = [models.Index(fields=["phone"], name="client_phone")]

    def __str__(self):
        return f"{self.full_name} ({self.date_of_birth:%d/%m/%Y})"

    def get_absolute_url(self):
        return _url("vaccines:client-detail", self.uid)

    def compute_search_text(self) -> str:
        digits = "".join(ch for ch in self.phone or "" if ch.isdigit())
        parts = [fold(self.full_name), fold(self.guardian_name), digits]
        return " " + " ".join(p for p in parts if p) + " "

    def save(self, *args, **kwargs):
        self.normalize_text_fields()
        self.search_text = self.compute_search_text()
        super().save(*args, **kwargs)


class ScreeningResult(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible: vaccinate")
    POSTPONED = "postponed", _("Postpone")
    CONTRAINDICATED = "contraindicated", _("Contraindicated")


class VisitStatus(models.TextChoices):
    SCREENING = "screening", _("Screening")
    VACCINATED = "vaccinated", _("Vaccinated, under observation")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped at screening")


class VaccinationVisit(BaseModel):
    """A client's visit to a vaccination point: screening, doses, 30-minute observation."""

    scope_path_field = "store__org_unit__path"
    permission_resource = "vaccination"

    uid = _uid_field()
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="visits"
    )
    store = models.ForeignKey(
        Store, verbose_name=_("vaccination point"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_at = models.DateTimeField(_("time"))
    status = models.CharField(
        _("status"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.SCREENING
    )
    checklist = models.CharField(
        _("screening checklist"),
        max_length=40,
        help_text=_("The ministry's screening form used, with its version (child / adult)."),
    )
    screening_answers = models.JSONField(_("screening answers"), default=dict, blank=True)
    temperature_c = models.DecimalField(
        _("body temperature (°C)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    screening_result = models.CharField(
        _("screening result"), max_length=20, choices=ScreeningResult.choices, blank=True
    )
    screening_note = models.TextField(_("screening note"), blank=True)
    screened_by = models.ForeignKey(
        HealthWorker,
        verbose_name=_("screening doctor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    vaccinator = models.ForeignKey(
        HealthWorker,
        verbose_name=_("vaccinator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    observation_started_at = models.DateTimeField(_("observation started"), null=True, blank=True)
    observation_ended_at = models.DateTimeField(_("observation ended"), null=True, blank=True)
    observation_note = models.TextField(_("observation note"), blank=True)

    class Meta:
        verbose_name = _("vaccination visit")
        verbose_name_plural = _("vaccination visits")
        ordering = ["-visited_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(observation_ended_at__isnull=True)
                | Q(observation_started_at__isnull=False)
                & Q(observation_ended_at__gte=models.F("observation_started_at")),
                name="visit_observation_order",
            ),
        ]
        indexes = [models.Index(fields=["store", "visited_at"], name="visit_store_time")]

    def __str__(self):
        return f"{self.client.full_name} · {self.visited_at:%d/%m/%Y %H:%M}"

    def get_absolute_url(self):
        return _url("vaccines:visit-detail", self.uid)


class InjectionSite(models.TextChoices):
    LEFT_DELTOID = "left_deltoid", _("Left upper arm")
    RIGHT_DELTOID = "right_deltoid", _("Right upper arm")
    LEFT_THIGH = "left_thigh", _("Left thigh")
    RIGHT_THIGH = "right_thigh", _("Right thigh")
    MOUTH = "mouth", _("Mouth")
    NOSE = "nose", _("Nose")


class Dose(BaseModel):
    """A dose given at a visit, from a lot of the point's stock."""

    scope_path_field = "visit__store__org_unit__path"
    permission_resource = "vaccination"

    uid = _uid_field()
    visit = models.ForeignKey(
        VaccinationVisit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="doses"
    )
    vaccine = models.ForeignKey(
        Vaccine, verbose_name=_("vaccine"), on_delete=models.PROTECT, related_name="doses"
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="doses"
    )
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    schedule_dose = models.ForeignKey(
        ScheduleDose,
        verbose_name=_("schedule dose"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="doses",
    )
    site = models.CharField(_("site"), max_length=20, choices=InjectionSite.choices)
    route = models.CharField(_("route"), max_length=10, choices=Route.choices)
    given_at = models.DateTimeField(_("given at"))

    class Meta:
        verbose_name = _("dose")
        verbose_name_plural = _("doses")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(dose_number__gte=1), name="dose_number_positive"),
        ]

    def __str__(self):
        return _("%(vaccine)s dose %(n)s") % {"vaccine": self.vaccine, "n": self.dose_number}


class AefiSeverity(models.TextChoices):
    COMMON = "common", _("Common (mild)")
    SERIOUS = "serious", _("Serious")


class AefiOutcome(models.TextChoices):
    RECOVERED = "recovered", _("Recovered")
    RECOVERING = "recovering", _("Recovering")
    SEQUELAE = "sequelae", _("Recovered with sequelae")
    HOSPITALISED = "hospitalised", _("Hospitalised")
    DIED = "died", _("Died")
    UNKNOWN = "unknown", _("Unknown")


class Aefi(BaseModel):
    """An adverse event following immunisation (phản ứng sau tiêm chủng)."""

    scope_path_field = "dose__visit__store__org_unit__path"
    permission_resource = "vaccination"

    uid = _uid_field()
    dose = models.ForeignKey(
        Dose, verbose_name=_("dose"), on_delete=models.PROTECT, related_name="aefis"
    )
    onset_at = models.DateTimeField(_("onset"))
    severity = models.CharField(_("severity"), max_length=10, choices=AefiSeverity.choices)
    symptoms = models.TextField(_("symptoms"))
    treatment = models.TextField(_("treatment"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=AefiOutcome.choices, default=AefiOutcome.UNKNOWN
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_to_doh_at = models.DateTimeField(_("reported to the DOH"), null=True, blank=True)

    class Meta:
        verbose_name = _("adverse event following immunisation")
        verbose_name_plural = _("adverse events following immunisation")
        ordering = ["-onset_at", "-pk"]

    def __str__(self):
        return _("AEFI after %(dose)s (%(severity)s)") % {
            "dose": self.dose,
            "severity": self.get_severity_display(),
        }

    def get_absolute_url(self):
        return _url("vaccines:aefi-detail", self.uid)


# --------------------------------------------------------------------------------------------
# Service revenue
# --------------------------------------------------------------------------------------------


class RevenueSource(BaseModel):
    """A service line that brings revenue (nguồn thu): vaccination, clinic, laboratory, ..."""

    permission_resource = "revenue"

    uid = _uid_field()
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("revenue source")
        verbose_name_plural = _("revenue sources")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class ServicePrice(BaseModel):
    """A centre's price of one service of a revenue source, valid from a date."""

    scope_path_field = "org_unit__path"
    permission_resource = "revenue"

    uid = _uid_field()
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="service_prices"
    )
    source = models.ForeignKey(
        RevenueSource,
        verbose_name=_("revenue source"),
        on_delete=models.PROTECT,
        related_name="prices",
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("service"), max_length=255)
    vaccine = models.ForeignKey(
        Vaccine,
        verbose_name=_("vaccine"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_prices",
    )
    price = models.BigIntegerField(_("price (VND)"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service price")
        verbose_name_plural = _("service prices")
        ordering = ["source", "name", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "code", "valid_from"], name="serviceprice_unique"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="serviceprice_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="serviceprice_validity",
            ),
        ]

    def __str__(self):
        return f"{self.name}: {format_vnd(self.price)}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    TRANSFER = "transfer", _("Bank transfer")
    CARD = "card", _("Card")
    EWALLET = "ewallet", _("E-wallet / QR")


class Receipt(BaseModel):
    """A receipt (phiếu thu) of a service revenue source; vaccination payments are receipts
    of the vaccination source. A wrong receipt is cancelled, never deleted."""

    scope_path_field = "org_unit__path"
    permission_resource = "revenue"

    uid = _uid_field()
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="receipts"
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("vaccination point"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
    )
    number = models.CharField(_("receipt number"), max_length=30)
    date = models.DateField(_("date"))
    source = models.ForeignKey(
        RevenueSource,
        verbose_name=_("revenue source"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
    )
    visit = models.ForeignKey(
        VaccinationVisit,
        verbose_name=_("visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
    )
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    amount = models.BigIntegerField(_("amount (VND)"))
    payment_method = models.CharField(
        _("payment method"),
        max_length=10,
        choices=PaymentMethod.choices,
        default=PaymentMethod.CASH,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "number"], name="receipt_unique_number"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="receipt_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["org_unit", "date"], name="receipt_unit_date")]

    def __str__(self):
        return _("Receipt %(number)s (%(amount)s)") % {
            "number": self.number,
            "amount": format_vnd(self.amount),
        }

    def get_absolute_url(self):
        return _url("vaccines:receipt-detail", self.uid)

    @property
    def amount_display(self) -> str:
        return format_vnd(self.amount)


class ReceiptItem(BaseModel):
    scope_path_field = "receipt__org_unit__path"
    permission_resource = "revenue"

    receipt = models.ForeignKey(
        Receipt, verbose_name=_("receipt"), on_delete=models.CASCADE, related_name="items"
    )
    price = models.ForeignKey(
        ServicePrice,
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt_items",
    )
    dose = models.ForeignKey(
        Dose,
        verbose_name=_("dose"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt_items",
    )
    description = models.CharField(_("description"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.BigIntegerField(_("unit price (VND)"))
    amount = models.BigIntegerField(_("amount (VND)"))

    class Meta:
        verbose_name = _("receipt item")
        verbose_name_plural = _("receipt items")
        ordering = ["receipt", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(amount__gte=0),
                name="receiptitem_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.description} × {self.quantity}"
