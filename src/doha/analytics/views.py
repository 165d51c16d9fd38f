"""Pages of the analytics app: pivot table with charts, the province dashboard, pinning."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from doha.aggregate.models import DataElement, DataValue
from doha.aggregate.periods import period_containing
from doha.analytics.charts import render_chart
from doha.analytics.models import DashboardItem, Indicator, ItemKind
from doha.analytics.pivot import build_pivot
from doha.core.scope import can
from doha.core.tabular import export_response
from doha.core.text import format_number, format_percent
from doha.core.views import ScopedViewMixin
from doha.orgunits.models import OrgUnit

RELATIVE_CHOICES = [
    ("LAST_12_MONTHS", gettext_lazy("Last 12 months")),
    ("LAST_6_MONTHS", gettext_lazy("Last 6 months")),
    ("LAST_3_MONTHS", gettext_lazy("Last 3 months")),
    ("MONTHS_THIS_YEAR", gettext_lazy("Months this year")),
    ("LAST_4_QUARTERS", gettext_lazy("Last 4 quarters")),
    ("QUARTERS_THIS_YEAR", gettext_lazy("Quarters this year")),
    ("LAST_2_SIXMONTHS", gettext_lazy("Last 2 six-month periods")),
    ("THIS_YEAR", gettext_lazy("This year")),
    ("LAST_YEAR", gettext_lazy("Last year")),
    ("LAST_5_YEARS", gettext_lazy("Last 5 years")),
]

LEVEL_CHOICES = [
    ("self", gettext_lazy("The unit itself")),
    ("children", gettext_lazy("Its units one level down")),
    ("grandchildren", gettext_lazy("Its units two levels down")),
]

LAYOUTS = {
    "ou,dx|pe": (("ou", "dx"), ("pe",)),
    "dx,ou|pe": (("dx", "ou"), ("pe",)),
    "dx|ou": (("dx", "pe"), ("ou",)),
    "ou|dx": (("ou", "pe"), ("dx",)),
    "pe|dx": (("pe", "ou"), ("dx",)),
}
LAYOUT_CHOICES = [
    ("ou,dx|pe", gettext_lazy("Rows: unit, data · columns: period")),
    ("dx,ou|pe", gettext_lazy("Rows: data, unit · columns: period")),
    ("dx|ou", gettext_lazy("Rows: data, period · columns: unit")),
    ("ou|dx", gettext_lazy("Rows: unit, period · columns: data")),
    ("pe|dx", gettext_lazy("Rows: period, unit · columns: data")),
]

BOUNDARY_CHOICES = [
    ("current", gettext_lazy("Current boundaries (from 1 July 2025)")),
    ("pre2025", gettext_lazy("Boundaries before 1 July 2025")),
]


def data_choices():
    elements = [(f"de:{d.uid}", d.name) for d in DataElement.objects.order_by("name")]
    indicators = [(f"in:{i.uid}", i.name) for i in Indicator.objects.order_by("name")]
    return [
        (gettext_lazy("Indicators"), indicators),
        (gettext_lazy("Data elements"), elements),
    ]


class AnalyticsForm(forms.Form):
    dx = forms.MultipleChoiceField(label=gettext_lazy("Data"), choices=())
    relative = forms.ChoiceField(
        label=gettext_lazy("Periods"), choices=RELATIVE_CHOICES, initial="LAST_12_MONTHS"
    )
    periods = forms.CharField(
        label=gettext_lazy("or these periods"),
        required=False,
        help_text=gettext_lazy(
            "DHIS2 period codes separated by ';', e.g. 2024Q1;2024Q2 or 2024S1."
        ),
    )
    ou = forms.ChoiceField(label=gettext_lazy("Org unit"), choices=())
    level = forms.ChoiceField(label=gettext_lazy("Show"), choices=LEVEL_CHOICES, initial="children")
    boundaries = forms.ChoiceField(
        label=gettext_lazy("Boundaries"), choices=BOUNDARY_CHOICES, initial="current"
    )
    layout = forms.ChoiceField(
        label=gettext_lazy("Layout"), choices=LAYOUT_CHOICES, initial="ou,dx|pe"
    )
    chart = forms.ChoiceField(
        label=gettext_lazy("Chart"),
        required=False,
        choices=[
            ("", gettext_lazy("No chart")),
            ("line", gettext_lazy("Line")),
            ("bar", gettext_lazy("Bar")),
        ],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["dx"].choices = data_choices()
        units = OrgUnit.objects.restrict(user, "view").filter(active=True)
        root = user.scope_root if not user.is_system_admin else None
        if root is not None:
            units = units.filter(depth__lte=root.depth + 1)
        else:
            units = units.filter(depth__lte=2)
        self.fields["ou"].choices = [(u.uid, u.name) for u in units.order_by("depth", "sort_name")]
        if root is not None:
            self.fields["ou"].initial = root.uid

    def clean_periods(self):
        from doha.aggregate.periods import PeriodError, parse_period

        text = self.cleaned_data.get("periods", "").replace(",", ";")
        items = [p.strip() for p in text.split(";") if p.strip()]
        for item in items:
            try:
                parse_period(item)
            except PeriodError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return items

    def query(self) -> dict:
        """The analytics query this form asks, in /api/analytics terms."""
        data = self.cleaned_data
        dx = [item.split(":", 1)[1] for item in data["dx"]]
        pe = data["periods"] or [data["relative"]]
        unit = data["ou"]
        level = data["level"]
        if level == "self":
            ou = [unit]
        else:
            depth = OrgUnit.objects.get(uid=unit).depth + (1 if level == "children" else 2)
            ou = [f"LEVEL-{depth}", unit]
        return {
            "dx": dx,
            "pe": pe,
            "ou": ou,
            "boundaries": data["boundaries"],
            "layout": data["layout"],
            "chart": data.get("chart") or "",
        }


def answer_for(user, query: dict, reference_date=None) -> dict:
    """Ask the query layer; the answer in DHIS2's shape."""
    from doha.analytics.query import run_query

    result = run_query(
        user,
        dx=query["dx"],
        pe=query["pe"],
        ou=query["ou"],
        boundaries=query.get("boundaries", "current"),
        reference_date=reference_date,
    )
    return result.as_dhis2()


