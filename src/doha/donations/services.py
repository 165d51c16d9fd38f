"""Business rules of donations: at least one item, positive quantities, values in whole VND,
a programme only between its parties. Pages, the REST API and the demo loader call these.
``user=None`` means the system itself: no check."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from doha.core.scope import can, in_scope
from doha.core.signals import notify_records_changed
from doha.donations.models import Donation, DonationItem


def _merge(errors: dict, exc: ValidationError, prefix: str = ""):
    for field, messages in exc.message_dict.items():
        key = "items" if prefix else field
        errors.setdefault(key, []).extend(f"{prefix}{m}" for m in messages)


def _under_any(unit, roots) -> bool:
    """The unit is one of the roots, or below one of them."""
    return any(unit.path.startswith(root.path) for root in roots)


def item_problems(item: DonationItem) -> list[tuple[str, str]]:
    """(field, reason) of each rule one item breaks: the form and the API read the reasons,
    the import names the column of the field."""
    problems = []
    if item.quantity is None or Decimal(item.quantity) <= 0:
        problems.append(("quantity", _("The quantity must be more than zero.")))
    if item.unit_value is not None and item.unit_value < 0:
        problems.append(("unit_value", _("The unit value cannot be negative.")))
    if item.total_value is not None and item.total_value < 0:
        problems.append(("total_value", _("The value cannot be negative.")))
    if not (item.item or "").strip():
        problems.append(("item", _("Name the item.")))
    if not (item.unit or "").strip():
        problems.append(("unit", _("Give the unit.")))
    return problems


def _compute_value(item: DonationItem):
    """The unit value, when given, sets the total (rounded to whole đồng)."""
    if item.unit_value is not None and item.quantity is not None:
        item.total_value = int((Decimal(item.unit_value) * Decimal(item.quantity)).to_integral())
    if item.total_value is None:
        item.total_value = 0


@transaction.atomic
def save_donation(donation: Donation, items: list[DonationItem], *, user=None) -> Donation:
    """Create or update a donation; ``items`` replaces its list of items."""
    if user is not None and not can(user, Donation, "change" if donation.pk else "add"):
        raise PermissionDenied(_("Your role does not allow this action."))
    errors: dict[str, list] = {}
    try:
        donation.full_clean()
    except ValidationError as exc:
        _merge(errors, exc)
    if donation.donor_id and donation.donor_id == donation.recipient_id:
        errors.setdefault("recipient", []).append(
            _("The recipient must be another unit than the donor.")
        )
    items = [i for i in items if i is not None]
    if not items:
        errors.setdefault("items", []).append(_("A donation needs at least one item."))
    for number, item in enumerate(items, start=1):
        label = _("Item %(n)s (%(name)s): ") % {"n": number, "name": item.item or "—"}
        problems = item_problems(item)
        if problems:
            errors.setdefault("items", []).extend(label + reason for _f, reason in problems)
    if donation.programme_id and donation.donor_id and donation.recipient_id:
        parties = [p.org_unit for p in donation.programme.parties.select_related("org_unit")]
        missing = [
            unit for unit in (donation.donor, donation.recipient) if not _under_any(unit, parties)
        ]
        if missing:
            errors.setdefault("programme", []).append(
                _("%(units)s is not a party of this programme (nor a unit under one).")
                % {"units": ", ".join(str(u) for u in missing)}
            )
    if (
        user is not None
        and donation.donor_id
        and donation.recipient_id
        and not (in_scope(user, donation.donor.path) or in_scope(user, donation.recipient.path))
    ):
        errors.setdefault("donor", []).append(
            _("The donor or the recipient must be inside your scope.")
        )
    if errors:
        raise ValidationError({k: v for k, v in errors.items() if v})
    before = (
        Donation.objects.filter(pk=donation.pk).values_list("recipient_id", "date").first()
        if donation.pk
        else None
    )
    donation.save()
    donation.items.all().delete()
    for item in items:
        item.pk = None
        item.donation = donation
        _compute_value(item)
        item.save()
    # The recipient's monthly donation value: the old month (and recipient) and the new.
    changes = [(donation.recipient, donation.date, None)]
    if before is not None and before != (donation.recipient_id, donation.date):
        changes.insert(0, (before[0], before[1], None))
    notify_records_changed(Donation, changes)
    return donation
