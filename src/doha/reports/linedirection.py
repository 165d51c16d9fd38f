"""A hospital's or a DOH's line-direction report (báo cáo công tác chỉ đạo tuyến).

The report covers every line-direction activity in which the report's unit, or a unit
below it, took part, as supporting or as receiving side, within what the user who
generates it may see (each queryset goes through ``restrict(user, "view")``): for a
hospital, what it gave (and received); for a Department of Health, the province's.

Sections: I. programmes in force in the period (parties, items planned and done);
II. technique transfers by state at the end of the period (as transferring and as receiving
unit), the techniques that reached independent practice or acceptance in the period, and
their sustainment; III. rotations and secondments in person-months, training courses,
trainees and CME hours, remote consultations and their outcomes; IV. visits, checklist
scores and follow-up actions (by status, overdue at the end of the period, share closed on
time); V. donations and their value; VI. commendations and awards; VII. shortcomings and
VIII. next tasks, as the officer wrote them.

How the figures are counted: a transfer's state is the state of its last step dated by the
period's end (transfers planned after it are left out); sustainment is
``doha.transfers.sustainment.sustainment_summary`` of the transfers accepted by the end, on
the end (or today, if earlier). Person-months count each calendar month of a rotation
inside the period by the share of its days. Courses are those overlapping the period
organised in the subtree or with a trainee from it; CME hours are those the courses credited
and those the subtree's health workers earned in the period (their ledger). Follow-up
actions are those of visits begun by the period's end and not closed before its start;
overdue means not closed on the end (or today) and due before it; on time means done by
the due date, among the actions due in the period that were not dropped.

``collect(report, user)`` returns the figures; ``build(report, version, progress)``
(registered for the "linedirection" kind) writes the .docx in the Decree 30 format and an
.xlsx annex with the same tables, numbers as numbers.
"""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from doha.core.scope import in_scope
from doha.core.text import format_number, format_percent
from doha.reports.annex import Annex
from doha.reports.document import BuiltReport, DecreeDocument, letterhead_for
from doha.reports.periods import period_phrase
from doha.reports.programme import _date, _money
from doha.reports.semiannual import _free_text


@dataclass
class LineDirectionFigures:
    """What the report says (see the module's description)."""

    unit: object
    start: datetime.date
    end: datetime.date
    # I. programmes: dicts with programme, kind, providers, recipients, planned, done, ...
    programmes: list[dict] = field(default_factory=list)
    # II. transfers
    transfer_states: list[dict] = field(default_factory=list)  # state, label, given, ...
    transfer_events: dict[str, int] = field(default_factory=dict)  # state -> transfers
    techniques: list[dict] = field(default_factory=list)
    sustainment: dict | None = None
    # III. people and knowledge
    rotations: list[dict] = field(default_factory=list)  # by sending, receiving unit, kind
    rotation_count: int = 0
    rotated_people: int = 0
    person_months: float = 0.0
    person_months_sent: float = 0.0
    person_months_received: float = 0.0
    courses: list[dict] = field(default_factory=list)
    trainees: int = 0
    passed: int = 0
    course_cme_hours: Decimal = Decimal(0)
    staff_cme_hours: Decimal = Decimal(0)
    staff_cme_workers: int = 0
    consultations: int = 0
    consultations_as_hub: int = 0
    consultations_requested: int = 0
    consultation_outcomes: list[tuple[str, int]] = field(default_factory=list)
    # IV. visits, checklists and actions
    visits: list[dict] = field(default_factory=list)
    visit_kinds: list[tuple[str, int]] = field(default_factory=list)
    checklist_fills: list[dict] = field(default_factory=list)
    actions: dict = field(default_factory=dict)
    # V, VI
    donations: list[dict] = field(default_factory=list)
    donation_value: int = 0
    donation_value_given: int = 0
    donation_value_received: int = 0
    awards: list[dict] = field(default_factory=list)

    @property
    def course_count(self) -> int:
        return len(self.courses)

    @property
    def transfer_total(self) -> int:
        return sum(row["total"] for row in self.transfer_states)

    @property
    def is_empty(self) -> bool:
        return not any(
            [
                self.programmes,
                self.transfer_total,
                self.transfer_events,
                self.rotation_count,
                self.courses,
                self.staff_cme_hours,
                self.consultations,
                self.visits,
                self.checklist_fills,
                self.actions.get("total"),
                self.donations,
                self.awards,
            ]
        )


# ----------------------------------------------------------------------------- helpers


def _under(unit, *fields) -> Q:
    """Records one of whose ``fields`` (org-unit foreign keys) lies in ``unit``'s subtree."""
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__path__startswith": unit.path})
    return condition


def _in_subtree(unit, other) -> bool:
    return other is not None and other.path.startswith(unit.path)


def person_months(start: datetime.date, end: datetime.date) -> float:
    """The months from ``start`` to ``end`` (both included), each calendar month counted
    by the share of its days: 01/03-31/05 is 3.0, 16/04-30/04 is 0.5."""
    if end < start:
        return 0.0
    total, day = 0.0, start
    while day <= end:
        length = calendar.monthrange(day.year, day.month)[1]
        last = min(end, day.replace(day=length))
        total += ((last - day).days + 1) / length
        day = last + datetime.timedelta(days=1)
    return total


def _overlap_months(start, end, period_start, period_end) -> float:
    return person_months(max(start, period_start), min(end, period_end))


def _name(unit) -> str:
    if unit is None:
        return ""
    return unit.short_name or unit.name


def _one(value: float) -> float:
    return round(value, 1)


def whole_months(start: datetime.date, end: datetime.date) -> bool:
    return start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]


def report_period_phrase(report) -> str:
    """ "6 tháng đầu năm 2026", "năm 2026", or the dates of a range."""
    if report.period_kind != "range" or whole_months(report.start_date, report.end_date):
        return period_phrase(report)
    return _("the period from %(start)s to %(end)s") % {
        "start": _date(report.start_date),
        "end": _date(report.end_date),
    }


