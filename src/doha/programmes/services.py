"""Business rules of needs surveys, assessments of conditions and programmes.

Pages, the REST API, imports and management commands all go through these functions. Each
one checks the record's own rules (``full_clean``), the rules between records (a response only
from a facility the survey asked, an item only in one of the programme's areas and inside its
period ...) and, when a ``user`` is given, that the records it touches are inside the user's
scope; then it writes everything in one transaction or nothing. Errors are ``ValidationError``
naming the field (``{"deadline": [...]}``) so forms and the API show them where they belong.

Functions that depend on the date take ``today`` (default: the local date) so that a past
scenario can be recorded, and tested, as it happened.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.core.scope import can, in_scope
from doha.orgunits.models import OrgUnit
from doha.programmes.models import (
    Assessment,
    EquipmentNeed,
    ItemStatus,
    NeedsSurvey,
    NeedStatus,
    Programme,
    ProgrammeArea,
    ProgrammeItem,
    ProgrammeParty,
    ProgrammeStatus,
    ResponseStatus,
    Side,
    SpecialtyCapacity,
    SurveyResponse,
    SurveyStatus,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingNeed,
)

# The four kinds of needs a response holds: keyword of ``save_response`` -> model.
NEED_KINDS = {
    "technique_needs": TechniqueNeed,
    "training_needs": TrainingNeed,
    "teleconsult_needs": TeleconsultNeed,
    "equipment_needs": EquipmentNeed,
}


def _d(date: datetime.date) -> str:
    return date.strftime("%d/%m/%Y")


def _today(today):
    return today or timezone.localdate()


def _merge(errors: dict, exc: ValidationError, prefix: str | None = None):
    """Collect a child's errors under the collection's key (``items``), or the field's own."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            key = prefix or (field if field != NON_FIELD_ERRORS else NON_FIELD_ERRORS)
            errors.setdefault(key, []).extend(messages)
    else:
        errors.setdefault(prefix or NON_FIELD_ERRORS, []).extend(exc.messages)


def _child_error(label: str, exc: ValidationError) -> list[str]:
    """ "Item 3: The end is before the start." for a child's own errors."""
    return [_("%(row)s: %(message)s") % {"row": label, "message": m} for m in exc.messages]


def _in_user_scope(user, unit: OrgUnit | None) -> bool:
    return user is None or (unit is not None and in_scope(user, unit.path))


def _require_role(user, model, action):
    if user is not None and not can(user, model, action):
        raise ValidationError(_("Your role does not allow this action."))


# ---------------------------------------------------------------- needs surveys


def facilities_under(unit: OrgUnit, facility_types: Iterable[str] = (), *, include_self=False):
    """All active facilities of the given types (any type when none) under ``unit``."""
    qs = OrgUnit.objects.filter(active=True, path__startswith=unit.path)
    if not include_self:
        qs = qs.exclude(pk=unit.pk)
    facility_types = [t for t in facility_types if t]
    if facility_types:
        qs = qs.filter(facility_type__in=facility_types)
    return qs.order_by("sort_name")


def _survey_facilities(facilities, under, facility_types) -> list[OrgUnit]:
    chosen = {u.pk: u for u in facilities or ()}
    if under is not None:
        for unit in facilities_under(under, facility_types):
            chosen.setdefault(unit.pk, unit)
    return list(chosen.values())


def _check_survey(survey: NeedsSurvey, today: datetime.date):
    survey.full_clean(exclude=["facilities"])
    if survey.status == SurveyStatus.OPEN and survey.deadline < today:
        raise ValidationError(
            {
                "deadline": _(
                    "The deadline %(date)s has passed: give a later deadline, "
                    "or record the survey as closed."
                )
                % {"date": _d(survey.deadline)}
            }
        )


def _check_survey_scope(user, survey: NeedsSurvey, facilities: list[OrgUnit]):
    """The organiser, or else every facility asked, must be inside the user's scope: a
    hospital surveys units anywhere in its network; a DOH records a survey an upper-level
    hospital runs in its province."""
    if user is None or _in_user_scope(user, survey.organiser):
        return
    if facilities and all(_in_user_scope(user, f) for f in facilities):
        return
    raise ValidationError(
        {
            "organiser": _(
                "The organiser is outside your scope: you may only record a survey it runs "
                "when every facility asked is inside your scope."
            )
        }
    )


