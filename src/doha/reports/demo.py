"""Demo letterheads (Bắc Ninh's and Quảng Ninh's Departments of Health) and the Bắc Ninh DOH's
semi-annual review of the last complete six months, written by ``syt.bacninh``.

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