def default_summary(report) -> str:
    """The trích yếu when the officer wrote none."""
    return _("Line-direction work of %(unit)s in %(period)s") % {
        "unit": report.org_unit.name,
        "period": report_period_phrase(report),
    }


# ----------------------------------------------------------------------------- collecting


def _programmes(figures, user):
    from doha.programmes.models import ItemStatus, Programme, ProgrammeStatus, Side

    unit, start, end = figures.unit, figures.start, figures.end
    involved = Programme.objects.filter(_under(unit, "parties__org_unit")).values("pk")
    programmes = (
        Programme.objects.restrict(user, "view")
        .filter(pk__in=involved, start_date__lte=end, end_date__gte=start)
        .exclude(status__in=[ProgrammeStatus.DRAFT, ProgrammeStatus.CANCELLED])
        .prefetch_related("parties__org_unit", "items")
        .order_by("start_date", "pk")
    )
    for programme in programmes:
        providers, recipients = [], []
        for party in programme.parties.all():
            names = recipients if party.side == Side.RECIPIENT else providers
            if _name(party.org_unit) not in names:
                names.append(_name(party.org_unit))
        items = [i for i in programme.items.all() if i.status != ItemStatus.CANCELLED]
        done = [
            i
            for i in items
            if i.status == ItemStatus.DONE and (i.done_on is None or i.done_on <= end)
        ]
        figures.programmes.append(
            {
                "programme": programme,
                "number": programme.number,
                "title": programme.title,
                "kind": programme.get_kind_display(),
                "providers": ", ".join(providers),
                "recipients": ", ".join(recipients),
                "start": programme.start_date,
                "end": programme.end_date,
                "planned": len(items),
                "done": len(done),
                "done_in_period": sum(
                    1 for i in done if i.done_on is not None and start <= i.done_on <= end
                ),
            }
        )


def transfers_of(report, user):
    """The technique transfers in the report: the unit's subtree as either side, in scope."""
    from doha.transfers.models import TechniqueTransfer

    return (
        TechniqueTransfer.objects.restrict(user, "view")
        .filter(_under(report.org_unit, "provider", "recipient"))
        .filter(steps__date__lte=report.end_date)
        .distinct()
    )


def _transfers(figures, report, user):
    from doha.transfers.models import TechniqueTransfer, TransferState, TransferStep
    from doha.transfers.sustainment import sustainment_summary

    unit, start, end = figures.unit, figures.start, figures.end
    base = transfers_of(report, user)
    state_at_end = Subquery(
        TransferStep.objects.filter(transfer=OuterRef("pk"), date__lte=end)
        .order_by("-date", "-pk")
        .values("state")[:1]
    )
    rows = (
        TechniqueTransfer.objects.filter(pk__in=base.values("pk"))
        .annotate(state_at_end=state_at_end)
        .values("state_at_end")
        .annotate(
            total=Count("pk"),
            given=Count("pk", filter=Q(provider__path__startswith=unit.path)),
            received=Count("pk", filter=Q(recipient__path__startswith=unit.path)),
        )
    )
    by_state = {row["state_at_end"]: row for row in rows}
    for state, label in TransferState.choices:
        row = by_state.get(state, {})
        figures.transfer_states.append(
            {
                "state": state,
                "label": str(label),
                "given": row.get("given", 0),
                "received": row.get("received", 0),
                "total": row.get("total", 0),
            }
        )

    steps = TransferStep.objects.filter(
        transfer__in=base.values("pk"), date__gte=start, date__lte=end
    )
    events = dict(
        steps.values_list("state")
        .annotate(n=Count("transfer", distinct=True))
        .values_list("state", "n")
    )
    figures.transfer_events = {state: n for state, n in events.items() if n}

    milestones = {}
    for step in (
        steps.filter(state__in=[TransferState.INDEPENDENT, TransferState.ACCEPTED])
        .select_related(
            "transfer__technique__specialty", "transfer__provider", "transfer__recipient"
        )
        .order_by("date", "pk")
    ):
        # Acceptance outranks independent practice when both fall in the period.
        current = milestones.get(step.transfer_id)
        if current is None or step.state == TransferState.ACCEPTED:
            milestones[step.transfer_id] = step
    labels = dict(TransferState.choices)
    for step in sorted(milestones.values(), key=lambda s: (s.date, s.pk)):
        transfer = step.transfer
        technique = transfer.technique
        figures.techniques.append(
            {
                "code": technique.code,
                "technique": technique.name,
                "specialty": technique.specialty.name if technique.specialty_id else "",
                "provider": _name(transfer.provider),
                "recipient": _name(transfer.recipient),
                "state": str(labels[step.state]),
                "date": step.date,
                "given": _in_subtree(unit, transfer.provider),
            }
        )

    # Sustainment of the transfers accepted by the end of the period, on that day.
    accepted = TechniqueTransfer.objects.filter(
        pk__in=base.filter(steps__state=TransferState.ACCEPTED, steps__date__lte=end).values("pk")
    )
    figures.sustainment = sustainment_summary(accepted, min(end, timezone.localdate()))


def _rotations(figures, user):
    from doha.rotations.models import Rotation, RotationStatus

    unit, start, end = figures.unit, figures.start, figures.end
    rotations = (
        Rotation.objects.restrict(user, "view")
        .filter(_under(unit, "from_facility", "to_facility"))
        .filter(start__lte=end, end__gte=start)
        .exclude(status=RotationStatus.CANCELLED)
        .select_related("from_facility", "to_facility")
        .order_by("start", "pk")
    )
    groups: dict[tuple, dict] = {}
    workers = set()
    for rotation in rotations:
        months = _overlap_months(rotation.start, rotation.end, start, end)
        workers.add(rotation.worker_id)
        figures.rotation_count += 1
        figures.person_months += months
        if _in_subtree(unit, rotation.from_facility):
            figures.person_months_sent += months
        if _in_subtree(unit, rotation.to_facility):
            figures.person_months_received += months
        key = (rotation.from_facility_id, rotation.to_facility_id, rotation.kind)
        group = groups.setdefault(
            key,
            {
                "from": _name(rotation.from_facility),
                "to": _name(rotation.to_facility),
                "kind": rotation.get_kind_display(),
                "rotations": 0,
                "people": set(),
                "months": 0.0,
            },
        )
        group["rotations"] += 1
        group["people"].add(rotation.worker_id)
        group["months"] += months
    figures.rotated_people = len(workers)
    for group in groups.values():
        group["people"] = len(group["people"])
        group["months"] = _one(group["months"])
        figures.rotations.append(group)
    figures.person_months = _one(figures.person_months)
    figures.person_months_sent = _one(figures.person_months_sent)
    figures.person_months_received = _one(figures.person_months_received)


