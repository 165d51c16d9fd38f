"""Helpers shared by the org-unit tests."""

from doha.orgunits.models import OrgUnit, OrgUnitHierarchy


def snapshot():
    """Everything a failed write must leave untouched."""
    units = {
        u.code: (u.name, u.short_name, u.parent_id, u.path, u.depth, u.active, u.closing_date)
        for u in OrgUnit.objects.all()
    }
    periods = sorted(
        OrgUnitHierarchy.objects.values_list("org_unit_id", "parent_id", "path", "valid_from")
    )
    return units, periods
