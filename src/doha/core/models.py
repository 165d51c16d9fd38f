"""Abstract base models with opt-in features (timestamps, change logging, retirement)."""

import unicodedata

from django.db import models
from django.utils.translation import gettext_lazy as _

from doha.core.scope import RestrictedQuerySet
from doha.core.text import nfc


class TimestampedModel(models.Model):
    created = models.DateTimeField(_("created"), auto_now_add=True, null=True)
    last_updated = models.DateTimeField(_("last updated"), auto_now=True, null=True)

    class Meta:
        abstract = True


class NormalizedTextMixin(models.Model):
    """Stores every character field in Unicode NFC, white space folded."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.normalize_text_fields()
        super().save(*args, **kwargs)

    def normalize_text_fields(self):
        for field in self._meta.concrete_fields:
            value = getattr(self, field.attname)
            if not isinstance(value, str):
                continue
            if isinstance(field, models.CharField):
                setattr(self, field.attname, nfc(value))
            elif isinstance(field, models.TextField):
                setattr(self, field.attname, unicodedata.normalize("NFC", value).strip())

    def clean_fields(self, exclude=None):
        self.normalize_text_fields()
        super().clean_fields(exclude=exclude)


class ChangeLoggedMixin(models.Model):
    """Every create, update and delete is written to the audit log (see apps.ready)."""

    class Meta:
        abstract = True


class BaseModel(NormalizedTextMixin, ChangeLoggedMixin, TimestampedModel):
    """The base of every domain model: NFC text, timestamps, audit, restrict()."""

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        abstract = True
