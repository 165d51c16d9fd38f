from django import forms
from django.utils.translation import gettext_lazy as _

from doha.checklists.models import (
    AnswerType,
    ChecklistFill,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    TemplateStatus,
)
from doha.core.scope import user_scope_path
from doha.orgunits.forms import ImportForm
from doha.orgunits.models import FacilityType, OrgUnit


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def owner_units(user):
    """The departments of health (and the ministry) a user may write checklists for."""
    units = OrgUnit.objects.filter(
        active=True, facility_type__in=[FacilityType.DOH, FacilityType.MINISTRY]
    )
    prefix = user_scope_path(user) if user is not None else ""
    if prefix is None:
        return units.none()
    if prefix:
        units = units.filter(path__startswith=prefix)
    return units.order_by("sort_name")


class TemplateForm(forms.ModelForm):
    owner = UnitChoiceField(label=_("Owner unit"), queryset=OrgUnit.objects.none())

    class Meta:
        model = ChecklistTemplate
        fields = ["code", "name", "visit_kind", "owner", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_units(user)
        if self.instance.pk:
            self.fields["code"].disabled = True
        else:
            self.fields["code"].help_text = _(
                "The same for every version; a code already used makes this its next version."
            )


class TemplateImportForm(ImportForm):
    """A template's own fields, then the file of its sections and questions."""

    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=300)
    visit_kind = forms.ChoiceField(
        label=_("Visit kind"), choices=ChecklistTemplate._meta.get_field("visit_kind").choices
    )
    owner = UnitChoiceField(label=_("Owner unit"), queryset=OrgUnit.objects.none())
    field_order = ["code", "name", "visit_kind", "owner", "file", "dry_run"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_units(user)
        self.fields["code"].help_text = _(
            "A code already used makes the file the checklist's next version (a draft)."
        )
        self.fields["file"].help_text = _(
            "One sheet with the columns of the template. Nothing is saved if any row is refused."
        )


class SectionForm(forms.ModelForm):
    class Meta:
        model = ChecklistSection
        fields = ["title", "weight", "order"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.fields["order"].help_text = _("Empty: after the last one.")


class QuestionForm(forms.ModelForm):
    class Meta:
        model = ChecklistQuestion
        fields = ["text", "answer_type", "max_score", "target", "weight", "required", "order"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.fields["order"].help_text = _("Empty: after the last one.")


YES_NO_CHOICES = [("", _("Not answered")), ("yes", _("Yes")), ("no", _("No"))]


class FillForm(forms.Form):
    """The fill's date and notes, and one field per question (``q_<pk>``), grouped by
    section. Whether required questions are answered is checked on submit by the service,
    so that a draft may be saved half done."""

    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, template: ChecklistTemplate, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.sections = []
        for section in template.sections.prefetch_related("questions").order_by("order", "pk"):
            names = []
            for q in section.questions.all():
                name = f"q_{q.pk}"
                self.fields[name] = self._field(q)
                names.append(name)
            self.sections.append((section, names))

    @staticmethod
    def _field(q: ChecklistQuestion):
        label = q.text
        if q.answer_type == AnswerType.YES_NO:
            field = forms.ChoiceField(
                label=label, choices=YES_NO_CHOICES, required=False, widget=forms.RadioSelect
            )
        elif q.answer_type == AnswerType.SCORE:
            field = forms.IntegerField(
                label=label, required=False, min_value=0, max_value=q.max_score
            )
            field.help_text = _("Score from 0 to %(max)s") % {"max": q.max_score}
        elif q.answer_type == AnswerType.NUMBER:
            field = forms.DecimalField(label=label, required=False, max_digits=12, decimal_places=2)
            if q.target is not None:
                field.help_text = _("Target for full marks: %(target)s") % {
                    "target": f"{q.target.normalize():f}"
                }
        else:
            field = forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
        field.question = q
        if q.required:
            field.widget.attrs["data-required"] = "1"
        return field

    def grouped(self):
        """[(section, [bound fields])] for the template."""
        return [(section, [self[name] for name in names]) for section, names in self.sections]

    def answer_values(self) -> dict[int, object]:
        values = {}
        for name, field in self.fields.items():
            if name.startswith("q_"):
                value = self.cleaned_data.get(name)
                if field.question.answer_type == AnswerType.YES_NO:
                    value = {"yes": True, "no": False}.get(value)
                values[field.question.pk] = value
        return values

    @staticmethod
    def initial_for(fill: ChecklistFill) -> dict:
        initial = {"date": fill.date, "notes": fill.notes}
        for a in fill.answers.select_related("question"):
            value = a.value
            if a.question.answer_type == AnswerType.YES_NO and value is not None:
                value = "yes" if value else "no"
            if a.question.answer_type == AnswerType.SCORE and value is not None:
                value = int(value)
            initial[f"q_{a.question_id}"] = value
        return initial


class TemplateChoiceForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Checklist template"),
        queryset=ChecklistTemplate.objects.none(),
        to_field_name="uid",
    )

    def __init__(self, *args, kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = ChecklistTemplate.objects.filter(status=TemplateStatus.PUBLISHED)
        if kind:
            # The checklists meant for this kind of visit.
            qs = qs.filter(visit_kind=kind)
        self.fields["template"].queryset = qs.order_by("name", "-version")
