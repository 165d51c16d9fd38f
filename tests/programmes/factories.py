"""Factories of the programmes tests: catalogue rows, surveys, answers, assessments and
programmes. Surveys and programmes are made through the services, as the app makes them."""

import datetime

import factory
from django.utils import timezone

from doha.catalog.models import Specialty, Technique
from doha.programmes import services
from doha.programmes.models import (
    Assessment,
    ContentArea,
    NeedsSurvey,
    PartyRole,
    Programme,
    ProgrammeArea,
    ProgrammeKind,
    ProgrammeParty,
    Side,
    SurveyResponse,
    TechniqueNeed,
)


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"SP{n:02d}")
    name = factory.Sequence(lambda n: f"Chuyên khoa {n}")
    order = factory.Sequence(int)


class TechniqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technique
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"Kỹ thuật số {n}")
    specialty = factory.SubFactory(SpecialtyFactory)
    allowed_basic = True
    allowed_specialised = True
    is_official = False


def today():
    return timezone.localdate()


class SurveyFactory(factory.django.DjangoModelFactory):
    """``facilities=[...]`` are asked; the survey is open until ``deadline`` (in 30 days)."""

    class Meta:
        model = NeedsSurvey
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Khảo sát nhu cầu số {n}")
    opens_on = factory.LazyFunction(lambda: today() - datetime.timedelta(days=10))
    deadline = factory.LazyFunction(lambda: today() + datetime.timedelta(days=30))

    @classmethod
    def _create(cls, model_class, *args, facilities=(), **kwargs):
        return services.open_survey(model_class(*args, **kwargs), facilities)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    contact = "Phòng Kế hoạch tổng hợp"


class TechniqueNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechniqueNeed

    technique = factory.SubFactory(TechniqueFactory)
    people_to_train = 2


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    date = factory.LazyFunction(today)
    staff_score = 5
    equipment_score = 4
    infrastructure_score = 6


def party(unit, side, role=PartyRole.SIGNATORY, **kwargs):
    return ProgrammeParty(org_unit=unit, side=side, role=role, **kwargs)


def make_programme(provider, recipient, *, areas=(ContentArea.TRAINING,), items=(), **fields):
    """A programme between two units (both signatories), through the service."""
    defaults = {
        "title": f"Chương trình hỗ trợ {recipient.name}",
        "kind": ProgrammeKind.SUPPORT_PLAN,
        "start_date": datetime.date(2022, 1, 1),
        "end_date": datetime.date(2023, 12, 31),
    }
    defaults.update(fields)
    return services.create_programme(
        Programme(**defaults),
        parties=[party(provider, Side.PROVIDER), party(recipient, Side.RECIPIENT)],
        areas=[ProgrammeArea(area=a) for a in areas],
        items=list(items),
    )
