"""Administrative documents in the format of Decree 30/2020/NĐ-CP (Phụ lục I), on python-docx.

A4, margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman; a borderless
two-column header (governing body / issuing body with a short line / "Số: 05/BC-SYT" on the
left; the national name, the motto underlined by a line as long as it, and the italic place
and date line on the right); the kind of document ("BÁO CÁO") and its summary (trích yếu)
bold and centred; a 14 pt justified body with a 1.27 cm first-line indent, 6 pt after each
paragraph and 1.15 line spacing; the recipients ("Nơi nhận:", bold italic 12 pt; entries
11 pt "- ...;", the last "- Lưu: VT, ...") beside the signature block (authority, title bold
upper case, room to sign, name bold); page numbers centred at the top from page 2 on.

Use (the semi-annual review here, ``doha.reports.programme`` for programme reports)::

    from doha.reports.document import DecreeDocument, letterhead_for

    with translation.override(report.language):      # legal headers follow the report
        doc = DecreeDocument(letterhead_for(report.issuer or report.org_unit),
                             number=5, date=report.date, title=_("REPORT"),
                             summary="Kết quả thực hiện chương trình ...")
        doc.heading("I. KẾT QUẢ THỰC HIỆN")           # level 1; doc.heading("1. ...", level=2)
        doc.paragraph("Trong 6 tháng đầu năm, ...")  # justified, first-line indent
        doc.paragraph("Bảng 1 ...", bold=True, indent=False, align="center")
        doc.table(["Đơn vị", "Số lượt"], [["TTYT Tiên Du", 12_345]],
                  widths_cm=[10, 5], total=["Cộng", 12_345])   # numbers: 12.345
        doc.image(png_bytes, width_cm=15, caption="Biểu đồ 1. ...")
        doc.closing(["UBND tỉnh", "Bộ Y tế"], archive="VT, NVY")
        data = doc.save()                            # the .docx as bytes

``letterhead`` is a ``doha.reports.models.Letterhead`` or any object with the same
attributes (``parent_body``, ``issuing_body``, ``symbol_suffix``, ``place_name``,
``signer_authority``, ``signer_title``, ``signer_name``, ``recipient_list()``, ``template``
bytes or None). With a base template (a .docx the unit uploaded) the document starts from
it: its styles, page set-up and headers are kept and the content is appended.

A report builder registered in ``doha.reports.builders`` has the signature
``build(report, version, progress) -> BuiltReport`` where ``progress(percent, message)``
reports how far it got and ``BuiltReport(docx: bytes, xlsx: bytes | None)`` is returned;
the PDF is made afterwards from the .docx by ``doha.reports.pdf``.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table

from doha.core.text import format_number

FONT = "Times New Roman"
BODY_PT = 14
HEADER_PT = 13
FIRST_LINE_INDENT_CM = 1.27
HEADER_LEFT_CM = 6.5
HEADER_RIGHT_CM = 10.0

__all__ = [
    "BuiltReport",
    "DecreeDocument",
    "LetterheadData",
    "date_line",
    "document_number",
    "letterhead_for",
    "validate_docx",
]


@dataclass
class BuiltReport:
    """What a report builder returns: the document and its annex, as bytes."""

    docx: bytes
    xlsx: bytes | None = None


@dataclass
class LetterheadData:
    """A letterhead that is not stored (a unit that has not written its own)."""

    parent_body: str = ""
    issuing_body: str = ""
    symbol_suffix: str = "BC"
    place_name: str = ""
    signer_authority: str = ""
    signer_title: str = ""
    signer_name: str = ""
    recipients: list[str] = field(default_factory=list)
    template: bytes | None = None

    def recipient_list(self) -> list[str]:
        return list(self.recipients)


def letterhead_for(unit):
    """The letterhead of ``unit`` or of its nearest ancestor that has one; else one made
    from the unit's and its parent's names."""
    from doha.reports.models import Letterhead

    ancestor = unit
    while ancestor is not None:
        found = Letterhead.objects.filter(org_unit=ancestor).first()
        if found is not None:
            return found
        ancestor = ancestor.parent
    place, parent_body = "", unit.parent.name.upper() if unit.parent_id else ""
    if unit.admin_unit_id:
        admin = unit.admin_unit
        while admin.parent_id:
            admin = admin.parent
        place = admin.short_name
        if unit.facility_type == "doh":
            # A Department of Health answers to its province's People's Committee.
            parent_body = f"UBND {admin.name}".upper()
    return LetterheadData(
        parent_body=parent_body,
        issuing_body=unit.name.upper(),
        place_name=place,
        signer_title=_("DIRECTOR").upper(),
    )


def document_number(number, suffix: str) -> str:
    """ "Số: 05/BC-SYT": numbers under 10 with a leading zero; a blank to fill in by hand
    when the register number is not known yet."""
    text = "" if number in (None, "") else f"{int(number):02d}"
    if not text:
        text = "\u00a0" * 6
    return _("No.: %(number)s/%(symbol)s") % {"number": text, "symbol": suffix}


def date_line(place: str, day: datetime.date) -> str:
    """ "Quảng Ninh, ngày 05 tháng 02 năm 2026": a day under 10 and the months 1 and 2 with
    a leading zero (Decree 30/2020/NĐ-CP, Phụ lục I)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    text = _("day %(day)s month %(month)s year %(year)s") % {
        "day": f"{day.day:02d}",
        "month": month,
        "year": day.year,
    }
    return f"{place}, {text}" if place else text


