"""Vaccination schedules: which dose a client needs next, and when.

A schedule (phác đồ) is a list of ``ScheduleDose`` rows, either for one product (Vaxigrip's
two doses for a first-time child) or for an antigen whatever the product (rabies: any
rabies vaccine counts). A product with its own schedule follows it; a product without one
follows the schedules of its antigens. A *series* is one such list.

Evaluating a client's doses against a series (``evaluate``, a pure function):

* a dose counts (is *valid*) when the client had reached the dose's minimum age, the
  minimum interval since the previous valid dose had passed, and the maximum age (if any)
  had not; a dose given too early or too late is listed with the reason and not counted;
* the next dose can be given from its *earliest* date (minimum age, minimum interval from
  the last valid dose), is *due* on its recommended date (recommended age or interval,
  never before the earliest) and cannot be given after its *latest* date (maximum age);
* catch-up: a late client is never made to restart a series; the next dose is due as soon
  as possible and the doses after it follow from the real dates, at their intervals;
* a series whose next dose is past its age limit is *aged out*.

``check_dose`` is what the visit service asks before a dose is given; ``client_forecast``
feeds the client's page, card and the reminders list (``reminders``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.core import tabular
from doha.vaccines.models import Antigen, Dose, ScheduleDose, Vaccine

D = datetime.date


def _days(n) -> datetime.timedelta:
    return datetime.timedelta(days=n or 0)


def _d(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


class Status(models.TextChoices):
    NOT_YET = "not_yet", gettext_lazy("Not yet")
    DUE = "due", gettext_lazy("Due")
    OVERDUE = "overdue", gettext_lazy("Overdue: catch up")
    COMPLETE = "complete", gettext_lazy("Complete")
    AGED_OUT = "aged_out", gettext_lazy("Past the age limit")


@dataclass
class Series:
    """One schedule: for a product (``vaccine``) or for an antigen."""

    doses: list[ScheduleDose]
    vaccine: Vaccine | None = None
    antigen: Antigen | None = None

    @property
    def key(self) -> str:
        if self.vaccine is not None:
            return f"vaccine:{self.vaccine.code}"
        return f"antigen:{self.antigen.code}"

    @property
    def label(self) -> str:
        return str(self.vaccine or self.antigen)

    def __len__(self):
        return len(self.doses)


@dataclass
class DoseCheck:
    """A dose given, as the series sees it."""

    date: datetime.date
    valid: bool
    dose_number: int | None = None  # the schedule dose it counts as
    reason: str = ""
    dose: Dose | None = None


@dataclass
class Forecast:
    series: Series
    status: str
    checks: list[DoseCheck] = field(default_factory=list)
    next_dose: ScheduleDose | None = None
    earliest: datetime.date | None = None
    due: datetime.date | None = None
    latest: datetime.date | None = None
    reason: str = ""
    # The rest of the series if each dose is given on its due date: [(number, date)].
    projected: list[tuple[int, datetime.date]] = field(default_factory=list)

    @property
    def valid_count(self) -> int:
        return sum(1 for c in self.checks if c.valid)

    @property
    def dose_number(self) -> int | None:
        return self.next_dose.dose_number if self.next_dose is not None else None

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def give_from(self) -> datetime.date | None:
        """The date to give the next dose on: the due date, or today for a late client."""
        return self.due


def _window(sd: ScheduleDose, dob: D, last: D | None) -> tuple[D, D, D | None]:
    """(earliest, due, latest) of a schedule dose, after a last valid dose on ``last``."""
    earliest = dob + _days(sd.min_age_days)
    if last is not None and sd.min_interval_days is not None:
        earliest = max(earliest, last + _days(sd.min_interval_days))
    due = earliest
    if sd.recommended_age_days is not None:
        due = max(due, dob + _days(sd.recommended_age_days))
    if last is not None and sd.recommended_interval_days is not None:
        due = max(due, last + _days(sd.recommended_interval_days))
    latest = dob + _days(sd.max_age_days) if sd.max_age_days is not None else None
    return earliest, due, latest


def _too_early_reason(series: Series, sd: ScheduleDose, dob: D, last: D | None, earliest: D):
    by_age = dob + _days(sd.min_age_days)
    if last is not None and sd.min_interval_days is not None and earliest > by_age:
        return _(
            "Dose %(n)s of %(series)s can be given from %(date)s: at least %(days)s days "
            "after dose %(prev)s (%(last)s)."
        ) % {
            "n": sd.dose_number,
            "series": series.label,
            "date": _d(earliest),
            "days": sd.min_interval_days,
            "prev": sd.dose_number - 1,
            "last": _d(last),
        }
    return _("Dose %(n)s of %(series)s can be given from %(date)s (minimum age %(days)s days).") % {
        "n": sd.dose_number,
        "series": series.label,
        "date": _d(earliest),
        "days": sd.min_age_days,
    }


def _too_old_reason(series: Series, sd: ScheduleDose, latest: D) -> str:
    return _(
        "Dose %(n)s of %(series)s is given up to the age of %(days)s days (until %(date)s): "
        "the client is past that age."
    ) % {"n": sd.dose_number, "series": series.label, "days": sd.max_age_days, "date": _d(latest)}


def evaluate(
    series: Series,
    dob: D,
    given: list[D] | list[tuple[D, Dose | None]],
    today: D,
) -> Forecast:
    """The forecast of one series for a client born on ``dob`` with doses given on the
    dates ``given`` (or (date, dose) pairs), as of ``today``."""
    pairs = sorted(
        ((g, None) if isinstance(g, datetime.date) else g for g in given),
        key=lambda p: p[0],
    )
    doses = sorted(series.doses, key=lambda sd: sd.dose_number)
    checks: list[DoseCheck] = []
    last: D | None = None
    index = 0
    for day, dose in pairs:
        if index >= len(doses):
            checks.append(
                DoseCheck(
                    day,
                    False,
                    reason=_("An extra dose: the series was already complete."),
                    dose=dose,
                )
            )
            continue
        sd = doses[index]
        earliest, _due, latest = _window(sd, dob, last)
        if day < earliest:
            reason = _too_early_reason(series, sd, dob, last, earliest)
            checks.append(DoseCheck(day, False, reason=_("Not counted: ") + reason, dose=dose))
            continue
        if latest is not None and day > latest:
            reason = _too_old_reason(series, sd, latest)
            checks.append(DoseCheck(day, False, reason=_("Not counted: ") + reason, dose=dose))
            continue
        checks.append(DoseCheck(day, True, dose_number=sd.dose_number, dose=dose))
        last = day
        index += 1

    if index >= len(doses):
        return Forecast(
            series,
            Status.COMPLETE,
            checks,
            reason=_("The %(series)s series is complete (%(n)s doses).")
            % {"series": series.label, "n": len(doses)},
        )
    sd = doses[index]
    earliest, due, latest = _window(sd, dob, last)
    if latest is not None and (latest < earliest or latest < today):
        return Forecast(
            series,
            Status.AGED_OUT,
            checks,
            next_dose=sd,
            earliest=earliest,
            latest=latest,
            reason=_too_old_reason(series, sd, latest),
        )
    if today < earliest:
        status = Status.NOT_YET
        reason = _too_early_reason(series, sd, dob, last, earliest)
    elif today <= due:
        status = Status.DUE
        reason = ""
    else:
        # Catch-up: as soon as possible, the rest of the series from the real dates.
        status = Status.OVERDUE
        reason = _("Dose %(n)s of %(series)s was due on %(date)s: give it as soon as possible.") % {
            "n": sd.dose_number,
            "series": series.label,
            "date": _d(due),
        }
    projected = []
    at = max(due, today) if status == Status.OVERDUE else due
    projected.append((sd.dose_number, at))
    previous = at
    for later in doses[index + 1 :]:
        _e, later_due, later_latest = _window(later, dob, previous)
        if later_latest is not None and later_due > later_latest:
            break
        projected.append((later.dose_number, later_due))
        previous = later_due
    return Forecast(
        series,
        status,
        checks,
        next_dose=sd,
        earliest=earliest,
        due=due,
        latest=latest,
        reason=reason,
        projected=projected,
    )


# --------------------------------------------------------------------------------------------
# Schedules from the database
# --------------------------------------------------------------------------------------------


class ScheduleBook:
    """Every schedule and which antigens each product holds, read once (a reminders list
    evaluates thousands of clients without a query per client)."""

    def __init__(self):
        by_vaccine: dict[int, list[ScheduleDose]] = defaultdict(list)
        by_antigen: dict[int, list[ScheduleDose]] = defaultdict(list)
        for sd in ScheduleDose.objects.select_related("vaccine", "antigen").order_by("dose_number"):
            if sd.vaccine_id:
                by_vaccine[sd.vaccine_id].append(sd)
            else:
                by_antigen[sd.antigen_id].append(sd)
        self.by_vaccine = dict(by_vaccine)
        self.by_antigen = dict(by_antigen)
        self.antigens: dict[int, list[Antigen]] = defaultdict(list)
        through = Vaccine.antigens.through.objects.select_related("antigen").order_by(
            "antigen__code"
        )
        for row in through:
            self.antigens[row.vaccine_id].append(row.antigen)
        self._series: dict[str, Series] = {}

    def _series_of(self, key: str, doses, **kwargs) -> Series:
        if key not in self._series:
            self._series[key] = Series(doses=doses, **kwargs)
        return self._series[key]

    def series_for(self, vaccine: Vaccine) -> list[Series]:
        """The product's own schedule, or those of its antigens (by antigen code)."""
        own = self.by_vaccine.get(vaccine.pk)
        if own:
            return [self._series_of(f"v{vaccine.pk}", own, vaccine=vaccine)]
        found = []
        for antigen in self.antigens.get(vaccine.pk, []):
            doses = self.by_antigen.get(antigen.pk)
            if doses:
                found.append(self._series_of(f"a{antigen.pk}", doses, antigen=antigen))
        return found

    def counts(self, series: Series, vaccine_id: int) -> bool:
        """Whether a dose of the product ``vaccine_id`` counts in ``series``."""
        if series.vaccine is not None:
            return series.vaccine.pk == vaccine_id
        return any(a.pk == series.antigen.pk for a in self.antigens.get(vaccine_id, []))


