"""The technique catalogue from the ministry's published lists (.xlsx/.csv), and exports.

The import reads the layout of the ministry's technique lists (Thông tư 43/2013/TT-BYT,
Thông tư 21/2017/TT-BYT, Thông tư 23/2024/TT-BYT) and of the lists hospitals derive from them:
a header row (one or two rows: "PHÂN TUYẾN KỸ THUẬT" above A, B, C, D), chapter heading
rows ("III. NHI KHOA"), section rows ("A. TUẦN HOÀN", skipped) and one row per technique.
See docs/catalogue-import.md for the columns and the level mapping.

All or nothing: every row is checked and, if any is refused, nothing is saved; the report
names each refused row with its number in the spreadsheet, the column and the reason.
Importing the same file again changes nothing and says so (idempotent, keyed by code).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.catalog.chapters import (
    CHAPTER_NAMES,
    chapter_by_name,
    chapter_code,
    roman_to_int,
    sentence_case,
)
from doha.catalog.models import CapabilityVolume, Specialty, Technique
from doha.core import tabular
from doha.core.tabular import (
    ImportReport,
    Rollback,
    UnreadableFile,
    header_map,
    is_blank_row,
    read_rows,
)
from doha.core.text import fold, nfc

# The columns doha writes (export) and reads (import), with the ministry's own headings as
# aliases below. Keys are stable; labels are translated.
COLUMNS = [
    ("chapter", gettext_lazy("Chapter")),
    ("code", gettext_lazy("Code")),
    ("name", gettext_lazy("Technique")),
    ("initial", gettext_lazy("Initial level")),
    ("basic", gettext_lazy("Basic level")),
    ("specialised", gettext_lazy("Specialised level")),
    ("official", gettext_lazy("Official code")),
    ("source", gettext_lazy("Source")),
    ("active", gettext_lazy("Active")),
]
# Read only, never written: the ministry's numbering and its four former levels (tuyến).
READ_COLUMNS = [
    ("number", gettext_lazy("No.")),
    ("ministry_number", gettext_lazy("No. in the ministry's list")),
    ("tuyen_a", "A"),
    ("tuyen_b", "B"),
    ("tuyen_c", "C"),
    ("tuyen_d", "D"),
]
REPORT_COLUMNS = [*COLUMNS, *READ_COLUMNS, ("levels", gettext_lazy("Levels"))]
IGNORED = "-"
ALIASES = {
    # STT: the row's number (in the ministry's lists, its number in the chapter)
    "stt": "number",
    "tt": "number",
    "so tt": "number",
    "so thu tu": "number",
    "no": "number",
    # the number in the ministry's list, in hospitals' own lists ("TT của BYT")
    "tt cua byt": "ministry_number",
    "tt byt": "ministry_number",
    "stt byt": "ministry_number",
    "tt theo thong tu": "ministry_number",
    "stt theo thong tu": "ministry_number",
    "tt tt43": "ministry_number",
    "stt tt43": "ministry_number",
    "tt theo tt43": "ministry_number",
    # chapter / specialty
    "chuong": "chapter",
    "ma chuong": "chapter",
    "chuyen khoa": "chapter",
    "chuyen nganh": "chapter",
    "specialty": "chapter",
    # code
    "ma": "code",
    "ma ky thuat": "code",
    "ma kt": "code",
    "ma dvkt": "code",
    "ma tt43": "code",
    "ma tt 43": "code",
    "ma tt 43, 21": "code",
    "ma tt43, tt21": "code",
    "ma tt43/tt21": "code",
    "ma tt 43/21": "code",
    "ma tt23": "code",
    "ma tt 23": "code",
    "ma tuong duong": "code",
    # name
    "ten ky thuat": "name",
    "danh muc ky thuat": "name",
    "ten danh muc ky thuat": "name",
    "ten dich vu ky thuat": "name",
    "ky thuat": "name",
    "ten": "name",
    # the four former levels (tuyến)
    "a": "tuyen_a",
    "tuyen a": "tuyen_a",
    "tuyen trung uong": "tuyen_a",
    "trung uong": "tuyen_a",
    "b": "tuyen_b",
    "tuyen b": "tuyen_b",
    "tuyen tinh": "tuyen_b",
    "tinh": "tuyen_b",
    "c": "tuyen_c",
    "tuyen c": "tuyen_c",
    "tuyen huyen": "tuyen_c",
    "huyen": "tuyen_c",
    "d": "tuyen_d",
    "tuyen d": "tuyen_d",
    "tuyen xa": "tuyen_d",
    "xa": "tuyen_d",
    # the three technical levels (from 2024)
    "ban dau": "initial",
    "cap ban dau": "initial",
    "co ban": "basic",
    "cap co ban": "basic",
    "chuyen sau": "specialised",
    "cap chuyen sau": "specialised",
    "specialized": "specialised",
    "specialized level": "specialised",
    # the rest
    "chinh thuc": "official",
    "ma chinh thuc": "official",
    "nguon": "source",
    "van ban": "source",
    "hoat dong": "active",
    "con hieu luc": "active",
    # headings known to carry nothing the catalogue keeps
    "phan tuyen ky thuat": IGNORED,
    "phan tuyen": IGNORED,
    "cap chuyen mon ky thuat": IGNORED,
    "ghi chu": IGNORED,
    "phan loai": IGNORED,
    "phan loai pttt": IGNORED,
    "qd ubnd": IGNORED,
    "chapter name": IGNORED,
    "ten chuong": IGNORED,
}
TUYEN = ("tuyen_a", "tuyen_b", "tuyen_c", "tuyen_d")
LEVELS = ("initial", "basic", "specialised")
# The four former levels (tuyến) to the three technical levels (Law 15/2023/QH15):
# A central -> specialised; B provincial -> specialised and basic; C district -> basic;
# D commune -> initial.
TUYEN_TO_LEVELS = {
    "tuyen_a": ("specialised",),
    "tuyen_b": ("specialised", "basic"),
    "tuyen_c": ("basic",),
    "tuyen_d": ("initial",),
}
MARKS_YES = {"x", "v", "1", "+", "*", "co", "yes", "true", "\u2713", "\u2714"}
MARKS_NO = {"", "0", "-", "khong", "no", "false"}
MAX_ROWS = 30000
HEADER_SEARCH_ROWS = 20
TT43_CODE_RE = re.compile(r"^(\d{1,2})\.(\d{1,4})$")
HEADING_RE = re.compile(
    r"^(?:(chương|chuong)\s+)?([IVXLC]+|\d{1,2})\s*(?:[.:)\-–]\s*|\s+)(.*)$", re.I
)
SECTION_RE = re.compile(r"^[A-ZĐ]\s*[.)]\s+\S")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _as_int(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip().rstrip(".")
    return int(text) if text.isdigit() else None


def _mark(value) -> bool:
    text = fold(_text(value))
    if text in MARKS_YES:
        return True
    if text in MARKS_NO:
        return False
    raise ValueError


def normalize_code(value) -> str:
    """The code as stored: text, white space folded; "3.45" and "03.0045" are one code
    (the 2013 list's chapter.number, zero-padded as in the ministry's code tables)."""
    text = _text(value)
    match = TT43_CODE_RE.match(text)
    if match:
        return f"{int(match.group(1)):02d}.{int(match.group(2)):04d}"
    return text


def _find_header(rows) -> tuple[int, dict[int, str], list[str]] | None:
    """The first row naming a technique column and a number, code or chapter column."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if is_blank_row(row):
            continue
        mapping, unknown = header_map(row, [*COLUMNS, *READ_COLUMNS], ALIASES)
        keys = set(mapping.values())
        if "name" in keys and keys & {"number", "code", "chapter", "ministry_number"}:
            return index, mapping, unknown
    return None