def present(user, query: dict, title: str = "", kind: str | None = None):
    """The pivot, the chart SVG (if any) and the answer for one query."""
    answer = answer_for(user, query)
    rows, columns = LAYOUTS.get(query.get("layout") or "ou,dx|pe", LAYOUTS["ou,dx|pe"])
    pivot = build_pivot(answer, rows=rows, columns=columns)
    kind = kind if kind is not None else query.get("chart", "")
    chart = None
    if kind in ("line", "bar") and not pivot.is_empty:
        chart = render_chart(
            kind, [pivot.label(c) for c in pivot.col_keys], pivot.series(), title=title
        )
    return pivot, chart, answer


class PivotView(ScopedViewMixin, TemplateView):
    """Any data element or indicator by period and org unit, as a table and a chart."""

    model = DataValue
    action = "view"
    template_name = "analytics/pivot.html"

    def get(self, request, *args, **kwargs):
        form = AnalyticsForm(request.GET or None, user=request.user)
        ctx = {"form": form, "active_nav": "pivot"}
        status = 200
        if form.is_bound:
            if form.is_valid():
                query = form.query()
                try:
                    pivot, chart, answer = present(request.user, query)
                except ValueError as exc:
                    form.add_error(None, str(exc))
                    status = 400
                else:
                    fmt = request.GET.get("export")
                    if fmt in ("xlsx", "csv"):
                        if not can(request.user, DataValue, "export"):
                            raise PermissionDenied(_("Your role does not allow this action."))
                        headers, rows = pivot.table()
                        return export_response(headers, rows, fmt, "phan-tich", _("Analytics"))
                    query_string = request.GET.copy()
                    query_string.pop("export", None)
                    ctx.update(
                        pivot=pivot,
                        chart=chart,
                        query=query,
                        query_json=json.dumps(query),
                        querystring=query_string.urlencode(),
                        can_export=can(request.user, DataValue, "export"),
                        can_pin=can(request.user, DashboardItem, "add"),
                    )
            else:
                status = 400
        return self.render_to_response(self.get_context_data(**ctx), status=status)


class PinForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Shown as"), choices=ItemKind.choices)
    query = forms.CharField(widget=forms.HiddenInput)

    def clean_query(self):
        try:
            query = json.loads(self.cleaned_data["query"])
        except ValueError as exc:
            raise forms.ValidationError(_("The query is not valid.")) from exc
        if not isinstance(query, dict) or not all(
            isinstance(query.get(k), list) and query.get(k) for k in ("dx", "pe", "ou")
        ):
            raise forms.ValidationError(_("The query needs data, periods and org units."))
        return query


class PinView(ScopedViewMixin, View):
    """Pin the current analytics view to one's own dashboard."""

    model = DashboardItem
    action = "add"

    def post(self, request):
        form = PinForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                "; ".join(
                    f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}"
                    for f, e in form.errors.items()
                ),
            )
            return redirect(reverse("analytics:pivot"))
        count = DashboardItem.objects.filter(user=request.user).count()
        DashboardItem.objects.create(
            user=request.user,
            title=form.cleaned_data["title"],
            kind=form.cleaned_data["kind"],
            query=form.cleaned_data["query"],
            sort_order=count,
        )
        messages.success(
            request,
            _("Pinned to your dashboard: %(title)s") % {"title": form.cleaned_data["title"]},
        )
        return redirect(reverse("analytics:dashboard"))


class UnpinView(ScopedViewMixin, View):
    model = DashboardItem
    action = "change"

    def post(self, request, pk):
        item = get_object_or_404(DashboardItem, pk=pk, user=request.user)
        title = item.title
        item.delete()
        messages.info(request, _("Removed from your dashboard: %(title)s") % {"title": title})
        return redirect(reverse("analytics:dashboard"))


