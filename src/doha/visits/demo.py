"""Demo visits, built through the services (idempotent: a visit whose title exists is left
alone):

* seed 000: on 13/05/2016 Bắc Giang's Department of Health and preventive-medicine centre
  study Quảng Ninh's service-vaccination model, with the lessons they took home;
* seed 003: on 24/07/2024 Bệnh viện Trung ương Thái Nguyên works with the former Bắc Kạn's
  facilities; its findings raised follow-up actions, some done on time, some late, some
  still open and overdue (the demo's today is 07/12/2026), one dropped with its reason;
* two supervision visits of Sở Y tế Bắc Ninh to TTYT Tiên Du (11/2025 and 10/2026), named in
  ``TIEN_DU_VISIT_TITLES``: the checklist demo fills a checklist on each.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from doha.orgunits.models import OrgUnit
from doha.visits import services
from doha.visits.models import Finding, FollowUpAction, Visit, VisitKind, VisitMember

D = datetime.date

STUDY_TOUR_TITLE = (
    "Tham quan, trao đổi mô hình quản lý vắc xin dịch vụ và phát triển dịch vụ y tế dự phòng "
    "tại Quảng Ninh"
)
BAC_KAN_TITLE = (
    "Bệnh viện Trung ương Thái Nguyên làm việc với các cơ sở y tế tỉnh Bắc Kạn về đào tạo, "
    "chuyển giao kỹ thuật (Đề án 1816)"
)
TIEN_DU_VISIT_TITLES = (
    "Giám sát công tác chuyên môn tại TTYT Tiên Du lần 1 (11/2025)",
    "Giám sát công tác chuyên môn tại TTYT Tiên Du lần 2 (10/2026)",
)

STUDY_TOUR_LESSONS = (
    "Phát triển dịch vụ y tế dự phòng là hướng đi đúng nhưng khó, cần sự ủng hộ quyết liệt "
    "của các cấp, các ngành từ địa phương đến trung ương.\n"
    "Trung tâm Y tế dự phòng Quảng Ninh vẫn làm tốt nhiệm vụ chính (kiểm soát, ngăn ngừa "
    "dịch bệnh) trong khi đầu tư trang thiết bị, cơ sở vật chất và trình độ cán bộ để phát "
    "triển 11 nguồn thu dịch vụ: vắc xin dịch vụ, phòng khám đa khoa, quan trắc môi trường, "
    "xét nghiệm...\n"
    "Y tế dự phòng Bắc Giang xác định được mô hình và mục tiêu phát triển dịch vụ trong thời "
    "gian tới, bắt đầu từ vắc xin dịch vụ."
)


def _unit(code):
    return OrgUnit.objects.filter(code=code).first()


def _existing(title):
    return Visit.objects.filter(title=title).first()


def _visit(title, *, members=(), findings=(), **fields) -> Visit:
    visit = Visit(title=title, **fields)
    return services.save_visit(
        visit,
        members=[VisitMember(**m) for m in members],
        findings=[
            Finding(order=i, area=area, text=text) for i, (area, text) in enumerate(findings, 1)
        ],
    )


def _action(visit, finding_no, owner, description, due, *, person="", step=None, on=None, **kw):
    finding = visit.findings.filter(order=finding_no).first() if finding_no else None
    action = services.save_action(
        FollowUpAction(
            visit=visit,
            finding=finding,
            description=description,
            owner_facility=owner,
            owner_person=person,
            due_date=due,
        )
    )
    if step == "start":
        action = services.change_status(action, services.START)
    elif step in ("close", "drop"):
        action = services.change_status(action, step, on=on, **kw)
    return action


def _study_tour():
    host, visiting = _unit("QN-TTYTDP"), _unit("BG-TTYTDP")
    if host is None or visiting is None or _existing(STUDY_TOUR_TITLE):
        return 0
    _visit(
        STUDY_TOUR_TITLE,
        kind=VisitKind.STUDY_TOUR,
        host=host,
        visiting=visiting,
        start_date=D(2016, 5, 13),
        end_date=D(2016, 5, 13),
        purpose=(
            "Đoàn cán bộ Sở Y tế và Trung tâm Y tế dự phòng tỉnh Bắc Giang tham quan, trao đổi "
            "mô hình quản lý vắc xin dịch vụ và phát triển dịch vụ y tế dự phòng tại Trung tâm "
            "Y tế dự phòng tỉnh Quảng Ninh (Hạ Long)."
        ),
        lessons=STUDY_TOUR_LESSONS,
        notes="Nguồn: Hiệp - TCHC.",
        members=[
            {
                "name": "Hàn Thị Hồng Thúy",
                "position": "Phó Giám đốc Sở Y tế, trưởng đoàn",
                "unit": "Sở Y tế tỉnh Bắc Giang",
            },
            {
                "name": "BS Đặng Thanh Minh",
                "position": "Giám đốc",
                "unit": "Trung tâm Y tế dự phòng tỉnh Bắc Giang",
            },
        ],
        findings=[
            (
                "Vắc xin dịch vụ",
                "Quảng Ninh tổ chức vắc xin dịch vụ song song với tiêm chủng mở rộng, đầu tư "
                "điểm tiêm, dây chuyền lạnh và nhân lực riêng.",
            ),
            (
                "Phát triển dịch vụ",
                "Trung tâm đã có 11 nguồn thu từ dịch vụ y tế dự phòng, góp phần tăng thu nhập "
                "cho cán bộ nhân viên.",
            ),
        ],
    )
    return 1


def _bac_kan():
    host, visiting = _unit("BK-BVDK"), _unit("BVTW-TN")
    if host is None or visiting is None or _existing(BAC_KAN_TITLE):
        return 0
    centre = {
        code: _unit(code) or host
        for code in ("BK-TTYT-CHOMOI", "BK-TTYT-CHODON", "BK-TTYT-BABE", "BK-TTYT-NARI")
    }
    visit = _visit(
        BAC_KAN_TITLE,
        kind=VisitKind.WORKING,
        host=host,
        visiting=visiting,
        start_date=D(2024, 7, 24),
        end_date=D(2024, 7, 24),
        purpose=(
            "Khảo sát và đánh giá nhu cầu đào tạo, chuyển giao kỹ thuật theo Đề án 1816 tại "
            "Sở Y tế tỉnh Bắc Kạn, Bệnh viện Đa khoa tỉnh và các Trung tâm Y tế huyện, thành phố."
        ),
        lessons=(
            "Nhu cầu cần được rà soát cụ thể theo từng đơn vị, gắn với hội chẩn từ xa và đào "
            "tạo tại chỗ; mỗi hành động khắc phục cần người chịu trách nhiệm và hạn hoàn thành."
        ),
        members=[
            {
                "name": "PGS.TS. Nguyễn Công Hoàng",
                "position": "Giám đốc Bệnh viện, trưởng đoàn",
                "unit": "Bệnh viện Trung ương Thái Nguyên",
            },
            {
                "name": "Phòng Chỉ đạo tuyến",
                "position": "Thư ký đoàn",
                "unit": "Bệnh viện Trung ương Thái Nguyên",
            },
        ],
        findings=[
            (
                "Nhân lực",
                "Thiếu bác sĩ hồi sức được đào tạo lọc máu liên tục; chưa có danh mục kỹ "
                "thuật đề nghị chuyển giao cho năm 2025.",
            ),
            (
                "Trang thiết bị",
                "Máy X-quang của một số Trung tâm Y tế huyện chưa được hiệu chuẩn định kỳ.",
            ),
            (
                "Hội chẩn từ xa",
                "Các Trung tâm Y tế huyện chưa kết nối hội chẩn từ xa với bệnh viện tuyến trên.",
            ),
            (
                "Kiểm soát nhiễm khuẩn",
                "Khoa Hồi sức tích cực chưa có quy trình kiểm soát nhiễm khuẩn cập nhật.",
            ),
        ],
    )
    _action(
        visit,
        1,
        host,
        "Lập danh mục kỹ thuật đề nghị chuyển giao năm 2025 gửi Bệnh viện Trung ương Thái Nguyên",
        D(2024, 9, 30),
        person="Phòng Kế hoạch tổng hợp",
        step="close",
        on=D(2024, 9, 25),
        evidence="Công văn gửi danh mục 12 kỹ thuật đề nghị chuyển giao ngày 25/09/2024.",
    )
    _action(
        visit,
        1,
        host,
        "Cử 2 bác sĩ hồi sức đi đào tạo lọc máu liên tục tại Bệnh viện Trung ương Thái Nguyên",
        D(2024, 12, 31),
        person="Khoa Hồi sức tích cực",
        step="close",
        on=D(2024, 12, 20),
        evidence="Quyết định cử cán bộ đi đào tạo và chứng chỉ hoàn thành khóa học.",
    )
    _action(
        visit,
        2,
        centre["BK-TTYT-CHODON"],
        "Hiệu chuẩn máy X-quang và gửi biên bản kiểm định",
        D(2025, 3, 31),
        person="Khoa Chẩn đoán hình ảnh",
        step="close",
        on=D(2025, 5, 15),
        evidence="Biên bản kiểm định máy X-quang ngày 15/05/2025 (trễ do chờ đơn vị kiểm định).",
    )
    _action(
        visit,
        3,
        centre["BK-TTYT-CHOMOI"],
        "Kết nối hội chẩn từ xa với Bệnh viện Trung ương Thái Nguyên và hội chẩn thử một ca",
        D(2025, 6, 30),
        person="Phòng Kế hoạch - Nghiệp vụ",
        step="start",
    )
    _action(
        visit,
        4,
        host,
        "Ban hành quy trình kiểm soát nhiễm khuẩn khoa Hồi sức tích cực",
        D(2026, 9, 30),
        person="Khoa Kiểm soát nhiễm khuẩn",
    )
    _action(
        visit,
        3,
        centre["BK-TTYT-BABE"],
        "Cử bác sĩ tham gia hội chẩn từ xa hằng tháng với bệnh viện tuyến trên",
        D(2027, 3, 31),
        person="Ban Giám đốc",
    )
    _action(
        visit,
        1,
        centre["BK-TTYT-NARI"],
        "Đào tạo siêu âm tổng quát cho 2 bác sĩ tại Bệnh viện Trung ương Thái Nguyên",
        D(2025, 6, 30),
        person="Phòng Tổ chức - Hành chính",
        step="drop",
        on=D(2025, 8, 15),
        reason=(
            "Sau khi sáp nhập tỉnh (01/07/2025) hai bác sĩ được điều động về Trung tâm Y tế "
            "khác; nhu cầu được đưa vào kế hoạch đào tạo chung của Sở Y tế Thái Nguyên."
        ),
    )
    return 1


def _tien_du():
    host, visiting = _unit("BN-TTYT-TIENDU"), _unit("BN-SYT")
    if host is None or visiting is None:
        return 0
    created = 0
    members = [
        {
            "name": "Nguyễn Văn Hùng",
            "position": "Trưởng phòng Nghiệp vụ Y, trưởng đoàn",
            "unit": "Sở Y tế tỉnh Bắc Ninh",
        },
        {
            "name": "Trần Thị Lan",
            "position": "Chuyên viên phòng Nghiệp vụ Y",
            "unit": "Sở Y tế tỉnh Bắc Ninh",
        },
    ]
    first_title, second_title = TIEN_DU_VISIT_TITLES
    if not _existing(first_title):
        visit = _visit(
            first_title,
            kind=VisitKind.SUPERVISION,
            host=host,
            visiting=visiting,
            start_date=D(2025, 11, 18),
            end_date=D(2025, 11, 19),
            purpose="Giám sát công tác khám chữa bệnh, kiểm soát nhiễm khuẩn và hồ sơ bệnh án "
            "theo bảng kiểm giám sát của Sở Y tế.",
            lessons="Cần giám sát lại sau khoảng một năm để đánh giá tiến bộ theo bảng kiểm.",
            members=members,
            findings=[
                ("Hồ sơ bệnh án", "30% hồ sơ bệnh án nội trú thiếu chữ ký của bác sĩ điều trị."),
                ("Kiểm soát nhiễm khuẩn", "Chưa có sổ theo dõi vệ sinh tay tại các khoa lâm sàng."),
            ],
        )
        _action(
            visit,
            1,
            host,
            "Rà soát, bổ sung chữ ký trong hồ sơ bệnh án nội trú",
            D(2025, 12, 31),
            person="Phòng Kế hoạch - Nghiệp vụ",
            step="close",
            on=D(2025, 12, 22),
            evidence="Biên bản rà soát hồ sơ bệnh án tháng 12/2025.",
        )
        _action(
            visit,
            2,
            host,
            "Lập sổ theo dõi vệ sinh tay tại các khoa lâm sàng",
            D(2026, 1, 31),
            person="Khoa Kiểm soát nhiễm khuẩn",
            step="close",
            on=D(2026, 3, 10),
            evidence="Sổ theo dõi vệ sinh tay được triển khai tại 6 khoa từ 10/03/2026.",
        )
        created += 1
    if not _existing(second_title):
        visit = _visit(
            second_title,
            kind=VisitKind.SUPERVISION,
            host=host,
            visiting=visiting,
            start_date=D(2026, 10, 20),
            end_date=D(2026, 10, 21),
            purpose="Giám sát lại theo bảng kiểm, so sánh với lần giám sát tháng 11/2025.",
            lessons="Hồ sơ bệnh án và vệ sinh tay đã cải thiện; còn thiếu quy trình xử lý chất "
            "thải y tế cập nhật.",
            members=members,
            findings=[
                (
                    "Chất thải y tế",
                    "Quy trình phân loại chất thải y tế chưa cập nhật theo quy định mới.",
                ),
                ("Phòng cháy chữa cháy", "Bình chữa cháy tại khoa Dược đã quá hạn kiểm định."),
            ],
        )
        _action(
            visit,
            2,
            host,
            "Thay và kiểm định bình chữa cháy tại khoa Dược",
            D(2026, 11, 15),
            person="Phòng Tổ chức - Hành chính",
        )
        _action(
            visit,
            1,
            host,
            "Cập nhật quy trình phân loại, thu gom chất thải y tế",
            D(2026, 12, 31),
            person="Khoa Kiểm soát nhiễm khuẩn",
            step="start",
        )
        created += 1
    return created


@transaction.atomic
def load_demo_visits() -> int:
    """Create the demo visits that are missing; returns how many were created. Run after the
    org units (and the other demo loaders); computes the action figures at the end."""
    from doha.visits.figures import compute_recorded

    created = _study_tour() + _bac_kan() + _tien_du()
    if created:
        compute_recorded()
    return created