def _sub_header(row, mapping) -> dict[int, str]:
    """A second header row under "PHÂN TUYẾN KỸ THUẬT": A, B, C, D (or the three levels)."""
    sub, _unknown = header_map(row, READ_COLUMNS + COLUMNS, ALIASES)
    sub = {i: k for i, k in sub.items() if k in TUYEN or k in LEVELS}
    name_index = next((i for i, k in mapping.items() if k == "name"), None)
    name_cell = row[name_index] if name_index is not None and name_index < len(row) else None
    if len(sub) >= 2 and not _text(name_cell):
        return sub
    return {}


class _Importer:
    def __init__(self, report, default_specialty, official, source):
        self.report = report
        self.default_specialty = default_specialty
        self.official = official
        self.source = nfc(source or "")
        self.specialties = {s.code: s for s in Specialty.objects.all()}
        self.techniques = {t.code: t for t in Technique.objects.all()}
        self._local_by_name: dict[int, dict[str, Technique]] = {}
        self.seen_codes: dict[str, int] = {}
        self.chapter: Specialty | None = None

    # Specialties ------------------------------------------------------------------------
    def specialty_for_number(self, number: int, title: str = "") -> Specialty | None:
        code = chapter_code(number)
        specialty = self.specialties.get(code)
        if specialty is None:
            name = CHAPTER_NAMES.get(number) or sentence_case(title)
            if not name:
                return None
            specialty = Specialty.objects.create(
                code=code, name=name, order=number, is_official=True
            )
            self.specialties[code] = specialty
            self.report.notes.append(
                _("Specialty created: %(code)s %(name)s") % {"code": code, "name": name}
            )
        return specialty

    def specialty_from_cell(self, value) -> Specialty | None:
        number = _as_int(value)
        text = _text(value)
        if number is None:
            number = roman_to_int(text)
        if number is not None:
            return self.specialty_for_number(number)
        if text in self.specialties:
            return self.specialties[text]
        match = HEADING_RE.match(text)
        title = match.group(3) if match else text
        number = chapter_by_name(title)
        if number is not None:
            return self.specialty_for_number(number)
        folded = fold(title)
        for specialty in self.specialties.values():
            if fold(specialty.name) == folded:
                return specialty
        return None

    def heading(self, number_cell, name) -> Specialty | None:
        """A chapter heading row ("III. NHI KHOA", "Chương III: Nhi khoa", "NHI KHOA")."""
        text = " ".join(p for p in (_text(number_cell), name) if p)
        match = HEADING_RE.match(text)
        explicit, number, title = False, None, text
        if match:
            explicit = bool(match.group(1))
            token = match.group(2)
            number = int(token) if token.isdigit() else roman_to_int(token)
            title = match.group(3)
            if not explicit and token.isdigit():
                return None  # "12. Something" is a numbered row, not a chapter
        known = chapter_by_name(title)
        if known is not None and number not in (None, known):
            return None  # "I. NỘI TIẾT": a section lettered I inside a chapter, not chapter VII
        if known is not None:
            return self.specialty_for_number(known, title)
        if explicit and number:
            return self.specialty_for_number(number, title)
        return None

    # Techniques -------------------------------------------------------------------------
    def local_twin(self, specialty, name) -> Technique | None:
        """A technique of the starter catalogue (local code) with the same name and chapter,
        which an official list gives its official code."""
        if specialty.pk not in self._local_by_name:
            self._local_by_name[specialty.pk] = {
                fold(t.name): t
                for t in self.techniques.values()
                if not t.is_official and t.specialty_id == specialty.pk
            }
        return self._local_by_name[specialty.pk].get(fold(name))

    def forget_local(self, technique):
        for names in self._local_by_name.values():
            for key, value in list(names.items()):
                if value is technique:
                    del names[key]


