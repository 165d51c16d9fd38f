"""Certificates of completion as PDF, in Vietnamese.

The text is drawn with an embedded TrueType font that has the Vietnamese glyphs (DejaVu
Sans, package fonts-dejavu-core on Debian); the PDF base fonts do not have them.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from doha.training import signing

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
# The QR code's place on the page, in points from the bottom left (quiet zone included).
QR_X, QR_Y, QR_SIZE = 52.0, 50.0, 110.0
REGULAR, BOLD = "DohaSans", "DohaSans-Bold"


class CertificateFontMissing(ImproperlyConfigured):
    pass


def font_files() -> tuple[Path, Path]:
    folder = Path(getattr(settings, "DOHA_CERTIFICATE_FONT_DIR", FONT_DIR))
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def _register_fonts():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = font_files()
    missing = [str(p) for p in (regular, bold) if not p.is_file()]
    if missing:
        raise CertificateFontMissing(
            "Certificates need the DejaVu Sans fonts for Vietnamese text; missing: "
            + ", ".join(missing)
            + " (install fonts-dejavu-core or set DOHA_CERTIFICATE_FONT_DIR)."
        )
    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR not in registered:
        pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
    if BOLD not in registered:
        pdfmetrics.registerFont(TTFont(BOLD, str(bold)))


def _d(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _hours(value) -> str:
    text = f"{value:.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def place_of(unit) -> str:
    """The place written before the date: the province (or ward) of the organiser."""
    admin = unit.admin_unit
    while admin is not None and admin.parent_id is not None:
        admin = admin.parent
    if admin is not None:
        return admin.short_name or admin.name
    return unit.short_name or unit.name


def certificate_filename(enrolment) -> str:
    number = (enrolment.certificate_number or enrolment.pk).__str__().replace("/", "-")
    return f"giay-chung-nhan-{number}.pdf"


def verification_url(code: str, base_url: str = "") -> str:
    """The public page that checks ``code``; absolute when the instance's address is known
    (``DOHA_PUBLIC_URL`` or the request's)."""
    return _base(base_url) + reverse("verify-code", args=[signing.normalize(code)])


def _base(base_url: str = "") -> str:
    return (getattr(settings, "DOHA_PUBLIC_URL", "") or base_url or "").rstrip("/")


def qr_for(url: str):
    import segno

    return segno.make(url, error="m", micro=False)


def _draw_qr(pdf, url: str):
    """The QR code as vector squares (sharp at any print size), on a white quiet zone."""
    from reportlab.lib.colors import HexColor

    qr = qr_for(url)
    rows = [list(row) for row in qr.matrix_iter(border=4)]
    module = QR_SIZE / len(rows)
    pdf.saveState()
    pdf.setFillColor(HexColor("#ffffff"))
    pdf.rect(QR_X, QR_Y, QR_SIZE, QR_SIZE, stroke=0, fill=1)
    pdf.setFillColor(HexColor("#000000"))
    path = pdf.beginPath()
    for r, row in enumerate(rows):
        y = QR_Y + QR_SIZE - (r + 1) * module
        for c, dark in enumerate(row):
            if dark:
                path.rect(QR_X + c * module, y, module, module)
    pdf.drawPath(path, stroke=0, fill=1)
    pdf.restoreState()


def render_certificate(enrolment, certificate=None, base_url: str = "") -> bytes:
    """The certificate of a passed enrolment, one A4 landscape page, with its signed
    verification code and the QR code of the verification page."""
    from doha.training.services import codes_of, current_certificate

    certificate = certificate or current_certificate(enrolment)
    if certificate is None:
        raise ValueError("The enrolment has no valid certificate.")
    short, full = codes_of(certificate)
    url = verification_url(full, base_url)
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    _register_fonts()
    course, worker = enrolment.course, enrolment.worker
    organiser = course.organiser
    issued = enrolment.result_date or course.end_date
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"Giấy chứng nhận {enrolment.certificate_number}")
    pdf.setAuthor(organiser.name)
    pdf.setSubject(course.title)
    pdf.setStrokeColor(HexColor("#1f5f8b"))
    pdf.setLineWidth(3)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setLineWidth(1)
    pdf.rect(36, 36, width - 72, height - 72)

    left, right = width * 0.25, width * 0.70
    top = height - 80
    parent = organiser.parent.name if organiser.parent_id else ""
    pdf.setFont(REGULAR, 11)
    if parent:
        pdf.drawCentredString(left, top, parent.upper())
    pdf.setFont(BOLD, 11)
    pdf.drawCentredString(left, top - 16, organiser.name.upper())
    pdf.drawCentredString(right, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    pdf.drawCentredString(right, top - 16, "Độc lập - Tự do - Hạnh phúc")
    pdf.setFont(REGULAR, 10)
    pdf.drawCentredString(left, top - 34, f"Số: {enrolment.certificate_number}")

    pdf.setFillColor(HexColor("#b22222"))
    pdf.setFont(BOLD, 30)
    pdf.drawCentredString(width / 2, top - 95, "GIẤY CHỨNG NHẬN")
    pdf.setFillColor(HexColor("#000000"))
    pdf.setFont(REGULAR, 14)
    pdf.drawCentredString(width / 2, top - 125, f"{organiser.name} chứng nhận")
    pdf.setFont(BOLD, 22)
    pdf.drawCentredString(width / 2, top - 160, worker.full_name)
    pdf.setFont(REGULAR, 13)
    y = top - 190
    lines = []
    if worker.birth_date:
        lines.append(f"Sinh ngày: {_d(worker.birth_date)}")
    lines.append(f"Đơn vị công tác: {worker.facility.name}")
    lines.append("Đã hoàn thành khóa đào tạo:")
    for line in lines:
        pdf.drawCentredString(width / 2, y, line)
        y -= 20
    pdf.setFont(BOLD, 15)
    for line in _wrap(course.title, BOLD, 15, width - 160):
        pdf.drawCentredString(width / 2, y, line)
        y -= 20
    pdf.setFont(REGULAR, 13)
    pdf.drawCentredString(
        width / 2,
        y,
        f"Hình thức: {_kind_vi(course.kind)} · Thời gian: từ ngày {_d(course.start_date)} "
        f"đến ngày {_d(course.end_date)}",
    )
    y -= 20
    venue = "Trực tuyến" if course.online else course.venue
    pdf.drawCentredString(
        width / 2, y, f"Địa điểm: {venue} · Số giờ tín chỉ: {_hours(course.hours)} giờ"
    )
    pdf.setFont(REGULAR, 12)
    pdf.drawCentredString(
        right,
        90,
        f"{place_of(organiser)}, ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}",
    )
    pdf.setFont(BOLD, 12)
    pdf.drawCentredString(right, 72, "THỦ TRƯỞNG ĐƠN VỊ")

    _draw_qr(pdf, url)
    text_x = QR_X + QR_SIZE + 8
    pdf.setFont(REGULAR, 9)
    pdf.drawString(
        text_x, QR_Y + QR_SIZE - 22, "Mã xác thực (quét mã QR hoặc nhập tại trang xác thực):"
    )
    pdf.setFont(BOLD, 12)
    pdf.drawString(text_x, QR_Y + QR_SIZE - 40, signing.group(short))
    pdf.setFont(REGULAR, 8)
    pdf.drawString(text_x, QR_Y + QR_SIZE - 56, f"Xác thực: {_base(base_url)}{reverse('verify')}")
    pdf.drawString(text_x, QR_Y + QR_SIZE - 68, f"Số hiệu: {certificate.serial}")
    pdf.setFont(REGULAR, 6.5)
    pdf.drawString(QR_X + 6, 41, f"Mã ký số đầy đủ (Ed25519): {signing.group(full, 8)}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


KIND_VI = {
    "short_term": "Đào tạo ngắn hạn",
    "long_term": "Đào tạo dài hạn",
    "cme": "Đào tạo liên tục (CME)",
    "hands_on": "Cầm tay chỉ việc",
    "management": "Đào tạo quản lý",
}


def _kind_vi(kind: str) -> str:
    return KIND_VI.get(kind, kind)


def _wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and stringWidth(candidate, font, size) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines[:3]
