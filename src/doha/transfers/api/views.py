from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as APIError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.programmes.models import NeedStatus, TechniqueNeed
from doha.transfers import matching, services
from doha.transfers.api.serializers import (
    AcceptSerializer,
    CaseInputSerializer,
    CaseSerializer,
    NeedProposalsSerializer,
    SustainmentInputSerializer,
    SustainmentSerializer,
    TransferDetailSerializer,
    TransferSerializer,
    TransitionSerializer,
)
from doha.transfers.filters import TechniqueTransferFilterSet
from doha.transfers.importexport import with_case_totals
from doha.transfers.models import TechniqueTransfer

# Request field names for the model's (the service names model fields).
TRANSITION_FIELDS = {"state_date": "date"}


class TransferViewSet(ScopedModelViewSet):
    """Technique transfers and their lifecycle.

    The state moves only through ``transition`` (one step forward, or cancel with a
    reason); ``cases`` records patients treated, ``sustainment`` the 6- and 12-month checks.
    A transfer is never deleted: cancel it.
    """

    queryset = TechniqueTransfer.objects.select_related(
        "technique", "provider", "recipient", "programme"
    ).order_by("-state_date", "-pk")
    serializer_class = TransferSerializer
    filterset_class = TechniqueTransferFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_permissions = {
        "transition": "change",
        "cases": "change",
        "sustainment": "change",
        "proposals": "view",
        "accept": "add",
    }

    def get_serializer_class(self):
        if self.action == "retrieve":
            return TransferDetailSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        qs = with_case_totals(super().get_queryset())
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                "steps__evidence", "steps__recorded_by", "case_records", "sustainment_checks"
            )
        return qs

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        responsible = data.pop("responsible", "")
        note = data.pop("note", "")
        try:
            with transaction.atomic():
                serializer.instance = services.create_transfer(
                    TechniqueTransfer(**data),
                    user=self.request.user,
                    responsible=responsible,
                    note=note,
                )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_update(self, serializer):
        transfer = serializer.instance
        data = dict(serializer.validated_data)
        data.pop("responsible", None)
        data.pop("note", None)
        for key, value in data.items():
            setattr(transfer, key, value)
        try:
            with transaction.atomic():
                services.update_transfer(transfer, user=self.request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def _respond(self, transfer, code=status.HTTP_200_OK):
        transfer = with_case_totals(self.queryset).get(pk=transfer.pk)
        return Response(
            TransferDetailSerializer(transfer, context={"request": self.request}).data,
            status=code,
        )

    @extend_schema(request=TransitionSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, uid=None):
        """Move to the next state (with date, responsible people, note, evidence files), or
        to "cancelled" with a ``cancel_reason``."""
        transfer = self.get_object()
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        files = v.get("files") or []
        try:
            transfer = services.transition(
                transfer,
                v["state"],
                date=v["date"],
                user=request.user,
                responsible=v["responsible"],
                note=v["note"],
                files=files,
                reason=v["cancel_reason"],
            )
        except ValidationError as exc:
            raise as_api_error(exc, TRANSITION_FIELDS) from exc
        return self._respond(transfer)

    @extend_schema(request=CaseInputSerializer, responses={201: CaseSerializer})
    @action(detail=True, methods=["post"])
    def cases(self, request, uid=None):
        """Record cases performed at the recipient (supervised or independent)."""
        transfer = self.get_object()
        data = CaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            case = services.record_cases(transfer, user=request.user, **data.validated_data)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SustainmentInputSerializer, responses={201: SustainmentSerializer})
    @action(detail=True, methods=["post"])
    def sustainment(self, request, uid=None):
        """Record the 6- or 12-month sustainment check after acceptance."""
        transfer = self.get_object()
        data = SustainmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        v["months_after"] = int(v["months_after"])
        try:
            check = services.record_sustainment(transfer, user=request.user, **v)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(SustainmentSerializer(check).data, status=status.HTTP_201_CREATED)

    def _need(self, need_id):
        if not need_id or not str(need_id).isdigit():
            raise APIError({"need": [_("Give the id of a technique need.")]})
        return get_object_or_404(
            TechniqueNeed.objects.restrict(self.request.user, "view").select_related(
                "technique", "response__facility"
            ),
            pk=need_id,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("need", OpenApiTypes.INT, required=True, description="need id")
        ],
        responses=NeedProposalsSerializer,
    )
    @action(detail=False, methods=["get"])
    def proposals(self, request):
        """The providers proposed for a technique need, ranked, with their score components."""
        need = self._need(request.query_params.get("need"))
        recipient = need.response.facility
        proposals = matching.propose(need) if need.status == NeedStatus.OPEN else []
        return Response(
            {
                "need": need.pk,
                "technique": need.technique.code,
                "recipient": recipient.uid,
                "status": need.status,
                "level_needed": matching.level_needed(need.technique, recipient),
                "level_exception_needed": services.level_exception_needed(
                    need.technique, recipient
                ),
                "proposals": [p.as_dict() for p in proposals],
            }
        )

    @extend_schema(request=AcceptSerializer, responses={201: TransferDetailSerializer})
    @action(detail=False, methods=["post"], url_path="proposals/accept")
    def accept(self, request):
        """Accept a proposal: a planned transfer of the programme; the need becomes planned."""
        if not services.can_direct(request.user):
            raise PermissionDenied(
                _("Only the Department of Health and line-direction offices manage transfers.")
            )
        data = AcceptSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            transfer = matching.accept_proposal(
                v["need"],
                v["provider"],
                v["programme"],
                user=request.user,
                date=v.get("date"),
                level_exception_reason=v["level_exception_reason"],
                level_exception_decision=v["level_exception_decision"],
            )
        except ValidationError as exc:
            raise as_api_error(exc, {"state_date": "date"}) from exc
        return self._respond(transfer, status.HTTP_201_CREATED)
