from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from doha.catalog import services
from doha.catalog.api.serializers import (
    CapabilitySerializer,
    CapabilityUpdateSerializer,
    RetireSerializer,
    SpecialtySerializer,
    TechniqueSerializer,
    VolumeSerializer,
    VolumeWriteSerializer,
)
from doha.catalog.filters import CapabilityFilterSet, SpecialtyFilterSet, TechniqueFilterSet
from doha.catalog.models import CapabilityVolume, FacilityCapability, Specialty, Technique
from doha.core.api.viewsets import ScopedModelViewSet, as_api_error


class _Retiring:
    """DELETE retires (``active=False``): others refer to catalogue entries."""

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        if obj.active:
            obj.active = False
            obj.save()
        return Response(status=status.HTTP_204_NO_CONTENT)


class _Saving:
    """Create and update through ``full_clean`` and the service, one error shape."""

    save_service = None

    def perform_create(self, serializer):
        self._save(self.queryset.model(**serializer.validated_data), serializer)

    def perform_update(self, serializer):
        obj = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(obj, key, value)
        self._save(obj, serializer)

    def _save(self, obj, serializer):
        try:
            serializer.instance = type(self).save_service(obj)
        except ValidationError as exc:
            raise as_api_error(exc) from exc


class SpecialtyViewSet(_Saving, _Retiring, ScopedModelViewSet):
    """Specialties (the chapters of the ministry's list). Everybody reads; system
    administrators and DOH officers write. DELETE retires."""

    queryset = Specialty.objects.all()
    serializer_class = SpecialtySerializer
    filterset_class = SpecialtyFilterSet
    lookup_field = "code"
    save_service = staticmethod(services.save_specialty)


class TechniqueViewSet(_Saving, _Retiring, ScopedModelViewSet):
    """Techniques of the catalogue with the technical levels allowed to perform them.
    Everybody reads; system administrators and DOH officers write. DELETE retires."""

    queryset = Technique.objects.select_related("specialty")
    serializer_class = TechniqueSerializer
    filterset_class = TechniqueFilterSet
    lookup_field = "pk"
    save_service = staticmethod(services.save_technique)


class CapabilityViewSet(ScopedModelViewSet):
    """What each facility performs (the capability register), scoped by facility.
    DELETE retires (the facility no longer performs it)."""

    queryset = FacilityCapability.objects.select_related(
        "facility", "technique__specialty"
    ).prefetch_related(Prefetch("volumes", queryset=CapabilityVolume.objects.order_by("year")))
    serializer_class = CapabilitySerializer
    filterset_class = CapabilityFilterSet
    lookup_field = "pk"
    action_permissions = {"retire": "retire", "reactivate": "change", "volumes": "change"}

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return CapabilityUpdateSerializer
        return super().get_serializer_class()

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            with transaction.atomic():
                serializer.instance = services.add_capability(
                    data["facility"],
                    data["technique"],
                    data.get("since"),
                    data.get("acquisition") or "own",
                    data.get("note", ""),
                )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_update(self, serializer):
        capability = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(capability, key, value)
        try:
            services.update_capability(capability)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def destroy(self, request, *args, **kwargs):
        capability = self.get_object()
        if capability.active:
            try:
                services.retire_capability(capability)
            except ValidationError as exc:
                raise as_api_error(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RetireSerializer, responses=CapabilitySerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """The facility no longer performs the technique, from a date (default today)."""
        capability = self.get_object()
        data = RetireSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            capability = services.retire_capability(capability, data.validated_data.get("date"))
        except ValidationError as exc:
            raise as_api_error(exc, fields={"until": "date"}) from exc
        return Response(self.get_serializer(capability).data)

    @extend_schema(request=None, responses=CapabilitySerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """The facility performs the technique again."""
        try:
            capability = services.reactivate_capability(self.get_object())
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(self.get_serializer(capability).data)

    @extend_schema(request=VolumeWriteSerializer, responses=VolumeSerializer)
    @action(detail=True, methods=["post"])
    def volumes(self, request, pk=None):
        """Record the cases performed in a year (recording a year again corrects it)."""
        capability = self.get_object()
        data = VolumeWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            volume, created = services.record_volume(
                capability, data.validated_data["year"], data.validated_data["cases"]
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(
            VolumeSerializer(volume).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