def _dose_day(dose: Dose) -> D:
    return timezone.localdate(dose.given_at)


def client_doses(client) -> list[Dose]:
    return list(
        Dose.objects.filter(visit__client=client)
        .select_related("vaccine", "lot", "visit__store", "visit__vaccinator")
        .order_by("given_at", "pk")
    )


def forecasts_from_doses(
    dob: D, doses: list[Dose], today: D, book: ScheduleBook | None = None
) -> list[Forecast]:
    """A forecast for each series the client has started (a dose of it given)."""
    book = book or ScheduleBook()
    seen: dict[str, Series] = {}
    for dose in doses:
        for series in book.series_for(dose.vaccine):
            seen.setdefault(series.key, series)
    forecasts = []
    for series in seen.values():
        given = [(_dose_day(d), d) for d in doses if book.counts(series, d.vaccine_id)]
        forecasts.append(evaluate(series, dob, given, today))
    order = {Status.OVERDUE: 0, Status.DUE: 1, Status.NOT_YET: 2, Status.AGED_OUT: 3}
    return sorted(
        forecasts,
        key=lambda f: (order.get(f.status, 4), f.due or D.max, f.series.label),
    )


def client_forecast(client, today: D | None = None, book: ScheduleBook | None = None):
    today = today or timezone.localdate()
    return forecasts_from_doses(client.date_of_birth, client_doses(client), today, book)