TRACKED = [
    "code",
    "name",
    "specialty_id",
    "allowed_initial",
    "allowed_basic",
    "allowed_specialised",
    "is_official",
    "source",
    "active",
]


def _snapshot(technique: Technique) -> tuple:
    return tuple(getattr(technique, f) for f in TRACKED)


def import_techniques(
    uploaded,
    dry_run: bool = False,
    source: str = "",
    official: bool = True,
    default_specialty: Specialty | None = None,
) -> ImportReport:
    """Create or update techniques (keyed by code) from a ministry-layout file.

    ``source`` names the list (e.g. "Thông tư 43/2013/TT-BYT") for rows without a source
    column; ``official`` says whether the file's codes are the ministry's (a column
    "official" overrides it per row); ``default_specialty`` takes rows that come before any
    chapter heading, in a file without a chapter column.
    """
    report = ImportReport(dry_run=dry_run, columns=REPORT_COLUMNS)
    try:
        rows = read_rows(uploaded)
    except UnreadableFile as exc:
        report.error(0, "", str(exc))
        return report
    except Exception:  # noqa: BLE001 - any unreadable file gets the same clear answer
        report.error(0, "", _("The file cannot be read: it is not a valid .xlsx or .csv file."))
        return report
    if all(is_blank_row(r) for r in rows):
        report.error(0, "", _("The file is empty."))
        return report
    found = _find_header(rows)
    if found is None:
        report.error(
            0,
            "",
            _(
                "No header row found: the file needs a column for the technique's name "
                "(Tên kỹ thuật / Danh mục kỹ thuật) and one for its number (STT) or code (Mã)."
            ),
        )
        return report
    header_index, mapping, unknown = found
    start = header_index + 1
    keys = set(mapping.values())
    if not keys & (set(TUYEN) | set(LEVELS)) and start < len(rows):
        sub = _sub_header(rows[start], mapping)
        if sub:
            mapping.update(sub)
            start += 1
    keys = set(mapping.values())
    header_row = header_index + 1
    repeated = sorted({k for k in keys if list(mapping.values()).count(k) > 1} - {IGNORED})
    for key in repeated:
        report.error(header_row, key, _("This column appears twice."))
    if keys & set(TUYEN) and keys & set(LEVELS):
        report.error(
            header_row,
            "levels",
            _(
                "Use either the four former levels (A, B, C, D) or the three technical "
                "levels (initial, basic, specialised), not both."
            ),
        )
    data_rows = [i for i in range(start, len(rows)) if not is_blank_row(rows[i])]
    if len(data_rows) > MAX_ROWS:
        report.error(0, "", _("At most %(n)s rows per file.") % {"n": MAX_ROWS})
    if report.errors:
        return report
    if unknown:
        report.notes.append(_("Columns ignored: %(names)s") % {"names": ", ".join(unknown)})
    if not keys & (set(TUYEN) | set(LEVELS)):
        report.notes.append(
            _(
                "The file has no level columns: new techniques are allowed at the "
                "specialised level only; existing techniques keep their levels."
            )
        )
    try:
        with transaction.atomic():
            importer = _Importer(report, default_specialty, official, source)
            for index in data_rows:
                _import_row(importer, index + 1, rows[index], mapping)
            if report.errors or dry_run:
                raise Rollback
    except Rollback:
        pass
    return report


