"""Aggregate metadata in DHIS2's JSON shape: loading it, and the rules of editing it.

``load_metadata(data)`` upserts the objects of a DHIS2 metadata document (``categoryOptions``,
``categories``, ``categoryCombos``, ``categoryOptionCombos``, ``dataElements``, ``dataSets``,
``sections``, ``indicatorTypes``, ``indicators``, ``validationRules``) by their UIDs, inside one
transaction: a document with any error changes nothing and every error names the object, the
field and the reason. Loading the same document again changes nothing. DHIS2's "default"
category objects are never touched (an export from DHIS2 carries them too).

``load_default_metadata()`` loads the data set doha ships for a provincial Department of
Health (``data/default_metadata.json``, described in docs/statistics-metadata.md); the demo
loader and ``manage.py load_metadata`` call it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from pathlib import Path

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from doha.aggregate import services
from doha.aggregate.models import (
    DEFAULT_CATEGORY_COMBO_UID,
    DEFAULT_CATEGORY_OPTION_UID,
    DEFAULT_CATEGORY_UID,
    DEFAULT_OPTION_COMBO_UID,
    AggregationType,
    Category,
    CategoryCombo,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
    DataDimensionType,
    DataElement,
    DataElementSource,
    DataSet,
    DataSetElement,
    DataValue,
    PeriodType,
    ValueType,
)
from doha.core.uid import is_valid_uid

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "default_metadata.json"
DEFAULT_UIDS = frozenset(
    {
        DEFAULT_CATEGORY_OPTION_UID,
        DEFAULT_CATEGORY_UID,
        DEFAULT_CATEGORY_COMBO_UID,
        DEFAULT_OPTION_COMBO_UID,
    }
)
# The collections this loader understands, in the order they are loaded.
COLLECTIONS = (
    "categoryOptions",
    "categories",
    "categoryCombos",
    "categoryOptionCombos",
    "dataElements",
    "dataSets",
    "sections",
    "indicatorTypes",
    "indicators",
    "validationRules",
)


class MetadataError(Exception):
    """The document was refused; ``errors`` lists every problem found (nothing was saved)."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def read_metadata_file(path: Path | str) -> dict:
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise MetadataError(
            [_("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": exc}]
        ) from exc
    except json.JSONDecodeError as exc:
        raise MetadataError(
            [
                _("%(path)s is not valid JSON (line %(line)s): %(reason)s")
                % {"path": path, "line": exc.lineno, "reason": exc.msg}
            ]
        ) from exc
    return data


def load_default_metadata(*, user=None) -> dict[str, dict[str, int]]:
    """Load (or bring up to date) the default data set of a provincial DOH. Idempotent."""
    return load_metadata(read_metadata_file(DEFAULT_FILE), user=user)


def load_metadata(data: dict, *, user=None) -> dict[str, dict[str, int]]:
    """Upsert the metadata of a DHIS2 JSON document by UID; all or nothing.

    Returns, per collection loaded, how many objects were created, updated and unchanged.
    Raises ``MetadataError`` (listing every problem) when the document is refused.
    """
    if not isinstance(data, dict):
        raise MetadataError([_("The metadata document must be a JSON object.")])
    loader = _Loader(data)
    with transaction.atomic():
        if user is not None:
            with set_actor(user):
                loader.run()
        else:
            loader.run()
        if loader.errors:
            transaction.set_rollback(True)
    if loader.errors:
        raise MetadataError(loader.errors)
    return loader.counts


