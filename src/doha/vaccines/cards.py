"""A client's vaccination history card (phiếu tiêm chủng) as PDF, in Vietnamese.

The text uses the DejaVu Sans fonts embedded the way training certificates embed them
(``doha.training.certificates``): the PDF base fonts have no Vietnamese glyphs.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone, translation

from doha.training.certificates import BOLD, REGULAR, _register_fonts, place_of
from doha.vaccines import schedule
from doha.vaccines.clients import age_label, format_phone

SITE_VI = {
    "left_deltoid": "Cánh tay trái",
    "right_deltoid": "Cánh tay phải",
    "left_thigh": "Đùi trái",
    "right_thigh": "Đùi phải",
    "mouth": "Uống",
    "nose": "Nhỏ mũi",
}
ROUTE_VI = {
    "im": "Tiêm bắp",
    "sc": "Tiêm dưới da",
    "id": "Tiêm trong da",
    "oral": "Uống",
    "nasal": "Xịt mũi",
}
SEX_VI = {"female": "Nữ", "male": "Nam"}
STATUS_VI = {
    schedule.Status.NOT_YET: "Chưa đến hạn",
    schedule.Status.DUE: "Đến hạn",
    schedule.Status.OVERDUE: "Quá hạn, tiêm bù",
    schedule.Status.COMPLETE: "Đã đủ mũi",
    schedule.Status.AGED_OUT: "Quá tuổi",
}


def _d(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _x(text) -> str:
    """Text for a reportlab paragraph (its markup is XML)."""
    return escape(str(text or ""))


def _vi_date(day) -> str:
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def card_filename(client) -> str:
    return f"phieu-tiem-chung-{client.uid}.pdf"


def render_card(client, today=None) -> bytes:
    """The card of ``client``: identity, every dose given, and the next doses due. The card
    is in Vietnamese whatever the user's language (like the training certificates)."""
    with translation.override("vi"):
        return _render(client, today)