def _import_row(importer: _Importer, number: int, raw: list, mapping: dict[int, str]):
    report = importer.report
    values = {}
    for index, key in mapping.items():
        if key != IGNORED and index < len(raw):
            values[key] = raw[index]
    name = _text(values.get("name"))
    code_cell = values.get("code")
    has_code = _text(code_cell) != ""
    number_cell = values.get("number")
    stt = _as_int(number_cell)
    marks_given = any(_text(values.get(k)) for k in (*TUYEN, *LEVELS))

    # Heading and section rows: no code, no level marks, no number.
    if not has_code and not marks_given and stt is None:
        specialty = importer.heading(number_cell, name)
        if specialty is not None:
            importer.chapter = specialty
            return
        text = " ".join(p for p in (_text(number_cell), name) if p)
        if SECTION_RE.match(text) or (name and name.isupper()) or not name:
            return  # "A. TUẦN HOÀN": a section of the chapter, nothing to keep
        report.error(
            number,
            "number",
            _("Not a technique row: it has neither a number (STT) nor a code."),
        )
        return
    report.rows += 1
    errors_before = len(report.errors)
    if not name:
        report.error(number, "name", _("The technique's name is required."))

    # Specialty: the row's chapter column, else the last chapter heading, else the default.
    specialty = importer.chapter or importer.default_specialty
    if "chapter" in values and _text(values["chapter"]):
        specialty = importer.specialty_from_cell(values["chapter"])
        if specialty is None:
            report.error(
                number,
                "chapter",
                _("No specialty or chapter is called %(value)s.") % {"value": values["chapter"]},
            )
    elif specialty is None:
        report.error(
            number,
            "chapter",
            _("No chapter: add a chapter heading row (e.g. III. NHI KHOA) or a Chapter column."),
        )

    # Code: the code column, else chapter + number as in the 2013 list ("03.0045").
    code = ""
    if has_code:
        if isinstance(code_cell, float) and not code_cell.is_integer():
            report.error(
                number,
                "code",
                _(
                    "The code %(value)s is stored as a number, which loses zeros "
                    "(3.10 becomes 3.1): format the column as text."
                )
                % {"value": code_cell},
            )
        else:
            code = normalize_code(code_cell)
    else:
        own = _as_int(values.get("ministry_number"))
        own = own if own is not None else stt
        if specialty is not None and specialty.code.isdigit() and own is not None:
            code = normalize_code(f"{int(specialty.code)}.{own}")
        elif specialty is not None:
            report.error(number, "code", _("The code is required."))
    if code and code in importer.seen_codes:
        report.error(
            number,
            "code",
            _("The code %(code)s is repeated (first on row %(row)s).")
            % {"code": code, "row": importer.seen_codes[code]},
        )
        code = ""
    if code:
        importer.seen_codes[code] = number

    # Levels.
    levels = None
    tuyen_given = [k for k in TUYEN if k in values]
    level_given = [k for k in LEVELS if k in values]
    if tuyen_given or level_given:
        levels = dict.fromkeys(LEVELS, False)
        for key in tuyen_given or level_given:
            try:
                marked = _mark(values[key])
            except ValueError:
                report.error(
                    number,
                    key,
                    _("Write x to mark the level, or leave the cell empty, not %(value)s.")
                    % {"value": values[key]},
                )
                continue
            if marked:
                for level in TUYEN_TO_LEVELS.get(key, (key,)):
                    levels[level] = True
        if len(report.errors) == errors_before and not any(levels.values()):
            report.error(number, "levels", _("No level is marked: mark at least one."))

    is_official = importer.official
    if "official" in values:
        try:
            is_official = tabular.parse_bool(values["official"], empty=importer.official)
        except ValueError:
            report.error(
                number,
                "official",
                _("Write yes or no, not %(value)s.") % {"value": values["official"]},
            )
    active = None  # without the column, a new technique is active and others keep theirs
    if "active" in values:
        try:
            active = tabular.parse_bool(values["active"])
        except ValueError:
            report.error(
                number, "active", _("Write yes or no, not %(value)s.") % {"value": values["active"]}
            )
    if len(report.errors) > errors_before:
        return

    technique = importer.techniques.get(code)
    promoted_from = None
    if technique is None and is_official:
        technique = importer.local_twin(specialty, name)
        if technique is not None:
            promoted_from = technique.code
    before = _snapshot(technique) if technique is not None else None
    if technique is None:
        technique = Technique()
    technique.code = code
    technique.name = name
    technique.specialty = specialty
    if levels is not None:
        for level, allowed in levels.items():
            setattr(technique, f"allowed_{level}", allowed)
    technique.is_official = is_official
    row_source = _text(values.get("source")) if "source" in values else ""
    if row_source or importer.source or technique.pk is None:
        technique.source = row_source or importer.source
    if active is not None:
        technique.active = active
    technique.normalize_text_fields()
    if before is not None and _snapshot(technique) == before:
        report.unchanged += 1
        return
    try:
        technique.full_clean(validate_unique=False)
    except ValidationError as exc:
        fields = {"allowed_specialised": "levels", "specialty": "chapter"}
        for key, messages in exc.message_dict.items():
            for message in messages:
                report.error(number, fields.get(key, key), message)
        return
    created = technique.pk is None
    technique.save()
    if promoted_from:
        importer.techniques.pop(promoted_from, None)
        importer.forget_local(technique)
        report.notes.append(
            _("Row %(row)s: the local code %(old)s became the official code %(new)s.")
            % {"row": number, "old": promoted_from, "new": code}
        )
    importer.techniques[code] = technique
    if created:
        report.created += 1
    else:
        report.updated += 1


