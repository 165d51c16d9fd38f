"""DHIS2 data value sets in and out: JSON, CSV and ADX XML.

Reading a file gives its values as raw identifiers (``parse``); ``resolve`` turns them into
``ValueRow`` objects by the id schemes asked for (UID by default, CODE by default for ADX, or
NAME), and ``import_file`` hands those to ``datavalues.apply_values``: the one write path.
Anything unreadable (bad JSON, unknown columns, bad XML, unknown identifiers, bad periods)
becomes a conflict of the import summary naming the object and the value, never an error page.

Writing (``export_values`` + ``render``) streams the stored values of data sets, org units and
periods in the same three formats, so that an export imports back unchanged.

Formats, as DHIS2 2.40 reads and writes them:

- JSON: ``{"dataSet", "completeDate", "period", "orgUnit", "attributeOptionCombo",
  "dataValues": [{"dataElement", "period", "orgUnit", "categoryOptionCombo",
  "attributeOptionCombo", "value", "storedBy", "created", "lastUpdated", "comment",
  "followup"}]}``; the header's period, org unit and attribute option combo apply to every
  value.
- CSV: ``dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,
  lastupdated,comment,followup,deleted``; the header row is optional (recognised by its first
  cell; its columns may then come in any order); "," or ";" separated; UTF-8 with or without
  BOM.
- ADX (``urn:ihe:qrph:adx:2015``): ``<group orgUnit period="2024-01-01/P1M" dataSet>`` with
  ``<dataValue dataElement value>``; disaggregations are written as one attribute per
  category (category code = option code); text values go in ``<annotation>``. Parsed with
  expat with document types and entities refused, so no entity expansion can happen.
"""

from __future__ import annotations

import csv
import datetime
import gc
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.aggregate import datavalues, streaming
from doha.aggregate.models import (
    Category,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
    CompleteRegistration,
    DataElement,
    DataSet,
    DataSetElement,
    DataValue,
    PeriodType,
    ValueType,
)
from doha.aggregate.periods import Period, PeriodError, parse_period, period_containing
from doha.core.scope import can, user_scope_path
from doha.core.tabular import csv_safe
from doha.core.text import fold
from doha.orgunits.models import OrgUnit

JSON, CSV, ADX = "json", "csv", "adx"
FORMATS = (JSON, CSV, ADX)
CONTENT_TYPES = {
    JSON: "application/json",
    CSV: "application/csv",
    ADX: "application/adx+xml",
}
EXTENSIONS = {JSON: "json", CSV: "csv", ADX: "adx.xml"}
ADX_NAMESPACE = "urn:ihe:qrph:adx:2015"

UID, CODE, NAME = "UID", "CODE", "NAME"
ID_SCHEMES = (UID, CODE, NAME)
_SCHEME_FIELDS = {UID: "uid", CODE: "code", NAME: "name"}


class ImportOptionsError(ValueError):
    """An option of the request itself is wrong (unknown strategy, id scheme, format)."""


def parse_id_scheme(value) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().upper()
    if text == "ID":
        text = UID
    if text not in ID_SCHEMES:
        raise ImportOptionsError(
            _("Unknown id scheme “%(value)s”: use UID, CODE or NAME.") % {"value": value}
        )
    return text


@dataclass
class IdSchemes:
    """Which property names each kind of object: DHIS2's idScheme and its specific schemes
    (a specific scheme wins over ``id_scheme``, which wins over the format's default)."""

    id_scheme: str | None = None
    data_element: str | None = None
    org_unit: str | None = None
    category_option_combo: str | None = None
    attribute_option_combo: str | None = None
    data_set: str | None = None
    category: str | None = None
    category_option: str | None = None

    PARAMS = {
        "idScheme": "id_scheme",
        "dataElementIdScheme": "data_element",
        "orgUnitIdScheme": "org_unit",
        "categoryOptionComboIdScheme": "category_option_combo",
        "attributeOptionComboIdScheme": "attribute_option_combo",
        "dataSetIdScheme": "data_set",
        "categoryIdScheme": "category",
        "categoryOptionIdScheme": "category_option",
    }

    @classmethod
    def from_params(cls, params) -> IdSchemes:
        """From DHIS2's parameter names (``idScheme``, ``orgUnitIdScheme``, ...)."""
        values = {}
        for param, attr in cls.PARAMS.items():
            raw = params.get(param) if hasattr(params, "get") else None
            values[attr] = parse_id_scheme(raw)
        return cls(**values)

    def overridden_by(self, other: IdSchemes) -> IdSchemes:
        """These schemes with ``other``'s wherever it names one (a payload's schemes win
        over the request's)."""
        return IdSchemes(
            **{f.name: getattr(other, f.name) or getattr(self, f.name) for f in fields(self)}
        )

    def get(self, kind: str, default: str = UID) -> str:
        if kind == "attribute_option_combo":
            specific = self.attribute_option_combo or self.category_option_combo
        else:
            specific = getattr(self, kind)
        return specific or self.id_scheme or default

    def as_options(self) -> dict:
        return {
            param: getattr(self, attr) for param, attr in self.PARAMS.items() if getattr(self, attr)
        }


def _coerce_schemes(value) -> IdSchemes:
    if value is None:
        return IdSchemes()
    if isinstance(value, IdSchemes):
        return value
    if isinstance(value, str):
        return IdSchemes(id_scheme=parse_id_scheme(value))
    return IdSchemes.from_params(value)


# ---------------------------------------------------------------------------------------------
# Identifier look-ups
# ---------------------------------------------------------------------------------------------

AMBIGUOUS = object()


class Lookup:
    """Identifier -> object for one kind of object under one id scheme.

    Small kinds are loaded whole with one query. Org units load lazily: a few single queries
    for a small import, then the whole table once an import names many (as DHIS2's caches
    warm up). ``fallback_uid``: an identifier that matches no code or name may still be a
    UID (exports by code name an object that has no code by its UID)."""

    PREHEAT_AFTER = 30

    def __init__(self, queryset, scheme: str, *, lazy: bool = False, fallback_uid: bool = False):
        self.queryset = queryset
        self.field = _SCHEME_FIELDS[scheme]
        self.fallback_uid = fallback_uid and self.field != "uid"
        self.cache: dict[str, object] = {}
        self.loaded = False
        self.misses = 0
        if not lazy:
            self.load()

    def _add(self, obj):
        key = getattr(obj, self.field)
        if key in (None, ""):
            return
        key = str(key)
        previous = self.cache.get(key)
        same = previous is None or (previous is not AMBIGUOUS and previous.pk == obj.pk)
        self.cache[key] = obj if same else AMBIGUOUS

    def load(self):
        for obj in self.queryset:
            self._add(obj)
            if self.fallback_uid:
                self.cache.setdefault("uid:" + obj.uid, obj)
        self.loaded = True

    def get(self, key):
        if key is None:
            return None
        key = str(key).strip()
        if not key:
            return None
        found = self.cache.get(key)
        if found is None and not self.loaded and key not in self.cache:
            self.misses += 1
            if self.misses > self.PREHEAT_AFTER:
                self.load()
            else:
                condition = Q(**{self.field: key})
                if self.fallback_uid:
                    condition |= Q(uid=key)
                for obj in self.queryset.filter(condition):
                    if str(getattr(obj, self.field)) == key:
                        self._add(obj)
                    elif self.fallback_uid:
                        self.cache["uid:" + obj.uid] = obj
                self.cache.setdefault(key, None)
            found = self.cache.get(key)
        if found is None and self.fallback_uid:
            found = self.cache.get("uid:" + key)
        return found


def _identifier(obj, scheme: str) -> str:
    """An object's identifier under ``scheme``; its UID when it has no code."""
    if scheme == CODE:
        return obj.code or obj.uid
    if scheme == NAME:
        return obj.name
    return obj.uid


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


