from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from doha.core.scope import user_scope_path
from doha.core.views import (
    EXPORT_FORMATS,
    ObjectFormView,
    ObjectListView,
    ScopedViewMixin,
    _add_errors,
)
from doha.orgunits import services
from doha.orgunits.filters import AdminUnitFilterSet, OrgUnitFilterSet
from doha.orgunits.forms import ImportForm, MoveForm, OrgUnitForm, RetireForm
from doha.orgunits.importexport import export_response, import_org_units
from doha.orgunits.models import AdminUnit, AdminUnitMapping, OrgUnit


class OrgUnitListView(ObjectListView):
    model = OrgUnit
    filterset_class = OrgUnitFilterSet
    template_name = "orgunits/orgunit_list.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("parent", "admin_unit")

    export_formats = EXPORT_FORMATS

    def export_queryset(self):
        # A bad filter value is ignored here, as on the page (django-filter's own reading).
        return OrgUnitFilterSet(
            self.request.GET, queryset=self.get_queryset("export"), request=self.request
        ).qs

    def export(self, queryset, fmt):
        return export_response(queryset, fmt)

    def get(self, request, *args, **kwargs):
        if request.htmx and request.GET.get("partial") == "rows":
            self.template_name = "orgunits/_orgunit_rows.html"
            response = super().get(request, *args, **kwargs)
            # The address bar shows the filtered page, not the partial request.
            query = request.GET.copy()
            query.pop("partial", None)
            response["HX-Push-Url"] = f"{request.path}?{query.urlencode()}"
            return response
        return super().get(request, *args, **kwargs)


class OrgUnitTreeView(ScopedViewMixin, TemplateView):
    """The tree, one level at a time; htmx loads a node's children when it is opened."""

    model = OrgUnit
    template_name = "orgunits/tree.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("parent"):
            self.template_name = "orgunits/_tree_children.html"
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        qs = self.get_queryset()
        date = parse_date(self.request.GET.get("date") or "")
        show_retired = self.request.GET.get("retired") == "1"
        if date:
            qs = qs.as_of(date)
        elif not show_retired:
            qs = qs.filter(active=True)
        parent_uid = self.request.GET.get("parent")
        if parent_uid:
            parent = OrgUnit.objects.restrict(self.request.user).filter(uid=parent_uid).first()
            if parent is None:
                raise Http404
            nodes = qs.filter(parent_as_of=parent.pk) if date else qs.filter(parent=parent)
        else:
            nodes = _roots(qs, self.request.user, date)
        nodes = list(nodes)
        child_counts = _child_counts(qs, nodes, date)
        for node in nodes:
            node.child_count = child_counts.get(node.pk, 0)
        ctx.update(nodes=nodes, date=date, show_retired=show_retired)
        return ctx


def _roots(qs, user, date):
    """The top of what the user sees: their scope root (every unit without a parent for a
    national user); on a past date, every visible unit whose parent then was not visible."""
    if date:
        return qs.exclude(parent_as_of__in=qs.values("pk"))
    prefix = user_scope_path(user)
    return qs.filter(path=prefix) if prefix else qs.filter(parent__isnull=True)


def _child_counts(qs, nodes, date):
    from django.db.models import Count

    ids = [n.pk for n in nodes]
    if date:
        rows = qs.filter(parent_as_of__in=ids).values("parent_as_of").annotate(n=Count("pk"))
        return {r["parent_as_of"]: r["n"] for r in rows}
    rows = qs.filter(parent__in=ids).values("parent").annotate(n=Count("pk"))
    return {r["parent"]: r["n"] for r in rows}


class OrgUnitDetailView(ScopedViewMixin, TemplateView):
    model = OrgUnit
    template_name = "orgunits/orgunit_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        unit = self.get_object()
        visible_children = OrgUnit.objects.restrict(self.request.user).filter(parent=unit)
        old_units = []
        if unit.admin_unit_id:
            old_units = [
                m.old
                for m in AdminUnitMapping.objects.filter(new=unit.admin_unit).select_related(
                    "old__parent__parent"
                )
            ]
        changes = (
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(OrgUnit), object_pk=str(unit.pk)
            )
            .select_related("actor")
            .order_by("-timestamp")
        )
        can_change = (
            self.user_can("change")
            and OrgUnit.objects.restrict(self.request.user, "change").filter(pk=unit.pk).exists()
        )
        ctx.update(
            object=unit,
            ancestors=unit.ancestors(),
            children=visible_children,
            hierarchy=unit.hierarchy.select_related("parent").order_by("valid_from"),
            old_admin_units=old_units,
            changes=changes[:100],
            can_change=can_change,
            can_retire=self.user_can("retire") and can_change,
        )
        return ctx


