from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.training import services
from doha.training.api.serializers import (
    CourseSerializer,
    EnrolmentSerializer,
    ResultSerializer,
)
from doha.training.exports import with_counts
from doha.training.filters import CourseFilterSet, EnrolmentFilterSet
from doha.training.models import Course, Enrolment
from doha.training.views import certificate_response


class CourseViewSet(ScopedModelViewSet):
    """Training courses. A course is never deleted: set its status to cancelled."""

    queryset = Course.objects.select_related("organiser", "programme").order_by(
        "-start_date", "-pk"
    )
    serializer_class = CourseSerializer
    filterset_class = CourseFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return with_counts(super().get_queryset())

    def _save(self, serializer, course):
        for key, value in serializer.validated_data.items():
            setattr(course, key, value)
        try:
            with transaction.atomic():
                serializer.instance = services.save_course(course, user=self.request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer, Course())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


class EnrolmentViewSet(ScopedModelViewSet):
    """Enrolments: POST enrols a worker; ``result`` records attendance and result;
    ``certificate`` downloads the PDF of a passed result."""

    queryset = Enrolment.objects.select_related("course__organiser", "worker__facility").order_by(
        "course", "worker__sort_name"
    )
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilterSet
    lookup_field = "pk"
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"result": "change", "certificate": "view"}

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            with transaction.atomic():
                serializer.instance = services.enrol(
                    data["course"], data["worker"], user=self.request.user
                )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    @extend_schema(request=ResultSerializer, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def result(self, request, pk=None):
        """Record attendance and result; a passed result issues the certificate and adds
        the course's credit hours to the worker's CME ledger."""
        enrolment = self.get_object()
        data = ResultSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            enrolment = services.record_result(enrolment, user=request.user, **data.validated_data)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(EnrolmentSerializer(enrolment, context={"request": request}).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def certificate(self, request, pk=None):
        """The certificate of a passed result, as PDF."""
        return certificate_response(self.get_object(), request)