@transaction.atomic
def open_survey(
    survey: NeedsSurvey,
    facilities: Iterable[OrgUnit] = (),
    *,
    under: OrgUnit | None = None,
    facility_types: Iterable[str] = (),
    user=None,
    today: datetime.date | None = None,
) -> NeedsSurvey:
    """Create a survey asking the chosen facilities and/or every active facility of the
    given types under ``under`` (a province's DOH: the whole province)."""
    _require_role(user, NeedsSurvey, "add")
    today = _today(today)
    asked = _survey_facilities(facilities, under, facility_types)
    errors = {}
    if not asked:
        errors["facilities"] = [_("Choose at least one facility to ask.")]
    retired = [f.name for f in asked if not f.active]
    if retired:
        errors["facilities"] = [
            _("These facilities are retired: %(names)s") % {"names": ", ".join(retired)}
        ]
    try:
        _check_survey(survey, today)
    except ValidationError as exc:
        _merge(errors, exc)
    if errors:
        raise ValidationError(errors)
    _check_survey_scope(user, survey, asked)
    survey.save()
    survey.facilities.set(asked)
    return survey


@transaction.atomic
def update_survey(
    survey: NeedsSurvey,
    *,
    add: Iterable[OrgUnit] = (),
    under: OrgUnit | None = None,
    facility_types: Iterable[str] = (),
    remove: Iterable[OrgUnit] = (),
    user=None,
    today: datetime.date | None = None,
) -> NeedsSurvey:
    """Save edits (title, deadline, status ...), ask more facilities, stop asking some.

    A facility that has already answered stays asked: its answer must keep its survey.
    """
    _require_role(user, NeedsSurvey, "change")
    today = _today(today)
    _check_survey(survey, today)
    remove = list(remove)
    answered = set(
        survey.responses.filter(facility__in=[u.pk for u in remove]).values_list(
            "facility__name", flat=True
        )
    )
    if answered:
        raise ValidationError(
            {
                "remove": _("These facilities have already answered: %(names)s")
                % {"names": ", ".join(sorted(answered))}
            }
        )
    added = _survey_facilities(add, under, facility_types)
    retired = [f.name for f in added if not f.active]
    if retired:
        raise ValidationError(
            {
                "facilities": _("These facilities are retired: %(names)s")
                % {"names": ", ".join(retired)}
            }
        )
    survey.save()
    if added:
        survey.facilities.add(*added)
    if remove:
        survey.facilities.remove(*remove)
    if not survey.facilities.exists():
        raise ValidationError({"remove": _("A survey must ask at least one facility.")})
    _check_survey_scope(user, survey, list(survey.facilities.all()))
    return survey


@transaction.atomic
def close_survey(survey: NeedsSurvey, *, user=None) -> NeedsSurvey:
    _require_role(user, NeedsSurvey, "change")
    survey.status = SurveyStatus.CLOSED
    survey.save(update_fields=["status", "last_updated"])
    return survey


def survey_refusal(survey: NeedsSurvey, today: datetime.date | None = None) -> str | None:
    """Why the survey takes no answers today, or None when it does."""
    today = _today(today)
    if survey.status == SurveyStatus.DRAFT:
        return _("This survey is not open yet.")
    if survey.status == SurveyStatus.CLOSED:
        return _("This survey is closed: answers are no longer accepted.")
    if today < survey.opens_on:
        return _("This survey opens on %(date)s.") % {"date": _d(survey.opens_on)}
    if today > survey.deadline:
        return _(
            "The deadline of this survey (%(date)s) has passed: answers are no longer accepted."
        ) % {"date": _d(survey.deadline)}
    return None


def _check_accepting(survey, today):
    refusal = survey_refusal(survey, today)
    if refusal:
        raise ValidationError({"survey": refusal})


