"""Line direction in the demo: seeds 001, 002 and 003 recorded as they happened.

Everything goes through the services (catalogue, capability register, surveys, programmes,
transfers), so the rules apply and the audit log shows each change; dated records pass the
date they happened on (``today=`` / ``date=``). Each record is looked up first by what
identifies it in the seed, so loading the demo again changes nothing.

* Capabilities: what the hospitals and health centres perform, with yearly volumes, so that
  matching has real proposals.
* Seed 001: BVĐK tỉnh Bắc Ninh assesses TTYT Tiên Du (17/02/2022) and agrees a 2022-2023
  comprehensive support plan of six items; techniques transferred to Tiên Du in every state.
* Seed 002: programme 544/CT-SYT (06/05/2016) between the DOHs of Hồ Chí Minh City and Đắk
  Nông; Nhi Đồng 2 transfers six paediatric techniques to BVĐK tỉnh Đắk Nông, all accepted
  in 2016-2017 and still performed 6 and 12 months later.
* Seed 003: Bệnh viện Trung ương Thái Nguyên surveys the former Bắc Kạn under Project 1816
  (24/07/2024); one need is taken into a planned transfer of the 2024-2025 support programme,
  the others stay open for matching.
"""

from __future__ import annotations

import datetime
import random

from auditlog.context import set_actor
from django.utils import timezone

from doha.catalog import services as catalog_services
from doha.catalog.chapters import chapter_code
from doha.catalog.importexport import load_starter_catalogue
from doha.catalog.models import FacilityCapability, Specialty, Technique
from doha.orgunits.models import FacilityType, OrgUnit
from doha.programmes import services as programme_services
from doha.programmes.models import (
    Assessment,
    ContentArea,
    Framework,
    ItemStatus,
    NeedsSurvey,
    NeedStatus,
    PartyRole,
    Priority,
    Programme,
    ProgrammeArea,
    ProgrammeItem,
    ProgrammeKind,
    ProgrammeParty,
    ProgrammeStatus,
    ResponseStatus,
    Side,
    SpecialtyCapacity,
    SurveyResponse,
    SurveyStatus,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingKind,
    TrainingNeed,
)
from doha.transfers import matching
from doha.transfers import services as transfer_services
from doha.transfers.models import CaseKind, TechniqueTransfer, TransferState

D = datetime.date
S = TransferState
SUPERVISED, INDEPENDENT = CaseKind.SUPERVISED, CaseKind.INDEPENDENT

PLAN_001_TITLE = "Hỗ trợ toàn diện phát triển Trung tâm Y tế huyện Tiên Du"
NUMBER_002 = "544/CT-SYT"
SURVEY_003_TITLE = (
    "Khảo sát nhu cầu đào tạo, chuyển giao kỹ thuật theo Đề án 1816 tại Sở Y tế tỉnh Bắc Kạn"
)
PROGRAMME_003_TITLE = (
    "Hỗ trợ đào tạo, chuyển giao kỹ thuật theo Đề án 1816 của Bệnh viện Trung ương Thái Nguyên "
    "cho Sở Y tế tỉnh Bắc Kạn, giai đoạn 2024-2025"
)
SIX_PAEDIATRIC = ["DH.03.001", "DH.03.002", "DH.03.003", "DH.03.004", "DH.03.005", "DH.03.006"]


def load_line_direction(users: dict) -> None:
    """Record the three seeds; ``users`` are the demo accounts by username."""
    report = load_starter_catalogue()
    if not report.ok:
        lines = [f"row {e.row}, {e.field}: {e.message}" for e in report.errors]
        raise RuntimeError("Starter catalogue refused:\n" + "\n".join(lines))
    demo = _Demo(users)
    demo.capabilities()
    demo.seed_001()
    demo.seed_002()
    demo.seed_003()


# ---------------------------------------------------------------- capabilities

# What each facility performs, as specs over the starter catalogue: "03" a chapter,
# "03.001-006" a range, "10.004" one technique, "-..." takes away. Only techniques allowed at
# the facility's technical level are registered. The lists are kept to what the seeds and
# matching need (each capability and volume goes through the register's rules and audit).
HOSPITAL_SPECS = {
    # The central hospital: the paediatric techniques and the high techniques of the
    # surveys' needs, and more.
    "BVTW-TN": [
        "01.006-014",
        "02.008-011",
        "03",
        "09",
        "10.007-008",
        "13.006-008",
        "14.004-005",
        "15.003-005",
        "18.003-005",
        "20",
        "27",
    ],
    "HCM-BVND2": ["01.006-012", "03", "09.001-002", "18.001", "18.003", "20.003"],
    "BN-BVDK": [
        "01.006-013",
        "02.002-011",
        "03.010-012",
        "09",
        "10.003-008",
        "13.004-007",
        "18.002-005",
        "20",
        "21",
        "27",
    ],
    "BG-BVDK": [
        "01.006-011",
        "02.002-008",
        "09.001-003",
        "10.004-006",
        "13.005-007",
        "18.002-004",
        "20.001-002",
        "27.001-003",
    ],
    "BN-BVSN": ["01.006-008", "03.001", "03.004-005", "03.007-014", "09.003", "13.001-007"],
    "TN-BVA": [
        "01.006-012",
        "02.002-011",
        "10.004-007",
        "18.002-005",
        "20.001-003",
        "27.001-004",
    ],
    # Đắk Nông's general hospital: the six paediatric techniques come by transfer (seed 002).
    "DNO-BVDK": [
        "01.006-011",
        "02.002-008",
        "03.007-012",
        "10.004-006",
        "13.004-007",
        "18.002-004",
        "20.001-002",
        "27.001-002",
    ],
    "BK-BVDK": [
        "01.006-011",
        "02.002-008",
        "03.007-012",
        "10.004-006",
        "13.004-007",
        "18.002-004",
        "20.001-002",
        "27.001",
    ],
}
# Yearly volumes: two years for the providers of the seeds, the last one elsewhere.
VOLUME_YEARS = {"BVTW-TN": (2024, 2025), "HCM-BVND2": (2024, 2025), "BN-BVDK": (2024, 2025)}
LAST_YEAR = (2025,)
# Every health centre does these; two more are drawn (the same ones on every load).
CENTRE_CORE = ["01.001", "02.001", "23.001"]
CENTRE_EXTRA = [
    "01.002",
    "03.007",
    "08.001",
    "10.001",
    "13.001",
    "18.001",
    "22.002",
    "24.001",
]
# TTYT Tiên Du, the seed 001 centre (what BVĐK tỉnh transfers to it is not here).
TIEN_DU = [
    *CENTRE_CORE,
    "01.002-003",
    "01.006",
    "03.007",
    "08.001",
    "10.001-002",
    "13.001-002",
    "13.006",
    "18.001-002",
    "22.002",
    "24.001",
]


