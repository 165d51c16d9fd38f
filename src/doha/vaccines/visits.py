"""A vaccination visit: screening, doses, the 30-minute observation, adverse events.

1. ``screen``: the screening doctor fills the ministry's checklist for the client's age
   (newborn, child, adult: ``data/screening_checklists.json``, versioned); a measured fever
   answers its question by itself. A "yes" to a contraindication or a reason to postpone
   stops the visit, with the reasons written out; otherwise the client may be vaccinated.
2. ``give_dose``: vaccine, lot, site, route, vaccinator and time. The schedule gives the
   dose number and refuses a dose given too young, too soon after the last one or past the
   age limit (``schedule.check_dose``); the stock ledger refuses a lot that is not in stock
   at the point, expired or on hold (``stock.administer``); the dose is paid on the visit's
   vaccination receipt at the vaccine's price (``revenue.add_dose_payment``). All or
   nothing.
3. ``close_observation``: the client stays 30 minutes after the last dose; the visit
   cannot be closed earlier.
4. ``record_aefi``: an adverse event after a dose, with its severity; a serious one is on
   the DOH's list (``serious_aefis``) from the moment it is recorded.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from doha.core import tabular
from doha.core.scope import can, in_scope, user_scope_path
from doha.core.signals import notify_record_changed
from doha.people.models import HealthWorker
from doha.vaccines import revenue, schedule, stock
from doha.vaccines.clients import ADULT_AGE_YEARS, age_in_months, age_parts
from doha.vaccines.models import (
    Aefi,
    AefiOutcome,
    AefiSeverity,
    Client,
    Dose,
    InjectionSite,
    PaymentMethod,
    Route,
    ScreeningResult,
    StockBalance,
    Store,
    VaccinationVisit,
    Vaccine,
    VisitStatus,
)

OBSERVATION_MINUTES = 30
OBSERVATION = datetime.timedelta(minutes=OBSERVATION_MINUTES)
CHECKLIST_FILE = Path(__file__).resolve().parent / "data" / "screening_checklists.json"
BODY_TEMPERATURE = (Decimal("30"), Decimal("45"))
WEIGHT_KG = (Decimal("0.3"), Decimal("300"))
# Outcomes that make an adverse event serious whatever was ticked (WHO's definition).
SERIOUS_OUTCOMES = (AefiOutcome.DIED, AefiOutcome.HOSPITALISED, AefiOutcome.SEQUELAE)

# How long a pre-vaccination screening stays valid for giving its doses.
SCREENING_VALID_FOR = datetime.timedelta(hours=12)


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _hm(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _aware(moment):
    if moment is None:
        return None
    if timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


# --------------------------------------------------------------------------------------------
# Screening checklists
# --------------------------------------------------------------------------------------------


def _in_language(texts: dict) -> str:
    language = (get_language() or "vi").split("-")[0]
    return texts.get(language) or texts.get("vi") or next(iter(texts.values()))


@dataclass(frozen=True)
class Question:
    code: str
    effect: str  # "contraindicated" or "postpone"
    texts: tuple[tuple[str, str], ...]
    needs_note: bool = False

    @property
    def text(self) -> str:
        return _in_language(dict(self.texts))

    @property
    def stops_for_good(self) -> bool:
        return self.effect == "contraindicated"


@dataclass(frozen=True)
class Checklist:
    code: str
    group: str  # newborn, child, adult
    titles: tuple[tuple[str, str], ...]
    questions: tuple[Question, ...]
    temperature_item: str
    fever_from: Decimal
    hypothermia_to: Decimal

    @property
    def title(self) -> str:
        return _in_language(dict(self.titles))

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    def temperature_problem(self, temperature) -> str:
        """Why a measured body temperature answers the fever question, or ""."""
        if temperature is None:
            return ""
        if temperature >= self.fever_from:
            return _("Measured temperature %(t)s °C: fever (from %(limit)s °C).") % {
                "t": _decimal_text(temperature),
                "limit": _decimal_text(self.fever_from),
            }
        if temperature <= self.hypothermia_to:
            return _("Measured temperature %(t)s °C: hypothermia (up to %(limit)s °C).") % {
                "t": _decimal_text(temperature),
                "limit": _decimal_text(self.hypothermia_to),
            }
        return ""


def _decimal_text(value) -> str:
    return f"{Decimal(value):.1f}".replace(".", ",")


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, Checklist], dict[str, str]]:
    data = json.loads(CHECKLIST_FILE.read_text(encoding="utf-8"))
    by_code: dict[str, Checklist] = {}
    current: dict[str, str] = {}
    for raw in data["checklists"]:
        questions = tuple(
            Question(
                code=item["code"],
                effect=item["effect"],
                texts=(("vi", item["vi"]), ("en", item["en"])),
                needs_note=bool(item.get("needs_note")),
            )
            for item in raw["items"]
        )
        temperature = raw["temperature"]
        checklist = Checklist(
            code=raw["code"],
            group=raw["group"],
            titles=tuple(raw["title"].items()),
            questions=questions,
            temperature_item=temperature["item"],
            fever_from=Decimal(temperature["fever_from"]),
            hypothermia_to=Decimal(temperature["hypothermia_to"]),
        )
        by_code[checklist.code] = checklist
        current[checklist.group] = checklist.code  # the last version of a group is current
    return by_code, current


def checklists() -> dict[str, Checklist]:
    return _load()[0]


def get_checklist(code: str) -> Checklist:
    try:
        return checklists()[code]
    except KeyError:
        raise ValidationError(
            {"checklist": _("Unknown screening checklist %(code)s.") % {"code": code}}
        ) from None


def age_group(dob: datetime.date, on: datetime.date) -> str:
    """newborn (under 1 month), child (under 16), adult."""
    if age_in_months(dob, on) < 1:
        return "newborn"
    if age_parts(dob, on)[0] < ADULT_AGE_YEARS:
        return "child"
    return "adult"


def checklist_for(dob: datetime.date, on: datetime.date) -> Checklist:
    """The current checklist for a client born on ``dob``, screened on ``on``."""
    by_code, current = _load()
    return by_code[current[age_group(dob, on)]]


@dataclass
class Assessment:
    result: str
    contraindications: list[str]
    postponements: list[str]
    answers: dict[str, bool]

    @property
    def reasons(self) -> list[str]:
        return [*self.contraindications, *self.postponements]


def assess(checklist: Checklist, answers: dict[str, bool], temperature=None) -> Assessment:
    """The result of a filled checklist: contraindicated when any contraindication is
    answered yes, postponed when any other question is, eligible otherwise. A measured
    fever or hypothermia answers the temperature question yes."""
    answers = dict(answers)
    temperature_note = checklist.temperature_problem(temperature)
    if temperature_note and checklist.question(checklist.temperature_item):
        answers[checklist.temperature_item] = True
    contraindications, postponements = [], []
    for question in checklist.questions:
        if not answers.get(question.code):
            continue
        text = question.text
        if question.code == checklist.temperature_item and temperature_note:
            text = f"{text}. {temperature_note}"
        (contraindications if question.stops_for_good else postponements).append(text)
    if contraindications:
        result = ScreeningResult.CONTRAINDICATED
    elif postponements:
        result = ScreeningResult.POSTPONED
    else:
        result = ScreeningResult.ELIGIBLE
    return Assessment(result, contraindications, postponements, answers)


def visit_assessment(visit: VaccinationVisit) -> Assessment:
    checklist = get_checklist(visit.checklist)
    return assess(checklist, visit.screening_answers or {}, visit.temperature_c)


def stop_reasons(visit: VaccinationVisit) -> list[str]:
    """What stopped a visit at screening, in words ("Contraindicated: ...")."""
    if visit.screening_result in ("", ScreeningResult.ELIGIBLE):
        return []
    assessment = visit_assessment(visit)
    reasons = [_("Contraindicated: %(item)s") % {"item": t} for t in assessment.contraindications]
    reasons += [_("Postpone: %(item)s") % {"item": t} for t in assessment.postponements]
    return reasons


# --------------------------------------------------------------------------------------------
# Who works at a point
# --------------------------------------------------------------------------------------------


def staff_for(store: Store):
    """Active health workers of the store's unit and of the centre that supplies it."""
    units = [store.org_unit_id]
    if store.supplied_by_id:
        units.append(store.supplied_by.org_unit_id)
    return HealthWorker.objects.filter(active=True, facility_id__in=units).order_by("sort_name")


