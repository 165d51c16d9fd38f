"""Indicators, validation rules and the dashboards users pin analytics to.

Expressions use DHIS2's syntax: ``#{deUid}`` (all disaggregations summed),
``#{deUid.cocUid}``, ``#{deUid.cocUid.aocUid}``, ``#{deUid.*.aocUid}``, ``C{constantUid}``,
numbers and + - * / ( ). See ``doha.analytics.expressions``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doha.aggregate.models import MetadataObject, PeriodType
from doha.core.models import BaseModel


class IndicatorType(MetadataObject):
    factor = models.PositiveIntegerField(_("factor"), default=1)
    number = models.BooleanField(_("number (factor 1)"), default=False)

    class Meta(MetadataObject.Meta):
        verbose_name = _("indicator type")
        verbose_name_plural = _("indicator types")


class Indicator(MetadataObject):
    indicator_type = models.ForeignKey(
        IndicatorType,
        on_delete=models.PROTECT,
        related_name="indicators",
        verbose_name=_("indicator type"),
    )
    numerator = models.TextField(_("numerator"))
    numerator_description = models.CharField(_("numerator description"), max_length=255)
    denominator = models.TextField(_("denominator"), default="1")
    denominator_description = models.CharField(
        _("denominator description"), max_length=255, blank=True
    )
    decimals = models.PositiveSmallIntegerField(_("decimals"), null=True, blank=True)
    annualized = models.BooleanField(_("annualised"), default=False)

    class Meta(MetadataObject.Meta):
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    @property
    def factor(self):
        return self.indicator_type.factor


class Constant(MetadataObject):
    value = models.FloatField(_("value"))

    class Meta(MetadataObject.Meta):
        verbose_name = _("constant")
        verbose_name_plural = _("constants")


class Operator(models.TextChoices):
    EQUAL_TO = "equal_to", "=="
    NOT_EQUAL_TO = "not_equal_to", "!="
    GREATER_THAN = "greater_than", ">"
    GREATER_THAN_OR_EQUAL_TO = "greater_than_or_equal_to", ">="
    LESS_THAN = "less_than", "<"
    LESS_THAN_OR_EQUAL_TO = "less_than_or_equal_to", "<="
    COMPULSORY_PAIR = "compulsory_pair", _("Compulsory pair")
    EXCLUSIVE_PAIR = "exclusive_pair", _("Exclusive pair")


class Importance(models.TextChoices):
    HIGH = "HIGH", _("High")
    MEDIUM = "MEDIUM", _("Medium")
    LOW = "LOW", _("Low")


class MissingValueStrategy(models.TextChoices):
    SKIP_IF_ANY_VALUE_MISSING = "SKIP_IF_ANY_VALUE_MISSING", _("Skip if any value is missing")
    SKIP_IF_ALL_VALUES_MISSING = "SKIP_IF_ALL_VALUES_MISSING", _("Skip if all values are missing")
    NEVER_SKIP = "NEVER_SKIP", _("Never skip")


class ValidationRule(MetadataObject):
    instruction = models.CharField(_("instruction"), max_length=255, blank=True)
    importance = models.CharField(
        _("importance"), max_length=10, choices=Importance.choices, default=Importance.MEDIUM
    )
    period_type = models.CharField(
        _("period type"), max_length=20, choices=PeriodType.choices, default=PeriodType.MONTHLY
    )
    left_side = models.TextField(_("left side"))
    left_side_description = models.CharField(_("left side description"), max_length=255)
    left_missing_value_strategy = models.CharField(
        _("left side when values are missing"),
        max_length=30,
        choices=MissingValueStrategy.choices,
        default=MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
    )
    operator = models.CharField(_("operator"), max_length=30, choices=Operator.choices)
    right_side = models.TextField(_("right side"))
    right_side_description = models.CharField(_("right side description"), max_length=255)
    right_missing_value_strategy = models.CharField(
        _("right side when values are missing"),
        max_length=30,
        choices=MissingValueStrategy.choices,
        default=MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
    )

    class Meta(MetadataObject.Meta):
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")


class ItemKind(models.TextChoices):
    PIVOT = "pivot", _("Pivot table")
    LINE = "line", _("Line chart")
    BAR = "bar", _("Bar chart")
    NUMBER = "number", _("Single figure")


class DashboardItem(BaseModel):
    """An analytics view a user pinned to their dashboard: the query and how to show it."""

    permission_resource = "dashboard"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="dashboard_items",
        verbose_name=_("user"),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("shown as"), max_length=10, choices=ItemKind.choices)
    query = models.JSONField(
        _("query"),
        help_text=_("Dimensions as in /api/analytics: dx, pe and ou items, and filters."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("dashboard item")
        verbose_name_plural = _("dashboard items")
        ordering = ["user", "sort_order", "id"]

    def __str__(self):
        return self.title


# Pre-aggregated values for the query layer (kept exact by doha.analytics.rollup).
from doha.analytics.rollup_models import RollupBacklog, SubtreeRollup, UnitRollup  # noqa: E402, F401
