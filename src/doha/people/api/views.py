from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from doha.core import privacy
from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.people import services
from doha.people.api.serializers import (
    CmeEntrySerializer,
    ReverseSerializer,
    WorkerListSerializer,
    WorkerSerializer,
    WorkerUpdateSerializer,
)
from doha.people.filters import CmeEntryFilterSet, WorkerFilterSet
from doha.people.models import CmeEntry, HealthWorker


class WorkerViewSet(ScopedModelViewSet):
    """Health workers, scoped by facility. Lists mask personal identifiers; a retrieve
    returns the full record and is logged as an access. DELETE retires."""

    queryset = HealthWorker.objects.select_related("facility", "specialty")
    serializer_class = WorkerSerializer
    filterset_class = WorkerFilterSet
    lookup_field = "uid"

    def get_serializer_class(self):
        if self.action == "list":
            return WorkerListSerializer
        if self.action in ("update", "partial_update"):
            return WorkerUpdateSerializer
        return super().get_serializer_class()

    def retrieve(self, request, *args, **kwargs):
        worker = self.get_object()
        services.log_access(worker, request.user, via="api")
        data = self.get_serializer(worker).data
        if not privacy.needs_full(request.user, HealthWorker):
            # Roles that only read see identifiers masked (Decree 13/2023/NĐ-CP).
            data["licence_number"] = worker.masked_licence
            data["phone"] = worker.masked_phone
        return Response(data)

    def perform_create(self, serializer):
        self._save(services.create_worker, HealthWorker(**serializer.validated_data), serializer)

    def perform_update(self, serializer):
        worker = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(worker, key, value)
        self._save(services.update_worker, worker, serializer)

    def _save(self, service, worker, serializer):
        try:
            serializer.instance = service(worker)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def destroy(self, request, *args, **kwargs):
        services.retire_worker(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CmeEntryViewSet(ScopedModelViewSet):
    """The CME ledger: entries are added and listed, never edited nor deleted; a mistake is
    corrected with ``reverse`` (a linked entry of the opposite hours)."""

    queryset = CmeEntry.objects.select_related("worker")
    serializer_class = CmeEntrySerializer
    filterset_class = CmeEntryFilterSet
    lookup_field = "pk"
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"reverse": "change"}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        worker = data.pop("worker")
        try:
            serializer.instance = services.add_cme_entry(worker, **data)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    @extend_schema(request=ReverseSerializer, responses=CmeEntrySerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Correct the entry with a reversing entry dated today."""
        entry = self.get_object()
        data = ReverseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            correction = services.reverse_cme_entry(entry, reason=data.validated_data["reason"])
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(self.get_serializer(correction).data, status=status.HTTP_201_CREATED)