# The province dashboard: the figures of a DOH's semi-annual review (seed 004).
HEADLINE = [
    ("OPD_VISITS", gettext_lazy("Outpatient visits"), "number"),
    ("IPD_ADMISSIONS", gettext_lazy("Inpatient treatments"), "number"),
    ("IND_HEALTH_RECORD_COVERAGE", gettext_lazy("People with a health record"), "percent"),
    ("IND_REFERRAL_RATE", gettext_lazy("Referral rate"), "percent"),
    ("IND_FULL_IMMUNISATION", gettext_lazy("Children under 1 fully immunised"), "percent"),
]


def _by_code(codes):
    found = {d.code: d.uid for d in DataElement.objects.filter(code__in=codes)}
    found.update({i.code: i.uid for i in Indicator.objects.filter(code__in=codes)})
    return found


class DashboardView(ScopedViewMixin, TemplateView):
    model = DataValue
    action = "view"
    template_name = "analytics/dashboard.html"

    def get_unit(self):
        user = self.request.user
        units = OrgUnit.objects.restrict(user, "view")
        chosen = units.filter(uid=self.request.GET.get("ou")).first()
        if chosen is not None:
            return chosen
        root = user.scope_root if not user.is_system_admin else None
        if root is not None:
            return root
        from doha.orgunits.models import FacilityType

        return units.filter(facility_type=FacilityType.DOH).order_by("sort_name").first()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        unit = self.get_unit()
        today = timezone.localdate()
        half = period_containing(today, "SixMonthly").previous()
        last_year = half.same_period_last_year()
        uids = _by_code([code for code, _label, _kind in HEADLINE])
        headline = []
        coverage = referral_chart = None
        if unit is not None and uids:
            query = {
                "dx": [uids[c] for c, _l, _k in HEADLINE if c in uids],
                "pe": [half.id, last_year.id],
                "ou": [unit.uid],
            }
            answer = answer_for(user, query)
            pivot = build_pivot(answer, rows=("dx", "ou"), columns=("pe",))
            for code, label, kind in HEADLINE:
                uid = uids.get(code)
                if uid is None:
                    continue
                now = pivot.value((uid, unit.uid), (half.id,))
                before = pivot.value((uid, unit.uid), (last_year.id,))
                change = None
                if now is not None and before:
                    change = 100.0 * (now - before) / before

                def fmt(v, _decimals, kind=kind):
                    return format_percent(v, 1) if kind == "percent" else format_number(v, 0)

                headline.append(
                    {
                        "code": code,
                        "label": label,
                        "value": fmt(now, 1) if now is not None else "—",
                        "before": fmt(before, 1) if before is not None else "—",
                        "change": change,
                        "change_text": (
                            ("+" if change > 0 else "") + format_number(change, 1) + "%"
                        )
                        if change is not None
                        else "",
                    }
                )
            if "IND_HEALTH_RECORD_COVERAGE" in uids:
                coverage_query = {
                    "dx": [uids["IND_HEALTH_RECORD_COVERAGE"]],
                    "pe": [half.id],
                    "ou": [f"LEVEL-{unit.depth + 1}", unit.uid],
                    "layout": "ou,dx|pe",
                }
                coverage, _chart, _answer = present(user, coverage_query)
            if "IND_REFERRAL_RATE" in uids:
                trend = {
                    "dx": [uids["IND_REFERRAL_RATE"]],
                    "pe": ["LAST_12_MONTHS"],
                    "ou": [unit.uid],
                    "layout": "dx,ou|pe",
                }
                _pivot, referral_chart, _answer = present(
                    user, trend, title=_("Referral rate, last 12 months (%)"), kind="line"
                )
        pinned = []
        for item in DashboardItem.objects.filter(user=user):
            try:
                pivot, chart, _answer = present(
                    user,
                    item.query,
                    title=item.title,
                    kind=item.kind if item.kind in ("line", "bar") else "",
                )
            except (ValueError, KeyError) as exc:
                pinned.append({"item": item, "error": str(exc)})
                continue
            pinned.append({"item": item, "pivot": pivot, "chart": chart})
        ctx.update(
            unit=unit,
            units=OrgUnit.objects.restrict(user, "view")
            .filter(facility_type__in=["doh", "ministry"])
            .order_by("sort_name")[:100],
            half=half,
            last_year=last_year,
            headline=headline,
            coverage=coverage,
            referral_chart=referral_chart,
            pinned=pinned,
            pivot_url=reverse("analytics:pivot")
            + "?"
            + urlencode(
                {
                    "ou": unit.uid if unit else "",
                    "level": "children",
                    "relative": "LAST_12_MONTHS",
                    "layout": "ou,dx|pe",
                },
            ),
            active_nav="dashboard",
        )
        return ctx


urlpatterns = [
    path("", PivotView.as_view(), name="pivot"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/pin/", PinView.as_view(), name="pin"),
    path("dashboard/<int:pk>/unpin/", UnpinView.as_view(), name="unpin"),
]
