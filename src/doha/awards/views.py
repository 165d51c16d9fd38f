from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.awards import services
from doha.awards.filters import AwardFilterSet
from doha.awards.forms import AwardForm
from doha.awards.models import Award
from doha.core.tabular import export_response
from doha.core.views import ObjectFormView, ObjectListView, ScopedViewMixin

COLUMNS = [
    (gettext_lazy("UID"), 13),
    (gettext_lazy("Kind"), 28),
    (gettext_lazy("Decision number"), 18),
    (gettext_lazy("Decision date"), 12),
    (gettext_lazy("Issuer"), 35),
    (gettext_lazy("Recipient"), 35),
    (gettext_lazy("Recipient unit"), 35),
    (gettext_lazy("Programme"), 35),
    (gettext_lazy("Reason"), 50),
]


def _row(a):
    unit = a.recipient_unit or (a.recipient_person.facility if a.recipient_person_id else None)
    return [
        a.uid,
        a.get_kind_display(),
        a.decision_number,
        a.decision_date.strftime("%d/%m/%Y"),
        a.issuer_display,
        a.recipient_display,
        unit.name if unit else "",
        str(a.programme) if a.programme_id else "",
        a.reason,
    ]


class AwardListView(ObjectListView):
    model = Award
    filterset_class = AwardFilterSet
    template_name = "awards/award_list.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("issuer", "recipient_unit", "recipient_person__facility", "programme")
            .order_by("-decision_date", "-pk")
        )

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            filterset = AwardFilterSet(
                request.GET, queryset=self.get_queryset("export"), request=request
            )
            qs = filterset.qs if filterset.is_valid() else filterset.queryset.none()
            return export_response(
                [str(label) for label, _w in COLUMNS],
                (_row(a) for a in qs),
                "xlsx",
                "khen-thuong",
                sheet_title=_("Awards"),
                widths=[w for _l, w in COLUMNS],
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "awards"
        return ctx


class AwardDetailView(ScopedViewMixin, TemplateView):
    model = Award
    template_name = "awards/award_detail.html"

    def get_queryset(self, action=None):
        return (
            super()
            .get_queryset(action)
            .select_related("issuer", "recipient_unit", "recipient_person__facility", "programme")
        )

    def get_context_data(self, **kwargs):
        from auditlog.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        ctx = super().get_context_data(**kwargs)
        obj = self.get_object()
        changes = (
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Award), object_pk=str(obj.pk)
            )
            .select_related("actor")
            .order_by("-timestamp")
        )
        ctx.update(
            object=obj,
            can_edit=self.user_can("change")
            and self.get_queryset("change").filter(pk=obj.pk).exists(),
            changes=changes[:100],
            active_nav="awards",
        )
        return ctx


class AwardCreateView(ObjectFormView):
    model = Award
    action = "add"
    form_class = AwardForm
    template_name = "awards/award_form.html"

    def get_form(self, data=None):
        initial = {}
        if data is None:
            for key in ("programme", "recipient_person", "recipient_unit"):
                value = self.request.GET.get(key)
                if value and value.isdigit():
                    initial[key] = int(value)
        return self.form_class(
            data, instance=self.get_instance(), user=self.request.user, initial=initial
        )

    def perform(self, form):
        return services.save_award(form.instance, user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        ctx["active_nav"] = "awards"
        return ctx


class AwardEditView(AwardCreateView):
    action = "change"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object("change")
        return self._instance
