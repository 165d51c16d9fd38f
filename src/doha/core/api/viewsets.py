"""The viewset base of every REST endpoint.

Its queryset is always ``restrict(user, action)``: objects outside the user's scope do not
exist for them (404, never a leak in lists or counts); an action their role does not grant
is a 403 (``ScopedPermission``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, viewsets

from doha.core.api.permissions import ACTION_BY_METHOD
from doha.core.audit import bind_actor


class ScopedModelViewSet(viewsets.ModelViewSet):
    lookup_field = "uid"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        bind_actor(request.user)

    def get_queryset(self):
        action = ACTION_BY_METHOD.get(self.request.method, "view")
        return self.queryset.all() & self.queryset.model.objects.restrict(self.request.user, action)


def as_api_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})
