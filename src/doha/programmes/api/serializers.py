"""Serializers of the REST API. Nested rows (needs, specialty scores, parties, areas, items)
are written with their parent in one request: a list given replaces the parent's rows of that
kind (a row with an ``id`` updates that row, a row without one is new, a row left out is
removed); a list left out keeps them. The services check the whole before writing anything."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.catalog.models import Specialty, Technique
from doha.core.scope import in_scope
from doha.orgunits.models import FacilityType, OrgUnit
from doha.programmes.models import (
    Assessment,
    EquipmentNeed,
    NeedsSurvey,
    Programme,
    ProgrammeArea,
    ProgrammeItem,
    ProgrammeParty,
    ResponseStatus,
    SpecialtyCapacity,
    SurveyResponse,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingNeed,
)


class UnitField(serializers.SlugRelatedField):
    """A unit of the network by UID. Programmes and surveys join units of several provinces;
    the services check that the record stays inside the caller's scope."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", OrgUnit.objects.filter(active=True))
        super().__init__(**kwargs)


class ScopedSlugField(serializers.SlugRelatedField):
    """A record the caller may see, by UID (or another slug)."""

    def __init__(self, model=None, **kwargs):
        self.model = model
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model.objects.none()
        return self.model.objects.restrict(request.user)


class ScopedPKField(serializers.PrimaryKeyRelatedField):
    def __init__(self, model=None, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model.objects.none()
        return self.model.objects.restrict(request.user)


def specialty_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Specialty.objects.all(), **kwargs
    )


ROW_ID = {
    "required": False,
    "help_text": _("The row's id to change it; leave out for a new row."),
}


# ---------------------------------------------------------------- surveys


class SurveySerializer(serializers.ModelSerializer):
    organiser = UnitField(help_text=_("UID of the unit running the survey."))
    organiser_name = serializers.CharField(source="organiser.name", read_only=True)
    facilities = UnitField(
        many=True,
        required=False,
        write_only=True,
        help_text=_(
            "UIDs of the facilities asked. On update, the facilities asked become exactly "
            "these (a facility that has answered cannot be removed)."
        ),
    )
    under = UnitField(
        required=False,
        allow_null=True,
        write_only=True,
        help_text=_("Also ask every active facility under this unit (e.g. a DOH: its province)."),
    )
    facility_types = serializers.MultipleChoiceField(
        choices=FacilityType.choices,
        required=False,
        write_only=True,
        help_text=_("With `under`: only facilities of these types."),
    )
    facilities_asked = serializers.SerializerMethodField()
    answers_submitted = serializers.SerializerMethodField()

    class Meta:
        model = NeedsSurvey
        fields = [
            "uid",
            "title",
            "organiser",
            "organiser_name",
            "framework",
            "opens_on",
            "deadline",
            "status",
            "description",
            "facilities",
            "under",
            "facility_types",
            "facilities_asked",
            "answers_submitted",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_facilities_asked(self, obj) -> list[str]:
        """UIDs of the facilities asked that the caller may see (all for the organiser's side)."""
        request = self.context.get("request")
        facilities = sorted(obj.facilities.all(), key=lambda u: u.sort_name)
        if request is not None and not in_scope(request.user, obj.organiser.path):
            facilities = [u for u in facilities if in_scope(request.user, u.path)]
        return [u.uid for u in facilities]

    def get_answers_submitted(self, obj) -> int:
        """Submitted answers the caller may see."""
        if hasattr(obj, "n_submitted"):
            return obj.n_submitted
        request = self.context.get("request")
        qs = obj.responses.filter(status=ResponseStatus.SUBMITTED)
        if request is not None:
            qs = qs.filter(pk__in=SurveyResponse.objects.restrict(request.user))
        return qs.count()


# ---------------------------------------------------------------- responses and needs


class TechniqueNeedSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(**ROW_ID)
    technique = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Technique.objects.all(),
        help_text=_("Code of the technique in the catalogue."),
    )
    technique_name = serializers.CharField(source="technique.name", read_only=True)

    class Meta:
        model = TechniqueNeed
        fields = [
            "id",
            "technique",
            "technique_name",
            "people_to_train",
            "priority",
            "status",
            "note",
        ]
        read_only_fields = ["status"]


class TrainingNeedSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(**ROW_ID)
    specialty = specialty_field(required=False, allow_null=True)

    class Meta:
        model = TrainingNeed
        fields = ["id", "kind", "topic", "specialty", "people", "priority", "status", "note"]
        read_only_fields = ["status"]


class TeleconsultNeedSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(**ROW_ID)
    specialty = specialty_field()

    class Meta:
        model = TeleconsultNeed
        fields = ["id", "specialty", "sessions_per_month", "priority", "status", "note"]
        read_only_fields = ["status"]


class EquipmentNeedSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(**ROW_ID)
    specialty = specialty_field(required=False, allow_null=True)

    class Meta:
        model = EquipmentNeed
        fields = [
            "id",
            "item",
            "specialty",
            "quantity",
            "unit",
            "estimated_value",
            "priority",
            "status",
            "note",
        ]
        read_only_fields = ["status"]


# Serializer field -> (related name on the response, service keyword, need model).
NESTED_NEEDS = {
    "technique_needs": ("techniqueneeds", "technique_needs", TechniqueNeed),
    "training_needs": ("trainingneeds", "training_needs", TrainingNeed),
    "teleconsult_needs": ("teleconsultneeds", "teleconsult_needs", TeleconsultNeed),
    "equipment_needs": ("equipmentneeds", "equipment_needs", EquipmentNeed),
}


