from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from doha.checklists import services
from doha.checklists.api.serializers import FillSerializer, TemplateSerializer, structure_from
from doha.checklists.filters import FillFilterSet, TemplateFilterSet
from doha.checklists.models import ChecklistFill, ChecklistTemplate, may_edit_templates
from doha.core.api.permissions import required_action
from doha.core.api.viewsets import ScopedModelViewSet, as_api_error

SAFE = {"GET", "HEAD", "OPTIONS"}


def _denied(exc):
    return exceptions.PermissionDenied(str(exc) or None)


class ChecklistTemplateViewSet(ScopedModelViewSet):
    """Checklist templates, one object a version, with their sections and questions.

    Everyone reads them; DOH officers and system administrators write them. ``POST``
    creates a draft (version 1, or the next version of an existing code); a draft is changed
    with ``PUT``/``PATCH`` (``sections`` replaces all its sections and questions); a
    published version is frozen: ``new_version`` makes a draft copy of it."""

    queryset = (
        ChecklistTemplate.objects.select_related("owner")
        .prefetch_related("sections__questions")
        .order_by("code", "-version")
    )
    serializer_class = TemplateSerializer
    filterset_class = TemplateFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    action_permissions = {"publish": "change", "retire": "change", "new_version": "add"}

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in SAFE:
            if not may_edit_templates(request.user, required_action(request, self)):
                self.permission_denied(request, message=_("Your role does not allow this action."))

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        sections = data.pop("sections", None)
        template = instance or ChecklistTemplate()
        for key, value in data.items():
            setattr(template, key, value)
        try:
            with transaction.atomic():
                services.save_template(template, user=self.request.user)
                if sections is not None:
                    services.replace_structure(
                        template, structure_from(sections), user=self.request.user
                    )
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        serializer.instance = self.queryset.get(pk=template.pk)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def _operate(self, operation, code=status.HTTP_200_OK):
        template = self.get_object()
        try:
            with transaction.atomic():
                result = getattr(services, operation)(template, user=self.request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        result = self.queryset.get(pk=result.pk)
        return Response(self.get_serializer(result).data, status=code)

    @extend_schema(request=None, responses=TemplateSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, uid=None):
        """Freeze this draft; the earlier published version of its code is retired."""
        return self._operate("publish")

    @extend_schema(request=None, responses=TemplateSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, uid=None):
        """Retire this version: it can no longer be filled."""
        return self._operate("retire")

    @extend_schema(request=None, responses={201: TemplateSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, uid=None):
        """A draft copy of this version (sections and questions) as the next version."""
        return self._operate("new_version", status.HTTP_201_CREATED)


class ChecklistFillViewSet(ScopedModelViewSet):
    """Checklists filled for a facility, normally on a visit, with answers, scores per
    section and overall (0-100, stored on submit), and the comparison with the previous
    submitted fill of the same checklist code and visit kind at the same facility.

    ``answers`` are ``{"question": id, "value": ...}``; on update they are merged into the
    draft's answers. ``submit: true`` checks the required questions, stores the scores and
    freezes the fill."""

    queryset = (
        ChecklistFill.objects.select_related(
            "template", "facility", "visit", "visit__visiting", "filled_by"
        )
        .prefetch_related("answers__question")
        .order_by("-date", "-pk")
    )
    serializer_class = FillSerializer
    filterset_class = FillFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        answers = data.pop("answers", None)
        submit = data.pop("submit", False)
        fill = instance or ChecklistFill()
        if instance is not None:
            data.pop("template", None)
        for key, value in data.items():
            setattr(fill, key, value)
        if fill.visit_id is None and fill.facility_id is None:
            raise exceptions.ValidationError(
                {"facility": [_("Give the visit, or the facility when there is no visit.")]}
            )
        values = services.fill_values(fill) if instance is not None else {}
        for a in answers or []:
            values[a["question"]] = a["value"]
        try:
            with transaction.atomic():
                fill = services.save_fill(fill, values, user=self.request.user, submit=submit)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        serializer.instance = self.queryset.get(pk=fill.pk)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)
