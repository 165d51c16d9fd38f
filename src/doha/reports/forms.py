import calendar
import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme
from doha.reports.document import validate_docx
from doha.reports.models import Letterhead, PeriodKind, Report, ReportKind
from doha.reports.periods import period_bounds

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ReportForm(forms.ModelForm):
    """A new report: unit, period, number and date, and the officer's own text."""

    kind = ReportKind.SEMIANNUAL
    # Statistics are monthly: a range of months starts and ends on a month's bounds.
    whole_months = True
    org_unit = UnitChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Report
        fields = [
            "org_unit",
            "period_kind",
            "year",
            "start_date",
            "end_date",
            "number",
            "date",
            "title",
            "language",
            "shortcomings",
            "next_tasks",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "shortcomings": forms.Textarea(attrs={"rows": 6}),
            "next_tasks": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "year": _("For the six months and the whole year."),
            "start_date": _("For a range of months: the first day of the first month."),
            "end_date": _("For a range of months: the last day of the last month."),
            "shortcomings": _("One point a paragraph; printed in section IV."),
            "next_tasks": _("One task a paragraph; printed in section V."),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["org_unit"].queryset = (
            OrgUnit.objects.restrict(user, "view")
            .filter(active=True)
            .order_by("depth", "sort_name")
        )
        self.fields["start_date"].required = False
        self.fields["end_date"].required = False
        if not self.is_bound and self.instance.pk is None:
            today = timezone.localdate()
            self.initial.setdefault("year", today.year if today.month > 6 else today.year - 1)
            self.initial.setdefault(
                "period_kind", PeriodKind.FIRST_HALF if today.month > 6 else PeriodKind.SECOND_HALF
            )
            self.initial.setdefault("date", today)
            root = getattr(user, "scope_root", None)
            if root is not None:
                self.initial.setdefault("org_unit", root.pk)

    def clean(self):
        data = super().clean()
        kind = data.get("period_kind")
        year = data.get("year")
        start, end = data.get("start_date"), data.get("end_date")
        if kind in (PeriodKind.FIRST_HALF, PeriodKind.SECOND_HALF, PeriodKind.YEAR):
            if year is None:
                self.add_error("year", _("Give the year of the report."))
            elif not 2000 <= year <= 2100:
                self.add_error("year", _("The year must be between 2000 and 2100."))
            else:
                data["start_date"], data["end_date"] = period_bounds(kind, year)
        elif kind == PeriodKind.RANGE:
            if start is None:
                self.add_error("start_date", _("Give the first day of the range."))
            if end is None:
                self.add_error("end_date", _("Give the last day of the range."))
            if start and start.day != 1 and self.whole_months:
                self.add_error(
                    "start_date",
                    _("Statistics are monthly: start on the first day of a month."),
                )
            if end and self.whole_months and end.day != calendar.monthrange(end.year, end.month)[1]:
                self.add_error(
                    "end_date", _("Statistics are monthly: end on the last day of a month.")
                )
            if start and end and start > end:
                self.add_error("end_date", _("The end comes before the start."))
            if start and end and (end - start) > datetime.timedelta(days=366 * 3):
                self.add_error("end_date", _("A range can be at most three years long."))
            if start:
                data["year"] = start.year
        return data

    def _post_clean(self):
        self.instance.kind = self.kind
        data = self.cleaned_data
        if data.get("start_date") and data.get("end_date"):
            self.instance.start_date = data["start_date"]
            self.instance.end_date = data["end_date"]
        super()._post_clean()


class ProgrammeReportForm(ReportForm):
    kind = ReportKind.PROGRAMME
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())

    class Meta(ReportForm.Meta):
        fields = ["programme", *ReportForm.Meta.fields]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["programme"].queryset = Programme.objects.restrict(user, "view").order_by(
            "-start_date"
        )


class LineDirectionReportForm(ReportForm):
    """A hospital's or a DOH's line-direction report, for six months, a year or any dates."""

    kind = ReportKind.LINE_DIRECTION
    whole_months = False

    class Meta(ReportForm.Meta):
        help_texts = {
            **ReportForm.Meta.help_texts,
            "start_date": _("For a range of dates: the first day."),
            "end_date": _("For a range of dates: the last day."),
            "shortcomings": _("One point a paragraph; printed in section VII."),
            "next_tasks": _("One task a paragraph; printed in section VIII."),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["org_unit"].help_text = _(
            "A hospital: its own line-direction work; a Department of Health: the province's."
        )
        self.fields["period_kind"].choices = [
            (value, _("Dates from … to …") if value == PeriodKind.RANGE else label)
            for value, label in self.fields["period_kind"].choices
        ]


class ReportTextForm(forms.ModelForm):
    """What may change between versions: number, date, summary and the officer's text."""

    class Meta:
        model = Report
        fields = ["number", "date", "title", "language", "shortcomings", "next_tasks"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "shortcomings": forms.Textarea(attrs={"rows": 8}),
            "next_tasks": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class LetterheadForm(forms.ModelForm):
    template_file = forms.FileField(
        label=_("Base template (.docx)"),
        required=False,
        help_text=_(
            "Optional: a Word document whose styles, page set-up and headers the reports use."
        ),
    )
    remove_template = forms.BooleanField(label=_("Remove the base template"), required=False)

    class Meta:
        model = Letterhead
        fields = [
            "parent_body",
            "issuing_body",
            "symbol_suffix",
            "place_name",
            "signer_authority",
            "signer_title",
            "signer_name",
            "recipients",
        ]
        widgets = {"recipients": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_template_file(self):
        upload = self.cleaned_data.get("template_file")
        if not upload:
            return None
        if upload.size > MAX_TEMPLATE_BYTES:
            raise ValidationError(_("The template is larger than 5 MB."))
        data = upload.read()
        validate_docx(data)
        return data

    def save(self, commit=True):
        letterhead = super().save(commit=False)
        data = self.cleaned_data.get("template_file")
        if data:
            letterhead.template = data
            letterhead.template_name = self.files["template_file"].name[:200]
        elif self.cleaned_data.get("remove_template"):
            letterhead.template = None
            letterhead.template_name = ""
        if commit:
            letterhead.save()
        return letterhead
