"""Donations and equipment support between units, with their items valued in VND."""

from django.db import models
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.text import format_number
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme


def format_vnd(value) -> str:
    """750000000 -> "750.000.000 đ"."""
    if value is None:
        return ""
    return f"{format_number(value)} đ"


class DonationQuerySet(models.QuerySet):
    pass


class Donation(BaseModel):
    """A gift from a donor unit to a recipient unit (trao tặng), possibly under a programme."""

    scope_path_field = ("donor__path", "recipient__path")
    permission_resource = "donation"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    donor = models.ForeignKey(
        OrgUnit, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="donations_given"
    )
    recipient = models.ForeignKey(
        OrgUnit,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="donations_received",
    )
    date = models.DateField(_("date"))
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="donations",
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"{self.donor} → {self.recipient} ({self.date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("donations:detail", args=[self.uid])

    @property
    def total_value(self) -> int:
        annotated = getattr(self, "value_total", None)
        if annotated is not None:
            return annotated
        return sum(item.value for item in self.items.all())

    @property
    def total_value_display(self) -> str:
        return format_vnd(self.total_value)


def with_totals(queryset):
    return queryset.annotate(
        value_total=Coalesce(Sum("items__total_value"), 0, output_field=models.BigIntegerField())
    )


class DonationItem(BaseModel):
    scope_path_field = ("donation__donor__path", "donation__recipient__path")
    permission_resource = "donation"

    donation = models.ForeignKey(
        Donation, verbose_name=_("donation"), on_delete=models.CASCADE, related_name="items"
    )
    item = models.CharField(_("item"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=40, help_text=_("e.g. thùng, chiếc, bộ"))
    unit_value = models.BigIntegerField(_("unit value (VND)"), null=True, blank=True)
    total_value = models.BigIntegerField(
        _("total value (VND)"),
        default=0,
        help_text=_("Computed from the unit value when that is given."),
    )

    class Meta:
        verbose_name = _("donated item")
        verbose_name_plural = _("donated items")
        ordering = ["donation", "pk"]

    def __str__(self):
        return f"{self.item}: {format_number(self.quantity)} {self.unit}"

    @property
    def value(self) -> int:
        return self.total_value or 0

    @property
    def value_display(self) -> str:
        return format_vnd(self.value)

    @property
    def quantity_display(self) -> str:
        q = self.quantity
        return format_number(q, 0 if q == int(q) else 2)
