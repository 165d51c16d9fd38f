from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme
from doha.training.models import Course, Enrolment, Result


@extend_schema_field(OpenApiTypes.STR)
class ScopedSlugField(serializers.SlugRelatedField):
    """A related object chosen by its slug among those the caller may see."""

    def __init__(self, *args, model=None, **kwargs):
        self.model = model
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model.objects.none()
        return self.model.objects.restrict(request.user, "view")


class CourseSerializer(serializers.ModelSerializer):
    organiser = ScopedSlugField(slug_field="uid", model=OrgUnit, help_text=_("UID of the unit."))
    organiser_name = serializers.CharField(source="organiser.name", read_only=True)
    programme = ScopedSlugField(slug_field="uid", model=Programme, required=False, allow_null=True)
    enrolled = serializers.IntegerField(read_only=True, default=None)
    passed = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Course
        fields = [
            "uid",
            "title",
            "kind",
            "organiser",
            "organiser_name",
            "venue",
            "online",
            "start_date",
            "end_date",
            "hours",
            "programme",
            "capacity",
            "status",
            "enrolled",
            "passed",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]


class EnrolmentSerializer(serializers.ModelSerializer):
    course = ScopedSlugField(slug_field="uid", model=Course, help_text=_("UID of the course."))
    worker = ScopedSlugField(
        slug_field="uid", model=HealthWorker, help_text=_("UID of the health worker.")
    )
    worker_name = serializers.CharField(source="worker.full_name", read_only=True)
    certificate = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "course",
            "worker",
            "worker_name",
            "attendance_percent",
            "result",
            "result_date",
            "certificate_number",
            "certificate",
            "created",
        ]
        read_only_fields = [
            "id",
            "attendance_percent",
            "result",
            "result_date",
            "certificate_number",
            "created",
        ]
        # Duplicates are refused by the service, with its message.
        validators = []

    def get_certificate(self, obj) -> str | None:
        if not obj.certificate_number:
            return None
        url = reverse("enrolment-certificate", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=Result.choices)
    attendance_percent = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True, default=None
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