def may_answer(user, survey: NeedsSurvey, facility: OrgUnit) -> bool:
    """Whether the user may register needs for ``facility`` (role and scope; dates aside)."""
    return can(user, SurveyResponse, "add") and (
        in_scope(user, facility.path) or in_scope(user, survey.organiser.path)
    )


def _need_label(need) -> str:
    if isinstance(need, TechniqueNeed):
        return str(need.technique) if need.technique_id else _("technique")
    if isinstance(need, TrainingNeed):
        return need.topic
    if isinstance(need, TeleconsultNeed):
        return str(need.specialty) if need.specialty_id else _("remote consultation")
    return need.item


def _set_needs(response: SurveyResponse, key: str, needs: list, errors: dict):
    """Validate the wanted needs of one kind; return (to_save, to_delete) or record errors."""
    model = NEED_KINDS[key]
    existing = {n.pk: n for n in model.objects.filter(response=response)} if response.pk else {}
    keep = set()
    for need in needs:
        if need.pk is not None:
            if need.pk not in existing:
                errors.setdefault(key, []).append(_("This need belongs to another response."))
                continue
            keep.add(need.pk)
        try:
            need.full_clean(exclude=["response"], validate_unique=False)
        except ValidationError as exc:
            errors.setdefault(key, []).extend(_child_error(_need_label(need), exc))
    if key == "technique_needs":
        seen = set()
        for need in needs:
            if not need.technique_id:
                continue
            if need.technique_id in seen:
                errors.setdefault(key, []).append(
                    _("The technique %(name)s is listed twice.") % {"name": need.technique}
                )
            seen.add(need.technique_id)
            if need.pk is None and not need.technique.active:
                errors.setdefault(key, []).append(
                    _("The technique %(name)s is retired from the catalogue.")
                    % {"name": need.technique}
                )
    removed = [n for pk, n in existing.items() if pk not in keep]
    for need in removed:
        if need.status != NeedStatus.OPEN:
            errors.setdefault(key, []).append(
                _("%(name)s is already %(status)s: it cannot be removed.")
                % {"name": _need_label(need), "status": need.get_status_display().lower()}
            )
    return removed


@transaction.atomic
def save_response(
    survey: NeedsSurvey,
    facility: OrgUnit,
    *,
    contact: str | None = None,
    note: str | None = None,
    technique_needs: list | None = None,
    training_needs: list | None = None,
    teleconsult_needs: list | None = None,
    equipment_needs: list | None = None,
    user=None,
    today: datetime.date | None = None,
) -> SurveyResponse:
    """Register or update a facility's answer and set its needs of each kind to exactly the
    ones given (a kind left as None keeps its needs). Only a facility the survey asked, only
    while the survey is open and not past its deadline, only before the answer is submitted.
    """
    today = _today(today)
    response = SurveyResponse.objects.filter(survey=survey, facility=facility).first()
    _require_role(user, SurveyResponse, "change" if response else "add")
    if not survey.facilities.filter(pk=facility.pk).exists():
        raise ValidationError({"facility": _("This survey did not ask this facility.")})
    if user is not None and not may_answer(user, survey, facility):
        raise ValidationError({"facility": _("This facility is outside your scope.")})
    _check_accepting(survey, today)
    if response is not None and response.status == ResponseStatus.SUBMITTED:
        raise ValidationError(
            {"status": _("This answer has been submitted: reopen it to change it.")}
        )
    response = response or SurveyResponse(survey=survey, facility=facility)
    if contact is not None:
        response.contact = contact
    if note is not None:
        response.note = note
    wanted = {
        "technique_needs": technique_needs,
        "training_needs": training_needs,
        "teleconsult_needs": teleconsult_needs,
        "equipment_needs": equipment_needs,
    }
    errors: dict[str, list] = {}
    try:
        response.full_clean(exclude=["survey", "facility"], validate_unique=False)
    except ValidationError as exc:
        _merge(errors, exc)
    removals = {}
    for key, needs in wanted.items():
        if needs is not None:
            removals[key] = _set_needs(response, key, list(needs), errors)
    if errors:
        raise ValidationError(errors)
    response.save()
    for key, removed in removals.items():
        for need in removed:
            need.delete()
        for need in wanted[key]:
            need.response = response
            need.save()
    return response