def _render(client, today) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_fonts()
    today = today or timezone.localdate()
    unit = client.registered_at
    doses = schedule.client_doses(client)
    forecasts = schedule.forecasts_from_doses(client.date_of_birth, doses, today)

    normal = ParagraphStyle("n", fontName=REGULAR, fontSize=10, leading=13)
    small = ParagraphStyle("s", parent=normal, fontSize=8.5, leading=11)
    small_bold = ParagraphStyle("sb", parent=small, fontName=BOLD)
    centred = ParagraphStyle("c", parent=normal, alignment=TA_CENTER)
    centred_bold = ParagraphStyle("cb", parent=centred, fontName=BOLD)
    title = ParagraphStyle(
        "t", parent=centred, fontName=BOLD, fontSize=18, leading=24, textColor="#1f5f8b"
    )
    heading = ParagraphStyle("h", parent=normal, fontName=BOLD, fontSize=11.5, spaceBefore=8)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"Phiếu tiêm chủng {client.full_name}",
        author=unit.name,
        subject="Lịch sử tiêm chủng",
    )
    width = A4[0] - 30 * mm
    parent = unit.parent.name.upper() if unit.parent_id else ""
    header = Table(
        [
            [
                Paragraph(_x(parent), centred),
                Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centred_bold),
            ],
            [
                Paragraph(_x(unit.name.upper()), centred_bold),
                Paragraph("Độc lập - Tự do - Hạnh phúc", centred_bold),
            ],
        ],
        colWidths=[width * 0.45, width * 0.55],
    )
    story = [header, Spacer(1, 8 * mm), Paragraph("PHIẾU TIÊM CHỦNG", title), Spacer(1, 4 * mm)]

    identity = [
        ("Họ và tên", client.full_name),
        ("Ngày sinh", f"{_d(client.date_of_birth)} ({age_label(client.date_of_birth, today)})"),
        ("Giới tính", SEX_VI.get(client.sex, client.sex)),
    ]
    if client.guardian_name:
        identity.append(("Người giám hộ", client.guardian_name))
    if client.phone:
        identity.append(("Điện thoại", format_phone(client.phone)))
    if client.address or client.commune_id:
        place = ", ".join(
            p for p in (client.address, client.commune.name if client.commune_id else "") if p
        )
        identity.append(("Địa chỉ", place))
    identity.append(("Mã đối tượng", client.uid))
    story.append(
        Table(
            [[Paragraph(k, normal), Paragraph(_x(v), normal)] for k, v in identity],
            colWidths=[35 * mm, width - 35 * mm],
            style=TableStyle(
                [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
            ),
        )
    )

    story.append(Paragraph("Các mũi đã tiêm", heading))
    rows = [
        [
            Paragraph(h, small_bold)
            for h in (
                "TT",
                "Ngày tiêm",
                "Vắc xin (phòng bệnh)",
                "Mũi",
                "Số lô, hạn dùng",
                "Đường, vị trí",
                "Nơi tiêm, người tiêm",
            )
        ]
    ]
    for number, dose in enumerate(doses, start=1):
        antigens = ", ".join(a.name for a in dose.vaccine.antigens.all())
        vaccine = dose.vaccine.name + (f" ({antigens})" if antigens else "")
        given = timezone.localtime(dose.given_at).strftime("%d/%m/%Y %H:%M")
        lot = f"{_x(dose.lot.lot_number)}<br/>HD {_d(dose.lot.expiry_date)}"
        how = f"{ROUTE_VI.get(dose.route, dose.route)}<br/>{SITE_VI.get(dose.site, dose.site)}"
        where = _x(dose.visit.store.name)
        if dose.visit.vaccinator_id:
            where += "<br/>" + _x(dose.visit.vaccinator.full_name)
        rows.append(
            [
                Paragraph(str(number), small),
                Paragraph(given, small),
                Paragraph(_x(vaccine), small),
                Paragraph(str(dose.dose_number), small),
                Paragraph(lot, small),
                Paragraph(how, small),
                Paragraph(where, small),
            ]
        )
    if len(rows) == 1:
        rows.append([Paragraph("Chưa có mũi tiêm nào.", small), "", "", "", "", "", ""])
    table_style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa5b1")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if not doses:
        table_style.append(("SPAN", (0, 1), (-1, 1)))
    story.append(
        Table(
            rows,
            colWidths=[10 * mm, 24 * mm, 44 * mm, 11 * mm, 27 * mm, 25 * mm, width - 141 * mm],
            repeatRows=1,
            style=TableStyle(table_style),
        )
    )

    story.append(Paragraph("Mũi tiếp theo", heading))
    upcoming = [
        [
            Paragraph(h, small_bold)
            for h in ("Vắc xin / kháng nguyên", "Mũi", "Ngày hẹn", "Tình trạng")
        ]
    ]
    for forecast in forecasts:
        if forecast.status in (schedule.Status.COMPLETE, schedule.Status.AGED_OUT):
            upcoming.append(
                [
                    Paragraph(_x(forecast.series.label), small),
                    Paragraph("", small),
                    Paragraph("", small),
                    Paragraph(STATUS_VI[forecast.status], small),
                ]
            )
            continue
        upcoming.append(
            [
                Paragraph(_x(forecast.series.label), small),
                Paragraph(str(forecast.dose_number), small),
                Paragraph(_d(forecast.due), small),
                Paragraph(STATUS_VI[forecast.status], small),
            ]
        )
    if len(upcoming) == 1:
        upcoming.append([Paragraph("Không có mũi hẹn.", small), "", "", ""])
    story.append(
        Table(
            upcoming,
            colWidths=[width - 95 * mm, 15 * mm, 35 * mm, 45 * mm],
            style=TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa5b1")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ]
            ),
        )
    )
    story.append(Spacer(1, 8 * mm))
    story.append(
        Table(
            [
                [
                    "",
                    Paragraph(_x(place_of(unit)) + ", " + _vi_date(today), centred),
                ],
                ["", Paragraph("NGƯỜI LẬP PHIẾU", centred_bold)],
            ],
            colWidths=[width * 0.45, width * 0.55],
        )
    )
    doc.build(story)
    return buffer.getvalue()