@dataclass
class ParsedFile:
    """A file's header (the data value set's own attributes) and its values as raw
    identifiers: tuples laid out as ``RAW_FIELDS``."""

    fmt: str
    header: dict
    values: Iterable[tuple]
    id_schemes: IdSchemes | None = None


# Positions in a raw value tuple.
RAW_FIELDS = (
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "storedBy",
    "comment",
    "followup",
    "deleted",
    "dataSet",  # ADX: the group's data set
    "categories",  # ADX: the value's {category: option} attributes
    "attributeCategories",  # ADX: the group's {category: option} attributes
    "annotation",  # ADX: the text of a non-numeric value
    "index",
)
(
    R_DE,
    R_PE,
    R_OU,
    R_COC,
    R_AOC,
    R_VALUE,
    R_BY,
    R_COMMENT,
    R_FOLLOW,
    R_DELETED,
    R_DS,
    R_CATS,
    R_ACATS,
    R_ANNOTATION,
    R_INDEX,
) = range(len(RAW_FIELDS))


def detect_format(data: bytes, filename: str | None = None, content_type: str | None = None):
    """JSON, CSV or ADX from the content type, the file name or the content itself."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type in ("application/json", "text/json"):
        return JSON
    if content_type in ("application/csv", "text/csv", "application/vnd.ms-excel"):
        return CSV
    if content_type in ("application/adx+xml", "application/xml+adx"):
        return ADX
    name = (filename or "").lower()
    if name.endswith(".json"):
        return JSON
    if name.endswith(".csv"):
        return CSV
    if name.endswith((".xml", ".adx")):
        return ADX
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return JSON
    if head[:1] == b"<":
        return ADX
    return CSV


def _text(data, summary) -> str | None:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        summary.add_conflict(
            None,
            object=_("file"),
            message=_("The file is not UTF-8 text (byte %(position)s); save it as UTF-8.")
            % {"position": exc.start},
        )
        summary.aborted = True
        return None


def _scalar(value) -> str | None:
    """A JSON value as the text DHIS2 stores (numbers and booleans sent unquoted too)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)


def _flag(value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "t", "1", "yes", "có", "co"):
        return True
    if text in ("false", "f", "0", "no", "không", "khong"):
        return False
    return None


def parse_json(data, summary) -> ParsedFile:
    text = _text(data, summary)
    if text is None:
        return ParsedFile(JSON, {}, ())
    try:
        doc = json.loads(text)
    except ValueError as exc:
        summary.add_conflict(
            None,
            object="JSON",
            message=_("The file is not valid JSON: %(error)s") % {"error": exc},
        )
        summary.aborted = True
        return ParsedFile(JSON, {}, ())
    if isinstance(doc, list):
        doc = {"dataValues": doc}
    if not isinstance(doc, dict):
        summary.add_conflict(
            None,
            object="JSON",
            message=_("A data value set is a JSON object with a “dataValues” list."),
        )
        summary.aborted = True
        return ParsedFile(JSON, {}, ())
    values = doc.get("dataValues", [])
    if not isinstance(values, list):
        summary.add_conflict(
            None,
            object="dataValues",
            message=_("“dataValues” must be a list of values."),
        )
        summary.aborted = True
        return ParsedFile(JSON, {}, ())
    header = {
        key: _scalar(doc.get(key))
        for key in ("dataSet", "completeDate", "period", "orgUnit", "attributeOptionCombo")
    }
    header["dryRun"] = _flag(doc.get("dryRun"))
    header["importStrategy"] = doc.get("importStrategy") or doc.get("strategy")
    schemes = IdSchemes.from_params(doc)
    return ParsedFile(JSON, header, _json_rows(values, summary), schemes)


def _json_rows(values, summary) -> Iterator[tuple]:
    for index, item in enumerate(values):
        if not isinstance(item, dict):
            summary.total += 1
            summary.reject(
                None,
                index=index,
                object=_("value %(number)s") % {"number": index + 1},
                message=_("A data value must be a JSON object."),
            )
            continue
        get = item.get
        value = get("value")
        comment = get("comment")
        follow = get("followup")
        if follow is None:
            follow = get("followUp")
        if follow is not None and follow.__class__ is not bool:
            follow = _flag(follow)
        deleted = get("deleted")
        if deleted is None:
            deleted = False
        elif deleted.__class__ is not bool:
            deleted = bool(_flag(deleted))
        yield (
            get("dataElement"),
            get("period"),
            get("orgUnit"),
            get("categoryOptionCombo"),
            get("attributeOptionCombo"),
            value if value is None or value.__class__ is str else _scalar(value),
            get("storedBy"),
            comment if comment is None or comment.__class__ is str else _scalar(comment),
            follow,
            deleted,
            None,
            None,
            None,
            None,
            index,
        )


CSV_COLUMNS = (
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
    "deleted",
)
_CSV_ALIASES = {
    "dataelement": "dataelement",
    "de": "dataelement",
    "dataelementid": "dataelement",
    "period": "period",
    "pe": "period",
    "orgunit": "orgunit",
    "ou": "orgunit",
    "organisationunit": "orgunit",
    "organizationunit": "orgunit",
    "categoryoptioncombo": "categoryoptioncombo",
    "catoptcombo": "categoryoptioncombo",
    "coc": "categoryoptioncombo",
    "co": "categoryoptioncombo",
    "attributeoptioncombo": "attributeoptioncombo",
    "attroptcombo": "attributeoptioncombo",
    "aoc": "attributeoptioncombo",
    "value": "value",
    "storedby": "storedby",
    "strby": "storedby",
    "lastupdated": "lastupdated",
    "lstupd": "lastupdated",
    "timestamp": "lastupdated",
    "created": "created",
    "comment": "comment",
    "cmt": "comment",
    "followup": "followup",
    "flwup": "followup",
    "deleted": "deleted",
    # Vietnamese headers (accents and case folded).
    "chitieu": "dataelement",
    "machitieu": "dataelement",
    "ky": "period",
    "kybaocao": "period",
    "donvi": "orgunit",
    "madonvi": "orgunit",
    "coso": "orgunit",
    "phanto": "categoryoptioncombo",
    "giatri": "value",
    "solieu": "value",
    "nguoinhap": "storedby",
    "ghichu": "comment",
    "theodoi": "followup",
    "daxoa": "deleted",
}


def _csv_key(cell: str) -> str:
    return re.sub(r"[\s_\-.]", "", fold(cell or ""))


def parse_csv(data, summary, *, first_row_is_header: bool | None = None) -> ParsedFile:
    text = _text(data, summary)
    if text is None:
        return ParsedFile(CSV, {}, ())
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if first_line.count(";") > first_line.count(","):
        delimiter = ";"
    elif first_line.count("\t") > first_line.count(","):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        first = next(reader, None)
    except csv.Error as exc:
        summary.add_conflict(
            None, object="CSV", message=_("The CSV file cannot be read: %(error)s") % {"error": exc}
        )
        summary.aborted = True
        return ParsedFile(CSV, {}, ())
    if first is None:
        return ParsedFile(CSV, {}, ())
    is_header = first_row_is_header
    if is_header is None:
        # DHIS2 reads the first row as a header; here it is one when it names columns.
        known = [_CSV_ALIASES.get(_csv_key(cell)) for cell in first]
        is_header = known[:1] == ["dataelement"] or sum(1 for k in known if k) >= 2
    positions = {name: i for i, name in enumerate(CSV_COLUMNS)}
    leading = []
    if is_header and not any(_CSV_ALIASES.get(_csv_key(cell)) for cell in first):
        # Asked to skip a header that names no known column: read by position, as DHIS2.
        is_header = False
        first = None
    if is_header:
        positions = {}
        for i, cell in enumerate(first):
            name = _CSV_ALIASES.get(_csv_key(cell))
            if name is None:
                if (cell or "").strip():
                    summary.add_conflict(
                        None,
                        object=cell,
                        message=_("Unknown column “%(column)s”: the columns are %(columns)s.")
                        % {"column": cell, "columns": ", ".join(CSV_COLUMNS)},
                    )
                continue
            positions[name] = i
        missing = [c for c in ("dataelement", "period", "orgunit") if c not in positions]
        for name in missing:
            summary.add_conflict(
                None,
                object=name,
                message=_("The column “%(column)s” is missing.") % {"column": name},
            )
        if summary.has_conflicts:
            summary.aborted = True
            return ParsedFile(CSV, {}, ())
    elif first is not None:
        leading = [first]
    return ParsedFile(CSV, {}, _csv_rows(leading, reader, positions, summary))


