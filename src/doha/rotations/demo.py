"""Demo rotations and secondments (seed 001: BVĐK Bắc Ninh staff seconded to TTYT Tiên Du
for 3 to 6 months under the 2022-2023 support plan; Project 1816 rotations from BV Trung
ương Thái Nguyên to the Bắc Kạn health centres).

Idempotent: a rotation is identified by its worker and start date. The names are invented.
Needs the org units of the main demo (``doha.web.demo``); units that are missing are skipped.
"""

import datetime

from doha.catalog.models import Technique
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker, Profession
from doha.programmes.models import Framework, Programme, ProgrammeKind
from doha.rotations import services
from doha.rotations.models import Rotation, RotationKind

D = datetime.date

# worker, profession, position, kind, start, end, purpose, outputs
# (patients examined, surgeries, techniques transferred, people trained, note)
TIEN_DU = [
    (
        "Nguyễn Văn Hoàng",
        Profession.DOCTOR,
        "Phó trưởng khoa Hồi sức cấp cứu",
        RotationKind.SECONDMENT,
        D(2022, 4, 1),
        D(2022, 9, 30),
        "Biệt phái tham gia quản lý và chuyên môn khoa Hồi sức cấp cứu",
        (640, 0, 2, 8, "Xây dựng quy trình tiếp nhận cấp cứu; đào tạo kíp trực"),
    ),
    (
        "Trần Thị Mai",
        Profession.NURSE,
        "Điều dưỡng trưởng khoa Nhi",
        RotationKind.SECONDMENT,
        D(2022, 4, 1),
        D(2022, 6, 30),
        "Hỗ trợ công tác điều dưỡng khoa Nhi",
        (410, 0, 1, 12, "Chuẩn hoá chăm sóc sơ sinh"),
    ),
    (
        "Lê Quang Minh",
        Profession.DOCTOR,
        "Bác sĩ khoa Ngoại tổng hợp",
        RotationKind.ROTATION,
        D(2022, 10, 1),
        D(2023, 3, 31),
        "Luân phiên khám chữa bệnh, chuyển giao phẫu thuật nội soi",
        (520, 46, 2, 5, "Kíp phẫu thuật nội soi ruột thừa thực hiện độc lập"),
    ),
    (
        "Phạm Thu Hà",
        Profession.DOCTOR,
        "Bác sĩ khoa Sản",
        RotationKind.ROTATION,
        D(2023, 2, 1),
        D(2023, 6, 30),
        "Luân phiên hỗ trợ khoa Sản, cầm tay chỉ việc",
        (380, 22, 1, 6, ""),
    ),
    (
        "Nguyễn Văn Hoàng",
        Profession.DOCTOR,
        "Phó trưởng khoa Hồi sức cấp cứu",
        RotationKind.SECONDMENT,
        D(2023, 7, 1),
        D(2023, 12, 31),
        "Biệt phái đợt hai: hỗ trợ tách khoa Hồi sức tích cực - Chống độc",
        (700, 0, 1, 10, "Khoa Hồi sức tích cực - Chống độc được thành lập"),
    ),
]

# worker, profession, position, centre code, start, end, purpose, outputs
BAC_KAN = [
    (
        "Đỗ Mạnh Cường",
        Profession.DOCTOR,
        "Bác sĩ khoa Nội tiêu hoá",
        "CHOMOI",
        D(2024, 10, 1),
        D(2024, 12, 31),
        "Luân phiên theo Đề án 1816: nội soi tiêu hoá",
        (450, 0, 1, 4, "Chuyển giao nội soi dạ dày"),
    ),
    (
        "Hoàng Thị Lan",
        Profession.DOCTOR,
        "Bác sĩ khoa Nhi",
        "NARI",
        D(2025, 3, 1),
        D(2025, 5, 31),
        "Luân phiên theo Đề án 1816: hồi sức sơ sinh",
        (300, 0, 1, 6, ""),
    ),
    (
        "Vũ Đức Thắng",
        Profession.DOCTOR,
        "Bác sĩ khoa Ngoại chấn thương",
        "BABE",
        D(2025, 6, 1),
        D(2025, 11, 30),
        "Luân phiên theo Đề án 1816: phẫu thuật chấn thương",
        (260, 38, 2, 5, ""),
    ),
]


def _worker(facility, name, profession, position):
    worker, _ = HealthWorker.objects.get_or_create(
        facility=facility,
        full_name=name,
        defaults={"profession": profession, "position": position},
    )
    return worker


def _programme_for(provider, recipient, **filters):
    for programme in (
        Programme.objects.filter(parties__org_unit=provider, **filters)
        .distinct()
        .prefetch_related("parties__org_unit")
    ):
        paths = [p.org_unit.path for p in programme.parties.all()]
        if any(recipient.path.startswith(path) for path in paths):
            return programme
    return None


def _rotation(worker, sender, receiver, kind, start, end, purpose, programme, outputs, techs):
    existing = Rotation.objects.filter(worker=worker, start=start).first()
    if existing is not None:
        return existing, False
    rotation = services.create_rotation(
        Rotation(
            kind=kind,
            worker=worker,
            from_facility=sender,
            to_facility=receiver,
            start=start,
            end=end,
            purpose=purpose,
            programme=programme,
        ),
        techniques=techs,
    )
    patients, surgeries, transferred, trained, note = outputs
    services.record_outputs(
        rotation,
        patients_examined=patients,
        surgeries=surgeries,
        techniques_transferred=transferred,
        people_trained=trained,
        outputs_note=note,
    )
    return rotation, True


def load_demo_rotations(stdout=None) -> int:
    """Create the demo rotations that do not exist yet; returns how many were created."""
    units = {
        u.code: u for u in OrgUnit.objects.filter(code__in=["BN-BVDK", "BN-TTYT-TIENDU", "BVTW-TN"])
    }
    created = 0
    techniques = list(Technique.objects.filter(active=True).order_by("code")[:6])
    bvdk, tien_du = units.get("BN-BVDK"), units.get("BN-TTYT-TIENDU")
    if bvdk and tien_du:
        plan = _programme_for(bvdk, tien_du, kind=ProgrammeKind.SUPPORT_PLAN)
        for i, (name, prof, position, kind, start, end, purpose, outputs) in enumerate(TIEN_DU):
            worker = _worker(bvdk, name, prof, position)
            techs = techniques[i % len(techniques) : i % len(techniques) + 1] if techniques else []
            _r, new = _rotation(
                worker, bvdk, tien_du, kind, start, end, purpose, plan, outputs, techs
            )
            created += new
    bvtw = units.get("BVTW-TN")
    if bvtw:
        centres = {
            c.code.removeprefix("BK-TTYT-"): c
            for c in OrgUnit.objects.filter(code__startswith="BK-TTYT-", active=True)
        }
        for name, prof, position, code, start, end, purpose, outputs in BAC_KAN:
            centre = (
                centres.get(code) or (sorted(centres.values(), key=lambda c: c.code) or [None])[0]
            )
            if centre is None:
                break
            programme = _programme_for(bvtw, centre, framework=Framework.PROJECT_1816)
            worker = _worker(bvtw, name, prof, position)
            _r, new = _rotation(
                worker,
                bvtw,
                centre,
                RotationKind.ROTATION,
                start,
                end,
                purpose,
                programme,
                outputs,
                techniques[-1:],
            )
            created += new
    if stdout is not None:
        stdout.write(f"Rotations: {created} created.\n")
    return created
