from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.catalog.models import Specialty
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.telehealth.models import Attendance, Consultation, TeleEducationSession


@extend_schema_field(OpenApiTypes.STR)
class UnitField(serializers.SlugRelatedField):
    """An org unit by its UID."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    def get_queryset(self):
        return OrgUnit.objects.filter(active=True)


@extend_schema_field(OpenApiTypes.STR)
class WorkerField(serializers.SlugRelatedField):
    """A health worker (by UID) among those the caller may see."""

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return HealthWorker.objects.restrict(user, "view")


class ConsultationSerializer(serializers.ModelSerializer):
    requesting = UnitField()
    hub = UnitField()
    requesting_name = serializers.CharField(source="requesting.name", read_only=True)
    hub_name = serializers.CharField(source="hub.name", read_only=True)
    specialty = serializers.SlugRelatedField(
        slug_field="code", queryset=Specialty.objects.filter(active=True)
    )
    participants = WorkerField(slug_field="uid", many=True, required=False)
    response_hours = serializers.FloatField(read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "uid",
            "requesting",
            "requesting_name",
            "hub",
            "hub_name",
            "specialty",
            "urgency",
            "patient_age",
            "patient_sex",
            "patient_summary",
            "requested_at",
            "answered_at",
            "response_hours",
            "participants",
            "participants_text",
            "conclusion",
            "outcome",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]


class AttendanceSerializer(serializers.ModelSerializer):
    facility = UnitField()
    facility_name = serializers.CharField(source="facility.name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["facility", "facility_name", "attendees"]


class SessionSerializer(serializers.ModelSerializer):
    hub = UnitField()
    hub_name = serializers.CharField(source="hub.name", read_only=True)
    specialty = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Specialty.objects.filter(active=True),
        required=False,
        allow_null=True,
    )
    spokes = UnitField(many=True, required=False)
    attendances = AttendanceSerializer(many=True, required=False)

    class Meta:
        model = TeleEducationSession
        fields = [
            "uid",
            "hub",
            "hub_name",
            "topic",
            "specialty",
            "date",
            "duration_hours",
            "spokes",
            "attendances",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]
