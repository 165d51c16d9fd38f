"""The chapters of the ministry's technique list (Thông tư 43/2013/TT-BYT, Phụ lục).

A specialty's code is its chapter number on two digits ("03" is chapter III, Nhi khoa), as in
the ministry's code tables for the scope of professional activity; a technique's code in the
2013 list is the chapter and its number in the chapter ("03.0045"). The chapter numbers are
the ministry's own, so these specialties are official.
"""

from __future__ import annotations

import re

from doha.core.text import fold

CHAPTERS: list[tuple[int, str]] = [
    (1, "Hồi sức cấp cứu và chống độc"),
    (2, "Nội khoa"),
    (3, "Nhi khoa"),
    (4, "Lao (ngoại lao)"),
    (5, "Da liễu"),
    (6, "Tâm thần"),
    (7, "Nội tiết"),
    (8, "Y học cổ truyền"),
    (9, "Gây mê hồi sức"),
    (10, "Ngoại khoa"),
    (11, "Bỏng"),
    (12, "Ung bướu"),
    (13, "Phụ sản"),
    (14, "Mắt"),
    (15, "Tai mũi họng"),
    (16, "Răng hàm mặt"),
    (17, "Phục hồi chức năng"),
    (18, "Điện quang"),
    (19, "Y học hạt nhân"),
    (20, "Nội soi chẩn đoán, can thiệp"),
    (21, "Thăm dò chức năng"),
    (22, "Huyết học - truyền máu"),
    (23, "Hóa sinh"),
    (24, "Vi sinh - ký sinh trùng"),
    (25, "Giải phẫu bệnh và tế bào bệnh học"),
    (26, "Vi phẫu"),
    (27, "Phẫu thuật nội soi"),
    (28, "Tạo hình - thẩm mỹ"),
]
CHAPTER_NAMES = dict(CHAPTERS)
# Other names the same chapters go by in later lists and code tables.
ALIASES = {
    "chan doan hinh anh": 18,
    "lao": 4,
    "tai - mui - hong": 15,
    "rang - ham - mat": 16,
    "vi sinh, ky sinh trung": 24,
    "giai phau benh va te bao hoc": 25,
    "phau thuat tao hinh tham my": 28,
    "hoi suc cap cuu": 1,
}

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
ROMAN_RE = re.compile(r"^[IVXLC]+$")


def chapter_code(number: int) -> str:
    return f"{number:02d}"


def roman_to_int(text: str) -> int | None:
    text = text.strip().upper()
    if not text or not ROMAN_RE.match(text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN[ch]
        if i + 1 < len(text) and _ROMAN[text[i + 1]] > value:
            total -= value
        else:
            total += value
    return total


def chapter_by_name(name: str) -> int | None:
    key = fold(name)
    for number, chapter in CHAPTERS:
        if fold(chapter) == key:
            return number
    return ALIASES.get(key)


def sentence_case(text: str) -> str:
    """ "NHI KHOA" -> "Nhi khoa" (chapter headings are printed in capitals)."""
    text = text.strip()
    if text.isupper():
        return text[:1] + text[1:].lower()
    return text
