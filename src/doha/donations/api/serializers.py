from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.donations.models import Donation, DonationItem
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme


@extend_schema_field(OpenApiTypes.STR)
class UnitField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    def get_queryset(self):
        return OrgUnit.objects.filter(active=True)


@extend_schema_field(OpenApiTypes.STR)
class ProgrammeField(serializers.SlugRelatedField):
    """A programme (by UID) among those the caller may see."""

    def get_queryset(self):
        request = self.context.get("request")
        return Programme.objects.restrict(getattr(request, "user", None), "view")


class DonationItemSerializer(serializers.ModelSerializer):
    unit_value = serializers.IntegerField(required=False, allow_null=True)
    total_value = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Whole VND; computed from the unit value when that is given.",
    )

    class Meta:
        model = DonationItem
        fields = ["item", "quantity", "unit", "unit_value", "total_value"]


class DonationSerializer(serializers.ModelSerializer):
    donor = UnitField()
    recipient = UnitField()
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    recipient_name = serializers.CharField(source="recipient.name", read_only=True)
    programme = ProgrammeField(slug_field="uid", required=False, allow_null=True)
    items = DonationItemSerializer(many=True)
    total_value = serializers.IntegerField(read_only=True, help_text="Whole VND.")
    total_value_display = serializers.CharField(read_only=True)

    class Meta:
        model = Donation
        fields = [
            "uid",
            "donor",
            "donor_name",
            "recipient",
            "recipient_name",
            "date",
            "programme",
            "description",
            "items",
            "total_value",
            "total_value_display",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]