# Exports --------------------------------------------------------------------------------


def _mark_text(value: bool) -> str:
    return "x" if value else ""


def technique_export(queryset, fmt: str):
    """The catalogue in the import's own layout: an export imports back unchanged."""
    queryset = queryset.select_related("specialty")

    def rows():
        for t in queryset.iterator(chunk_size=1000):
            yield [
                t.specialty.code,
                t.code,
                t.name,
                _mark_text(t.allowed_initial),
                _mark_text(t.allowed_basic),
                _mark_text(t.allowed_specialised),
                _("yes") if t.is_official else _("no"),
                t.source,
                _("yes") if t.active else _("no"),
            ]

    return tabular.export_response(
        [str(label) for _key, label in COLUMNS],
        rows(),
        fmt,
        "danh-muc-ky-thuat",
        sheet_title=_("Techniques"),
        widths=[10, 14, 70, 10, 10, 12, 12, 36, 10],
    )


CAPABILITY_COLUMNS = [
    gettext_lazy("Facility code"),
    gettext_lazy("Facility"),
    gettext_lazy("Specialty"),
    gettext_lazy("Technique code"),
    gettext_lazy("Technique"),
    gettext_lazy("Performed since"),
    gettext_lazy("Acquired by"),
    gettext_lazy("Still performed"),
    gettext_lazy("Performed until"),
]
EXPORT_YEARS = 6


