"""Business rules of the technique catalogue and the facility capability register.

Pages, the REST API, imports and management commands all go through these functions.
A capability is retired (``active=False`` with the date it stopped), never deleted: transfers
and needs surveys refer to it, and its yearly volumes stay readable.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.catalog.chapters import CHAPTERS, chapter_code
from doha.catalog.models import (
    Acquisition,
    CapabilityVolume,
    FacilityCapability,
    Specialty,
    Technique,
)
from doha.core.scope import can, user_scope_path
from doha.orgunits.models import FacilityType, OrgUnit

# Health authorities do not perform techniques: they never have a capability register.
NOT_PERFORMING = (FacilityType.MINISTRY, FacilityType.DOH)
FIRST_YEAR = 1990


# Catalogue ----------------------------------------------------------------------------------


def ensure_chapters() -> int:
    """Create the specialties of the ministry's chapters that are missing; names of existing
    specialties are left as their users set them. Returns how many were created."""
    existing = set(Specialty.objects.values_list("code", flat=True))
    created = 0
    for number, name in CHAPTERS:
        code = chapter_code(number)
        if code in existing:
            continue
        Specialty.objects.create(code=code, name=name, order=number, is_official=True)
        created += 1
    return created


@transaction.atomic
def save_specialty(specialty: Specialty) -> Specialty:
    specialty.full_clean()
    specialty.save()
    return specialty


@transaction.atomic
def save_technique(technique: Technique) -> Technique:
    technique.full_clean()
    technique.save()
    return technique


# Capability register ------------------------------------------------------------------------


def facilities_for(user, action: str = "add"):
    """Active facilities whose capability register the user may ``action`` (add, change):
    their own unit and the units below it, health authorities left out."""
    prefix = user_scope_path(user)
    if prefix is None or not can(user, FacilityCapability, action):
        return OrgUnit.objects.none()
    return (
        OrgUnit.objects.filter(active=True, path__startswith=prefix)
        .exclude(facility_type__in=NOT_PERFORMING)
        .order_by("sort_name")
    )


def _check_facility(facility: OrgUnit):
    if facility.facility_type in NOT_PERFORMING:
        raise ValidationError(
            {"facility": _("A health authority does not perform techniques: choose a facility.")}
        )
    if not facility.active:
        raise ValidationError({"facility": _("This facility is retired.")})


@transaction.atomic
def add_capability(
    facility: OrgUnit,
    technique: Technique,
    since: datetime.date | None = None,
    acquisition: str = Acquisition.OWN,
    note: str = "",
) -> FacilityCapability:
    """Register that ``facility`` performs ``technique``."""
    _check_facility(facility)
    if not technique.active:
        raise ValidationError({"technique": _("This technique is retired from the catalogue.")})
    existing = FacilityCapability.objects.filter(facility=facility, technique=technique).first()
    if existing is not None:
        if existing.active:
            message = _("%(facility)s already performs this technique.")
        else:
            message = _(
                "%(facility)s stopped performing this technique: open it in the register "
                "and perform it again instead of adding it twice."
            )
        raise ValidationError({"technique": message % {"facility": facility}})
    capability = FacilityCapability(
        facility=facility, technique=technique, since=since, acquisition=acquisition, note=note
    )
    capability.full_clean()
    capability.save()
    return capability


@transaction.atomic
def update_capability(capability: FacilityCapability) -> FacilityCapability:
    """Save edits of since, acquired by and note (facility and technique never change)."""
    stored = FacilityCapability.objects.get(pk=capability.pk)
    if (stored.facility_id, stored.technique_id) != (
        capability.facility_id,
        capability.technique_id,
    ):
        raise ValidationError(
            _("The facility and the technique of a capability cannot change: add a new one.")
        )
    first_volume = capability.volumes.order_by("year").values_list("year", flat=True).first()
    if capability.since and first_volume and capability.since.year > first_volume:
        raise ValidationError(
            {
                "since": _("Cases are recorded for %(year)s, before this date.")
                % {"year": first_volume}
            }
        )
    capability.full_clean()
    capability.save()
    return capability


@transaction.atomic
def retire_capability(
    capability: FacilityCapability, date: datetime.date | None = None
) -> FacilityCapability:
    """The facility no longer performs the technique, from ``date`` (today by default)."""
    if not capability.active:
        raise ValidationError(_("This capability is already retired."))
    capability.active = False
    capability.until = date or timezone.localdate()
    capability.full_clean()
    capability.save()
    return capability


@transaction.atomic
def reactivate_capability(capability: FacilityCapability) -> FacilityCapability:
    if capability.active:
        return capability
    _check_facility(capability.facility)
    capability.active = True
    capability.until = None
    capability.save()
    return capability


@transaction.atomic
def record_transfer_in(
    facility: OrgUnit, technique: Technique, since: datetime.date
) -> FacilityCapability:
    """A technique transfer made ``facility`` able to perform ``technique`` from ``since``:
    add it to the register as received by transfer, or perform it again if it was retired.
    A facility that already performs it keeps its record."""
    capability = FacilityCapability.objects.filter(facility=facility, technique=technique).first()
    if capability is None:
        return add_capability(facility, technique, since, Acquisition.TRANSFER_IN)
    if not capability.active:
        capability.acquisition = Acquisition.TRANSFER_IN
        capability.since = since
        capability.save()
        return reactivate_capability(capability)
    return capability


@transaction.atomic
def record_volume(
    capability: FacilityCapability, year: int, cases: int
) -> tuple[CapabilityVolume, bool]:
    """Set the number of cases performed in ``year`` (recording a year again corrects it).
    Returns the volume and whether it was new."""
    this_year = timezone.localdate().year
    if year < FIRST_YEAR or year > this_year:
        raise ValidationError(
            {
                "year": _("The year must be between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": this_year}
            }
        )
    if cases is None or cases < 0:
        raise ValidationError({"cases": _("The number of cases cannot be negative.")})
    if capability.since and year < capability.since.year:
        raise ValidationError(
            {
                "year": _("The facility performs this technique only since %(date)s.")
                % {"date": capability.since.strftime("%d/%m/%Y")}
            }
        )
    if capability.until and year > capability.until.year:
        raise ValidationError(
            {
                "year": _("The facility stopped performing this technique on %(date)s.")
                % {"date": capability.until.strftime("%d/%m/%Y")}
            }
        )
    volume = CapabilityVolume.objects.filter(capability=capability, year=year).first()
    created = volume is None
    if created:
        volume = CapabilityVolume(capability=capability, year=year, cases=cases)
    elif volume.cases == cases:
        return volume, False
    volume.cases = cases
    volume.full_clean()
    volume.save()
    return volume, created
