"""OpenAPI description of doha's personal access tokens (``Authorization: ApiToken ...``).

Imported by ``UsersConfig.ready()`` so that drf-spectacular knows the scheme whenever the
schema is generated.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "doha.users.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A personal access token made on /account/tokens/, sent as "
                "`Authorization: ApiToken d2pat_...` (as DHIS2 clients send theirs)."
            ),
        }
