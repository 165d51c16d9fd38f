"""Training test helpers: workers made directly (the people app is built elsewhere),
courses and enrolments through the services."""

import datetime
from decimal import Decimal

from django.utils import timezone

from doha.people.models import HealthWorker, Profession
from doha.training import services
from doha.training.models import Course, CourseKind

D = datetime.date


def make_worker(facility, name="Nguyễn Văn An", **kwargs) -> HealthWorker:
    kwargs.setdefault("profession", Profession.DOCTOR)
    return HealthWorker.objects.create(facility=facility, full_name=name, **kwargs)


def make_course(organiser, title="Cấp cứu nhi khoa cơ bản", ended=True, **kwargs) -> Course:
    """A course that ended last week (or starts next month when ``ended`` is False)."""
    today = timezone.localdate()
    if ended:
        start, end = today - datetime.timedelta(days=14), today - datetime.timedelta(days=7)
    else:
        start, end = today + datetime.timedelta(days=30), today + datetime.timedelta(days=34)
    fields = {
        "kind": CourseKind.CME,
        "venue": "Hội trường BVĐK tỉnh Bắc Ninh",
        "start_date": start,
        "end_date": end,
        "hours": Decimal("40"),
    }
    fields.update(kwargs)
    return services.save_course(Course(organiser=organiser, title=title, **fields))
