"""Pages of the aggregate app (entry): the data-entry form and completeness/timeliness."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from doha.aggregate.completeness import completeness
from doha.aggregate.entry import EntryForm, check_open, entry_periods, resolve
from doha.aggregate.models import DataSet, DataValue
from doha.aggregate.periods import PeriodError, parse_period, periods_between
from doha.core.scope import can
from doha.core.views import ScopedViewMixin
from doha.orgunits.models import OrgUnit


def reporting_data_sets(user):
    """Data sets with at least one reporting facility in the user's scope."""
    units = OrgUnit.objects.restrict(user, "view")
    return DataSet.objects.filter(org_units__in=units).distinct().order_by("name")


def reporting_units(user, data_set):
    return (
        data_set.org_units.filter(pk__in=OrgUnit.objects.restrict(user, "view").values("pk"))
        .select_related("parent")
        .order_by("sort_name")
    )


class DataEntryView(ScopedViewMixin, TemplateView):
    """Choose a data set, a facility and a period; then type, check, save, complete."""

    model = DataValue
    action = "view"
    template_name = "aggregate/entry.html"

    def selection(self, source):
        return source.get("ds", ""), source.get("ou", ""), source.get("pe", "")

    def build(self, source):
        ds, ou, pe = self.selection(source)
        if not (ds and ou and pe):
            return None, {}
        try:
            data_set, org_unit, period = resolve(self.request.user, ds, ou, pe)
        except ValidationError as exc:
            return None, exc.message_dict
        return EntryForm(self.request.user, data_set, org_unit, period), {}

    def get_context_data(self, form=None, selection_errors=None, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ds, ou, pe = self.selection(self.request.POST or self.request.GET)
        data_sets = list(reporting_data_sets(user))
        chosen = next((d for d in data_sets if d.uid == ds), data_sets[0] if data_sets else None)
        may_write = can(user, DataValue, "add") and can(user, DataValue, "change")
        readonly = not may_write
        if form is not None:
            try:
                check_open(form.data_set, form.period)
            except ValidationError as exc:
                readonly = True
                ctx["closed_reason"] = " ".join(exc.messages)
        ctx.update(
            data_sets=data_sets,
            chosen_data_set=chosen,
            units=reporting_units(user, chosen) if chosen else [],
            periods=entry_periods(chosen) if chosen else [],
            selected={"ds": ds, "ou": ou, "pe": pe},
            form=form,
            blocks=form.blocks() if form else [],
            registration=form.complete_registration if form else None,
            readonly=readonly,
            selection_errors=selection_errors or {},
            active_nav="entry",
        )
        return ctx

    def get(self, request, *args, **kwargs):
        form, errors = self.build(request.GET)
        return self.render_to_response(self.get_context_data(form=form, selection_errors=errors))

    def post(self, request, *args, **kwargs):
        user = request.user
        if not (can(user, DataValue, "add") and can(user, DataValue, "change")):
            return self.render_to_response(
                self.get_context_data(
                    selection_errors={"__all__": [_("Your role does not allow this action.")]}
                ),
                status=403,
            )
        form, errors = self.build(request.POST)
        if form is None:
            return self.render_to_response(
                self.get_context_data(selection_errors=errors), status=400
            )
        try:
            check_open(form.data_set, form.period)
        except ValidationError as exc:
            return self.render_to_response(
                self.get_context_data(form=form, selection_errors=exc.message_dict), status=400
            )
        form.bind(request.POST)
        action = request.POST.get("action", "save")
        summary, violations = form.check()
        ctx = {"summary": summary, "violations": violations}
        if action == "check" or form.errors:
            if form.errors:
                messages.error(request, _("Nothing was saved: correct the cells marked in red."))
            ctx.update(self.get_context_data(form=form))
            ctx.update(summary=summary, violations=violations, checked=True)
            return self.render_to_response(ctx, status=400 if form.errors else 200)
        complete = {"complete": True, "incomplete": False}.get(action)
        summary = form.save(complete=complete)
        if form.errors:
            messages.error(request, _("Nothing was saved: correct the cells marked in red."))
            ctx.update(self.get_context_data(form=form))
            ctx.update(summary=summary, violations=violations)
            return self.render_to_response(ctx, status=400)
        counts = {
            "imported": summary.imported,
            "updated": summary.updated,
            "deleted": summary.deleted,
        }
        messages.success(
            request,
            _("Saved: %(imported)s new, %(updated)s changed, %(deleted)s cleared values.")
            % {
                "imported": counts.get("imported", 0),
                "updated": counts.get("updated", 0),
                "deleted": counts.get("deleted", 0),
            },
        )
        if complete is True:
            messages.success(request, _("The form is marked complete."))
        elif complete is False:
            messages.info(request, _("The form is marked incomplete again."))
        if violations:
            messages.warning(
                request,
                _("Saved, but %(n)s validation rule(s) are violated: see below.")
                % {"n": len(violations)},
            )
        query = urlencode({"ds": form.data_set.uid, "ou": form.org_unit.uid, "pe": form.period.id})
        return redirect(f"{request.path}?{query}")


class CompletenessView(ScopedViewMixin, TemplateView):
    """How many facilities reported each data set, and how many on time."""

    model = DataValue
    action = "view"
    template_name = "aggregate/completeness.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        data_sets = list(reporting_data_sets(user))
        params = self.request.GET
        data_set = next((d for d in data_sets if d.uid == params.get("ds")), None) or (
            data_sets[0] if data_sets else None
        )
        root = user.scope_root if not user.is_system_admin else None
        parent = (
            OrgUnit.objects.restrict(user, "view").filter(uid=params.get("ou")).first()
            or root
            or OrgUnit.objects.filter(parent__isnull=True).order_by("sort_name").first()
        )
        errors = []
        periods = []
        if data_set is not None:
            default = entry_periods(data_set, count=6)
            start_id = params.get("start") or default[-1].id
            end_id = params.get("end") or default[0].id
            try:
                start, end = parse_period(start_id), parse_period(end_id)
                if start.start > end.start:
                    raise PeriodError(_("The first period is after the last one."))
                periods = periods_between(start.start, end.end, data_set.period_type)[:60]
            except PeriodError as exc:
                errors.append(str(exc))
                start_id, end_id = default[-1].id, default[0].id
                periods = list(reversed(default))
        rows, total = ([], None)
        if data_set is not None and parent is not None and periods:
            rows, total = completeness(user, data_set, parent, periods)
        ctx.update(
            data_sets=data_sets,
            data_set=data_set,
            parent=parent,
            children=OrgUnit.objects.restrict(user, "view").filter(parent=parent) if parent else [],
            periods=periods,
            start=periods[0].id if periods else "",
            end=periods[-1].id if periods else "",
            rows=rows,
            total=total,
            errors=errors,
            ancestors=[
                a
                for a in (parent.ancestors() if parent else [])
                if OrgUnit.objects.restrict(user, "view").filter(pk=a.pk).exists()
            ],
            active_nav="completeness",
        )
        return ctx


urlpatterns = [
    path("entry/", DataEntryView.as_view(), name="entry"),
    path("completeness/", CompletenessView.as_view(), name="completeness"),
]
