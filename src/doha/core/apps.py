from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "doha.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # One place registers every change-logged model with the audit log.
        from auditlog.registry import auditlog

        from doha.core.models import ChangeLoggedMixin

        for model in apps.get_models():
            if issubclass(model, ChangeLoggedMixin) and not auditlog.contains(model):
                exclude = {"last_updated", "created", *getattr(model, "audit_exclude", [])}
                # Own columns only: reverse relations are other records' business and
                # would show as noise; many-to-many changes are logged as such.
                auditlog.register(
                    model,
                    include_fields=[
                        f.name for f in model._meta.concrete_fields if f.name not in exclude
                    ],
                    m2m_fields={f.name for f in model._meta.many_to_many},
                )
