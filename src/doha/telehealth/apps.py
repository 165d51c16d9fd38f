from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelehealthConfig(AppConfig):
    name = "doha.telehealth"
    label = "telehealth"
    verbose_name = _("Remote consultations and tele-education")