def validate_docx(data: bytes) -> None:
    """ValidationError unless ``data`` is a Word .docx python-docx can open."""
    message = _("The file is not a Word document (.docx).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise ValidationError(message, code="invalid") from None
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise ValidationError(message, code="invalid")
    try:
        Document(io.BytesIO(data))
    except Exception:  # python-docx raises several kinds for a damaged package
        raise ValidationError(message, code="invalid") from None


_FONT_FILES: dict[bool, str | None] = {}
VIETNAMESE_PROBE = 0x1EC7  # "ệ": old Liberation fonts (fonts-liberation 1.x) lack it


def vietnamese_font_file(families, bold: bool = False) -> str | None:
    """The file of the first of ``families`` installed with Vietnamese letters."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    weight_ok = (lambda w: w in (600, 700, "bold")) if bold else (lambda w: w in (400, "normal"))
    for family in families:
        for entry in font_manager.fontManager.ttflist:
            if entry.name != family or entry.style != "normal" or not weight_ok(entry.weight):
                continue
            try:
                if FT2Font(entry.fname).get_char_index(VIETNAMESE_PROBE):
                    return entry.fname
            except (OSError, RuntimeError):
                continue
    return None


def _font_file(bold: bool) -> str | None:
    """Times New Roman's file, or Liberation Serif's (same metrics); None without either."""
    if bold not in _FONT_FILES:
        _FONT_FILES[bold] = vietnamese_font_file(["Times New Roman", "Liberation Serif"], bold)
    return _FONT_FILES[bold]


def _text_width_cm(text: str, size_pt: float, bold: bool = False) -> float:
    """The printed width of ``text`` in Times New Roman; an estimate without the font."""
    path = _font_file(bold)
    if path:
        from PIL import ImageFont

        points = ImageFont.truetype(path, 1000).getlength(text) / 1000 * size_pt
    else:  # half an em a character
        points = len(text) * size_pt * (0.55 if bold else 0.5)
    return points / 72 * 2.54


def _set_fonts(run, size=None, bold=None, italic=None):
    run.font.name = FONT
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    if italic is not None:
        run.font.italic = italic


def _border(paragraph, side: str = "bottom", size: int = 6):
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), "000000")
    borders.append(line)


def _table_borders(table, visible: bool):
    tbl_pr = table._tbl.tblPr
    old = tbl_pr.find(qn("w:tblBorders"))
    if old is not None:
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "single" if visible else "nil")
        if visible:
            element.set(qn("w:sz"), "4")
            element.set(qn("w:space"), "0")
            element.set(qn("w:color"), "000000")
        borders.append(element)
    tbl_pr.append(borders)


def _fixed_widths(table, widths_cm):
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=False):
            cell.width = Cm(width)
    for column, width in zip(table.columns, widths_cm, strict=False):
        column.width = Cm(width)


def _field(paragraph, instruction: str):
    """A Word field (PAGE) whose value Word and LibreOffice compute when they lay out."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run._r.append(begin)
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    run = paragraph.add_run()
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run._r.append(separate)
    shown = paragraph.add_run("2")
    _set_fonts(shown, HEADER_PT)
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)
    return paragraph


