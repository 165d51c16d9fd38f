from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.orgunits.models import AdminEdition, AdminUnit, OrgUnit


class AdminUnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    mapped_to = serializers.SerializerMethodField()

    class Meta:
        model = AdminUnit
        fields = [
            "id",
            "edition",
            "level",
            "code",
            "name",
            "short_name",
            "unit_type",
            "parent",
            "province_code",
            "latitude",
            "longitude",
            "valid_from",
            "valid_to",
            "mapped_to",
        ]

    def get_mapped_to(self, obj) -> list[str]:
        return [m.new.code for m in obj.mapped_to.all()]


@extend_schema_field(OpenApiTypes.STR)
class ParentField(serializers.SlugRelatedField):
    def __init__(self, *args, scope_action="add", **kwargs):
        self.scope_action = scope_action
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return OrgUnit.objects.none()
        return OrgUnit.objects.restrict(request.user, self.scope_action)


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = ParentField(
        slug_field="uid",
        required=False,
        allow_null=True,
        help_text=_("UID of the parent unit; it must be inside your scope."),
    )
    admin_unit = serializers.SlugRelatedField(
        slug_field="code",
        required=False,
        allow_null=True,
        queryset=AdminUnit.objects.filter(edition=AdminEdition.CURRENT),
        help_text=_("Official code of the post-2025 province or commune/ward."),
    )
    # Null (not missing) for a unit without a commune/ward or without a parent (the ministry).
    admin_unit_name = serializers.CharField(
        source="admin_unit.full_name", read_only=True, default=None, allow_null=True
    )
    parent_name = serializers.CharField(
        source="parent.name", read_only=True, default=None, allow_null=True
    )
    path = serializers.CharField(read_only=True)

    class Meta:
        model = OrgUnit
        fields = [
            "uid",
            "code",
            "name",
            "short_name",
            "facility_type",
            "technical_level",
            "former_level",
            "parent",
            "parent_name",
            "admin_unit",
            "admin_unit_name",
            "address",
            "opening_date",
            "closing_date",
            "active",
            "path",
            "depth",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "active", "closing_date", "depth", "created", "last_updated"]


class OrgUnitMoveSerializer(serializers.Serializer):
    # Moving is a change (as on the move page): the new parent must be in the change scope.
    parent = ParentField(
        slug_field="uid", scope_action="change", help_text=_("UID of the new parent unit.")
    )
    date = serializers.DateField(help_text=_("The date the move takes effect."))


class OrgUnitRetireSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text=_("Closing date (default: today)."))


class HierarchyPeriodSerializer(serializers.Serializer):
    parent = serializers.CharField(source="parent.uid", default=None, allow_null=True)
    parent_name = serializers.CharField(source="parent.name", default=None, allow_null=True)
    path = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