@transaction.atomic
def submit_response(response: SurveyResponse, *, user=None, today=None) -> SurveyResponse:
    _require_role(user, SurveyResponse, "change")
    if user is not None and not may_answer(user, response.survey, response.facility):
        raise ValidationError({"facility": _("This facility is outside your scope.")})
    _check_accepting(response.survey, _today(today))
    if response.status == ResponseStatus.SUBMITTED:
        raise ValidationError({"status": _("This answer has already been submitted.")})
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = timezone.now()
    response.save(update_fields=["status", "submitted_at", "last_updated"])
    return response


@transaction.atomic
def reopen_response(response: SurveyResponse, *, user=None, today=None) -> SurveyResponse:
    """Take a submitted answer back to change it: only until the deadline."""
    _require_role(user, SurveyResponse, "change")
    if user is not None and not may_answer(user, response.survey, response.facility):
        raise ValidationError({"facility": _("This facility is outside your scope.")})
    _check_accepting(response.survey, _today(today))
    if response.status != ResponseStatus.SUBMITTED:
        raise ValidationError({"status": _("This answer has not been submitted.")})
    response.status = ResponseStatus.DRAFT
    response.submitted_at = None
    response.save(update_fields=["status", "submitted_at", "last_updated"])
    return response


# ---------------------------------------------------------------- assessments


def _under_any(unit: OrgUnit, roots: Iterable[OrgUnit]) -> bool:
    return any(unit.path.startswith(root.path) for root in roots)


@transaction.atomic
def save_assessment(
    assessment: Assessment, capacities: list[SpecialtyCapacity] | None = None, *, user=None
) -> Assessment:
    """Record an assessment of conditions with its per-specialty capacity scores (0-10);
    ``capacities`` (when given) replaces the assessment's list."""
    _require_role(user, Assessment, "change" if assessment.pk else "add")
    errors: dict[str, list] = {}
    try:
        assessment.full_clean()
    except ValidationError as exc:
        _merge(errors, exc)
    if assessment.facility_id and assessment.facility_id == assessment.assessor_id:
        errors.setdefault("assessor", []).append(
            _("The assessing unit must be another unit than the facility assessed.")
        )
    if (
        assessment.response_id
        and assessment.facility_id
        and assessment.response.facility_id != assessment.facility_id
    ):
        errors.setdefault("response", []).append(
            _("This survey response is from another facility.")
        )
    if assessment.programme_id and assessment.facility_id:
        party_units = [p.org_unit for p in assessment.programme.parties.select_related("org_unit")]
        if not _under_any(assessment.facility, party_units):
            errors.setdefault("programme", []).append(
                _("The facility assessed is not a party of this programme.")
            )
    if (
        user is not None
        and assessment.facility_id
        and assessment.assessor_id
        and not (
            _in_user_scope(user, assessment.facility) or _in_user_scope(user, assessment.assessor)
        )
    ):
        errors.setdefault("facility", []).append(
            _("The facility assessed or the assessing unit must be inside your scope.")
        )
    removed = []
    if capacities is not None:
        existing = (
            {c.pk: c for c in assessment.specialties.all()} if assessment.pk is not None else {}
        )
        seen = set()
        for capacity in capacities:
            if capacity.pk is not None and capacity.pk not in existing:
                errors.setdefault("specialties", []).append(
                    _("This score belongs to another assessment.")
                )
            if capacity.specialty_id in seen:
                errors.setdefault("specialties", []).append(
                    _("The specialty %(name)s is scored twice.") % {"name": capacity.specialty}
                )
            seen.add(capacity.specialty_id)
            try:
                capacity.full_clean(exclude=["assessment"], validate_unique=False)
            except ValidationError as exc:
                label = str(capacity.specialty) if capacity.specialty_id else _("specialty")
                errors.setdefault("specialties", []).extend(_child_error(label, exc))
        keep = {c.pk for c in capacities if c.pk}
        removed = [c for pk, c in existing.items() if pk not in keep]
    if errors:
        raise ValidationError(errors)
    assessment.save()
    if capacities is not None:
        for capacity in removed:
            capacity.delete()
        for capacity in capacities:
            capacity.assessment = assessment
            capacity.save()
    return assessment