def _expand(spec: str, techniques: list[Technique]) -> list[Technique]:
    chapter, _dot, numbers = spec.partition(".")
    in_chapter = [t for t in techniques if t.code.startswith(f"DH.{chapter}.")]
    if not numbers:
        return in_chapter
    first, _dash, last = numbers.partition("-")
    last = last or first
    return [t for t in in_chapter if first <= t.code.rsplit(".", 1)[1] <= last]


def _select(specs: list[str], techniques: list[Technique]) -> list[Technique]:
    chosen: dict[str, Technique] = {}
    for spec in specs:
        if spec.startswith("-"):
            for t in _expand(spec[1:], techniques):
                chosen.pop(t.code, None)
        else:
            for t in _expand(spec, techniques):
                chosen.setdefault(t.code, t)
    return list(chosen.values())


def _code(short: str) -> str:
    """ "03.005" -> "DH.03.005" (the starter catalogue's local codes)."""
    return f"DH.{short}"


class _Demo:
    def __init__(self, users):
        self.users = users
        self.today = timezone.localdate()
        self.techniques = {
            t.code: t for t in Technique.objects.filter(active=True).select_related("specialty")
        }
        self.units = {}

    def tech(self, short: str) -> Technique:
        return self.techniques[_code(short)]

    def unit(self, code: str) -> OrgUnit:
        if code not in self.units:
            self.units[code] = OrgUnit.objects.get(code=code)
        return self.units[code]

    def specialty(self, number: int) -> Specialty:
        return Specialty.objects.get(code=chapter_code(number))

    # ------------------------------------------------------------ capability register

    def capabilities(self):
        techniques = [t for t in self.techniques.values() if t.code.startswith("DH.")]
        techniques.sort(key=lambda t: t.code)
        plan: dict[str, list[Technique]] = {
            code: _select(specs, techniques) for code, specs in HOSPITAL_SPECS.items()
        }
        centres = OrgUnit.objects.filter(
            facility_type=FacilityType.HEALTH_CENTRE, active=True
        ).order_by("code")
        for centre in centres:
            if centre.code == "BN-TTYT-TIENDU":
                specs = TIEN_DU
            else:
                extra = random.Random(centre.code).sample(CENTRE_EXTRA, 2)
                specs = [*CENTRE_CORE, *extra]
            self.units[centre.code] = centre
            plan[centre.code] = _select(specs, techniques)

        facilities = [self.unit(code) for code in plan]
        existing = set(
            FacilityCapability.objects.filter(facility__in=facilities).values_list(
                "facility_id", "technique_id"
            )
        )
        for code, chosen in plan.items():
            facility = self.unit(code)
            hospital = facility.facility_type != FacilityType.HEALTH_CENTRE
            for technique in chosen:
                if not technique.is_allowed_at(facility.technical_level):
                    continue
                if (facility.pk, technique.pk) in existing:
                    continue
                rng = random.Random(f"{code}/{technique.code}")
                high = technique.allowed_levels == ["specialised"]
                since = D(rng.randint(2005 if hospital else 2012, 2019), rng.randint(1, 12), 1)
                capability = catalog_services.add_capability(facility, technique, since)
                top = (60 if high else 400) if hospital else 120
                for year in VOLUME_YEARS.get(code, LAST_YEAR):
                    catalog_services.record_volume(capability, year, rng.randint(top // 8, top))

    # ------------------------------------------------------------ transfers

    def transfer(
        self,
        short,
        provider,
        recipient,
        programme,
        item,
        events,
        *,
        user=None,
        case_user=None,
        need=None,
        **fields,
    ) -> TechniqueTransfer:
        """Create a transfer and play its events in order (once: an existing one is kept).

        events: ("step", state, date, responsible, note), ("cases", kind, date, count, note),
        ("check", months, date, still_performed, cases, note), ("cancel", date, reason).
        """
        technique = self.tech(short)
        existing = TechniqueTransfer.objects.filter(
            technique=technique, provider=provider, recipient=recipient, programme=programme
        ).first()
        if existing is not None:
            return existing
        (_kind, _state, planned_on, responsible, note), *rest = events
        with set_actor(user):
            transfer = transfer_services.create_transfer(
                TechniqueTransfer(
                    technique=technique,
                    provider=provider,
                    recipient=recipient,
                    programme=programme,
                    programme_item=item,
                    need=need,
                    state_date=planned_on,
                    **fields,
                ),
                user=user,
                responsible=responsible,
                note=note,
            )
        for kind, *args in rest:
            # Cases are recorded by the receiving facility's clerk, the rest by the office.
            actor = (case_user or user) if kind == "cases" else user
            with set_actor(actor):
                self._play(transfer, kind, args, actor)
            transfer.refresh_from_db()
        return transfer

    @staticmethod
    def _play(transfer, kind, args, user):
        if kind == "step":
            state, date, responsible, note = args
            transfer_services.transition(
                transfer, state, date=date, user=user, responsible=responsible, note=note
            )
        elif kind == "cases":
            case_kind, date, count, note = args
            transfer_services.record_cases(
                transfer, date=date, kind=case_kind, count=count, note=note, user=user
            )
        elif kind == "check":
            months, date, still, cases, note = args
            transfer_services.record_sustainment(
                transfer,
                months_after=months,
                checked_on=date,
                still_performed=still,
                cases_in_period=cases,
                note=note,
                user=user,
            )
        elif kind == "cancel":
            date, reason = args
            transfer_services.transition(transfer, S.CANCELLED, date=date, user=user, reason=reason)
        else:
            raise ValueError(kind)

    # ------------------------------------------------------------ seed 001

    def seed_001(self):
        """BVĐK tỉnh Bắc Ninh and TTYT Tiên Du: assessment, support plan, transfers."""
        line = self.users["cdt.bvdkbacninh"]
        bv, ttyt = self.unit("BN-BVDK"), self.unit("BN-TTYT-TIENDU")
        with set_actor(line):
            the_day = D(2022, 2, 17)
            assessment = Assessment.objects.filter(facility=ttyt, assessor=bv, date=the_day).first()
            if assessment is None:
                assessment = programme_services.save_assessment(
                    Assessment(
                        facility=ttyt,
                        assessor=bv,
                        date=the_day,
                        team="Đoàn công tác Bệnh viện Đa khoa tỉnh gồm 12 thành viên do Phó Giám "
                        "đốc Bệnh viện làm Trưởng đoàn; phía Trung tâm: Giám đốc, lãnh đạo Trung "
                        "tâm, trưởng, phó các khoa, phòng",
                        staff_score=4,
                        staff_comment="Còn nhiều hạn chế, khó khăn về nhân lực; một số khoa, phòng "
                        "thiếu cán bộ quản lý và chuyên môn",
                        equipment_score=4,
                        equipment_comment="Còn nhiều hạn chế về trang thiết bị y tế",
                        infrastructure_score=5,
                        infrastructure_comment="Cần kế hoạch tách, phát triển một số khoa, phòng "
                        "theo lộ trình",
                        conclusion="Thống nhất hỗ trợ và chuyển giao kỹ thuật theo các chuyên "
                        "ngành: tổ chức cán bộ (biệt phái), khám chữa bệnh tại Trung tâm, đào tạo "
                        "và chuyển giao kỹ thuật theo kíp, đào tạo Trạm y tế (Quyết định "
                        "368/QĐ-UBND), năng lực quản lý, nhiệm vụ trọng tâm năm 2022",
                    ),
                    [
                        SpecialtyCapacity(specialty=self.specialty(1), score=4, staff_count=9),
                        SpecialtyCapacity(specialty=self.specialty(2), score=5, staff_count=14),
                        SpecialtyCapacity(specialty=self.specialty(3), score=3, staff_count=6),
                        SpecialtyCapacity(
                            specialty=self.specialty(10),
                            score=4,
                            staff_count=8,
                            comment="Chưa thực hiện phẫu thuật nội soi",
                        ),
                        SpecialtyCapacity(specialty=self.specialty(13), score=5, staff_count=10),
                        SpecialtyCapacity(
                            specialty=self.specialty(20),
                            score=2,
                            staff_count=2,
                            comment="Có máy nội soi, chưa có kíp thực hiện",
                        ),
                    ],
                    user=line,
                )

            plan = Programme.objects.filter(
                title=PLAN_001_TITLE, kind=ProgrammeKind.SUPPORT_PLAN
            ).first()
            start, end = D(2022, 1, 1), D(2023, 12, 31)
            if plan is None:

                def item(number, area, title, status, done_on=None, **kw):
                    return ProgrammeItem(
                        number=number,
                        area=area,
                        title=title,
                        provider=bv,
                        recipient=ttyt,
                        planned_start=kw.pop("planned_start", D(2022, 3, 1)),
                        planned_end=kw.pop("planned_end", end),
                        status=status,
                        done_on=done_on,
                        **kw,
                    )

                plan = programme_services.create_programme(
                    Programme(
                        title=PLAN_001_TITLE,
                        kind=ProgrammeKind.SUPPORT_PLAN,
                        framework=Framework.LINE_DIRECTION,
                        start_date=start,
                        end_date=end,
                        description="Thực hiện Thông báo số 18/TB-SYT ngày 24/02/2022 của Sở Y tế; "
                        "khảo sát, thẩm định ngày 17/02/2022",
                        min_secondment_months=3,
                        max_secondment_months=6,
                    ),
                    parties=[
                        ProgrammeParty(org_unit=bv, side=Side.PROVIDER, role=PartyRole.SIGNATORY),
                        ProgrammeParty(
                            org_unit=ttyt, side=Side.RECIPIENT, role=PartyRole.SIGNATORY
                        ),
                        ProgrammeParty(
                            org_unit=bv,
                            side=Side.PROVIDER,
                            role=PartyRole.IMPLEMENTER,
                            assignment="Các khoa, phòng, bộ phận chức năng được Bệnh viện giao "
                            "nhiệm vụ",
                        ),
                    ],
                    areas=[
                        ProgrammeArea(area=a)
                        for a in (
                            ContentArea.SECONDMENT,
                            ContentArea.JOINT_CLINIC,
                            ContentArea.TECHNIQUE_TRANSFER,
                            ContentArea.TRAINING,
                            ContentArea.MANAGEMENT,
                            ContentArea.ASSIGNED_TASKS,
                        )
                    ],
                    items=[
                        item(
                            1,
                            ContentArea.SECONDMENT,
                            "Biệt phái viên chức về TTYT tham gia quản lý và chuyên môn tại các "
                            "khoa, phòng khó khăn về nhân lực, luân phiên 03-06 tháng/người",
                            ItemStatus.DONE,
                            D(2023, 12, 29),
                            description="Hỗ trợ Trung tâm xây dựng kế hoạch tách, phát triển một "
                            "số khoa, phòng theo lộ trình",
                            result="Biệt phái luân phiên theo kế hoạch; kế hoạch tách khoa đã xây "
                            "dựng",
                        ),
                        item(
                            2,
                            ContentArea.JOINT_CLINIC,
                            "Viên chức Bệnh viện khám chữa bệnh tại TTYT Tiên Du; viên chức Trung "
                            "tâm đào tạo cùng thời gian tại BVĐK tỉnh",
                            ItemStatus.DONE,
                            D(2023, 12, 29),
                        ),
                        item(
                            3,
                            ContentArea.TECHNIQUE_TRANSFER,
                            "Đào tạo, chuyển giao kỹ thuật theo từng kíp (tại TTYT, Trạm y tế và "
                            "BVĐK tỉnh)",
                            ItemStatus.IN_PROGRESS,
                            description="Theo từng kíp, phù hợp tình hình nhân lực các khoa của "
                            "Trung tâm",
                        ),
                        item(
                            4,
                            ContentArea.TRAINING,
                            "Đào tạo cán bộ các Trạm y tế thực hiện mô hình điểm theo Quyết định "
                            "368/QĐ-UBND",
                            ItemStatus.DONE,
                            D(2022, 11, 30),
                            description="Cán bộ các Trạm y tế thuộc Trung tâm",
                        ),
                        item(
                            5,
                            ContentArea.MANAGEMENT,
                            "Đào tạo nâng cao năng lực quản lý cho lãnh đạo, quản lý và cán bộ "
                            "trong quy hoạch (tại Trung tâm và tại BVĐK tỉnh)",
                            ItemStatus.DONE,
                            D(2023, 6, 30),
                        ),
                        item(
                            6,
                            ContentArea.ASSIGNED_TASKS,
                            "Hỗ trợ triển khai các nhiệm vụ trọng tâm năm 2022 đã được Sở Y tế "
                            "thẩm định và các nhiệm vụ được giao bổ sung",
                            ItemStatus.DONE,
                            D(2022, 12, 30),
                            planned_start=start,
                            planned_end=D(2022, 12, 31),
                        ),
                    ],
                    user=line,
                    today=D(2024, 1, 15),
                )
            if assessment.programme_id is None:
                assessment.programme = plan
                programme_services.save_assessment(assessment, user=line)

        item3 = plan.items.get(number=3)
        clerk = self.users["ttyt.tiendu"]
        kip = dict(provider_lead="Phòng Chỉ đạo tuyến, BVĐK tỉnh", user=line, case_user=clerk)
        # Recent steps are dated back from the day the demo is loaded, so the transfers
        # still in progress look alive.
        ago = lambda days: self.today - datetime.timedelta(days=days)  # noqa: E731

        self.transfer(
            "27.001",
            bv,
            ttyt,
            plan,
            item3,
            [
                ("step", S.PLANNED, D(2022, 3, 15), "Khoa Ngoại tổng hợp", ""),
                ("step", S.CONTRACTED, D(2022, 4, 1), "Phòng Chỉ đạo tuyến", "Hợp đồng"),
                ("step", S.TRAINING, D(2022, 4, 18), "Khoa Ngoại tổng hợp", "Kíp 4 người"),
                ("cases", SUPERVISED, D(2022, 5, 20), 3, ""),
                ("step", S.SUPERVISED, D(2022, 6, 1), "Khoa Ngoại tổng hợp", ""),
                ("cases", SUPERVISED, D(2022, 7, 15), 5, ""),
                ("step", S.INDEPENDENT, D(2022, 8, 15), "Khoa Ngoại, TTYT Tiên Du", ""),
                ("cases", INDEPENDENT, D(2022, 9, 10), 3, ""),
                ("cases", INDEPENDENT, D(2022, 10, 5), 4, ""),
                ("step", S.ACCEPTED, D(2022, 10, 20), "Hội đồng nghiệm thu", "Biên bản"),
                ("check", 6, D(2023, 4, 25), True, 27, "Kíp tự thực hiện"),
                ("check", 12, D(2023, 10, 25), True, 31, ""),
            ],
            team="Kíp phẫu thuật nội soi: 2 bác sĩ, 1 bác sĩ gây mê, 1 điều dưỡng",
            recipient_lead="Trưởng khoa Ngoại, TTYT Tiên Du",
            **kip,
        )
        self.transfer(
            "20.001",
            bv,
            ttyt,
            plan,
            item3,
            [
                ("step", S.PLANNED, D(2022, 3, 15), "Đơn vị Nội soi", ""),
                ("step", S.CONTRACTED, D(2022, 5, 4), "Phòng Chỉ đạo tuyến", ""),
                ("step", S.TRAINING, D(2022, 6, 6), "Đơn vị Nội soi", ""),
                ("step", S.SUPERVISED, D(2022, 7, 11), "Đơn vị Nội soi", ""),
                ("cases", SUPERVISED, D(2022, 8, 30), 15, ""),
                ("step", S.INDEPENDENT, D(2022, 10, 3), "Khoa Khám bệnh, TTYT Tiên Du", ""),
                ("cases", INDEPENDENT, D(2022, 11, 15), 12, ""),
                ("step", S.ACCEPTED, D(2022, 12, 12), "Hội đồng nghiệm thu", ""),
                ("check", 6, D(2023, 6, 20), True, 140, ""),
            ],
            **kip,
        )
        self.transfer(
            "09.001",
            bv,
            ttyt,
            plan,
            item3,
            [
                ("step", S.PLANNED, D(2022, 9, 1), "Khoa Gây mê hồi sức", ""),
                ("step", S.CONTRACTED, D(2022, 10, 3), "Phòng Chỉ đạo tuyến", ""),
                ("step", S.TRAINING, D(2023, 1, 9), "Khoa Gây mê hồi sức", ""),
                ("step", S.SUPERVISED, D(2023, 2, 13), "Khoa Gây mê hồi sức", ""),
                ("cases", SUPERVISED, D(2023, 3, 10), 8, ""),
                ("step", S.INDEPENDENT, D(2023, 4, 3), "Khoa Ngoại, TTYT Tiên Du", ""),
                ("cases", INDEPENDENT, D(2023, 4, 28), 6, ""),
                ("step", S.ACCEPTED, D(2023, 5, 15), "Hội đồng nghiệm thu", ""),
            ],
            **kip,
        )
        self.transfer(
            "18.004",
            bv,
            ttyt,
            plan,
            item3,
            [
                ("step", S.PLANNED, D(2022, 9, 1), "Khoa Chẩn đoán hình ảnh", ""),
                ("cancel", D(2023, 3, 1), "TTYT chưa được đầu tư máy chụp cắt lớp vi tính"),
            ],
            **kip,
        )
        self.transfer(
            "18.003",
            bv,
            ttyt,
            plan,
            item3,
            [
                ("step", S.PLANNED, D(2023, 9, 5), "Khoa Thăm dò chức năng", ""),
                ("step", S.CONTRACTED, D(2023, 10, 2), "Phòng Chỉ đạo tuyến", ""),
                ("step", S.TRAINING, ago(150), "Khoa Thăm dò chức năng", ""),
                ("step", S.SUPERVISED, ago(100), "Khoa Thăm dò chức năng", ""),
                ("cases", SUPERVISED, ago(70), 12, ""),
                ("step", S.INDEPENDENT, ago(30), "Khoa Khám bệnh, TTYT Tiên Du", ""),
                ("cases", INDEPENDENT, ago(10), 3, "Còn thiếu ca để nghiệm thu"),
            ],
            **kip,
        )
        self.transfer(
            "27.002",
            bv,
            ttyt,
            plan,
            item3,
            [
                ("step", S.PLANNED, D(2023, 9, 5), "Khoa Ngoại tổng hợp", ""),
                ("step", S.CONTRACTED, D(2023, 11, 6), "Phòng Chỉ đạo tuyến", ""),
                ("step", S.TRAINING, ago(120), "Khoa Ngoại tổng hợp", ""),
                ("cases", SUPERVISED, ago(90), 2, ""),
                ("step", S.SUPERVISED, ago(60), "Khoa Ngoại tổng hợp", ""),
                ("cases", SUPERVISED, ago(20), 3, ""),
            ],
            **kip,
        )
        self.transfer(
            "02.008",
            bv,
            ttyt,
            plan,
            item3,
            [
                ("step", S.PLANNED, D(2023, 10, 16), "Đơn vị Thận nhân tạo", ""),
                ("step", S.CONTRACTED, D(2023, 12, 4), "Phòng Chỉ đạo tuyến", ""),
                ("step", S.TRAINING, ago(45), "Đơn vị Thận nhân tạo", "Đào tạo tại BVĐK tỉnh"),
            ],
            **kip,
        )
        self.transfer(
            "01.008",
            bv,
            ttyt,
            plan,
            item3,
            [("step", S.PLANNED, D(2023, 11, 20), "Khoa Hồi sức tích cực", "")],
            **kip,
        )

    # ------------------------------------------------------------ seed 002

    def seed_002(self):
        """544/CT-SYT: Nhi Đồng 2 transfers six paediatric techniques to BVĐK Đắk Nông."""
        admin = self.users["admin"]
        syt_hcm, syt_dn = self.unit("HCM-SYT"), self.unit("DNO-SYT")
        nd2, bvdk_dn = self.unit("HCM-BVND2"), self.unit("DNO-BVDK")
        with set_actor(admin):
            programme = Programme.objects.filter(number=NUMBER_002).first()
            if programme is None:
                programme = programme_services.create_programme(
                    Programme(
                        number=NUMBER_002,
                        title="Chương trình hợp tác phát triển y tế giai đoạn 2016-2020 giữa Sở Y "
                        "tế TP. Hồ Chí Minh và Sở Y tế tỉnh Đắk Nông",
                        kind=ProgrammeKind.COOPERATION,
                        framework=Framework.COOPERATION,
                        signed_on=D(2016, 5, 6),
                        start_date=D(2016, 5, 6),
                        end_date=D(2020, 12, 31),
                        description="Nâng cao chất lượng bảo vệ, chăm sóc sức khỏe người dân; giảm "
                        "tải cho tuyến trên; giảm chi phí khám chữa bệnh; đa dạng hóa các loại "
                        "hình cung cấp dịch vụ y tế. Sơ kết một năm: 30/9/2017.",
                    ),
                    parties=[
                        ProgrammeParty(
                            org_unit=syt_hcm, side=Side.PROVIDER, role=PartyRole.SIGNATORY
                        ),
                        ProgrammeParty(
                            org_unit=syt_dn, side=Side.RECIPIENT, role=PartyRole.SIGNATORY
                        ),
                        ProgrammeParty(
                            org_unit=nd2,
                            side=Side.PROVIDER,
                            role=PartyRole.IMPLEMENTER,
                            area=ContentArea.TECHNIQUE_TRANSFER,
                            assignment="Hỗ trợ chuyên môn, chuyển giao kỹ thuật cho Khoa Nhi",
                        ),
                        ProgrammeParty(
                            org_unit=bvdk_dn,
                            side=Side.RECIPIENT,
                            role=PartyRole.IMPLEMENTER,
                            area=ContentArea.TECHNIQUE_TRANSFER,
                            assignment="Khoa Nhi",
                        ),
                    ],
                    areas=[
                        ProgrammeArea(
                            area=ContentArea.TRAINING, description="Đào tạo nguồn nhân lực"
                        ),
                        ProgrammeArea(area=ContentArea.TECHNIQUE_TRANSFER),
                        ProgrammeArea(area=ContentArea.EQUIPMENT),
                        ProgrammeArea(area=ContentArea.SOCIALISATION),
                    ],
                    items=[
                        ProgrammeItem(
                            number=1,
                            area=ContentArea.TECHNIQUE_TRANSFER,
                            title="Hỗ trợ chuyên môn, chuyển giao 6 kỹ thuật Nhi cho Khoa Nhi BVĐK "
                            "tỉnh Đắk Nông",
                            provider=nd2,
                            recipient=bvdk_dn,
                            planned_start=D(2016, 7, 1),
                            planned_end=D(2017, 9, 30),
                            status=ItemStatus.DONE,
                            done_on=D(2017, 9, 30),
                            result="Sơ kết một năm (30/9/2017): 6 kỹ thuật đã đào tạo, chuyển giao",
                        )
                    ],
                    user=admin,
                    today=D(2017, 9, 30),
                )
        item = programme.items.get(number=1)
        # All planned on 15/07/2016 and contracted on 01/08/2016; then training, supervised
        # practice, performing independently, accepted.
        planned, contracted = D(2016, 7, 15), D(2016, 8, 1)
        timelines = {
            "03.001": ("2016-09-12", "2016-10-17", "2016-12-05", "2017-02-20"),
            "03.002": ("2016-09-12", "2016-11-07", "2017-01-09", "2017-03-27"),
            "03.003": ("2016-10-10", "2016-11-14", "2017-01-16", "2017-04-17"),
            "03.004": ("2016-11-21", "2017-01-09", "2017-03-13", "2017-06-19"),
            "03.005": ("2016-11-21", "2016-12-19", "2017-02-13", "2017-05-22"),
            "03.006": ("2017-02-20", "2017-04-03", "2017-05-29", "2017-08-28"),
        }
        nd2_lead = "Phòng Chỉ đạo tuyến; Khoa Hồi sức sơ sinh, BV Nhi Đồng 2"
        for short, dates in timelines.items():
            training, supervised, independent, accepted = (D.fromisoformat(d) for d in dates)
            rng = random.Random(f"544/{short}")
            mid = independent + (accepted - independent) / 2
            first_batch = rng.randint(2, 4)
            self.transfer(
                short,
                nd2,
                bvdk_dn,
                programme,
                item,
                [
                    ("step", S.PLANNED, planned, nd2_lead, "Theo Chương trình 544/CT-SYT"),
                    ("step", S.CONTRACTED, contracted, "Sở Y tế hai tỉnh", ""),
                    ("step", S.TRAINING, training, nd2_lead, "Đào tạo tại Khoa Nhi BVĐK tỉnh"),
                    ("cases", SUPERVISED, training + (supervised - training) / 2, 2, ""),
                    ("step", S.SUPERVISED, supervised, nd2_lead, ""),
                    ("cases", SUPERVISED, supervised + (independent - supervised) / 2, 3, ""),
                    ("step", S.INDEPENDENT, independent, "Khoa Nhi, BVĐK tỉnh Đắk Nông", ""),
                    ("cases", INDEPENDENT, mid, first_batch, ""),
                    ("cases", INDEPENDENT, accepted, 5 - first_batch + rng.randint(0, 4), ""),
                    ("step", S.ACCEPTED, accepted, "Hội đồng nghiệm thu hai bệnh viện", ""),
                    (
                        "check",
                        6,
                        transfer_services.add_months(accepted, 6) + datetime.timedelta(days=10),
                        True,
                        rng.randint(6, 30),
                        "Khoa Nhi tự thực hiện",
                    ),
                    (
                        "check",
                        12,
                        transfer_services.add_months(accepted, 12) + datetime.timedelta(days=10),
                        True,
                        rng.randint(10, 50),
                        "",
                    ),
                ],
                user=admin,
                provider_lead="Trưởng khoa Hồi sức sơ sinh, BV Nhi Đồng 2",
                recipient_lead="Trưởng khoa Nhi, BVĐK tỉnh Đắk Nông",
                planned_start=D(2016, 9, 1),
                planned_end=D(2017, 9, 30),
            )
        with set_actor(admin):
            # What Đắk Nông performed with them afterwards.
            for capability in FacilityCapability.objects.filter(
                facility=bvdk_dn, technique__code__in=SIX_PAEDIATRIC
            ):
                done = set(capability.volumes.values_list("year", flat=True))
                rng = random.Random(f"DNO/{capability.technique.code}")
                for year in range(2018, 2026):
                    if year not in done:
                        catalog_services.record_volume(capability, year, rng.randint(8, 60))
            if programme.status == ProgrammeStatus.ACTIVE:
                programme.status = ProgrammeStatus.COMPLETED
                programme_services.save_programme(programme, user=admin)

    # ------------------------------------------------------------ seed 003

    def seed_003(self):
        """Project 1816: BV Trung ương Thái Nguyên surveys the former Bắc Kạn's needs."""
        officer = self.users["cdt.bvtwthainguyen"]
        clerk = self.users["ttyt.chomoi"]
        bvtw, syt_bk, bvdk = self.unit("BVTW-TN"), self.unit("BK-SYT"), self.unit("BK-BVDK")
        centres = list(
            OrgUnit.objects.filter(code__startswith="BK-TTYT-", active=True).order_by("code")
        )
        centre = {c.code.removeprefix("BK-TTYT-"): c for c in centres}
        the_day, deadline = D(2024, 7, 24), D(2024, 8, 31)
        with set_actor(officer):
            survey = NeedsSurvey.objects.filter(organiser=bvtw, title=SURVEY_003_TITLE).first()
            if survey is None:
                survey = programme_services.open_survey(
                    NeedsSurvey(
                        title=SURVEY_003_TITLE,
                        organiser=bvtw,
                        framework=Framework.PROJECT_1816,
                        opens_on=the_day,
                        deadline=deadline,
                        description="Đoàn công tác do Giám đốc Bệnh viện làm trưởng đoàn làm việc "
                        "với Sở Y tế, Bệnh viện Đa khoa tỉnh và Trung tâm Y tế các huyện, thành "
                        "phố ngày 24/7/2024: nhu cầu đào tạo ngắn hạn, dài hạn; chuyển giao kỹ "
                        "thuật mới, kỹ thuật cao theo Chương trình chỉ đạo tuyến; hỗ trợ khám chữa "
                        "bệnh, hội chẩn từ xa; cầm tay chỉ việc.",
                    ),
                    [bvdk, *centres],
                    user=officer,
                    today=the_day,
                )

        def techniques(*needs):
            return [
                TechniqueNeed(technique=self.tech(short), people_to_train=people, priority=prio)
                for short, people, prio in needs
            ]

        H, M, L = Priority.HIGH, Priority.MEDIUM, Priority.LOW
        responses = [
            # facility, day, submitted, user, contact, needs
            (
                bvdk,
                D(2024, 8, 20),
                True,
                None,
                "Phòng Kế hoạch tổng hợp",
                dict(
                    technique_needs=techniques(
                        ("03.005", 3, H),
                        ("01.012", 4, H),
                        ("03.001", 3, M),
                        ("02.011", 6, M),
                        ("18.005", 2, M),
                        ("20.004", 3, L),
                    ),
                    training_needs=[
                        TrainingNeed(
                            kind=TrainingKind.SHORT_TERM,
                            topic="Hồi sức tích cực",
                            specialty=self.specialty(1),
                            people=6,
                            priority=H,
                        ),
                        TrainingNeed(
                            kind=TrainingKind.LONG_TERM,
                            topic="Bác sĩ chuyên khoa I Nhi",
                            specialty=self.specialty(3),
                            people=2,
                        ),
                        TrainingNeed(
                            kind=TrainingKind.LONG_TERM,
                            topic="Bác sĩ chuyên khoa II Ngoại",
                            specialty=self.specialty(10),
                            people=1,
                        ),
                        TrainingNeed(
                            kind=TrainingKind.CME,
                            topic="Cập nhật chẩn đoán và điều trị đột quỵ não",
                            specialty=self.specialty(2),
                            people=20,
                        ),
                        TrainingNeed(
                            kind=TrainingKind.HANDS_ON,
                            topic="Cầm tay chỉ việc: kíp can thiệp tim mạch",
                            specialty=self.specialty(2),
                            people=5,
                        ),
                    ],
                    teleconsult_needs=[
                        TeleconsultNeed(
                            specialty=self.specialty(1), sessions_per_month=4, priority=H
                        ),
                        TeleconsultNeed(specialty=self.specialty(12), sessions_per_month=2),
                        TeleconsultNeed(specialty=self.specialty(18), sessions_per_month=8),
                    ],
                ),
            ),
            (
                centre["BABE"],
                D(2024, 8, 12),
                True,
                None,
                "Phòng Kế hoạch - Nghiệp vụ",
                dict(
                    technique_needs=techniques(("20.001", 2, H), ("27.001", 4, M)),
                    training_needs=[
                        TrainingNeed(
                            kind=TrainingKind.CME,
                            topic="Cấp cứu ban đầu",
                            specialty=self.specialty(1),
                            people=10,
                        ),
                        TrainingNeed(
                            kind=TrainingKind.HANDS_ON,
                            topic="Cầm tay chỉ việc: siêu âm tổng quát",
                            specialty=self.specialty(18),
                            people=2,
                        ),
                    ],
                    teleconsult_needs=[TeleconsultNeed(specialty=self.specialty(3))],
                ),
            ),
            (
                centre["CHODON"],
                D(2024, 8, 15),
                True,
                None,
                "Phòng Kế hoạch - Nghiệp vụ",
                dict(
                    technique_needs=techniques(("09.001", 3, H), ("15.003", 1, L)),
                    training_needs=[
                        TrainingNeed(
                            kind=TrainingKind.SHORT_TERM,
                            topic="Gây mê hồi sức",
                            specialty=self.specialty(9),
                            people=2,
                        ),
                    ],
                    teleconsult_needs=[
                        TeleconsultNeed(specialty=self.specialty(18), sessions_per_month=6)
                    ],
                ),
            ),
            (
                centre["CHOMOI"],
                D(2024, 8, 26),
                True,
                clerk,
                "Phòng Kế hoạch - Nghiệp vụ",
                dict(
                    technique_needs=techniques(
                        ("18.003", 2, H), ("03.011", 3, M), ("03.005", 2, M)
                    ),
                    training_needs=[
                        TrainingNeed(
                            kind=TrainingKind.LONG_TERM,
                            topic="Bác sĩ chuyên khoa I Y học cổ truyền",
                            specialty=self.specialty(8),
                            people=1,
                        ),
                        TrainingNeed(kind=TrainingKind.CME, topic="Hồi sức sơ sinh", people=8),
                    ],
                    teleconsult_needs=[
                        TeleconsultNeed(specialty=self.specialty(3), sessions_per_month=2),
                        TeleconsultNeed(specialty=self.specialty(1), sessions_per_month=2),
                    ],
                ),
            ),
            (
                centre["BACKAN"],
                D(2024, 8, 29),
                True,
                None,
                "",
                dict(
                    technique_needs=techniques(("20.002", 2, M), ("27.002", 4, M)),
                    training_needs=[
                        TrainingNeed(
                            kind=TrainingKind.MANAGEMENT,
                            topic="Quản lý chất lượng bệnh viện",
                            people=3,
                        ),
                    ],
                ),
            ),
            # Still being filled in when the survey closed.
            (
                centre["NARI"],
                D(2024, 8, 30),
                False,
                None,
                "",
                dict(
                    technique_needs=techniques(("02.008", 2, M)),
                    teleconsult_needs=[TeleconsultNeed(specialty=self.specialty(2))],
                ),
            ),
        ]
        for facility, day, submitted, user, contact, needs in responses:
            if SurveyResponse.objects.filter(survey=survey, facility=facility).exists():
                continue
            with set_actor(user):
                response = programme_services.save_response(
                    survey, facility, contact=contact, user=user, today=day, **needs
                )
                if submitted:
                    programme_services.submit_response(response, user=user, today=day)
        with set_actor(officer):
            if survey.status != SurveyStatus.CLOSED:
                survey.status = SurveyStatus.CLOSED
                programme_services.update_survey(survey, user=officer, today=D(2024, 9, 3))

            programme = Programme.objects.filter(
                title=PROGRAMME_003_TITLE, framework=Framework.PROJECT_1816
            ).first()
            if programme is None:
                answered = [
                    r.facility
                    for r in survey.responses.filter(status=ResponseStatus.SUBMITTED)
                    .select_related("facility")
                    .order_by("facility__code")
                ]
                start, end = D(2024, 9, 1), D(2025, 12, 31)
                programme = programme_services.create_programme(
                    Programme(
                        title=PROGRAMME_003_TITLE,
                        kind=ProgrammeKind.AGREEMENT,
                        framework=Framework.PROJECT_1816,
                        signed_on=D(2024, 9, 20),
                        start_date=start,
                        end_date=end,
                        survey=survey,
                        description="Đào tạo, chuyển giao các danh mục kỹ thuật theo đề nghị của "
                        "Sở Y tế Bắc Kạn sau khảo sát ngày 24/7/2024; hỗ trợ khám chữa bệnh, hội "
                        "chẩn từ xa.",
                    ),
                    parties=[
                        ProgrammeParty(org_unit=bvtw, side=Side.PROVIDER, role=PartyRole.SIGNATORY),
                        ProgrammeParty(
                            org_unit=syt_bk, side=Side.RECIPIENT, role=PartyRole.SIGNATORY
                        ),
                        *(
                            ProgrammeParty(
                                org_unit=unit,
                                side=Side.RECIPIENT,
                                role=PartyRole.IMPLEMENTER,
                                assignment="Đơn vị đã đăng ký nhu cầu",
                            )
                            for unit in answered
                        ),
                    ],
                    areas=[
                        ProgrammeArea(area=ContentArea.TECHNIQUE_TRANSFER),
                        ProgrammeArea(area=ContentArea.TRAINING),
                        ProgrammeArea(area=ContentArea.TELEMEDICINE),
                    ],
                    items=[
                        ProgrammeItem(
                            number=1,
                            area=ContentArea.TECHNIQUE_TRANSFER,
                            title="Chuyển giao kỹ thuật mới, kỹ thuật cao theo danh mục đăng ký",
                            provider=bvtw,
                            recipient=bvdk,
                            planned_start=D(2024, 10, 1),
                            planned_end=end,
                            status=ItemStatus.IN_PROGRESS,
                        ),
                        ProgrammeItem(
                            number=2,
                            area=ContentArea.TRAINING,
                            title="Đào tạo ngắn hạn, đào tạo liên tục và cầm tay chỉ việc",
                            provider=bvtw,
                            planned_start=D(2024, 10, 1),
                            planned_end=D(2025, 6, 30),
                            status=ItemStatus.IN_PROGRESS,
                        ),
                        ProgrammeItem(
                            number=3,
                            area=ContentArea.TELEMEDICINE,
                            title="Hội chẩn, khám chữa bệnh từ xa theo chuyên khoa đăng ký",
                            provider=bvtw,
                            planned_start=D(2024, 10, 1),
                            planned_end=end,
                            status=ItemStatus.IN_PROGRESS,
                        ),
                    ],
                    user=officer,
                    today=D(2024, 9, 20),
                )

            # Training was done by mid-2025.
            items = list(programme.items.all())
            training = next(i for i in items if i.number == 2)
            if training.status != ItemStatus.DONE:
                training.status, training.done_on = ItemStatus.DONE, D(2025, 6, 27)
                training.result = "Đào tạo ngắn hạn, CME và cầm tay chỉ việc theo nhu cầu đăng ký"
                programme_services.save_programme(
                    programme, items=items, user=officer, today=D(2025, 6, 30)
                )

            # The hospital's most pressing need is taken into a planned transfer of the programme.
            need = TechniqueNeed.objects.get(
                response__survey=survey, response__facility=bvdk, technique=self.tech("03.005")
            )
            if need.status == NeedStatus.OPEN:
                matching.accept_proposal(
                    need,
                    bvtw,
                    programme,
                    user=officer,
                    date=D(2024, 10, 15),
                    responsible="Phòng Chỉ đạo tuyến; Trung tâm Nhi khoa",
                    note="Theo danh mục đăng ký của Sở Y tế Bắc Kạn (Đề án 1816)",
                )