def _csv_rows(leading, reader, positions, summary) -> Iterator[tuple]:
    p = positions
    width = max(p.values()) + 2
    absent = width - 1  # padding: always None
    de, pe, ou = p["dataelement"], p["period"], p["orgunit"]
    coc, aoc, val = (
        p.get(n, absent) for n in ("categoryoptioncombo", "attributeoptioncombo", "value")
    )
    by, cmt, flw, dele = (p.get(n, absent) for n in ("storedby", "comment", "followup", "deleted"))
    needed = max(de, pe, ou) + 1
    pad = [None] * width
    flag = _flag
    flags: dict[str, bool | None] = {}  # text -> _flag(text), for the few texts a file uses
    cached = flags.get  # with a sentinel default: _flag's answers include None
    miss = object()
    index = 0
    try:
        for cells in itertools.chain(leading, reader):
            n = len(cells)
            if n < needed or not cells[de]:
                if not "".join(cells).strip():
                    continue  # a blank line
                if n < needed:
                    summary.total += 1
                    summary.reject(
                        None,
                        index=index,
                        object=_("row %(number)s") % {"number": index + 1},
                        message=_(
                            "A row needs at least a data element, a period and an org unit; "
                            "this one has %(count)s columns."
                        )
                        % {"count": n},
                    )
                    index += 1
                    continue
            cells.extend(pad[: width - n])
            follow = cells[flw]
            if follow:
                follow = cached(follow, miss)
                if follow is miss:
                    follow = flag(cells[flw])
                    if len(flags) < 100:
                        flags[cells[flw]] = follow
            else:
                follow = None
            deleted = cells[dele]
            if deleted:
                deleted = cached(deleted, miss)
                if deleted is miss:
                    deleted = flag(cells[dele])
                    if len(flags) < 100:
                        flags[cells[dele]] = deleted
                deleted = bool(deleted)
            else:
                deleted = False
            yield (
                cells[de],
                cells[pe],
                cells[ou],
                cells[coc],
                cells[aoc],
                cells[val],
                cells[by],
                cells[cmt],
                follow,
                deleted,
                None,
                None,
                None,
                None,
                index,
            )
            index += 1
    except csv.Error as exc:
        summary.total += 1
        summary.reject(
            None,
            index=index,
            object=_("line %(number)s") % {"number": reader.line_num},
            message=_("The CSV file cannot be read: %(error)s") % {"error": exc},
        )
        summary.aborted = True


_ADX_DURATIONS = {
    "P1D": PeriodType.DAILY,
    "P7D": PeriodType.WEEKLY,
    "P1W": PeriodType.WEEKLY,
    "P1M": PeriodType.MONTHLY,
    "P3M": PeriodType.QUARTERLY,
    "P6M": PeriodType.SIX_MONTHLY,
    "P12M": PeriodType.YEARLY,
    "P1Y": PeriodType.YEARLY,
}
ADX_DURATION_OF = {
    PeriodType.DAILY: "P1D",
    PeriodType.WEEKLY: "P7D",
    PeriodType.MONTHLY: "P1M",
    PeriodType.QUARTERLY: "P3M",
    PeriodType.SIX_MONTHLY: "P6M",
    PeriodType.YEARLY: "P1Y",
}


def parse_adx_period(text: str) -> Period:
    """ADX's ``start/duration`` ("2024-01-01/P1M") as a period; a DHIS2 period id
    ("202401") is accepted too. PeriodError when it names no period doha knows."""
    value = (text or "").strip()
    if "/" not in value:
        return parse_period(value)
    start_text, _sep, duration = value.partition("/")
    period_type = _ADX_DURATIONS.get(duration.strip().upper())
    try:
        start = datetime.date.fromisoformat(start_text.strip()[:10])
    except ValueError:
        start = None
    if period_type is None or start is None:
        raise PeriodError(
            _("“%(value)s” is not an ADX period (e.g. 2024-01-01/P1M).") % {"value": text}
        )
    period = period_containing(start, period_type)
    if period.start != start:
        raise PeriodError(
            _("“%(value)s” does not start on the first day of a period.") % {"value": text}
        )
    return period


def adx_period(period: Period) -> str:
    return f"{period.start.isoformat()}/{ADX_DURATION_OF[period.period_type]}"


_ADX_GROUP_KNOWN = {
    "orgUnit",
    "period",
    "dataSet",
    "completeDate",
    "attributeOptionCombo",
    "exported",
}
_ADX_VALUE_KNOWN = {
    "dataElement",
    "value",
    "categoryOptionCombo",
    "period",
    "orgUnit",
    "dataSet",
    "attributeOptionCombo",
    "comment",
    "storedBy",
    "followup",
}


class _Refused(Exception):
    pass


def parse_adx(data, summary) -> ParsedFile:
    rows: list[tuple] = []
    state = {"group": None, "group_no": 0, "value": None, "annotation": None, "index": 0}

    def refuse(*_args):
        raise _Refused(_("document types and entities are not allowed in an ADX file"))

    def start(name, attrs):
        ns, _bar, local = name.rpartition("|")
        if not state.get("root"):
            state["root"] = local
            if local != "adx" or ns != ADX_NAMESPACE:
                raise _Refused(
                    _("the root element must be “adx” in the ADX namespace %(ns)s")
                    % {"ns": ADX_NAMESPACE}
                )
            return
        attrs = {k: v for k, v in attrs.items() if "|" not in k}
        if local == "group":
            state["group_no"] += 1
            group = {"attrs": attrs, "period": None, "error": None}
            missing = [a for a in ("orgUnit", "period") if not attrs.get(a)]
            if missing:
                group["error"] = _("the attribute “%(name)s” is required on a group") % {
                    "name": missing[0]
                }
            else:
                try:
                    group["period"] = parse_adx_period(attrs["period"])
                except PeriodError as exc:
                    group["period_error"] = str(exc)
            state["group"] = group
        elif local == "dataValue":
            state["value"] = attrs
            state["annotation"] = None
        elif local == "annotation" and state["value"] is not None:
            state["annotation"] = []

    def end(name):
        local = name.rpartition("|")[2]
        if local == "annotation" and state["value"] is not None:
            state["value"]["__annotation__"] = "".join(state["annotation"] or [])
            state["annotation"] = None
        elif local == "dataValue" and state["value"] is not None:
            attrs = state.pop("value")
            state["value"] = None
            index = state["index"]
            state["index"] += 1
            group = state["group"]
            if group is None or group["error"]:
                summary.total += 1
                summary.reject(
                    None,
                    index=index,
                    object=_("group %(number)s") % {"number": state["group_no"]},
                    message=(group or {}).get("error") or _("a dataValue must be inside a group"),
                )
                return
            gattrs = group["attrs"]
            period = group["period"]
            if period is None:
                summary.total += 1
                summary.reject(
                    "E7611",
                    {"period": gattrs.get("period")},
                    index=index,
                    message=group.get("period_error"),
                )
                return
            annotation = attrs.pop("__annotation__", None)
            categories = {k: v for k, v in attrs.items() if k not in _ADX_VALUE_KNOWN}
            group_categories = {k: v for k, v in gattrs.items() if k not in _ADX_GROUP_KNOWN}
            rows.append(
                (
                    attrs.get("dataElement"),
                    period,
                    gattrs.get("orgUnit"),
                    attrs.get("categoryOptionCombo"),
                    gattrs.get("attributeOptionCombo"),
                    attrs.get("value"),
                    attrs.get("storedBy"),
                    attrs.get("comment"),
                    _flag(attrs.get("followup")),
                    False,
                    gattrs.get("dataSet"),
                    categories,
                    group_categories,
                    annotation,
                    index,
                )
            )
        elif local == "group":
            state["group"] = None

    def chars(text):
        if state["annotation"] is not None:
            state["annotation"].append(text)

    parser = expat.ParserCreate(namespace_separator="|")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        if isinstance(data, str):
            parser.Parse(data.encode("utf-8"), True)
        else:
            parser.Parse(bytes(data), True)
    except expat.ExpatError as exc:
        summary.add_conflict(
            None,
            object="ADX",
            message=_("The XML is not well formed (line %(line)s, column %(column)s): %(error)s")
            % {
                "line": exc.lineno,
                "column": exc.offset,
                "error": expat.ErrorString(exc.code),
            },
        )
        summary.aborted = True
        return ParsedFile(ADX, {}, ())
    except _Refused as exc:
        summary.add_conflict(
            None, object="ADX", message=_("The ADX file is refused: %(reason)s") % {"reason": exc}
        )
        summary.aborted = True
        return ParsedFile(ADX, {}, ())
    return ParsedFile(ADX, {}, rows)


