"""DHIS2-compatible ``/api/analytics`` (also ``/api/40/analytics``, ``.json``, ``.csv``,
``.xlsx``).

Parameters as in DHIS2 2.40: ``dimension=dx:a;b`` (repeated), ``dimension=pe:...``,
``dimension=ou:...``, ``dimension=co`` (the disaggregations), ``filter=`` (repeated, same
syntax), ``displayProperty=NAME|SHORTNAME``, ``outputIdScheme=UID|CODE|NAME``,
``inputIdScheme=UID|CODE``, ``skipMeta``, ``skipData``, ``skipRounding``, ``hierarchyMeta``,
``relativePeriodDate``, ``aggregationType``; and doha's ``boundaries=current|pre2025|<date>``
(the org-unit tree to aggregate by). The answer is DHIS2's: ``headers``, ``metaData``
(``items``, ``dimensions``), ``rows``, ``height``, ``width``, ``headerWidth``. A request
analytics cannot answer gets 409 with DHIS2's error JSON naming the bad item.
"""

from __future__ import annotations

import csv
import datetime
import io

from django.http import HttpResponse, JsonResponse
from django.urls import re_path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema

from doha.aggregate.api.base import Dhis2View, dhis2_path
from doha.analytics.query import QueryError, run_query
from doha.core.api.schema import FLAG
from doha.core.api.schema import query_parameter as _query
from doha.core.tabular import csv_safe, export_response

KNOWN_DIMENSIONS = ("dx", "pe", "ou", "co")


def conflict(message: str, code: str | None = None) -> JsonResponse:
    body = {
        "httpStatus": "Conflict",
        "httpStatusCode": 409,
        "status": "ERROR",
        "message": str(message),
    }
    if code:
        body["errorCode"] = code
    return JsonResponse(body, status=409, json_dumps_params={"ensure_ascii": False})


def _flag(request, name: str) -> bool:
    value = request.query_params.get(name, "")
    return value.strip().lower() in ("true", "1", "yes")


def parse_dimensions(values: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """``["dx:a;b", "co"]`` -> ({"dx": ["a", "b"], "co": []}, ["dx", "co"])."""
    found: dict[str, list[str]] = {}
    order = []
    for value in values:
        name, _sep, items = (value or "").partition(":")
        name = name.strip()
        if name not in KNOWN_DIMENSIONS:
            raise QueryError(
                _("Dimension identifier does not reference any dimension: %(name)s")
                % {"name": name or value},
                "E7125",
            )
        if name in found:
            raise QueryError(
                _("Dimensions cannot be specified more than once: %(name)s") % {"name": name},
                "E7111",
            )
        parts = [item.strip() for item in items.split(";") if item.strip()]
        if name != "co" and not parts:
            raise QueryError(
                _("Dimension is present in query without any valid dimension options: %(name)s")
                % {"name": name},
                "E7124",
            )
        found[name] = parts
        order.append(name)
    return found, order


class AnalyticsView(Dhis2View):
    # Documented so that the schema (and the API fuzzing) knows the query's parameters.
    @extend_schema(
        operation_id="analytics_query",
        parameters=[
            _query("dimension", "dx:<uid>;<uid>, pe:<period>;..., ou:<uid>;..., or co.", many=True),
            _query("filter", "A dimension used as a filter, written as a dimension.", many=True),
            _query("relativePeriodDate", "Reference date of relative periods (YYYY-MM-DD)."),
            _query("displayProperty", "NAME or SHORTNAME.", enum=["NAME", "SHORTNAME"]),
            _query("inputIdScheme", "UID, CODE or NAME.", enum=["UID", "CODE", "NAME"]),
            _query("outputIdScheme", "UID, CODE or NAME.", enum=["UID", "CODE", "NAME"]),
            _query("aggregationType", "Overrides the aggregation of the data elements."),
            _query("boundaries", "Period boundaries of a program indicator (ignored)."),
            _query("hierarchyMeta", "Add the hierarchy of the units to the metadata.", **FLAG),
            _query("skipMeta", "Leave the metadata out.", **FLAG),
            _query("skipData", "Leave the rows out.", **FLAG),
            _query("skipRounding", "Do not round the values.", **FLAG),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="DHIS2 analytics grid."),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="A query DHIS2 refuses."),
        },
    )
    def get(self, request, api_version=None, fmt=None):
        fmt = self.requested_format(request, {"fmt": fmt})
        if fmt not in ("json", "csv", "xlsx"):
            return conflict(
                _("Analytics answers in json, csv or xlsx, not %(format)s.") % {"format": fmt}
            )
        try:
            dimensions, order = parse_dimensions(request.query_params.getlist("dimension"))
            filters, _filter_order = parse_dimensions(request.query_params.getlist("filter"))
            if not dimensions and not filters:
                raise QueryError(_("At least one dimension must be specified"), "E7101")
            for name in filters:
                if name in dimensions:
                    raise QueryError(
                        _(
                            "Dimensions cannot be specified as dimension and filter "
                            "simultaneously: %(name)s"
                        )
                        % {"name": name},
                        "E7103",
                    )
            reference_date = None
            text = request.query_params.get("relativePeriodDate")
            if text:
                try:
                    reference_date = datetime.date.fromisoformat(text.strip()[:10])
                except ValueError:
                    raise QueryError(
                        _("relativePeriodDate is not a date (YYYY-MM-DD): %(value)s")
                        % {"value": text}
                    ) from None
            result = run_query(
                request.user,
                dx=dimensions.get("dx", ()),
                pe=dimensions.get("pe", ()),
                ou=dimensions.get("ou", ()),
                filters=filters,
                boundaries=request.query_params.get("boundaries"),
                reference_date=reference_date,
                co="co" in dimensions,
                display_property=request.query_params.get("displayProperty", "NAME"),
                hierarchy_meta=_flag(request, "hierarchyMeta"),
                dimension_order=order,
                input_id_scheme=request.query_params.get("inputIdScheme", "UID"),
                aggregation_type=request.query_params.get("aggregationType") or None,
                skip_rounding=_flag(request, "skipRounding"),
            )
            body = result.as_dhis2(
                output_id_scheme=request.query_params.get("outputIdScheme", "UID"),
                skip_meta=_flag(request, "skipMeta"),
            )
        except QueryError as error:
            return conflict(error.message, error.code)
        if _flag(request, "skipData"):
            body["rows"] = []
            body["height"] = 0
        if fmt == "csv":
            return self.csv(body)
        if fmt == "xlsx":
            headers, rows = result.as_table()
            return export_response(headers, rows, "xlsx", "analytics", sheet_title=_("Data"))
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})

    def csv(self, body) -> HttpResponse:
        """DHIS2's CSV: the column labels, then the rows as in the JSON answer."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([csv_safe(h["column"]) for h in body["headers"]])
        writer.writerows([csv_safe(value) for value in row] for row in body["rows"])
        response = HttpResponse(buffer.getvalue(), content_type="application/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="analytics.csv"'
        return response


urlpatterns = [
    re_path(dhis2_path("analytics"), AnalyticsView.as_view(), name="dhis2-analytics"),
]