def capability_export(queryset, fmt: str):
    """The register with one column of cases for each of the latest years recorded."""
    queryset = (
        queryset.select_related("facility", "technique__specialty")
        .prefetch_related(None)
        .prefetch_related(Prefetch("volumes", queryset=CapabilityVolume.objects.order_by("year")))
    )
    years = sorted(
        CapabilityVolume.objects.filter(capability__in=queryset.values("pk"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")[:EXPORT_YEARS]
    )
    headers = [str(label) for label in CAPABILITY_COLUMNS]
    headers += [_("Cases %(year)s") % {"year": year} for year in years]

    def rows():
        for c in queryset:
            cases = {v.year: v.cases for v in c.volumes.all()}
            yield [
                c.facility.code,
                c.facility.name,
                c.technique.specialty.name,
                c.technique.code,
                c.technique.name,
                c.since.strftime("%d/%m/%Y") if c.since else "",
                c.get_acquisition_display(),
                _("yes") if c.active else _("no"),
                c.until.strftime("%d/%m/%Y") if c.until else "",
                *[cases.get(year, "") for year in years],
            ]

    return tabular.export_response(
        headers,
        rows(),
        fmt,
        "nang-luc-ky-thuat",
        sheet_title=_("Capabilities"),
        widths=[16, 40, 24, 14, 60, 14, 26, 10, 14, *([10] * len(years))],
    )


# Starter catalogue ----------------------------------------------------------------------

STARTER_FILE = Path(__file__).resolve().parent / "data" / "starter_catalogue.csv"
STARTER_SOURCE = "Danh mục khởi tạo doha (mã nội bộ)"


def load_starter_catalogue(path: Path = STARTER_FILE) -> ImportReport:
    """The ministry's chapters and the starter techniques shipped with doha (local codes,
    never passed off as official). Safe to run again: what is there already is unchanged."""
    from doha.catalog.services import ensure_chapters

    with transaction.atomic():
        created = ensure_chapters()
        with path.open("rb") as handle:
            report = import_techniques(
                File(handle, name=path.name), official=False, source=STARTER_SOURCE
            )
        if created:
            report.notes.insert(
                0, _("Specialties created from the ministry's chapters: %(n)s") % {"n": created}
            )
    return report
