from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.rotations import services
from doha.rotations.api.serializers import OutputsSerializer, RotationSerializer
from doha.rotations.filters import RotationFilterSet
from doha.rotations.models import Rotation


class RotationViewSet(ScopedModelViewSet):
    """Rotations (luân phiên, Project 1816) and secondments (biệt phái).

    Creating and editing check the same rules as the pages (period within the programme's
    policy, no overlap for the worker, facilities among the programme's parties).
    ``outputs`` records what the rotation produced once started. DELETE cancels.
    """

    queryset = (
        Rotation.objects.select_related("worker", "from_facility", "to_facility", "programme")
        .prefetch_related("techniques")
        .order_by("-start", "pk")
    )
    serializer_class = RotationSerializer
    filterset_class = RotationFilterSet
    # Cancelling (DELETE) is a change, as on the pages.
    action_permissions = {"outputs": "change", "destroy": "change"}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        techniques = data.pop("techniques", None)
        try:
            with transaction.atomic():
                serializer.instance = services.create_rotation(
                    Rotation(**data), techniques=techniques, user=self.request.user
                )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_update(self, serializer):
        rotation = serializer.instance
        data = dict(serializer.validated_data)
        techniques = data.pop("techniques", None)
        for key, value in data.items():
            setattr(rotation, key, value)
        try:
            with transaction.atomic():
                services.update_rotation(rotation, techniques=techniques, user=self.request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_destroy(self, instance):
        try:
            services.cancel_rotation(
                instance, reason=self.request.query_params.get("reason", ""), user=self.request.user
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    @extend_schema(request=OutputsSerializer, responses=RotationSerializer)
    @action(detail=True, methods=["post"])
    def outputs(self, request, uid=None):
        """Record the outputs (patients examined, surgeries, techniques transferred,
        people trained), once the rotation has started."""
        rotation = self.get_object()
        data = OutputsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            rotation = services.record_outputs(rotation, user=request.user, **data.validated_data)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(
            RotationSerializer(rotation, context={"request": request}).data,
            status=status.HTTP_200_OK,
        )
