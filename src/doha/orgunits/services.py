"""Business rules of the facility registry: create, update, move (effective-dated), retire.

Views, the REST API, imports and management commands all go through these functions so the
tree, its stored paths, its history and the audit log stay consistent.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.orgunits.models import OrgUnit, OrgUnitHierarchy

EPOCH = datetime.date(1900, 1, 1)


def _start_of(unit: OrgUnit) -> datetime.date:
    return unit.opening_date or EPOCH


@transaction.atomic
def create_org_unit(unit: OrgUnit) -> OrgUnit:
    unit.full_clean()
    unit.save()
    OrgUnitHierarchy.objects.create(
        org_unit=unit, parent=unit.parent, path=unit.path, valid_from=_start_of(unit)
    )
    return unit


@transaction.atomic
def update_org_unit(unit: OrgUnit, previous_parent_id=None, move_date=None) -> OrgUnit:
    """Save edits; when the parent changed, record the move as of ``move_date`` (today)."""
    unit.full_clean()
    new_parent = unit.parent
    if previous_parent_id != unit.parent_id:
        unit.parent_id = previous_parent_id
        unit.save()
        return move_org_unit(unit, new_parent, move_date or timezone.localdate())
    unit.save()
    return unit


@transaction.atomic
def move_org_unit(unit: OrgUnit, new_parent: OrgUnit | None, date: datetime.date) -> OrgUnit:
    """Place ``unit`` (and its subtree) under ``new_parent`` from ``date`` on.

    The period before ``date`` keeps the old parent and path, so the tree can still be
    asked for as it was; every descendant's stored path is rewritten in the same transaction.
    """
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    if new_parent is not None and (
        new_parent.pk == unit.pk or new_parent.path.startswith(unit.path)
    ):
        raise ValidationError(
            {"parent": _("A unit cannot be placed under itself or its own sub-unit.")}
        )
    if unit.parent_id == (new_parent.pk if new_parent else None):
        return unit
    current = unit.hierarchy.filter(valid_to__isnull=True).order_by("-valid_from").first()
    if current is not None and date < current.valid_from:
        raise ValidationError(
            {
                "date": _("The move date cannot be before %(date)s, when the current place began.")
                % {"date": current.valid_from.strftime("%d/%m/%Y")}
            }
        )
    old_path = unit.path
    unit.parent = new_parent
    unit.save()  # recomputes unit.path from the new parent
    new_path = unit.path
    descendants = list(
        OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).order_by("depth")
    )
    for child in descendants:
        child.path = new_path + child.path[len(old_path) :]
        child.depth = child.path.count("/") - 1
    OrgUnit.objects.bulk_update(descendants, ["path", "depth"])
    for member in [unit, *descendants]:
        _split_period(member, date, parent=member.parent, path=member.path)
    return unit


def _split_period(unit: OrgUnit, date, parent, path):
    current = unit.hierarchy.filter(valid_to__isnull=True).order_by("-valid_from").first()
    if current is not None and current.valid_from >= date:
        current.parent = parent
        current.path = path
        current.save(update_fields=["parent", "path"])
        return
    if current is not None:
        current.valid_to = date
        current.save(update_fields=["valid_to"])
    OrgUnitHierarchy.objects.create(org_unit=unit, parent=parent, path=path, valid_from=date)


@transaction.atomic
def retire_org_unit(unit: OrgUnit, date: datetime.date | None = None) -> OrgUnit:
    """Retire instead of delete: others refer to facilities, history must stay readable."""
    date = date or timezone.localdate()
    if unit.children.filter(active=True).exists():
        raise ValidationError(_("This unit still has active sub-units: move or retire them first."))
    unit.active = False
    unit.closing_date = unit.closing_date or date
    unit.full_clean()
    unit.save()
    unit.hierarchy.filter(valid_to__isnull=True).update(valid_to=unit.closing_date)
    return unit


@transaction.atomic
def reactivate_org_unit(unit: OrgUnit) -> OrgUnit:
    unit.active = True
    closed_on = unit.closing_date
    unit.closing_date = None
    unit.save()
    if not unit.hierarchy.filter(valid_to__isnull=True).exists():
        OrgUnitHierarchy.objects.create(
            org_unit=unit,
            parent=unit.parent,
            path=unit.path,
            valid_from=closed_on or timezone.localdate(),
        )
    return unit
