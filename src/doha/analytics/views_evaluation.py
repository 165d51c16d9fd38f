"""The programme evaluation page: /analytics/evaluation/.

A user picks a programme they may see (a DOH officer may instead pick facilities and the
date support started), an outcome and the months before and after; the page shows the
comparison group with the reason for each match, the difference-in-differences result in
words, the means, the time series per facility and a chart, or says plainly why the data
cannot support a conclusion. The computing is ``doha.analytics.evaluation``'s.
"""

from __future__ import annotations

import base64

from django import forms
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.analytics.evaluation import (
    OUTCOMES,
    REPORTING_TYPES,
    EvaluationError,
    evaluate,
    evaluate_programme,
    format_change,
)
from doha.analytics.query import QueryError
from doha.core.permissions import Role
from doha.core.views import ScopedViewMixin
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme


class EvaluationResource:
    """What the page shows is a report on outcomes: the roles' "report" permission."""

    permission_resource = "report"

    class _meta:  # noqa: N801 - read by doha.core.scope.can like a model's options
        model_name = "report"


def may_pick_facilities(user) -> bool:
    return user.is_superuser or user.role in (Role.DOH_OFFICER, Role.SYSTEM_ADMIN)


class EvaluationForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=gettext_lazy("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        to_field_name="uid",
    )
    facilities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("or these supported facilities"),
        queryset=OrgUnit.objects.none(),
        required=False,
        to_field_name="uid",
    )
    start = forms.DateField(
        label=gettext_lazy("Support started on"),
        required=False,
        help_text=gettext_lazy("Only with facilities; a programme's start is its own."),
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome indicator"),
        choices=[(key, spec.label) for key, spec in OUTCOMES.items()],
        initial="referral_rate",
    )
    months_before = forms.IntegerField(
        label=gettext_lazy("Months before"), min_value=6, max_value=60, initial=12
    )
    months_after = forms.IntegerField(
        label=gettext_lazy("Months after"), min_value=6, max_value=60, initial=12
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["programme"].queryset = Programme.objects.restrict(user, "view").order_by(
            "-start_date", "title"
        )
        if may_pick_facilities(user):
            self.fields["facilities"].queryset = (
                OrgUnit.objects.restrict(user, "view")
                .filter(facility_type__in=REPORTING_TYPES, active=True)
                .order_by("sort_name")
            )
        else:
            del self.fields["facilities"]
            del self.fields["start"]

    def clean(self):
        data = super().clean()
        programme = data.get("programme")
        facilities = data.get("facilities")
        if programme is None and not facilities:
            if "facilities" in self.fields:
                message = _("Choose a programme, or the supported facilities and a start date.")
            else:
                message = _("Choose a programme.")
            if not self.has_error("programme"):
                self.add_error("programme", message)
        elif programme is None and not data.get("start") and not self.has_error("start"):
            self.add_error("start", _("Give the date support started."))
        return data


class EvaluationView(ScopedViewMixin, TemplateView):
    model = EvaluationResource
    action = "view"
    template_name = "analytics/evaluation.html"

    def get(self, request, *args, **kwargs):
        form = EvaluationForm(request.GET or None, user=request.user)
        ctx = {"form": form, "active_nav": "evaluation"}
        status = 200
        if form.is_bound:
            if form.is_valid():
                try:
                    result = self.run(form.cleaned_data)
                except EvaluationError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                    status = 400
                except QueryError as exc:
                    form.add_error(None, exc.message)
                    status = 400
                else:
                    ctx.update(present(result))
            else:
                status = 400
        return self.render_to_response(self.get_context_data(**ctx), status=status)

    def run(self, data):
        kw = {
            "outcome": data["outcome"],
            "months_before": data["months_before"],
            "months_after": data["months_after"],
        }
        if data.get("programme") is not None:
            return evaluate_programme(self.request.user, data["programme"], **kw)
        return evaluate(
            self.request.user, treated=list(data["facilities"]), start=data["start"], **kw
        )


def present(result) -> dict:
    """What the template shows of an Evaluation."""
    means = []
    if result.did is not None and result.did.means:
        labels = {"treated": _("Supported facilities"), "comparison": _("Comparison group")}
        for key in ("treated", "comparison"):
            row = result.did.means[key]
            means.append(
                {
                    "label": labels[key],
                    "before": row["before"],
                    "after": row["after"],
                    "change": format_change(row["change"]) if row["change"] is not None else "",
                }
            )
    its = []
    for item in result.its:
        its.append(
            {
                "unit": item.unit,
                "months": item.n_months,
                "note": item.note,
                "level": _ci_text(item.level_change, item.level_low, item.level_high),
                "slope": _ci_text(item.slope_change, item.slope_low, item.slope_high),
                "level_p": item.level_p,
                "slope_p": item.slope_p,
            }
        )
    did = None
    if result.did is not None:
        did = {
            "effect": _ci_text(result.did.estimate, result.did.ci_low, result.did.ci_high),
            "p": result.did.p_value,
            "n_treated": result.did.n_treated,
            "n_comparison": result.did.n_comparison,
            "n_months": result.did.n_months,
            "n_observations": result.did.n_observations,
        }
    chart = "data:image/png;base64," + base64.b64encode(result.chart_png()).decode("ascii")
    return {
        "result": result,
        "decimals": OUTCOMES[result.outcome].decimals,
        "means": means,
        "its": its,
        "did": did,
        "chart": chart,
    }


def _ci_text(value, low, high) -> str:
    if value is None:
        return ""
    return _("%(value)s (95%% CI: %(low)s to %(high)s)") % {
        "value": format_change(value),
        "low": format_change(low),
        "high": format_change(high),
    }


urlpatterns = [
    path("evaluation/", EvaluationView.as_view(), name="evaluation"),
]
