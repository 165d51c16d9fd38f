from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from doha.catalog.models import Technique
from doha.people.models import HealthWorker
from doha.programmes.models import Programme
from doha.rotations.models import Rotation
from doha.transfers.api.serializers import FacilityField, ScopedRelatedField


class RotationSerializer(serializers.ModelSerializer):
    worker = ScopedRelatedField(
        slug_field="uid", model=HealthWorker, help_text=_("UID of the health worker.")
    )
    worker_name = serializers.CharField(source="worker.full_name", read_only=True)
    from_facility = FacilityField(
        slug_field="uid",
        required=False,
        allow_null=True,
        help_text=_("UID of the sending facility (default: the worker's facility)."),
    )
    from_facility_name = serializers.CharField(source="from_facility.name", read_only=True)
    to_facility = FacilityField(slug_field="uid", help_text=_("UID of the receiving facility."))
    to_facility_name = serializers.CharField(source="to_facility.name", read_only=True)
    programme = ScopedRelatedField(
        slug_field="uid",
        model=Programme,
        required=False,
        allow_null=True,
        help_text=_("UID of the programme (optional)."),
    )
    techniques = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        required=False,
        queryset=Technique.objects.filter(active=True),
        help_text=_("Codes of the techniques to transfer."),
    )

    class Meta:
        model = Rotation
        fields = [
            "uid",
            "kind",
            "worker",
            "worker_name",
            "from_facility",
            "from_facility_name",
            "to_facility",
            "to_facility_name",
            "start",
            "end",
            "purpose",
            "programme",
            "techniques",
            "status",
            "cancel_reason",
            "patients_examined",
            "surgeries",
            "techniques_transferred",
            "people_trained",
            "outputs_note",
            "created",
            "last_updated",
        ]
        read_only_fields = [
            "uid",
            "status",
            "cancel_reason",
            "patients_examined",
            "surgeries",
            "techniques_transferred",
            "people_trained",
            "outputs_note",
            "created",
            "last_updated",
        ]


class OutputsSerializer(serializers.Serializer):
    patients_examined = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    surgeries = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    techniques_transferred = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    people_trained = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    outputs_note = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    cancel_reason = serializers.CharField(required=False, allow_blank=True, default="")
