"""Signals the apps send for the layers above them.

Data flows one way (DESIGN.md): the activity apps (transfers, rotations, training,
telehealth, donations, vaccines) must not import the aggregate layer, yet the aggregate
layer derives monthly figures from their records. So an activity service announces that a
record changed with ``notify_record_changed`` and the aggregate app, which connects a
receiver in its ``AppConfig.ready()``, recomputes what depends on it.

``record_changed`` is sent with ``sender`` = the model class of the record that changed and
``org_unit`` (the facility whose figures it touches), ``first`` and ``last`` (the first and
last day it affects: one day, or a rotation's span). It is sent only once the transaction
that changed the record has committed — a rolled-back change sends nothing — and a failing
receiver is logged, never raised: the record is saved whatever happens to the figures.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

logger = logging.getLogger("doha.figures")

record_changed = Signal()


def _day(value) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def notify_record_changed(sender, org_unit, first, last=None) -> None:
    """After the current transaction commits, tell the receivers that the figures of
    ``org_unit`` from the day ``first`` through ``last`` (default: ``first``) may have
    changed. Nothing is sent when the unit or the day is unknown."""
    first, last = _day(first), _day(last)
    if org_unit is None or first is None:
        return
    last = last or first
    if last < first:
        first, last = last, first

    def send():
        results = record_changed.send_robust(
            sender=sender, org_unit=org_unit, first=first, last=last
        )
        for receiver, result in results:
            if isinstance(result, Exception):
                logger.error(
                    "Figures of %s for %s–%s were not recomputed after a change of %s (%s): %s",
                    org_unit,
                    first,
                    last,
                    getattr(sender, "__name__", sender),
                    getattr(receiver, "__qualname__", receiver),
                    result,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send)


def notify_records_changed(sender, changes) -> None:
    """``notify_record_changed`` for several ``(org_unit, first, last)`` at once: the same
    unit and span are sent once."""
    seen = set()
    for org_unit, first, last in changes:
        key = (getattr(org_unit, "pk", org_unit), _day(first), _day(last))
        if key in seen:
            continue
        seen.add(key)
        notify_record_changed(sender, org_unit, first, last)
