"""Scoping every queryset in one place.

Org units carry a materialized ``path`` ("/<uid>/<uid>/.../") so a subtree is one indexed
prefix filter. A scoped model names the path it is scoped by in ``scope_path_field``
("path" for org units themselves, "facility__path" for records of a facility), or a tuple
of paths when a record belongs to several units (in scope when any of them is).
Views, viewsets, exports and imports all call ``Model.objects.restrict(user, action)``.
"""

from django.db import models

from doha.core.permissions import Role, role_allows


def user_scope_path(user) -> str | None:
    """The path prefix a user may see, "" for everything, None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser or getattr(user, "role", None) == Role.SYSTEM_ADMIN:
        return ""
    root = getattr(user, "scope_root", None)
    if root is None:
        return None
    return root.path


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        model = self.model
        resource = getattr(model, "permission_resource", model._meta.model_name)
        if user is None or not user.is_authenticated:
            return self.none()
        if not user.is_superuser and not role_allows(getattr(user, "role", None), resource, action):
            return self.none()
        prefix = user_scope_path(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self
        fields = getattr(model, "scope_path_field", None)
        if fields is None:
            return self
        if isinstance(fields, str):
            return self.filter(**{f"{fields}__startswith": prefix})
        # A record shared by several units (a programme's parties, a transfer's provider and
        # recipient) is in scope when any of them is; one subquery keeps rows distinct.
        condition = models.Q()
        for field in fields:
            condition |= models.Q(**{f"{field}__startswith": prefix})
        return self.filter(pk__in=model._base_manager.filter(condition).values("pk"))


def can(user, model, action: str) -> bool:
    """Whether the user's role grants ``action`` on ``model`` at all (scope aside)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    resource = getattr(model, "permission_resource", model._meta.model_name)
    return role_allows(getattr(user, "role", None), resource, action)


def in_scope(user, path: str) -> bool:
    prefix = user_scope_path(user)
    return prefix is not None and path.startswith(prefix)
