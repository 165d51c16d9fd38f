"""DHIS2-compatible metadata API: ``/api/organisationUnits``, ``/api/dataElements``,
``/api/dataSets``, ``/api/categoryOptionCombos``, ``/api/categoryCombos``, ``/api/categories``,
``/api/categoryOptions``, ``/api/indicators``, ``/api/indicatorTypes``,
``/api/validationRules`` (each also ``/{uid}``), ``/api/system/info`` and ``/api/me``.

The parameters are DHIS2's (2.40):

- ``fields=id,name,parent[id,name],children[id]`` with the presets ``*``/``:all``,
  ``:owner``, ``:identifiable``, ``:nameable`` and exclusion ``!field``; a list defaults to
  ``id,displayName``, one object to all its fields. A reference without sub-fields renders as
  ``{"id": ...}``. Unknown fields are left out, as DHIS2 does.
- ``filter=property:operator:value`` (eq, !eq, ne, ieq, like, !like, $like, like$, ilike,
  !ilike, $ilike, ilike$, startsWith, endsWith, gt, ge, lt, le, null, !null, empty, !empty,
  in, !in, token, !token; nested properties such as ``parent.id`` or
  ``dataSetElements.dataSet.id``; ``identifiable:token:...``), several filters joined by AND,
  or by OR with ``rootJunction=OR``; ``query=`` searches names (accents ignored) and codes.
- ``order=name:asc,code:desc`` (also ``iasc``/``idesc``); ``paging=false``, ``page``,
  ``pageSize`` (50) and the ``pager`` object ``{page, pageCount, total, pageSize,
  nextPage, prevPage}`` before the collection (``{"pager": ..., "dataElements": [...]}``).
- Org units: ``level``, ``maxLevel``, ``userOnly``/``userDataViewOnly`` (the user's own roots),
  ``withinUserHierarchy`` (always in force), and on one unit ``includeChildren`` or
  ``includeDescendants``. ``path`` reads ``/uid/uid`` and ``level`` is the depth.

Every queryset is ``Model.objects.restrict(user, "view")``: a clerk never sees the units of
another district, not even nested in another object; a unit outside the user's scope that
appears as a parent or ancestor shows only its id, code, names, level and path.
"""

from __future__ import annotations

import datetime
import math
import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import re_path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from doha.aggregate.api.base import Dhis2View, dhis2_path
from doha.aggregate.filters import fold_search
from doha.aggregate.models import (
    Category,
    CategoryCombo,
    CategoryOption,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataSetElement,
)
from doha.core.permissions import Role, role_allows
from doha.core.scope import user_scope_path
from doha.orgunits.models import OrgUnit

DHIS2_VERSION = "2.40.0"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 10000
UID_PATTERN = r"(?P<uid>[A-Za-z][A-Za-z0-9]{10})"


class ApiError(Exception):
    """A request DHIS2 would answer with a WebMessage of status ERROR."""

    def __init__(self, message: str, status: int = 400, error_code: str = "E2000"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code


STATUS_TEXT = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 406: "Not Acceptable"}


def web_message(error: ApiError) -> Response:
    """DHIS2's error shape: httpStatus, httpStatusCode, status, message, errorCode."""
    return Response(
        {
            "httpStatus": STATUS_TEXT.get(error.status, "Error"),
            "httpStatusCode": error.status,
            "status": "ERROR",
            "message": error.message,
            "errorCode": error.error_code,
        },
        status=error.status,
    )


# ---------------------------------------------------------------------------------------------
# Rendering context and formats
# ---------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    user: Any
    prefix: str | None

    def sees(self, unit: OrgUnit) -> bool:
        return self.prefix is not None and unit.path.startswith(self.prefix)


