"""Query parameters for the OpenAPI schema of views that read ``request.query_params`` by
hand (the DHIS2-compatible endpoints), so that the schema and the API fuzzing know them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

FLAG = {"kind": OpenApiTypes.BOOL}
ID_SCHEMES = ["UID", "CODE", "NAME"]


def query_parameter(name, description, many=False, kind=OpenApiTypes.STR, enum=None):
    return OpenApiParameter(
        name, kind, OpenApiParameter.QUERY, description=description, many=many, enum=enum
    )
