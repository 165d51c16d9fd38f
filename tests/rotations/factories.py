"""Factories for the rotation tests: workers made directly (their pages are built
elsewhere), rotations through the service."""

import datetime

import factory

from doha.people.models import HealthWorker, Profession
from doha.rotations import services
from doha.rotations.models import Rotation, RotationKind
from tests.transfers.factories import TechniqueFactory, programme_between  # noqa: F401

D = datetime.date


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HealthWorker

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {n}")
    profession = Profession.DOCTOR


def make_rotation(worker, to_facility, start=None, end=None, **kwargs) -> Rotation:
    """A planned rotation of ``worker`` from their facility (4 months from 2024-01-01 unless
    said otherwise)."""
    start = start or D(2024, 1, 1)
    end = end or services.add_months(start, 4) - datetime.timedelta(days=1)
    techniques = kwargs.pop("techniques", None)
    kwargs.setdefault("kind", RotationKind.SECONDMENT)
    return services.create_rotation(
        Rotation(worker=worker, to_facility=to_facility, start=start, end=end, **kwargs),
        techniques=techniques,
    )
