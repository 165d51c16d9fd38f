from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.catalog.models import Technique
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme, ProgrammeItem, TechniqueNeed
from doha.transfers.models import (
    CaseKind,
    StepEvidence,
    SustainmentCheck,
    TechniqueTransfer,
    TransferCase,
    TransferState,
    TransferStep,
)
from doha.transfers.services import acceptance_progress


@extend_schema_field(OpenApiTypes.STR)
class ScopedRelatedField(serializers.SlugRelatedField):
    """A related object chosen by its slug among those the caller may see."""

    def __init__(self, *args, model=None, scope_action="view", **kwargs):
        self.model = model
        self.scope_action = scope_action
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model.objects.none()
        return self.model.objects.restrict(request.user, self.scope_action)


@extend_schema_field(OpenApiTypes.INT)
class ScopedIdField(serializers.PrimaryKeyRelatedField):
    """A related object chosen by its id among those the caller may see."""

    def __init__(self, *args, model=None, scope_action="view", **kwargs):
        self.model = model
        self.scope_action = scope_action
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model.objects.none()
        return self.model.objects.restrict(request.user, self.scope_action)


@extend_schema_field(OpenApiTypes.STR)
class FacilityField(serializers.SlugRelatedField):
    def get_queryset(self):
        return OrgUnit.objects.filter(active=True)


class EvidenceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="description", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = StepEvidence
        fields = ["id", "name", "download"]

    def get_download(self, obj) -> str:
        url = reverse("transfers:evidence", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class StepSerializer(serializers.ModelSerializer):
    evidence = EvidenceSerializer(many=True, read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)

    class Meta:
        model = TransferStep
        fields = ["state", "date", "responsible", "note", "recorded_by", "evidence"]


class CaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransferCase
        fields = ["id", "date", "kind", "count", "note"]


class SustainmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = SustainmentCheck
        fields = ["months_after", "checked_on", "still_performed", "cases_in_period", "note"]


class TransferSerializer(serializers.ModelSerializer):
    technique = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Technique.objects.filter(active=True),
        help_text=_("Code of the technique in the catalogue."),
    )
    technique_name = serializers.CharField(source="technique.name", read_only=True)
    provider = FacilityField(slug_field="uid", help_text=_("UID of the transferring facility."))
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    recipient = FacilityField(slug_field="uid", help_text=_("UID of the receiving facility."))
    recipient_name = serializers.CharField(source="recipient.name", read_only=True)
    programme = ScopedRelatedField(
        slug_field="uid",
        model=Programme,
        required=False,
        allow_null=True,
        help_text=_("UID of the programme (optional)."),
    )
    programme_item = ScopedIdField(model=ProgrammeItem, required=False, allow_null=True)
    need = ScopedIdField(
        model=TechniqueNeed,
        required=False,
        allow_null=True,
        help_text=_("The technique need this transfer answers (its id)."),
    )
    state_date = serializers.DateField(
        required=False, help_text=_("For a new transfer: the date it was planned (default today).")
    )
    min_independent_cases = serializers.IntegerField(required=False, min_value=1)
    responsible = serializers.CharField(write_only=True, required=False, allow_blank=True)
    note = serializers.CharField(write_only=True, required=False, allow_blank=True)
    cases = serializers.SerializerMethodField()

    class Meta:
        model = TechniqueTransfer
        fields = [
            "uid",
            "technique",
            "technique_name",
            "provider",
            "provider_name",
            "recipient",
            "recipient_name",
            "programme",
            "programme_item",
            "need",
            "state",
            "state_date",
            "planned_start",
            "planned_end",
            "team",
            "provider_lead",
            "recipient_lead",
            "min_independent_cases",
            "level_exception",
            "level_exception_reason",
            "level_exception_decision",
            "cancel_reason",
            "responsible",
            "note",
            "cases",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "state", "cancel_reason", "created", "last_updated"]

    def get_cases(self, obj) -> dict:
        """Cases recorded against the minimum (from the list's annotations when present)."""
        if hasattr(obj, "independent_total"):
            supervised = obj.supervised_total or 0
            independent = obj.independent_total or 0
            needed = obj.min_independent_cases
            return {
                "supervised": supervised,
                "independent": independent,
                "needed": needed,
                "missing": max(0, needed - independent),
                "ready": independent >= needed,
            }
        return acceptance_progress(obj)


class TransferDetailSerializer(TransferSerializer):
    steps = StepSerializer(many=True, read_only=True)
    case_records = CaseSerializer(many=True, read_only=True)
    sustainment_checks = SustainmentSerializer(many=True, read_only=True)

    class Meta(TransferSerializer.Meta):
        fields = [*TransferSerializer.Meta.fields, "steps", "case_records", "sustainment_checks"]


class TransitionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=TransferState.choices)
    date = serializers.DateField()
    responsible = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    cancel_reason = serializers.CharField(required=False, allow_blank=True, default="")
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=_("Evidence files (multipart/form-data)."),
    )


class CaseInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    count = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class SustainmentInputSerializer(serializers.Serializer):
    months_after = serializers.ChoiceField(choices=[(6, "6"), (12, "12")])
    checked_on = serializers.DateField()
    still_performed = serializers.BooleanField()
    cases_in_period = serializers.IntegerField(min_value=0, default=0)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ProposalSerializer(serializers.Serializer):
    """One proposed provider with the components of its score (see doha.transfers.matching)."""

    provider = serializers.DictField()
    capability = serializers.DictField()
    score = serializers.FloatField()
    components = serializers.DictField(child=serializers.FloatField())
    common_unit = serializers.CharField(allow_null=True)
    tree_steps = serializers.IntegerField()
    distance_km = serializers.FloatField(allow_null=True)
    open_transfers = serializers.IntegerField()
    programmes = serializers.ListField(child=serializers.DictField())
    reasons = serializers.ListField(child=serializers.CharField())


class NeedProposalsSerializer(serializers.Serializer):
    need = serializers.IntegerField()
    technique = serializers.CharField()
    recipient = serializers.CharField()
    status = serializers.CharField()
    level_needed = serializers.CharField()
    level_exception_needed = serializers.BooleanField()
    proposals = ProposalSerializer(many=True)


class AcceptSerializer(serializers.Serializer):
    need = ScopedIdField(model=TechniqueNeed, help_text=_("Id of the technique need."))
    provider = FacilityField(slug_field="uid", help_text=_("UID of the proposed provider."))
    programme = ScopedRelatedField(
        slug_field="uid", model=Programme, help_text=_("UID of the programme.")
    )
    date = serializers.DateField(required=False)
    level_exception_reason = serializers.CharField(required=False, allow_blank=True, default="")
    level_exception_decision = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
