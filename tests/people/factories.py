import datetime

import factory
from django.utils import timezone

from doha.people import services
from doha.people.models import CmeEntry, CmeSource, HealthWorker, Profession, Sex


class HealthWorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HealthWorker

    full_name = factory.Sequence(lambda n: f"Nguyễn Thị Thử {n}")
    sex = Sex.FEMALE
    birth_date = datetime.date(1985, 4, 12)
    profession = Profession.NURSE
    position = "Điều dưỡng"
    licence_number = factory.Sequence(lambda n: f"{n:06d}/BN-CCHN")
    licence_date = datetime.date(2010, 6, 1)
    phone = factory.Sequence(lambda n: f"0912{n:06d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, as the app does.
        return services.create_worker(model_class(*args, **kwargs))


class CmeEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CmeEntry

    date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    hours = 8
    source = CmeSource.EXTERNAL
    description = factory.Sequence(lambda n: f"Lớp cập nhật số {n}")
    certificate_number = ""

    @classmethod
    def _create(cls, model_class, *args, worker, **kwargs):
        return services.add_cme_entry(worker, **kwargs)