def _ref(value) -> str | None:
    """``{"id": "uid"}`` (DHIS2's reference) or a bare uid -> the uid."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


class _Loader:
    def __init__(self, data: dict):
        self.data = data
        self.errors: list[str] = []
        self.counts: dict[str, dict[str, int]] = {}
        self.last_status: str | None = None
        self.changed_categories: set[int] = set()
        self.combos_to_generate: dict[int, CategoryCombo] = {}

    # -- helpers ---------------------------------------------------------------------------

    def items(self, collection) -> Iterable[tuple[int, dict, str]]:
        raw = self.data.get(collection)
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.error(collection, None, None, None, _("must be a list of objects."))
            return []
        self.counts.setdefault(collection, {"created": 0, "updated": 0, "unchanged": 0})
        out = []
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                self.error(collection, index, None, None, _("must be an object."))
                continue
            label = str(item.get("code") or item.get("id") or item.get("name") or "")
            if _ref(item) in DEFAULT_UIDS:
                continue  # DHIS2's "default" objects stay as they are
            out.append((index, item, label))
        return out

    def error(self, collection, index, label, field, message):
        where = collection if index is None else f"{collection}[{index}]"
        if label:
            where += f" ({label})"
        if field:
            where += f", {field}"
        self.errors.append(f"{where}: {message}")

    def count(self, collection, status):
        if status:
            self.counts[collection][status] += 1

    def resolve(self, model, value, collection, index, label, field, required=True):
        uid = _ref(value)
        if uid is None:
            if required:
                self.error(collection, index, label, field, _("is required."))
            return None
        obj = model.objects.filter(uid=uid).first()
        if obj is None:
            self.error(
                collection,
                index,
                label,
                field,
                _("refers to %(uid)s, which is neither in the file nor in doha.") % {"uid": uid},
            )
        return obj

    def upsert(self, model, collection, index, label, item, values):
        """Create or update ``model`` with ``item["id"]``; returns the object (or None)."""
        uid = _ref(item)
        if uid is None or not is_valid_uid(uid):
            self.error(
                collection,
                index,
                label,
                "id",
                _("needs a UID of 11 letters or digits starting with a letter (got %(uid)s).")
                % {"uid": uid or ""},
            )
            return None
        obj = model.objects.filter(uid=uid).first()
        created = obj is None
        if created:
            obj = model(uid=uid)
        # Foreign keys are compared by id (a new object has none to read yet).
        attnames = [model._meta.get_field(field).attname for field in values]
        before = [getattr(obj, attname) for attname in attnames]
        for field, value in values.items():
            setattr(obj, field, value)
        obj.normalize_text_fields()
        if obj.code == "":
            obj.code = None
        changed = created or [getattr(obj, a) for a in attnames] != before
        self.last_status = None
        if not changed:
            self.count(collection, "unchanged")
            self.last_status = "unchanged"
            return obj
        try:
            obj.full_clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.error(collection, index, label, _camel(field), message)
            return None
        obj.save()
        self.last_status = "created" if created else "updated"
        self.count(collection, self.last_status)
        return obj

    def memberships_changed(self, collection):
        """An object saved as unchanged whose memberships changed counts as updated."""
        if self.last_status == "unchanged":
            self.counts[collection]["unchanged"] -= 1
            self.counts[collection]["updated"] += 1
            self.last_status = "updated"

    def names(self, item):
        return {
            "name": str(item.get("name") or ""),
            "code": item.get("code") or None,
            "short_name": str(item.get("shortName") or "")[:50],
            "description": str(item.get("description") or ""),
        }

    def choice(self, item, key, choices, default, collection, index, label):
        value = item.get(key, default)
        if value not in choices.values:
            self.error(
                collection,
                index,
                label,
                key,
                _("%(value)s is not one of: %(choices)s")
                % {"value": value, "choices": ", ".join(choices.values)},
            )
            return default
        return value

    def number(self, item, key, default, collection, index, label, allow_none=False):
        value = item.get(key, default)
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.error(collection, index, label, key, _("must be a whole number of zero or more."))
            return default
        return value

    # -- collections -----------------------------------------------------------------------

    def run(self):
        self.category_options()
        self.categories()
        self.category_combos()
        self.option_combos()
        self.data_elements()
        self.data_sets()
        self.indicator_types()
        self.indicators()
        self.validation_rules()

    def category_options(self):
        for index, item, label in self.items("categoryOptions"):
            values = self.names(item)
            for key, field in (("startDate", "start_date"), ("endDate", "end_date")):
                try:
                    values[field] = _date(item.get(key))
                except ValueError:
                    self.error(
                        "categoryOptions",
                        index,
                        label,
                        key,
                        _("%(value)s is not a date (yyyy-mm-dd).") % {"value": item.get(key)},
                    )
            self.upsert(CategoryOption, "categoryOptions", index, label, item, values)

    def categories(self):
        for index, item, label in self.items("categories"):
            values = self.names(item)
            values["data_dimension_type"] = self.choice(
                item,
                "dataDimensionType",
                DataDimensionType,
                DataDimensionType.DISAGGREGATION,
                "categories",
                index,
                label,
            )
            options = [
                self.resolve(CategoryOption, ref, "categories", index, label, "categoryOptions")
                for ref in item.get("categoryOptions") or []
            ]
            if not options:
                self.error(
                    "categories", index, label, "categoryOptions", _("needs at least one option.")
                )
            category = self.upsert(Category, "categories", index, label, item, values)
            if category is None or None in options:
                continue
            current = list(category.memberships.order_by("sort_order"))
            if [m.option_id for m in current] == [o.pk for o in options]:
                continue
            removed = {m.option_id for m in current} - {o.pk for o in options}
            if removed and any(combo_has_data(combo) for combo in category.combos.all()):
                self.error(
                    "categories",
                    index,
                    label,
                    "categoryOptions",
                    _("cannot drop options: data values are stored under them."),
                )
                continue
            category.memberships.all().delete()
            CategoryMembership.objects.bulk_create(
                CategoryMembership(category=category, option=o, sort_order=i)
                for i, o in enumerate(options)
            )
            self.changed_categories.add(category.pk)
            self.memberships_changed("categories")

    def category_combos(self):
        for index, item, label in self.items("categoryCombos"):
            values = self.names(item)
            values["data_dimension_type"] = self.choice(
                item,
                "dataDimensionType",
                DataDimensionType,
                DataDimensionType.DISAGGREGATION,
                "categoryCombos",
                index,
                label,
            )
            categories = [
                self.resolve(Category, ref, "categoryCombos", index, label, "categories")
                for ref in item.get("categories") or []
            ]
            if not categories:
                self.error(
                    "categoryCombos", index, label, "categories", _("needs at least one category.")
                )
            combo = self.upsert(CategoryCombo, "categoryCombos", index, label, item, values)
            if combo is None or None in categories:
                continue
            current = list(combo.category_memberships.order_by("sort_order"))
            if [m.category_id for m in current] != [c.pk for c in categories]:
                if current and combo_has_data(combo):
                    self.error(
                        "categoryCombos",
                        index,
                        label,
                        "categories",
                        _("cannot change: data values are stored under this disaggregation."),
                    )
                    continue
                combo.category_memberships.all().delete()
                CategoryComboMembership.objects.bulk_create(
                    CategoryComboMembership(combo=combo, category=c, sort_order=i)
                    for i, c in enumerate(categories)
                )
                self.memberships_changed("categoryCombos")
            self.combos_to_generate[combo.pk] = combo

    def option_combos(self):
        """Option combos named in the file keep the file's UIDs; the rest are generated."""
        collection = "categoryOptionCombos"
        for index, item, label in self.items(collection):
            combo = self.resolve(
                CategoryCombo, item.get("categoryCombo"), collection, index, label, "categoryCombo"
            )
            options = [
                self.resolve(CategoryOption, ref, collection, index, label, "categoryOptions")
                for ref in item.get("categoryOptions") or []
            ]
            uid = _ref(item)
            if combo is None or None in options or not options:
                if not options:
                    self.error(collection, index, label, "categoryOptions", _("is required."))
                continue
            if uid is None or not is_valid_uid(uid):
                self.error(
                    collection,
                    index,
                    label,
                    "id",
                    _("needs a UID of 11 letters or digits starting with a letter (got %(uid)s).")
                    % {"uid": uid or ""},
                )
                continue
            key = frozenset(o.pk for o in options)
            same_cell = next(
                (
                    c
                    for c in combo.option_combos.prefetch_related("options")
                    if frozenset(o.pk for o in c.options.all()) == key
                ),
                None,
            )
            by_uid = CategoryOptionCombo.objects.filter(uid=uid).first()
            if by_uid is not None and by_uid != same_cell:
                self.error(
                    collection,
                    index,
                    label,
                    "id",
                    _("%(uid)s is already the UID of another option combination (%(name)s).")
                    % {"uid": uid, "name": by_uid.name},
                )
                continue
            if same_cell is not None and same_cell.uid != uid:
                self.error(
                    collection,
                    index,
                    label,
                    "id",
                    _("this cell of %(combo)s already has the UID %(uid)s.")
                    % {"combo": combo.name, "uid": same_cell.uid},
                )
                continue
            code = item.get("code") or None
            if same_cell is None:
                coc = CategoryOptionCombo(
                    uid=uid, category_combo=combo, name=str(item.get("name") or ""), code=code
                )
                coc.normalize_text_fields()
                coc.name = coc.name or ", ".join(o.name for o in options)
                try:
                    coc.full_clean(exclude=["options"])
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        for message in messages:
                            self.error(collection, index, label, _camel(field), message)
                    continue
                coc.save()
                coc.options.set(options)
                self.count(collection, "created")
            elif same_cell.code != code:
                same_cell.code = code
                same_cell.save(update_fields=["code", "last_updated"])
                self.count(collection, "updated")
            else:
                self.count(collection, "unchanged")
        if self.errors:
            return
        for combo in CategoryCombo.objects.filter(categories__in=self.changed_categories):
            self.combos_to_generate.setdefault(combo.pk, combo)
        generated = 0
        for combo in self.combos_to_generate.values():
            before = combo.option_combos.count()
            services.generate_option_combos(combo)
            generated += combo.option_combos.count() - before
        if generated:
            self.counts.setdefault(collection, {"created": 0, "updated": 0, "unchanged": 0})
            self.counts[collection]["created"] += generated

    def data_elements(self):
        collection = "dataElements"
        default = services.default_combo()
        for index, item, label in self.items(collection):
            values = self.names(item)
            values["form_name"] = str(item.get("formName") or "")
            values["value_type"] = self.choice(
                item, "valueType", ValueType, ValueType.NUMBER, collection, index, label
            )
            values["aggregation_type"] = self.choice(
                item,
                "aggregationType",
                AggregationType,
                AggregationType.SUM,
                collection,
                index,
                label,
            )
            domain = item.get("domainType", "AGGREGATE")
            if domain != "AGGREGATE":
                self.error(
                    collection,
                    index,
                    label,
                    "domainType",
                    _("only AGGREGATE data elements are kept in doha (got %(value)s).")
                    % {"value": domain},
                )
            values["domain_type"] = "AGGREGATE"
            values["zero_is_significant"] = bool(item.get("zeroIsSignificant", False))
            combo = (
                self.resolve(
                    CategoryCombo, item["categoryCombo"], collection, index, label, "categoryCombo"
                )
                if item.get("categoryCombo")
                else default
            )
            extra = item.get("doha") or {}
            values["source"] = self.choice(
                extra,
                "source",
                DataElementSource,
                DataElementSource.ENTERED,
                collection,
                index,
                label,
            )
            values["computed_from"] = str(extra.get("computedFrom") or "")
            if values["source"] == DataElementSource.COMPUTED and not values["computed_from"]:
                self.error(
                    collection,
                    index,
                    label,
                    "doha.computedFrom",
                    _("a computed data element names the activity figure that fills it."),
                )
            if combo is None:
                continue
            values["category_combo"] = combo
            existing = DataElement.objects.filter(uid=_ref(item)).first()
            if (
                existing is not None
                and existing.category_combo_id != combo.pk
                and DataValue.objects.filter(data_element=existing).exists()
            ):
                self.error(
                    collection,
                    index,
                    label,
                    "categoryCombo",
                    _("cannot change: the data element has data values."),
                )
                continue
            self.upsert(DataElement, collection, index, label, item, values)

    def data_sets(self):
        from doha.orgunits.models import OrgUnit

        collection = "dataSets"
        default = services.default_combo()
        # DHIS2 keeps sections as objects of their own; doha keeps a section's name on the
        # data set's element rows.
        sections: dict[str, dict[str, tuple[int, int, str]]] = {}
        raw_sections = self.data.get("sections") or []
        for s_index, section in enumerate(raw_sections):
            if not isinstance(section, dict):
                self.error("sections", s_index, None, None, _("must be an object."))
                continue
            ds_uid = _ref(section.get("dataSet"))
            name = str(section.get("name") or "").strip()
            if not ds_uid or not name:
                self.error(
                    "sections", s_index, name, None, _("needs a name and a dataSet reference.")
                )
                continue
            order = section.get("sortOrder", s_index)
            for position, ref in enumerate(section.get("dataElements") or []):
                de_uid = _ref(ref)
                if de_uid:
                    sections.setdefault(ds_uid, {})[de_uid] = (order, position, name[:120])
        for index, item, label in self.items(collection):
            values = self.names(item)
            values["period_type"] = self.choice(
                item, "periodType", PeriodType, PeriodType.MONTHLY, collection, index, label
            )
            for key, field in (
                ("openFuturePeriods", "open_future_periods"),
                ("expiryDays", "expiry_days"),
                ("timelyDays", "timely_days"),
            ):
                default_value = DataSet._meta.get_field(field).default
                values[field] = self.number(item, key, default_value, collection, index, label)
            combo = (
                self.resolve(
                    CategoryCombo, item["categoryCombo"], collection, index, label, "categoryCombo"
                )
                if item.get("categoryCombo")
                else default
            )
            rows = []
            for position, row in enumerate(item.get("dataSetElements") or []):
                row = row if isinstance(row, dict) else {}
                element = self.resolve(
                    DataElement,
                    row.get("dataElement"),
                    collection,
                    index,
                    label,
                    f"dataSetElements[{position}].dataElement",
                )
                override = None
                if row.get("categoryCombo"):
                    override = self.resolve(
                        CategoryCombo,
                        row["categoryCombo"],
                        collection,
                        index,
                        label,
                        f"dataSetElements[{position}].categoryCombo",
                    )
                rows.append((position, element, override))
            units = None
            if "organisationUnits" in item:
                units = []
                for ref in item.get("organisationUnits") or []:
                    unit = OrgUnit.objects.filter(uid=_ref(ref)).first()
                    if unit is None:
                        self.error(
                            collection,
                            index,
                            label,
                            "organisationUnits",
                            _("refers to %(uid)s, which is neither in the file nor in doha.")
                            % {"uid": _ref(ref)},
                        )
                    units.append(unit)
            if combo is None:
                continue
            values["category_combo"] = combo
            data_set = self.upsert(DataSet, collection, index, label, item, values)
            if data_set is None or any(e is None for _p, e, _o in rows):
                continue
            placed = sections.get(data_set.uid, {})
            ordered = sorted(
                rows,
                key=lambda r: (
                    placed.get(r[1].uid, (len(placed) + 1, r[0], ""))[:2],
                    r[0],
                ),
            )
            desired = [
                (
                    element.pk,
                    override.pk if override else None,
                    placed.get(element.uid, ("", "", ""))[2],
                )
                for _p, element, override in ordered
            ]
            changed = sync_data_set_elements(data_set, desired)
            if units is not None and None not in units:
                current = set(data_set.org_units.values_list("pk", flat=True))
                if current != {u.pk for u in units}:
                    data_set.org_units.set(units)
                    changed = True
            if changed:
                self.memberships_changed(collection)

    def indicator_types(self):
        from doha.analytics.models import IndicatorType

        collection = "indicatorTypes"
        for index, item, label in self.items(collection):
            values = {
                "name": str(item.get("name") or ""),
                "code": item.get("code") or None,
                "short_name": str(item.get("shortName") or "")[:50],
                "description": str(item.get("description") or ""),
                "factor": self.number(item, "factor", 1, collection, index, label),
                "number": bool(item.get("number", False)),
            }
            if values["factor"] == 0:
                self.error(collection, index, label, "factor", _("must be 1 or more."))
            self.upsert(IndicatorType, collection, index, label, item, values)

    def check_expression(self, collection, index, label, field, expression):
        from doha.analytics.expressions import validate

        for message in validate(expression):
            self.error(collection, index, label, field, message)

    def indicators(self):
        from doha.analytics.models import Indicator, IndicatorType

        collection = "indicators"
        for index, item, label in self.items(collection):
            values = self.names(item)
            indicator_type = self.resolve(
                IndicatorType, item.get("indicatorType"), collection, index, label, "indicatorType"
            )
            values["numerator"] = str(item.get("numerator") or "")
            values["numerator_description"] = str(item.get("numeratorDescription") or "")
            values["denominator"] = str(item.get("denominator") or "1")
            values["denominator_description"] = str(item.get("denominatorDescription") or "")
            values["decimals"] = self.number(
                item, "decimals", None, collection, index, label, allow_none=True
            )
            values["annualized"] = bool(item.get("annualized", False))
            self.check_expression(collection, index, label, "numerator", values["numerator"])
            self.check_expression(collection, index, label, "denominator", values["denominator"])
            if indicator_type is None:
                continue
            values["indicator_type"] = indicator_type
            self.upsert(Indicator, collection, index, label, item, values)

    def validation_rules(self):
        from doha.analytics.models import (
            Importance,
            MissingValueStrategy,
            Operator,
            ValidationRule,
        )

        collection = "validationRules"
        for index, item, label in self.items(collection):
            values = self.names(item)
            values["instruction"] = str(item.get("instruction") or "")[:255]
            values["importance"] = self.choice(
                item, "importance", Importance, Importance.MEDIUM, collection, index, label
            )
            values["period_type"] = self.choice(
                item, "periodType", PeriodType, PeriodType.MONTHLY, collection, index, label
            )
            values["operator"] = self.choice(
                item, "operator", Operator, Operator.LESS_THAN_OR_EQUAL_TO, collection, index, label
            )
            for side, prefix in (("leftSide", "left"), ("rightSide", "right")):
                part = item.get(side)
                if not isinstance(part, dict):
                    self.error(
                        collection, index, label, side, _("needs an expression and a description.")
                    )
                    part = {}
                values[f"{prefix}_side"] = str(part.get("expression") or "")
                values[f"{prefix}_side_description"] = str(part.get("description") or "")[:255]
                values[f"{prefix}_missing_value_strategy"] = self.choice(
                    part,
                    "missingValueStrategy",
                    MissingValueStrategy,
                    MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
                    collection,
                    index,
                    label,
                )
                self.check_expression(
                    collection, index, label, f"{side}.expression", values[f"{prefix}_side"]
                )
            self.upsert(ValidationRule, collection, index, label, item, values)


