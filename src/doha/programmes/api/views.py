"""REST endpoints: surveys, responses with their needs, the needs table, assessments,
programmes with their parties, areas and items. Viewsets only translate requests into
service calls; every rule is in ``doha.programmes.services``."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as APIError
from rest_framework.response import Response

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.core.audit import bind_actor
from doha.programmes import services
from doha.programmes.api.serializers import (
    NESTED_NEEDS,
    AssessmentSerializer,
    NeedRowSerializer,
    ProgrammeSerializer,
    ResponseSerializer,
    SurveySerializer,
)
from doha.programmes.filters import (
    AssessmentFilterSet,
    NeedKind,
    NeedTable,
    ProgrammeFilterSet,
    ResponseFilterSet,
    SurveyFilterSet,
)
from doha.programmes.models import (
    Assessment,
    NeedsSurvey,
    NeedStatus,
    Priority,
    Programme,
    ProgrammeArea,
    ProgrammeItem,
    ProgrammeParty,
    ResponseStatus,
    SpecialtyCapacity,
    SurveyResponse,
    TechniqueNeed,
)


def _rows(model, data: list[dict] | None, existing, key: str) -> list | None:
    """Model instances for nested rows: ``id`` names an existing row to update."""
    if data is None:
        return None
    existing = {obj.pk: obj for obj in existing}
    rows = []
    for row in data:
        row = dict(row)
        pk = row.pop("id", None)
        if pk is not None:
            obj = existing.get(pk)
            if obj is None:
                raise APIError({key: [_("There is no row %(id)s to change here.") % {"id": pk}]})
        else:
            obj = model()
        for name, value in row.items():
            setattr(obj, name, value)
        rows.append(obj)
    return rows


def _call(fn, *args, **kwargs):
    try:
        with transaction.atomic():
            return fn(*args, **kwargs)
    except ValidationError as exc:
        raise as_api_error(exc) from exc


# ---------------------------------------------------------------- surveys


class SurveyViewSet(ScopedModelViewSet):
    """Needs surveys. DELETE closes the survey (its answers stay)."""

    queryset = NeedsSurvey.objects.select_related("organiser").prefetch_related("facilities")
    serializer_class = SurveySerializer
    filterset_class = SurveyFilterSet
    action_permissions = {"close": "change"}

    def get_queryset(self):
        visible = SurveyResponse.objects.restrict(self.request.user).filter(
            status=ResponseStatus.SUBMITTED
        )
        return (
            super()
            .get_queryset()
            .annotate(
                n_submitted=Count(
                    "responses", filter=Q(responses__in=visible.values("pk")), distinct=True
                )
            )
            .order_by("-opens_on", "title", "pk")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        facilities = data.pop("facilities", [])
        under = data.pop("under", None)
        types = data.pop("facility_types", ())
        serializer.instance = _call(
            services.open_survey,
            NeedsSurvey(**data),
            facilities,
            under=under,
            facility_types=types,
            user=self.request.user,
        )

    def perform_update(self, serializer):
        survey = serializer.instance
        data = dict(serializer.validated_data)
        facilities = data.pop("facilities", None)
        under = data.pop("under", None)
        types = data.pop("facility_types", ())
        for name, value in data.items():
            setattr(survey, name, value)
        add, remove = [], []
        if facilities is not None:
            current = {u.pk: u for u in survey.facilities.all()}
            wanted = {u.pk: u for u in facilities}
            add = [u for pk, u in wanted.items() if pk not in current]
            remove = [u for pk, u in current.items() if pk not in wanted]
        serializer.instance = _call(
            services.update_survey,
            survey,
            add=add,
            under=under,
            facility_types=types,
            remove=remove,
            user=self.request.user,
        )

    def destroy(self, request, *args, **kwargs):
        _call(services.close_survey, self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=SurveySerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, uid=None):
        """Close the survey: no more answers are taken."""
        survey = _call(services.close_survey, self.get_object(), user=request.user)
        return Response(self.get_serializer(survey).data)


# ---------------------------------------------------------------- responses


class ResponseViewSet(ScopedModelViewSet):
    """A facility's answer to a survey with its needs of the four kinds, written in one
    request. Only a facility the survey asked, only while the survey is open and before its
    deadline; a submitted answer is reopened before it is changed."""

    queryset = SurveyResponse.objects.select_related("survey", "facility").prefetch_related(
        Prefetch("techniqueneeds", TechniqueNeed.objects.select_related("technique")),
        "trainingneeds__specialty",
        "teleconsultneeds__specialty",
        "equipmentneeds__specialty",
    )
    serializer_class = ResponseSerializer
    filterset_class = ResponseFilterSet
    lookup_field = "pk"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    action_permissions = {"submit": "change", "reopen": "change"}

    def _save(self, survey, facility, data, response=None):
        needs = {}
        for field, (related, keyword, model) in NESTED_NEEDS.items():
            existing = getattr(response, related).all() if response is not None else []
            needs[keyword] = _rows(model, data.get(related), existing, field)
        return _call(
            services.save_response,
            survey,
            facility,
            contact=data.get("contact"),
            note=data.get("note"),
            user=self.request.user,
            **needs,
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        survey, facility = data["survey"], data["facility"]
        if SurveyResponse.objects.filter(survey=survey, facility=facility).exists():
            raise APIError(
                {
                    "facility": [
                        _("This facility has already answered this survey: change its answer.")
                    ]
                }
            )
        serializer.instance = self._save(survey, facility, data)

    def perform_update(self, serializer):
        response = serializer.instance
        data = serializer.validated_data
        for name in ("survey", "facility"):
            if name in data and data[name] != getattr(response, name):
                raise APIError({name: [_("The survey and facility of an answer cannot change.")]})
        serializer.instance = self._save(response.survey, response.facility, data, response)

    def _refresh(self, response):
        return self.get_queryset().get(pk=response.pk)

    @extend_schema(request=None, responses=ResponseSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the answer to the survey's organiser."""
        response = _call(services.submit_response, self.get_object(), user=request.user)
        return Response(self.get_serializer(self._refresh(response)).data)

    @extend_schema(request=None, responses=ResponseSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Take a submitted answer back to change it (before the deadline)."""
        response = _call(services.reopen_response, self.get_object(), user=request.user)
        return Response(self.get_serializer(self._refresh(response)).data)


# ---------------------------------------------------------------- the needs table

NEED_PARAMETERS = [
    OpenApiParameter("survey", OpenApiTypes.STR, description="UID of a survey"),
    OpenApiParameter("facility", OpenApiTypes.STR, description="UID, code or name of a facility"),
    OpenApiParameter("specialty", OpenApiTypes.STR, description="Code of a specialty"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=[k for k, _label in NeedKind.choices]),
    OpenApiParameter("priority", OpenApiTypes.INT, enum=Priority.values),
    OpenApiParameter("status", OpenApiTypes.STR, enum=NeedStatus.values),
    OpenApiParameter("response_status", OpenApiTypes.STR, enum=ResponseStatus.values),
]


class NeedViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The province needs table as JSON: every need the caller may see, of the four kinds
    (technique, training, teleconsult, equipment), with the page's filters."""

    queryset = TechniqueNeed.objects.none()  # the "need" resource, for permissions
    serializer_class = NeedRowSerializer
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        bind_actor(request.user)

    @extend_schema(parameters=NEED_PARAMETERS)
    def list(self, request, *args, **kwargs):
        table = NeedTable(request.query_params, request.user)
        if table.errors:
            raise APIError(table.errors)
        rows = table.rows()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# ---------------------------------------------------------------- assessments


class AssessmentViewSet(ScopedModelViewSet):
    """Assessments of conditions with their scores per specialty (0-10)."""

    queryset = Assessment.objects.select_related(
        "facility", "assessor", "programme"
    ).prefetch_related("specialties__specialty")
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilterSet
    lookup_field = "pk"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _save(self, assessment, data):
        data = dict(data)
        capacities = data.pop("specialties", None)
        for name, value in data.items():
            setattr(assessment, name, value)
        existing = assessment.specialties.all() if assessment.pk else []
        rows = _rows(SpecialtyCapacity, capacities, existing, "specialties")
        return _call(services.save_assessment, assessment, rows, user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = self._save(Assessment(), serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer.instance, serializer.validated_data)


# ---------------------------------------------------------------- programmes


class ProgrammeViewSet(ScopedModelViewSet):
    """Programmes with their parties, content areas and items, written in one request.
    DELETE cancels the programme (transfers and assessments refer to it)."""

    queryset = Programme.objects.prefetch_related(
        Prefetch("parties", ProgrammeParty.objects.select_related("org_unit")),
        "areas",
        Prefetch("items", ProgrammeItem.objects.select_related("provider", "recipient")),
    )
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilterSet

    def _save(self, programme, data):
        data = dict(data)
        nested = {
            "parties": (ProgrammeParty, data.pop("parties", None)),
            "areas": (ProgrammeArea, data.pop("areas", None)),
            "items": (ProgrammeItem, data.pop("items", None)),
        }
        for name, value in data.items():
            setattr(programme, name, value)
        rows = {}
        for key, (model, given) in nested.items():
            existing = model.objects.filter(programme=programme) if programme.pk else []
            rows[key] = _rows(model, given, existing, key)
        if programme.pk is None:
            rows = {k: (v if v is not None else []) for k, v in rows.items()}
        programme = _call(services.save_programme, programme, user=self.request.user, **rows)
        return (
            self.get_queryset()
            .model.objects.prefetch_related("parties__org_unit", "areas", "items")
            .get(pk=programme.pk)
        )

    def perform_create(self, serializer):
        serializer.instance = self._save(Programme(), serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer.instance, serializer.validated_data)

    def destroy(self, request, *args, **kwargs):
        _call(services.cancel_programme, self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
