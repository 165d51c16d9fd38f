"""Pages of sustainment from the monthly counts (``doha.transfers.sustainment``): the list of
accepted transfers with their status, filters and .xlsx export, and the block shown on a
transfer's page."""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.tabular import export_response
from doha.core.views import ScopedViewMixin
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme
from doha.transfers import services, sustainment
from doha.transfers.models import TechniqueTransfer


def _units(field):
    def queryset(request):
        visible = sustainment.accepted_transfers(
            TechniqueTransfer.objects.restrict(getattr(request, "user", None), "view")
        )
        return OrgUnit.objects.filter(pk__in=visible.values(field)).order_by("sort_name")

    return queryset


def _programmes(request):
    return Programme.objects.restrict(getattr(request, "user", None), "view")


class SustainmentFilterSet(django_filters.FilterSet):
    provider = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Transferring facility"),
        queryset=_units("provider"),
        to_field_name="uid",
    )
    recipient = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Receiving facility"), queryset=_units("recipient"), to_field_name="uid"
    )
    programme = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Programme"), queryset=_programmes, to_field_name="uid"
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=sustainment.STATUSES, method="filter_status"
    )

    class Meta:
        model = TechniqueTransfer
        fields = ["provider", "recipient", "programme", "status"]

    def filter_status(self, queryset, name, value):
        # The status is computed from the counts: the view keeps the rows that have it.
        return queryset


COLUMNS = [
    (gettext_lazy("Technique code"), 12),
    (gettext_lazy("Technique"), 40),
    (gettext_lazy("Transferring facility"), 32),
    (gettext_lazy("Receiving facility"), 32),
    (gettext_lazy("Accepted on"), 12),
    *[(f"T{n}", 9) for n in range(1, 13)],
    (gettext_lazy("Cases, months 1-6"), 12),
    (gettext_lazy("Cases, months 7-12"), 12),
    (gettext_lazy("Status"), 24),
    (gettext_lazy("Months without cases"), 40),
]


def _row(item):
    t = item.transfer
    return [
        t.technique.code,
        t.technique.name,
        t.provider.name,
        t.recipient.name,
        item.accepted_on.strftime("%d/%m/%Y") if item.accepted_on else "",
        *[("" if m.cases is None else m.cases) for m in item.months],
        item.cases_1_6,
        item.cases_7_12,
        item.status_label,
        item.silence_text,
    ]


class SustainmentListView(ScopedViewMixin, TemplateView):
    """Every accepted transfer the user sees, with its monthly counts and status."""

    model = TechniqueTransfer
    template_name = "transfers/sustainment_list.html"
    paginate_by = 50

    def rows(self, action="view"):
        queryset = sustainment.accepted_transfers(self.get_queryset(action)).order_by(
            "recipient__sort_name", "technique__code", "pk"
        )
        filterset = SustainmentFilterSet(
            self.request.GET or None, queryset=queryset, request=self.request
        )
        if filterset.is_bound and not filterset.is_valid():
            return filterset, []
        items = sustainment.evaluate_many(filterset.qs, self.as_of())
        status = filterset.form.cleaned_data.get("status") if filterset.is_bound else None
        if status:
            items = [i for i in items if i.status == status]
        return filterset, items

    def as_of(self):
        return timezone.localdate()

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            _filterset, items = self.rows("export")
            return export_response(
                [str(label) for label, _w in COLUMNS],
                (_row(i) for i in items),
                "xlsx",
                "duy-tri-ky-thuat",
                sheet_title=_("Sustainment"),
                widths=[w for _l, w in COLUMNS],
            )
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        """Record the checks the counts decide, for the transfers the user may direct."""
        if not (self.user_can("change") and services.can_direct(request.user)):
            raise PermissionDenied(_("Your role does not allow this action."))
        transfers = sustainment.accepted_transfers(self.get_queryset("change"))
        count, problems = sustainment.record_checks_many(transfers, self.as_of(), user=request.user)
        messages.success(
            request, _("Sustainment checks recorded from the counts: %(n)d.") % {"n": count}
        )
        for problem in problems[:20]:
            messages.warning(request, problem)
        return redirect(request.get_full_path())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset, items = self.rows()
        counts = {status: 0 for status, _label in sustainment.STATUSES}
        for item in items:
            counts[item.status] += 1
        page = Paginator(items, self.paginate_by).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            filterset=filterset,
            page_obj=page,
            object_list=page.object_list,
            total=len(items),
            counts=[(s, label, counts[s]) for s, label in sustainment.STATUSES],
            querystring=query.urlencode(),
            can_export=self.user_can("export"),
            can_record=self.user_can("change") and services.can_direct(self.request.user),
            month_numbers=range(1, 13),
            data_element=sustainment.DATA_ELEMENT_CODE,
            data_set=sustainment.DATA_SET_CODE,
            active_nav="sustainment",
        )
        return ctx


class SustainmentCountsView(ScopedViewMixin, TemplateView):
    """The block of one transfer's page: months 1-12 after acceptance and the status."""

    model = TechniqueTransfer
    template_name = "transfers/sustainment_block.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        transfer = self.get_object()
        item = None
        if transfer.state in sustainment.ACCEPTED_STATES:
            item = sustainment.evaluate(transfer, timezone.localdate())
        ctx.update(object=transfer, item=item)
        return ctx
