from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from doha.core.models import ChangeLoggedMixin
from doha.core.permissions import Role


class User(ChangeLoggedMixin, AbstractUser):
    """A person who signs in: a role and the org unit whose subtree they work in."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit",
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("The user sees and changes only this unit and the units below it."),
    )

    # Never copy secrets or sign-in noise into the audit log.
    audit_exclude = ["password", "last_login"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @cached_property
    def scope_root(self):
        """The org unit at the top of what this user may see.

        A line-direction officer works for a hospital but directs the facilities of the
        whole province: their scope is the Department of Health above their hospital.
        """
        unit = self.org_unit
        if unit is None:
            return None
        if self.role == Role.LINE_OFFICER:
            from doha.orgunits.models import FacilityType

            ancestor = unit
            while ancestor is not None and ancestor.facility_type != FacilityType.DOH:
                ancestor = ancestor.parent
            return ancestor or unit
        return unit

    @property
    def is_system_admin(self) -> bool:
        return self.is_superuser or self.role == Role.SYSTEM_ADMIN