class OrgUnitCreateView(ObjectFormView):
    model = OrgUnit
    action = "add"
    form_class = OrgUnitForm
    template_name = "orgunits/orgunit_form.html"

    def perform(self, form):
        unit = form.save(commit=False)
        parent = unit.parent
        if (
            parent is not None
            and not OrgUnit.objects.restrict(self.request.user, "add").filter(pk=parent.pk).exists()
        ):
            raise ValidationError({"parent": _("This unit is outside your scope.")})
        return services.create_org_unit(unit)

    def success_message(self, obj):
        return _("Facility created: %(name)s") % {"name": obj}


class OrgUnitEditView(ObjectFormView):
    model = OrgUnit
    action = "change"
    form_class = OrgUnitForm
    template_name = "orgunits/orgunit_form.html"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        return ctx

    def perform(self, form):
        return services.update_org_unit(form.save(commit=False), form.instance.parent_id)


class OrgUnitMoveView(ScopedViewMixin, TemplateView):
    model = OrgUnit
    action = "change"
    template_name = "orgunits/orgunit_move.html"

    def get(self, request, *args, **kwargs):
        unit = self.get_object()
        form = MoveForm(unit=unit, user=request.user)
        return self.render_to_response(self.get_context_data(object=unit, form=form))

    def post(self, request, *args, **kwargs):
        unit = self.get_object()
        form = MoveForm(request.POST, unit=unit, user=request.user)
        if form.is_valid():
            try:
                services.move_org_unit(unit, form.cleaned_data["parent"], form.cleaned_data["date"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s now belongs to %(parent)s from %(date)s.")
                    % {
                        "name": unit,
                        "parent": form.cleaned_data["parent"],
                        "date": form.cleaned_data["date"].strftime("%d/%m/%Y"),
                    },
                )
                return redirect(unit.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=unit, form=form), status=400)


class OrgUnitRetireView(ScopedViewMixin, TemplateView):
    model = OrgUnit
    action = "retire"
    template_name = "orgunits/orgunit_retire.html"

    def get(self, request, *args, **kwargs):
        unit = self.get_object()
        return self.render_to_response(self.get_context_data(object=unit, form=RetireForm()))

    def post(self, request, *args, **kwargs):
        unit = self.get_object()
        form = RetireForm(request.POST)
        if form.is_valid():
            try:
                services.retire_org_unit(unit, form.cleaned_data["date"])
            except ValidationError as exc:
                _add_errors(form, exc, fields={"closing_date": "date"})
            else:
                messages.success(request, _("Facility retired: %(name)s") % {"name": unit})
                return redirect(unit.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=unit, form=form), status=400)


class OrgUnitImportView(ScopedViewMixin, TemplateView):
    model = OrgUnit
    action = "import"
    template_name = "orgunits/orgunit_import.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ImportForm()))

    def post(self, request, *args, **kwargs):
        form = ImportForm(request.POST, request.FILES)
        report = None
        status = 400
        if form.is_valid():
            report = import_org_units(
                form.cleaned_data["file"], request.user, dry_run=form.cleaned_data["dry_run"]
            )
            status = 200 if report.ok else 400
        return self.render_to_response(
            self.get_context_data(form=form, report=report), status=status
        )


class AdminUnitListView(ObjectListView):
    model = AdminUnit
    filterset_class = AdminUnitFilterSet
    template_name = "orgunits/adminunit_list.html"

    def get_queryset(self, action=None):
        return AdminUnit.objects.select_related("parent").order_by("edition", "level", "code")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = list(ctx["object_list"])
        mapped = {}
        for m in AdminUnitMapping.objects.filter(old__in=rows).select_related("new"):
            mapped.setdefault(m.old_id, []).append(m.new)
        for m in AdminUnitMapping.objects.filter(new__in=rows).select_related("old"):
            mapped.setdefault(m.new_id, []).append(m.old)
        for row in rows:
            row.mapped = mapped.get(row.pk, [])
        ctx["object_list"] = rows
        ctx["today"] = timezone.localdate()
        return ctx
