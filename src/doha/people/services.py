"""The CME ledger: append-only entries, corrections by reversing entries, and the rule of
Circular 32/2023/TT-BYT (at least DOHA_CME_REQUIRED_HOURS credit hours in every
DOHA_CME_PERIOD_YEARS consecutive years)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.people.models import CmeEntry, CmeSource, HealthWorker


@transaction.atomic
def add_cme_entry(
    worker: HealthWorker,
    *,
    date: datetime.date,
    hours,
    source: str = CmeSource.EXTERNAL,
    description: str,
    certificate_number: str = "",
) -> CmeEntry:
    hours = Decimal(str(hours))
    if hours <= 0:
        raise ValidationError({"hours": _("Credit hours must be more than zero.")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("The date cannot be in the future.")})
    entry = CmeEntry(
        worker=worker,
        date=date,
        hours=hours,
        source=source,
        description=description,
        certificate_number=certificate_number,
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def reverse_cme_entry(entry: CmeEntry, *, reason: str) -> CmeEntry:
    """Correct a mistaken entry with a linked entry of the opposite hours."""
    if entry.reverses_id or entry.hours < 0:
        raise ValidationError(_("A correcting entry cannot itself be corrected."))
    if hasattr(entry, "reversed_by"):
        raise ValidationError(_("This entry has already been corrected."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the entry is corrected.")})
    correction = CmeEntry(
        worker=entry.worker,
        date=timezone.localdate(),
        hours=-entry.hours,
        source=entry.source,
        description=_("Correction of %(entry)s: %(reason)s")
        % {"entry": entry.description, "reason": reason.strip()},
        reverses=entry,
    )
    correction.save()
    return correction


def cme_window(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The rolling period the rule looks at, ending today."""
    today = today or timezone.localdate()
    years = settings.DOHA_CME_PERIOD_YEARS
    try:
        start = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - years, day=28)
    return start + datetime.timedelta(days=1), today


def cme_hours(worker: HealthWorker, today: datetime.date | None = None) -> Decimal:
    start, end = cme_window(today)
    total = worker.cme_entries.filter(date__gte=start, date__lte=end).aggregate(n=Sum("hours"))["n"]
    return total or Decimal("0")


def cme_shortfall(queryset, today: datetime.date | None = None):
    """Workers of ``queryset`` with fewer credit hours than required in the period, each
    annotated with ``cme_hours`` and ``cme_missing``; ordered by facility then name."""
    from django.db.models import DecimalField, Q, Value
    from django.db.models.functions import Coalesce

    start, end = cme_window(today)
    required = Decimal(settings.DOHA_CME_REQUIRED_HOURS)
    qs = (
        queryset.filter(active=True)
        .annotate(
            cme_hours=Coalesce(
                Sum(
                    "cme_entries__hours",
                    filter=Q(cme_entries__date__gte=start, cme_entries__date__lte=end),
                ),
                Value(Decimal("0")),
                output_field=DecimalField(max_digits=8, decimal_places=1),
            )
        )
        .filter(cme_hours__lt=required)
    )
    rows = list(qs.select_related("facility").order_by("facility__sort_name", "sort_name"))
    for worker in rows:
        worker.cme_missing = required - worker.cme_hours
    return rows


# The register of health workers ------------------------------------------------------------


def _check_worker(worker: HealthWorker) -> None:
    errors = {}
    today = timezone.localdate()
    if worker.birth_date and worker.birth_date > today:
        errors["birth_date"] = _("The date of birth cannot be in the future.")
    if worker.licence_date:
        if worker.licence_date > today:
            errors["licence_date"] = _("The licence date cannot be in the future.")
        elif worker.birth_date and worker.licence_date <= worker.birth_date:
            errors["licence_date"] = _("The licence must be issued after the date of birth.")
    number = (worker.licence_number or "").strip()
    worker.licence_number = number
    if (
        number
        and HealthWorker.objects.filter(licence_number__iexact=number)
        .exclude(pk=worker.pk)
        .exists()
    ):
        errors["licence_number"] = _(
            "Another health worker already has the practising licence number %(number)s."
        ) % {"number": number}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_worker(worker: HealthWorker) -> HealthWorker:
    worker.normalize_text_fields()
    _check_worker(worker)
    worker.full_clean(validate_constraints=False)
    worker.save()
    return worker


@transaction.atomic
def update_worker(worker: HealthWorker) -> HealthWorker:
    worker.normalize_text_fields()
    _check_worker(worker)
    worker.full_clean(validate_constraints=False)
    worker.save()
    return worker


@transaction.atomic
def retire_worker(worker: HealthWorker) -> HealthWorker:
    """The person no longer works at the facility; the record and its ledger are kept."""
    if worker.active:
        worker.active = False
        worker.save()
    return worker


@transaction.atomic
def reactivate_worker(worker: HealthWorker) -> HealthWorker:
    if not worker.active:
        worker.active = True
        worker.save()
    return worker


def log_access(worker: HealthWorker, user, via: str = "page"):
    """Record that ``user`` opened the full record of ``worker`` (an ACCESS audit entry)."""
    from doha.core import privacy

    return privacy.log_access(worker, user, via=via)


def access_log(worker: HealthWorker):
    """Who opened this record, most recent first."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(HealthWorker),
            object_pk=str(worker.pk),
            action=LogEntry.Action.ACCESS,
        )
        .select_related("actor")
        .order_by("-timestamp")
    )
