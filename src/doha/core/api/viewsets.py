"""The viewset base of every REST endpoint.

Its queryset is always ``restrict(user, action)``: objects outside the user's scope do not
exist for them (404, never a leak in lists or counts); an action their role does not grant
is a 403 (``ScopedPermission``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, viewsets

from doha.core.api.permissions import required_action
from doha.core.audit import bind_actor


class ScopedModelViewSet(viewsets.ModelViewSet):
    lookup_field = "uid"
    # Extra actions -> the permission they need, e.g. {"move": "change"}.
    action_permissions: dict[str, str] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        bind_actor(request.user)

    def get_queryset(self):
        action = required_action(self.request, self)
        return self.queryset.all() & self.queryset.model.objects.restrict(self.request.user, action)


def as_api_error(
    exc: DjangoValidationError, fields: dict[str, str] | None = None
) -> exceptions.ValidationError:
    """One error shape; ``fields`` renames model fields to the request's (closing_date -> date)."""
    if hasattr(exc, "error_dict"):
        fields = fields or {}
        return exceptions.ValidationError(
            {fields.get(key, key): messages for key, messages in exc.message_dict.items()}
        )
    return exceptions.ValidationError({"non_field_errors": exc.messages})
