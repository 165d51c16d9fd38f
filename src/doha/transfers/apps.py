from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    name = "doha.transfers"
    label = "transfers"
    verbose_name = _("Technique transfers")

    def ready(self):
        # A transfer accepted gets its technique option for the monthly counts of
        # sustainment (``doha.transfers.sustainment``).
        from doha.transfers import sustainment

        sustainment.connect()
