"""DHIS2-compatible API of the aggregate app (data values).

``/api/dataValueSets`` (GET: export as JSON, CSV or ADX; POST: import, answering DHIS2's
import summary) and ``/api/dataValues`` (GET, POST and DELETE of one value), with DHIS2 2.40's
parameters, status codes and JSON shapes. Every write goes through ``datavalues.apply_values``;
every read through ``DataValue.objects.restrict``. A facility outside the user's scope is a
409 Conflict naming it, as DHIS2 answers for units outside the user's hierarchy.
"""

import datetime
import json
import re

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema

from doha.aggregate import datavalues, formats
from doha.aggregate.api.base import Dhis2View, dhis2_path
from doha.aggregate.models import (
    CategoryCombo,
    CategoryOption,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataValue,
)
from doha.aggregate.periods import PeriodError, parse_period
from doha.core.api.schema import FLAG, ID_SCHEMES
from doha.core.api.schema import query_parameter as _param
from doha.core.scope import can, user_scope_path
from doha.orgunits.models import OrgUnit

_HTTP_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
    415: "Unsupported Media Type",
}


def web_message(status: int, message: str, error_code: str | None = None) -> JsonResponse:
    """DHIS2's WebMessage for an error."""
    body = {
        "httpStatus": _HTTP_REASONS.get(status, "Error"),
        "httpStatusCode": status,
        "status": "ERROR",
        "message": str(message),
    }
    if error_code:
        body["errorCode"] = error_code
    return JsonResponse(body, status=status)


class _Conflict(Exception):
    def __init__(self, message, code=None, status=409):
        super().__init__(message)
        self.code = code
        self.status = status

    def response(self):
        return web_message(self.status, str(self), self.code)


def _bool(value, default=False) -> bool:
    if value is None or value == "":
        return default
    return str(value).strip().lower() in ("true", "1", "yes", "t")


def _optional_bool(value):
    if value is None or value == "":
        return None
    return _bool(value)


def _values(params, name) -> list[str]:
    """A repeated parameter, each occurrence possibly comma-separated."""
    out = []
    for item in params.getlist(name):
        out.extend(part.strip() for part in item.split(",") if part.strip())
    return out


def _by_uid_or_code(model, key):
    obj = model.objects.filter(uid=key).first()
    if obj is None:
        obj = model.objects.filter(code=key).first()
    return obj


_DURATION = re.compile(r"^(\d+)([dhms])$")