def parse(data, fmt: str, summary, *, first_row_is_header: bool | None = None) -> ParsedFile:
    if fmt == JSON:
        return parse_json(data, summary)
    if fmt == CSV:
        return parse_csv(data, summary, first_row_is_header=first_row_is_header)
    if fmt == ADX:
        return parse_adx(data, summary)
    raise ImportOptionsError(
        _("Unknown format “%(format)s”: use json, csv or adx.") % {"format": fmt}
    )


# ---------------------------------------------------------------------------------------------
# Resolving identifiers
# ---------------------------------------------------------------------------------------------


class _Categories:
    """Disaggregations for ADX: a combo's categories, their options, and the option combo
    of each set of options."""

    def __init__(self, category_scheme: str, option_scheme: str):
        self.category_field = _SCHEME_FIELDS[category_scheme]
        self.option_field = _SCHEME_FIELDS[option_scheme]
        categories = {c.pk: c for c in Category.objects.only("id", "uid", "code", "name")}
        options = {o.pk: o for o in CategoryOption.objects.only("id", "uid", "code", "name")}
        self.combo_categories: dict[int, list] = {}
        for m in CategoryComboMembership.objects.order_by("combo_id", "sort_order"):
            self.combo_categories.setdefault(m.combo_id, []).append(categories[m.category_id])
        self.category_options: dict[int, dict[str, CategoryOption]] = {}
        for m in CategoryMembership.objects.all():
            option = options[m.option_id]
            by_key = self.category_options.setdefault(m.category_id, {})
            key = getattr(option, self.option_field)
            if key:
                by_key[str(key)] = option
            by_key.setdefault("uid:" + option.uid, option)
        self.cocs: dict[tuple[int, frozenset], CategoryOptionCombo] = {}
        through = CategoryOptionCombo.options.through
        members: dict[int, set[int]] = {}
        for coc_id, option_id in through.objects.values_list(
            "categoryoptioncombo_id", "categoryoption_id"
        ):
            members.setdefault(coc_id, set()).add(option_id)
        for coc in CategoryOptionCombo.objects.only("id", "uid", "code", "name", "category_combo"):
            self.cocs[(coc.category_combo_id, frozenset(members.get(coc.pk, ())))] = coc

    def option_combo(self, combo, attributes: dict) -> tuple[CategoryOptionCombo | None, str]:
        """The option combo of ``combo`` named by ``attributes`` ({category: option}), or
        None and the reason."""
        chosen = []
        for category in self.combo_categories.get(combo.pk, []):
            key = getattr(category, self.category_field)
            text = attributes.get(str(key)) if key else None
            if text is None:
                text = attributes.get(category.uid)
            if text is None:
                return None, _(
                    "The category “%(category)s” (attribute %(attribute)s) of the "
                    "disaggregation “%(combo)s” is missing."
                ) % {"category": category.name, "attribute": key or category.uid, "combo": combo}
            by_key = self.category_options.get(category.pk, {})
            option = by_key.get(text) or by_key.get("uid:" + text)
            if option is None:
                return None, _("“%(value)s” is not an option of the category “%(category)s”.") % {
                    "value": text,
                    "category": category.name,
                }
            chosen.append(option.pk)
        coc = self.cocs.get((combo.pk, frozenset(chosen)))
        if coc is None:
            return None, _("No option combination of “%(combo)s” has these options.") % {
                "combo": combo
            }
        return coc, ""


