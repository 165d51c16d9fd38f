from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RotationsConfig(AppConfig):
    name = "doha.rotations"
    label = "rotations"
    verbose_name = _("Rotations and secondments")
