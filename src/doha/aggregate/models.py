"""The aggregate-data model of DHIS2: data element x category option combo x attribute option
combo x period x org unit -> value.

Metadata objects carry DHIS2-style 11-character UIDs besides their codes so that DHIS2
clients and national systems can exchange data with doha unchanged. The "default" category
option, category, category combo and option combo keep DHIS2's well-known UIDs, which clients
send without asking (``HllvX50cXC0`` is the default option combo everywhere).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.scope import RestrictedQuerySet
from doha.core.uid import generate_uid, is_valid_uid

DEFAULT_CATEGORY_OPTION_UID = "xYerKDKCefk"
DEFAULT_CATEGORY_UID = "GLevLNI9wkl"
DEFAULT_CATEGORY_COMBO_UID = "bjDvmb4bfuf"
DEFAULT_OPTION_COMBO_UID = "HllvX50cXC0"
DEFAULT_NAME = "default"


class MetadataObject(BaseModel):
    """Common columns of DHIS2 metadata: uid, code, name, short name, description."""

    permission_resource = "metadata"

    uid = models.CharField(
        _("UID"),
        max_length=11,
        unique=True,
        default=generate_uid,
        help_text=_("11-character DHIS2-style identifier."),
    )
    code = models.CharField(_("code"), max_length=50, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=230, unique=True)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.uid and not is_valid_uid(self.uid):
            raise ValidationError(
                {"uid": _("A UID has 11 letters or digits and starts with a letter.")}
            )

    def save(self, *args, **kwargs):
        if self.code == "":
            self.code = None
        super().save(*args, **kwargs)

    @property
    def display_name(self):
        return self.name

    @property
    def display_short_name(self):
        return self.short_name or self.name


class ValueType(models.TextChoices):
    NUMBER = "NUMBER", _("Number")
    INTEGER = "INTEGER", _("Integer")
    INTEGER_POSITIVE = "INTEGER_POSITIVE", _("Positive integer")
    INTEGER_ZERO_OR_POSITIVE = "INTEGER_ZERO_OR_POSITIVE", _("Zero or positive integer")
    INTEGER_NEGATIVE = "INTEGER_NEGATIVE", _("Negative integer")
    PERCENTAGE = "PERCENTAGE", _("Percentage")
    UNIT_INTERVAL = "UNIT_INTERVAL", _("Unit interval (0-1)")
    BOOLEAN = "BOOLEAN", _("Yes/No")
    TRUE_ONLY = "TRUE_ONLY", _("Yes only")
    TEXT = "TEXT", _("Text")
    LONG_TEXT = "LONG_TEXT", _("Long text")
    DATE = "DATE", _("Date")

    @classmethod
    def numeric(cls):
        return {
            cls.NUMBER,
            cls.INTEGER,
            cls.INTEGER_POSITIVE,
            cls.INTEGER_ZERO_OR_POSITIVE,
            cls.INTEGER_NEGATIVE,
            cls.PERCENTAGE,
            cls.UNIT_INTERVAL,
        }


class AggregationType(models.TextChoices):
    SUM = "SUM", _("Sum")
    AVERAGE = "AVERAGE", _("Average")
    AVERAGE_SUM_ORG_UNIT = "AVERAGE_SUM_ORG_UNIT", _("Average over time, sum over org units")
    LAST = "LAST", _("Last value (sum over org units)")
    COUNT = "COUNT", _("Count")
    MIN = "MIN", _("Minimum")
    MAX = "MAX", _("Maximum")
    NONE = "NONE", _("None")


class PeriodType(models.TextChoices):
    DAILY = "Daily", _("Daily")
    WEEKLY = "Weekly", _("Weekly")
    MONTHLY = "Monthly", _("Monthly")
    QUARTERLY = "Quarterly", _("Quarterly")
    SIX_MONTHLY = "SixMonthly", _("Six-monthly")
    YEARLY = "Yearly", _("Yearly")


class DataDimensionType(models.TextChoices):
    DISAGGREGATION = "DISAGGREGATION", _("Disaggregation")
    ATTRIBUTE = "ATTRIBUTE", _("Attribute")


class CategoryOption(MetadataObject):
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta(MetadataObject.Meta):
        verbose_name = _("category option")
        verbose_name_plural = _("category options")


class Category(MetadataObject):
    data_dimension_type = models.CharField(
        _("data dimension type"),
        max_length=20,
        choices=DataDimensionType.choices,
        default=DataDimensionType.DISAGGREGATION,
    )
    options = models.ManyToManyField(
        CategoryOption,
        through="CategoryMembership",
        related_name="categories",
        verbose_name=_("options"),
    )

    class Meta(MetadataObject.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def ordered_options(self):
        return [m.option for m in self.memberships.select_related("option").order_by("sort_order")]


class CategoryMembership(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="memberships")
    option = models.ForeignKey(CategoryOption, on_delete=models.PROTECT, related_name="+")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "option"], name="category_option_once")
        ]

    def __str__(self):
        return f"{self.category_id}: {self.option_id}"


class CategoryCombo(MetadataObject):
    data_dimension_type = models.CharField(
        _("data dimension type"),
        max_length=20,
        choices=DataDimensionType.choices,
        default=DataDimensionType.DISAGGREGATION,
    )
    categories = models.ManyToManyField(
        Category,
        through="CategoryComboMembership",
        related_name="combos",
        verbose_name=_("categories"),
    )

    class Meta(MetadataObject.Meta):
        verbose_name = _("category combination")
        verbose_name_plural = _("category combinations")

    @property
    def is_default(self):
        return self.uid == DEFAULT_CATEGORY_COMBO_UID

    def ordered_categories(self):
        return [
            m.category
            for m in self.category_memberships.select_related("category").order_by("sort_order")
        ]


class CategoryComboMembership(models.Model):
    combo = models.ForeignKey(
        CategoryCombo, on_delete=models.CASCADE, related_name="category_memberships"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["combo", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["combo", "category"], name="combo_category_once")
        ]

    def __str__(self):
        return f"{self.combo_id}: {self.category_id}"


class CategoryOptionCombo(MetadataObject):
    """One cell of a combo's cartesian product ("Nam, Dưới 5 tuổi"). Names repeat across
    combos in DHIS2, so the name is not unique here."""

    name = models.CharField(_("name"), max_length=230)
    category_combo = models.ForeignKey(
        CategoryCombo,
        on_delete=models.CASCADE,
        related_name="option_combos",
        verbose_name=_("category combination"),
    )
    options = models.ManyToManyField(
        CategoryOption, related_name="option_combos", verbose_name=_("options")
    )
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("category option combination")
        verbose_name_plural = _("category option combinations")
        ordering = ["category_combo", "sort_order"]

    @property
    def is_default(self):
        return self.uid == DEFAULT_OPTION_COMBO_UID


class DataElementSource(models.TextChoices):
    ENTERED = "entered", _("Entered or imported")
    COMPUTED = "computed", _("Computed from doha's records")


class DataElement(MetadataObject):
    form_name = models.CharField(_("form name"), max_length=230, blank=True)
    value_type = models.CharField(
        _("value type"), max_length=30, choices=ValueType.choices, default=ValueType.NUMBER
    )
    aggregation_type = models.CharField(
        _("aggregation type"),
        max_length=30,
        choices=AggregationType.choices,
        default=AggregationType.SUM,
    )
    domain_type = models.CharField(_("domain type"), max_length=20, default="AGGREGATE")
    category_combo = models.ForeignKey(
        CategoryCombo,
        on_delete=models.PROTECT,
        related_name="data_elements",
        verbose_name=_("disaggregation"),
    )
    zero_is_significant = models.BooleanField(
        _("store zero values"),
        default=False,
        help_text=_("When off, a zero is not stored, as in DHIS2."),
    )
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=DataElementSource.choices,
        default=DataElementSource.ENTERED,
    )
    computed_from = models.CharField(
        _("computed from"),
        max_length=50,
        blank=True,
        help_text=_("For computed elements: the name of the activity figure that fills it."),
    )

    class Meta(MetadataObject.Meta):
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")

    @property
    def is_numeric(self):
        return self.value_type in ValueType.numeric()


class DataSet(MetadataObject):
    period_type = models.CharField(
        _("period type"), max_length=20, choices=PeriodType.choices, default=PeriodType.MONTHLY
    )
    category_combo = models.ForeignKey(
        CategoryCombo,
        on_delete=models.PROTECT,
        related_name="data_sets",
        verbose_name=_("attribute combination"),
    )
    data_elements = models.ManyToManyField(
        DataElement,
        through="DataSetElement",
        related_name="data_sets",
        verbose_name=_("data elements"),
    )
    org_units = models.ManyToManyField(
        "orgunits.OrgUnit",
        related_name="data_sets",
        blank=True,
        verbose_name=_("reporting facilities"),
    )
    open_future_periods = models.PositiveSmallIntegerField(_("open future periods"), default=0)
    expiry_days = models.PositiveSmallIntegerField(
        _("expiry days"),
        default=0,
        help_text=_("Days after the period ends when entry closes; 0 never closes."),
    )
    timely_days = models.PositiveSmallIntegerField(
        _("days after period end to qualify for timely submission"), default=15
    )

    class Meta(MetadataObject.Meta):
        verbose_name = _("data set")
        verbose_name_plural = _("data sets")


class DataSetElement(models.Model):
    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="elements")
    data_element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="+")
    category_combo = models.ForeignKey(
        CategoryCombo,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Overrides the data element's disaggregation in this data set."),
    )
    section = models.CharField(_("section"), max_length=120, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["data_set", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["data_set", "data_element"], name="dataset_de_once")
        ]

    def __str__(self):
        return f"{self.data_set_id}: {self.data_element_id}"

    @property
    def effective_combo(self):
        return self.category_combo or self.data_element.category_combo


class DataValueQuerySet(RestrictedQuerySet):
    def live(self):
        return self.filter(deleted=False)


class DataValue(models.Model):
    """One stored number (or text) of the aggregate model.

    Not registered with the row-level audit log: imports write values in bulk, and
    ``DataValueAudit`` keeps every value's trail (created, updated, deleted, by whom and
    what it was before) written by the same statement that changes the value.
    """

    scope_path_field = "org_unit__path"
    permission_resource = "datavalue"

    # The foreign keys carry no index of their own: the unique key and the two composite
    # indexes below serve every lookup, and each extra index slows bulk imports. Nor do they
    # carry a database constraint: ``apply_values`` resolves and checks every identifier
    # before it writes, and PostgreSQL would check each deferred key again, row by row, at
    # COMMIT (a third of a large import). ``on_delete=PROTECT`` still guards deletions made
    # through the ORM.
    data_element = models.ForeignKey(
        DataElement,
        on_delete=models.PROTECT,
        related_name="values",
        verbose_name=_("data element"),
        db_constraint=False,
        db_index=False,
    )
    period = models.CharField(_("period"), max_length=10)
    period_type = models.CharField(_("period type"), max_length=20, choices=PeriodType.choices)
    start_date = models.DateField(_("period start"))
    end_date = models.DateField(_("period end"))
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit",
        on_delete=models.PROTECT,
        related_name="data_values",
        verbose_name=_("org unit"),
        db_constraint=False,
        db_index=False,
    )
    category_option_combo = models.ForeignKey(
        CategoryOptionCombo,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category option combo"),
        db_constraint=False,
        db_index=False,
    )
    attribute_option_combo = models.ForeignKey(
        CategoryOptionCombo,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("attribute option combo"),
        db_constraint=False,
        db_index=False,
    )
    value = models.CharField(_("value"), max_length=50000)
    numeric_value = models.FloatField(_("numeric value"), null=True, blank=True)
    stored_by = models.CharField(_("stored by"), max_length=150, blank=True)
    comment = models.CharField(_("comment"), max_length=5000, blank=True)
    follow_up = models.BooleanField(_("follow up"), default=False)
    deleted = models.BooleanField(_("deleted"), default=False)
    created = models.DateTimeField(_("created"))
    last_updated = models.DateTimeField(_("last updated"))

    objects = DataValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "data_element",
                    "period",
                    "org_unit",
                    "category_option_combo",
                    "attribute_option_combo",
                ],
                name="datavalue_key",
            )
        ]
        indexes = [
            models.Index(fields=["data_element", "start_date"], name="datavalue_de_start"),
            models.Index(fields=["org_unit", "period"], name="datavalue_ou_period"),
        ]

    def __str__(self):
        return f"{self.data_element_id}/{self.period}/{self.org_unit_id}: {self.value}"


class AuditType(models.TextChoices):
    CREATE = "CREATE", _("Created")
    UPDATE = "UPDATE", _("Updated")
    DELETE = "DELETE", _("Deleted")


class DataValueAudit(models.Model):
    """The trail of one data value: each change with who, when, the value before and after."""

    scope_path_field = "org_unit__path"
    permission_resource = "datavalue"

    # A trail row is written with its value in bulk; the value's own keys were checked
    # already, so the trail keeps no constraints or indexes of its own but ``dvaudit_key``.
    data_element = models.ForeignKey(
        DataElement,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    period = models.CharField(max_length=10)
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    category_option_combo = models.ForeignKey(
        CategoryOptionCombo,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    attribute_option_combo = models.ForeignKey(
        CategoryOptionCombo,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    previous_value = models.CharField(_("value before"), max_length=50000, null=True, blank=True)
    value = models.CharField(_("value after"), max_length=50000, null=True, blank=True)
    modified_by = models.CharField(_("modified by"), max_length=150, blank=True)
    created = models.DateTimeField(_("when"))
    audit_type = models.CharField(_("change"), max_length=10, choices=AuditType.choices)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("data value change")
        verbose_name_plural = _("data value changes")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["data_element", "period", "org_unit"], name="dvaudit_key")]

    def __str__(self):
        return f"{self.audit_type} {self.data_element_id}/{self.period}/{self.org_unit_id}"


class CompleteRegistration(models.Model):
    """A data set marked complete for a facility and period (DHIS2's
    completeDataSetRegistration)."""

    scope_path_field = "org_unit__path"
    permission_resource = "datavalue"

    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="registrations")
    period = models.CharField(_("period"), max_length=10)
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit", on_delete=models.CASCADE, related_name="complete_registrations"
    )
    attribute_option_combo = models.ForeignKey(
        CategoryOptionCombo, on_delete=models.PROTECT, related_name="+"
    )
    completed = models.BooleanField(_("completed"), default=True)
    date = models.DateTimeField(_("completed at"))
    stored_by = models.CharField(_("completed by"), max_length=150, blank=True)
    last_updated_by = models.CharField(max_length=150, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("complete registration")
        verbose_name_plural = _("complete registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["data_set", "period", "org_unit", "attribute_option_combo"],
                name="complete_registration_key",
            )
        ]

    def __str__(self):
        return f"{self.data_set_id}/{self.period}/{self.org_unit_id}"
