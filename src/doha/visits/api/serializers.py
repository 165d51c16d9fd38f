from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme
from doha.visits.models import Finding, FollowUpAction, Visit, VisitMember
from doha.visits.services import STEPS


@extend_schema_field(OpenApiTypes.STR)
class UnitField(serializers.SlugRelatedField):
    """An org unit by UID."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    def get_queryset(self):
        return OrgUnit.objects.all()


@extend_schema_field(OpenApiTypes.STR)
class ProgrammeField(serializers.SlugRelatedField):
    """A programme (by UID) among those the caller may see."""

    def get_queryset(self):
        request = self.context.get("request")
        return Programme.objects.restrict(getattr(request, "user", None), "view")


@extend_schema_field(OpenApiTypes.STR)
class WorkerField(serializers.SlugRelatedField):
    """A health worker (by UID) among those the caller may see."""

    def get_queryset(self):
        request = self.context.get("request")
        return HealthWorker.objects.restrict(getattr(request, "user", None), "view")


class VisitMemberSerializer(serializers.ModelSerializer):
    person = WorkerField(slug_field="uid", required=False, allow_null=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = VisitMember
        fields = ["person", "name", "position", "unit"]


class VisitFindingSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to keep an existing finding.")

    class Meta:
        model = Finding
        fields = ["id", "order", "area", "text"]


class FieldVisitSerializer(serializers.ModelSerializer):
    host = UnitField()
    visiting = UnitField()
    host_name = serializers.CharField(source="host.name", read_only=True)
    visiting_name = serializers.CharField(source="visiting.name", read_only=True)
    programme = ProgrammeField(slug_field="uid", required=False, allow_null=True)
    members = VisitMemberSerializer(many=True, required=False)
    findings = VisitFindingSerializer(many=True, required=False)

    class Meta:
        model = Visit
        fields = [
            "uid",
            "kind",
            "title",
            "host",
            "host_name",
            "visiting",
            "visiting_name",
            "start_date",
            "end_date",
            "programme",
            "status",
            "purpose",
            "lessons",
            "notes",
            "members",
            "findings",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]


class FollowUpActionSerializer(serializers.ModelSerializer):
    visit = serializers.SlugRelatedField(slug_field="uid", queryset=Visit.objects.all())
    owner_facility = UnitField()
    owner_facility_name = serializers.CharField(source="owner_facility.name", read_only=True)
    finding = serializers.PrimaryKeyRelatedField(
        queryset=Finding.objects.all(), required=False, allow_null=True
    )
    is_overdue = serializers.BooleanField(read_only=True)
    closed_on_time = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = FollowUpAction
        fields = [
            "uid",
            "visit",
            "finding",
            "description",
            "owner_facility",
            "owner_facility_name",
            "owner_person",
            "due_date",
            "status",
            "closed_on",
            "evidence",
            "evidence_file",
            "drop_reason",
            "is_overdue",
            "closed_on_time",
            "created",
            "last_updated",
        ]
        read_only_fields = [
            "uid",
            "status",
            "closed_on",
            "evidence",
            "evidence_file",
            "drop_reason",
            "created",
            "last_updated",
        ]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None:
            fields["visit"].queryset = Visit.objects.restrict(user, "change")
        return fields


class ActionStatusInputSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=STEPS, help_text="start, close or drop.")
    closed_on = serializers.DateField(required=False, allow_null=True)
    evidence = serializers.CharField(required=False, allow_blank=True)
    evidence_file = serializers.FileField(required=False, allow_null=True)
    drop_reason = serializers.CharField(required=False, allow_blank=True)
