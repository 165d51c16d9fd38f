"""Permission class of every REST endpoint (kept apart from viewsets: DRF imports it early)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from doha.core.scope import can

ACTION_BY_METHOD = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "retire",
}


def required_action(request, view) -> str:
    """The action a request asks for: a viewset's extra actions name theirs in
    ``action_permissions`` (``move`` is a change, not an add); otherwise the HTTP method's."""
    named = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
    return named or ACTION_BY_METHOD.get(request.method, "view")


class ScopedPermission(permissions.BasePermission):
    message = _("Your role does not allow this action.")

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:
            return True
        return can(request.user, model, required_action(request, view))
