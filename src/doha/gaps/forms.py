from django import forms
from django.utils.translation import gettext_lazy as _

from doha.gaps.services import NEW_SURVEY


class SendToMatchingForm(forms.Form):
    """The gaps chosen on a facility's page and the needs survey they are recorded in."""

    techniques = forms.TypedMultipleChoiceField(
        label=_("Gaps to send"),
        coerce=int,
        error_messages={"required": _("Choose at least one gap to send.")},
    )
    survey = forms.ChoiceField(label=_("Needs survey"))

    def __init__(self, data=None, *, surveys, may_open_survey, facility, gaps=None, **kwargs):
        super().__init__(data, **kwargs)
        self.surveys = {s.uid: s for s in surveys}
        choices = [(s.uid, s.title) for s in surveys]
        if may_open_survey:
            choices.append((NEW_SURVEY, _("A new survey for this facility's gaps")))
        self.fields["survey"].choices = choices
        self.fields["survey"].error_messages["invalid_choice"] = _(
            "Choose one of the open needs surveys that asked this facility."
        )
        self.fields["survey"].error_messages["required"] = _(
            "No open needs survey asked this facility: ask the Department of Health or the "
            "line-direction office to open one."
        )
        # Any technique id is accepted here; the service checks that each one is a gap.
        if data is not None:
            values = data.getlist("techniques") if hasattr(data, "getlist") else []
            self.fields["techniques"].choices = [(v, v) for v in values]

    def clean_techniques(self):
        return list(dict.fromkeys(self.cleaned_data["techniques"]))

    def clean(self):
        data = super().clean()
        choice = data.get("survey")
        data["survey_object"] = (
            NEW_SURVEY if choice == NEW_SURVEY else self.surveys.get(choice) if choice else None
        )
        return data

    def survey_label(self) -> str:
        choice = self.cleaned_data.get("survey")
        return dict(self.fields["survey"].choices).get(choice, "")