def _training(figures, user):
    from doha.people.models import CmeEntry
    from doha.training.models import CourseStatus, Enrolment, Result

    unit, start, end = figures.unit, figures.start, figures.end
    enrolments = (
        Enrolment.objects.restrict(user, "view")
        .filter(_under(unit, "course__organiser", "worker__facility"))
        .filter(course__start_date__lte=end, course__end_date__gte=start)
        .exclude(course__status=CourseStatus.CANCELLED)
    )
    figures.trainees = enrolments.values("worker").distinct().count()
    figures.passed = enrolments.filter(result=Result.PASSED).values("worker").distinct().count()
    figures.course_cme_hours = enrolments.filter(cme_entry__isnull=False).aggregate(
        h=Sum("cme_entry__hours")
    )["h"] or Decimal(0)
    per_course = {
        row["course"]: row
        for row in enrolments.values("course").annotate(
            trainees=Count("worker", distinct=True),
            passed=Count("worker", distinct=True, filter=Q(result=Result.PASSED)),
        )
    }
    from doha.training.models import Course

    courses = (
        Course.objects.filter(pk__in=list(per_course))
        .select_related("organiser")
        .order_by("start_date", "pk")
    )
    for course in courses:
        row = per_course[course.pk]
        figures.courses.append(
            {
                "title": course.title,
                "kind": course.get_kind_display(),
                "organiser": _name(course.organiser),
                "start": course.start_date,
                "end": course.end_date,
                "hours": course.hours,
                "trainees": row["trainees"],
                "passed": row["passed"],
            }
        )
    ledger = (
        CmeEntry.objects.restrict(user, "view")
        .filter(_under(unit, "worker__facility"))
        .filter(date__gte=start, date__lte=end)
    )
    totals = ledger.aggregate(h=Sum("hours"), n=Count("worker", distinct=True))
    figures.staff_cme_hours = totals["h"] or Decimal(0)
    figures.staff_cme_workers = totals["n"] or 0


def _consultations(figures, user):
    from doha.telehealth.models import Consultation, Outcome

    unit, start, end = figures.unit, figures.start, figures.end
    consultations = (
        Consultation.objects.restrict(user, "view")
        .filter(_under(unit, "requesting", "hub"))
        .filter(requested_at__date__gte=start, requested_at__date__lte=end)
    )
    totals = consultations.aggregate(
        total=Count("pk"),
        hub=Count("pk", filter=Q(hub__path__startswith=unit.path)),
        requested=Count("pk", filter=Q(requesting__path__startswith=unit.path)),
    )
    figures.consultations = totals["total"]
    figures.consultations_as_hub = totals["hub"]
    figures.consultations_requested = totals["requested"]
    outcomes = dict(consultations.values_list("outcome").annotate(n=Count("pk")))
    figures.consultation_outcomes = [
        (str(label), outcomes.get(value, 0)) for value, label in Outcome.choices
    ]


def _visits(figures, user):
    from doha.checklists.models import ChecklistFill, FillStatus
    from doha.checklists.services import previous_fill
    from doha.visits.models import (
        OPEN_STATUSES,
        ActionStatus,
        FollowUpAction,
        Visit,
        VisitKind,
        VisitStatus,
    )

    unit, start, end = figures.unit, figures.start, figures.end
    visits = (
        Visit.objects.restrict(user, "view")
        .filter(_under(unit, "host", "visiting"))
        .filter(start_date__lte=end, end_date__gte=start)
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("host", "visiting")
        .annotate(
            findings_n=Count("findings", distinct=True), actions_n=Count("actions", distinct=True)
        )
        .order_by("start_date", "pk")
    )
    kinds = Counter()
    for visit in visits:
        kinds[visit.kind] += 1
        figures.visits.append(
            {
                "start": visit.start_date,
                "end": visit.end_date,
                "kind": visit.get_kind_display(),
                "status": visit.get_status_display(),
                "visiting": _name(visit.visiting),
                "host": _name(visit.host),
                "title": visit.title,
                "findings": visit.findings_n,
                "actions": visit.actions_n,
            }
        )
    figures.visit_kinds = [(str(label), kinds[value]) for value, label in VisitKind.choices]

    fills = (
        ChecklistFill.objects.restrict(user, "view")
        .filter(_under(unit, "facility", "visit__visiting"))
        .filter(status=FillStatus.SUBMITTED, date__gte=start, date__lte=end)
        .select_related("template", "facility", "visit")
        .order_by("date", "pk")
    )
    for fill in fills:
        before = previous_fill(fill, user)
        previous = before.overall_score if before is not None else None
        score = fill.overall_score
        figures.checklist_fills.append(
            {
                "date": fill.date,
                "checklist": fill.template.name,
                "facility": _name(fill.facility),
                "score": score,
                "previous": previous,
                "previous_date": before.date if before is not None else None,
                "change": None if score is None or previous is None else score - previous,
            }
        )

    # Actions live in the period: raised by a visit that started by its end, not closed
    # before its start. Overdue: not closed on the report's end (or today, if earlier)
    # and due before it. On time: done by the due date, among those due in the period.
    as_of = min(end, timezone.localdate())
    actions = (
        FollowUpAction.objects.restrict(user, "view")
        .filter(_under(unit, "visit__host", "visit__visiting", "owner_facility"))
        .filter(visit__start_date__lte=end)
        .exclude(closed_on__lt=start)
    )
    open_then = Q(status__in=OPEN_STATUSES) | Q(closed_on__gt=as_of)
    due = Q(due_date__gte=start, due_date__lte=end) & ~Q(status=ActionStatus.DROPPED)
    totals = actions.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=open_then & Q(due_date__lt=as_of)),
        due=Count("pk", filter=due),
        on_time=Count(
            "pk",
            filter=due
            & Q(status=ActionStatus.DONE, closed_on__isnull=False, closed_on__lte=F("due_date")),
        ),
    )
    by_status = dict(actions.values_list("status").annotate(n=Count("pk")))
    listed = []
    for action in actions.select_related("owner_facility", "visit").order_by("due_date", "pk"):
        overdue = action.due_date < as_of and (
            action.status in OPEN_STATUSES or (action.closed_on or as_of) > as_of
        )
        listed.append(
            {
                "description": action.description,
                "visit": action.visit.title,
                "owner": _name(action.owner_facility),
                "person": action.owner_person,
                "due": action.due_date,
                "status": action.get_status_display(),
                "closed_on": action.closed_on,
                "overdue": overdue,
                "days_overdue": (as_of - action.due_date).days if overdue else 0,
            }
        )
    figures.actions = {
        **totals,
        "as_of": as_of,
        "by_status": [
            (str(label), by_status.get(value, 0)) for value, label in ActionStatus.choices
        ],
        "on_time_percent": 100 * totals["on_time"] / totals["due"] if totals["due"] else None,
        "list": listed,
    }


