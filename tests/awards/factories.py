import datetime

from doha.awards import services
from doha.awards.models import Award, AwardKind
from doha.people.models import HealthWorker, Profession

D = datetime.date


def make_worker(facility, name="Nguyễn Văn An", **kwargs) -> HealthWorker:
    return HealthWorker.objects.create(
        facility=facility, full_name=name, profession=Profession.DOCTOR, **kwargs
    )


def make_award(issuer, *, unit=None, person=None, number="12/QĐ-SYT", **kwargs) -> Award:
    return services.save_award(
        Award(
            kind=kwargs.pop("kind", AwardKind.MERIT),
            decision_number=number,
            decision_date=kwargs.pop("decision_date", D(2024, 12, 20)),
            issuer=issuer,
            recipient_unit=unit,
            recipient_person=person,
            **kwargs,
        )
    )
