"""Demo letterheads (Bắc Ninh's and Quảng Ninh's Departments of Health) and the Bắc Ninh DOH's
semi-annual review of the last complete six months, written by ``syt.bacninh``; the Thái
Nguyên central hospital's line-direction report from July 2024 to December 2025
(``load_line_direction_report_demo``), written by ``cdt.bvtwthainguyen``.

Idempotent: existing letterheads and reports are left as they are. Called by the demo loader
after the statistics (``doha.web.demo``).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from doha.orgunits.models import OrgUnit
from doha.reports.models import Letterhead, Report, ReportKind, ReportVersion, VersionStatus
from doha.reports.periods import period_bounds

LETTERHEADS = {
    "BN-SYT": {
        "parent_body": "UBND TỈNH BẮC NINH",
        "issuing_body": "SỞ Y TẾ",
        "symbol_suffix": "BC-SYT",
        "place_name": "Bắc Ninh",
        "signer_authority": "KT. GIÁM ĐỐC",
        "signer_title": "PHÓ GIÁM ĐỐC",
        "signer_name": "Lê Minh Hòa",
        "recipients": "Bộ Y tế (để báo cáo)\nThường trực Tỉnh ủy, HĐND tỉnh (để báo cáo)\n"
        "UBND tỉnh (để báo cáo)\nBan Giám đốc Sở\nCác phòng chức năng Sở\n"
        "Các đơn vị trực thuộc Sở",
    },
    "QN-SYT": {
        "parent_body": "UBND TỈNH QUẢNG NINH",
        "issuing_body": "SỞ Y TẾ",
        "symbol_suffix": "BC-SYT",
        "place_name": "Quảng Ninh",
        "signer_authority": "KT. GIÁM ĐỐC",
        "signer_title": "PHÓ GIÁM ĐỐC",
        "signer_name": "",
        "recipients": "Bộ Y tế (để báo cáo)\nUBND tỉnh (để báo cáo)\nCác đơn vị trực thuộc Sở",
    },
}

SHORTCOMINGS = (
    "Vẫn còn sự cố y khoa; công tác quản lý khám, chữa bệnh bảo hiểm y tế còn nhiều vướng mắc.\n"
    "Tỷ lệ người dân được lập hồ sơ sức khỏe chưa đạt 100% số xã, phường.\n"
    "Công tác quản lý đấu thầu thuốc, vật tư y tế còn chưa chặt chẽ."
)
NEXT_TASKS = (
    "Tập trung phòng, chống dịch bệnh, đặc biệt là sốt xuất huyết, không để dịch lây lan rộng.\n"
    "Tiếp tục khám, lập hồ sơ quản lý sức khỏe cá nhân trên 100% các xã, phường.\n"
    "Duy trì, nâng cao chất lượng khám, chữa bệnh; tăng cường ứng dụng công nghệ thông tin "
    "trong quản lý khám, chữa bệnh và thanh toán bảo hiểm y tế.\n"
    "Phối hợp chặt chẽ với Bảo hiểm xã hội tỉnh trong thanh toán khám, chữa bệnh bảo hiểm y tế."
)


def _last_half(today: datetime.date) -> tuple[str, int]:
    if today.month > 6:
        return "S1", today.year
    return "S2", today.year - 1


def load_reports_demo(stdout=None, today: datetime.date | None = None, generate: bool = True):
    """Letterheads, and Bắc Ninh's review with one generated version (``generate=False``
    leaves it without versions)."""
    from doha.users.models import User

    with transaction.atomic():
        for code, fields in LETTERHEADS.items():
            unit = OrgUnit.objects.filter(code=code).first()
            if unit is not None and not Letterhead.objects.filter(org_unit=unit).exists():
                Letterhead.objects.create(org_unit=unit, **fields)
        doh = OrgUnit.objects.filter(code="BN-SYT").first()
        author = User.objects.filter(username="syt.bacninh").first()
        if doh is None or author is None:
            return None
        half, year = _last_half(today or timezone.localdate())
        report = Report.objects.filter(
            org_unit=doh, kind=ReportKind.SEMIANNUAL, period_kind=half, year=year
        ).first()
        if report is not None:
            return report
        start, end = period_bounds(half, year)
        report = Report.objects.create(
            kind=ReportKind.SEMIANNUAL,
            org_unit=doh,
            issuer=doh,
            period_kind=half,
            year=year,
            start_date=start,
            end_date=end,
            date=end + datetime.timedelta(days=28),
            language="vi",
            shortcomings=SHORTCOMINGS,
            next_tasks=NEXT_TASKS,
        )
        version = ReportVersion.objects.create(
            report=report, number=1, status=VersionStatus.QUEUED, created_by=author
        )
    if generate:
        from doha.reports.services import run_version

        version = run_version(version.pk)
        if stdout is not None:
            stdout.write(f"reports: {report} v1 {version.status}\n")
    return report


CENTRAL_HOSPITAL_LETTERHEAD = {
    "parent_body": "BỘ Y TẾ",
    "issuing_body": "BỆNH VIỆN TRUNG ƯƠNG THÁI NGUYÊN",
    "symbol_suffix": "BC-BVTWTN",
    "place_name": "Thái Nguyên",
    "signer_authority": "KT. GIÁM ĐỐC",
    "signer_title": "PHÓ GIÁM ĐỐC",
    "signer_name": "",
    "recipients": "Bộ Y tế (Cục Quản lý Khám, chữa bệnh)\nSở Y tế các tỉnh trong khu vực\n"
    "Ban Giám đốc\nPhòng Chỉ đạo tuyến",
}
LINE_SHORTCOMINGS = (
    "Một số kỹ thuật sau chuyển giao chưa được duy trì thường xuyên do thiếu nhân lực "
    "và trang thiết bị tại tuyến dưới.\n"
    "Một số hành động khắc phục sau giám sát chưa hoàn thành đúng hạn."
)
LINE_NEXT_TASKS = (
    "Tiếp tục thực hiện Đề án 1816, cử cán bộ luân phiên hỗ trợ các đơn vị tuyến dưới.\n"
    "Theo dõi duy trì các kỹ thuật đã chuyển giao sau 6 và 12 tháng.\n"
    "Đôn đốc các đơn vị hoàn thành các hành động khắc phục quá hạn."
)


def load_line_direction_report_demo(
    stdout=None,
    generate: bool = True,
    start: datetime.date = datetime.date(2024, 7, 1),
    end: datetime.date = datetime.date(2025, 12, 31),
):
    """The Thái Nguyên central hospital's letterhead and its line-direction report from
    ``start`` to ``end`` (by default the Project 1816 support of the former Bắc Kạn: its
    July 2024 visit, the programme, the rotations and the actions, some overdue at the end),
    with one generated version (``generate=False`` leaves it without versions). Call it
    after the activity demos (programmes, transfers, visits, checklists, awards): it reads
    them. Idempotent: an existing report of the same period is returned as it is."""
    from doha.users.models import User

    with transaction.atomic():
        hospital = OrgUnit.objects.filter(code="BVTW-TN").first()
        author = User.objects.filter(username="cdt.bvtwthainguyen").first()
        if hospital is None or author is None:
            return None
        if not Letterhead.objects.filter(org_unit=hospital).exists():
            Letterhead.objects.create(org_unit=hospital, **CENTRAL_HOSPITAL_LETTERHEAD)
        report = Report.objects.filter(
            org_unit=hospital, kind=ReportKind.LINE_DIRECTION, start_date=start, end_date=end
        ).first()
        if report is not None:
            return report
        report = Report.objects.create(
            kind=ReportKind.LINE_DIRECTION,
            org_unit=hospital,
            issuer=hospital,
            period_kind="range",
            year=start.year,
            start_date=start,
            end_date=end,
            number=15,
            date=end + datetime.timedelta(days=15),
            language="vi",
            shortcomings=LINE_SHORTCOMINGS,
            next_tasks=LINE_NEXT_TASKS,
        )
        version = ReportVersion.objects.create(
            report=report, number=1, status=VersionStatus.QUEUED, created_by=author
        )
    if generate:
        from doha.reports.services import run_version

        version = run_version(version.pk)
        if stdout is not None:
            stdout.write(f"reports: {report} v1 {version.status}\n")
    return report
