from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "doha.visits"
    label = "visits"
    verbose_name = _("Visits and follow-up actions")

    def ready(self):
        # The share of actions closed on time follows every change of an action (the
        # services send the signal after commit; the aggregate app's own receiver ignores
        # what it does not compute).
        from doha.core.signals import record_changed
        from doha.visits.figures import on_record_changed

        record_changed.connect(on_record_changed, dispatch_uid="doha.visits.figures")