def dhis2_datetime(value) -> str | None:
    """DHIS2 writes timestamps as ``2024-01-15T10:20:30.123`` in server time."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return value.isoformat() + "T00:00:00.000"


def dhis2_path_of(unit: OrgUnit) -> str:
    """doha stores "/a/b/"; DHIS2 writes "/a/b"."""
    return unit.path.rstrip("/")


# ---------------------------------------------------------------------------------------------
# Object kinds: their properties, how to read, filter, order and prefetch them
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prop:
    get: Callable[[Any, Ctx], Any]
    kind: str | None = None  # another kind: a reference (or a collection when ``many``)
    many: bool = False
    lookup: str | None = None  # ORM path for filter and order; None: not filterable
    owner: bool = True  # persisted and owned: part of ``:owner``
    value: str = "str"  # str | int | bool | date: how filter values are read
    order_by: str | None = None
    select: tuple[str, ...] = ()
    prefetch: tuple = ()
    via: tuple | None = None  # (model, fk to this kind) when there is no reverse relation
    path_value: bool = False  # DHIS2 "/a/b" in filters against the stored "/a/b/"


def attr(name: str, **kwargs) -> Prop:
    return Prop(get=lambda obj, ctx: getattr(obj, name), lookup=name, **kwargs)


def identity(**extra: Prop) -> dict[str, Prop]:
    """id, code, name, displayName, shortName, description, created, lastUpdated."""
    props = {
        "id": attr("uid"),
        "code": attr("code"),
        "name": attr("name"),
        "displayName": Prop(lambda o, c: o.name, lookup="name", owner=False),
        "shortName": Prop(lambda o, c: o.short_name or o.name, lookup="short_name"),
        "displayShortName": Prop(
            lambda o, c: o.short_name or o.name, lookup="short_name", owner=False
        ),
        "description": Prop(lambda o, c: o.description or None, lookup="description"),
        "created": Prop(lambda o, c: dhis2_datetime(o.created), lookup="created", value="date"),
        "lastUpdated": Prop(
            lambda o, c: dhis2_datetime(o.last_updated), lookup="last_updated", value="date"
        ),
    }
    props.update(extra)
    return props


def _children(unit, ctx):
    return list(unit.children.all())


def _unit_data_sets(unit, ctx):
    return list(unit.data_sets.all())


def _data_set_units(data_set, ctx):
    return [u for u in data_set.org_units.all() if ctx.sees(u)]


def _element_rows(element, ctx):
    rows = getattr(element, "_dse", None)
    if rows is None:
        rows = list(
            DataSetElement.objects.filter(data_element=element).select_related(
                "data_set", "data_element", "category_combo"
            )
        )
    return rows


def _attach_element_rows(elements):
    by_element: dict[int, list] = {e.pk: [] for e in elements}
    rows = DataSetElement.objects.filter(data_element__in=list(by_element)).select_related(
        "data_set", "data_element", "category_combo"
    )
    for row in rows.order_by("data_set__name"):
        by_element[row.data_element_id].append(row)
    for element in elements:
        element._dse = by_element[element.pk]


def _ordered(memberships, attr_name):
    return [getattr(m, attr_name) for m in sorted(memberships.all(), key=lambda m: m.sort_order)]


def _side(prefix):
    def get(rule, ctx):
        return {
            "expression": getattr(rule, f"{prefix}_side"),
            "description": getattr(rule, f"{prefix}_side_description"),
            "missingValueStrategy": getattr(rule, f"{prefix}_missing_value_strategy"),
        }

    return get


ROWS_PREFETCH = Prefetch(
    "elements",
    queryset=DataSetElement.objects.select_related(
        "data_set", "data_element", "category_combo"
    ).order_by("sort_order"),
)

KINDS: dict[str, dict[str, Prop]] = {
    "organisationUnit": identity(
        shortName=Prop(lambda o, c: o.short_name or o.name, lookup="short_name"),
        name=attr("name", order_by="sort_name"),
        displayName=Prop(lambda o, c: o.name, lookup="name", owner=False, order_by="sort_name"),
        description=Prop(lambda o, c: None, owner=False),
        level=Prop(lambda o, c: o.depth, lookup="depth", value="int", owner=False),
        path=Prop(lambda o, c: dhis2_path_of(o), lookup="path", owner=False, path_value=True),
        parent=Prop(
            lambda o, c: o.parent, kind="organisationUnit", lookup="parent", select=("parent",)
        ),
        children=Prop(
            _children,
            kind="organisationUnit",
            many=True,
            lookup="children",
            owner=False,
            prefetch=("children",),
        ),
        ancestors=Prop(lambda o, c: o.ancestors(), kind="organisationUnit", many=True, owner=False),
        openingDate=Prop(
            lambda o, c: dhis2_datetime(o.opening_date), lookup="opening_date", value="date"
        ),
        closedDate=Prop(
            lambda o, c: dhis2_datetime(o.closing_date), lookup="closing_date", value="date"
        ),
        address=Prop(lambda o, c: o.address or None, lookup="address"),
        leaf=Prop(lambda o, c: not o.children.all(), owner=False, prefetch=("children",)),
        dataSets=Prop(
            _unit_data_sets,
            kind="dataSet",
            many=True,
            lookup="data_sets",
            owner=False,
            prefetch=("data_sets",),
        ),
    ),
    "categoryOption": identity(
        startDate=Prop(
            lambda o, c: dhis2_datetime(o.start_date), lookup="start_date", value="date"
        ),
        endDate=Prop(lambda o, c: dhis2_datetime(o.end_date), lookup="end_date", value="date"),
        categories=Prop(
            lambda o, c: list(o.categories.all()),
            kind="category",
            many=True,
            lookup="categories",
            owner=False,
            prefetch=("categories",),
        ),
    ),
    "category": identity(
        dataDimensionType=attr("data_dimension_type"),
        categoryOptions=Prop(
            lambda o, c: _ordered(o.memberships, "option"),
            kind="categoryOption",
            many=True,
            lookup="options",
            prefetch=("memberships__option",),
        ),
        categoryCombos=Prop(
            lambda o, c: list(o.combos.all()),
            kind="categoryCombo",
            many=True,
            lookup="combos",
            owner=False,
            prefetch=("combos",),
        ),
    ),
    "categoryCombo": identity(
        dataDimensionType=attr("data_dimension_type"),
        isDefault=Prop(lambda o, c: o.is_default, owner=False),
        categories=Prop(
            lambda o, c: _ordered(o.category_memberships, "category"),
            kind="category",
            many=True,
            lookup="categories",
            prefetch=("category_memberships__category__memberships__option",),
        ),
        categoryOptionCombos=Prop(
            lambda o, c: list(o.option_combos.all()),
            kind="categoryOptionCombo",
            many=True,
            lookup="option_combos",
            owner=False,
            prefetch=("option_combos",),
        ),
    ),
    "categoryOptionCombo": identity(
        categoryCombo=Prop(
            lambda o, c: o.category_combo,
            kind="categoryCombo",
            lookup="category_combo",
            select=("category_combo",),
        ),
        categoryOptions=Prop(
            lambda o, c: list(o.options.all()),
            kind="categoryOption",
            many=True,
            lookup="options",
            prefetch=("options",),
        ),
        ignoreApproval=Prop(lambda o, c: False, owner=False),
    ),
    "dataElement": identity(
        formName=Prop(lambda o, c: o.form_name or None, lookup="form_name"),
        displayFormName=Prop(lambda o, c: o.form_name or o.name, owner=False),
        valueType=attr("value_type"),
        aggregationType=attr("aggregation_type"),
        domainType=attr("domain_type"),
        zeroIsSignificant=attr("zero_is_significant", value="bool"),
        categoryCombo=Prop(
            lambda o, c: o.category_combo,
            kind="categoryCombo",
            lookup="category_combo",
            select=("category_combo",),
        ),
        dataSetElements=Prop(
            _element_rows,
            kind="dataSetElement",
            many=True,
            owner=False,
            via=(DataSetElement, "data_element"),
        ),
    ),
    "dataSetElement": {
        "dataSet": Prop(lambda o, c: o.data_set, kind="dataSet", lookup="data_set"),
        "dataElement": Prop(lambda o, c: o.data_element, kind="dataElement", lookup="data_element"),
        "categoryCombo": Prop(
            lambda o, c: o.category_combo, kind="categoryCombo", lookup="category_combo"
        ),
    },
    "dataSet": identity(
        periodType=attr("period_type"),
        categoryCombo=Prop(
            lambda o, c: o.category_combo,
            kind="categoryCombo",
            lookup="category_combo",
            select=("category_combo",),
        ),
        dataSetElements=Prop(
            lambda o, c: list(o.elements.all()),
            kind="dataSetElement",
            many=True,
            lookup="elements",
            prefetch=(ROWS_PREFETCH,),
        ),
        organisationUnits=Prop(
            _data_set_units,
            kind="organisationUnit",
            many=True,
            lookup="org_units",
            prefetch=("org_units",),
        ),
        openFuturePeriods=attr("open_future_periods", value="int"),
        expiryDays=attr("expiry_days", value="int"),
        timelyDays=attr("timely_days", value="int"),
    ),
    "indicatorType": identity(
        factor=attr("factor", value="int"),
        number=attr("number", value="bool"),
    ),
    "indicator": identity(
        indicatorType=Prop(
            lambda o, c: o.indicator_type,
            kind="indicatorType",
            lookup="indicator_type",
            select=("indicator_type",),
        ),
        numerator=attr("numerator"),
        numeratorDescription=attr("numerator_description"),
        denominator=attr("denominator"),
        denominatorDescription=Prop(
            lambda o, c: o.denominator_description or None, lookup="denominator_description"
        ),
        decimals=attr("decimals", value="int"),
        annualized=attr("annualized", value="bool"),
    ),
    "validationRule": identity(
        instruction=Prop(lambda o, c: o.instruction or None, lookup="instruction"),
        importance=attr("importance"),
        periodType=attr("period_type"),
        operator=attr("operator"),
        leftSide=Prop(_side("left")),
        rightSide=Prop(_side("right")),
    ),
}
# What an org unit outside the user's scope shows when it appears inside another object.
OUT_OF_SCOPE_FIELDS = {"id", "code", "name", "displayName", "shortName", "displayShortName"}
OUT_OF_SCOPE_FIELDS |= {"level", "path"}


# ---------------------------------------------------------------------------------------------
# fields=
# ---------------------------------------------------------------------------------------------

Tokens = list[tuple[str, "Tokens | None"]]


def parse_fields(text: str) -> Tokens:
    """``id,name,parent[id,name]`` -> [("id", None), ("name", None), ("parent", [...])]."""
    tokens: Tokens = []
    depth, start, i = 0, 0, 0
    text = text or ""
    brackets = {"[": "]", "(": ")"}
    pieces = []
    for i, ch in enumerate(text):
        if ch in brackets:
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth < 0:
                raise ApiError(_("The fields parameter has an unmatched bracket."))
        elif ch == "," and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise ApiError(_("The fields parameter has an unmatched bracket."))
    pieces.append(text[start:])
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        open_at = min((piece.find(b) for b in brackets if piece.find(b) >= 0), default=-1)
        if open_at >= 0:
            name = piece[:open_at]
            inner = parse_fields(piece[open_at + 1 : -1])
        else:
            name, inner = piece, None
        # Field transformers (~rename(...), ~size) are not served: the plain field is.
        name = name.split("~", 1)[0].strip()
        if name:
            tokens.append((name, inner))
    return tokens


PRESETS = {
    ":identifiable": ("id", "name", "code", "created", "lastUpdated"),
    ":nameable": ("id", "name", "shortName", "code", "description", "created", "lastUpdated"),
}


def resolve_fields(kind: str, tokens: Tokens) -> dict[str, Tokens | None]:
    props = KINDS[kind]
    chosen: dict[str, Tokens | None] = {}
    excluded = set()
    for name, inner in tokens:
        if name.startswith("!"):
            excluded.add(name[1:])
        elif name in ("*", ":all", "all"):
            for key in props:
                chosen.setdefault(key, None)
        elif name in (":owner", ":persisted"):
            for key, prop in props.items():
                if prop.owner:
                    chosen.setdefault(key, None)
        elif name in PRESETS:
            for key in PRESETS[name]:
                if key in props:
                    chosen.setdefault(key, None)
        elif name in props:
            chosen[name] = inner
    return {k: v for k, v in chosen.items() if k not in excluded}


REFERENCE = [("id", None)]


def render(obj, kind: str, tokens: Tokens, ctx: Ctx) -> dict:
    spec = resolve_fields(kind, tokens)
    if kind == "organisationUnit" and not ctx.sees(obj):
        spec = {k: v for k, v in spec.items() if k in OUT_OF_SCOPE_FIELDS}
    out = {}
    props = KINDS[kind]
    for name, inner in spec.items():
        prop = props[name]
        value = prop.get(obj, ctx)
        if prop.kind is not None:
            sub = inner if inner is not None else REFERENCE
            if prop.many:
                value = [render(v, prop.kind, sub, ctx) for v in value]
            elif value is not None:
                value = render(value, prop.kind, sub, ctx)
        if value is None:
            continue
        out[name] = value
    return out


def optimise(qs: QuerySet, kind: str, tokens: Tokens) -> QuerySet:
    """select_related/prefetch_related for the top-level fields asked for."""
    props = KINDS[kind]
    for name in resolve_fields(kind, tokens):
        prop = props[name]
        if prop.select:
            qs = qs.select_related(*prop.select)
        if prop.prefetch:
            qs = qs.prefetch_related(*prop.prefetch)
    return qs


# ---------------------------------------------------------------------------------------------
# filter= and order=
# ---------------------------------------------------------------------------------------------

LOOKUPS = {
    "eq": "exact",
    "ieq": "iexact",
    "like": "contains",
    "ilike": "icontains",
    "$like": "startswith",
    "$ilike": "istartswith",
    "like$": "endswith",
    "ilike$": "iendswith",
    "startsWith": "istartswith",
    "endsWith": "iendswith",
    "gt": "gt",
    "ge": "gte",
    "lt": "lt",
    "le": "lte",
    "in": "in",
}
NO_VALUE = {"null", "empty"}


def _convert(prop: Prop, op: str, raw: str, name: str):
    if op == "in":
        text = raw.strip()
        if not (text.startswith("[") and text.endswith("]")):
            raise ApiError(
                _("Write the values of %(op)s as [a,b,c] (filter on %(name)s).")
                % {"op": "in", "name": name}
            )
        return [_convert(prop, "eq", v.strip(), name) for v in text[1:-1].split(",") if v.strip()]
    if prop.path_value and op in ("eq", "ieq") and not raw.endswith("/"):
        return raw + "/"
    if prop.value == "int":
        try:
            return int(raw)
        except ValueError as exc:
            raise ApiError(
                _("%(name)s is a number; %(value)s is not.") % {"name": name, "value": raw}
            ) from exc
    if prop.value == "bool":
        if raw.lower() not in ("true", "false"):
            raise ApiError(
                _("%(name)s is true or false; %(value)s is not.") % {"name": name, "value": raw}
            )
        return raw.lower() == "true"
    if prop.value == "date":
        try:
            return datetime.date.fromisoformat(raw[:10])
        except ValueError as exc:
            raise ApiError(
                _("%(name)s is a date (yyyy-mm-dd); %(value)s is not.")
                % {"name": name, "value": raw}
            ) from exc
    return raw


def identifiable_token_q(value: str, negate: bool) -> Q:
    q = Q()
    for token in value.split():
        q &= (
            Q(uid__icontains=token)
            | Q(code__icontains=token)
            | Q(name__icontains=token)
            | Q(short_name__icontains=token)
        )
    return ~q if negate else q


def filter_q(kind: str, expression: str) -> Q:
    """One ``property:operator:value`` filter as a Q object."""
    parts = expression.split(":", 2)
    if len(parts) < 2:
        raise ApiError(
            _("Write a filter as property:operator:value, not %(filter)s.") % {"filter": expression}
        )
    path, op = parts[0], parts[1]
    raw = parts[2] if len(parts) == 3 else ""
    negate = False
    if op == "ne":
        op, negate = "eq", True
    elif op.startswith("!"):
        op, negate = op[1:], True
    if path == "identifiable" and op == "token":
        return identifiable_token_q(raw, negate)
    if op not in LOOKUPS and op not in NO_VALUE and op != "token":
        raise ApiError(
            _("Unknown filter operator %(op)s in %(filter)s.")
            % {"op": parts[1], "filter": expression}
        )
    current, lookups, via, prop = kind, [], None, None
    names = path.split(".")
    for position, name in enumerate(names):
        props = KINDS.get(current) if current else None
        prop = props.get(name) if props else None
        if prop is None or (prop.lookup is None and prop.via is None):
            raise ApiError(
                _("%(property)s is not a property you can filter %(kind)s on.")
                % {"property": path, "kind": kind},
                error_code="E1000",
            )
        if prop.via is not None:
            if lookups or via:
                raise ApiError(
                    _("%(property)s is not a property you can filter %(kind)s on.")
                    % {"property": path, "kind": kind}
                )
            via = prop.via
        else:
            lookups.append(prop.lookup)
        if prop.kind is None and position < len(names) - 1:
            raise ApiError(
                _("%(property)s is not a property you can filter %(kind)s on.")
                % {"property": path, "kind": kind}
            )
        current = prop.kind
    assert prop is not None
    if op in NO_VALUE:
        if not lookups:
            raise ApiError(_("%(property)s cannot be tested for null.") % {"property": path})
        q = Q(**{"__".join(lookups) + "__isnull": True})
    else:
        if prop.kind is not None:
            lookups.append("uid")
            prop = KINDS[prop.kind]["id"]
        if not lookups:
            raise ApiError(_("Name a property of %(property)s to filter on.") % {"property": path})
        target = "__".join(lookups)
        if op == "token":
            q = Q()
            for token in raw.split():
                q &= Q(**{f"{target}__icontains": token})
        else:
            q = Q(**{f"{target}__{LOOKUPS[op]}": _convert(prop, op, raw, path)})
    if via is not None:
        model, fk = via
        q = Q(pk__in=model.objects.filter(q).values(fk))
    return ~q if negate else q


def order_by(kind: str, params: list[str]) -> list:
    props = KINDS[kind]
    result = []
    for param in params:
        for part in param.split(","):
            name, _sep, direction = part.strip().partition(":")
            prop = props.get(name)
            if prop is None or prop.lookup is None or prop.kind or prop.many:
                continue
            key = prop.order_by or prop.lookup
            direction = (direction or "asc").lower()
            expression = Lower(key) if direction.startswith("i") else None
            if direction in ("desc", "idesc"):
                result.append(expression.desc() if expression is not None else f"-{key}")
            else:
                result.append(expression.asc() if expression is not None else key)
    return result


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

COMMON_PARAMETERS = [
    OpenApiParameter("fields", str, description="DHIS2 field filter, e.g. id,name,parent[id]."),
    OpenApiParameter(
        "filter", str, many=True, description="property:operator:value, e.g. name:ilike:khám."
    ),
    OpenApiParameter("rootJunction", str, enum=["AND", "OR"]),
    OpenApiParameter("order", str, description="property:asc|desc|iasc|idesc"),
    OpenApiParameter("paging", bool),
    OpenApiParameter("page", int),
    OpenApiParameter("pageSize", int),
    OpenApiParameter("query", str, description="Search names (accents ignored) and codes."),
]
ORG_UNIT_PARAMETERS = [
    OpenApiParameter("level", int),
    OpenApiParameter("maxLevel", int),
    OpenApiParameter("userOnly", bool),
    OpenApiParameter("userDataViewOnly", bool),
    OpenApiParameter("withinUserHierarchy", bool),
    OpenApiParameter("includeChildren", bool),
    OpenApiParameter("includeDescendants", bool),
]


def _int_param(request, name, default, minimum=1, maximum=None):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(
            _("%(name)s must be a whole number, not %(value)s.") % {"name": name, "value": raw}
        ) from exc
    if value < minimum or (maximum is not None and value > maximum):
        raise ApiError(
            _("%(name)s must be between %(min)s and %(max)s.")
            % {"name": name, "min": minimum, "max": maximum or "∞"}
        )
    return value


def _flag(request, name) -> bool:
    return (request.query_params.get(name) or "").lower() == "true"


def user_roots(user) -> list[OrgUnit]:
    """The units a DHIS2 client takes as the user's own: the top of their scope."""
    prefix = user_scope_path(user)
    if prefix is None:
        return []
    if prefix == "":
        return list(OrgUnit.objects.filter(parent__isnull=True).order_by("sort_name"))
    root = getattr(user, "scope_root", None)
    return [root] if root is not None else []