def _date(value):
    """A DHIS2 date or timestamp ("2024-01-01" or "2024-01-01T00:00:00.000") as a date."""
    if not value:
        return None
    return datetime.date.fromisoformat(str(value)[:10])


def _camel(field: str) -> str:
    """A model field name as the DHIS2 document spells it (short_name -> shortName)."""
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


# ---------------------------------------------------------------------------------------------
# Rules shared by the loader and the pages
# ---------------------------------------------------------------------------------------------


def combo_has_data(combo: CategoryCombo) -> bool:
    """Whether any live or deleted data value is stored under one of the combo's cells."""
    cells = combo.option_combos.values("pk")
    return (
        DataValue.objects.filter(category_option_combo__in=cells).exists()
        or DataValue.objects.filter(attribute_option_combo__in=cells).exists()
    )


def sync_data_set_elements(data_set: DataSet, desired: list[tuple[int, int | None, str]]) -> bool:
    """Make the data set's element rows exactly ``desired`` — (data element id, combo
    override id or None, section name) in order; returns whether anything changed."""
    current = {row.data_element_id: row for row in data_set.elements.all()}
    wanted_ids = [de for de, _c, _s in desired]
    changed = False
    stale = [pk for pk in current if pk not in set(wanted_ids)]
    if stale:
        data_set.elements.filter(data_element_id__in=stale).delete()
        changed = True
    for order, (de, combo, section) in enumerate(desired):
        row = current.get(de)
        if row is None:
            DataSetElement.objects.create(
                data_set=data_set,
                data_element_id=de,
                category_combo_id=combo,
                section=section,
                sort_order=order,
            )
            changed = True
        elif (row.category_combo_id, row.section, row.sort_order) != (combo, section, order):
            row.category_combo_id, row.section, row.sort_order = combo, section, order
            row.save(update_fields=["category_combo", "section", "sort_order"])
            changed = True
    return changed


