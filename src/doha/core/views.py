"""Generic views that every app's pages build on.

Each view names its model; the queryset it works on is always
``model.objects.restrict(user, action)``: an object outside the user's scope is a 404,
an action the user's role does not grant is a 403.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from doha.core.scope import can
from doha.core.tabular import export_response


class ScopedViewMixin(LoginRequiredMixin):
    model = None
    action = "view"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can(request.user, self.model, self.action):
            raise PermissionDenied(_("Your role does not allow this action."))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self, action=None):
        return self.model.objects.restrict(self.request.user, action or self.action)

    def get_object(self, action=None):
        return get_object_or_404(self.get_queryset(action), **self.get_lookup())

    def get_lookup(self):
        return {"uid": self.kwargs["uid"]}

    def user_can(self, action):
        return can(self.request.user, self.model, action)


EXPORT_FORMATS = ("xlsx", "csv")


class ObjectListView(ScopedViewMixin, TemplateView):
    """A filtered, paged list. A list that downloads (``?export=xlsx`` or ``csv``) names its
    ``export_formats`` and builds the file in ``export`` from ``export_queryset``: the
    page's filters over what the user may export; a role without "export" gets a 403."""

    filterset_class = None
    paginate_by = 50
    export_formats: tuple[str, ...] = ()

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt and fmt in self.export_formats:
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            return self.export(self.export_queryset(), fmt)
        return super().get(request, *args, **kwargs)

    def export_queryset(self):
        """What the export holds: the list's filters (none when they are not valid) over
        the objects the user may export."""
        filterset = self.filterset_class(
            self.request.GET, queryset=self.get_queryset("export"), request=self.request
        )
        return filterset.qs if filterset.is_valid() else filterset.queryset.none()

    def export(self, queryset, fmt):
        raise ImproperlyConfigured(f"{type(self).__name__} lists export_formats: define export().")

    def get_filterset(self):
        return self.filterset_class(
            self.request.GET or None, queryset=self.get_queryset(), request=self.request
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset = self.get_filterset()
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        page = Paginator(qs, self.paginate_by).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            filterset=filterset,
            page_obj=page,
            object_list=page.object_list,
            total=page.paginator.count,
            querystring=query.urlencode(),
            can_add=self.user_can("add"),
            can_export=self.user_can("export"),
            can_import=self.user_can("import"),
        )
        return ctx


class ObjectFormView(ScopedViewMixin, TemplateView):
    """Create or edit through a service function, atomically; errors go back to the form."""

    form_class = None

    def get_instance(self):
        return None

    def get_form(self, data=None):
        return self.form_class(data, instance=self.get_instance(), user=self.request.user)

    def perform(self, form):
        """Save the form; apps with business rules override this to call their service."""
        return form.save()

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.perform(form)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, self.success_message(obj))
                return redirect(obj.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def success_message(self, obj):
        return _("Saved: %(name)s") % {"name": obj}


def _add_errors(form, exc: ValidationError, fields: dict[str, str] | None = None):
    """Put a service's errors on the form; ``fields`` renames model fields to form fields
    (e.g. the model's ``closing_date`` is the retire form's ``date``)."""
    fields = fields or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = fields.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ColumnExportMixin:
    """For an ``ObjectListView`` whose export is one row per object in fixed columns:
    ``columns`` [(label, width)], ``export_row(obj)``, ``export_filename``, ``sheet_title``."""

    export_formats = EXPORT_FORMATS
    columns: list[tuple[object, int]] = []
    export_filename = "export"
    sheet_title = ""

    def export_row(self, obj) -> list:
        raise ImproperlyConfigured(f"{type(self).__name__} must define export_row().")

    def export(self, queryset, fmt):
        return export_response(
            [str(label) for label, _w in self.columns],
            (self.export_row(obj) for obj in queryset),
            fmt,
            self.export_filename,
            sheet_title=str(self.sheet_title),
            widths=[w for _l, w in self.columns],
        )
