"""Pre-aggregated data values, kept exact by ``doha.analytics.rollup``.

``UnitRollup`` holds, per data element, org unit and stored period, the numeric values of
that cell summed over category option combos and attribute option combos (with their
count, minimum and maximum). ``SubtreeRollup`` holds the same figures for each org unit's
whole subtree (the unit itself and every unit below it), so that "5 data elements by
province by quarter" reads a few thousand rows instead of millions of values.
``RollupBacklog`` lists the (data element, period start) pairs a large import changed and
that the next query brings up to date first.

None of these are edited by hand: rows are written by set-based SQL in
``doha.analytics.rollup``; ``refresh_all()`` rebuilds them from the data values.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitRollup(models.Model):
    # No plain index on either key: ``unitrollup_key`` leads with the data element and
    # ``unitrollup_unit`` with the org unit, and each extra index slows every rebuild.
    data_element = models.ForeignKey(
        "aggregate.DataElement",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    period_type = models.CharField(max_length=20)
    start_date = models.DateField()
    end_date = models.DateField()
    total = models.FloatField()
    count = models.IntegerField()
    min_value = models.FloatField()
    max_value = models.FloatField()

    class Meta:
        verbose_name = _("data value rollup")
        verbose_name_plural = _("data value rollups")
        # By element and period start (what queries and rebuilds filter on), and by unit
        # for the per-facility values of a province (the dashboard's coverage table).
        constraints = [
            models.UniqueConstraint(
                fields=["data_element", "start_date", "org_unit", "period_type"],
                name="unitrollup_key",
            )
        ]
        indexes = [
            models.Index(fields=["org_unit", "data_element", "start_date"], name="unitrollup_unit")
        ]

    def __str__(self):
        return f"{self.data_element_id}/{self.org_unit_id}/{self.start_date}: {self.total}"


class SubtreeRollup(models.Model):
    data_element = models.ForeignKey(
        "aggregate.DataElement",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    depth = models.PositiveSmallIntegerField()
    period_type = models.CharField(max_length=20)
    start_date = models.DateField()
    end_date = models.DateField()
    total = models.FloatField()
    count = models.IntegerField()

    class Meta:
        verbose_name = _("subtree rollup")
        verbose_name_plural = _("subtree rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["data_element", "org_unit", "period_type", "start_date"],
                name="subtreerollup_key",
            )
        ]
        indexes = [
            models.Index(fields=["data_element", "depth", "start_date"], name="subtreerollup_level")
        ]

    def __str__(self):
        return f"{self.data_element_id}/{self.org_unit_id}/{self.start_date}: {self.total}"


class RollupBacklog(models.Model):
    data_element = models.ForeignKey(
        "aggregate.DataElement",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    start_date = models.DateField()

    class Meta:
        verbose_name = _("rollup backlog entry")
        verbose_name_plural = _("rollup backlog")
        constraints = [
            models.UniqueConstraint(fields=["data_element", "start_date"], name="rollupbacklog_key")
        ]

    def __str__(self):
        return f"{self.data_element_id}/{self.start_date}"


# The receivers that keep these tables exact (values_changed, org-unit moves).
from doha.analytics import rollup  # noqa: E402, F401
