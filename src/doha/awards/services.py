"""Business rules of awards. Pages, the REST API and the demo loader call ``save_award``;
``user=None`` means the system itself (demo loader): no check.

* exactly one recipient: a unit or a person; exactly one issuer: a unit of the tree or the
  name of one outside it;
* the decision is dated, not in the future, and numbered;
* the recipient's name as written on the award defaults to the unit's or the person's name;
* a user records an award only when its issuer or its recipient is in their scope (and
  edits only awards in their scope), and links it only to a programme they see.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.awards.models import Award
from doha.core.scope import can, in_scope
from doha.programmes.models import Programme


def _paths(award: Award) -> list[str]:
    paths = []
    if award.issuer_id:
        paths.append(award.issuer.path)
    if award.recipient_unit_id:
        paths.append(award.recipient_unit.path)
    if award.recipient_person_id:
        paths.append(award.recipient_person.facility.path)
    return paths


@transaction.atomic
def save_award(award: Award, *, user=None) -> Award:
    """Create or update ``award`` after checking its rules; errors name the field."""
    action = "change" if award.pk else "add"
    if user is not None:
        if not can(user, Award, action):
            raise PermissionDenied(_("Your role does not allow this action."))
        if award.pk and not Award.objects.restrict(user, "change").filter(pk=award.pk).exists():
            raise PermissionDenied(_("This award is outside your scope."))
    award.issuer_name = (award.issuer_name or "").strip()
    award.recipient_name = (award.recipient_name or "").strip()
    errors: dict[str, list] = {}
    try:
        # The one-recipient constraint is checked by clean(), with a message naming the field.
        award.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if award.decision_date and award.decision_date > timezone.localdate():
        errors.setdefault("decision_date", []).append(
            _("The decision date cannot be in the future.")
        )
    if not (award.decision_number or "").strip():
        errors.setdefault("decision_number", []).append(_("Give the decision number."))
    if user is not None and not errors:
        if not any(in_scope(user, path) for path in _paths(award)):
            errors.setdefault("recipient_unit", []).append(
                _("Either the issuer or the recipient must be in your scope.")
            )
        if (
            award.programme_id
            and not Programme.objects.restrict(user, "view").filter(pk=award.programme_id).exists()
        ):
            errors.setdefault("programme", []).append(_("This programme is outside your scope."))
    if errors:
        raise ValidationError(errors)
    if not award.recipient_name:
        award.recipient_name = award.recipient_display
    award.save()
    return award


def awards_visible(user, **filters):
    return (
        Award.objects.restrict(user, "view")
        .filter(**filters)
        .select_related("issuer", "recipient_unit", "recipient_person", "programme")
        .order_by("-decision_date", "-pk")
    )
