from auditlog.models import LogEntry
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.paginator import Paginator
from django.db.models import Count
from django.views.generic import TemplateView

from doha.orgunits.models import FacilityType, OrgUnit


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "web/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        units = OrgUnit.objects.restrict(self.request.user).filter(active=True)
        counts = dict(
            units.values("facility_type").annotate(n=Count("pk")).values_list("facility_type", "n")
        )
        ctx["by_type"] = [
            (label, counts.get(value, 0), value)
            for value, label in FacilityType.choices
            if counts.get(value)
        ]
        ctx["total"] = sum(counts.values())
        ctx["scope_root"] = self.request.user.scope_root
        from doha.vaccines.visits import serious_aefi_alert

        ctx["serious_aefi_count"] = serious_aefi_alert(self.request.user)
        return ctx


class AuditLogView(LoginRequiredMixin, UserPassesTestMixin, TemplateView):
    """Every change to every record: who, when, before and after."""

    template_name = "web/audit_log.html"

    def test_func(self):
        return self.request.user.is_system_admin

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
        ctx["page_obj"] = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        return ctx
