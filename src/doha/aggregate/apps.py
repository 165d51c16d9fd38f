from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AggregateConfig(AppConfig):
    name = "doha.aggregate"
    label = "aggregate"
    verbose_name = _("Facility statistics")