def set_data_set_elements(data_set: DataSet, elements: list[DataElement]) -> bool:
    """The data set's elements as picked on its form: kept rows keep their section, combo
    override and order; new elements go at the end, without a section."""
    current = list(data_set.elements.order_by("sort_order"))
    picked = {e.pk for e in elements}
    desired = [
        (row.data_element_id, row.category_combo_id, row.section)
        for row in current
        if row.data_element_id in picked
    ]
    kept = {de for de, _c, _s in desired}
    desired += [(e.pk, None, "") for e in elements if e.pk not in kept]
    return sync_data_set_elements(data_set, desired)


def assign_data_set_units(
    data_set: DataSet,
    root,
    *,
    user,
    include_below: bool = True,
    facility_types: Iterable[str] = (),
    remove: bool = False,
) -> int:
    """Add (or remove) the facilities of ``root``'s subtree to the data set's reporting
    facilities; only units inside the user's own scope are touched. Returns how many units
    were added or removed."""
    from doha.orgunits.models import OrgUnit

    units = OrgUnit.objects.restrict(user, "view")
    units = units.filter(path__startswith=root.path) if include_below else units.filter(pk=root.pk)
    facility_types = list(facility_types)
    if facility_types:
        units = units.filter(facility_type__in=facility_types)
    assigned = set(data_set.org_units.values_list("pk", flat=True))
    if remove:
        chosen = [pk for pk in units.values_list("pk", flat=True) if pk in assigned]
        data_set.org_units.remove(*chosen)
    else:
        chosen = [
            pk
            for pk in units.filter(active=True).values_list("pk", flat=True)
            if pk not in assigned
        ]
        data_set.org_units.add(*chosen)
    return len(chosen)