# A figure already written as text: "47,9%", "+26,8", "giảm 42,4%", "750.000.000 đ", "–".
_FIGURE_TEXT = re.compile(r"^(?:[^\W\d_]{1,5} )?[+\-−]?\d[\d.]*(?:,\d+)?(?: ?%| đ)?$|^[–—-]$")


def _is_figure(value) -> bool:
    if isinstance(value, bool):
        return False
    if value is None or isinstance(value, int | float | Decimal):
        return True
    return isinstance(value, str) and bool(_FIGURE_TEXT.match(value.strip()))


def _cell_text(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal):
        return format_number(value)
    if isinstance(value, float):
        return format_number(value, 0 if value == int(value) else 1)
    return str(value)


class DecreeDocument:
    """One administrative document; add content in order, then ``save()``."""

    def __init__(self, letterhead, number, date: datetime.date, title: str, summary: str):
        self.letterhead = letterhead
        template = getattr(letterhead, "template", None)
        self.from_template = bool(template)
        self.doc = Document(io.BytesIO(bytes(template))) if template else Document()
        self._styles()
        if not self.from_template:
            self._page()
        self._header(number, date)
        self._title(title, summary)

    # ------------------------------------------------------------------ set-up

    def _styles(self):
        normal = self.doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(BODY_PT)
        rpr = normal.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        for name in ("Heading 1", "Heading 2", "Heading 3"):
            try:
                style = self.doc.styles[name]
            except KeyError:
                continue
            style.font.name = FONT
            style.font.size = Pt(BODY_PT)
            style.font.bold = True
            style.font.italic = name == "Heading 3"
            style.font.color.rgb = RGBColor(0, 0, 0)
            hrpr = style.element.get_or_add_rPr()
            hfonts = hrpr.find(qn("w:rFonts"))
            if hfonts is None:
                hfonts = OxmlElement("w:rFonts")
                hrpr.insert(0, hfonts)
            for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
                hfonts.set(qn(attr), FONT)
            for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                hfonts.attrib.pop(qn(theme), None)

    def _page(self):
        section = self.doc.sections[0]
        section.start_type = WD_SECTION.NEW_PAGE
        section.page_width = Mm(210)
        section.page_height = Mm(297)
        section.top_margin = Mm(20)
        section.bottom_margin = Mm(20)
        section.left_margin = Mm(30)
        section.right_margin = Mm(15)
        section.header_distance = Mm(10)
        # Page numbers centred at the top, from the second page on.
        section.different_first_page_header_footer = True
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _field(header, "PAGE")

    @property
    def text_width_cm(self) -> float:
        section = self.doc.sections[-1]
        return (section.page_width - section.left_margin - section.right_margin) / 360000

    def _p(self, cell_or_doc, text="", size=HEADER_PT, bold=False, italic=False, upper=False):
        paragraph = cell_or_doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt = paragraph.paragraph_format
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)
        fmt.line_spacing = 1.0
        fmt.first_line_indent = Cm(0)
        if text:
            run = paragraph.add_run(text.upper() if upper else text)
            _set_fonts(run, size, bold, italic)
        return paragraph

    def _rule(self, cell, length_cm: float, width_cm: float):
        """A centred line ``length_cm`` long under the paragraph above it (the bottom
        border of a tiny empty paragraph, so it never touches the text)."""
        paragraph = self._p(cell)
        side = max((width_cm - length_cm) / 2, 0)
        paragraph.paragraph_format.left_indent = Cm(side)
        paragraph.paragraph_format.right_indent = Cm(side)
        paragraph.paragraph_format.line_spacing = Pt(3)
        run = paragraph.add_run()
        _set_fonts(run, 2)
        _border(paragraph, "bottom")
        return paragraph

    def _header(self, number, date):
        lh = self.letterhead
        table = self.doc.add_table(rows=1, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _table_borders(table, visible=False)
        _fixed_widths(table, [HEADER_LEFT_CM, HEADER_RIGHT_CM])
        left, right = table.rows[0].cells
        left._tc.remove(left.paragraphs[0]._p)
        right._tc.remove(right.paragraphs[0]._p)

        if lh.parent_body:
            self._p(left, lh.parent_body, upper=True)
        issuing = self._p(left, lh.issuing_body, bold=True, upper=True)
        issuing.paragraph_format.keep_with_next = True
        length = _text_width_cm(lh.issuing_body.upper(), HEADER_PT, bold=True)
        self._rule(left, max(min(length / 2, HEADER_LEFT_CM), 1.5), HEADER_LEFT_CM)
        number_paragraph = self._p(left, document_number(number, lh.symbol_suffix))
        number_paragraph.paragraph_format.space_before = Pt(6)

        self._p(right, _("SOCIALIST REPUBLIC OF VIETNAM"), size=HEADER_PT, bold=True, upper=True)
        motto = _("Independence - Freedom - Happiness")
        self._p(right, motto, size=BODY_PT, bold=True).paragraph_format.keep_with_next = True
        motto_width = _text_width_cm(motto, BODY_PT, bold=True)
        self._rule(right, min(motto_width, HEADER_RIGHT_CM - 0.4), HEADER_RIGHT_CM - 0.4)
        dated = self._p(right, date_line(lh.place_name, date), size=BODY_PT, italic=True)
        dated.paragraph_format.space_before = Pt(6)

    def _title(self, title, summary):
        kind = self._p(self.doc, title, size=BODY_PT, bold=True, upper=True)
        kind.paragraph_format.space_before = Pt(18)
        kind.paragraph_format.keep_with_next = True
        if summary:
            self._p(
                self.doc, summary, size=BODY_PT, bold=True
            ).paragraph_format.keep_with_next = True
        width = self.text_width_cm
        self._rule(self.doc, width / 5, width).paragraph_format.space_after = Pt(12)

    # ------------------------------------------------------------------ content

    def heading(self, text: str, level: int = 1):
        try:
            paragraph = self.doc.add_paragraph(style=f"Heading {min(level, 3)}")
        except KeyError:
            paragraph = self.doc.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.space_before = Pt(6)
        fmt.space_after = Pt(6)
        fmt.line_spacing = 1.15
        fmt.first_line_indent = Cm(FIRST_LINE_INDENT_CM)
        fmt.keep_with_next = True
        run = paragraph.add_run(text)
        _set_fonts(run, BODY_PT, bold=True, italic=level >= 3)
        run.font.color.rgb = RGBColor(0, 0, 0)
        return paragraph

    def paragraph(
        self,
        text: str = "",
        *,
        bold: bool = False,
        italic: bool = False,
        indent: bool = True,
        align: str = "justify",
        size: float = BODY_PT,
    ):
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = {
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "left": WD_ALIGN_PARAGRAPH.LEFT,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
        }[align]
        fmt = paragraph.paragraph_format
        fmt.first_line_indent = Cm(FIRST_LINE_INDENT_CM if indent else 0)
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(6)
        fmt.line_spacing = 1.15
        if text:
            run = paragraph.add_run(text)
            _set_fonts(run, size, bold, italic)
        return paragraph

    def table(
        self,
        headers: list[str],
        rows: list[list],
        *,
        widths_cm: list[float] | None = None,
        total: list | None = None,
        size: float = 12,
    ):
        """A bordered table; numbers are written the Vietnamese way and aligned right, a
        missing value shows as "–". ``total`` is a bold last row. The heading row repeats
        on every page. Built as one piece of WordprocessingML (a province's 200 communes
        would take seconds cell by cell through python-docx)."""
        width = self.text_width_cm
        if not widths_cm:
            first = min(width * 0.4, 7.0) if len(headers) > 1 else width
            rest = (width - first) / max(len(headers) - 1, 1)
            widths_cm = [first] + [rest] * (len(headers) - 1)
        twips = [int(round(w / 2.54 * 1440)) for w in widths_cm]
        half_points = int(round(size * 2))
        fonts = f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:cs="{FONT}" w:eastAsia="{FONT}"/>'
        borders = "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )

        def cell(text, twip, bold, align):
            run_props = fonts + ("<w:b/><w:bCs/>" if bold else "")
            run_props += f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'
            return (
                f'<w:tc><w:tcPr><w:tcW w:w="{twip}" w:type="dxa"/></w:tcPr>'
                '<w:p><w:pPr><w:spacing w:before="40" w:after="40" w:line="240" '
                f'w:lineRule="auto"/><w:ind w:firstLine="0"/><w:jc w:val="{align}"/></w:pPr>'
                f"<w:r><w:rPr>{run_props}</w:rPr>"
                f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:tc>'
            )

        parts = [
            f"<w:tbl {nsdecls('w')}><w:tblPr>"
            f'<w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr>'
            "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{t}"/>' for t in twips) + "</w:tblGrid>",
            "<w:tr><w:trPr><w:tblHeader/></w:trPr>"
            + "".join(
                cell(str(text), twip, True, "center")
                for text, twip in zip(headers, twips, strict=False)
            )
            + "</w:tr>",
        ]
        all_rows = [list(r) for r in rows] + ([list(total)] if total else [])
        for index, values in enumerate(all_rows, start=1):
            is_total = bool(total) and index == len(all_rows)
            cells = []
            for value, twip in zip(values, twips, strict=False):
                align = "right" if _is_figure(value) else "left"
                cells.append(cell(_cell_text(value), twip, is_total, align))
            parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cells) + "</w:tr>")
        parts.append("</w:tbl>")
        element = parse_xml("".join(parts))
        spacer = self.paragraph(indent=False)
        spacer.paragraph_format.space_after = Pt(6)
        spacer._p.addprevious(element)
        return Table(element, self.doc._body)

    def image(self, png: bytes, width_cm: float = 15.0, caption: str | None = None):
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = Cm(0)
        paragraph.paragraph_format.keep_with_next = bool(caption)
        paragraph.add_run().add_picture(
            io.BytesIO(png), width=Cm(min(width_cm, self.text_width_cm))
        )
        if caption:
            self.paragraph(caption, italic=True, indent=False, align="center", size=12)
        return paragraph

    def closing(self, recipients: list[str] | None = None, archive: str = "VT"):
        """ "Nơi nhận:" on the left, the signature block on the right."""
        lh = self.letterhead
        recipients = recipients if recipients is not None else lh.recipient_list()
        self.paragraph(indent=False)
        table = self.doc.add_table(rows=1, cols=2)
        _table_borders(table, visible=False)
        width = self.text_width_cm
        _fixed_widths(table, [width * 0.45, width * 0.55])
        left, right = table.rows[0].cells
        left._tc.remove(left.paragraphs[0]._p)
        right._tc.remove(right.paragraphs[0]._p)

        heading = self._p(left, _("Recipients:"), size=12, bold=True, italic=True)
        heading.alignment = WD_ALIGN_PARAGRAPH.LEFT
        entries = [f"- {r};" for r in recipients]
        entries.append(_("- Archive: %(archive)s.") % {"archive": archive})
        for entry in entries:
            self._p(left, entry, size=11).alignment = WD_ALIGN_PARAGRAPH.LEFT

        if lh.signer_authority:
            self._p(right, lh.signer_authority, size=BODY_PT, bold=True, upper=True)
        self._p(right, lh.signer_title, size=BODY_PT, bold=True, upper=True)
        for _line in range(4):
            self._p(right, size=BODY_PT)
        if lh.signer_name:
            self._p(right, lh.signer_name, size=BODY_PT, bold=True)
        return table

    def save(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()