class Resolver:
    """Turns raw identifiers into objects by the import's id schemes (one query per kind of
    object; org units as they come)."""

    def __init__(self, schemes: IdSchemes, summary, *, fmt: str = JSON):
        default = CODE if fmt == ADX else UID
        # Exports name an object without a code by its UID: read it back the same way.
        fallback = True
        self.summary = summary
        self.schemes = schemes
        self.default = default
        self.data_elements = Lookup(
            DataElement.objects.only(
                "id", "uid", "code", "name", "value_type", "zero_is_significant", "category_combo"
            ),
            schemes.get("data_element", default),
            fallback_uid=fallback,
        )
        self.org_units = Lookup(
            OrgUnit.objects.only("id", "uid", "code", "name", "path"),
            schemes.get("org_unit", default),
            lazy=True,
            fallback_uid=fallback,
        )
        coc_qs = CategoryOptionCombo.objects.only("id", "uid", "code", "name", "category_combo")
        self.cocs = Lookup(
            coc_qs, schemes.get("category_option_combo", default), fallback_uid=fallback
        )
        aoc_scheme = schemes.get("attribute_option_combo", default)
        self.aocs = (
            self.cocs
            if aoc_scheme == self.cocs.field.upper()
            else Lookup(coc_qs, aoc_scheme, fallback_uid=fallback)
        )
        self.data_sets = Lookup(
            DataSet.objects.only("id", "uid", "code", "name", "period_type", "category_combo"),
            schemes.get("data_set", default),
            fallback_uid=fallback,
        )
        self._categories = None
        self._combos = None
        self._dse_combos = None
        self.periods: dict[str, Period | None] = {}

    def categories(self) -> _Categories:
        if self._categories is None:
            self._categories = _Categories(
                self.schemes.get("category", self.default),
                self.schemes.get("category_option", self.default),
            )
        return self._categories

    def combo(self, combo_id):
        if self._combos is None:
            from doha.aggregate.models import CategoryCombo

            self._combos = {c.pk: c for c in CategoryCombo.objects.all()}
            self._dse_combos = {
                (d, e): c
                for d, e, c in DataSetElement.objects.filter(
                    category_combo__isnull=False
                ).values_list("data_set_id", "data_element_id", "category_combo_id")
            }
        return self._combos.get(combo_id)

    def period(self, text) -> Period | None:
        if isinstance(text, Period):
            return text
        if not isinstance(text, str | int) or isinstance(text, bool):
            return None
        found = self.periods.get(text, False)
        if found is False:
            try:
                found = parse_period(str(text))
            except PeriodError:
                found = None
            self.periods[text] = found
        return found

    def _coc_by_name(self, lookup: Lookup, text: str, combo_id: int | None):
        """A name-scheme option combo: names repeat across combos, so the combo decides."""
        candidates = [
            c
            for c in lookup.queryset
            if c.name == text and (combo_id is None or c.category_combo_id == combo_id)
        ]
        return candidates[0] if len(candidates) == 1 else None

    def header(self, header: dict) -> dict:
        """The file's own data set, org unit, period and attribute option combo; an unknown
        one stops the import (DHIS2's E7600, E7603, E7604)."""
        s = self.summary
        out = {"data_set": None, "org_unit": None, "period": None, "aoc": None}
        if header.get("dataSet"):
            out["data_set"] = ds = self.data_sets.get(header["dataSet"])
            if ds is None or ds is AMBIGUOUS:
                s.add_conflict("E7600", {"dataSet": header["dataSet"]})
                s.aborted = True
        if header.get("orgUnit"):
            out["org_unit"] = ou = self.org_units.get(header["orgUnit"])
            if ou is None or ou is AMBIGUOUS:
                s.add_conflict("E7603", {"organisationUnit": header["orgUnit"]})
                s.aborted = True
        if header.get("attributeOptionCombo"):
            out["aoc"] = aoc = self.aocs.get(header["attributeOptionCombo"])
            if aoc is None or aoc is AMBIGUOUS:
                s.add_conflict("E7604", {"attributeOptionCombo": header["attributeOptionCombo"]})
                s.aborted = True
        if header.get("period"):
            out["period"] = header["period"]
        return out

    def rows(self, raw_rows: Iterable[tuple], header: dict) -> Iterator[datavalues.ValueRow]:
        s = self.summary
        h = self.header(header)
        if s.aborted:
            for _raw in raw_rows:
                s.total += 1
            return
        yield from self._resolved(raw_rows, h)

    def _resolved(self, raw_rows: Iterable[tuple], h: dict) -> Iterator[datavalues.ValueRow]:
        """The values of ``raw_rows`` as ``ValueRow`` objects; an unknown identifier is a
        conflict (the value is counted and refused here)."""
        s = self.summary
        h_ds, h_ou, h_pe, h_aoc = h["data_set"], h["org_unit"], h["period"], h["aoc"]
        de_get, ou_get = self.data_elements.get, self.org_units.get
        de_cache, ou_cache = self.data_elements.cache, self.org_units.cache
        coc_get, aoc_get = self.cocs.get, self.aocs.get
        period, periods = self.period, self.periods
        names = self.cocs.field == "name"
        numeric = datavalues.NUMERIC
        ValueRow = datavalues.ValueRow
        for r in raw_rows:
            index = r[R_INDEX]
            # Dict look-ups first; the slower general path only when they miss.
            de = de_cache.get(r[R_DE]) if r[R_DE].__class__ is str else None
            if de is None or de is AMBIGUOUS:
                de = de_get(r[R_DE])
                if de is None or de is AMBIGUOUS:
                    s.total += 1
                    s.reject("E7610", {"dataElement": r[R_DE]}, index=index)
                    continue
            pe_raw = h_pe if h_pe is not None else r[R_PE]
            pe = periods.get(pe_raw) if pe_raw.__class__ is str else None
            if pe is None:
                pe = period(pe_raw)
                if pe is None:
                    s.total += 1
                    s.reject("E7611", {"period": pe_raw}, index=index)
                    continue
            if h_ou is not None:
                ou = h_ou
            else:
                ou = ou_cache.get(r[R_OU]) if r[R_OU].__class__ is str else None
                if ou is None or ou is AMBIGUOUS:
                    ou = ou_get(r[R_OU])
                if ou is None or ou is AMBIGUOUS:
                    s.total += 1
                    s.reject("E7612", {"organisationUnit": r[R_OU]}, index=index)
                    continue
            ds = h_ds
            if r[R_DS] is not None:
                ds = self.data_sets.get(r[R_DS])
                if ds is None or ds is AMBIGUOUS:
                    s.total += 1
                    s.reject("E7600", {"dataSet": r[R_DS]}, index=index)
                    continue
            coc = None
            coc_raw = r[R_COC]
            if coc_raw:
                coc = coc_get(coc_raw)
                if coc is AMBIGUOUS and names:
                    coc = self._coc_by_name(self.cocs, coc_raw, de.category_combo_id)
                if coc is None or coc is AMBIGUOUS:
                    s.total += 1
                    s.reject("E7613", {"categoryOptionCombo": coc_raw}, index=index)
                    continue
            elif r[R_CATS] is not None:
                combo_id = de.category_combo_id
                if ds is not None:
                    self.combo(None)
                    combo_id = self._dse_combos.get((ds.pk, de.pk), combo_id)
                combo = self.combo(combo_id)
                if combo is not None and not combo.is_default:
                    coc, reason = self.categories().option_combo(combo, r[R_CATS])
                    if coc is None:
                        s.total += 1
                        s.reject(
                            "E7613",
                            {"categoryOptionCombo": _describe(r[R_CATS])},
                            index=index,
                            message=reason,
                        )
                        continue
            aoc = h_aoc
            aoc_raw = r[R_AOC]
            if aoc is None and aoc_raw:
                aoc = aoc_get(aoc_raw)
                if aoc is AMBIGUOUS and names:
                    combo_id = ds.category_combo_id if ds is not None else None
                    aoc = self._coc_by_name(self.aocs, aoc_raw, combo_id)
                if aoc is None or aoc is AMBIGUOUS:
                    s.total += 1
                    s.reject("E7615", {"attributeOptionCombo": aoc_raw}, index=index)
                    continue
            elif aoc is None and r[R_ACATS] is not None and ds is not None:
                combo = self.combo(ds.category_combo_id)
                if combo is not None and not combo.is_default:
                    aoc, reason = self.categories().option_combo(combo, r[R_ACATS])
                    if aoc is None:
                        s.total += 1
                        s.reject(
                            "E7615",
                            {"attributeOptionCombo": _describe(r[R_ACATS])},
                            index=index,
                            message=reason,
                        )
                        continue
            value = r[R_VALUE]
            annotation = r[R_ANNOTATION]
            if annotation is not None and de.value_type not in numeric:
                value = annotation
            yield ValueRow(
                de,
                pe,
                ou,
                coc,
                aoc,
                value,
                r[R_COMMENT],
                r[R_FOLLOW],
                r[R_DELETED],
                ds,
                r[R_BY],
                index,
            )

    # -- the fast lane: CSV and JSON files ---------------------------------------------------

    def check_into(self, checker, raw_rows: Iterable[tuple], header: dict) -> None:
        """Resolve and check the raw values of a CSV or JSON file (whose raw tuples hold no
        data set, categories or annotation) into ``checker`` in one pass.

        The same outcome as ``checker.check`` on each of ``rows``, faster: identifiers are
        resolved once per distinct data element, period and option combos (a cell) and once
        per org unit, everything that does not depend on the value's text is decided once
        per cell and per set of data sets a unit reports (``_Checker.cell_context``,
        ``cell_allows``), and plain whole numbers are cleaned once per distinct text. A value
        the fast lane cannot take as it is (an unknown identifier, a unit outside the user's
        scope, a refused value or comment, an identifier that is not text) goes through
        ``rows``' path and ``check``, which refuse it with the reason."""
        s = self.summary
        h = self.header(header)
        if s.aborted:
            for _raw in raw_rows:
                s.total += 1
            return
        resolved, check = self._resolved, checker.check
        prepared = checker.prepared
        # A ``streaming.StreamingWriter`` is handed the values taken, chunk by chunk.
        pending = checker.pending
        push = pending.append if pending is not None else None
        if checker.flush is not None:
            raw_rows = streaming.chunked(raw_rows, checker.flush)
        # Values the fast lane stores are counted at the end: those it took, and how many
        # of them named a key stored already (the same value twice in one file is ignored,
        # the last one kept; ``check`` counts its own).
        taken = 0
        grown_by_slow = 0
        start = len(prepared)

        def slow(r):
            nonlocal grown_by_slow
            before = len(prepared)
            for row in resolved((r,), h):
                s.total += 1
                check(row, row.index)
            grown_by_slow += len(prepared) - before

        unit_of_header = None
        if h["org_unit"] is not None:
            unit_of_header = checker.unit_context(h["org_unit"]) or False
        cells: dict[tuple, tuple | bool] = {}
        units: dict[str, tuple | bool] = {}
        stored_bys: dict[str | None, str] = {}
        # plain digits -> (stored text, number, whole number), as clean_value gives them
        digits: dict[str, tuple] = {}
        allows = checker.cell_allows
        default_by = checker.stored_by
        deleting = checker.strategy == datavalues.DELETE
        clean_value, InvalidValue = datavalues.clean_value, datavalues.InvalidValue
        max_comment = datavalues.MAX_COMMENT_LENGTH
        max_by = datavalues.MAX_STORED_BY_LENGTH
        normalize = unicodedata.normalize
        for r in raw_rows:
            (
                de_raw,
                pe_raw,
                ou_raw,
                coc_raw,
                aoc_raw,
                value,
                by,
                comment,
                follow,
                deleted,
                _ds,
                _categories,
                _attribute_categories,
                _annotation,
                _index,
            ) = r
            try:
                cell_key = (de_raw, pe_raw, coc_raw, aoc_raw)
                cell = cells.get(cell_key)
                if cell is None:
                    cell = cells[cell_key] = self._fast_cell(checker, cell_key, h) or False
                unit = unit_of_header
                if unit is None:
                    unit = units.get(ou_raw)
                    if unit is None:
                        unit = units[ou_raw] = self._fast_unit(checker, ou_raw) or False
                stored_by = stored_bys.get(by)
                if stored_by is None and (by is None or by.__class__ is str):
                    stored_by = stored_bys[by] = (by.strip()[:max_by] if by else "") or default_by
            except TypeError:  # an identifier that is a JSON list or object
                cell = False
            if not cell or not unit or stored_by is None:
                slow(r)
                continue
            verdict = cell[10].get(unit[1])
            if verdict is None:
                verdict = allows(cell, unit)
            if not verdict:
                slow(r)
                continue
            if deleted or deleting:
                op, text, number = "N", None, None
            elif value is None:
                if comment is None and follow is None:
                    slow(r)
                    continue
                op, text, number = "C", None, None
            else:
                bounds = cell[8]
                hit = digits.get(value) if bounds is not None else None
                if hit is not None and bounds[0] <= hit[2] <= bounds[1]:
                    op, text, number = "V", hit[0], hit[1]
                elif value.__class__ is not str:
                    slow(r)
                    continue
                elif value.strip() == "":
                    op, text, number = "N", None, None
                else:
                    try:
                        text, number = clean_value(cell[7], value)
                    except InvalidValue:
                        slow(r)
                        continue
                    op = "V"
                    if (
                        bounds is not None
                        and value.isdigit()
                        and value.isascii()
                        and len(value) <= 15
                        and len(digits) < 100_000
                    ):
                        digits[value] = (text, number, int(value))
                if number == 0 and cell[9]:
                    # An insignificant zero: deletes a stored value, or is ignored.
                    op, text, number = "N", None, None
            if comment:
                if comment.__class__ is not str:
                    slow(r)
                    continue
                comment = normalize("NFC", comment).strip()
                if len(comment) > max_comment:
                    slow(r)
                    continue
            ou_id = unit[0]
            prepared[(cell[0], cell[1], ou_id, cell[5], cell[6])] = taken_row = (
                cell[0],
                cell[1],
                cell[2],
                cell[3],
                cell[4],
                ou_id,
                cell[5],
                cell[6],
                op,
                text,
                number,
                comment,
                follow,
                stored_by,
            )
            if push is not None:
                push(taken_row)
            taken += 1
        s.total += taken
        s.ignored += taken - (len(prepared) - start - grown_by_slow)

    def _fast_cell(self, checker, cell_key: tuple, h: dict) -> tuple | None:
        """``checker.cell_context`` of the objects a value's data element, period and option
        combos name, resolved as ``_resolved`` resolves them; None when one of them is
        unknown or not text (``_resolved`` then refuses the value or takes it its way)."""
        de_raw, pe_raw, coc_raw, aoc_raw = cell_key
        for raw in cell_key:
            if raw is not None and raw.__class__ is not str:
                return None
        de = self.data_elements.get(de_raw)
        if de is None or de is AMBIGUOUS:
            return None
        pe = self.period(h["period"] if h["period"] is not None else pe_raw)
        if pe is None:
            return None
        names = self.cocs.field == "name"
        ds = h["data_set"]
        coc = None
        if coc_raw:
            coc = self.cocs.get(coc_raw)
            if coc is AMBIGUOUS and names:
                coc = self._coc_by_name(self.cocs, coc_raw, de.category_combo_id)
            if coc is None or coc is AMBIGUOUS:
                return None
        aoc = h["aoc"]
        if aoc is None and aoc_raw:
            aoc = self.aocs.get(aoc_raw)
            if aoc is AMBIGUOUS and names:
                combo_id = ds.category_combo_id if ds is not None else None
                aoc = self._coc_by_name(self.aocs, aoc_raw, combo_id)
            if aoc is None or aoc is AMBIGUOUS:
                return None
        return checker.cell_context(de, pe, coc, aoc, ds)

    def _fast_unit(self, checker, ou_raw) -> tuple | None:
        """``checker.unit_context`` of the org unit ``ou_raw`` names; None when it is unknown,
        not text or outside the user's scope."""
        if ou_raw.__class__ is not str:
            return None
        ou = self.org_units.get(ou_raw)
        if ou is None or ou is AMBIGUOUS:
            return None
        return checker.unit_context(ou)