@dataclass
class DoseDecision:
    """What ``check_dose`` allows: the dose's number and its schedule dose (if any)."""

    dose_number: int
    schedule_dose: ScheduleDose | None
    forecasts: list[Forecast]


def check_dose(client, vaccine: Vaccine, on: D, book: ScheduleBook | None = None) -> DoseDecision:
    """May ``client`` be given ``vaccine`` on ``on``? The dose number from the schedule, or a
    ``ValidationError`` on ``vaccine`` with the reason (too young, too soon after the last
    dose, past the age limit, series complete). A product without a schedule is numbered
    after the doses of it already given."""
    book = book or ScheduleBook()
    earlier = [d for d in client_doses(client) if _dose_day(d) <= on]
    series_list = book.series_for(vaccine)
    if not series_list:
        number = sum(1 for d in earlier if d.vaccine_id == vaccine.pk) + 1
        return DoseDecision(number, None, [])
    forecasts = []
    problems = []
    for series in series_list:
        given = [(_dose_day(d), d) for d in earlier if book.counts(series, d.vaccine_id)]
        forecast = evaluate(series, client.date_of_birth, given, on)
        forecasts.append(forecast)
        if forecast.status in (Status.COMPLETE, Status.AGED_OUT, Status.NOT_YET):
            problems.append(forecast.reason)
    if problems:
        raise ValidationError({"vaccine": problems})
    first = forecasts[0]
    return DoseDecision(first.dose_number, first.next_dose, forecasts)


