from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AggregateConfig(AppConfig):
    name = "doha.aggregate"
    label = "aggregate"
    verbose_name = _("Facility statistics")

    def ready(self):
        # Figures derived from the activity apps' records follow every change of them
        # (the apps below send the signal; they never import this one).
        from doha.aggregate.activities import on_record_changed
        from doha.core.signals import record_changed

        record_changed.connect(on_record_changed, dispatch_uid="doha.aggregate.figures")
