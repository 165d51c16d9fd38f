from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.awards.models import Award
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme


@extend_schema_field(OpenApiTypes.STR)
class UnitField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    def get_queryset(self):
        return OrgUnit.objects.filter(active=True)


@extend_schema_field(OpenApiTypes.STR)
class PersonField(serializers.SlugRelatedField):
    """A health worker (by UID) among those the caller may see."""

    def get_queryset(self):
        request = self.context.get("request")
        return HealthWorker.objects.restrict(getattr(request, "user", None), "view")


@extend_schema_field(OpenApiTypes.STR)
class ProgrammeField(serializers.SlugRelatedField):
    """A programme (by UID) among those the caller may see."""

    def get_queryset(self):
        request = self.context.get("request")
        return Programme.objects.restrict(getattr(request, "user", None), "view")


class AwardSerializer(serializers.ModelSerializer):
    issuer = UnitField(required=False, allow_null=True)
    recipient_unit = UnitField(required=False, allow_null=True)
    recipient_person = PersonField(slug_field="uid", required=False, allow_null=True)
    programme = ProgrammeField(slug_field="uid", required=False, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    issuer_display = serializers.CharField(read_only=True)
    recipient_display = serializers.CharField(read_only=True)

    class Meta:
        model = Award
        fields = [
            "uid",
            "kind",
            "kind_display",
            "decision_number",
            "decision_date",
            "issuer",
            "issuer_name",
            "issuer_display",
            "recipient_unit",
            "recipient_person",
            "recipient_name",
            "recipient_display",
            "reason",
            "programme",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]
        # The one-recipient rule is the service's (its message names the field).
        validators = []