def _donations(figures, user):
    from doha.donations.models import Donation, with_totals

    unit, start, end = figures.unit, figures.start, figures.end
    donations = with_totals(
        Donation.objects.restrict(user, "view")
        .filter(_under(unit, "donor", "recipient"))
        .filter(date__gte=start, date__lte=end)
        .select_related("donor", "recipient")
        .prefetch_related("items")
        .order_by("date", "pk")
    )
    for donation in donations:
        value = int(donation.value_total or 0)
        items = "; ".join(
            f"{item.item} ({format_number(item.quantity.normalize())} {item.unit})"
            for item in donation.items.all()
        )
        figures.donations.append(
            {
                "date": donation.date,
                "donor": _name(donation.donor),
                "recipient": _name(donation.recipient),
                "items": items or donation.description,
                "value": value,
            }
        )
        figures.donation_value += value
        if _in_subtree(unit, donation.donor):
            figures.donation_value_given += value
        if _in_subtree(unit, donation.recipient):
            figures.donation_value_received += value


def _awards(figures, user):
    from doha.awards.models import Award

    unit, start, end = figures.unit, figures.start, figures.end
    awards = (
        Award.objects.restrict(user, "view")
        .filter(_under(unit, "issuer", "recipient_unit", "recipient_person__facility"))
        .filter(decision_date__gte=start, decision_date__lte=end)
        .select_related("issuer", "recipient_unit", "recipient_person", "programme")
        .order_by("decision_date", "pk")
    )
    for award in awards:
        figures.awards.append(
            {
                "kind": award.get_kind_display(),
                "number": award.decision_number,
                "date": award.decision_date,
                "issuer": award.issuer_display,
                "recipient": award.recipient_display,
                "reason": award.reason,
                "programme": str(award.programme) if award.programme_id else "",
            }
        )


def collect(report, user, progress=None) -> LineDirectionFigures:
    """The report's figures as ``user`` may see them."""
    progress = progress or (lambda percent, message="": None)
    unit = report.org_unit
    if not in_scope(user, unit.path):
        raise PermissionDenied(_("This unit is outside your scope."))
    figures = LineDirectionFigures(unit=unit, start=report.start_date, end=report.end_date)
    progress(10, _("Programmes"))
    _programmes(figures, user)
    progress(20, _("Technique transfers"))
    _transfers(figures, report, user)
    progress(35, _("Rotations, training and consultations"))
    _rotations(figures, user)
    _training(figures, user)
    _consultations(figures, user)
    progress(50, _("Visits, checklists and follow-up actions"))
    _visits(figures, user)
    progress(60, _("Donations and awards"))
    _donations(figures, user)
    _awards(figures, user)
    return figures


# ----------------------------------------------------------------------------- words


def _hours(value) -> str:
    value = Decimal(value or 0)
    return format_number(value, 0 if value == value.to_integral_value() else 1)


def _months(value: float) -> str:
    return format_number(value, 0 if float(value).is_integer() else 1)


def summary_rows(figures: LineDirectionFigures) -> list[tuple[str, str, object]]:
    """(code, label, number) of the headline figures, for the annex and the tests."""
    from doha.transfers.models import TransferState

    events = figures.transfer_events
    rows = [
        ("programmes", _("Programmes in force"), len(figures.programmes)),
        (
            "programme_items_done",
            _("Programme items done in the period"),
            sum(p["done_in_period"] for p in figures.programmes),
        ),
        ("transfers", _("Technique transfers at the end of the period"), figures.transfer_total),
        (
            "transfers_started",
            _("Transfers started in the period"),
            events.get(TransferState.PLANNED, 0),
        ),
        (
            "transfers_independent",
            _("Transfers reaching independent practice in the period"),
            events.get(TransferState.INDEPENDENT, 0),
        ),
        (
            "transfers_accepted",
            _("Transfers accepted in the period"),
            events.get(TransferState.ACCEPTED, 0),
        ),
        (
            "transfers_cancelled",
            _("Transfers cancelled in the period"),
            events.get(TransferState.CANCELLED, 0),
        ),
        *[
            (f"sustainment_{status}", _("Sustainment: %(status)s") % {"status": label}, n)
            for status, label, n in sustainment_rows(figures)
        ],
        ("rotations", _("Rotations and secondments"), figures.rotation_count),
        ("rotated_people", _("Health workers rotated"), figures.rotated_people),
        ("person_months", _("Person-months of rotation and secondment"), figures.person_months),
        ("courses", _("Courses"), figures.course_count),
        ("trainees", _("Trainees"), figures.trainees),
        ("passed", _("Trainees who passed"), figures.passed),
        ("course_cme_hours", _("CME hours credited by the courses"), figures.course_cme_hours),
        ("staff_cme_hours", _("CME hours earned by the unit's staff"), figures.staff_cme_hours),
        ("consultations", _("Remote consultations"), figures.consultations),
    ]
    actions = figures.actions
    on_time = actions.get("on_time_percent")
    rows += [
        ("visits", _("Visits made or hosted"), len(figures.visits)),
        ("checklists", _("Checklists filled"), len(figures.checklist_fills)),
        ("actions", _("Follow-up actions"), actions.get("total", 0)),
        ("actions_overdue", _("Follow-up actions overdue"), actions.get("overdue", 0)),
        ("actions_due", _("Follow-up actions due in the period"), actions.get("due", 0)),
        ("actions_on_time", _("Follow-up actions done on time"), actions.get("on_time", 0)),
        (
            "actions_on_time_percent",
            _("Share of actions done on time (%)"),
            None if on_time is None else round(on_time, 1),
        ),
    ]
    rows += [
        ("donations", _("Donations"), len(figures.donations)),
        ("donation_value", _("Value of donations (VND)"), figures.donation_value),
        ("awards", _("Commendations and awards"), len(figures.awards)),
    ]
    return [(code, label, _number_value(value)) for code, label, value in rows]