class _FileRows:
    """A CSV or JSON file's values for ``datavalues.apply_values``: iterating gives
    ``ValueRow`` objects (``Resolver.rows``); ``check_into(checker)`` resolves and checks
    them in one pass instead (``Resolver.check_into``, the fast lane)."""

    def __init__(self, resolver: Resolver, raw_rows: Iterable[tuple], header: dict):
        self.resolver = resolver
        self.raw_rows = raw_rows
        self.header = header

    def __iter__(self) -> Iterator[datavalues.ValueRow]:
        return self.resolver.rows(self.raw_rows, self.header)

    def check_into(self, checker) -> None:
        self.resolver.check_into(checker, self.raw_rows, self.header)


def _describe(attributes: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in attributes.items())


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------


def _read(data) -> bytes | str:
    if isinstance(data, bytes | bytearray | memoryview | str):
        return data
    if hasattr(data, "chunks"):
        return b"".join(data.chunks())
    return data.read()


def import_file(
    user,
    data,
    fmt: str | None = None,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    strategy: str | None = None,
    dry_run: bool = False,
    atomic: bool = True,
    id_schemes=None,
    first_row_is_header: bool | None = None,
    stored_by: str | None = None,
) -> datavalues.ImportSummary:
    """Import a data value set file (bytes, text or a file object) in JSON, CSV or ADX
    (``fmt``; detected from ``filename``/``content_type``/the content when None).

    ``id_schemes``: an IdSchemes, a scheme name ("CODE"), or DHIS2's parameters as a dict
    (``{"idScheme": "CODE", "orgUnitIdScheme": "UID"}``). Schemes written in the file win.
    Raises PermissionDenied when the user's role may not import, ImportOptionsError for a bad
    strategy, id scheme or format; everything wrong inside the file is a conflict.
    """
    if not can(user, DataValue, "import"):
        raise PermissionDenied(_("Your role does not allow this action."))
    try:
        strategy = datavalues.normalize_strategy(strategy)
    except ValueError as exc:
        raise ImportOptionsError(str(exc)) from exc
    schemes = _coerce_schemes(id_schemes)
    raw = _read(data)
    if fmt is None:
        sample = raw[:512].encode() if isinstance(raw, str) else bytes(raw[:512])
        fmt = detect_format(sample, filename, content_type)
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ImportOptionsError(
            _("Unknown format “%(format)s”: use json, csv or adx.") % {"format": fmt}
        )
    summary = datavalues.ImportSummary(strategy=strategy, dry_run=dry_run, atomic=atomic)
    with _collector_paused():
        return _import(
            user,
            raw,
            fmt,
            summary,
            schemes,
            strategy,
            dry_run,
            atomic,
            first_row_is_header,
            stored_by,
        )


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while a file is imported. A big file makes
    millions of tuples, lists and dicts that live until the values are written; the collector
    would walk them again and again as they pile up (a third of the Python time of a
    1,000,000-value file). They hold no reference cycles: reference counting frees them.
    The collector runs again afterwards (unless it was off already)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import(
    user, raw, fmt, summary, schemes, strategy, dry_run, atomic, first_row_is_header, stored_by
):
    """``import_file`` once its options are checked: read, resolve, check, write."""
    parsed = parse(raw, fmt, summary, first_row_is_header=first_row_is_header)
    if parsed.id_schemes is not None:
        schemes = schemes.overridden_by(parsed.id_schemes)
    header = parsed.header
    if header.get("importStrategy"):
        try:
            strategy = datavalues.normalize_strategy(header["importStrategy"])
        except ValueError as exc:
            summary.add_conflict(None, object="importStrategy", message=str(exc))
            summary.aborted = True
    if header.get("dryRun"):
        dry_run = True
    summary.id_schemes = schemes.as_options()
    resolver = Resolver(schemes, summary, fmt=fmt)
    if fmt == ADX:
        rows = resolver.rows(parsed.values, header)
    else:
        rows = _FileRows(resolver, parsed.values, header)
    summary = datavalues.apply_values(
        user,
        rows,
        strategy=strategy,
        dry_run=dry_run,
        atomic=atomic,
        stored_by=stored_by,
        action="import",
        summary=summary,
    )
    if header.get("completeDate") and summary.ok and not dry_run:
        _register_complete(user, resolver, header, summary)
    return summary