# --------------------------------------------------------------------------------------------
# Reminders
# --------------------------------------------------------------------------------------------


@dataclass
class Reminder:
    client: object
    forecast: Forecast

    @property
    def due(self) -> D | None:
        return self.forecast.due


def reminders(clients, day: D, include_overdue: bool = False) -> list[Reminder]:
    """Clients (a queryset, already scoped) with a dose due on ``day``; with
    ``include_overdue``, also those whose dose was due before and is still not given."""
    clients = {c.pk: c for c in clients.filter(active=True).select_related("registered_at")}
    if not clients:
        return []
    doses_by_client: dict[int, list[Dose]] = defaultdict(list)
    rows = (
        Dose.objects.filter(visit__client_id__in=list(clients))
        .select_related("vaccine")
        .annotate(client_id=models.F("visit__client_id"))
        .order_by("given_at", "pk")
    )
    for dose in rows:
        doses_by_client[dose.client_id].append(dose)
    book = ScheduleBook()
    found = []
    for client_id, doses in doses_by_client.items():
        client = clients[client_id]
        for forecast in forecasts_from_doses(client.date_of_birth, doses, day, book):
            if forecast.due is None:
                continue
            if forecast.due == day or (
                include_overdue and forecast.status == Status.OVERDUE and forecast.due < day
            ):
                found.append(Reminder(client, forecast))
    return sorted(found, key=lambda r: (r.due, r.client.full_name, r.forecast.series.label))


REMINDER_COLUMNS = [
    gettext_lazy("Client"),
    gettext_lazy("Date of birth"),
    gettext_lazy("Guardian"),
    gettext_lazy("Phone"),
    gettext_lazy("Vaccine"),
    gettext_lazy("Dose"),
    gettext_lazy("Due date"),
    gettext_lazy("Status"),
    gettext_lazy("Registered at"),
    gettext_lazy("Client UID"),
]


def reminder_rows(found: list[Reminder]):
    for r in found:
        c = r.client
        yield [
            c.full_name,
            _d(c.date_of_birth),
            c.guardian_name,
            c.phone,
            r.forecast.series.label,
            r.forecast.dose_number,
            _d(r.due),
            r.forecast.status_label,
            c.registered_at.name,
            c.uid,
        ]


def reminder_export(found: list[Reminder], fmt: str, day: D):
    """The list for an SMS/Zalo sending tool: the phone in full (the file is for sending),
    one row per dose due."""
    return tabular.export_response(
        [str(c) for c in REMINDER_COLUMNS],
        reminder_rows(found),
        fmt,
        f"nhac-lich-tiem-{day:%Y%m%d}",
        sheet_title=_("Reminders"),
        widths=[28, 12, 28, 14, 28, 6, 12, 16, 30, 14],
    )
