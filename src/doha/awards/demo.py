"""Seed 002's awards: at the one-year review of programme 544/CT-SYT (30/09/2017) the Đắk
Nông DOH gave two certificates of merit (giấy khen) to Nhi Đồng 2's head of the
line-direction office and head of neonatal intensive care, for their outstanding work in
the programme's first year.

The two people are looked up at Nhi Đồng 2 by their position and created (through the
people service, with invented names like the rest of the demo staff) when absent. Loading
again changes nothing: an award is known by its decision number."""

import datetime

from django.db import transaction

from doha.awards import services
from doha.awards.models import Award, AwardKind
from doha.catalog.models import Specialty
from doha.orgunits.models import OrgUnit
from doha.people import services as people_services
from doha.people.models import HealthWorker, Profession, Sex
from doha.programmes.models import Programme

REVIEW_DATE = datetime.date(2017, 9, 30)
REASON = (
    "Đã đạt thành tích xuất sắc trong một năm triển khai thực hiện Chương trình hợp tác "
    "544/CT-SYT giữa Sở Y tế TP. Hồ Chí Minh và Sở Y tế tỉnh Đắk Nông"
)
# (decision number, position, invented name, sex, specialty code, licence)
RECIPIENTS = [
    (
        "01/GK-SYT (sơ kết 544/CT-SYT)",
        "Trưởng phòng Chỉ đạo tuyến",
        "Trần Minh Khoa",
        Sex.MALE,
        "03",
        "DEMO-HCM-BVND2-CDT/CCHN",
    ),
    (
        "02/GK-SYT (sơ kết 544/CT-SYT)",
        "Trưởng khoa Hồi sức sơ sinh",
        "Lê Quang Vinh",
        Sex.MALE,
        "03",
        "DEMO-HCM-BVND2-HSSS/CCHN",
    ),
]


def _person(hospital, position, name, sex, specialty, licence) -> HealthWorker:
    worker = (
        HealthWorker.objects.filter(facility=hospital, position=position).order_by("pk").first()
        or HealthWorker.objects.filter(licence_number=licence).first()
    )
    if worker is not None:
        return worker
    return people_services.create_worker(
        HealthWorker(
            facility=hospital,
            full_name=name,
            sex=sex,
            profession=Profession.DOCTOR,
            specialty=Specialty.objects.filter(code=specialty).first(),
            title="BSCKII",
            position=position,
            licence_number=licence,
        )
    )


@transaction.atomic
def load_demo_awards() -> int:
    """Record seed 002's two awards; returns how many were created (0 when the demo's
    units are missing or the awards are there already)."""
    issuer = OrgUnit.objects.filter(code="DNO-SYT").first()
    hospital = OrgUnit.objects.filter(code="HCM-BVND2").first()
    if issuer is None or hospital is None:
        return 0
    programme = Programme.objects.filter(number="544/CT-SYT").first()
    created = 0
    for number, position, name, sex, specialty, licence in RECIPIENTS:
        if Award.objects.filter(issuer=issuer, decision_number=number).exists():
            continue
        person = _person(hospital, position, name, sex, specialty, licence)
        services.save_award(
            Award(
                kind=AwardKind.MERIT,
                decision_number=number,
                decision_date=REVIEW_DATE,
                issuer=issuer,
                recipient_person=person,
                recipient_name=f"BSCKII {person.full_name}, {position}, Bệnh viện Nhi Đồng 2",
                reason=REASON,
                programme=programme,
            )
        )
        created += 1
    return created
