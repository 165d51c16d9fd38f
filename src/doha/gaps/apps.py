from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GapsConfig(AppConfig):
    name = "doha.gaps"
    label = "gaps"
    verbose_name = _("Technique gaps")
