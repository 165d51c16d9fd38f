from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from doha.catalog.models import Specialty
from doha.people.forms import facilities_for
from doha.people.models import CmeEntry, CmeSource, HealthWorker


class FacilityField(serializers.SlugRelatedField):
    """A facility by UID, among those whose staff register the caller may add to."""

    def get_queryset(self):
        request = self.context.get("request")
        return facilities_for(request.user if request else None, "add")


class WorkerSerializer(serializers.ModelSerializer):
    """The full record (retrieve, create, update): each retrieve is logged."""

    facility = FacilityField(
        slug_field="uid", help_text=_("UID of the facility; it must be inside your scope.")
    )
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    specialty = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Specialty.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("Code of the specialty (e.g. 03 for Nhi khoa)."),
    )
    # Its uniqueness is the service's rule (one message for form, API and import).
    licence_number = serializers.CharField(max_length=50, required=False, allow_blank=True)

    class Meta:
        model = HealthWorker
        fields = [
            "uid",
            "facility",
            "facility_name",
            "full_name",
            "title",
            "sex",
            "birth_date",
            "profession",
            "specialty",
            "position",
            "licence_number",
            "licence_date",
            "phone",
            "active",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "active", "created", "last_updated"]


class WorkerUpdateSerializer(WorkerSerializer):
    facility = serializers.SlugRelatedField(slug_field="uid", read_only=True)


class WorkerListSerializer(serializers.ModelSerializer):
    """A list row: personal identifiers masked (licence, phone), birth year only."""

    facility = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    specialty = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    licence_number = serializers.CharField(source="masked_licence", read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True)
    birth_year = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = HealthWorker
        fields = [
            "uid",
            "facility",
            "facility_name",
            "full_name",
            "title",
            "sex",
            "birth_year",
            "profession",
            "specialty",
            "position",
            "licence_number",
            "phone",
            "active",
        ]
        read_only_fields = fields


class WorkerField(serializers.SlugRelatedField):
    """A worker by UID, among those the caller may add CME entries for."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return HealthWorker.objects.none()
        return HealthWorker.objects.restrict(request.user, "view").filter(active=True)


class CmeEntrySerializer(serializers.ModelSerializer):
    worker = WorkerField(slug_field="uid", help_text=_("UID of the health worker."))
    worker_name = serializers.CharField(source="worker.full_name", read_only=True)
    reverses = serializers.PrimaryKeyRelatedField(read_only=True)
    source = serializers.ChoiceField(choices=CmeSource.choices, default=CmeSource.EXTERNAL)

    class Meta:
        model = CmeEntry
        fields = [
            "id",
            "worker",
            "worker_name",
            "date",
            "hours",
            "source",
            "description",
            "certificate_number",
            "reverses",
            "created",
        ]
        read_only_fields = ["id", "reverses", "created"]


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text=_("Why the entry is corrected."))
