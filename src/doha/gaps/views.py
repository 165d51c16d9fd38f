"""Pages: a facility's technique gap, the province matrix, its export, sending gaps to matching.

Every page asks the capability register's permission ("capability") and finds the facility
or the root unit among the org units the user sees: outside the scope it is a 404.
"""

import io
import time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from openpyxl import Workbook
from openpyxl.styles import Font

from doha.catalog.models import FacilityCapability
from doha.core.scope import can, user_scope_path
from doha.core.tabular import XLSX_TYPE
from doha.core.text import format_number
from doha.core.views import ScopedViewMixin, _add_errors
from doha.gaps import services
from doha.gaps.forms import SendToMatchingForm
from doha.orgunits.models import OrgUnit
from doha.programmes.models import TechniqueNeed


def scoped_unit(user, uid) -> OrgUnit:
    return get_object_or_404(OrgUnit.objects.restrict(user, "view"), uid=uid)


def default_root(user) -> OrgUnit | None:
    """The user's own unit; None (the whole network) for a system administrator."""
    if user_scope_path(user) == "":
        return None
    return getattr(user, "scope_root", None)


def root_from_request(request) -> OrgUnit | None:
    uid = request.GET.get("root")
    if uid:
        return scoped_unit(request.user, uid)
    return default_root(request.user)


def root_choices(user):
    """Units in scope that have units under them: the matrix's possible roots."""
    return (
        OrgUnit.objects.restrict(user, "view")
        .filter(active=True, children__isnull=False)
        .distinct()
        .order_by("depth", "sort_name")
    )


class GapViewMixin(ScopedViewMixin):
    model = FacilityCapability

    def facility(self):
        return scoped_unit(self.request.user, self.kwargs["uid"])


class FacilityGapView(GapViewMixin, TemplateView):
    """A facility's allowed, performed and missing techniques by specialty, the missing ones
    ranked by demand; the top ones can be sent to matching."""

    template_name = "gaps/facility.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        facility = self.facility()
        result = services.facility_gap(facility, user=user)
        ranked = result.ranked()
        can_send = can(user, TechniqueNeed, "add")
        ctx.update(
            facility=facility,
            result=result,
            ranked=ranked[:30],
            gap_total=len(ranked),
            open_specialty=self.request.GET.get("specialty", ""),
            can_send=can_send,
            surveys=services.open_surveys_for(facility, user) if can_send else [],
            may_open_survey=can_send and services.may_open_survey(user, facility),
            form=kwargs.get("form"),
            weights={
                "referrals": services.REFERRAL_MAX,
                "requests": services.REQUEST_MAX,
                "nearby": services.NEARBY_MAX,
                "km": services.NEARBY_KM,
            },
            active_nav="gaps",
        )
        return ctx


