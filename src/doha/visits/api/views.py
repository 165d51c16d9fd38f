from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.visits import services
from doha.visits.api.serializers import (
    ActionStatusInputSerializer,
    FieldVisitSerializer,
    FollowUpActionSerializer,
)
from doha.visits.filters import ActionFilterSet, VisitFilterSet
from doha.visits.models import Finding, FollowUpAction, Visit, VisitMember


class VisitViewSet(ScopedModelViewSet):
    """Visits (supervision, working visits, assessments, study tours) with their members and
    findings. ``members`` and ``findings`` replace the visit's lists when given (a finding with
    its ``id`` is kept and updated)."""

    queryset = (
        Visit.objects.select_related("host", "visiting", "programme")
        .prefetch_related("members__person", "findings")
        .order_by("-start_date", "-pk")
    )
    serializer_class = FieldVisitSerializer
    filterset_class = VisitFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        members_data = data.pop("members", None)
        findings_data = data.pop("findings", None)
        visit = instance or Visit()
        for key, value in data.items():
            setattr(visit, key, value)
        members = None
        if members_data is not None:
            members = [VisitMember(**m) for m in members_data]
        findings = None
        if findings_data is not None:
            existing = {f.pk: f for f in visit.findings.all()} if visit.pk else {}
            findings = []
            for row in findings_data:
                row = dict(row)
                pk = row.pop("id", None)
                finding = existing.get(pk) or Finding()
                for key, value in row.items():
                    setattr(finding, key, value)
                findings.append(finding)
        try:
            serializer.instance = services.save_visit(
                visit, members=members, findings=findings, user=self.request.user
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


class FollowUpActionViewSet(ScopedModelViewSet):
    """Follow-up actions raised by visits: what, owner facility and person, due date. The
    status moves only through ``status`` (start; close with evidence; drop with a reason)."""

    queryset = FollowUpAction.objects.select_related("visit", "finding", "owner_facility").order_by(
        "due_date", "pk"
    )
    serializer_class = FollowUpActionSerializer
    filterset_class = ActionFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    action_permissions = {"status": "change"}
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _save(self, serializer, instance=None):
        action_obj = instance or FollowUpAction()
        for key, value in serializer.validated_data.items():
            setattr(action_obj, key, value)
        try:
            serializer.instance = services.save_action(action_obj, user=self.request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    @extend_schema(request=ActionStatusInputSerializer, responses={200: FollowUpActionSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request, uid=None):
        """Start an open action, close it (``evidence`` text or ``evidence_file`` required) or
        drop it (``drop_reason`` required)."""
        obj = self.get_object()
        data = ActionStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            obj = services.change_status(
                obj,
                v["step"],
                on=v.get("closed_on"),
                evidence=v.get("evidence") or "",
                evidence_file=v.get("evidence_file"),
                reason=v.get("drop_reason") or "",
                user=request.user,
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(FollowUpActionSerializer(obj, context=self.get_serializer_context()).data)