class _NoNegotiation:
    """The views answer CSV, ADX and JSON themselves: DRF's renderers must not refuse an
    Accept header they do not know (``application/adx+xml``)."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


_ID_SCHEME_PARAMETERS = [
    _param(name, "UID, CODE or NAME.", enum=ID_SCHEMES) for name in formats.IdSchemes.PARAMS
]
_SET_RESPONSES = {
    200: OpenApiResponse(OpenApiTypes.OBJECT, description="Data values, or the import summary."),
    409: OpenApiResponse(OpenApiTypes.OBJECT, description="A request DHIS2 refuses."),
}
_VALUE_PARAMETERS = [
    _param("de", "Data element (UID or code)."),
    _param("pe", "Period (DHIS2 ISO, e.g. 202611)."),
    _param("ou", "Organisation unit (UID or code)."),
    _param("co", "Category option combo (UID or code); the default when left out."),
    _param("cc", "Attribute category combo (UID)."),
    _param("cp", "Attribute category options, separated by ';'."),
    _param("ds", "Data set (UID or code)."),
]


class DataValueSetsView(_NoNegotiation, Dhis2View):
    """``/api/dataValueSets``: GET exports, POST imports (JSON, CSV, ADX)."""

    @extend_schema(
        operation_id="data_value_sets_export",
        parameters=[
            _param("dataSet", "Data set (UID or code).", many=True),
            _param("orgUnit", "Organisation unit (UID or code).", many=True),
            _param("period", "Period (DHIS2 ISO, e.g. 202611 or 2026Q3).", many=True),
            _param("startDate", "First day (YYYY-MM-DD), with endDate instead of period."),
            _param("endDate", "Last day (YYYY-MM-DD)."),
            _param("children", "Include the units below orgUnit.", **FLAG),
            _param("attributeOptionCombo", "Attribute option combo (UID).", many=True),
            _param("lastUpdated", "Only values changed since (YYYY-MM-DD)."),
            _param("lastUpdatedDuration", "Only values changed within, e.g. 10d or 2h."),
            _param("includeDeleted", "Include deleted values.", **FLAG),
            _param("limit", "At most this many values.", kind=OpenApiTypes.INT),
            *_ID_SCHEME_PARAMETERS,
        ],
        responses=_SET_RESPONSES,
    )
    def get(self, request, api_version=None, fmt=None):
        user = request.user
        if not can(user, DataValue, "export"):
            return web_message(403, _("Your role does not allow this action."))
        out = self.requested_format(request, {"fmt": fmt})
        if out == "xml":
            return web_message(
                406, _("DXF2 XML is not supported: ask for JSON, CSV or ADX (.json, .csv, .adx).")
            )
        if out not in formats.FORMATS:
            return web_message(406, _("Unknown format “%(format)s”.") % {"format": out})
        params = request.query_params
        try:
            query = self._query(params)
            schemes = formats.IdSchemes.from_params(params)
            values = formats.export_values(user, query)
            stream = formats.render(values, out, query, schemes)
        except _Conflict as exc:
            return exc.response()
        except formats.ExportError as exc:
            return web_message(409, str(exc), exc.code)
        except formats.ImportOptionsError as exc:
            return web_message(409, str(exc))
        response = StreamingHttpResponse(stream, content_type=formats.CONTENT_TYPES[out])
        response["Cache-Control"] = "no-store"
        return response

    def _query(self, params) -> formats.ExportQuery:
        if params.get("dataElementGroup"):
            raise _Conflict(_("Data element groups are not supported: name data sets."))
        data_sets = []
        for key in _values(params, "dataSet"):
            ds = _by_uid_or_code(DataSet, key)
            if ds is None:
                raise _Conflict(
                    _("Data set not found or not accessible: `%(id)s`") % {"id": key}, "E1105"
                )
            data_sets.append(ds)
        org_units = []
        for key in _values(params, "orgUnit"):
            ou = _by_uid_or_code(OrgUnit, key)
            if ou is None:
                raise _Conflict(
                    _("Organisation unit not found or not accessible: `%(id)s`") % {"id": key},
                    "E1102",
                )
            org_units.append(ou)
        periods = []
        for key in _values(params, "period"):
            try:
                periods.append(parse_period(key))
            except PeriodError as exc:
                raise _Conflict(_("Period is invalid: `%(id)s`") % {"id": key}, "E1101") from exc
        aocs = []
        for key in _values(params, "attributeOptionCombo"):
            aoc = _by_uid_or_code(CategoryOptionCombo, key)
            if aoc is None:
                raise _Conflict(
                    _("Attribute option combo not found or not accessible: `%(id)s`") % {"id": key},
                    "E1104",
                )
            aocs.append(aoc)
        start = self._date(params.get("startDate"), "startDate")
        end = self._date(params.get("endDate"), "endDate")
        last_updated = None
        if params.get("lastUpdated"):
            last_updated = self._moment(params["lastUpdated"])
        elif params.get("lastUpdatedDuration"):
            match = _DURATION.match(params["lastUpdatedDuration"].strip())
            if not match:
                raise _Conflict(
                    _("Duration is not valid: `%(value)s`")
                    % {"value": params["lastUpdatedDuration"]},
                    "E2005",
                )
            unit = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[match.group(2)]
            try:
                last_updated = timezone.now() - datetime.timedelta(**{unit: int(match.group(1))})
            except OverflowError as exc:
                # Longer than the calendar (found by the API fuzzing): refused, not a 500.
                raise _Conflict(
                    _("Duration is not valid: `%(value)s`")
                    % {"value": params["lastUpdatedDuration"]},
                    "E2005",
                ) from exc
        limit = None
        if params.get("limit"):
            try:
                limit = int(params["limit"])
            except ValueError as exc:
                raise _Conflict(
                    _("Limit cannot be less than zero: `%(limit)s`") % {"limit": params["limit"]},
                    "E2009",
                ) from exc
        return formats.ExportQuery(
            data_sets=data_sets,
            org_units=org_units,
            children=_bool(params.get("children")),
            periods=periods or None,
            start_date=start,
            end_date=end,
            include_deleted=_bool(params.get("includeDeleted")),
            last_updated=last_updated,
            limit=limit,
            attribute_option_combos=aocs or None,
        )

    @staticmethod
    def _date(value, name):
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise _Conflict(
                _("“%(value)s” is not a date for %(name)s (use yyyy-mm-dd).")
                % {"value": value, "name": name}
            ) from exc

    @staticmethod
    def _moment(value):
        text = value.strip()
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError as exc:
            raise _Conflict(
                _("“%(value)s” is not a date for %(name)s (use yyyy-mm-dd).")
                % {"value": value, "name": "lastUpdated"}
            ) from exc
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    @extend_schema(
        operation_id="data_value_sets_import",
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/csv": OpenApiTypes.STR,
            "application/adx+xml": OpenApiTypes.STR,
        },
        parameters=[
            _param("importStrategy", "CREATE, UPDATE, CREATE_AND_UPDATE or DELETE."),
            _param("dryRun", "Check without saving.", **FLAG),
            _param(
                "atomicMode", "ALL (nothing saved on a conflict) or NONE.", enum=["ALL", "NONE"]
            ),
            _param("async", "Only false is supported.", **FLAG),
            _param("firstRowIsHeader", "CSV: the first row names the columns.", **FLAG),
            *_ID_SCHEME_PARAMETERS,
        ],
        responses=_SET_RESPONSES,
    )
    def post(self, request, api_version=None, fmt=None):
        params = request.query_params
        if _bool(params.get("async")):
            return web_message(409, _("Asynchronous imports are not supported: send async=false."))
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type in ("application/xml", "text/xml"):
            return web_message(
                415,
                _(
                    "DXF2 XML is not supported: send JSON (application/json), CSV "
                    "(application/csv) or ADX (application/adx+xml)."
                ),
            )
        stream = request.stream
        data = stream.read() if stream is not None else b""
        in_fmt = None
        if content_type in ("application/json", "text/json"):
            in_fmt = formats.JSON
        elif content_type in ("application/csv", "text/csv"):
            in_fmt = formats.CSV
        elif content_type in ("application/adx+xml", "application/xml+adx"):
            in_fmt = formats.ADX
        elif fmt in ("json", "csv", "adx"):
            in_fmt = fmt
        atomic_mode = (params.get("atomicMode") or "ALL").strip().upper()
        try:
            summary = formats.import_file(
                request.user,
                data,
                in_fmt,
                strategy=params.get("importStrategy") or params.get("strategy"),
                dry_run=_bool(params.get("dryRun")),
                atomic=atomic_mode not in ("NONE", "OBJECT"),
                id_schemes=formats.IdSchemes.from_params(params),
                first_row_is_header=_optional_bool(params.get("firstRowIsHeader")),
            )
        except PermissionDenied as exc:
            return web_message(403, str(exc))
        except formats.ImportOptionsError as exc:
            return web_message(409, str(exc))
        if api_version and int(api_version) < 38:
            # Before 2.38 DHIS2 answered the bare summary with 200.
            return JsonResponse(summary.as_dict(), status=200)
        return JsonResponse(summary.as_web_message(), status=summary.http_status)


class DataValuesView(_NoNegotiation, Dhis2View):
    """``/api/dataValues``: one value, named by ``de``, ``pe``, ``ou``, ``co`` and the
    attribute option combo (``cc`` + ``cp``)."""

    def _resolve(self, params):
        de_key, pe_key, ou_key = params.get("de"), params.get("pe"), params.get("ou")
        if not de_key or not pe_key or not ou_key:
            missing = [n for n, v in (("de", de_key), ("pe", pe_key), ("ou", ou_key)) if not v]
            raise _Conflict(
                _("Required parameter missing: %(names)s") % {"names": ", ".join(missing)},
                status=400,
            )
        de = _by_uid_or_code(DataElement, de_key)
        if de is None:
            raise _Conflict(
                _("Data element not found or not accessible: `%(id)s`") % {"id": de_key}, "E1100"
            )
        try:
            pe = parse_period(pe_key)
        except PeriodError as exc:
            raise _Conflict(_("Period is invalid: `%(id)s`") % {"id": pe_key}, "E1101") from exc
        ou = _by_uid_or_code(OrgUnit, ou_key)
        if ou is None:
            raise _Conflict(
                _("Organisation unit not found or not accessible: `%(id)s`") % {"id": ou_key},
                "E1102",
            )
        coc = None
        if params.get("co"):
            coc = _by_uid_or_code(CategoryOptionCombo, params["co"])
            if coc is None:
                raise _Conflict(
                    _("Category option combo not found or not accessible: `%(id)s`")
                    % {"id": params["co"]},
                    "E1103",
                )
        aoc = self._attribute(params.get("cc"), params.get("cp"))
        ds = None
        if params.get("ds"):
            ds = _by_uid_or_code(DataSet, params["ds"])
            if ds is None:
                raise _Conflict(
                    _("Data set not found or not accessible: `%(id)s`") % {"id": params["ds"]},
                    "E1105",
                )
        return de, pe, ou, coc, aoc, ds

    @staticmethod
    def _attribute(cc, cp):
        if not cc and not cp:
            return None
        if not cc or not cp:
            raise _Conflict(_("Both cc and cp must be given for an attribute option combo."))
        combo = _by_uid_or_code(CategoryCombo, cc)
        if combo is None:
            raise _Conflict(
                _("Attribute option combo not found or not accessible: `%(id)s`") % {"id": cc},
                "E1104",
            )
        option_ids = set()
        for key in cp.split(";"):
            option = _by_uid_or_code(CategoryOption, key.strip())
            if option is None:
                raise _Conflict(
                    _("Attribute option combo not found or not accessible: `%(id)s`") % {"id": key},
                    "E1104",
                )
            option_ids.add(option.pk)
        for aoc in combo.option_combos.prefetch_related("options"):
            if {o.pk for o in aoc.options.all()} == option_ids:
                return aoc
        raise _Conflict(
            _("Attribute option combo not found or not accessible: `%(id)s`")
            % {"id": f"{cc}/{cp}"},
            "E1104",
        )

    @staticmethod
    def _check_scope(user, ou):
        prefix = user_scope_path(user)
        if prefix is None or not ou.path.startswith(prefix):
            raise _Conflict(
                _("Organisation unit is not in the hierarchy of the current user: `%(ou)s`")
                % {"ou": ou.uid},
                "E2020",
            )

    @extend_schema(
        operation_id="data_value_read",
        parameters=_VALUE_PARAMETERS,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="[value]"),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="No such value."),
        },
    )
    def get(self, request, api_version=None, fmt=None):
        user = request.user
        if not can(user, DataValue, "view"):
            return web_message(403, _("Your role does not allow this action."))
        try:
            de, pe, ou, coc, aoc, _ds = self._resolve(request.query_params)
            self._check_scope(user, ou)
        except _Conflict as exc:
            return exc.response()
        default_id = (
            CategoryOptionCombo.objects.filter(uid=datavalues.DEFAULT_OPTION_COMBO_UID)
            .values_list("pk", flat=True)
            .first()
        )
        value = (
            DataValue.objects.restrict(user, "view")
            .filter(
                data_element=de,
                period=pe.id,
                org_unit=ou,
                category_option_combo_id=coc.pk if coc else default_id,
                attribute_option_combo_id=aoc.pk if aoc else default_id,
                deleted=False,
            )
            .values_list("value", flat=True)
            .first()
        )
        if value is None:
            return web_message(409, _("Data value does not exist"), "E2032")
        response = JsonResponse([value], safe=False)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        operation_id="data_value_write",
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[
            *_VALUE_PARAMETERS,
            _param("value", "The value."),
            _param("comment", "A comment."),
            _param("followUp", "Mark for follow-up.", **FLAG),
        ],
        responses={201: None, 409: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def post(self, request, api_version=None, fmt=None):
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type == "application/json" and not request.query_params.get("de"):
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return web_message(400, _("The request body is not valid JSON."))
            if not isinstance(body, dict):
                return web_message(400, _("The request body must be a JSON object."))
            attribute = body.get("attribute") or {}
            params = _Params(
                de=body.get("dataElement"),
                pe=body.get("period"),
                ou=body.get("orgUnit"),
                co=body.get("categoryOptionCombo"),
                cc=attribute.get("combo") if isinstance(attribute, dict) else None,
                cp=";".join(attribute.get("options") or [])
                if isinstance(attribute, dict)
                else None,
                ds=body.get("dataSet"),
                value=formats._scalar(body.get("value")),
                comment=body.get("comment"),
                followUp=body.get("followUp", body.get("followup")),
            )
            if body.get("attributeOptionCombo") and not params.get("cc"):
                params["aoc"] = body["attributeOptionCombo"]
        else:
            params = request.query_params
        return self._write(request, params, datavalues.CREATE_AND_UPDATE, "add")

    @extend_schema(
        operation_id="data_value_delete",
        parameters=_VALUE_PARAMETERS,
        responses={204: None, 409: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def delete(self, request, api_version=None, fmt=None):
        return self._write(request, request.query_params, datavalues.DELETE, "change")

    def _write(self, request, params, strategy, action):
        user = request.user
        if not can(user, DataValue, action):
            return web_message(403, _("Your role does not allow this action."))
        try:
            de, pe, ou, coc, aoc, ds = self._resolve(params)
            if aoc is None and params.get("aoc"):
                aoc = _by_uid_or_code(CategoryOptionCombo, params["aoc"])
                if aoc is None:
                    raise _Conflict(
                        _("Attribute option combo not found or not accessible: `%(id)s`")
                        % {"id": params["aoc"]},
                        "E1104",
                    )
            self._check_scope(user, ou)
        except _Conflict as exc:
            return exc.response()
        follow = params.get("followUp")
        row = datavalues.ValueRow(
            data_element=de,
            period=pe,
            org_unit=ou,
            category_option_combo=coc,
            attribute_option_combo=aoc,
            value=params.get("value"),
            comment=params.get("comment"),
            follow_up=None if follow in (None, "") else _bool(follow),
            data_set=ds,
        )
        try:
            summary = datavalues.apply_values(
                user, [row], strategy=strategy, action=action, atomic=True
            )
        except PermissionDenied as exc:
            return web_message(403, str(exc))
        if summary.has_conflicts:
            conflict = summary.conflicts[0]
            return web_message(409, conflict.value, conflict.error_code)
        if strategy == datavalues.DELETE:
            if summary.deleted == 0:
                return web_message(409, _("Data value cannot be deleted because it does not exist"))
            return _empty(204)
        return _empty(201)


class _Params(dict):
    """A JSON body read like query parameters."""

    def get(self, key, default=None):
        value = super().get(key, default)
        if isinstance(value, bool):
            return "true" if value else "false"
        return value


def _empty(status):
    return HttpResponse(status=status)


urlpatterns = [
    re_path(dhis2_path("dataValueSets"), DataValueSetsView.as_view(), name="dhis2-datavaluesets"),
    re_path(dhis2_path("dataValues"), DataValuesView.as_view(), name="dhis2-datavalues"),
]
