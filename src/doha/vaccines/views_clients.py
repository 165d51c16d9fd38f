"""Pages of the vaccination clients: the register (phones masked), a client's record (its
opening logged), the vaccination card as PDF.

Thin views: scope comes from ``restrict(user, action)`` (core.views), rules from
``clients.py`` and ``schedule.py``.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core import privacy
from doha.core.views import ObjectFormView, ObjectListView, ScopedViewMixin
from doha.orgunits.models import OrgUnit
from doha.vaccines import cards, clients, schedule, visits
from doha.vaccines.models import Client, VaccinationVisit

DATE_WIDGET = {"type": "date"}


class VaccinationMixin:
    active_nav = "vaccination-clients"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = self.active_nav
        return ctx


def export_or_none(view, request, filterset_class, queryset, exporter):
    """The list as .xlsx/.csv when ``?export=`` asks for it (the export permission)."""
    fmt = request.GET.get("export")
    if fmt not in {"xlsx", "csv"}:
        return None
    if not view.user_can("export"):
        raise PermissionDenied(_("Your role does not allow this action."))
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    qs = filterset.qs if filterset.is_valid() else filterset.queryset
    # Who received which client's data (Decree 13/2023/NĐ-CP): one entry per client.
    path = EXPORT_CLIENT_PATHS.get(queryset.model.__name__)
    if path is not None:
        persons = qs if not path else Client.objects.filter(pk__in=qs.values(path))
        privacy.log_export(persons, request.user, fmt)
    return exporter(qs, fmt)


# The exports that name clients, and the way from their rows to the client.
EXPORT_CLIENT_PATHS = {
    "Client": "",
    "VaccinationVisit": "client",
    "Aefi": "dose__visit__client",
}


# Forms --------------------------------------------------------------------------------------


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ClientForm(forms.ModelForm):
    registered_at = UnitChoiceField(label=gettext_lazy("Registered at"), queryset=None)

    class Meta:
        model = Client
        fields = [
            "registered_at",
            "full_name",
            "date_of_birth",
            "sex",
            "guardian_name",
            "phone",
            "address",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")}
        help_texts = {
            "guardian_name": gettext_lazy("Required for a child under 16."),
            "phone": gettext_lazy(
                "The guardian's phone for a child (used for reminders); optional for an adult."
            ),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        action = "change" if self.instance.pk else "add"
        units = clients.registration_units(user, action)
        if self.instance.pk:
            # The unit a client was registered at stays a choice even if its store closed.
            units = OrgUnit.objects.filter(
                Q(pk__in=units.values("pk")) | Q(pk=self.instance.registered_at_id)
            ).order_by("sort_name")
        self.fields["registered_at"].queryset = units
        if not self.instance.pk and user is not None and user.org_unit_id:
            if units.filter(pk=user.org_unit_id).exists():
                self.fields["registered_at"].initial = user.org_unit_id


# Pages --------------------------------------------------------------------------------------


class ClientListView(VaccinationMixin, ObjectListView):
    model = Client
    filterset_class = clients.ClientFilterSet
    template_name = "vaccines/client_list.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("registered_at")

    def get(self, request, *args, **kwargs):
        export = export_or_none(
            self,
            request,
            clients.ClientFilterSet,
            self.get_queryset("export"),
            clients.client_export,
        )
        if export is not None:
            return export
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for client in ctx["object_list"]:
            client.phone_masked = clients.masked_phone(client)
            client.age = clients.age_label(client.date_of_birth, today)
        ctx["can_add"] = ctx["can_add"] and clients.registration_units(self.request.user).exists()
        return ctx


class ClientDetailView(VaccinationMixin, ScopedViewMixin, TemplateView):
    model = Client
    template_name = "vaccines/client_detail.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("registered_at", "commune")

    def get(self, request, *args, **kwargs):
        client = self.get_object()
        clients.log_access(client, request.user, via="page")
        return self.render_to_response(self.get_context_data(object=client))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        client = ctx["object"]
        user = self.request.user
        today = timezone.localdate()
        doses = schedule.client_doses(client)
        changeable = (
            self.user_can("change") and self.get_queryset("change").filter(pk=client.pk).exists()
        )
        history = (
            VaccinationVisit.objects.restrict(user)
            .filter(client=client)
            .select_related("store", "screened_by", "vaccinator")
            .prefetch_related("doses__vaccine", "doses__lot")
            .order_by("-visited_at")
        )
        ctx.update(
            age=clients.age_label(client.date_of_birth, today),
            phone=clients.format_phone(client.phone),
            forecasts=schedule.forecasts_from_doses(client.date_of_birth, doses, today),
            visits=history,
            can_change=changeable,
            can_retire=changeable
            and self.user_can("retire")
            and self.get_queryset("retire").filter(pk=client.pk).exists(),
            can_visit=client.active and visits.vaccination_stores(user).exists(),
            accesses=clients.access_log(client)[:100] if user.is_system_admin else None,
            full_identifiers=privacy.needs_full(user, Client),
            can_subject_export=privacy.is_privacy_officer(user),
        )
        if not ctx["full_identifiers"]:
            ctx["phone"] = clients.masked_phone(client)
        return ctx


class _ClientInstance:
    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        return ctx


class ClientCreateView(VaccinationMixin, ObjectFormView):
    model = Client
    action = "add"
    form_class = ClientForm
    template_name = "vaccines/client_form.html"

    def perform(self, form):
        return clients.save_client(form.save(commit=False), self.request.user)

    def success_message(self, obj):
        return _("Client registered: %(name)s") % {"name": obj}


class ClientEditView(VaccinationMixin, _ClientInstance, ObjectFormView):
    model = Client
    action = "change"
    form_class = ClientForm
    template_name = "vaccines/client_form.html"

    def perform(self, form):
        return clients.save_client(form.save(commit=False), self.request.user)


class ClientRetireView(VaccinationMixin, ScopedViewMixin, TemplateView):
    """Retire a client's record (it is kept) or, with ``reactivate``, use it again."""

    model = Client
    action = "retire"

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        client = self.get_object()
        if request.POST.get("reactivate"):
            clients.reactivate_client(client, request.user)
            messages.success(request, _("Record in use again: %(name)s") % {"name": client})
        else:
            clients.retire_client(client, request.user)
            messages.success(request, _("Record retired: %(name)s") % {"name": client})
        return redirect(client.get_absolute_url())


class ClientCardView(ScopedViewMixin, TemplateView):
    """The vaccination card as PDF (its opening is logged like the record's)."""

    model = Client

    def get(self, request, *args, **kwargs):
        client = self.get_object()
        clients.log_access(client, request.user, via="card")
        response = HttpResponse(cards.render_card(client), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{cards.card_filename(client)}"'
        return response


urlpatterns = [
    path("clients/", ClientListView.as_view(), name="client-list"),
    path("clients/add/", ClientCreateView.as_view(), name="client-add"),
    path("clients/<str:uid>/", ClientDetailView.as_view(), name="client-detail"),
    path("clients/<str:uid>/edit/", ClientEditView.as_view(), name="client-edit"),
    path("clients/<str:uid>/retire/", ClientRetireView.as_view(), name="client-retire"),
    path("clients/<str:uid>/card.pdf", ClientCardView.as_view(), name="client-card"),
]
