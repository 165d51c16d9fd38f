"""A programme's own report: what it planned and did, and whether its outcomes changed.

``collect(report, user)`` gathers, within what ``user`` may see: the programme's items
(planned, done, in progress, cancelled, late at the report's end), its technique transfers
by state, and within the report's period its rotations (and the people rotated), its
courses and trainees (and how many passed), the remote consultations between its
supporting and receiving units, its donations and their value; then the outcome evaluation
of ``doha.analytics.evaluation`` (referral rate and inpatient admissions of the receiving
facilities against comparable unsupported facilities, up to the report's end).

``build(report, version, progress)`` (registered for the "programme" kind) writes the .docx
in the Decree 30 format (``doha.reports.document``) and an .xlsx annex with the same tables
as numbers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from doha.analytics.evaluation import Evaluation, evaluate_programme, format_change
from doha.core.text import format_number
from doha.reports.annex import Annex
from doha.reports.document import BuiltReport, DecreeDocument, letterhead_for

OUTCOMES = ("referral_rate", "admissions")


@dataclass
class ProgrammeFigures:
    programme: object
    items: list = field(default_factory=list)
    progress: dict = field(default_factory=dict)
    transfers: list[tuple[str, int]] = field(default_factory=list)  # (state label, count)
    rotations: int = 0
    rotated_people: int = 0
    courses: int = 0
    trainees: int = 0
    passed: int = 0
    consultations: int = 0
    donations: int = 0
    donation_value: int = 0
    evaluations: dict[str, Evaluation] = field(default_factory=dict)


def _units(programme):
    from doha.programmes.models import Side

    providers, recipients = set(), set()
    for unit_id, side in programme.parties.values_list("org_unit_id", "side"):
        (recipients if side == Side.RECIPIENT else providers).add(unit_id)
    for provider_id, recipient_id in programme.items.values_list("provider_id", "recipient_id"):
        if provider_id:
            providers.add(provider_id)
        if recipient_id:
            recipients.add(recipient_id)
    return providers, recipients


def collect(report, user, progress=None) -> ProgrammeFigures:
    """The programme's figures as ``user`` may see them (see the module's description)."""
    from doha.donations.models import Donation, DonationItem
    from doha.programmes.models import Programme
    from doha.programmes.services import programme_progress
    from doha.rotations.models import Rotation, RotationStatus
    from doha.telehealth.models import Consultation
    from doha.training.models import CourseStatus, Enrolment, Result
    from doha.transfers.models import TechniqueTransfer, TransferState

    progress = progress or (lambda percent, message="": None)
    programme = Programme.objects.restrict(user, "view").filter(pk=report.programme_id).first()
    if programme is None:
        raise PermissionDenied(_("This programme is outside your scope."))
    start, end = report.start_date, report.end_date
    figures = ProgrammeFigures(programme=programme)
    progress(10, _("Items and transfers"))
    figures.items = list(
        programme.items.select_related("provider", "recipient").order_by("number", "pk")
    )
    figures.progress = programme_progress(programme, today=end)
    counts = dict(
        TechniqueTransfer.objects.restrict(user, "view")
        .filter(programme=programme)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    figures.transfers = [
        (str(label), counts.get(state, 0)) for state, label in TransferState.choices
    ]

    progress(25, _("Rotations, training, consultations and donations"))
    rotations = (
        Rotation.objects.restrict(user, "view")
        .filter(programme=programme, start__lte=end, end__gte=start)
        .exclude(status=RotationStatus.CANCELLED)
    )
    figures.rotations = rotations.count()
    figures.rotated_people = rotations.values("worker").distinct().count()
    enrolments = (
        Enrolment.objects.restrict(user, "view")
        .filter(
            course__programme=programme,
            course__start_date__lte=end,
            course__end_date__gte=start,
        )
        .exclude(course__status=CourseStatus.CANCELLED)
    )
    figures.courses = enrolments.values("course").distinct().count()
    figures.trainees = enrolments.values("worker").distinct().count()
    figures.passed = enrolments.filter(result=Result.PASSED).values("worker").distinct().count()
    providers, recipients = _units(programme)
    figures.consultations = (
        Consultation.objects.restrict(user, "view")
        .filter(
            requesting_id__in=recipients,
            hub_id__in=providers,
            requested_at__date__gte=start,
            requested_at__date__lte=end,
        )
        .count()
    )
    donations = Donation.objects.restrict(user, "view").filter(
        programme=programme, date__gte=start, date__lte=end
    )
    figures.donations = donations.count()
    figures.donation_value = int(
        DonationItem.objects.filter(donation__in=donations.values("pk")).aggregate(
            total=Sum("total_value")
        )["total"]
        or 0
    )

    for index, outcome in enumerate(OUTCOMES):
        progress(40 + 20 * index, _("Outcome evaluation"))
        figures.evaluations[outcome] = evaluate_programme(user, programme, outcome, end=end)
    return figures


# ----------------------------------------------------------------------------- words


def _date(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _money(value: int) -> str:
    return _("%(value)s VND") % {"value": format_number(value)}


def activity_rows(figures: ProgrammeFigures) -> list[tuple[str, int]]:
    return [
        (_("Rotations and secondments"), figures.rotations),
        (_("Health workers rotated"), figures.rotated_people),
        (_("Courses"), figures.courses),
        (_("Trainees"), figures.trainees),
        (_("Trainees who passed"), figures.passed),
        (_("Remote consultations"), figures.consultations),
        (_("Donations"), figures.donations),
        (_("Value of donations (VND)"), figures.donation_value),
    ]


def means_rows(evaluation: Evaluation) -> list[list]:
    """[group, mean before, mean after, change] of the DiD, numbers unformatted."""
    if evaluation.did is None or not evaluation.did.means:
        return []
    labels = {"treated": _("Supported facilities"), "comparison": _("Comparison group")}
    rows = []
    for key in ("treated", "comparison"):
        row = evaluation.did.means[key]
        rows.append([labels[key], row["before"], row["after"], row["change"]])
    return rows


def _number(value, decimals):
    return format_number(round(value, decimals), decimals) if value is not None else ""


# ----------------------------------------------------------------------------- the document


def write_document(report, figures: ProgrammeFigures, progress=None) -> bytes:
    progress = progress or (lambda percent, message="": None)
    programme = figures.programme
    doc = DecreeDocument(
        letterhead_for(report.issuer or report.org_unit),
        report.number,
        report.date,
        _("REPORT"),
        report.display_title(),
    )
    doc.paragraph(
        _(
            "Programme %(programme)s, from %(start)s to %(end)s: results from %(from)s to "
            "%(until)s, from the records kept in doha."
        )
        % {
            "programme": str(programme),
            "start": _date(programme.start_date),
            "end": _date(programme.end_date),
            "from": _date(report.start_date),
            "until": _date(report.end_date),
        },
        italic=True,
    )

    # I. Items
    p = figures.progress
    doc.heading(_("I. ITEMS OF THE PROGRAMME"))
    doc.paragraph(
        _(
            "%(total)s items planned: %(done)s done, %(in_progress)s in progress, %(planned)s "
            "not started, %(cancelled)s cancelled; %(late)s late on %(date)s."
        )
        % {
            "total": format_number(p.get("total", 0)),
            "done": format_number(p.get("done", 0)),
            "in_progress": format_number(p.get("in_progress", 0)),
            "planned": format_number(p.get("planned", 0)),
            "cancelled": format_number(p.get("cancelled", 0)),
            "late": format_number(p.get("late", 0)),
            "date": _date(report.end_date),
        }
    )
    if figures.items:
        doc.table(
            [_("No."), _("Item"), _("Carried out by"), _("For"), _("Planned end"), _("Status")],
            [
                [
                    item.number,
                    item.title,
                    item.provider.name if item.provider else "",
                    item.recipient.name if item.recipient else "",
                    _date(item.planned_end),
                    item.get_status_display()
                    + (f" ({_date(item.done_on)})" if item.done_on else ""),
                ]
                for item in figures.items
            ],
            widths_cm=[1.2, 5.5, 3.2, 3.2, 2.2, 2.2],
        )

    # II. Transfers
    doc.heading(_("II. TECHNIQUE TRANSFERS"))
    total = sum(n for _label, n in figures.transfers)
    doc.paragraph(
        _("%(total)s technique transfers under the programme.") % {"total": format_number(total)}
    )
    if total:
        doc.table(
            [_("State"), _("Transfers")],
            [[label, n] for label, n in figures.transfers if n],
            widths_cm=[10, 4],
            total=[_("Total"), total],
        )

    # III. Other activities
    doc.heading(_("III. ROTATIONS, TRAINING, CONSULTATIONS AND DONATIONS"))
    doc.paragraph(
        _(
            "%(rotations)s rotations and secondments (%(people)s health workers); %(courses)s "
            "courses with %(trainees)s trainees, %(passed)s of whom passed; %(consultations)s "
            "remote consultations; %(donations)s donations worth %(value)s."
        )
        % {
            "rotations": format_number(figures.rotations),
            "people": format_number(figures.rotated_people),
            "courses": format_number(figures.courses),
            "trainees": format_number(figures.trainees),
            "passed": format_number(figures.passed),
            "consultations": format_number(figures.consultations),
            "donations": format_number(figures.donations),
            "value": _money(figures.donation_value),
        }
    )
    doc.table(
        [_("Activity"), _("Quantity")],
        [[label, value] for label, value in activity_rows(figures)],
        widths_cm=[10, 5],
    )

    # IV. Outcomes
    progress(80, _("Outcome evaluation"))
    doc.heading(_("IV. OUTCOME EVALUATION"))
    doc.paragraph(
        _(
            "The supported facilities are compared with facilities of the same type, level "
            "and size that no programme supported (difference in differences, with a 95 per "
            "cent confidence interval)."
        ),
        italic=True,
    )
    for index, outcome in enumerate(OUTCOMES, start=1):
        evaluation = figures.evaluations[outcome]
        doc.heading(f"{index}. {evaluation.outcome_label}", level=2)
        doc.paragraph(evaluation.sentence)
        rows = means_rows(evaluation)
        if rows:
            decimals = 2 if outcome == "referral_rate" else 0
            doc.table(
                [_("Group"), _("Mean before"), _("Mean after"), _("Change")],
                [
                    [
                        label,
                        _number(before, decimals),
                        _number(after, decimals),
                        format_change(change) if change is not None else "",
                    ]
                    for label, before, after, change in rows
                ],
                widths_cm=[6, 3.5, 3.5, 3],
            )
        if evaluation.comparison:
            doc.paragraph(
                _("Comparison group: %(units)s.")
                % {"units": ", ".join(m.unit.name for m in evaluation.comparison)}
            )
        if evaluation.series.get("months"):
            doc.image(
                evaluation.chart_png(),
                width_cm=15,
                caption=_("Chart %(n)s. %(outcome)s by month, supported and comparison facilities")
                % {"n": index, "outcome": evaluation.outcome_label},
            )
    doc.closing()
    return doc.save()


# ----------------------------------------------------------------------------- the annex


def write_annex(report, figures: ProgrammeFigures) -> bytes:
    annex = Annex(report.display_title(), str(figures.programme), decimals=2)

    def sheet(title, headers, rows, widths):
        return annex.sheet(title, headers, rows, widths, freeze=None)

    sheet(
        _("Items"),
        [_("No."), _("Item"), _("Carried out by"), _("For"), _("Planned end"), _("Status")],
        [
            [
                item.number,
                item.title,
                item.provider.name if item.provider else "",
                item.recipient.name if item.recipient else "",
                item.planned_end,
                item.get_status_display(),
            ]
            for item in figures.items
        ],
        [6, 50, 30, 30, 14, 16],
    )
    sheet(
        _("Transfers"),
        [_("State"), _("Transfers")],
        [[label, n] for label, n in figures.transfers],
        [30, 12],
    )
    sheet(_("Activities"), [_("Activity"), _("Quantity")], activity_rows(figures), [40, 16])
    rows = []
    for outcome in OUTCOMES:
        evaluation = figures.evaluations[outcome]
        did = evaluation.did
        rows.append(
            [
                evaluation.outcome_label,
                evaluation.verdict_label,
                did.estimate if did else None,
                did.ci_low if did else None,
                did.ci_high if did else None,
                did.p_value if did else None,
                did.n_treated if did else len(evaluation.treated),
                did.n_comparison if did else len(evaluation.comparison),
                evaluation.sentence,
            ]
        )
        for label, before, after, change in means_rows(evaluation):
            rows.append([f"  {label}", "", None, None, None, None, None, None, ""])
            rows[-1][2:5] = [before, after, change]
    sheet(
        _("Evaluation"),
        [
            _("Outcome indicator"),
            _("Verdict"),
            _("Effect (or mean before)"),
            _("95% CI low (or mean after)"),
            _("95% CI high (or change)"),
            _("p-value"),
            _("Supported facilities"),
            _("Comparison facilities"),
            _("Result"),
        ],
        rows,
        [34, 14, 14, 14, 14, 10, 12, 12, 80],
    )
    comparison = figures.evaluations[OUTCOMES[0]].comparison
    sheet(
        _("Comparison group"),
        [_("Code"), _("Facility"), _("Compared with"), _("Why")],
        [
            [m.unit.code, m.unit.name, m.treated.name if m.treated else "", m.reason]
            for m in comparison
        ],
        [16, 40, 40, 80],
    )
    return annex.save()


def build(report, version, progress) -> BuiltReport:
    """The registered builder of the "programme" kind."""
    with translation.override(report.language):
        figures = collect(report, version.created_by, progress)
        docx = write_document(report, figures, progress)
        progress(90, _("Writing the annex"))
        xlsx = write_annex(report, figures)
    return BuiltReport(docx=docx, xlsx=xlsx)
