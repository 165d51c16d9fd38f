"""Checklist templates to and from .xlsx (or .csv), so that a DOH can write its own.

One sheet, one row a question, in order; the rows of one section share its title:

    section | section weight | question | answer type | max score / target | weight | required

The file becomes a new draft version of the checklist named on the import page (its code,
name, visit kind and owner unit): version 1 of a new code, or the next version of an
existing one. All or nothing: any refused row (its number, the column and the reason, in the
user's language) leaves nothing saved. The export writes the same columns, so an exported
version imports back as an equal one.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.checklists import services
from doha.checklists.models import AnswerType, ChecklistTemplate
from doha.checklists.services import QuestionData, SectionData
from doha.core.tabular import export_response
from doha.core.text import fold
from doha.rotations.tabular_import import TabularImport

COLUMNS = (
    ("section", gettext_lazy("Section")),
    ("section_weight", gettext_lazy("Section weight")),
    ("question", gettext_lazy("Question")),
    ("answer_type", gettext_lazy("Answer type")),
    ("limit", gettext_lazy("Max score / target")),
    ("weight", gettext_lazy("Weight")),
    ("required", gettext_lazy("Required")),
)
WIDTHS = (35, 12, 60, 18, 14, 10, 10)

# Short spellings a DOH officer may type for an answer type.
TYPE_ALIASES = {
    "yes/no": AnswerType.YES_NO,
    "yes no": AnswerType.YES_NO,
    "co/khong": AnswerType.YES_NO,
    "co khong": AnswerType.YES_NO,
    "dat/khong dat": AnswerType.YES_NO,
    "score": AnswerType.SCORE,
    "diem": AnswerType.SCORE,
    "thang diem": AnswerType.SCORE,
    "number": AnswerType.NUMBER,
    "so": AnswerType.NUMBER,
    "text": AnswerType.TEXT,
    "van ban": AnswerType.TEXT,
    "ghi chu": AnswerType.TEXT,
}


def _number(value):
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def template_rows(template: ChecklistTemplate) -> list[list]:
    rows = []
    for section in services.template_structure(template):
        for q in section.questions:
            limit = q.max_score if q.answer_type == AnswerType.SCORE else q.target
            rows.append(
                [
                    section.title,
                    _number(section.weight),
                    q.text,
                    str(AnswerType(q.answer_type).label),
                    _number(limit),
                    _number(q.weight),
                    _("yes") if q.required else _("no"),
                ]
            )
    return rows


def export_template(template: ChecklistTemplate, fmt: str = "xlsx"):
    labels = [str(label) for _key, label in COLUMNS]
    return export_response(
        labels,
        template_rows(template),
        fmt,
        f"bang-kiem-{template.code}-v{template.version}",
        sheet_title=str(_("Checklist template")),
        widths=WIDTHS,
    )


class ChecklistTemplateImport(TabularImport):
    columns = COLUMNS
    required = ("section", "question", "answer_type")
    aliases = {
        gettext_lazy("Max score"): "limit",
        gettext_lazy("Target"): "limit",
        gettext_lazy("Type"): "answer_type",
    }
    hints = {
        "section": gettext_lazy("The rows of one section share its title, in the order shown."),
        "section_weight": gettext_lazy(
            "A number from 0; empty: 1. The section's weight in the overall score."
        ),
        "answer_type": gettext_lazy("Yes/no, score 0..n, number or text (not scored)."),
        "limit": gettext_lazy(
            "For a score: n, a whole number from 1 (required). For a number: the value that "
            "gives full marks (optional). Empty for yes/no and text."
        ),
        "weight": gettext_lazy("The question's weight in its section: a number from 0; empty: 1."),
        "required": gettext_lazy("yes or no; empty: no."),
    }
    filename = "mau-bang-kiem"
    sheet_title = gettext_lazy("Checklist template")

    def __init__(self, user, dry_run=False, *, code="", name="", visit_kind="", owner=None):
        super().__init__(user, dry_run)
        self.code, self.name, self.visit_kind, self.owner = code, name, visit_kind, owner
        self.sections: dict[str, tuple[int, SectionData]] = {}
        self.questions: dict[tuple[str, str], int] = {}
        self.template: ChecklistTemplate | None = None

    def weight(self, number, values, key) -> Decimal:
        if not self.text(values, key):
            return Decimal(1)
        value = self.decimal(number, values, key)
        if value is None:
            return Decimal(1)
        if value < 0 or value >= Decimal("100000"):
            self.error(number, key, _("The weight must be a number from 0."))
        return value

    def answer_type(self, number, values):
        text = self.present(number, values, "answer_type")
        if not text:
            return None
        value = TYPE_ALIASES.get(fold(text)) or self.choice(
            number, values, "answer_type", AnswerType
        )
        return value

    def import_row(self, number, values):
        title = self.present(number, values, "section")
        section_weight = self.weight(number, values, "section_weight")
        text = self.present(number, values, "question", required=True)
        kind = self.answer_type(number, values)
        weight = self.weight(number, values, "weight")
        required = self.flag(number, values, "required")
        max_score = target = None
        limit_given = bool(self.text(values, "limit"))
        if kind == AnswerType.SCORE:
            if not limit_given:
                self.error(number, "limit", _("A 0..n score needs its maximum score n."))
            else:
                max_score = self.integer(number, values, "limit")
                if max_score is not None and not 1 <= max_score <= 1000:
                    self.error(
                        number, "limit", _("The maximum score must be a whole number from 1.")
                    )
        elif kind == AnswerType.NUMBER and limit_given:
            target = self.decimal(number, values, "limit")
            if target is not None and target <= 0:
                self.error(number, "limit", _("The target must be more than zero."))
        elif kind in (AnswerType.YES_NO, AnswerType.TEXT) and limit_given:
            self.error(number, "limit", _("Leave this empty for a yes/no or a text question."))
        if title and text:
            key = (fold(title), fold(text))
            if key in self.questions:
                self.error(
                    number,
                    "question",
                    _("The same question is already in this section on row %(row)s.")
                    % {"row": self.questions[key]},
                )
            else:
                self.questions[key] = number
        if title and fold(title) in self.sections:
            first_row, section = self.sections[fold(title)]
            if self.text(values, "section_weight") and section_weight != section.weight:
                self.error(
                    number,
                    "section_weight",
                    _("Row %(row)s gives this section the weight %(weight)s.")
                    % {"row": first_row, "weight": _number(section.weight)},
                )
        elif title:
            section = SectionData(title=title, weight=section_weight)
            self.sections[fold(title)] = (number, section)
        if self.row_refused():
            return
        section.questions.append(
            QuestionData(
                text=text,
                answer_type=kind,
                max_score=max_score,
                target=target,
                weight=weight,
                required=required,
            )
        )

    def finish(self):
        if self.report.errors:
            return
        if not self.sections:
            self.error(0, "", _("The file has no question."))
            return
        template = ChecklistTemplate(
            code=self.code, name=self.name, visit_kind=self.visit_kind, owner=self.owner
        )
        try:
            services.save_template(template, user=self.user)
            services.replace_structure(
                template, [s for _row, s in self.sections.values()], user=self.user
            )
        except ValidationError as exc:
            self.refused(0, exc)
            return
        except PermissionDenied as exc:
            self.error(0, "", str(exc))
            return
        self.template = template
        self.report.created = 1
        self.report.notes.append(
            _("%(name)s, version %(version)s: %(sections)s sections, %(questions)s questions.")
            % {
                "name": template.name,
                "version": template.version,
                "sections": len(self.sections),
                "questions": sum(len(s.questions) for _row, s in self.sections.values()),
            }
        )
