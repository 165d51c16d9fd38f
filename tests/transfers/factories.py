"""Factories for the transfer tests: catalogue, needs and programmes objects made directly
(their own apps' pages are built elsewhere), transfers through the service."""

import datetime

import factory

from doha.catalog.models import Acquisition, FacilityCapability, Specialty, Technique
from doha.programmes.models import (
    NeedsSurvey,
    PartyRole,
    Programme,
    ProgrammeKind,
    ProgrammeParty,
    Side,
    SurveyResponse,
    TechniqueNeed,
)
from doha.transfers import services
from doha.transfers.models import CaseKind, TechniqueTransfer, TransferState

D = datetime.date


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["code"]

    code = "NHI"
    name = "Nhi khoa"


class TechniqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technique

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"Kỹ thuật số {n}")
    specialty = factory.SubFactory(SpecialtyFactory)
    allowed_initial = False
    allowed_basic = True
    allowed_specialised = True


class CapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FacilityCapability

    technique = factory.SubFactory(TechniqueFactory)
    since = D(2015, 1, 1)
    acquisition = Acquisition.OWN


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedsSurvey
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Khảo sát nhu cầu {n}")
    opens_on = D(2024, 3, 1)
    deadline = D(2024, 4, 30)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    survey = factory.SubFactory(SurveyFactory)


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechniqueNeed

    technique = factory.SubFactory(TechniqueFactory)


def need_for(facility, technique, survey=None, **kwargs) -> TechniqueNeed:
    """A technique need registered by ``facility`` (in its answer to ``survey``)."""
    survey = survey or SurveyFactory(organiser=facility.parent or facility)
    response, _ = SurveyResponse.objects.get_or_create(survey=survey, facility=facility)
    return NeedFactory(response=response, technique=technique, **kwargs)


def programme_between(provider, recipient, **kwargs) -> Programme:
    """An active programme with ``provider`` on the supporting and ``recipient`` on the
    receiving side."""
    defaults = {
        "title": f"Chương trình {provider.code} - {recipient.code}",
        "kind": ProgrammeKind.COOPERATION,
        "start_date": D(2024, 1, 1),
        "end_date": D(2030, 12, 31),
    }
    defaults.update(kwargs)
    programme = Programme.objects.create(**defaults)
    ProgrammeParty.objects.create(
        programme=programme, org_unit=provider, side=Side.PROVIDER, role=PartyRole.SIGNATORY
    )
    ProgrammeParty.objects.create(
        programme=programme, org_unit=recipient, side=Side.RECIPIENT, role=PartyRole.SIGNATORY
    )
    return programme


def make_transfer(provider, recipient, technique=None, date=None, **kwargs):
    """A planned transfer (planned on 2025-01-02 unless ``date`` says otherwise)."""
    technique = technique or TechniqueFactory()
    date = date or D(2025, 1, 2)
    return services.create_transfer(
        TechniqueTransfer(
            technique=technique, provider=provider, recipient=recipient, state_date=date, **kwargs
        )
    )


# The dates a transfer reaches each state in ``advance`` (a week apart from 2025-01-02).
STEP_DATES = {
    TransferState.CONTRACTED: D(2025, 1, 9),
    TransferState.TRAINING: D(2025, 1, 16),
    TransferState.SUPERVISED: D(2025, 1, 23),
    TransferState.INDEPENDENT: D(2025, 1, 30),
    TransferState.ACCEPTED: D(2025, 2, 28),
}


def advance(transfer, to_state, user=None):
    """Move ``transfer`` step by step up to ``to_state`` (recording the independent cases
    acceptance needs)."""
    while transfer.state != to_state:
        following = services.next_state(transfer)
        if following == TransferState.ACCEPTED:
            missing = transfer.min_independent_cases - transfer.cases(CaseKind.INDEPENDENT)
            if missing > 0:
                services.record_cases(
                    transfer, date=D(2025, 2, 10), kind=CaseKind.INDEPENDENT, count=missing
                )
        transfer = services.transition(transfer, following, date=STEP_DATES[following], user=user)
    return transfer
