from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "doha.users"
    label = "users"
    verbose_name = _("Users")

    def ready(self):
        # Registers the OpenAPI scheme of personal access tokens with drf-spectacular.
        from doha.users import api_schema  # noqa: F401
