"""Demo remote consultations and tele-education sessions: BV Trung ương Thái Nguyên (hub)
and the facilities of the former Bắc Kạn (spokes), 2024-2025. Idempotent."""

import datetime
from decimal import Decimal

from django.utils import timezone

from doha.catalog.models import Specialty
from doha.catalog.services import ensure_chapters
from doha.orgunits.models import OrgUnit
from doha.telehealth import services
from doha.telehealth.models import Consultation, Outcome, TeleEducationSession, Urgency

U, E, R = Urgency.URGENT, Urgency.EMERGENCY, Urgency.ROUTINE
LOCAL, REF, TRANS, PENDING = (
    Outcome.TREATED_LOCALLY,
    Outcome.REFERRED,
    Outcome.TRANSFERRED,
    Outcome.PENDING,
)

# (spoke index: 0 = BVĐK Bắc Kạn, n = the n-th TTYT), specialty chapter, urgency,
# requested (y, m, d, h, min), hours to the answer (None: not answered), age, sex,
# summary, conclusion, outcome
CONSULTATIONS = [
    (
        0,
        2,
        U,
        (2024, 9, 12, 9, 30),
        2.5,
        67,
        "male",
        "Đau ngực trái lan tay trái 3 giờ, ST chênh lên DII, DIII, aVF; tiền sử tăng huyết áp.",
        "Nhồi máu cơ tim cấp thành dưới: tiêu sợi huyết tại chỗ, theo dõi sát.",
        LOCAL,
    ),
    (
        0,
        3,
        E,
        (2024, 10, 3, 22, 15),
        0.5,
        2,
        "female",
        "Trẻ sốt cao 3 ngày, co giật toàn thân 2 lần, cổ cứng, thóp phồng.",
        "Nghi viêm màng não mủ: kháng sinh liều đầu, chuyển tuyến trên.",
        TRANS,
    ),
    (
        1,
        13,
        U,
        (2024, 11, 18, 14, 0),
        4.0,
        29,
        "female",
        "Thai 34 tuần, huyết áp 160/110 mmHg, protein niệu (++), phù hai chi dưới.",
        "Tiền sản giật nặng: magie sulfat, hạ áp, chuyển Bệnh viện Đa khoa tỉnh.",
        REF,
    ),
    (
        2,
        2,
        R,
        (2025, 1, 8, 10, 0),
        20.0,
        54,
        "male",
        "Đái tháo đường type 2 kiểm soát kém, HbA1c 10,2%, đang dùng metformin.",
        "Chỉnh phác đồ: thêm insulin nền, tư vấn dinh dưỡng, tái khám sau 1 tháng.",
        LOCAL,
    ),
    (
        0,
        10,
        U,
        (2025, 3, 21, 16, 45),
        1.5,
        41,
        "male",
        "Tai nạn giao thông, chấn thương bụng kín, siêu âm có dịch ổ bụng lượng vừa.",
        "Vỡ lách độ II: mổ cấp cứu tại chỗ với hướng dẫn trực tuyến.",
        LOCAL,
    ),
    (
        3,
        1,
        E,
        (2025, 5, 6, 3, 20),
        0.75,
        72,
        "female",
        "Khó thở tăng dần, SpO2 84%, ran ẩm hai phổi, tiền sử suy tim.",
        "Phù phổi cấp: thở oxy, lợi tiểu tĩnh mạch; ổn định sau 6 giờ.",
        LOCAL,
    ),
    (
        1,
        3,
        R,
        (2025, 7, 14, 8, 0),
        26.0,
        6,
        "male",
        "Trẻ ho kéo dài 6 tuần, sụt cân, tiếp xúc người nhà mắc lao.",
        "Nghi lao trẻ em: chuyển khám chuyên khoa lao tỉnh.",
        REF,
    ),
    (
        2,
        10,
        U,
        (2025, 9, 2, 11, 10),
        None,
        35,
        "female",
        "Đau hố chậu phải 12 giờ, sốt 38,5 °C, bạch cầu 15 G/L.",
        "",
        PENDING,
    ),
]

SESSIONS = [
    (
        "Xử trí ban đầu đột quỵ não tại tuyến huyện",
        2,
        (2024, 10, 15),
        "2.0",
        [(0, 25), (1, 12), (2, 9)],
    ),
    (
        "Hồi sức sơ sinh và chăm sóc trẻ non tháng",
        3,
        (2025, 4, 22),
        "1.5",
        [(0, 18), (1, 10), (3, 8)],
    ),
]


def _specialty(number: int) -> Specialty:
    code = f"{number:02d}"
    specialty = Specialty.objects.filter(code=code).first()
    if specialty is None:
        ensure_chapters()
        specialty = Specialty.objects.get(code=code)
    return specialty


def _at(parts) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*parts))


def load_demo_telehealth() -> int:
    """Create what is missing; returns how many records were created."""
    hub = OrgUnit.objects.filter(code="BVTW-TN").first()
    bvdk = OrgUnit.objects.filter(code="BK-BVDK").first()
    centres = sorted(
        OrgUnit.objects.filter(code__startswith="BK-TTYT-", active=True),
        # TTYT Chợ Mới first: its demo clerk (ttyt.chomoi) then sees consultations of its own.
        key=lambda unit: (unit.code != "BK-TTYT-CHOMOI", unit.code),
    )
    if hub is None or (bvdk is None and not centres):
        return 0
    spokes = [bvdk or centres[0], *centres]

    def spoke(index):
        return spokes[index % len(spokes)]

    created = 0
    for (
        index,
        chapter,
        urgency,
        when,
        hours,
        age,
        sex,
        summary,
        conclusion,
        outcome,
    ) in CONSULTATIONS:
        requesting = spoke(index)
        requested_at = _at(when)
        if Consultation.objects.filter(
            hub=hub, requesting=requesting, requested_at=requested_at
        ).exists():
            continue
        services.save_consultation(
            Consultation(
                requesting=requesting,
                hub=hub,
                specialty=_specialty(chapter),
                urgency=urgency,
                patient_age=age,
                patient_sex=sex,
                patient_summary=summary,
                requested_at=requested_at,
                answered_at=requested_at + datetime.timedelta(hours=hours) if hours else None,
                participants_text="BS. Khoa chuyên môn BV Trung ương Thái Nguyên; "
                "bác sĩ điều trị tuyến dưới",
                conclusion=conclusion,
                outcome=outcome,
            )
        )
        created += 1
    for topic, chapter, day, hours, attendance in SESSIONS:
        date = datetime.date(*day)
        if TeleEducationSession.objects.filter(hub=hub, topic=topic, date=date).exists():
            continue
        pairs = {}
        for index, attendees in attendance:
            pairs[spoke(index).pk] = (spoke(index), attendees)
        services.save_session(
            TeleEducationSession(
                hub=hub,
                topic=topic,
                specialty=_specialty(chapter),
                date=date,
                duration_hours=Decimal(hours),
            ),
            [unit for unit, _n in pairs.values()],
            list(pairs.values()),
        )
        created += 1
    return created
