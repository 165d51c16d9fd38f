"""REST: a facility's technique gap and the facility x specialty matrix, read-only, scoped."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from doha.catalog.models import FacilityCapability
from doha.gaps import services
from doha.gaps.api.serializers import FacilityGapSerializer, MatrixSerializer
from doha.gaps.views import default_root, scoped_unit


def _unit(unit):
    return {
        "uid": unit.uid,
        "code": unit.code,
        "name": unit.name,
        "technical_level": unit.technical_level,
    }


class FacilityGapAPIView(APIView):
    """Techniques allowed at the facility's technical level, those it performs and the gap,
    by specialty; the gaps ranked by demand with their score components."""

    queryset = FacilityCapability.objects.all()  # the permission asked: view capabilities

    @extend_schema(responses=FacilityGapSerializer, operation_id="gaps_facility_retrieve")
    def get(self, request, uid):
        facility = scoped_unit(request.user, uid)
        result = services.facility_gap(facility, user=request.user)
        data = {
            "facility": _unit(facility),
            "allowed": result.allowed,
            "performed": result.performed,
            "gap": result.gap,
            "referrals_available": result.referrals_available,
            "specialties": [
                {
                    "code": s.specialty.code,
                    "name": s.specialty.name,
                    "allowed": s.allowed,
                    "performed": len(s.performed),
                    "gap": s.gap,
                    "missing": [g.technique.code for g in s.missing],
                }
                for s in result.specialties
            ],
            "ranked": [g.as_dict() for g in result.ranked()],
        }
        return Response(FacilityGapSerializer(data).data)


class MatrixAPIView(APIView):
    """Facility x specialty counts (allowed, performed, gap) for the facilities in the user's
    scope under ``root`` (default: the user's own unit)."""

    queryset = FacilityCapability.objects.all()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "root", str, description="UID of the unit whose facilities are counted."
            )
        ],
        responses=MatrixSerializer,
        operation_id="gaps_matrix_retrieve",
    )
    def get(self, request):
        uid = request.query_params.get("root")
        root = scoped_unit(request.user, uid) if uid else default_root(request.user)
        matrix = services.gap_matrix(request.user, root)
        codes = {s.pk: s.code for s in matrix.specialties}
        data = {
            "root": _unit(root) if root else None,
            "specialties": [{"code": s.code, "name": s.name} for s in matrix.specialties],
            "facilities": [
                {
                    **_unit(row.facility),
                    "allowed": row.allowed,
                    "performed": row.performed,
                    "gap": row.gap,
                    "cells": {
                        codes[pk]: {"allowed": c.allowed, "performed": c.performed, "gap": c.gap}
                        for pk, c in row.cells.items()
                    },
                }
                for row in matrix.rows
            ],
        }
        return Response(MatrixSerializer(data).data)
