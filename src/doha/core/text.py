"""Vietnamese text: NFC normalisation, accent folding, collation and number formats."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

# Vietnamese alphabet order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_BASE_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# Tone marks, in the order Vietnamese dictionaries use: none, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_VOWEL_MODIFIERS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn
_SPACES = re.compile(r"\s+")


def nfc(value):
    """Return ``value`` in Unicode NFC with runs of white space folded; non-strings pass."""
    if not isinstance(value, str):
        return value
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str | None) -> str:
    """Fold case and accents for search: "Tiên Du" -> "tien du", "Đắk" -> "dak"."""
    if not value:
        return ""
    text = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text.lower()).strip()


def search_terms(query: str) -> list[str]:
    """Split a search query into folded words."""
    return [w for w in fold(query).replace(".", " ").replace(",", " ").split(" ") if w]


def _letter_key(ch: str) -> tuple[str, int]:
    decomposed = unicodedata.normalize("NFD", ch.lower())
    base = decomposed[0]
    tone = 0
    modifiers = ""
    for mark in decomposed[1:]:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark in _VOWEL_MODIFIERS:
            modifiers += mark
    letter = "đ" if ch.lower() == "đ" else unicodedata.normalize("NFC", base + modifiers)
    rank = _BASE_RANK.get(letter)
    if rank is not None:
        return chr(0x41 + rank), tone
    if letter == " ":
        return "#", 0
    if letter.isdigit():
        return letter, 0
    return "~", 0


def collation_key(value: str | None) -> str:
    """A plain ASCII key that sorts Vietnamese text in dictionary order (a ă â b c d đ ...),
    letters first and tones second, shorter words before longer ones. Stored in a column
    it lets the database sort in Vietnamese order whatever its own collation."""
    text = nfc(value or "")
    keys = [_letter_key(ch) for ch in text]
    return "".join(k[0] for k in keys) + "!" + "".join(str(k[1]) for k in keys)


def sort_key(value: str | None) -> str:
    return collation_key(value)


def format_number(value, decimals: int = 0) -> str:
    """917405 -> "917.405"; 77.0 with decimals=1 -> "77,0" (Vietnamese separators)."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    text = f"{number:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_percent(value, decimals: int = 1) -> str:
    """77 -> "77,0%"."""
    if value is None or value == "":
        return ""
    return f"{format_number(value, decimals)}%"
