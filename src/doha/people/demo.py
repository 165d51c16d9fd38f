"""Demo staff for the demo facilities: invented Vietnamese names (no real persons),
professions, specialties and CME ledgers, some of which fall short of the rule.

Idempotent: a worker is known by their (invented) licence number; a worker already there
is left as it is, ledger included. Facilities missing from the database are skipped.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from doha.catalog.models import Specialty
from doha.orgunits.models import OrgUnit
from doha.people import services
from doha.people.models import CmeSource, HealthWorker, Profession, Sex

FACILITIES = ["BN-BVDK", "BN-TTYT-TIENDU", "BVTW-TN", "BK-BVDK", "HCM-BVND2", "DNO-BVDK"]

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân"]
GIVEN_F = ["Hà", "Lan", "Hương", "Mai", "Trang", "Thảo", "Linh", "Huyền", "Yến", "Nhung"]
GIVEN_M = ["Hùng", "Dũng", "Tuấn", "Long", "Hải", "Nam", "Sơn", "Thắng", "Khánh", "Phúc"]

# (profession, specialty code or "", title, position)
ROLES = [
    (Profession.DOCTOR, "03", "BSCKI", "Bác sĩ khoa Nhi"),
    (Profession.DOCTOR, "02", "ThS.BS", "Bác sĩ khoa Nội"),
    (Profession.DOCTOR, "10", "BSCKII", "Trưởng khoa Ngoại"),
    (Profession.DOCTOR, "13", "BS", "Bác sĩ khoa Sản"),
    (Profession.DOCTOR, "01", "BSCKI", "Bác sĩ khoa Hồi sức cấp cứu"),
    (Profession.DOCTOR, "09", "BS", "Bác sĩ Gây mê hồi sức"),
    (Profession.NURSE, "03", "CNĐD", "Điều dưỡng khoa Nhi"),
    (Profession.NURSE, "01", "ĐD", "Điều dưỡng trưởng khoa Cấp cứu"),
    (Profession.MIDWIFE, "13", "HS", "Hộ sinh khoa Sản"),
    (Profession.TECHNICIAN, "18", "KTV", "Kỹ thuật viên Chẩn đoán hình ảnh"),
    (Profession.PHARMACIST, "", "DSĐH", "Dược sĩ khoa Dược"),
    (Profession.PHYSICIAN_ASSISTANT, "08", "YS", "Y sĩ Y học cổ truyền"),
]

PER_FACILITY = 7


def _name(rng: random.Random, sex: str) -> str:
    if sex == Sex.FEMALE:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"


def _ledger(worker: HealthWorker, rng: random.Random, target: int, today: datetime.date):
    """Entries over the last five years adding up to about ``target`` hours, plus one old
    course outside the rolling period (it does not count)."""
    services.add_cme_entry(
        worker,
        date=today - datetime.timedelta(days=6 * 365),
        hours=24,
        source=CmeSource.EXTERNAL,
        description="Lớp cập nhật kiến thức (ngoài chu kỳ hiện tại)",
        certificate_number=f"GCN-{worker.licence_number}-0",
    )
    earned, n = 0, 0
    while earned < target:
        n += 1
        hours = min(rng.choice([8, 12, 16, 24, 40]), target - earned)
        when = today - datetime.timedelta(days=rng.randint(30, 5 * 365 - 30))
        services.add_cme_entry(
            worker,
            date=when,
            hours=Decimal(hours),
            source=rng.choice([CmeSource.EXTERNAL, CmeSource.COURSE]),
            description=rng.choice(
                [
                    "Cấp cứu nhi cơ bản",
                    "Kiểm soát nhiễm khuẩn bệnh viện",
                    "Hồi sức tim phổi nâng cao",
                    "Cập nhật điều trị đái tháo đường",
                    "An toàn người bệnh",
                    "Chăm sóc sơ sinh thiết yếu",
                ]
            ),
            certificate_number=f"GCN-{worker.licence_number}-{n}",
        )
        earned += hours


@transaction.atomic
def load_demo_people() -> int:
    """Create the demo staff; returns how many workers were created."""
    rng = random.Random(2025)
    today = timezone.localdate()
    specialties = {s.code: s for s in Specialty.objects.all()}
    created = 0
    for f_index, code in enumerate(FACILITIES):
        facility = OrgUnit.objects.filter(code=code).first()
        for i in range(PER_FACILITY):
            # Draw every value even when the facility is missing: the others stay stable.
            sex = Sex.FEMALE if rng.random() < 0.6 else Sex.MALE
            name = _name(rng, sex)
            role = ROLES[(f_index * PER_FACILITY + i) % len(ROLES)]
            profession, specialty, title, position = role
            birth = datetime.date(rng.randint(1968, 1996), rng.randint(1, 12), rng.randint(1, 28))
            licence_date = birth.replace(year=birth.year + rng.randint(24, 27))
            target = rng.choice([40, 70, 100, 120, 130, 150, 160])
            phone = f"09{rng.randint(10000000, 99999999)}"
            licence = f"DEMO-{code}-{i + 1:03d}/CCHN"
            if facility is None or HealthWorker.objects.filter(licence_number=licence).exists():
                continue
            worker = services.create_worker(
                HealthWorker(
                    facility=facility,
                    full_name=name,
                    sex=sex,
                    birth_date=birth,
                    profession=profession,
                    specialty=specialties.get(specialty),
                    title=title,
                    position=position,
                    licence_number=licence,
                    licence_date=min(licence_date, today),
                    phone=phone,
                )
            )
            _ledger(worker, rng, target, today)
            created += 1
    return created