def _register_complete(user, resolver: Resolver, header: dict, summary):
    """A file naming its data set, period and org unit with a ``completeDate`` marks that
    form complete, as DHIS2 does."""
    text = str(header["completeDate"]).strip().lower()
    if text in ("", "false"):
        return
    if text == "true":
        day = timezone.localdate()
    else:
        try:
            day = datetime.date.fromisoformat(text[:10])
        except ValueError:
            return
    ds = resolver.data_sets.get(header.get("dataSet"))
    ou = resolver.org_units.get(header.get("orgUnit"))
    pe = resolver.period(header.get("period"))
    if ds in (None, AMBIGUOUS) or ou in (None, AMBIGUOUS) or pe is None:
        return
    prefix = user_scope_path(user)
    if prefix is None or not ou.path.startswith(prefix):
        return
    aoc = resolver.aocs.get(header.get("attributeOptionCombo")) or resolver.cocs.get(
        datavalues.DEFAULT_OPTION_COMBO_UID
    )
    if aoc in (None, AMBIGUOUS):
        from doha.aggregate.services import default_option_combo

        aoc = default_option_combo()
    moment = timezone.make_aware(
        datetime.datetime.combine(min(day, timezone.localdate()), datetime.time())
    )
    CompleteRegistration.objects.update_or_create(
        data_set=ds,
        period=pe.id,
        org_unit=ou,
        attribute_option_combo=aoc,
        defaults={
            "completed": True,
            "date": moment,
            "stored_by": user.get_username(),
            "last_updated_by": user.get_username(),
        },
    )
    summary.data_set_complete = day.isoformat()


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------