class JsonDhis2View(Dhis2View):
    """A Dhis2View that answers JSON only (``.json`` or no suffix)."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def check_format(self, request, kwargs):
        fmt = kwargs.get("fmt") or request.query_params.get("format")
        if fmt and fmt.lower() != "json":
            raise ApiError(
                _("This resource is served as JSON only (asked: %(format)s).") % {"format": fmt},
                status=406,
            )

    def get(self, request, *args, **kwargs):
        try:
            self.check_format(request, kwargs)
            return Response(self.answer(request, **kwargs))
        except ApiError as error:
            return web_message(error)

    def answer(self, request, **kwargs) -> dict:
        raise ImproperlyConfigured(f"{type(self).__name__} must define answer().")


class MetadataView(JsonDhis2View):
    kind: str = ""
    collection: str = ""
    model = None
    type_name: str = ""

    def base_queryset(self, request) -> QuerySet:
        return self.model.objects.restrict(request.user, "view")

    def ctx(self, request) -> Ctx:
        return Ctx(user=request.user, prefix=user_scope_path(request.user))

    def answer(self, request, uid=None, **kwargs):
        qs = self.base_queryset(request)
        if uid is not None:
            return self.one(request, qs, uid)
        return self.many(request, qs)

    def one(self, request, qs, uid):
        obj = qs.filter(uid=uid)
        tokens = parse_fields(request.query_params.get("fields") or "*")
        obj = optimise(obj, self.kind, tokens).first()
        if obj is None:
            raise ApiError(
                _("%(type)s with id %(uid)s could not be found.")
                % {"type": self.type_name, "uid": uid},
                status=404,
                error_code="E1005",
            )
        self.attach([obj], tokens)
        return render(obj, self.kind, tokens, self.ctx(request))

    def narrow(self, request, qs) -> QuerySet:
        """Resource-specific parameters (org units: level, userOnly, ...)."""
        return qs

    def attach(self, objects, tokens):
        """Bulk-load what prefetch_related cannot reach."""

    def many(self, request, qs, extra: dict | None = None):
        params = request.query_params
        qs = self.narrow(request, qs)
        filters = [filter_q(self.kind, f) for f in params.getlist("filter") if f]
        if filters:
            if (params.get("rootJunction") or "AND").upper() == "OR":
                condition = Q()
                for q in filters:
                    condition |= q
                qs = qs.filter(condition)
            else:
                for q in filters:
                    qs = qs.filter(q)
        if params.get("query"):
            qs = self.search(qs, params["query"])
        ordering = order_by(self.kind, params.getlist("order"))
        default_order = KINDS[self.kind]["name"].order_by or "name"
        qs = qs.distinct().order_by(*ordering, default_order, "pk")
        tokens = parse_fields(params.get("fields") or "id,displayName")
        paging = (params.get("paging") or "true").lower() != "false"
        body: dict[str, Any] = {}
        if paging:
            page = _int_param(request, "page", 1)
            size = _int_param(request, "pageSize", DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
            total = qs.count()
            count = max(1, math.ceil(total / size))
            pager = {"page": page, "pageCount": count, "total": total, "pageSize": size}
            if page < count:
                pager["nextPage"] = self.page_url(request, page + 1)
            if page > 1:
                pager["prevPage"] = self.page_url(request, min(page - 1, count))
            body["pager"] = pager
            qs = qs[(page - 1) * size : page * size]
        objects = list(optimise(qs, self.kind, tokens))
        self.attach(objects, tokens)
        ctx = self.ctx(request)
        body[self.collection] = [render(o, self.kind, tokens, ctx) for o in objects]
        return body

    def search(self, qs, query):
        return fold_search(qs, query, ("name", "short_name", "code", "uid"))

    def page_url(self, request, page):
        query = request.query_params.copy()
        query["page"] = str(page)
        return request.build_absolute_uri(request.path) + "?" + query.urlencode(safe=":[],!$")


class OrganisationUnitsView(MetadataView):
    kind = "organisationUnit"
    collection = "organisationUnits"
    model = OrgUnit
    type_name = "OrganisationUnit"

    def answer(self, request, uid=None, **kwargs):
        if uid is not None and (
            _flag(request, "includeChildren") or _flag(request, "includeDescendants")
        ):
            unit = self.base_queryset(request).filter(uid=uid).first()
            if unit is None:
                raise ApiError(
                    _("%(type)s with id %(uid)s could not be found.")
                    % {"type": self.type_name, "uid": uid},
                    status=404,
                    error_code="E1005",
                )
            qs = self.base_queryset(request)
            if _flag(request, "includeDescendants"):
                qs = qs.filter(path__startswith=unit.path)
            else:
                qs = qs.filter(Q(pk=unit.pk) | Q(parent=unit))
            return self.many(request, qs)
        return super().answer(request, uid=uid, **kwargs)

    def narrow(self, request, qs):
        level = _int_param(request, "level", None)
        if level is not None:
            qs = qs.filter(depth=level)
        max_level = _int_param(request, "maxLevel", None)
        if max_level is not None:
            qs = qs.filter(depth__lte=max_level)
        if _flag(request, "userOnly") or _flag(request, "userDataViewOnly"):
            qs = qs.filter(pk__in=[u.pk for u in user_roots(request.user)])
        return qs

    def search(self, qs, query):
        return qs.filter(Q(pk__in=qs.search(query).values("pk")) | Q(uid=query) | Q(code=query))


class DataElementsView(MetadataView):
    kind = "dataElement"
    collection = "dataElements"
    model = DataElement
    type_name = "DataElement"

    def attach(self, objects, tokens):
        if "dataSetElements" in resolve_fields(self.kind, tokens):
            _attach_element_rows(objects)


class DataSetsView(MetadataView):
    kind = "dataSet"
    collection = "dataSets"
    model = DataSet
    type_name = "DataSet"


class CategoryOptionCombosView(MetadataView):
    kind = "categoryOptionCombo"
    collection = "categoryOptionCombos"
    model = CategoryOptionCombo
    type_name = "CategoryOptionCombo"


class CategoryCombosView(MetadataView):
    kind = "categoryCombo"
    collection = "categoryCombos"
    model = CategoryCombo
    type_name = "CategoryCombo"


class CategoriesView(MetadataView):
    kind = "category"
    collection = "categories"
    model = Category
    type_name = "Category"


class CategoryOptionsView(MetadataView):
    kind = "categoryOption"
    collection = "categoryOptions"
    model = CategoryOption
    type_name = "CategoryOption"


class IndicatorsView(MetadataView):
    kind = "indicator"
    collection = "indicators"
    type_name = "Indicator"

    @property
    def model(self):
        from doha.analytics.models import Indicator

        return Indicator


class IndicatorTypesView(MetadataView):
    kind = "indicatorType"
    collection = "indicatorTypes"
    type_name = "IndicatorType"

    @property
    def model(self):
        from doha.analytics.models import IndicatorType

        return IndicatorType


class ValidationRulesView(MetadataView):
    kind = "validationRule"
    collection = "validationRules"
    type_name = "ValidationRule"

    @property
    def model(self):
        from doha.analytics.models import ValidationRule

        return ValidationRule


def select_fields(data: dict, tokens: Tokens) -> dict:
    """``fields=`` over a plain document (``/api/me``)."""
    if not tokens:
        return data
    names = {name for name, _inner in tokens}
    if names & {"*", ":all", "all"}:
        keep = dict.fromkeys(data)
    else:
        keep = {}
    for name, inner in tokens:
        if name in data:
            keep[name] = inner
    for name, _inner in tokens:
        if name.startswith("!"):
            keep.pop(name[1:], None)
    out = {}
    for name, inner in keep.items():
        value = data[name]
        if inner and isinstance(value, dict):
            value = select_fields(value, inner)
        elif inner and isinstance(value, list):
            value = [select_fields(v, inner) if isinstance(v, dict) else v for v in value]
        out[name] = value
    return out


# doha's grants in DHIS2's authority names, for clients that check them.
AUTHORITIES = [
    ("metadata", "add", "F_DATAELEMENT_PUBLIC_ADD"),
    ("metadata", "add", "F_DATASET_PUBLIC_ADD"),
    ("metadata", "add", "F_INDICATOR_PUBLIC_ADD"),
    ("metadata", "add", "F_VALIDATIONRULE_ADD"),
    ("metadata", "add", "F_CATEGORY_COMBO_PUBLIC_ADD"),
    ("metadata", "retire", "F_DATAELEMENT_DELETE"),
    ("datavalue", "add", "F_DATAVALUE_ADD"),
    ("datavalue", "change", "F_DATAVALUE_ADD"),
    ("datavalue", "retire", "F_DATAVALUE_DELETE"),
    ("datavalue", "import", "F_IMPORT_DATA"),
    ("datavalue", "export", "F_EXPORT_DATA"),
    ("datavalue", "view", "M_dhis-web-dataentry"),
    ("dashboard", "view", "M_dhis-web-dashboard"),
]


def authorities(user) -> list[str]:
    if user.is_system_admin:
        return ["ALL"]
    role = getattr(user, "role", None)
    found = []
    for resource, action, authority in AUTHORITIES:
        if role_allows(role, resource, action) and authority not in found:
            found.append(authority)
    return found


class MeView(JsonDhis2View):
    @extend_schema(
        summary="The signed-in user, as DHIS2's /api/me",
        parameters=[OpenApiParameter("fields", str)],
        responses={200: OpenApiTypes.OBJECT},
        tags=["dhis2"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def answer(self, request, **kwargs):
        user = request.user
        roots = [{"id": u.uid, "name": u.name} for u in user_roots(user)]
        role = Role(user.role) if user.role in Role.values else None
        locale = translation.get_language() or settings.LANGUAGE_CODE
        data_sets = (
            DataSet.objects.restrict(user, "view")
            .filter(org_units__in=OrgUnit.objects.restrict(user, "view"))
            .distinct()
            .order_by("name")
        )
        name = user.get_full_name() or user.username
        data = {
            "id": str(user.pk),
            "username": user.username,
            "firstName": user.first_name,
            "surname": user.last_name,
            "name": name,
            "displayName": name,
            "email": user.email or None,
            "created": dhis2_datetime(user.date_joined),
            "lastLogin": dhis2_datetime(user.last_login),
            "organisationUnits": roots,
            "dataViewOrganisationUnits": roots,
            "teiSearchOrganisationUnits": [],
            "userRoles": [{"id": role.value, "name": str(role.label)}] if role else [],
            "authorities": authorities(user),
            "dataSets": [d.uid for d in data_sets],
            "programs": [],
            "settings": {
                "keyUiLocale": locale,
                "keyDbLocale": locale,
                "keyAnalysisDisplayProperty": "name",
            },
            "userCredentials": {"username": user.username},
        }
        data = {k: v for k, v in data.items() if v is not None}
        fields = request.query_params.get("fields")
        return select_fields(data, parse_fields(fields)) if fields else data


class SystemInfoView(JsonDhis2View):
    @extend_schema(
        summary="Server information, as DHIS2's /api/system/info",
        responses={200: OpenApiTypes.OBJECT},
        tags=["dhis2"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def answer(self, request, **kwargs):
        now = timezone.localtime()
        context_path = request.build_absolute_uri("/").rstrip("/")
        info = {
            "contextPath": context_path,
            "instanceBaseUrl": context_path,
            "userAgent": request.headers.get("User-Agent", ""),
            "calendar": "iso8601",
            "dateFormat": "yyyy-mm-dd",
            "serverDate": dhis2_datetime(now),
            "serverTimeZoneId": settings.TIME_ZONE,
            "serverTimeZoneDisplayName": now.tzname() or settings.TIME_ZONE,
            "version": DHIS2_VERSION,
            "revision": "doha",
            "systemName": "doha",
            "emailConfigured": bool(getattr(settings, "EMAIL_HOST", "")),
            "isMetadataVersionEnabled": False,
            "metadataSyncEnabled": False,
            "encryption": False,
        }
        if request.user.is_system_admin:
            info.update(
                {
                    "osName": platform.system(),
                    "osVersion": platform.release(),
                    "pythonVersion": platform.python_version(),
                    "djangoVersion": django.get_version(),
                    "databaseInfo": {
                        "type": connection.vendor,
                        "name": connection.settings_dict.get("NAME") and "doha",
                        "spatialSupport": False,
                    },
                }
            )
        return info


def _annotate(view_class, name, summary, detail):
    """OpenAPI for a DHIS2 resource: free-form JSON, DHIS2's query parameters."""
    parameters = list(COMMON_PARAMETERS)
    if view_class is OrganisationUnitsView:
        parameters += ORG_UNIT_PARAMETERS

    @extend_schema(
        summary=summary,
        description=(
            "DHIS2-compatible (2.40): fields, filter (property:operator:value), rootJunction, "
            "order, paging/page/pageSize with the pager object; the collection is under its "
            "DHIS2 key. Also served at /api/<version>/... and with a .json suffix."
        ),
        operation_id=f"dhis2_{name}_{'retrieve' if detail else 'list'}",
        parameters=parameters,
        responses={200: OpenApiTypes.OBJECT},
        tags=["dhis2"],
    )
    def get(self, request, *args, **kwargs):
        return JsonDhis2View.get(self, request, *args, **kwargs)

    return type(view_class.__name__, (view_class,), {"get": get})


