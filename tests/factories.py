import factory

from doha.core.permissions import Role
from doha.orgunits import services
from doha.orgunits.models import FacilityType, OrgUnit, TechnicalLevel
from doha.users.models import User

PASSWORD = "test-pass-123"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"OU{n:04d}")
    name = factory.Sequence(lambda n: f"Trạm Y tế số {n}")
    short_name = ""
    facility_type = FacilityType.COMMUNE_STATION
    technical_level = TechnicalLevel.INITIAL
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, as the app does: the hierarchy history starts with the unit.
        return services.create_org_unit(model_class(*args, **kwargs))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.VIEWER
    org_unit = None
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, password=PASSWORD, **kwargs):
        # Hashed before the one save (set_password after creation would save every user twice).
        user = model_class(*args, **kwargs)
        user.set_password(password)
        user.save()
        return user
