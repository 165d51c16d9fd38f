import factory

from doha.catalog import services
from doha.catalog.models import Acquisition, FacilityCapability, Specialty, Technique


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{n + 40:02d}")
    name = factory.Sequence(lambda n: f"Chuyên khoa {n}")
    order = factory.Sequence(lambda n: n + 40)


class TechniqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technique

    code = factory.Sequence(lambda n: f"T.{n:04d}")
    name = factory.Sequence(lambda n: f"Kỹ thuật thử số {n}")
    specialty = factory.SubFactory(SpecialtyFactory)
    allowed_basic = True
    allowed_specialised = True
    is_official = False
    source = "Thử nghiệm"


class CapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FacilityCapability

    technique = factory.SubFactory(TechniqueFactory)
    since = None
    acquisition = Acquisition.OWN

    @classmethod
    def _create(cls, model_class, *args, facility, technique, since=None, **kwargs):
        # Through the service, as the app does.
        return services.add_capability(
            facility, technique, since, kwargs.get("acquisition", Acquisition.OWN)
        )