RESOURCES = [
    (OrganisationUnitsView, "organisationUnits", "Organisation units (health facilities)"),
    (DataElementsView, "dataElements", "Data elements"),
    (DataSetsView, "dataSets", "Data sets"),
    (CategoryOptionCombosView, "categoryOptionCombos", "Category option combinations"),
    (CategoryCombosView, "categoryCombos", "Category combinations"),
    (CategoriesView, "categories", "Categories"),
    (CategoryOptionsView, "categoryOptions", "Category options"),
    (IndicatorsView, "indicators", "Indicators"),
    (IndicatorTypesView, "indicatorTypes", "Indicator types"),
    (ValidationRulesView, "validationRules", "Validation rules"),
]

urlpatterns = [
    re_path(dhis2_path("system/info"), SystemInfoView.as_view(), name="dhis2-system-info"),
    re_path(dhis2_path("me"), MeView.as_view(), name="dhis2-me"),
]
for _view, _name, _summary in RESOURCES:
    urlpatterns += [
        re_path(
            dhis2_path(_name),
            _annotate(_view, _name, _summary, detail=False).as_view(),
            name=f"dhis2-{_name}",
        ),
        re_path(
            dhis2_path(f"{_name}/{UID_PATTERN}"),
            _annotate(_view, _name, _summary, detail=True).as_view(),
            name=f"dhis2-{_name}-detail",
        ),
    ]