def _number_value(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(round(value, 1))
    return value


def _none(doc: DecreeDocument, text: str | None = None):
    doc.paragraph(text or _("None recorded in the period."), italic=True)


def _caption(doc: DecreeDocument, text: str):
    paragraph = doc.paragraph(text, bold=True, indent=False, align="center")
    paragraph.paragraph_format.keep_with_next = True


# An empty cell of a total row (DecreeDocument writes "–" for a missing value).
BLANK = " "


# ----------------------------------------------------------------------------- the document


def write_document(report, figures: LineDirectionFigures, progress=None) -> bytes:
    progress = progress or (lambda percent, message="": None)
    unit = figures.unit
    doc = DecreeDocument(
        letterhead_for(report.issuer or report.org_unit),
        report.number,
        report.date,
        _("REPORT"),
        report.display_title(),
    )
    phrase = report_period_phrase(report)
    if unit.children.exists():
        intro = _(
            "Line-direction work of %(unit)s and the units under it over %(period)s "
            "(%(start)s to %(end)s): every activity in which one of them took part, as "
            "supporting or as receiving unit, from the records kept in doha."
        )
    else:
        intro = _(
            "Line-direction work of %(unit)s over %(period)s (%(start)s to %(end)s): every "
            "activity in which it took part, as supporting or as receiving unit, from the "
            "records kept in doha."
        )
    doc.paragraph(
        intro
        % {
            "unit": unit.name,
            "period": phrase,
            "start": _date(figures.start),
            "end": _date(figures.end),
        },
        italic=True,
    )
    if figures.is_empty:
        doc.paragraph(
            _("No line-direction activity of %(unit)s was recorded over %(period)s.")
            % {"unit": unit.name, "period": phrase},
            bold=True,
        )
    table_number = 0

    def caption(text):
        nonlocal table_number
        table_number += 1
        _caption(doc, _("Table %(n)s. %(title)s") % {"n": table_number, "title": text})

    # I. Programmes
    doc.heading(_("I. COOPERATION PROGRAMMES IN FORCE"))
    if figures.programmes:
        doc.paragraph(
            _(
                "%(programmes)s programmes were in force in the period; of their %(planned)s "
                "items (cancelled ones aside), %(done)s were done by %(end)s, %(in_period)s "
                "of them in the period."
            )
            % {
                "programmes": format_number(len(figures.programmes)),
                "planned": format_number(sum(p["planned"] for p in figures.programmes)),
                "done": format_number(sum(p["done"] for p in figures.programmes)),
                "in_period": format_number(sum(p["done_in_period"] for p in figures.programmes)),
                "end": _date(figures.end),
            }
        )
        caption(_("Programmes in force"))
        doc.table(
            [
                _("Programme"),
                _("Supporting side"),
                _("Receiving side"),
                _("Duration"),
                _("Programme items"),
                _("Done"),
            ],
            [
                [
                    (f"{p['number']} " if p["number"] else "") + p["title"],
                    p["providers"],
                    p["recipients"],
                    f"{_date(p['start'])} – {_date(p['end'])}",
                    p["planned"],
                    p["done"],
                ]
                for p in figures.programmes
            ],
            widths_cm=[4.4, 2.7, 2.7, 2.7, 2.0, 2.0],
            total=[
                _("Total"),
                BLANK,
                BLANK,
                BLANK,
                sum(p["planned"] for p in figures.programmes),
                sum(p["done"] for p in figures.programmes),
            ],
            size=11,
        )
    else:
        _none(doc, _("No cooperation programme was in force in the period."))

    # II. Transfers
    progress(70, _("Writing the document"))
    from doha.transfers.models import TransferState

    doc.heading(_("II. TECHNIQUE TRANSFERS"))
    events = figures.transfer_events
    if figures.transfer_total or events:
        doc.paragraph(
            _(
                "%(total)s technique transfers at the end of the period. In the period "
                "%(started)s transfers started, %(independent)s reached independent practice, "
                "%(accepted)s were accepted and %(cancelled)s were cancelled."
            )
            % {
                "total": format_number(figures.transfer_total),
                "started": format_number(events.get(TransferState.PLANNED, 0)),
                "independent": format_number(events.get(TransferState.INDEPENDENT, 0)),
                "accepted": format_number(events.get(TransferState.ACCEPTED, 0)),
                "cancelled": format_number(events.get(TransferState.CANCELLED, 0)),
            }
        )
        caption(_("Technique transfers by state on %(date)s") % {"date": _date(figures.end)})
        doc.table(
            [_("State"), _("As transferring unit"), _("As receiving unit"), _("Total")],
            [
                [row["label"], row["given"], row["received"], row["total"]]
                for row in figures.transfer_states
                if row["total"]
            ],
            widths_cm=[6.5, 3.3, 3.3, 2.4],
            total=[
                _("Total"),
                sum(r["given"] for r in figures.transfer_states),
                sum(r["received"] for r in figures.transfer_states),
                figures.transfer_total,
            ],
        )
    else:
        _none(doc, _("No technique transfer was recorded."))
    if figures.techniques:
        caption(_("Techniques transferred in the period"))
        doc.table(
            [
                _("No."),
                _("Technique"),
                _("Transferring unit"),
                _("Receiving unit"),
                _("Stage reached"),
                _("Date"),
            ],
            [
                [
                    index,
                    t["technique"],
                    t["provider"],
                    t["recipient"],
                    t["state"],
                    _date(t["date"]),
                ]
                for index, t in enumerate(figures.techniques, start=1)
            ],
            widths_cm=[1.1, 4.4, 2.9, 2.9, 2.8, 2.4],
            size=11,
        )
    _write_sustainment(doc, figures)

    # III. Rotations, training, consultations
    doc.heading(_("III. ROTATIONS, TRAINING AND REMOTE CONSULTATIONS"))
    doc.heading(_("1. Rotations and secondments"), level=2)
    if figures.rotation_count:
        doc.paragraph(
            _(
                "%(rotations)s rotations and secondments of %(people)s health workers, "
                "%(months)s person-months in the period (%(sent)s sent, %(received)s "
                "received)."
            )
            % {
                "rotations": format_number(figures.rotation_count),
                "people": format_number(figures.rotated_people),
                "months": _months(figures.person_months),
                "sent": _months(figures.person_months_sent),
                "received": _months(figures.person_months_received),
            }
        )
        caption(_("Rotations and secondments"))
        doc.table(
            [_("Sending unit"), _("Receiving unit"), _("Kind"), _("People"), _("Person-months")],
            [[r["from"], r["to"], r["kind"], r["people"], r["months"]] for r in figures.rotations],
            widths_cm=[4.0, 4.0, 3.6, 2.0, 2.9],
            total=[_("Total"), BLANK, BLANK, figures.rotated_people, figures.person_months],
            size=11,
        )
    else:
        _none(doc)
    doc.heading(_("2. Training and continuing medical education"), level=2)
    if figures.courses or figures.staff_cme_hours:
        doc.paragraph(
            _(
                "%(courses)s courses with %(trainees)s trainees, %(passed)s of whom passed; "
                "the courses credited %(course_hours)s CME hours. The unit's staff earned "
                "%(staff_hours)s CME hours in the period (%(workers)s health workers)."
            )
            % {
                "courses": format_number(figures.course_count),
                "trainees": format_number(figures.trainees),
                "passed": format_number(figures.passed),
                "course_hours": _hours(figures.course_cme_hours),
                "staff_hours": _hours(figures.staff_cme_hours),
                "workers": format_number(figures.staff_cme_workers),
            }
        )
    if figures.courses:
        caption(_("Courses"))
        doc.table(
            [_("Course"), _("Organiser"), _("Dates"), _("Hours"), _("Trainees"), _("Passed")],
            [
                [
                    c["title"],
                    c["organiser"],
                    f"{_date(c['start'])} – {_date(c['end'])}",
                    c["hours"],
                    c["trainees"],
                    c["passed"],
                ]
                for c in figures.courses
            ],
            widths_cm=[4.4, 3.0, 2.9, 1.8, 2.2, 2.2],
            size=11,
        )
    elif not figures.staff_cme_hours:
        _none(doc)
    doc.heading(_("3. Remote consultations"), level=2)
    if figures.consultations:
        doc.paragraph(
            _(
                "%(total)s remote consultations: %(hub)s answered by the unit as consulting "
                "centre, %(requested)s requested by it."
            )
            % {
                "total": format_number(figures.consultations),
                "hub": format_number(figures.consultations_as_hub),
                "requested": format_number(figures.consultations_requested),
            }
        )
        caption(_("Remote consultations by outcome"))
        doc.table(
            [_("Outcome"), _("Consultations"), _("Share")],
            [
                [label, n, format_percent(100 * n / figures.consultations, 1)]
                for label, n in figures.consultation_outcomes
                if n
            ],
            widths_cm=[8, 4, 3.5],
            total=[_("Total"), figures.consultations, format_percent(100, 1)],
        )
    else:
        _none(doc)

    # IV. Visits, checklists and actions
    _write_visits(doc, figures, caption)

    # V. Donations
    doc.heading(_("V. DONATIONS"))
    if figures.donations:
        doc.paragraph(
            _(
                "%(count)s donations worth %(value)s in the period (given: %(given)s; "
                "received: %(received)s)."
            )
            % {
                "count": format_number(len(figures.donations)),
                "value": _money(figures.donation_value),
                "given": _money(figures.donation_value_given),
                "received": _money(figures.donation_value_received),
            }
        )
        caption(_("Donations"))
        doc.table(
            [_("Date"), _("Donor"), _("Recipient"), _("Items"), _("Value (VND)")],
            [
                [_date(d["date"]), d["donor"], d["recipient"], d["items"], d["value"]]
                for d in figures.donations
            ],
            widths_cm=[2.4, 3.1, 3.1, 4.6, 3.3],
            total=[_("Total"), BLANK, BLANK, BLANK, figures.donation_value],
            size=11,
        )
    else:
        _none(doc)

    # VI. Awards
    _write_awards(doc, figures, caption)

    # VII, VIII: the officer's words
    doc.heading(_("VII. SHORTCOMINGS AND DIFFICULTIES"))
    _free_text(doc, report.shortcomings, _("None recorded."))
    doc.heading(_("VIII. TASKS FOR THE NEXT PERIOD"))
    _free_text(doc, report.next_tasks, _("None recorded."))
    doc.closing()
    return doc.save()


def sustainment_rows(figures: LineDirectionFigures) -> list[tuple[str, str, int]]:
    """(status, label, transfers) of the accepted transfers on the report's end."""
    if figures.sustainment is None:
        return []
    from doha.transfers.sustainment import STATUSES

    return [(status, str(label), figures.sustainment.get(status, 0)) for status, label in STATUSES]


def _write_sustainment(doc, figures):
    summary = figures.sustainment
    if not summary or not summary.get("total"):
        return
    parts = "; ".join(
        f"{label.lower()}: {format_number(n)}"
        for _status, label, n in sustainment_rows(figures)
        if n
    )
    doc.paragraph(
        _(
            "Sustainment of the %(total)s accepted transfers on %(date)s, from the facilities' "
            "monthly counts of cases (performed 6 and 12 months after acceptance): %(parts)s."
        )
        % {
            "total": format_number(summary["total"]),
            "date": _date(min(figures.end, timezone.localdate())),
            "parts": parts,
        }
    )


MAX_LISTED = 30


def _write_visits(doc, figures, caption):
    doc.heading(_("IV. VISITS, CHECKLISTS AND FOLLOW-UP ACTIONS"))
    doc.heading(_("1. Visits"), level=2)
    if figures.visits:
        kinds = "; ".join(
            f"{label.lower()}: {format_number(n)}" for label, n in figures.visit_kinds if n
        )
        doc.paragraph(
            _("%(count)s visits in the period (%(kinds)s).")
            % {"count": format_number(len(figures.visits)), "kinds": kinds}
        )
        caption(_("Visits and findings"))
        doc.table(
            [
                _("Dates"),
                _("Kind"),
                _("Visiting unit"),
                _("Host unit"),
                _("Findings"),
                _("Actions"),
            ],
            [
                [
                    _date(v["start"])
                    if v["start"] == v["end"]
                    else f"{_date(v['start'])} – {_date(v['end'])}",
                    v["kind"],
                    v["visiting"],
                    v["host"],
                    v["findings"],
                    v["actions"],
                ]
                for v in figures.visits
            ],
            widths_cm=[3.0, 3.0, 3.1, 3.1, 2.1, 2.2],
            size=11,
        )
    else:
        _none(doc)
    doc.heading(_("2. Checklist scores"), level=2)
    if figures.checklist_fills:
        scores = [f["score"] for f in figures.checklist_fills if f["score"] is not None]
        if scores:
            doc.paragraph(
                _("%(count)s checklists filled; mean overall score %(mean)s.")
                % {
                    "count": format_number(len(figures.checklist_fills)),
                    "mean": format_number(sum(scores) / len(scores), 1),
                }
            )
        caption(_("Checklist scores, compared with the previous fill"))
        doc.table(
            [
                _("Date"),
                _("Checklist used"),
                _("Facility"),
                _("Score"),
                _("Previous score"),
                _("Change"),
            ],
            [
                [
                    _date(f["date"]),
                    f["checklist"],
                    f["facility"],
                    _number_value(f["score"]),
                    _number_value(f["previous"]),
                    _signed(f["change"]),
                ]
                for f in figures.checklist_fills
            ],
            widths_cm=[2.4, 4.6, 3.4, 2.0, 2.0, 2.1],
            size=11,
        )
    else:
        _none(doc)
    doc.heading(_("3. Follow-up actions"), level=2)
    actions = figures.actions
    if actions.get("total"):
        statuses = "; ".join(
            f"{label.lower()}: {format_number(n)}" for label, n in actions["by_status"] if n
        )
        text = _("%(total)s follow-up actions (%(statuses)s); %(overdue)s overdue on %(date)s.") % {
            "total": format_number(actions["total"]),
            "statuses": statuses,
            "overdue": format_number(actions["overdue"]),
            "date": _date(actions["as_of"]),
        }
        if actions["due"]:
            text += " " + _(
                "Of the %(due)s actions due in the period, %(on_time)s were done on time "
                "(%(percent)s)."
            ) % {
                "due": format_number(actions["due"]),
                "on_time": format_number(actions["on_time"]),
                "percent": format_percent(actions["on_time_percent"], 1),
            }
        doc.paragraph(text)
        overdue = [a for a in actions["list"] if a["overdue"]]
        if overdue:
            caption(_("Overdue actions"))
            doc.table(
                [_("Follow-up action"), _("Owner"), _("Due"), _("Days overdue")],
                [
                    [a["description"], a["owner"], _date(a["due"]), a["days_overdue"]]
                    for a in overdue[:MAX_LISTED]
                ],
                widths_cm=[7.3, 3.6, 2.6, 3.0],
                size=11,
            )
            if len(overdue) > MAX_LISTED:
                doc.paragraph(
                    _("%(more)s more in the annex.")
                    % {"more": format_number(len(overdue) - MAX_LISTED)},
                    italic=True,
                )
    else:
        _none(doc)


def _signed(value):
    if value is None:
        return ""
    text = format_number(abs(value), 1)
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


def _write_awards(doc, figures, caption):
    doc.heading(_("VI. COMMENDATIONS AND AWARDS"))
    if not figures.awards:
        _none(doc)
        return
    kinds = Counter(a["kind"] for a in figures.awards)
    doc.paragraph(
        _("%(count)s commendations and awards in the period (%(kinds)s).")
        % {
            "count": format_number(len(figures.awards)),
            "kinds": "; ".join(f"{kind.lower()}: {format_number(n)}" for kind, n in kinds.items()),
        }
    )
    caption(_("Commendations and awards"))
    doc.table(
        [_("Decision"), _("Kind"), _("Issuer"), _("Recipient"), _("Reason")],
        [
            [
                f"{a['number']} ({_date(a['date'])})",
                a["kind"],
                a["issuer"],
                a["recipient"],
                a["reason"],
            ]
            for a in figures.awards
        ],
        widths_cm=[3.2, 2.8, 3.2, 3.2, 4.0],
        size=11,
    )


# ----------------------------------------------------------------------------- the annex


def write_annex(report, figures: LineDirectionFigures) -> bytes:
    annex = Annex(
        report.display_title(),
        f"{figures.unit.name} · {_date(figures.start)} – {_date(figures.end)}",
    )
    annex.sheet(
        _("Summary"),
        [_("Code"), _("Figure"), _("Value")],
        [[code, label, value] for code, label, value in summary_rows(figures)],
        [24, 56, 16],
    )
    annex.sheet(
        _("Programmes"),
        [
            _("Number"),
            _("Programme"),
            _("Kind"),
            _("Supporting side"),
            _("Receiving side"),
            _("Start"),
            _("End"),
            _("Programme items"),
            _("Items done"),
            _("Done in the period"),
        ],
        [
            [
                p["number"],
                p["title"],
                p["kind"],
                p["providers"],
                p["recipients"],
                p["start"],
                p["end"],
                p["planned"],
                p["done"],
                p["done_in_period"],
            ]
            for p in figures.programmes
        ],
        [14, 50, 22, 30, 30, 12, 12, 10, 10, 10],
    )
    annex.sheet(
        _("Transfers by state"),
        [_("State"), _("As transferring unit"), _("As receiving unit"), _("Total")],
        [[r["label"], r["given"], r["received"], r["total"]] for r in figures.transfer_states],
        [30, 16, 16, 12],
    )
    annex.sheet(
        _("Sustainment"),
        [_("Status"), _("Accepted transfers")],
        [[label, n] for _status, label, n in sustainment_rows(figures)],
        [30, 16],
    )
    annex.sheet(
        _("Techniques transferred"),
        [
            _("Code"),
            _("Technique"),
            _("Specialty"),
            _("Transferring unit"),
            _("Receiving unit"),
            _("Stage reached"),
            _("Date"),
        ],
        [
            [
                t["code"],
                t["technique"],
                t["specialty"],
                t["provider"],
                t["recipient"],
                t["state"],
                t["date"],
            ]
            for t in figures.techniques
        ],
        [12, 50, 20, 30, 30, 22, 12],
    )
    annex.sheet(
        _("Rotations"),
        [
            _("Sending unit"),
            _("Receiving unit"),
            _("Kind"),
            _("Rotations"),
            _("People"),
            _("Person-months"),
        ],
        [
            [r["from"], r["to"], r["kind"], r["rotations"], r["people"], r["months"]]
            for r in figures.rotations
        ],
        [30, 30, 24, 10, 10, 14],
    )
    annex.sheet(
        _("Courses"),
        [
            _("Course"),
            _("Kind"),
            _("Organiser"),
            _("Start"),
            _("End"),
            _("Hours"),
            _("Trainees"),
            _("Passed"),
        ],
        [
            [
                c["title"],
                c["kind"],
                c["organiser"],
                c["start"],
                c["end"],
                _number_value(c["hours"]),
                c["trainees"],
                c["passed"],
            ]
            for c in figures.courses
        ],
        [50, 24, 30, 12, 12, 10, 10, 10],
    )
    annex.sheet(
        _("Consultations"),
        [_("Outcome"), _("Consultations")],
        [[label, n] for label, n in figures.consultation_outcomes],
        [30, 14],
    )
    _annex_visits(annex, figures)
    annex.sheet(
        _("Donations"),
        [_("Date"), _("Donor"), _("Recipient"), _("Items"), _("Value (VND)")],
        [
            [d["date"], d["donor"], d["recipient"], d["items"], d["value"]]
            for d in figures.donations
        ],
        [12, 30, 30, 60, 18],
    )
    _annex_awards(annex, figures)
    return annex.save()


def _annex_visits(annex, figures):
    annex.sheet(
        _("Visits and findings"),
        [
            _("Start"),
            _("End"),
            _("Kind"),
            _("Status"),
            _("Visiting unit"),
            _("Host unit"),
            _("Title"),
            _("Findings"),
            _("Actions"),
        ],
        [
            [
                v["start"],
                v["end"],
                v["kind"],
                v["status"],
                v["visiting"],
                v["host"],
                v["title"],
                v["findings"],
                v["actions"],
            ]
            for v in figures.visits
        ],
        [12, 12, 22, 12, 30, 30, 50, 10, 10],
    )
    annex.sheet(
        _("Checklist scores"),
        [
            _("Date"),
            _("Checklist used"),
            _("Facility"),
            _("Score"),
            _("Previous score"),
            _("Previous date"),
            _("Change"),
        ],
        [
            [
                f["date"],
                f["checklist"],
                f["facility"],
                _number_value(f["score"]),
                _number_value(f["previous"]),
                f["previous_date"],
                _number_value(f["change"]),
            ]
            for f in figures.checklist_fills
        ],
        [12, 40, 30, 10, 10, 12, 10],
    )
    annex.sheet(
        _("Follow-up actions"),
        [
            _("Follow-up action"),
            _("Raised on the visit"),
            _("Owner"),
            _("Person responsible"),
            _("Due"),
            _("Status"),
            _("Closed on"),
            _("Days overdue"),
        ],
        [
            [
                a["description"],
                a["visit"],
                a["owner"],
                a["person"],
                a["due"],
                a["status"],
                a["closed_on"],
                a["days_overdue"],
            ]
            for a in figures.actions.get("list", [])
        ],
        [50, 40, 30, 24, 12, 14, 12, 10],
    )


def _annex_awards(annex, figures):
    annex.sheet(
        _("Awards"),
        [
            _("Decision number"),
            _("Decision date"),
            _("Kind"),
            _("Issuer"),
            _("Recipient"),
            _("Reason"),
            _("Programme"),
        ],
        [
            [
                a["number"],
                a["date"],
                a["kind"],
                a["issuer"],
                a["recipient"],
                a["reason"],
                a["programme"],
            ]
            for a in figures.awards
        ],
        [18, 12, 28, 34, 34, 60, 40],
    )


def build(report, version, progress) -> BuiltReport:
    """The registered builder of the "linedirection" kind."""
    with translation.override(report.language):
        figures = collect(report, version.created_by, progress)
        docx = write_document(report, figures, progress)
        progress(90, _("Writing the annex"))
        xlsx = write_annex(report, figures)
    return BuiltReport(docx=docx, xlsx=xlsx)