def save_category(category: Category, options: list[CategoryOption], new_options) -> Category:
    """Save a category with its options in order: the options it had first (in their order),
    then the existing options newly picked, then the new ones (``(code, name)`` pairs, made
    here). Dropping an option under which data values are stored is refused. The option
    combos of every combination using the category follow."""
    errors = {}
    created = []
    for code, name in new_options:
        option = CategoryOption(name=name, code=code or None, short_name=name[:50])
        try:
            option.full_clean()
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                errors.setdefault("new_options", []).extend(
                    f"{name}: {message}" for message in messages
                )
            continue
        created.append(option)
    if errors:
        raise ValidationError(errors)
    is_new = category.pk is None
    category.full_clean()
    category.save()
    current = [] if is_new else list(category.memberships.order_by("sort_order"))
    picked = {o.pk for o in options}
    order = [m.option_id for m in current if m.option_id in picked]
    order += [o.pk for o in options if o.pk not in set(order)]
    removed = {m.option_id for m in current} - picked
    if removed and any(combo_has_data(combo) for combo in category.combos.all()):
        raise ValidationError(
            {"options": _("Options under which data values are stored cannot be dropped.")}
        )
    for option in created:
        option.save()
        order.append(option.pk)
    if not order:
        raise ValidationError({"options": _("A category needs at least one option.")})
    if [m.option_id for m in current] != order:
        category.memberships.all().delete()
        CategoryMembership.objects.bulk_create(
            CategoryMembership(category=category, option_id=pk, sort_order=i)
            for i, pk in enumerate(order)
        )
        for combo in category.combos.all():
            services.generate_option_combos(combo)
    return category


def save_category_combo(combo: CategoryCombo, categories: list[Category]) -> CategoryCombo:
    """Save a combination with its categories (kept ones in their order, then new ones) and
    generate its option combos. Once data values are stored under the combination its
    categories cannot change."""
    if not categories:
        raise ValidationError({"categories": _("Pick at least one category.")})
    is_new = combo.pk is None
    combo.full_clean()
    combo.save()
    current = [] if is_new else list(combo.category_memberships.order_by("sort_order"))
    picked = {c.pk for c in categories}
    order = [m.category_id for m in current if m.category_id in picked]
    order += [c.pk for c in categories if c.pk not in set(order)]
    if [m.category_id for m in current] != order:
        if current and combo_has_data(combo):
            raise ValidationError(
                {
                    "categories": _(
                        "Data values are stored under this combination: its categories "
                        "cannot change."
                    )
                }
            )
        combo.category_memberships.all().delete()
        CategoryComboMembership.objects.bulk_create(
            CategoryComboMembership(combo=combo, category_id=pk, sort_order=i)
            for i, pk in enumerate(order)
        )
    services.generate_option_combos(combo)
    return combo
