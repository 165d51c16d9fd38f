"""The base of every DHIS2-compatible endpoint.

DHIS2 clients sign in with HTTP basic auth or ``Authorization: ApiToken ...``; an
unauthenticated call answers 401 with a ``WWW-Authenticate: Basic`` challenge, as DHIS2 does.
Browsers signed in to doha use their session (with CSRF on writes).
"""

from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from doha.core.api.viewsets import refuse_null_characters
from doha.users.authentication import ApiTokenAuthentication

# Paths as DHIS2 serves them: ``/api/dataValueSets``, ``/api/40/dataValueSets`` and
# ``/api/dataValueSets.json`` all name the same resource.
API_VERSION = r"(?:(?P<api_version>\d{2})/)?"
FORMAT_SUFFIX = r"(?:\.(?P<fmt>json|csv|xml|adx|xlsx))?"


def dhis2_path(name: str) -> str:
    """A regex for re_path: optional API version, the name, optional format suffix."""
    return rf"^{API_VERSION}{name}{FORMAT_SUFFIX}/?$"


class Dhis2View(APIView):
    authentication_classes = [
        BasicAuthentication,
        ApiTokenAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [IsAuthenticated]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Query parameters only: the imports read the body themselves.
        refuse_null_characters(request.query_params)

    def requested_format(self, request, kwargs, default="json"):
        """The format asked by suffix, ``format`` parameter, or Accept header."""
        fmt = kwargs.get("fmt") or request.query_params.get("format")
        if fmt:
            return fmt.lower()
        accept = request.headers.get("Accept", "")
        if "application/adx+xml" in accept:
            return "adx"
        if "text/csv" in accept or "application/csv" in accept:
            return "csv"
        if "application/xml" in accept:
            return "xml"
        return default
