from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from doha.catalog.models import CapabilityVolume, FacilityCapability, Specialty, Technique
from doha.catalog.services import facilities_for


class SpecialtySerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialty
        fields = ["id", "code", "name", "order", "is_official", "active"]


class TechniqueSerializer(serializers.ModelSerializer):
    specialty = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Specialty.objects.all(),
        help_text=_("Code of the specialty (the chapter number, e.g. 03 for Nhi khoa)."),
    )
    specialty_name = serializers.CharField(source="specialty.name", read_only=True)
    allowed_levels = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("initial, basic, specialised")
    )

    class Meta:
        model = Technique
        fields = [
            "id",
            "code",
            "name",
            "specialty",
            "specialty_name",
            "allowed_initial",
            "allowed_basic",
            "allowed_specialised",
            "allowed_levels",
            "is_official",
            "source",
            "active",
            "created",
            "last_updated",
        ]
        read_only_fields = ["created", "last_updated"]


class VolumeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapabilityVolume
        fields = ["year", "cases"]


class FacilityField(serializers.SlugRelatedField):
    """A facility by UID, among those whose register the caller may add to."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return facilities_for(None)
        return facilities_for(request.user, "add")


class CapabilitySerializer(serializers.ModelSerializer):
    facility = FacilityField(
        slug_field="uid", help_text=_("UID of the facility; it must be inside your scope.")
    )
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    technique = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Technique.objects.all(),
        help_text=_("Code of the technique in the catalogue."),
    )
    technique_name = serializers.CharField(source="technique.name", read_only=True)
    volumes = VolumeSerializer(many=True, read_only=True)
    above_level = serializers.BooleanField(read_only=True)

    class Meta:
        model = FacilityCapability
        fields = [
            "id",
            "facility",
            "facility_name",
            "technique",
            "technique_name",
            "since",
            "acquisition",
            "active",
            "until",
            "note",
            "above_level",
            "volumes",
            "created",
            "last_updated",
        ]
        read_only_fields = ["active", "until", "created", "last_updated"]


class CapabilityUpdateSerializer(CapabilitySerializer):
    """On update the facility and the technique are fixed."""

    class Meta(CapabilitySerializer.Meta):
        read_only_fields = [*CapabilitySerializer.Meta.read_only_fields, "facility", "technique"]

    facility = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    technique = serializers.SlugRelatedField(slug_field="code", read_only=True)


class RetireSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text=_("Stopped on (default: today)."))


class VolumeWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    cases = serializers.IntegerField(min_value=0)