class ExportError(ValueError):
    """A query that cannot be answered; ``code`` is DHIS2's error code."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


@dataclass
class ExportQuery:
    data_sets: list
    org_units: list
    children: bool = False
    periods: list | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    include_deleted: bool = False
    last_updated: datetime.datetime | None = None
    limit: int | None = None
    attribute_option_combos: list | None = None


def export_values(user, query: ExportQuery):
    """The stored values a query asks for, within the user's scope (restrict "export");
    ExportError (with DHIS2's code) for a query DHIS2 would refuse."""
    if not query.data_sets:
        raise ExportError(_("At least one data set must be specified"), "E2013")
    if not query.periods and not (query.start_date and query.end_date) and not query.last_updated:
        raise ExportError(
            _(
                "At least one period, start/end dates, last updated or last updated duration "
                "must be specified"
            ),
            "E2002",
        )
    if query.periods and (query.start_date or query.end_date):
        raise ExportError(_("Both periods and start/end date cannot be specified"), "E2003")
    if query.start_date and query.end_date and query.start_date > query.end_date:
        raise ExportError(_("Start date must be before end date"), "E2004")
    if not query.org_units:
        raise ExportError(
            _("At least one organisation unit or organisation unit group must be specified"),
            "E2006",
        )
    if query.limit is not None and query.limit < 0:
        raise ExportError(
            _("Limit cannot be less than zero: `%(limit)s`") % {"limit": query.limit}, "E2009"
        )
    prefix = user_scope_path(user)
    for ou in query.org_units:
        if prefix is None or not ou.path.startswith(prefix):
            raise ExportError(
                _("User is not allowed to view org unit: `%(ou)s`") % {"ou": ou.uid}, "E2012"
            )
    qs = DataValue.objects.restrict(user, "export").filter(
        data_element_id__in=DataSetElement.objects.filter(data_set__in=query.data_sets).values(
            "data_element_id"
        )
    )
    if query.children:
        condition = Q()
        for ou in query.org_units:
            condition |= Q(org_unit__path__startswith=ou.path)
        qs = qs.filter(condition)
    else:
        qs = qs.filter(org_unit__in=query.org_units)
    if query.periods:
        qs = qs.filter(period__in=[p.id for p in query.periods])
    if query.start_date:
        qs = qs.filter(start_date__gte=query.start_date)
    if query.end_date:
        qs = qs.filter(end_date__lte=query.end_date)
    if not query.include_deleted:
        qs = qs.filter(deleted=False)
    if query.last_updated:
        qs = qs.filter(last_updated__gte=query.last_updated)
    if query.attribute_option_combos:
        qs = qs.filter(attribute_option_combo__in=query.attribute_option_combos)
    qs = qs.order_by(
        "org_unit_id",
        "start_date",
        "period",
        "attribute_option_combo_id",
        "data_element_id",
        "category_option_combo_id",
    )
    if query.limit:
        qs = qs[: query.limit]
    return qs


_EXPORT_FIELDS = (
    "data_element_id",
    "period",
    "org_unit_id",
    "category_option_combo_id",
    "attribute_option_combo_id",
    "value",
    "stored_by",
    "created",
    "last_updated",
    "comment",
    "follow_up",
    "deleted",
    "period_type",
    "start_date",
)


def _timestamp(moment) -> str:
    if moment is None:
        return ""
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


class _Names:
    """Identifiers of the objects an export names, by the export's id schemes."""

    def __init__(self, schemes: IdSchemes, default: str, query: ExportQuery):
        self.de_scheme = schemes.get("data_element", default)
        self.ou_scheme = schemes.get("org_unit", default)
        self.coc_scheme = schemes.get("category_option_combo", default)
        self.aoc_scheme = schemes.get("attribute_option_combo", default)
        self.ds_scheme = schemes.get("data_set", default)
        self.category_scheme = schemes.get("category", default)
        self.option_scheme = schemes.get("category_option", default)
        elements = list(DataElement.objects.only("id", "uid", "code", "name", "value_type"))
        self.de = {d.pk: _identifier(d, self.de_scheme) for d in elements}
        self.numeric = {d.pk for d in elements if d.value_type in ValueType.numeric()}
        cocs = list(CategoryOptionCombo.objects.only("id", "uid", "code", "name", "category_combo"))
        self.coc = {c.pk: _identifier(c, self.coc_scheme) for c in cocs}
        self.aoc = {c.pk: _identifier(c, self.aoc_scheme) for c in cocs}
        self.default_coc = {c.pk for c in cocs if c.is_default}
        units = OrgUnit.objects.none()
        condition = Q()
        for ou in query.org_units:
            condition |= Q(path__startswith=ou.path) if query.children else Q(pk=ou.pk)
        if query.org_units:
            units = OrgUnit.objects.filter(condition).only("id", "uid", "code", "name")
        self.ou = {u.pk: _identifier(u, self.ou_scheme) for u in units}
        self._exploded = None

    def exploded(self, coc_id) -> dict[str, str]:
        """ADX: an option combo as {category identifier: option identifier}."""
        if self._exploded is None:
            categories = {c.pk: c for c in Category.objects.all()}
            options = {o.pk: o for o in CategoryOption.objects.all()}
            option_category = {
                (m.option_id, m.category_id) for m in CategoryMembership.objects.all()
            }
            combo_categories: dict[int, list[int]] = {}
            for m in CategoryComboMembership.objects.order_by("combo_id", "sort_order"):
                combo_categories.setdefault(m.combo_id, []).append(m.category_id)
            through = CategoryOptionCombo.options.through
            coc_options: dict[int, list[int]] = {}
            for c, o in through.objects.values_list("categoryoptioncombo_id", "categoryoption_id"):
                coc_options.setdefault(c, []).append(o)
            combo_of = dict(CategoryOptionCombo.objects.values_list("id", "category_combo_id"))
            self._exploded = {}
            for coc, opts in coc_options.items():
                attrs = {}
                for category_id in combo_categories.get(combo_of.get(coc), []):
                    category = categories[category_id]
                    for option_id in opts:
                        if (option_id, category_id) in option_category:
                            attrs[_xml_name(category, self.category_scheme)] = _identifier(
                                options[option_id], self.option_scheme
                            )
                self._exploded[coc] = attrs
        if coc_id in self.default_coc:
            return {}
        return self._exploded.get(coc_id, {})


_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")


def _xml_name(obj, scheme) -> str:
    name = _identifier(obj, scheme)
    return name if _XML_NAME.match(name or "") else obj.uid


def render(
    values,
    fmt: str,
    query: ExportQuery,
    id_schemes=None,
) -> Iterator[str]:
    """The values of ``export_values`` as a JSON, CSV or ADX document, in chunks."""
    schemes = _coerce_schemes(id_schemes)
    default = CODE if fmt == ADX else UID
    names = _Names(schemes, default, query)
    rows = values.values_list(*_EXPORT_FIELDS).iterator(chunk_size=5000)
    if fmt == JSON:
        return _render_json(rows, names, query)
    if fmt == CSV:
        return _render_csv(rows, names)
    if fmt == ADX:
        return _render_adx(rows, names, query)
    raise ImportOptionsError(
        _("Unknown format “%(format)s”: use json, csv or adx.") % {"format": fmt}
    )


def _ou_name(names: _Names, ou_id) -> str:
    found = names.ou.get(ou_id)
    if found is None:
        unit = OrgUnit.objects.only("id", "uid", "code", "name").get(pk=ou_id)
        found = names.ou[ou_id] = _identifier(unit, names.ou_scheme)
    return found


def _render_json(rows, names: _Names, query: ExportQuery) -> Iterator[str]:
    head = {}
    if len(query.data_sets) == 1:
        head["dataSet"] = _identifier(query.data_sets[0], names.ds_scheme)
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    yield opening + (", " if head else "") + '"dataValues": ['
    buffer = []
    first = True
    for r in rows:
        item = {
            "dataElement": names.de[r[0]],
            "period": r[1],
            "orgUnit": _ou_name(names, r[2]),
            "categoryOptionCombo": names.coc[r[3]],
            "attributeOptionCombo": names.aoc[r[4]],
            "value": r[5],
            "storedBy": r[6],
            "created": _timestamp(r[7]),
            "lastUpdated": _timestamp(r[8]),
            "comment": r[9],
            "followup": r[10],
        }
        if query.include_deleted:
            item["deleted"] = r[11]
        buffer.append(("" if first else ",") + json.dumps(item, ensure_ascii=False))
        first = False
        if len(buffer) >= 2000:
            yield "".join(buffer)
            buffer = []
    buffer.append("]}")
    yield "".join(buffer)


def _render_csv(rows, names: _Names) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for r in rows:
        # A comment or text value such as "=HYPERLINK(...)" must not run as a formula when
        # the file is opened in Excel: it gets a leading apostrophe (numbers are left alone).
        writer.writerow(
            csv_safe(cell)
            for cell in (
                names.de[r[0]],
                r[1],
                _ou_name(names, r[2]),
                names.coc[r[3]],
                names.aoc[r[4]],
                r[5],
                r[6],
                _timestamp(r[8]),
                r[9],
                "true" if r[10] else "false",
                "true" if r[11] else "false",
            )
        )
        count += 1
        if count % 2000 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _render_adx(rows, names: _Names, query: ExportQuery) -> Iterator[str]:
    # Each value goes in the group of the first requested data set holding its element.
    ds_of: dict[int, DataSet] = {}
    for ds in query.data_sets:
        for de_id in DataSetElement.objects.filter(data_set=ds).values_list(
            "data_element_id", flat=True
        ):
            ds_of.setdefault(de_id, ds)
    exported = timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<adx xmlns="{ADX_NAMESPACE}" exported="{exported}">\n'
    )
    block_key, block = None, []
    for r in rows:
        key = (r[2], r[1], r[4])
        if key != block_key and block:
            yield _adx_block(block, ds_of, names)
            block = []
        block_key = key
        block.append(r)
    if block:
        yield _adx_block(block, ds_of, names)
    yield "</adx>\n"


def _adx_block(block, ds_of, names: _Names) -> str:
    by_ds: dict[int, list] = {}
    data_sets = {}
    for r in block:
        ds = ds_of.get(r[0])
        if ds is None:
            continue
        data_sets[ds.pk] = ds
        by_ds.setdefault(ds.pk, []).append(r)
    parts = []
    for ds_id, values in by_ds.items():
        ds = data_sets[ds_id]
        first = values[0]
        period = parse_period(first[1])
        attrs = {
            "orgUnit": _ou_name(names, first[2]),
            "period": adx_period(period),
            "dataSet": _identifier(ds, names.ds_scheme),
        }
        attrs.update(names.exploded(first[4]))
        parts.append(
            "  <group " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + ">\n"
        )
        for r in values:
            vattrs = {"dataElement": names.de[r[0]]}
            vattrs.update(names.exploded(r[3]))
            numeric = r[0] in names.numeric
            vattrs["value"] = r[5] if numeric else "0"
            opening = "    <dataValue " + " ".join(f"{k}={quoteattr(v)}" for k, v in vattrs.items())
            if numeric:
                parts.append(opening + "/>\n")
            else:
                parts.append(
                    opening + "><annotation>" + escape(r[5]) + "</annotation></dataValue>\n"
                )
        parts.append("  </group>\n")
    return "".join(parts)