# ---------------------------------------------------------------- programmes


def _programme_children(programme, model, given):
    if given is not None:
        return list(given)
    if programme.pk is None:
        return []
    return list(model.objects.filter(programme=programme))


def _check_parties(parties, area_codes, errors, user):
    seen = set()
    for party in parties:
        label = str(party.org_unit) if party.org_unit_id else _("party")
        try:
            party.full_clean(exclude=["programme"], validate_unique=False)
        except ValidationError as exc:
            errors.setdefault("parties", []).extend(_child_error(label, exc))
            continue
        key = (party.org_unit_id, party.side, party.role, party.area)
        if key in seen:
            errors.setdefault("parties", []).append(
                _("%(unit)s is listed twice with the same side, role and area.") % {"unit": label}
            )
        seen.add(key)
        if party.area and party.area not in area_codes:
            errors.setdefault("parties", []).append(
                _("%(unit)s: the area %(area)s is not one of the programme's content areas.")
                % {"unit": label, "area": party.get_area_display()}
            )
    sides = {p.side for p in parties}
    if Side.PROVIDER not in sides or Side.RECIPIENT not in sides:
        errors.setdefault("parties", []).append(
            _("A programme needs at least one unit on each side (supporting and receiving).")
        )
    both = {p.org_unit_id for p in parties if p.side == Side.PROVIDER} & {
        p.org_unit_id for p in parties if p.side == Side.RECIPIENT
    }
    for party in parties:
        if party.org_unit_id in both:
            errors.setdefault("parties", []).append(
                _("%(unit)s cannot be on both sides.") % {"unit": party.org_unit}
            )
            both.discard(party.org_unit_id)
    if user is not None and parties and not any(_in_user_scope(user, p.org_unit) for p in parties):
        errors.setdefault("parties", []).append(
            _("At least one party must be a unit inside your scope.")
        )


def _check_items(programme, items, area_codes, party_units, errors, today):
    for item in items:
        label = _("Item %(number)s") % {"number": item.number}
        try:
            item.full_clean(exclude=["programme"], validate_unique=False)
        except ValidationError as exc:
            errors.setdefault("items", []).extend(_child_error(label, exc))
            continue
        problems = []
        if item.area not in area_codes:
            problems.append(
                _("the area %(area)s is not one of the programme's content areas.")
                % {"area": item.get_area_display()}
            )
        if (
            programme.start_date
            and programme.end_date
            and (item.planned_start < programme.start_date or item.planned_end > programme.end_date)
        ):
            problems.append(
                _("its dates must fall within the programme period (%(start)s – %(end)s).")
                % {"start": _d(programme.start_date), "end": _d(programme.end_date)}
            )
        if item.done_on and item.done_on > today:
            problems.append(_("it cannot be done on a date still to come."))
        if item.done_on and item.status != ItemStatus.DONE:
            problems.append(_("only a done item has a date it was done."))
        for unit, what in ((item.provider, _("carried out by")), (item.recipient, _("for"))):
            if unit is not None and party_units and not _under_any(unit, party_units):
                problems.append(
                    _("%(field)s: %(unit)s is neither a party nor a unit of one.")
                    % {"field": what, "unit": unit}
                )
        for problem in problems:
            errors.setdefault("items", []).append(
                _("%(row)s: %(message)s") % {"row": label, "message": problem}
            )


def _removable(model, programme, given, errors, key):
    if given is None or programme.pk is None:
        return []
    keep = {c.pk for c in given if c.pk}
    existing = {c.pk: c for c in model.objects.filter(programme=programme)}
    for child in given:
        if child.pk is not None and child.pk not in existing:
            errors.setdefault(key, []).append(_("This row belongs to another programme."))
    return [c for pk, c in existing.items() if pk not in keep]


