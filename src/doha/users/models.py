from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel, ChangeLoggedMixin
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


class ApiToken(BaseModel):
    """A personal access token (DHIS2's ``Authorization: ApiToken d2pat_...``).

    Only a hash is stored; the secret is shown once, when the token is made.
    """

    permission_resource = "apitoken"
    audit_exclude = ["key_hash", "last_used"]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("token starts with"), max_length=16, db_index=True)
    key_hash = models.CharField(max_length=128, unique=True)
    expires = models.DateField(_("expires"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal access token")
        verbose_name_plural = _("personal access tokens")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"