def vaccination_stores(user, action: str = "add"):
    """Active stores in the user's scope where the user may record visits."""
    prefix = user_scope_path(user)
    if prefix is None or not can(user, VaccinationVisit, action):
        return Store.objects.none()
    return (
        Store.objects.filter(active=True, org_unit__path__startswith=prefix)
        .select_related("org_unit", "supplied_by")
        .order_by("kind", "name")
    )


# --------------------------------------------------------------------------------------------
# 1. Screening
# --------------------------------------------------------------------------------------------


def _authorize(user, model, store: Store, action: str) -> None:
    if user is None:
        return
    if not can(user, model, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    if not in_scope(user, store.org_unit.path):
        raise ValidationError({"store": _("This vaccination point is outside your scope.")})


def _number(value, field: str, bounds, unit: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        errors[field] = [_("Not a number: %(value)s.") % {"value": value}]
        return None
    low, high = bounds
    if not low <= number <= high:
        errors[field] = [
            _("%(value)s %(unit)s is not plausible (between %(low)s and %(high)s).")
            % {"value": value, "unit": unit, "low": low, "high": high}
        ]
        return None
    return number


def _moment(value, field: str, errors: dict) -> datetime.datetime | None:
    moment = _aware(value) or timezone.now()
    if moment > timezone.now() + stock.FUTURE_TOLERANCE:
        errors.setdefault(field, []).append(_("The time cannot be in the future."))
    return moment


@transaction.atomic
def screen(
    client: Client,
    store: Store,
    *,
    answers: dict[str, bool | None],
    temperature_c=None,
    weight_kg=None,
    screened_by: HealthWorker | None = None,
    visited_at: datetime.datetime | None = None,
    note: str = "",
    user=None,
) -> VaccinationVisit:
    """Open a visit with its screening. A visit stopped at screening is kept (status
    "stopped", with its answers) so the reason stays on the client's record."""
    if store is None:
        raise ValidationError({"store": _("Choose the vaccination point.")})
    _authorize(user, VaccinationVisit, store, "add")
    errors: dict[str, list] = {}
    if not store.active:
        errors["store"] = [_("This vaccination point is closed.")]
    if user is not None and not in_scope(user, client.registered_at.path):
        errors["client"] = [_("This client is outside your scope.")]
    if not client.active:
        errors["client"] = [_("This client's record is retired.")]
    moment = _moment(visited_at, "visited_at", errors)
    day = timezone.localdate(moment)
    if day < client.date_of_birth:
        errors.setdefault("visited_at", []).append(_("The visit is before the client's birth."))
        day = client.date_of_birth
    checklist = checklist_for(client.date_of_birth, day)
    temperature = _number(temperature_c, "temperature_c", BODY_TEMPERATURE, "°C", errors)
    weight = _number(weight_kg, "weight_kg", WEIGHT_KG, "kg", errors)
    clean_answers: dict[str, bool] = {}
    missing = []
    for question in checklist.questions:
        value = (answers or {}).get(question.code)
        if value is None:
            missing.append(question.text)
        else:
            clean_answers[question.code] = bool(value)
    if missing:
        errors["screening_answers"] = [
            _("Answer every question of the checklist; not answered: %(items)s")
            % {"items": "; ".join(missing)}
        ]
    unknown = set(answers or {}) - {q.code for q in checklist.questions}
    if unknown:
        errors.setdefault("screening_answers", []).append(
            _("Not questions of %(checklist)s: %(codes)s")
            % {"checklist": checklist.title, "codes": ", ".join(sorted(unknown))}
        )
    note = (note or "").strip()
    for question in checklist.questions:
        if question.needs_note and clean_answers.get(question.code) and not note:
            errors.setdefault("screening_note", []).append(
                _("Write down the other reason (%(item)s).") % {"item": question.text}
            )
    if screened_by is None:
        errors["screened_by"] = [_("Choose the screening doctor.")]
    elif not staff_for(store).filter(pk=screened_by.pk).exists():
        errors["screened_by"] = [
            _("%(worker)s does not work at %(store)s or its centre.")
            % {"worker": screened_by, "store": store}
        ]
    if errors:
        raise ValidationError(errors)
    assessment = assess(checklist, clean_answers, temperature)
    visit = VaccinationVisit(
        client=client,
        store=store,
        visited_at=moment,
        checklist=checklist.code,
        screening_answers=assessment.answers,
        temperature_c=temperature,
        weight_kg=weight,
        screening_result=assessment.result,
        screening_note=note,
        screened_by=screened_by,
        status=(
            VisitStatus.SCREENING
            if assessment.result == ScreeningResult.ELIGIBLE
            else VisitStatus.STOPPED
        ),
    )
    visit.save()
    return visit


# --------------------------------------------------------------------------------------------
# 2. Doses
# --------------------------------------------------------------------------------------------


@dataclass
class LotOption:
    lot: object
    available: int
    problem: str | None
    suggested: bool = False


def lot_options(store: Store, vaccine: Vaccine | None, on: datetime.date) -> list[LotOption]:
    """The lots with doses at the store (of ``vaccine``, or of every vaccine), first expiry
    first; an expired lot or a lot on hold carries the reason it cannot be given; the first
    usable lot is the suggestion (FEFO)."""
    balances = (
        StockBalance.objects.filter(store=store, quantity__gt=0)
        .select_related("lot", "lot__vaccine")
        .order_by("lot__vaccine__name", "lot__expiry_date", "lot__lot_number")
    )
    if vaccine is not None:
        balances = balances.filter(lot__vaccine=vaccine)
    options = []
    suggested_for: set[int] = set()
    for balance in balances:
        problem = stock.unusable_reason(store, balance.lot, on)
        option = LotOption(balance.lot, balance.quantity, problem)
        if problem is None and balance.lot.vaccine_id not in suggested_for:
            option.suggested = True
            suggested_for.add(balance.lot.vaccine_id)
        options.append(option)
    return options


def _dose_errors(exc: ValidationError, rename: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({rename.get(k, k): v for k, v in exc.message_dict.items()})


def give_dose(
    visit: VaccinationVisit,
    *,
    vaccine: Vaccine | None,
    lot,
    site: str,
    vaccinator: HealthWorker | None,
    given_at: datetime.datetime | None = None,
    route: str = "",
    payment_method: str = PaymentMethod.CASH,
    user=None,
) -> Dose:
    """Give a dose at the visit (see the module's docstring); the observation restarts."""
    store = visit.store
    _authorize(user, Dose, store, "add")
    with transaction.atomic():
        visit = (
            VaccinationVisit.objects.select_for_update(of=("self",))
            .select_related("client", "store", "store__org_unit", "store__supplied_by")
            .get(pk=visit.pk)
        )
        if visit.status == VisitStatus.STOPPED:
            raise ValidationError(
                {
                    "visit": [_("The screening stopped this visit; no dose can be given.")]
                    + stop_reasons(visit)
                }
            )
        if visit.status == VisitStatus.COMPLETED:
            raise ValidationError(
                {"visit": _("This visit is closed; open a new visit with its own screening.")}
            )
        errors: dict[str, list] = {}
        moment = _moment(given_at, "given_at", errors)
        if moment < visit.visited_at:
            errors.setdefault("given_at", []).append(
                _("A dose is given after the screening (%(time)s).")
                % {"time": _local(visit.visited_at)}
            )
        elif moment - visit.visited_at > SCREENING_VALID_FOR:
            # The screening answers the client's state now: a dose long after it (a later
            # session) needs a new screening. A session may run past midnight.
            errors.setdefault("given_at", []).append(
                _("A dose is given within %(hours)s hours of its screening (%(time)s).")
                % {
                    "hours": int(SCREENING_VALID_FOR.total_seconds() // 3600),
                    "time": _local(visit.visited_at),
                }
            )
        if vaccine is None:
            errors["vaccine"] = [_("Choose the vaccine.")]
        elif not vaccine.active:
            errors["vaccine"] = [_("This vaccine is no longer in the catalogue.")]
        if lot is None:
            errors["lot"] = [_("Choose the lot.")]
        elif vaccine is not None and lot.vaccine_id != vaccine.pk:
            errors["lot"] = [
                _("Lot %(lot)s is a lot of %(other)s, not of %(vaccine)s.")
                % {"lot": lot.lot_number, "other": lot.vaccine, "vaccine": vaccine}
            ]
        if site not in InjectionSite.values:
            errors["site"] = [_("Choose the injection site.")]
        route = route or (vaccine.route if vaccine is not None else "")
        if route not in Route.values:
            errors["route"] = [_("Choose the route.")]
        if vaccinator is None:
            errors["vaccinator"] = [_("Choose the vaccinator.")]
        elif not staff_for(store).filter(pk=vaccinator.pk).exists():
            errors["vaccinator"] = [
                _("%(worker)s does not work at %(store)s or its centre.")
                % {"worker": vaccinator, "store": store}
            ]
        if payment_method not in PaymentMethod.values:
            errors["payment_method"] = [_("Choose the payment method.")]
        if errors:
            raise ValidationError(errors)
        decision = schedule.check_dose(visit.client, vaccine, timezone.localdate(moment))
        dose = Dose(
            visit=visit,
            vaccine=vaccine,
            lot=lot,
            dose_number=decision.dose_number,
            schedule_dose=decision.schedule_dose,
            site=site,
            route=route,
            given_at=moment,
        )
        dose.save()
        try:
            stock.administer(
                store, lot, dose=dose, occurred_at=moment, user=user, reference=visit.uid
            )
        except ValidationError as exc:
            raise _dose_errors(exc, {"occurred_at": "given_at", "quantity": "lot"}) from exc
        revenue.add_dose_payment(visit, dose, payment_method=payment_method, user=user)
        visit.status = VisitStatus.VACCINATED
        visit.vaccinator = vaccinator
        if visit.observation_started_at is None or moment > visit.observation_started_at:
            visit.observation_started_at = moment
        visit.observation_ended_at = None
        visit.save()
        # The unit's doses by antigen (and its AEFI figures, zeros included) of the month.
        notify_record_changed(Dose, store.org_unit, moment)
        return dose


# --------------------------------------------------------------------------------------------
# 3. Observation
# --------------------------------------------------------------------------------------------


def observation_ends_at(visit: VaccinationVisit) -> datetime.datetime | None:
    """The earliest time the observation may end: 30 minutes after the last dose."""
    if visit.observation_started_at is None:
        return None
    return visit.observation_started_at + OBSERVATION


@transaction.atomic
def close_observation(
    visit: VaccinationVisit,
    *,
    ended_at: datetime.datetime | None = None,
    note: str = "",
    user=None,
) -> VaccinationVisit:
    """End the observation and the visit, no earlier than 30 minutes after the last dose."""
    _authorize(user, VaccinationVisit, visit.store, "change")
    visit = VaccinationVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status != VisitStatus.VACCINATED:
        raise ValidationError(
            {"observation_ended_at": _("Only a client under observation after a dose can leave.")}
        )
    errors: dict[str, list] = {}
    moment = _moment(ended_at, "observation_ended_at", errors)
    earliest = observation_ends_at(visit)
    if moment < earliest:
        errors.setdefault("observation_ended_at", []).append(
            _(
                "The observation lasts %(minutes)s minutes after the last dose (given at "
                "%(given)s): it can end from %(earliest)s."
            )
            % {
                "minutes": OBSERVATION_MINUTES,
                "given": _hm(visit.observation_started_at),
                "earliest": _hm(earliest),
            }
        )
    if errors:
        raise ValidationError(errors)
    visit.observation_ended_at = moment
    visit.observation_note = (note or "").strip()
    visit.status = VisitStatus.COMPLETED
    visit.save()
    return visit


# --------------------------------------------------------------------------------------------
# 4. Adverse events
# --------------------------------------------------------------------------------------------


def _check_aefi(aefi: Aefi, errors: dict) -> None:
    if aefi.severity not in AefiSeverity.values:
        errors["severity"] = [_("Choose the severity.")]
    if aefi.outcome not in AefiOutcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    elif aefi.outcome in SERIOUS_OUTCOMES and aefi.severity != AefiSeverity.SERIOUS:
        errors.setdefault("severity", []).append(
            _("An event that ends in %(outcome)s is a serious event.")
            % {"outcome": AefiOutcome(aefi.outcome).label.lower()}
        )
    if not (aefi.symptoms or "").strip():
        errors["symptoms"] = [_("Describe the symptoms.")]


@transaction.atomic
def record_aefi(
    dose: Dose,
    *,
    onset_at: datetime.datetime | None,
    severity: str,
    symptoms: str,
    treatment: str = "",
    outcome: str = AefiOutcome.UNKNOWN,
    user=None,
) -> Aefi:
    """An adverse event after ``dose``; a serious one is reported to the DOH at once (it is
    on the DOH's list of serious events from now)."""
    store = dose.visit.store
    _authorize(user, Aefi, store, "add")
    errors: dict[str, list] = {}
    if onset_at is None:
        errors["onset_at"] = [_("Give the time the event began.")]
        moment = None
    else:
        moment = _moment(onset_at, "onset_at", errors)
        if moment < dose.given_at:
            errors.setdefault("onset_at", []).append(
                _("The event began before the dose was given (%(time)s).")
                % {"time": _local(dose.given_at)}
            )
    aefi = Aefi(
        dose=dose,
        onset_at=moment,
        severity=severity,
        symptoms=(symptoms or "").strip(),
        treatment=(treatment or "").strip(),
        outcome=outcome or AefiOutcome.UNKNOWN,
        reported_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _check_aefi(aefi, errors)
    if errors:
        raise ValidationError(errors)
    if aefi.severity == AefiSeverity.SERIOUS:
        aefi.reported_to_doh_at = timezone.now()
    aefi.save()
    notify_record_changed(Aefi, store.org_unit, aefi.onset_at)
    return aefi


@transaction.atomic
def update_aefi(aefi: Aefi, *, severity: str, outcome: str, treatment: str = "", user=None) -> Aefi:
    """Follow an event up: its outcome, treatment, and severity (an event that turns out
    serious is reported to the DOH then)."""
    _authorize(user, Aefi, aefi.dose.visit.store, "change")
    aefi = Aefi.objects.select_for_update().get(pk=aefi.pk)
    aefi.severity = severity
    aefi.outcome = outcome
    aefi.treatment = (treatment or "").strip()
    errors: dict[str, list] = {}
    _check_aefi(aefi, errors)
    if errors:
        raise ValidationError(errors)
    if aefi.severity == AefiSeverity.SERIOUS and aefi.reported_to_doh_at is None:
        aefi.reported_to_doh_at = timezone.now()
    aefi.save()
    notify_record_changed(Aefi, aefi.dose.visit.store.org_unit, aefi.onset_at)
    return aefi


def serious_aefis(user):
    """Serious adverse events in the user's scope, most recent first (the DOH's list)."""
    return (
        Aefi.objects.restrict(user, "view")
        .filter(severity=AefiSeverity.SERIOUS)
        .select_related(
            "dose__vaccine", "dose__lot", "dose__visit__client", "dose__visit__store__org_unit"
        )
        .order_by("-onset_at", "-pk")
    )


def serious_aefi_alert(user, days: int = 30) -> int:
    """How many serious adverse events began in the last ``days`` days in the user's scope
    (the home page's flag)."""
    since = timezone.now() - datetime.timedelta(days=days)
    return serious_aefis(user).filter(onset_at__gte=since).count()


# --------------------------------------------------------------------------------------------
# Filtersets and exports (pages and API)
# --------------------------------------------------------------------------------------------


def _scope_stores(request):
    prefix = user_scope_path(getattr(request, "user", None))
    if prefix is None:
        return Store.objects.none()
    return Store.objects.filter(org_unit__path__startswith=prefix).order_by("name")


def _date_widget():
    return forms.DateInput(attrs={"type": "date"})


class _DayRange(django_filters.FilterSet):
    """``date_from``/``date_to`` on a date-time field, as local days."""

    moment_field = ""

    def filter_from(self, queryset, name, value):
        start = datetime.datetime.combine(
            value, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        return queryset.filter(**{f"{self.moment_field}__gte": start})

    def filter_to(self, queryset, name, value):
        end = datetime.datetime.combine(
            value + datetime.timedelta(days=1),
            datetime.time.min,
            tzinfo=timezone.get_current_timezone(),
        )
        return queryset.filter(**{f"{self.moment_field}__lt": end})


class VisitFilterSet(_DayRange):
    moment_field = "visited_at"

    q = django_filters.CharFilter(label=gettext_lazy("Client's name"), method="filter_q")
    client = django_filters.CharFilter(label=gettext_lazy("Client (UID)"), field_name="client__uid")
    store = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Vaccination point"), queryset=_scope_stores, to_field_name="uid"
    )
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=VisitStatus.choices)
    screening_result = django_filters.ChoiceFilter(
        label=gettext_lazy("Screening result"), choices=ScreeningResult.choices
    )
    date_from = django_filters.DateFilter(
        label=gettext_lazy("From"), method="filter_from", widget=_date_widget()
    )
    date_to = django_filters.DateFilter(
        label=gettext_lazy("To"), method="filter_to", widget=_date_widget()
    )

    class Meta:
        model = VaccinationVisit
        fields = ["q", "client", "store", "status", "screening_result", "date_from", "date_to"]

    def filter_q(self, queryset, name, value):
        from doha.core.text import search_terms

        for term in search_terms(value):
            queryset = queryset.filter(
                Q(client__search_text__startswith=term)
                | Q(client__search_text__contains=f" {term}")
            )
        return queryset


class AefiFilterSet(_DayRange):
    moment_field = "onset_at"

    severity = django_filters.ChoiceFilter(
        label=gettext_lazy("Severity"), choices=AefiSeverity.choices
    )
    outcome = django_filters.ChoiceFilter(
        label=gettext_lazy("Outcome"), choices=AefiOutcome.choices
    )
    store = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Vaccination point"),
        queryset=_scope_stores,
        to_field_name="uid",
        field_name="dose__visit__store",
    )
    vaccine = django_filters.CharFilter(
        label=gettext_lazy("Vaccine (code)"), field_name="dose__vaccine__code"
    )
    date_from = django_filters.DateFilter(
        label=gettext_lazy("Onset from"), method="filter_from", widget=_date_widget()
    )
    date_to = django_filters.DateFilter(
        label=gettext_lazy("Onset to"), method="filter_to", widget=_date_widget()
    )

    class Meta:
        model = Aefi
        fields = ["severity", "outcome", "store", "vaccine", "date_from", "date_to"]


VISIT_COLUMNS = [
    gettext_lazy("Visit UID"),
    gettext_lazy("Time"),
    gettext_lazy("Vaccination point"),
    gettext_lazy("Client"),
    gettext_lazy("Year of birth"),
    gettext_lazy("Checklist"),
    gettext_lazy("Screening result"),
    gettext_lazy("Status"),
    gettext_lazy("Doses"),
    gettext_lazy("Vaccinator"),
    gettext_lazy("Observation ended"),
]


def visit_export(queryset, fmt: str):
    queryset = queryset.select_related("client", "store", "vaccinator").prefetch_related(
        "doses__vaccine"
    )

    def rows():
        for v in queryset:
            yield [
                v.uid,
                _local(v.visited_at),
                v.store.name,
                v.client.full_name,
                v.client.date_of_birth.year,
                v.checklist,
                v.get_screening_result_display(),
                v.get_status_display(),
                "; ".join(
                    _("%(vaccine)s dose %(n)s") % {"vaccine": d.vaccine.name, "n": d.dose_number}
                    for d in v.doses.all()
                ),
                str(v.vaccinator or ""),
                _local(v.observation_ended_at) if v.observation_ended_at else "",
            ]

    return tabular.export_response(
        [str(c) for c in VISIT_COLUMNS],
        rows(),
        fmt,
        "luot-tiem-chung",
        sheet_title=_("Vaccination visits"),
        widths=[14, 17, 26, 28, 8, 20, 20, 22, 40, 24, 17],
    )


AEFI_COLUMNS = [
    gettext_lazy("UID"),
    gettext_lazy("Onset"),
    gettext_lazy("Severity"),
    gettext_lazy("Outcome"),
    gettext_lazy("Client"),
    gettext_lazy("Year of birth"),
    gettext_lazy("Vaccine"),
    gettext_lazy("Dose"),
    gettext_lazy("Lot"),
    gettext_lazy("Given at"),
    gettext_lazy("Vaccination point"),
    gettext_lazy("Symptoms"),
    gettext_lazy("Treatment"),
    gettext_lazy("Reported to the DOH"),
]


def aefi_export(queryset, fmt: str):
    queryset = queryset.select_related(
        "dose__vaccine", "dose__lot", "dose__visit__client", "dose__visit__store"
    )

    def rows():
        for a in queryset:
            dose = a.dose
            yield [
                a.uid,
                _local(a.onset_at),
                a.get_severity_display(),
                a.get_outcome_display(),
                dose.visit.client.full_name,
                dose.visit.client.date_of_birth.year,
                dose.vaccine.name,
                dose.dose_number,
                dose.lot.lot_number,
                _local(dose.given_at),
                dose.visit.store.name,
                a.symptoms,
                a.treatment,
                _local(a.reported_to_doh_at) if a.reported_to_doh_at else "",
            ]

    return tabular.export_response(
        [str(c) for c in AEFI_COLUMNS],
        rows(),
        fmt,
        "phan-ung-sau-tiem",
        sheet_title=_("Adverse events"),
        widths=[14, 17, 14, 18, 28, 8, 24, 6, 12, 17, 26, 40, 30, 17],
    )
