import datetime

from django.utils import timezone

from doha.telehealth import services
from doha.telehealth.models import Consultation, Outcome
from tests.transfers.factories import SpecialtyFactory


def at(*parts) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*parts))


def make_consultation(requesting, hub, *, hours=None, outcome=Outcome.PENDING, **kwargs):
    """A consultation requested at 01/03/2025 08:00 (unless given), answered ``hours`` later."""
    requested_at = kwargs.pop("requested_at", at(2025, 3, 1, 8, 0))
    answered_at = requested_at + datetime.timedelta(hours=hours) if hours is not None else None
    defaults = {
        "specialty": SpecialtyFactory(code="02", name="Nội khoa"),
        "urgency": "urgent",
        "patient_age": 54,
        "patient_sex": "male",
        "patient_summary": "Đau ngực 3 giờ, ST chênh lên DII, DIII, aVF.",
        "requested_at": requested_at,
        "answered_at": answered_at,
        "outcome": outcome,
    }
    defaults.update(kwargs)
    return services.save_consultation(Consultation(requesting=requesting, hub=hub, **defaults))