class ResponseSerializer(serializers.ModelSerializer):
    survey = ScopedSlugField(model=NeedsSurvey, help_text=_("UID of the survey."))
    survey_title = serializers.CharField(source="survey.title", read_only=True)
    facility = UnitField(help_text=_("UID of the facility answering."))
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    technique_needs = TechniqueNeedSerializer(many=True, required=False, source="techniqueneeds")
    training_needs = TrainingNeedSerializer(many=True, required=False, source="trainingneeds")
    teleconsult_needs = TeleconsultNeedSerializer(
        many=True, required=False, source="teleconsultneeds"
    )
    equipment_needs = EquipmentNeedSerializer(many=True, required=False, source="equipmentneeds")

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "survey",
            "survey_title",
            "facility",
            "facility_name",
            "status",
            "submitted_at",
            "contact",
            "note",
            "technique_needs",
            "training_needs",
            "teleconsult_needs",
            "equipment_needs",
            "created",
            "last_updated",
        ]
        read_only_fields = ["status", "submitted_at", "created", "last_updated"]
        validators = []  # one answer per facility: the view says so in words


class NeedRowSerializer(serializers.Serializer):
    """One line of the province needs table."""

    kind = serializers.CharField()
    kind_label = serializers.CharField()
    id = serializers.IntegerField(source="need.pk")
    response = serializers.IntegerField(source="response.pk")
    survey = serializers.CharField(source="survey.uid")
    survey_title = serializers.CharField(source="survey.title")
    facility = serializers.CharField(source="facility.uid")
    facility_code = serializers.CharField(source="facility.code")
    facility_name = serializers.CharField(source="facility.name")
    specialty = serializers.CharField(source="specialty.code", default=None)
    specialty_name = serializers.CharField(source="specialty.name", default=None)
    technique = serializers.SerializerMethodField()
    description = serializers.CharField()
    quantity = serializers.IntegerField(allow_null=True)
    quantity_unit = serializers.CharField(source="quantity_label")
    estimated_value = serializers.IntegerField(allow_null=True)
    priority = serializers.IntegerField(source="need.priority")
    status = serializers.CharField(source="need.status")
    response_status = serializers.CharField(source="response.status")
    note = serializers.CharField(source="need.note")

    @extend_schema_field(OpenApiTypes.STR)
    def get_technique(self, row):
        technique = getattr(row.need, "technique", None)
        return technique.code if technique is not None else None


# ---------------------------------------------------------------- assessments


class CapacitySerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(**ROW_ID)
    specialty = specialty_field()
    specialty_name = serializers.CharField(source="specialty.name", read_only=True)

    class Meta:
        model = SpecialtyCapacity
        fields = [
            "id",
            "specialty",
            "specialty_name",
            "score",
            "staff_count",
            "techniques_performed",
            "comment",
        ]


class AssessmentSerializer(serializers.ModelSerializer):
    facility = UnitField(help_text=_("UID of the facility assessed."))
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    assessor = UnitField(help_text=_("UID of the assessing unit."))
    assessor_name = serializers.CharField(source="assessor.name", read_only=True)
    response = ScopedPKField(model=SurveyResponse, required=False, allow_null=True)
    programme = ScopedSlugField(model=Programme, required=False, allow_null=True)
    specialties = CapacitySerializer(many=True, required=False)
    overall_score = serializers.FloatField(read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "facility",
            "facility_name",
            "assessor",
            "assessor_name",
            "date",
            "response",
            "programme",
            "team",
            "staff_score",
            "staff_comment",
            "equipment_score",
            "equipment_comment",
            "infrastructure_score",
            "infrastructure_comment",
            "overall_score",
            "conclusion",
            "specialties",
            "created",
            "last_updated",
        ]
        read_only_fields = ["created", "last_updated"]


# ---------------------------------------------------------------- programmes


class PartySerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(**ROW_ID)
    org_unit = UnitField(help_text=_("UID of the unit."))
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)

    class Meta:
        model = ProgrammeParty
        fields = ["id", "org_unit", "org_unit_name", "side", "role", "area", "assignment"]


class AreaSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(**ROW_ID)

    class Meta:
        model = ProgrammeArea
        fields = ["id", "area", "description"]


class ItemSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(**ROW_ID)
    provider = UnitField(required=False, allow_null=True)
    recipient = UnitField(required=False, allow_null=True)
    is_late = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProgrammeItem
        fields = [
            "id",
            "number",
            "area",
            "title",
            "description",
            "provider",
            "recipient",
            "planned_start",
            "planned_end",
            "status",
            "done_on",
            "result",
            "is_late",
        ]


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    planned = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    late = serializers.IntegerField()


class ProgrammeSerializer(serializers.ModelSerializer):
    survey = ScopedSlugField(model=NeedsSurvey, required=False, allow_null=True)
    parties = PartySerializer(
        many=True,
        required=False,
        help_text=_("At least one unit on each side (provider and recipient)."),
    )
    areas = AreaSerializer(many=True, required=False)
    items = ItemSerializer(many=True, required=False)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Programme
        fields = [
            "uid",
            "number",
            "title",
            "kind",
            "framework",
            "signed_on",
            "start_date",
            "end_date",
            "status",
            "survey",
            "description",
            "min_secondment_months",
            "max_secondment_months",
            "parties",
            "areas",
            "items",
            "progress",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj):
        from doha.programmes.services import programme_progress

        progress = programme_progress(obj)
        return ProgressSerializer(progress).data