class SendToMatchingView(GapViewMixin, TemplateView):
    """POST the chosen gaps: first a confirmation of what will be created, then the needs."""

    action = "view"
    template_name = "gaps/send_confirm.html"

    def get(self, request, *args, **kwargs):
        return redirect("gaps:facility", uid=self.kwargs["uid"])

    def post(self, request, *args, **kwargs):
        user = request.user
        if not can(user, TechniqueNeed, "add"):
            raise PermissionDenied(_("Your role does not allow this action."))
        facility = self.facility()
        surveys = services.open_surveys_for(facility, user)
        may_open = services.may_open_survey(user, facility)
        form = SendToMatchingForm(
            request.POST, surveys=surveys, may_open_survey=may_open, facility=facility
        )
        result = services.facility_gap(facility, user=user)
        gaps = {g.technique.pk: g for g in result.ranked()}
        if not form.is_valid():
            return self._back(facility, form)
        chosen = [gaps[pk] for pk in form.cleaned_data["techniques"] if pk in gaps]
        if "confirm" not in request.POST:
            return self.render_to_response(
                self.get_context_data(
                    facility=facility,
                    form=form,
                    chosen=chosen,
                    new=[g for g in chosen if not g.requested],
                    skipped=[g for g in chosen if g.requested],
                    survey_label=form.survey_label(),
                    active_nav="gaps",
                )
            )
        try:
            created, skipped = services.send_to_matching(
                facility,
                form.cleaned_data["techniques"],
                survey=form.cleaned_data["survey_object"],
                user=user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
            return self._back(facility, form)
        messages.success(
            request,
            _(
                "%(n)d technique needs registered for %(facility)s: they are now in the "
                "matching of needs to providers."
            )
            % {"n": len(created), "facility": facility.name},
        )
        if skipped:
            messages.info(
                request,
                _("Already requested, not sent again: %(codes)s")
                % {"codes": ", ".join(t.code for t in skipped)},
            )
        return redirect(reverse("gaps:facility", args=[facility.uid]))

    def _back(self, facility, form):
        view = FacilityGapView()
        view.setup(self.request, uid=facility.uid)
        ctx = view.get_context_data(form=form)
        return view.render_to_response(ctx, status=400)


class MatrixView(GapViewMixin, TemplateView):
    """Facility x specialty counts of the gap under a unit of the user's scope."""

    template_name = "gaps/matrix.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        root = root_from_request(self.request)
        started = time.perf_counter()
        matrix = services.gap_matrix(user, root)
        elapsed_ms = (time.perf_counter() - started) * 1000
        totals = matrix.totals()
        ctx.update(
            root=root,
            roots=root_choices(user),
            matrix=matrix,
            rows=matrix_rows(matrix),
            totals=[totals[s.pk] for s in matrix.specialties],
            grand=(
                sum(c.allowed for c in totals.values()),
                sum(c.performed for c in totals.values()),
                sum(c.gap for c in totals.values()),
            ),
            elapsed_ms=round(elapsed_ms),
            can_export=self.user_can("export"),
            active_nav="gap_matrix",
        )
        return ctx


def matrix_rows(matrix: services.Matrix) -> list[tuple]:
    """(row, facility page URL, cells) with each cell's link and numbers ready to print: a
    province has a few thousand cells, too many to format one by one in the template."""
    base = reverse("gaps:facility", args=["UID"])
    title = _("allowed %(allowed)s, performed %(performed)s")
    out = []
    for row in matrix.rows:
        url = base.replace("UID", row.facility.uid)
        cells = []
        for s in matrix.specialties:
            cell = row.cells.get(s.pk)
            if cell is None:
                cells.append(None)
                continue
            cells.append(
                {
                    "url": f"{url}?specialty={s.code}",
                    "gap": format_number(cell.gap),
                    "title": title
                    % {
                        "allowed": format_number(cell.allowed),
                        "performed": format_number(cell.performed),
                    },
                }
            )
        out.append((row, url, cells))
    return out


class MatrixExportView(GapViewMixin, TemplateView):
    """The matrix as .xlsx: a sheet of gaps (facility x specialty) and a sheet of every
    cell's allowed, performed and gap counts; numbers are numbers."""

    action = "export"

    def get(self, request, *args, **kwargs):
        root = root_from_request(request)
        matrix = services.gap_matrix(request.user, root)
        return xlsx_response(matrix)


def _append(ws, number: int, values) -> None:
    """Write one row; text is stored as text, never as a formula (as the shared
    ``append_text_row`` does, without its look-up of the last row, slow on large sheets)."""
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row=number, column=column, value=value)
        if isinstance(value, str) and cell.data_type == "f":
            cell.data_type = "s"


def xlsx_response(matrix: services.Matrix) -> HttpResponse:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Gap by specialty")[:31]
    specialties = matrix.specialties
    header = [_("Facility code"), _("Facility"), _("Technical level")]
    header += [f"{s.code} {s.name}" for s in specialties]
    header += [_("Allowed"), _("Performed"), _("Gap")]
    _append(ws, 1, header)
    for number, row in enumerate(matrix.rows, start=2):
        f = row.facility
        cells = [row.cells[s.pk].gap if s.pk in row.cells else None for s in specialties]
        _append(
            ws,
            number,
            [f.code, f.name, f.get_technical_level_display(), *cells]
            + [row.allowed, row.performed, row.gap],
        )
    ws.freeze_panes = "D2"
    ws.column_dimensions["B"].width = 40
    detail = wb.create_sheet(_("Detail")[:31])
    _append(
        detail,
        1,
        [
            _("Facility code"),
            _("Facility"),
            _("Specialty code"),
            _("Specialty"),
            _("Allowed"),
            _("Performed"),
            _("Gap"),
        ],
    )
    number = 1
    for row in matrix.rows:
        for s in specialties:
            cell = row.cells.get(s.pk)
            if cell is None:
                continue
            number += 1
            _append(
                detail,
                number,
                [
                    row.facility.code,
                    row.facility.name,
                    s.code,
                    s.name,
                    cell.allowed,
                    cell.performed,
                    cell.gap,
                ],
            )
    detail.freeze_panes = "A2"
    for sheet in (ws, detail):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"technique-gaps-{matrix.root.code if matrix.root else 'all'}-{stamp}.xlsx"
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