@transaction.atomic
def save_programme(
    programme: Programme,
    *,
    parties: list[ProgrammeParty] | None = None,
    areas: list[ProgrammeArea] | None = None,
    items: list[ProgrammeItem] | None = None,
    user=None,
    today: datetime.date | None = None,
) -> Programme:
    """Create or update a programme together with its parties, content areas and items.

    Each list given replaces the programme's rows of that kind (rows with a pk are kept and
    updated, the others are removed); None keeps them. The whole is checked before anything is
    written: at least one party on each side (a programme without parties would be invisible
    to everyone), at least one content area, every item in one of the areas and inside the
    programme's period, units of the items among the parties, and one party inside the user's
    scope.
    """
    today = _today(today)
    _require_role(user, Programme, "change" if programme.pk else "add")
    if programme.pk is None and parties is None:
        parties = []
    errors: dict[str, list] = {}
    try:
        programme.full_clean()
    except ValidationError as exc:
        _merge(errors, exc)
    party_list = _programme_children(programme, ProgrammeParty, parties)
    area_list = _programme_children(programme, ProgrammeArea, areas)
    item_list = _programme_children(programme, ProgrammeItem, items)

    seen_areas = set()
    for area in area_list:
        try:
            area.full_clean(exclude=["programme"], validate_unique=False)
        except ValidationError as exc:
            errors.setdefault("areas", []).extend(_child_error(_("Content area"), exc))
        if area.area in seen_areas:
            errors.setdefault("areas", []).append(
                _("The content area %(area)s is listed twice.") % {"area": area.get_area_display()}
            )
        seen_areas.add(area.area)
    if not area_list:
        errors.setdefault("areas", []).append(_("Choose at least one content area."))

    _check_parties(party_list, seen_areas, errors, user)
    party_units = [p.org_unit for p in party_list if p.org_unit_id]
    _check_items(programme, item_list, seen_areas, party_units, errors, today)

    removed_parties = _removable(ProgrammeParty, programme, parties, errors, "parties")
    removed_areas = _removable(ProgrammeArea, programme, areas, errors, "areas")
    removed_items = _removable(ProgrammeItem, programme, items, errors, "items")
    for item in removed_items:
        if hasattr(item, "transfers") and item.transfers.exists():
            errors.setdefault("items", []).append(
                _("Item %(number)s has technique transfers: cancel it instead of removing it.")
                % {"number": item.number}
            )
    if errors:
        raise ValidationError(errors)

    programme.save()
    for child in [*removed_items, *removed_parties, *removed_areas]:
        child.delete()
    for collection in (area_list, party_list, item_list):
        for child in collection:
            child.programme = programme
            child.save()
    return programme


def create_programme(programme, *, parties, areas, items=(), user=None, today=None):
    """A new programme with its parties (at least one on each side), areas and items."""
    if programme.pk is not None:
        raise ValueError("create_programme() takes a new programme")
    return save_programme(
        programme,
        parties=list(parties),
        areas=list(areas),
        items=list(items),
        user=user,
        today=today,
    )


@transaction.atomic
def cancel_programme(programme: Programme, *, user=None) -> Programme:
    """Programmes are referred to (transfers, assessments): cancelled, never deleted."""
    _require_role(user, Programme, "retire")
    programme.status = ProgrammeStatus.CANCELLED
    programme.save(update_fields=["status", "last_updated"])
    return programme


def programme_progress(programme: Programme, today: datetime.date | None = None) -> dict:
    """Counts of the programme's items: total, by status, late, share done."""
    today = _today(today)
    items = list(programme.items.all())
    counts = {status: 0 for status in ItemStatus.values}
    for item in items:
        counts[item.status] += 1
    late = [
        i
        for i in items
        if i.status in {ItemStatus.PLANNED, ItemStatus.IN_PROGRESS} and i.planned_end < today
    ]
    countable = len(items) - counts[ItemStatus.CANCELLED]
    return {
        "total": len(items),
        "done": counts[ItemStatus.DONE],
        "in_progress": counts[ItemStatus.IN_PROGRESS],
        "planned": counts[ItemStatus.PLANNED],
        "cancelled": counts[ItemStatus.CANCELLED],
        "late": len(late),
        "late_items": late,
        # Per cent of the items not cancelled.
        "done_percent": (100 * counts[ItemStatus.DONE] / countable) if countable else None,
    }
