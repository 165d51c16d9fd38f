"""The viewset base of every REST endpoint.

Its queryset is always ``restrict(user, action)``: objects outside the user's scope do not
exist for them (404, never a leak in lists or counts); an action their role does not grant
is a 403 (``ScopedPermission``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets

from doha.core.api.permissions import required_action
from doha.core.audit import bind_actor


class ScopedModelViewSet(viewsets.ModelViewSet):
    lookup_field = "uid"
    # Extra actions -> the permission they need, e.g. {"move": "change"}.
    action_permissions: dict[str, str] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_null_characters(request.query_params)
        refuse_null_characters(request.data)
        bind_actor(request.user)

    def get_queryset(self):
        action = required_action(self.request, self)
        return self.queryset.all() & self.queryset.model.objects.restrict(self.request.user, action)


def _has_null(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_null(key) or _has_null(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_null(item) for item in value)
    return False


def refuse_null_characters(data) -> None:
    """A 400 naming the field when a parameter or field holds a NUL character.

    PostgreSQL cannot store or even compare a text with NUL (found by the API fuzzing: a
    server error on PostgreSQL only, wherever a value reached a query unvalidated)."""
    if hasattr(data, "lists"):  # QueryDict: every value of a repeated key
        items = list(data.lists())
    elif isinstance(data, dict):
        items = list(data.items())
    else:
        items = [("non_field_errors", data)]
    errors = {
        key if isinstance(key, str) and "\x00" not in key else "non_field_errors": [
            _("Null characters are not allowed.")
        ]
        for key, value in items
        if _has_null(key) or _has_null(value)
    }
    if errors:
        raise exceptions.ValidationError(errors)


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
