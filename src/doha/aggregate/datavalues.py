"""The one write path of data values.

File imports, the DHIS2 API (``/api/dataValueSets``, ``/api/dataValues``) and the data-entry
form all hand their values to ``apply_values`` as ``ValueRow`` objects. It checks every value
the way DHIS2 does (value type, disaggregation, attribute combo, the user's org-unit scope, the
data sets the facility reports, the period type, zero significance), then writes them in bulk
with one audit row per change, and answers with DHIS2's import summary (``ImportSummary``).

Semantics follow DHIS2 2.40 (``DefaultDataValueSetService``):

- CREATE_AND_UPDATE creates missing values and updates existing ones; CREATE ignores existing
  values; UPDATE ignores missing ones; DELETE soft-deletes (``deleted=True``) existing values.
- An empty value, a row flagged ``deleted`` or an insignificant zero deletes an existing value
  and is ignored when there is none. A value equal to the stored one is ignored, so importing
  the same file twice changes nothing and the second summary says so (all values ignored).
- By default an import is all or nothing: any conflict and nothing is written (status ERROR).
  ``atomic=False`` is DHIS2's partial import: valid values are written, conflicts are listed
  and the status is WARNING.

Speed: identifiers are resolved once per object (dicts), values are checked in Python and
written set-wise. A CSV or JSON file takes a fast lane (``formats.Resolver.check_into`` with
``_Checker.unit_context``/``cell_context``/``cell_allows``): what does not depend on a value's
text is decided once per org unit and once per data element, period and option combos, so a
value costs a few dict look-ups; anything it is not sure of goes through ``check``. On
PostgreSQL the values go through a binary ``COPY`` into a temporary table, then
one ``INSERT ... ON CONFLICT DO NOTHING`` creates the new ones (with their audit rows in the
same statement), in the unique key's order. When some values already exist (the first
thousand values of the file are looked up to tell), the table is joined with the stored values
first to classify creates, updates, deletes and unchanged values, and only the rows that change
are written, again set-wise: a re-import of the same file reads the stored values once and
writes nothing. A big CSV or JSON file of new values, imported outside a transaction, is
instead written while it is read (``streaming``: a ``COPY`` straight into the value table on
a second connection, committed once the whole file is checked), which steps aside for the
set-wise path whenever it meets a value that is not a plain creation.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.aggregate import streaming
from doha.aggregate.models import (
    DEFAULT_OPTION_COMBO_UID,
    AuditType,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataSetElement,
    DataValue,
    DataValueAudit,
    ValueType,
)
from doha.aggregate.periods import Period
from doha.aggregate.signals import values_changed
from doha.core.scope import can, user_scope_path

CREATE_AND_UPDATE = "CREATE_AND_UPDATE"
CREATE = "CREATE"
UPDATE = "UPDATE"
DELETE = "DELETE"
STRATEGIES = (CREATE_AND_UPDATE, CREATE, UPDATE, DELETE)
# DHIS2's older names, still accepted by its API.
_STRATEGY_ALIASES = {
    "NEW_AND_UPDATES": CREATE_AND_UPDATE,
    "NEW": CREATE,
    "UPDATES": UPDATE,
    "DELETES": DELETE,
}

MAX_TEXT_LENGTH = 50000
MAX_COMMENT_LENGTH = 5000
MAX_STORED_BY_LENGTH = 150
# Distinct conflicts kept in a summary; further ones are counted, not listed.
MAX_CONFLICTS = 1000

# What a conflict says, by DHIS2 error code (the English text is DHIS2's own).
MESSAGES = {
    "E7600": gettext_lazy("Data set not found or not accessible: `%(object)s`"),
    "E7603": gettext_lazy("Org unit not found or not accessible: `%(object)s`"),
    "E7604": gettext_lazy("Attribute option combo not found or not accessible: `%(object)s`"),
    "E7610": gettext_lazy("Data element not found or not accessible: `%(object)s`"),
    "E7611": gettext_lazy("Period not valid: `%(object)s`"),
    "E7612": gettext_lazy("Organisation unit not found or not accessible: `%(object)s`"),
    "E7613": gettext_lazy(
        "Category option combo not found or not accessible for writing data: `%(object)s`"
    ),
    "E7615": gettext_lazy(
        "Attribute option combo not found or not accessible for writing data: `%(object)s`"
    ),
    "E7617": gettext_lazy(
        "Organisation unit: `%(object)s` not in hierarchy of current user: `%(user)s`"
    ),
    "E7618": gettext_lazy("Data value or comment not specified for data element: `%(object)s`"),
    "E7619": gettext_lazy(
        "Value must match data element's `%(object)s` type constraints: %(reason)s"
    ),
    "E7620": gettext_lazy("Invalid comment: %(reason)s"),
    "E7630": gettext_lazy("Category option combo is required but is not specified"),
    "E7631": gettext_lazy("Attribute option combo is required but is not specified"),
    "E7632": gettext_lazy(
        "Period type of period: `%(object)s` not valid for data element: `%(data_element)s`"
    ),
    "E7633": gettext_lazy("Data element: `%(object)s` is not part of dataset: `%(data_set)s`"),
    "E7634": gettext_lazy(
        "Category option combo: `%(object)s` must be part of category combo of data element: "
        "`%(data_element)s`"
    ),
    "E7635": gettext_lazy(
        "Attribute option combo: `%(object)s` must be part of category combo of data sets of "
        "data element: `%(data_element)s`"
    ),
    "E7636": gettext_lazy(
        "Data element: `%(data_element)s` must be assigned through data sets to organisation "
        "unit: `%(object)s`"
    ),
    "E7637": gettext_lazy("Invalid storedBy: %(reason)s"),
}

# Which property of a value each code is about (DHIS2's ``property`` of a conflict).
PROPERTIES = {
    "E7600": "dataSet",
    "E7603": "orgUnit",
    "E7604": "attributeOptionCombo",
    "E7610": "dataElement",
    "E7611": "period",
    "E7612": "orgUnit",
    "E7613": "categoryOptionCombo",
    "E7615": "attributeOptionCombo",
    "E7617": "orgUnit",
    "E7618": "value",
    "E7619": "value",
    "E7620": "comment",
    "E7630": "categoryOptionCombo",
    "E7631": "attributeOptionCombo",
    "E7633": "dataElement",
    "E7634": "categoryOptionCombo",
    "E7635": "attributeOptionCombo",
    "E7636": "orgUnit",
    "E7637": "storedBy",
}


def normalize_strategy(value) -> str:
    """CREATE_AND_UPDATE, CREATE, UPDATE or DELETE (DHIS2's older names accepted);
    ValueError naming the allowed values otherwise."""
    text = (value or CREATE_AND_UPDATE).strip().upper()
    text = _STRATEGY_ALIASES.get(text, text)
    if text not in STRATEGIES:
        raise ValueError(
            _("Unknown import strategy “%(value)s”: use %(allowed)s.")
            % {"value": value, "allowed": ", ".join(STRATEGIES)}
        )
    return text


# ---------------------------------------------------------------------------------------------
# The import summary
# ---------------------------------------------------------------------------------------------


@dataclass
class Conflict:
    """One reason values were refused, with every row it refused (DHIS2's ImportConflict)."""

    object: str
    value: str
    error_code: str | None = None
    property: str | None = None
    objects: dict[str, str] = field(default_factory=dict)
    indexes: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = {"object": self.object}
        if self.objects:
            data["objects"] = dict(self.objects)
        data["value"] = self.value
        if self.error_code:
            data["errorCode"] = self.error_code
        if self.property:
            data["property"] = self.property
        if self.indexes:
            data["indexes"] = list(self.indexes)
        return data

    def rows(self) -> str:
        """The rows of the file it refused, counted from 1, for people to read (a method:
        ``property`` is a field name here)."""
        shown = [str(i + 1) for i in self.indexes[:20]]
        if len(self.indexes) > 20:
            shown.append("…")
        return ", ".join(shown)


class ImportSummary:
    """DHIS2's import summary: status, counts, conflicts; rendered exactly as DHIS2 2.40 does
    (``as_dict`` is the summary, ``as_web_message`` the envelope of 2.38 and later)."""

    def __init__(
        self,
        *,
        strategy: str = CREATE_AND_UPDATE,
        dry_run: bool = False,
        atomic: bool = True,
        id_schemes: dict | None = None,
    ):
        self.status = "SUCCESS"
        self.description = ""
        self.imported = 0
        self.updated = 0
        self.ignored = 0
        self.deleted = 0
        self.total = 0
        self.strategy = strategy
        self.dry_run = dry_run
        self.atomic = atomic
        self.id_schemes = dict(id_schemes or {})
        self.data_set_complete = "false"
        self.rejected_indexes: list[int] = []
        self.total_conflicts = 0
        self.unlisted_conflicts = 0
        self.aborted = False
        self._conflicts: dict[tuple, Conflict] = {}

    # -- conflicts ------------------------------------------------------------------------------

    def add_conflict(
        self,
        code: str | None,
        objects: dict[str, str] | None = None,
        *,
        index: int | None = None,
        message: str | None = None,
        object: str | None = None,
        property: str | None = None,
        **params,
    ) -> Conflict | None:
        """Record a conflict; the same reason for the same objects is one conflict listing
        every row (``indexes``), as DHIS2 groups them."""
        objects = {k: ("" if v is None else str(v)) for k, v in (objects or {}).items()}
        if object is None:
            object = next(iter(objects.values()), "")
        key = (code, object, tuple(objects.values())) if code else (None, object, message)
        self.total_conflicts += 1
        if index is not None:
            self.rejected_indexes.append(index)
        conflict = self._conflicts.get(key)
        if conflict is None:
            if len(self._conflicts) >= MAX_CONFLICTS:
                self.unlisted_conflicts += 1
                return None
            if message is None:
                message = str(MESSAGES[code]) % {"object": object, **params}
            conflict = Conflict(
                object=object,
                value=message,
                error_code=code,
                property=property or PROPERTIES.get(code),
                objects=objects,
            )
            self._conflicts[key] = conflict
        if index is not None:
            conflict.indexes.append(index)
        return conflict

    def reject(self, code, objects=None, *, index=None, **kwargs):
        """A value refused: a conflict, and the value counts as ignored."""
        self.ignored += 1
        return self.add_conflict(code, objects, index=index, **kwargs)

    @property
    def conflicts(self) -> list[Conflict]:
        return list(self._conflicts.values())

    @property
    def has_conflicts(self) -> bool:
        return self.total_conflicts > 0

    # -- outcome --------------------------------------------------------------------------------

    @property
    def changed(self) -> int:
        return self.imported + self.updated + self.deleted

    @property
    def nothing_changed(self) -> bool:
        """True when the import left the stored values as they were (e.g. the same file
        imported again)."""
        return self.changed == 0

    @property
    def ok(self) -> bool:
        return self.status != "ERROR"

    def finish(self):
        if self.aborted or (self.has_conflicts and self.atomic):
            self.status = "ERROR"
            self.description = _(
                "Import process was aborted: no value was saved because at least one value "
                "was refused."
            )
        else:
            self.status = "WARNING" if self.has_conflicts else "SUCCESS"
            self.description = _("Import process completed successfully")
        if self.unlisted_conflicts:
            self.description += " " + _("%(count)s further conflicts are not listed.") % {
                "count": self.unlisted_conflicts
            }
        return self

    def abort(self):
        """Nothing was written: every value read counts as ignored."""
        self.aborted = True
        self.imported = self.updated = self.deleted = 0
        self.ignored = self.total
        return self.finish()

    # -- rendering ------------------------------------------------------------------------------

    def import_options(self) -> dict:
        """DHIS2's ``importOptions`` block, telling what this import did."""
        return {
            "idSchemes": {
                name: {"type": scheme} for name, scheme in self.id_schemes.items() if scheme
            },
            "dryRun": self.dry_run,
            "preheatCache": True,
            "async": False,
            "importStrategy": self.strategy,
            "mergeMode": "REPLACE",
            "reportMode": "FULL",
            "skipExistingCheck": False,
            "sharing": False,
            "skipNotifications": False,
            "skipAudit": False,
            "datasetAllowsPeriods": False,
            "strictPeriods": True,
            "strictDataElements": False,
            "strictCategoryOptionCombos": True,
            "strictAttributeOptionCombos": True,
            "strictOrganisationUnits": True,
            "strictDataSetApproval": False,
            "strictDataSetLocking": False,
            "strictDataSetInputPeriods": False,
            "requireCategoryOptionCombo": True,
            "requireAttributeOptionCombo": False,
            "skipPatternValidation": False,
            "ignoreEmptyCollection": False,
            "force": False,
            "firstRowIsHeader": True,
            "skipLastUpdated": False,
            "mergeDataValues": False,
            "skipCache": False,
            # Not DHIS2's: ALL when any conflict stops the whole import (doha's default).
            "atomicMode": "ALL" if self.atomic else "NONE",
        }

    def as_dict(self) -> dict:
        return {
            "responseType": "ImportSummary",
            "status": self.status,
            "importOptions": self.import_options(),
            "description": self.description,
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": [c.as_dict() for c in self._conflicts.values()],
            "rejectedIndexes": sorted(set(self.rejected_indexes)),
            "dataSetComplete": self.data_set_complete,
        }

    @property
    def http_status(self) -> int:
        """200 when every value was taken; 409 Conflict otherwise, as DHIS2 2.38+ answers
        (WARNING included)."""
        return 200 if self.status == "SUCCESS" else 409

    def as_web_message(self) -> dict:
        if self.status == "ERROR":
            envelope = ("Conflict", 409, "ERROR", "An error occurred, please check import summary.")
        elif self.status == "WARNING":
            envelope = (
                "Conflict",
                409,
                "WARNING",
                "One more conflicts encountered, please check import summary.",
            )
        else:
            envelope = ("OK", 200, "OK", "Import was successful.")
        return {
            "httpStatus": envelope[0],
            "httpStatusCode": envelope[1],
            "status": envelope[2],
            "message": envelope[3],
            "response": self.as_dict(),
        }


# ---------------------------------------------------------------------------------------------
# Values and their checks
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ValueRow:
    """One value to write: what it is (data element, period, org unit, option combos) and
    the value itself. ``value=None`` with a comment changes only the comment; an empty value
    or ``deleted=True`` deletes. ``comment``/``follow_up`` of None keep the stored ones.
    ``data_set`` is the data set the value is entered through, when known (a form, or a
    file's header): its period type, facilities and disaggregation are then the ones checked.
    ``index`` is the row's position in its file, for conflicts."""

    data_element: DataElement | None
    period: Period | None
    org_unit: object | None
    category_option_combo: CategoryOptionCombo | None = None
    attribute_option_combo: CategoryOptionCombo | None = None
    value: str | None = None
    comment: str | None = None
    follow_up: bool | None = None
    deleted: bool = False
    data_set: DataSet | None = None
    stored_by: str | None = None
    index: int | None = None


class InvalidValue(ValueError):
    """A value that does not fit its data element's type; the message says why."""


_ASCII_DIGITS = re.compile(r"\d+\Z", re.ASCII)
_DECIMAL = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z", re.ASCII)
_GROUPS = {
    ".": re.compile(r"\d{1,3}(\.\d{3})+\Z", re.ASCII),
    ",": re.compile(r"\d{1,3}(,\d{3})+\Z", re.ASCII),
}
_SPACES = re.compile(r"[\s\u00a0\u202f']+")


def parse_number(text: str, *, integer: bool = False) -> int | Decimal:
    """A number written the DHIS2 way ("1234.5") or the Vietnamese way ("1.234", "1.234,5",
    "12,5"); InvalidValue with the reason otherwise.

    A comma alone is a decimal comma; dots alone group thousands when there are several, or
    for an integer type when the groups have three digits ("1.234" = 1234). A single dot in a
    non-integer value is a decimal point, as DHIS2 and doha's own exports write it. When both
    appear, the last one is the decimal separator ("1.234,5" and "1,234.5" are 1234.5).
    """
    s = _SPACES.sub("", text)
    sign = ""
    if s[:1] in ("+", "-"):
        sign, s = ("-" if s[0] == "-" else ""), s[1:]
    if _ASCII_DIGITS.match(s):
        if len(s.lstrip("0")) > 15:  # the same bound as below: 1e15 and more is too large
            raise InvalidValue(_("“%(value)s” is too large.") % {"value": text})
        return int(sign + s)
    has_dot, has_comma = "." in s, "," in s
    if has_dot and has_comma:
        decimal = "." if s.rfind(".") > s.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        whole, _sep, fraction = s.rpartition(decimal)
        if not _GROUPS[thousands].match(whole) or not _ASCII_DIGITS.match(fraction):
            raise InvalidValue(_("“%(value)s” is not a number.") % {"value": text})
        s = whole.replace(thousands, "") + "." + fraction
    elif has_comma:
        if s.count(",") == 1:
            s = s.replace(",", ".")
        elif _GROUPS[","].match(s):
            s = s.replace(",", "")
        else:
            raise InvalidValue(_("“%(value)s” is not a number.") % {"value": text})
    elif has_dot and (s.count(".") > 1 or integer):
        if _GROUPS["."].match(s):
            s = s.replace(".", "")
        elif s.count(".") > 1:
            raise InvalidValue(_("“%(value)s” is not a number.") % {"value": text})
    if not _DECIMAL.match(s):
        raise InvalidValue(_("“%(value)s” is not a number.") % {"value": text})
    try:
        number = Decimal(sign + s)
    except InvalidOperation as exc:
        raise InvalidValue(_("“%(value)s” is not a number.") % {"value": text}) from exc
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise InvalidValue(_("“%(value)s” is too large.") % {"value": text})
    if number == number.to_integral_value():
        return int(number)
    return number


_INTEGER_TYPES = frozenset(
    {
        ValueType.INTEGER,
        ValueType.INTEGER_POSITIVE,
        ValueType.INTEGER_ZERO_OR_POSITIVE,
        ValueType.INTEGER_NEGATIVE,
    }
)
NUMERIC = frozenset(ValueType.numeric())
_TRUE = {"true", "t", "1", "yes", "y", "có", "co", "đúng", "dung", "x"}
_FALSE = {"false", "f", "0", "no", "n", "không", "khong", "sai"}


def clean_value(value_type: str, text: str) -> tuple[str, float | None]:
    """The stored text and the number (for numeric and yes/no types) of a non-empty value;
    InvalidValue with the reason when it does not fit ``value_type``."""
    if value_type in NUMERIC:
        integer = value_type in _INTEGER_TYPES
        if text.isdigit() and text.isascii() and len(text) <= 15:
            number = int(text)  # the common case, without the parser
        else:
            number = parse_number(text, integer=integer)
        if integer:
            if not isinstance(number, int):
                raise InvalidValue(_("“%(value)s” is not a whole number.") % {"value": text})
            if value_type == ValueType.INTEGER_POSITIVE and number <= 0:
                raise InvalidValue(_("%(value)s is not a positive number.") % {"value": number})
            if value_type == ValueType.INTEGER_ZERO_OR_POSITIVE and number < 0:
                raise InvalidValue(_("%(value)s is negative.") % {"value": number})
            if value_type == ValueType.INTEGER_NEGATIVE and number >= 0:
                raise InvalidValue(_("%(value)s is not a negative number.") % {"value": number})
        elif value_type == ValueType.PERCENTAGE and not 0 <= number <= 100:
            raise InvalidValue(
                _("A percentage is between 0 and 100, not %(value)s.") % {"value": text}
            )
        elif value_type == ValueType.UNIT_INTERVAL and not 0 <= number <= 1:
            raise InvalidValue(
                _("The value must be between 0 and 1, not %(value)s.") % {"value": text}
            )
        if isinstance(number, int):
            return str(number), float(number)
        return format(number.normalize(), "f"), float(number)
    if value_type in (ValueType.BOOLEAN, ValueType.TRUE_ONLY):
        folded = text.strip().lower()
        if folded in _TRUE:
            return "true", 1.0
        if folded in _FALSE and value_type == ValueType.BOOLEAN:
            return "false", 0.0
        if folded in _FALSE:
            raise InvalidValue(_("Only “true” can be stored here; leave the value empty instead."))
        raise InvalidValue(
            _("“%(value)s” is not yes or no (true/false, có/không).") % {"value": text}
        )
    if value_type == ValueType.DATE:
        return _clean_date(text), None
    cleaned = unicodedata.normalize("NFC", text.strip())
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise InvalidValue(
            _("The text has %(length)s characters; at most %(max)s are allowed.")
            % {"length": len(cleaned), "max": MAX_TEXT_LENGTH}
        )
    return cleaned, None


# For each numeric type, the whole numbers that ``clean_value`` takes as written when the text
# is plain ASCII digits (at most 15): (lowest, highest). INTEGER_NEGATIVE takes none of them.
# The fast lane of file imports (``formats.Resolver.check_into``) cleans such values without
# calling ``clean_value``: same text, same number.
_DIGITS_BOUNDS = {
    ValueType.NUMBER: (0, float("inf")),
    ValueType.INTEGER: (0, float("inf")),
    ValueType.INTEGER_POSITIVE: (1, float("inf")),
    ValueType.INTEGER_ZERO_OR_POSITIVE: (0, float("inf")),
    ValueType.PERCENTAGE: (0, 100),
    ValueType.UNIT_INTERVAL: (0, 1),
}


def _clean_date(text: str) -> str:
    stripped = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(stripped, fmt).date().isoformat()
        except ValueError:
            continue
    raise InvalidValue(
        _("“%(value)s” is not a date (use yyyy-mm-dd or dd/mm/yyyy).") % {"value": text}
    )


class _Metadata:
    """Everything the checks need, loaded with one query per kind of object."""

    def __init__(self):
        self.default_coc = CategoryOptionCombo.objects.filter(uid=DEFAULT_OPTION_COMBO_UID).first()
        if self.default_coc is None:
            from doha.aggregate.services import default_option_combo

            self.default_coc = default_option_combo()
        cocs: dict[int, set[int]] = {}
        for coc_id, combo_id in CategoryOptionCombo.objects.values_list("id", "category_combo_id"):
            cocs.setdefault(combo_id, set()).add(coc_id)
        self.combo_cocs = {k: frozenset(v) for k, v in cocs.items()}
        # (data set, data element) -> effective disaggregation combo
        self.dse_combo: dict[tuple[int, int], int] = {}
        # data element -> [(data set, combo, attribute combo, period type)]
        self.de_sets: dict[int, list[tuple[int, int, int, str]]] = {}
        rows = DataSetElement.objects.values_list(
            "data_set_id",
            "data_element_id",
            "category_combo_id",
            "data_element__category_combo_id",
            "data_set__category_combo_id",
            "data_set__period_type",
        )
        for ds_id, de_id, override, de_combo, attr_combo, period_type in rows:
            combo = override or de_combo
            self.dse_combo[(ds_id, de_id)] = combo
            self.de_sets.setdefault(de_id, []).append((ds_id, combo, attr_combo, period_type))
        # org unit -> the data sets it reports: read unit by unit for a form or a small file,
        # the whole assignment table at once for a big import.
        self._unit_sets: dict[int, frozenset[int]] = {}
        self._unit_misses = 0
        self._all_units_loaded = False

    PRELOAD_AFTER = 50

    def unit_sets(self, ou_id: int) -> frozenset[int]:
        found = self._unit_sets.get(ou_id)
        if found is not None:
            return found
        through = DataSet.org_units.through
        if self._all_units_loaded:
            return frozenset()
        self._unit_misses += 1
        if self._unit_misses > self.PRELOAD_AFTER:
            every: dict[int, set[int]] = {}
            for ds_id, unit in through.objects.values_list("dataset_id", "orgunit_id"):
                every.setdefault(unit, set()).add(ds_id)
            self._unit_sets = {k: frozenset(v) for k, v in every.items()}
            self._all_units_loaded = True
            return self._unit_sets.get(ou_id, frozenset())
        found = frozenset(
            through.objects.filter(orgunit_id=ou_id).values_list("dataset_id", flat=True)
        )
        self._unit_sets[ou_id] = found
        return found


class _Checker:
    """Turns ``ValueRow`` objects into the tuples that are written, or into conflicts.

    The hot path of every import: it reads model ids (``.id``, not the slower ``.pk``),
    caches what repeats (scope per org unit, the data sets of an element and period type,
    periods) and does one dict look-up per check."""

    def __init__(self, user, summary: ImportSummary, strategy: str, stored_by: str | None):
        self.meta = _Metadata()
        self.summary = summary
        self.strategy = strategy
        self.username = user.get_username()
        self.stored_by = (stored_by or self.username)[:MAX_STORED_BY_LENGTH]
        self.prefix = user_scope_path(user)
        self.in_scope: dict[int, bool] = {}
        self.period_cache: dict[str, tuple] = {}
        # (data element, period type, data set or None) -> [(data set, cocs, aocs)] or code
        self.sets_cache: dict[tuple, object] = {}
        # org unit -> the data sets it reports
        self.unit_sets: dict[int, frozenset[int]] = {}
        # key (de, period, ou, coc, aoc) -> the tuple written
        self.prepared: dict[tuple, tuple] = {}
        # While a ``streaming.StreamingWriter`` waits for them: every tuple taken, in order
        # (a list), and the writer's hand-over, called by the fast lane between chunks.
        self.pending: list[tuple] | None = None
        self.flush = None
        # the fast lane's numbers of the distinct sets of reported data sets
        self._reported_numbers: dict[frozenset[int], int] = {}
        self._reported_sets: list[frozenset[int]] = []

    def _sets(self, de, period_type, ds):
        """The data sets a value of ``de`` in a period of ``period_type`` may be entered
        through, with their option combos and attribute option combos; or the conflict
        code when there is none ("E7633" element not in ``ds``, "E7632" wrong period type,
        "E7636" no data set at all)."""
        meta = self.meta
        if ds is not None:
            combo = meta.dse_combo.get((ds.id, de.id))
            if combo is None:
                return "E7633"
            if ds.period_type != period_type:
                return "E7632"
            return [
                (
                    ds.id,
                    meta.combo_cocs.get(combo, frozenset()),
                    meta.combo_cocs.get(ds.category_combo_id, frozenset()),
                )
            ]
        entries = meta.de_sets.get(de.id)
        if not entries:
            return "E7636"
        matching = [
            (
                ds_id,
                meta.combo_cocs.get(combo, frozenset()),
                meta.combo_cocs.get(attr_combo, frozenset()),
            )
            for ds_id, combo, attr_combo, pt in entries
            if pt == period_type
        ]
        return matching or "E7632"

    def check(self, row: ValueRow, index: int):
        s = self.summary
        de, pe, ou = row.data_element, row.period, row.org_unit
        if de is None:
            return s.reject("E7610", {"dataElement": ""}, index=index)
        if pe is None:
            return s.reject("E7611", {"period": ""}, index=index)
        if ou is None:
            return s.reject("E7612", {"organisationUnit": ""}, index=index)
        ou_id = ou.id
        ok = self.in_scope.get(ou_id)
        if ok is None:
            ok = self.prefix is not None and ou.path.startswith(self.prefix)
            self.in_scope[ou_id] = ok
        if not ok:
            return s.reject(
                "E7617",
                {"organisationUnit": ou.uid, "user": self.username},
                index=index,
                user=self.username,
            )

        # The value itself.
        value, numeric, op = None, None, "N"
        if not (row.deleted or self.strategy == DELETE):
            raw = row.value
            if raw is not None and raw.__class__ is not str:
                raw = str(raw)
            if raw is None:
                if row.comment is None and row.follow_up is None:
                    return s.reject("E7618", {"dataElement": de.uid}, index=index)
                op = "C"
            elif raw.strip() != "":
                try:
                    value, numeric = clean_value(de.value_type, raw)
                except InvalidValue as exc:
                    return s.reject("E7619", {"dataElement": de.uid}, index=index, reason=str(exc))
                op = "V"
                if numeric == 0 and not de.zero_is_significant and de.value_type in NUMERIC:
                    # DHIS2 stores no insignificant zero: it deletes a stored value, or is
                    # ignored.
                    op, value, numeric = "N", None, None
        comment = row.comment
        if comment is not None:
            comment = unicodedata.normalize("NFC", str(comment)).strip()
            if len(comment) > MAX_COMMENT_LENGTH:
                return s.reject(
                    "E7620",
                    {"dataElement": de.uid},
                    index=index,
                    reason=_("the comment has more than %(max)s characters")
                    % {"max": MAX_COMMENT_LENGTH},
                )
        stored_by = self.stored_by
        if row.stored_by:
            stored_by = str(row.stored_by).strip()[:MAX_STORED_BY_LENGTH] or stored_by

        # Data sets, period type, disaggregation, attribute combo.
        ds = row.data_set
        sets_key = (de.id, pe.period_type, ds.id if ds is not None else None)
        sets = self.sets_cache.get(sets_key)
        if sets is None:
            sets = self.sets_cache[sets_key] = self._sets(de, pe.period_type, ds)
        if sets.__class__ is str:
            return self._reject_sets(sets, de, pe, ou, ds, index)
        reported = self.unit_sets.get(ou_id)
        if reported is None:
            reported = self.unit_sets[ou_id] = self.meta.unit_sets(ou_id)
        assigned = [e for e in sets if e[0] in reported]
        if not assigned:
            return s.reject(
                "E7636",
                {"organisationUnit": ou.uid, "dataElement": de.uid},
                index=index,
                data_element=de.uid,
            )
        if len(assigned) == 1:
            cocs, aocs = assigned[0][1], assigned[0][2]
        else:
            cocs = frozenset().union(*(e[1] for e in assigned))
            aocs = frozenset().union(*(e[2] for e in assigned))
        coc = row.category_option_combo
        if coc is None:
            coc_id = self.meta.default_coc.id
            if coc_id not in cocs:
                return s.reject("E7630", {"dataElement": de.uid}, index=index)
        else:
            coc_id = coc.id
            if coc_id not in cocs:
                return s.reject(
                    "E7634",
                    {"categoryOptionCombo": coc.uid, "dataElement": de.uid},
                    index=index,
                    data_element=de.uid,
                )
        aoc = row.attribute_option_combo
        if aoc is None:
            aoc_id = self.meta.default_coc.id
            if aoc_id not in aocs:
                return s.reject("E7631", {"dataElement": de.uid}, index=index)
        else:
            aoc_id = aoc.id
            if aoc_id not in aocs:
                return s.reject(
                    "E7635",
                    {"attributeOptionCombo": aoc.uid, "dataElement": de.uid},
                    index=index,
                    data_element=de.uid,
                )

        period = self.period_cache.get(pe.id)
        if period is None:
            period = (pe.id, pe.period_type, pe.start, pe.end)
            self.period_cache[pe.id] = period
        de_id = de.id
        key = (de_id, period[0], ou_id, coc_id, aoc_id)
        if key in self.prepared:
            # The same value twice in one file: the last one is kept, as DHIS2 would end up.
            s.ignored += 1
        taken = self.prepared[key] = (
            de_id,
            period[0],
            period[1],
            period[2],
            period[3],
            ou_id,
            coc_id,
            aoc_id,
            op,
            value,
            numeric,
            comment,
            row.follow_up,
            stored_by,
        )
        if self.pending is not None:
            self.pending.append(taken)
        return None

    # -- the fast lane of file imports ------------------------------------------------------
    #
    # ``formats.Resolver.check_into`` checks most values of a big file without a ``ValueRow``
    # and without ``check``: what does not depend on the value's text is worked out once per
    # org unit (``unit_context``) and once per data element, period, option combos and data
    # set (``cell_context``, ``cell_allows``). A value the fast lane is not sure of goes
    # through ``check``, which then says what is wrong; so the outcome is the same.

    def unit_context(self, ou) -> tuple[int, int] | None:
        """(id, number of the set of data sets it reports) for an org unit in the user's
        scope; None for one outside it."""
        ou_id = ou.id
        ok = self.in_scope.get(ou_id)
        if ok is None:
            ok = self.prefix is not None and ou.path.startswith(self.prefix)
            self.in_scope[ou_id] = ok
        if not ok:
            return None
        reported = self.unit_sets.get(ou_id)
        if reported is None:
            reported = self.unit_sets[ou_id] = self.meta.unit_sets(ou_id)
        numbers = self._reported_numbers
        number = numbers.get(reported)
        if number is None:
            number = numbers[reported] = len(numbers)
            self._reported_sets.append(reported)
        return ou_id, number

    def cell_context(self, de, pe, coc, aoc, ds) -> tuple | None:
        """What ``check`` finds for any value of ``de`` in ``pe`` with these option combos
        (None: the default one) through ``ds`` (or None), whatever its org unit and text:
        ``(de id, period id, period type, start, end, coc id, aoc id, value type, digits
        bounds or None, zero deletes, verdicts by unit context, data sets)``; None when no
        value of it can pass (wrong data set or period type: ``check`` says which)."""
        sets_key = (de.id, pe.period_type, ds.id if ds is not None else None)
        sets = self.sets_cache.get(sets_key)
        if sets is None:
            sets = self.sets_cache[sets_key] = self._sets(de, pe.period_type, ds)
        if sets.__class__ is str:
            return None
        default_id = self.meta.default_coc.id
        value_type = de.value_type
        return (
            de.id,
            pe.id,
            pe.period_type,
            pe.start,
            pe.end,
            default_id if coc is None else coc.id,
            default_id if aoc is None else aoc.id,
            value_type,
            _DIGITS_BOUNDS.get(value_type),
            not de.zero_is_significant and value_type in NUMERIC,
            {},
            sets,
        )

    def cell_allows(self, cell: tuple, unit: tuple[int, int]) -> bool:
        """Whether the unit reports a data set of the cell whose disaggregation and attribute
        combo hold the cell's option combos (``check``'s E7636, E7630/E7634, E7631/E7635)."""
        verdicts = cell[10]
        verdict = verdicts.get(unit[1])
        if verdict is None:
            reported = self._reported_sets[unit[1]]
            assigned = [e for e in cell[11] if e[0] in reported]
            verdict = bool(assigned) and (
                any(cell[5] in e[1] for e in assigned) and any(cell[6] in e[2] for e in assigned)
            )
            verdicts[unit[1]] = verdict
        return verdict

    def _reject_sets(self, code, de, pe, ou, ds, index):
        s = self.summary
        if code == "E7633":
            return s.reject(
                "E7633",
                {"dataElement": de.uid, "dataSet": ds.uid},
                index=index,
                data_set=ds.uid,
            )
        if code == "E7632":
            # A wrong period type only matters where the unit reports the element at all.
            reported = self.meta.unit_sets(ou.id)
            reports = (
                ds.id in reported
                if ds is not None
                else any(e[0] in reported for e in self.meta.de_sets.get(de.id, ()))
            )
            if reports:
                return s.reject(
                    "E7632",
                    {"period": pe.id, "dataElement": de.uid},
                    index=index,
                    data_element=de.uid,
                )
        return s.reject(
            "E7636",
            {"organisationUnit": ou.uid, "dataElement": de.uid},
            index=index,
            data_element=de.uid,
        )


# Positions in a prepared tuple.
_DE, _PE, _PT, _START, _END, _OU, _COC, _AOC, _OP, _VALUE, _NUM, _COMMENT, _FOLLOW, _BY = range(14)


def apply_values(
    user,
    rows: Iterable[ValueRow],
    *,
    strategy: str = CREATE_AND_UPDATE,
    dry_run: bool = False,
    atomic: bool = True,
    stored_by: str | None = None,
    action: str = "import",
    summary: ImportSummary | None = None,
) -> ImportSummary:
    """Check and write ``rows``; the import summary says what happened.

    ``rows``: ``ValueRow`` objects, or an object with ``check_into(checker)`` that checks its
    values into the checker itself (a CSV or JSON file's, ``formats._FileRows``).

    ``action`` is the permission asked ("import" for files and the API, "add"/"change" for
    the entry form): a role without it gets PermissionDenied before anything is read. Each
    value's facility must be in the user's scope. ``summary`` carries conflicts found earlier
    (a file's unknown identifiers): with ``atomic`` they stop the whole import too.
    """
    strategy = normalize_strategy(strategy)
    if not can(user, DataValue, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    if summary is None:
        summary = ImportSummary(strategy=strategy, dry_run=dry_run, atomic=atomic)
    summary.strategy, summary.dry_run, summary.atomic = strategy, dry_run, atomic
    checker = _Checker(user, summary, strategy, stored_by)
    check_into = getattr(rows, "check_into", None)
    writer = None
    if check_into is not None:
        # A file's rows (``formats``): resolved and checked in one pass, the fast lane;
        # a big file of new values is written meanwhile (``streaming``).
        if streaming.eligible(strategy, dry_run):
            writer = streaming.StreamingWriter(checker, timezone.now())
        try:
            check_into(checker)
        except BaseException:
            if writer is not None:
                writer.abandon("the import failed")
            raise
    else:
        check = checker.check
        for position, row in enumerate(rows):
            summary.total += 1
            check(row, position if row.index is None else row.index)
    if summary.aborted or (summary.has_conflicts and atomic):
        if writer is not None:
            writer.abandon("conflicts")
        return summary.abort()
    prepared = checker.prepared
    if writer is not None and writer.finish(checker.username):
        keys = {(t[_DE], t[_OU], t[_START]) for t in prepared.values()}
        # Queued before the commit and sent again after it (``streaming``'s docstring).
        values_changed.send(sender=DataValue, keys=keys)
        writer.commit()
        summary.imported += len(prepared)
        values_changed.send(sender=DataValue, keys=keys)
        return summary.finish()
    if prepared:
        now = timezone.now()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                counts, keys = _write_postgresql(prepared, strategy, dry_run, now, checker.username)
            else:
                counts, keys = _write_generic(prepared, strategy, dry_run, now, checker.username)
            summary.imported += counts["C"] + counts["R"] + counts["A"]
            summary.updated += counts["U"]
            summary.deleted += counts["D"]
            summary.ignored += counts["I"]
            if keys and not dry_run:
                values_changed.send(sender=DataValue, keys=keys)
    return summary.finish()


def _classify(strategy: str, op: str, existing, value, comment, follow_up) -> str:
    """What one value does: C(reate), R(evive a deleted one), U(pdate), D(elete), I(gnore).
    ``existing`` is (id, value, numeric, comment, follow_up, deleted) or None. The SQL of
    ``_write_postgresql`` says the same in a CASE."""
    if existing is not None and not existing[5]:
        if strategy == DELETE:
            return "D"
        if strategy == CREATE:
            return "I"
        if op == "N":
            return "D"
        new_value = existing[1] if op == "C" else value
        new_comment = existing[3] if comment is None else comment
        new_follow = existing[4] if follow_up is None else follow_up
        if (new_value, new_comment, new_follow) == (existing[1], existing[3], existing[4]):
            return "I"
        return "U"
    if op == "V" and strategy in (CREATE_AND_UPDATE, CREATE):
        return "C" if existing is None else "R"
    return "I"


def _write_generic(prepared, strategy, dry_run, now, username):
    """Any database (SQLite): read the stored values of the file's keys, classify each value
    in Python, write with bulk_create/bulk_update in batches."""
    existing = {}
    de_ids = {k[0] for k in prepared}
    periods = {k[1] for k in prepared}
    ou_ids = sorted({k[2] for k in prepared})
    for start in range(0, len(ou_ids), 250):
        qs = DataValue.objects.filter(org_unit_id__in=ou_ids[start : start + 250])
        if len(de_ids) <= 500:
            qs = qs.filter(data_element_id__in=de_ids)
        if len(periods) <= 500:
            qs = qs.filter(period__in=periods)
        for row in qs.values_list(
            "data_element_id",
            "period",
            "org_unit_id",
            "category_option_combo_id",
            "attribute_option_combo_id",
            "id",
            "value",
            "numeric_value",
            "comment",
            "follow_up",
            "deleted",
        ):
            existing[row[:5]] = row[5:]
    counts = dict.fromkeys("CRUDIA", 0)
    creates, updates, audits, keys = [], [], [], set()
    for key, t in prepared.items():
        old = existing.get(key)
        action = _classify(strategy, t[_OP], old, t[_VALUE], t[_COMMENT], t[_FOLLOW])
        counts[action] += 1
        if action == "I":
            continue
        keys.add((t[_DE], t[_OU], t[_START]))
        if dry_run:
            continue
        if action == "C":
            creates.append(
                DataValue(
                    data_element_id=t[_DE],
                    period=t[_PE],
                    period_type=t[_PT],
                    start_date=t[_START],
                    end_date=t[_END],
                    org_unit_id=t[_OU],
                    category_option_combo_id=t[_COC],
                    attribute_option_combo_id=t[_AOC],
                    value=t[_VALUE],
                    numeric_value=t[_NUM],
                    stored_by=t[_BY],
                    comment=t[_COMMENT] or "",
                    follow_up=bool(t[_FOLLOW]),
                    deleted=False,
                    created=now,
                    last_updated=now,
                )
            )
            before, after = None, t[_VALUE]
        else:
            dv = DataValue(
                id=old[0],
                value=old[1],
                numeric_value=old[2],
                comment=old[3],
                follow_up=old[4],
                stored_by=t[_BY],
                last_updated=now,
            )
            if action == "D":
                dv.deleted = True
                before, after = old[1], None
            elif action == "R":
                dv.value, dv.numeric_value = t[_VALUE], t[_NUM]
                dv.comment = t[_COMMENT] or ""
                dv.follow_up = bool(t[_FOLLOW])
                dv.deleted = False
                before, after = None, t[_VALUE]
            else:
                if t[_OP] != "C":
                    dv.value, dv.numeric_value = t[_VALUE], t[_NUM]
                if t[_COMMENT] is not None:
                    dv.comment = t[_COMMENT]
                if t[_FOLLOW] is not None:
                    dv.follow_up = t[_FOLLOW]
                dv.deleted = False
                before, after = old[1], dv.value
            updates.append(dv)
        audits.append(
            DataValueAudit(
                data_element_id=t[_DE],
                period=t[_PE],
                org_unit_id=t[_OU],
                category_option_combo_id=t[_COC],
                attribute_option_combo_id=t[_AOC],
                previous_value=before,
                value=after,
                modified_by=username,
                created=now,
                audit_type={
                    "C": AuditType.CREATE,
                    "R": AuditType.CREATE,
                    "U": AuditType.UPDATE,
                    "D": AuditType.DELETE,
                }[action],
            )
        )
    if not dry_run:
        DataValue.objects.bulk_create(creates, batch_size=500)
        DataValue.objects.bulk_update(
            updates,
            [
                "value",
                "numeric_value",
                "comment",
                "follow_up",
                "deleted",
                "stored_by",
                "last_updated",
            ],
            batch_size=500,
        )
        DataValueAudit.objects.bulk_create(audits, batch_size=500)
    return counts, keys


_IMPORT_COLUMNS = (
    "data_element_id",
    "period",
    "period_type",
    "start_date",
    "end_date",
    "org_unit_id",
    "coc_id",
    "aoc_id",
    "op",
    "value",
    "numeric_value",
    "comment",
    "follow_up",
    "stored_by",
)

# Their types, for the binary COPY (``op``, a char(1), is sent as text).
_IMPORT_TYPES = (
    "int8",
    "varchar",
    "varchar",
    "date",
    "date",
    "int8",
    "int8",
    "int8",
    "text",
    "text",
    "float8",
    "text",
    "bool",
    "text",
)

# How many of a file's first values ``_write_postgresql`` looks up before it chooses between
# inserting first (all new) and classifying first (some stored).
_PROBE_ROWS = 1000


def _any_stored(cursor) -> bool:
    """Whether any of the first ``_PROBE_ROWS`` values of ``_dv_import`` is stored already
    (deleted or not): a few index look-ups that spare a re-import a vain insert attempt."""
    dv = DataValue._meta.db_table
    cursor.execute(
        f"""SELECT EXISTS (
            SELECT 1 FROM (SELECT * FROM _dv_import LIMIT {_PROBE_ROWS}) t
            JOIN {dv} d ON d.data_element_id = t.data_element_id AND d.period = t.period
                AND d.org_unit_id = t.org_unit_id AND d.category_option_combo_id = t.coc_id
                AND d.attribute_option_combo_id = t.aoc_id
        )"""
    )
    return cursor.fetchone()[0]


def _write_postgresql(prepared, strategy, dry_run, now, username):
    """PostgreSQL: COPY into a temporary table, then set-wise SQL (see the module docstring)."""
    dv = DataValue._meta.db_table
    audit = DataValueAudit._meta.db_table
    params = {"now": now, "strategy": strategy, "user": username}
    total = len(prepared)
    counts = dict.fromkeys("CRUDIA", 0)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS _dv_import, _dv_plan")
        cursor.execute(
            """CREATE TEMPORARY TABLE _dv_import (
                data_element_id bigint, period varchar(10), period_type varchar(20),
                start_date date, end_date date, org_unit_id bigint, coc_id bigint,
                aoc_id bigint, op char(1), value text, numeric_value double precision,
                comment text, follow_up boolean, stored_by text
            )"""
        )
        raw = cursor.cursor
        # Binary COPY: psycopg writes ints, dates and floats without making text of them
        # (about a third of the time of the text format).
        with raw.copy(
            f"COPY _dv_import ({', '.join(_IMPORT_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_IMPORT_TYPES)
            write = copy.write_row
            for row in prepared.values():
                write(row)

        inserted = 0
        if not dry_run and strategy in (CREATE_AND_UPDATE, CREATE) and not _any_stored(cursor):
            # The file's first values are all new (a new month's file): insert them all in
            # one statement, with their audit rows, in the unique key's order (the index is
            # then written page after page); what existed already is classified below.
            cursor.execute(
                f"""WITH ins AS (
                    INSERT INTO {dv} (data_element_id, period, period_type, start_date,
                        end_date, org_unit_id, category_option_combo_id,
                        attribute_option_combo_id, value, numeric_value, stored_by, comment,
                        follow_up, deleted, created, last_updated)
                    SELECT data_element_id, period, period_type, start_date, end_date,
                        org_unit_id, coc_id, aoc_id, value, numeric_value, stored_by,
                        COALESCE(comment, ''), COALESCE(follow_up, false), false,
                        %(now)s, %(now)s
                    FROM _dv_import WHERE op = 'V'
                    ORDER BY data_element_id, period, org_unit_id, coc_id, aoc_id
                    ON CONFLICT ON CONSTRAINT datavalue_key DO NOTHING
                    RETURNING data_element_id, period, org_unit_id, category_option_combo_id,
                        attribute_option_combo_id, value
                ), aud AS (
                    INSERT INTO {audit} (data_element_id, period, org_unit_id,
                        category_option_combo_id, attribute_option_combo_id, previous_value,
                        value, modified_by, created, audit_type)
                    SELECT data_element_id, period, org_unit_id, category_option_combo_id,
                        attribute_option_combo_id, NULL, value, %(user)s, %(now)s, 'CREATE'
                    FROM ins
                )
                SELECT count(*) FROM ins""",
                params,
            )
            inserted = cursor.fetchone()[0]
            counts["A"] = inserted
        if inserted == total:
            keys = {(t[_DE], t[_OU], t[_START]) for t in prepared.values()}
            cursor.execute("DROP TABLE _dv_import")
            return counts, keys

        # Some values exist (a re-import, a corrected file, an import that only updates or
        # deletes): classify each one against the stored value first, then write only what
        # changes. Rows inserted just above, if any, are 'A' (already done).
        cursor.execute("ANALYZE _dv_import")
        cursor.execute(
            f"""CREATE TEMPORARY TABLE _dv_plan AS
            SELECT t.*, d.id AS dv_id, d.value AS old_value,
                CASE
                    WHEN d.id IS NOT NULL AND d.created = %(now)s THEN 'A'
                    WHEN d.id IS NOT NULL AND NOT d.deleted THEN
                        CASE
                            WHEN %(strategy)s = 'DELETE' THEN 'D'
                            WHEN %(strategy)s = 'CREATE' THEN 'I'
                            WHEN t.op = 'N' THEN 'D'
                            WHEN (CASE WHEN t.op = 'C' THEN d.value ELSE t.value END) = d.value
                                AND COALESCE(t.comment, d.comment) = d.comment
                                AND COALESCE(t.follow_up, d.follow_up) = d.follow_up THEN 'I'
                            ELSE 'U'
                        END
                    WHEN t.op = 'V' AND %(strategy)s IN ('CREATE_AND_UPDATE', 'CREATE') THEN
                        CASE WHEN d.id IS NULL THEN 'C' ELSE 'R' END
                    ELSE 'I'
                END AS action
            FROM _dv_import t
            LEFT JOIN {dv} d ON d.data_element_id = t.data_element_id
                AND d.period = t.period AND d.org_unit_id = t.org_unit_id
                AND d.category_option_combo_id = t.coc_id
                AND d.attribute_option_combo_id = t.aoc_id""",
            params,
        )
        cursor.execute("SELECT action, count(*) FROM _dv_plan GROUP BY action")
        for action, count in cursor.fetchall():
            if action != "A":  # counted from the INSERT above
                counts[action] = count
        # Only the statements that have rows to write run (a re-import runs none).
        if not dry_run and counts["C"]:
            cursor.execute(
                f"""INSERT INTO {dv} (data_element_id, period, period_type, start_date,
                    end_date, org_unit_id, category_option_combo_id, attribute_option_combo_id,
                    value, numeric_value, stored_by, comment, follow_up, deleted, created,
                    last_updated)
                SELECT data_element_id, period, period_type, start_date, end_date, org_unit_id,
                    coc_id, aoc_id, value, numeric_value, stored_by, COALESCE(comment, ''),
                    COALESCE(follow_up, false), false, %(now)s, %(now)s
                FROM _dv_plan WHERE action = 'C'
                ORDER BY data_element_id, period, org_unit_id, coc_id, aoc_id
                ON CONFLICT ON CONSTRAINT datavalue_key DO NOTHING""",
                params,
            )
        if not dry_run and counts["U"] + counts["D"] + counts["R"]:
            cursor.execute(
                f"""UPDATE {dv} d SET
                    value = CASE WHEN p.action = 'D' OR p.op = 'C' THEN d.value
                        ELSE p.value END,
                    numeric_value = CASE WHEN p.action = 'D' OR p.op = 'C' THEN d.numeric_value
                        ELSE p.numeric_value END,
                    comment = CASE WHEN p.action = 'R' THEN COALESCE(p.comment, '')
                        WHEN p.action = 'D' THEN d.comment
                        ELSE COALESCE(p.comment, d.comment) END,
                    follow_up = CASE WHEN p.action = 'R' THEN COALESCE(p.follow_up, false)
                        WHEN p.action = 'D' THEN d.follow_up
                        ELSE COALESCE(p.follow_up, d.follow_up) END,
                    deleted = (p.action = 'D'),
                    stored_by = p.stored_by,
                    last_updated = %(now)s
                FROM _dv_plan p
                WHERE d.id = p.dv_id AND p.action IN ('U', 'D', 'R')""",
                params,
            )
        if not dry_run and counts["C"] + counts["U"] + counts["D"] + counts["R"]:
            cursor.execute(
                f"""INSERT INTO {audit} (data_element_id, period, org_unit_id,
                    category_option_combo_id, attribute_option_combo_id, previous_value, value,
                    modified_by, created, audit_type)
                SELECT data_element_id, period, org_unit_id, coc_id, aoc_id,
                    CASE WHEN action IN ('C', 'R') THEN NULL ELSE old_value END,
                    CASE WHEN action = 'D' THEN NULL WHEN op = 'C' THEN old_value
                        ELSE value END,
                    %(user)s, %(now)s,
                    CASE action WHEN 'U' THEN 'UPDATE' WHEN 'D' THEN 'DELETE'
                        ELSE 'CREATE' END
                FROM _dv_plan WHERE action IN ('C', 'R', 'U', 'D')""",
                params,
            )
        changed = total - counts["I"]
        keys = set()
        if dry_run or changed == 0:
            pass
        elif changed == total:
            keys = {(t[_DE], t[_OU], t[_START]) for t in prepared.values()}
        else:
            cursor.execute(
                "SELECT DISTINCT data_element_id, org_unit_id, start_date FROM _dv_plan "
                "WHERE action <> 'I'"
            )
            keys = set(cursor.fetchall())
        cursor.execute("DROP TABLE _dv_import, _dv_plan")
    return counts, keys
