from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as APIError
from rest_framework.response import Response

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.core.scope import can
from doha.orgunits import services
from doha.orgunits.api.serializers import (
    AdminUnitSerializer,
    HierarchyPeriodSerializer,
    OrgUnitMoveSerializer,
    OrgUnitRetireSerializer,
    OrgUnitSerializer,
)
from doha.orgunits.filters import AdminUnitFilterSet, OrgUnitFilterSet
from doha.orgunits.models import AdminUnit, OrgUnit


class OrgUnitViewSet(ScopedModelViewSet):
    """Health facilities. DELETE retires a unit (it stays, inactive, with its history)."""

    queryset = OrgUnit.objects.select_related("parent", "admin_unit__parent")
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilterSet
    action_permissions = {"move": "change", "retire": "retire"}

    def perform_create(self, serializer):
        if (
            serializer.validated_data.get("parent") is None
            and not self.request.user.is_system_admin
        ):
            raise APIError({"parent": [_("Choose the unit this facility belongs to.")]})
        try:
            with transaction.atomic():
                serializer.instance = services.create_org_unit(OrgUnit(**serializer.validated_data))
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_update(self, serializer):
        unit = serializer.instance
        previous_parent = unit.parent_id
        for key, value in serializer.validated_data.items():
            setattr(unit, key, value)
        try:
            with transaction.atomic():
                services.update_org_unit(unit, previous_parent)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def destroy(self, request, *args, **kwargs):
        unit = self.get_object()
        try:
            services.retire_org_unit(unit)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=OrgUnitMoveSerializer, responses=OrgUnitSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, uid=None):
        """Move the unit under another parent from a date; the earlier place is kept."""
        unit = self._changeable(uid)
        data = OrgUnitMoveSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        try:
            unit = services.move_org_unit(
                unit, data.validated_data["parent"], data.validated_data["date"]
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(OrgUnitSerializer(unit, context={"request": request}).data)

    @extend_schema(request=OrgUnitRetireSerializer, responses=OrgUnitSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, uid=None):
        unit = self._changeable(uid, "retire")
        data = OrgUnitRetireSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            unit = services.retire_org_unit(unit, data.validated_data.get("date"))
        except ValidationError as exc:
            raise as_api_error(exc, fields={"closing_date": "date"}) from exc
        return Response(OrgUnitSerializer(unit, context={"request": request}).data)

    @extend_schema(responses=HierarchyPeriodSerializer(many=True))
    @action(detail=True, methods=["get"])
    def hierarchy(self, request, uid=None):
        """The unit's places in the tree over time."""
        unit = self.get_object()
        periods = unit.hierarchy.select_related("parent").order_by("valid_from")
        return Response(HierarchyPeriodSerializer(periods, many=True).data)

    def _changeable(self, uid, action_name="change"):
        if not can(self.request.user, OrgUnit, action_name):
            raise PermissionDenied(_("Your role does not allow this action."))
        return get_object_or_404(OrgUnit.objects.restrict(self.request.user, action_name), uid=uid)


class AdminUnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative units of both editions (before and from 2025-07-01)."""

    queryset = AdminUnit.objects.select_related("parent").prefetch_related("mapped_to__new")
    serializer_class = AdminUnitSerializer
    filterset_class = AdminUnitFilterSet
    lookup_field = "id"
