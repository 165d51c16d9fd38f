from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from doha.checklists import services
from doha.checklists.models import (
    AnswerType,
    ChecklistAnswer,
    ChecklistFill,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    TemplateStatus,
)
from doha.orgunits.models import OrgUnit
from doha.visits.models import Visit


@extend_schema_field(OpenApiTypes.STR)
class UnitField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    def get_queryset(self):
        return OrgUnit.objects.filter(active=True)


@extend_schema_field(OpenApiTypes.STR)
class VisitField(serializers.SlugRelatedField):
    """A visit (by UID) among those the caller may see."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return Visit.objects.restrict(getattr(request, "user", None), "view")


@extend_schema_field(OpenApiTypes.STR)
class PublishedTemplateField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uid")
        super().__init__(**kwargs)

    def get_queryset(self):
        return ChecklistTemplate.objects.filter(status=TemplateStatus.PUBLISHED)


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistQuestion
        fields = ["id", "order", "text", "answer_type", "max_score", "target", "weight", "required"]
        read_only_fields = ["id", "order"]


class SectionSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True)

    class Meta:
        model = ChecklistSection
        fields = ["id", "order", "title", "weight", "questions"]
        read_only_fields = ["id", "order"]


class TemplateSerializer(serializers.ModelSerializer):
    owner = UnitField()
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    sections = SectionSerializer(many=True, required=False)

    class Meta:
        model = ChecklistTemplate
        fields = [
            "uid",
            "code",
            "version",
            "name",
            "visit_kind",
            "status",
            "owner",
            "owner_name",
            "description",
            "published_at",
            "sections",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "version", "status", "published_at", "created", "last_updated"]


def structure_from(sections_data) -> list[services.SectionData]:
    return [
        services.SectionData(
            title=s["title"],
            weight=s.get("weight", services.ONE),
            questions=[
                services.QuestionData(
                    text=q["text"],
                    answer_type=q["answer_type"],
                    max_score=q.get("max_score"),
                    target=q.get("target"),
                    weight=q.get("weight", services.ONE),
                    required=q.get("required", False),
                )
                for q in s.get("questions", [])
            ],
        )
        for s in sections_data
    ]


class AnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField(help_text="The question's id (from the template).")
    value = serializers.JSONField(
        allow_null=True,
        help_text="yes/no: true or false; score: a whole number 0..n; number: a number; "
        "text: a string; null: not answered.",
    )
    text = serializers.CharField(source="question.text", read_only=True)
    answer_type = serializers.ChoiceField(
        source="question.answer_type", choices=AnswerType.choices, read_only=True
    )

    def to_representation(self, instance: ChecklistAnswer):
        value = instance.value
        if instance.question.answer_type in (AnswerType.SCORE, AnswerType.NUMBER):
            value = None if value is None else float(value)
        return {
            "question": instance.question_id,
            "value": value,
            "text": instance.question.text,
            "answer_type": instance.question.answer_type,
        }


class SectionScoreSerializer(serializers.Serializer):
    section = serializers.IntegerField()
    title = serializers.CharField()
    weight = serializers.DecimalField(max_digits=7, decimal_places=2)
    score = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    obtained = serializers.DecimalField(max_digits=12, decimal_places=4)
    possible = serializers.DecimalField(max_digits=12, decimal_places=2)


class FillSerializer(serializers.ModelSerializer):
    template = PublishedTemplateField(help_text="UID of a published checklist version.")
    template_code = serializers.CharField(source="template.code", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)
    visit = VisitField(required=False, allow_null=True)
    facility = UnitField(required=False, help_text="UID; the visit's host when a visit is given.")
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    date = serializers.DateField(required=False, help_text="Default: the visit's first day.")
    filled_by = serializers.CharField(source="filled_by.username", read_only=True, default=None)
    answers = AnswerSerializer(many=True, required=False)
    section_scores = SectionScoreSerializer(many=True, read_only=True)
    submit = serializers.BooleanField(
        write_only=True,
        default=False,
        help_text="Check the required questions, store the scores and freeze the fill.",
    )
    previous = serializers.SerializerMethodField(
        help_text="The previous submitted fill of the same checklist code and visit kind at "
        "the same facility, and the change in score points."
    )

    class Meta:
        model = ChecklistFill
        fields = [
            "uid",
            "template",
            "template_code",
            "template_version",
            "visit",
            "facility",
            "facility_name",
            "date",
            "filled_by",
            "status",
            "overall_score",
            "section_scores",
            "previous",
            "notes",
            "answers",
            "submit",
            "submitted_at",
            "created",
            "last_updated",
        ]
        read_only_fields = [
            "uid",
            "status",
            "overall_score",
            "submitted_at",
            "created",
            "last_updated",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_previous(self, fill):
        request = self.context.get("request")
        comparison = services.compare_with_previous(fill, getattr(request, "user", None))
        if comparison is None:
            return None

        def num(value):
            return None if value is None else float(value)

        return {
            "uid": comparison.previous.uid,
            "date": comparison.previous.date.isoformat(),
            "overall": {
                "previous": num(comparison.overall.previous),
                "now": num(comparison.overall.now),
                "change": num(comparison.overall.delta),
            },
            "sections": [
                {
                    "title": c.title,
                    "previous": num(c.previous),
                    "now": num(c.now),
                    "change": num(c.delta),
                }
                for c in comparison.sections
            ],
        }
