"""The cold chain: fridge temperatures, excursions and the holds they put on lots.

A reading outside its fridge's range (2-8 °C unless the fridge says otherwise) is an
excursion: every lot with doses at the fridge's store is put on hold (stock is kept per
store, not per shelf, so all of the store's lots are treated as exposed). A lot on hold can
be neither issued nor given (``stock.unusable_reason``) until a decision is recorded: use
(stability confirmed) or discard (its doses are written off as cold-chain wastage).

Readings come one by one (manual entry, twice a day) or as a logger's CSV/.xlsx file,
imported all or nothing: a refused row is reported with its number, column and reason.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.core.scope import can, in_scope
from doha.core.tabular import ImportReport, Rollback, UnreadableFile, is_blank_row, read_rows
from doha.core.text import fold, format_number
from doha.core.uid import generate_uid
from doha.vaccines import stock
from doha.vaccines.models import (
    EntryReason,
    Fridge,
    HoldDecision,
    Lot,
    LotHold,
    ReadingSource,
    StockBalance,
    Store,
    TemperatureReading,
)

# Readings outside these bounds are a logger's error codes or a typing mistake, not weather.
PLAUSIBLE_MIN = Decimal("-60")
PLAUSIBLE_MAX = Decimal("60")
MAX_UPLOAD_ROWS = 50000
# Older readings come from a logger whose clock was reset, not from a fridge in service.
EARLIEST_READING = datetime.datetime(2000, 1, 2, tzinfo=datetime.UTC)


def _authorize(user, store: Store, action: str) -> None:
    if user is None:
        return
    if not can(user, TemperatureReading, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    if not in_scope(user, store.org_unit.path):
        raise ValidationError({"fridge": _("This fridge is outside your scope.")})


def _c(value) -> str:
    """A temperature as Vietnamese write it: 11,3."""
    return format_number(Decimal(str(value)), 1)


def is_excursion(fridge: Fridge, temperature: Decimal) -> bool:
    return temperature < fridge.min_c or temperature > fridge.max_c


def _excursion_reason(reading: TemperatureReading) -> str:
    fridge = reading.fridge
    return _(
        "Cold-chain excursion: %(t)s °C in %(fridge)s at %(time)s (allowed %(lo)s–%(hi)s °C)"
    ) % {
        "t": _c(reading.temperature_c),
        "fridge": fridge.name,
        "time": timezone.localtime(reading.recorded_at).strftime("%d/%m/%Y %H:%M"),
        "lo": _c(fridge.min_c),
        "hi": _c(fridge.max_c),
    }


# --------------------------------------------------------------------------------------------
# Holds
# --------------------------------------------------------------------------------------------


def put_on_hold(
    store: Store,
    lot: Lot,
    *,
    reason: str,
    started_at=None,
    fridge: Fridge | None = None,
    excursion: TemperatureReading | None = None,
    user=None,
) -> tuple[LotHold, bool]:
    """Put a lot on hold at a store (an open hold is kept: a second excursion joins it).
    Returns the hold and whether it is new. The balance row is locked first, so an issue
    running at the same moment either finishes before the hold or sees it."""
    if user is not None:
        if not can(user, LotHold, "add"):
            raise PermissionDenied(_("Your role does not allow this action."))
        if not in_scope(user, store.org_unit.path):
            raise ValidationError({"store": _("This store is outside your scope.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the hold.")})
    with transaction.atomic():
        stock._locked_balance(store.pk, lot.pk)
        hold = stock.open_hold(store, lot)
        if hold is not None:
            return hold, False
        hold = LotHold(
            store=store,
            lot=lot,
            fridge=fridge,
            excursion=excursion,
            started_at=started_at or timezone.now(),
            reason=reason.strip()[:300],
        )
        hold.save()
        return hold, True


def hold_store_stock(reading: TemperatureReading) -> list[LotHold]:
    """Put on hold every lot with doses at the store of the reading's fridge; the new holds."""
    store = reading.fridge.store
    lots = Lot.objects.filter(
        pk__in=StockBalance.objects.filter(store=store, quantity__gt=0).values("lot_id")
    ).order_by("pk")
    reason = _excursion_reason(reading)
    created = []
    for lot in lots:
        hold, new = put_on_hold(
            store,
            lot,
            reason=reason,
            started_at=reading.recorded_at,
            fridge=reading.fridge,
            excursion=reading,
        )
        if new:
            created.append(hold)
    return created


def decide_hold(hold: LotHold, decision: str, *, user=None, note: str = "") -> LotHold:
    """Record the decision on a hold: ``use`` releases the lot; ``discard`` releases it and
    writes off every dose of it still at the store (cold-chain wastage after an excursion)."""
    store = hold.store
    if user is not None:
        if not can(user, LotHold, "change"):
            raise PermissionDenied(_("Your role does not allow this action."))
        if not in_scope(user, store.org_unit.path):
            raise ValidationError({"store": _("This store is outside your scope.")})
    errors = {}
    if decision not in HoldDecision.values:
        errors["decision"] = [_("Choose use or discard.")]
    if not (note or "").strip():
        errors["decision_note"] = [
            _("Say on what the decision rests (stability data, the manufacturer's advice, ...).")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        hold = (
            LotHold.objects.select_for_update(of=("self",))
            .select_related("lot", "store")
            .get(pk=hold.pk)
        )
        if hold.released_at is not None:
            raise ValidationError({"decision": _("A decision on this hold is already recorded.")})
        if decision == HoldDecision.DISCARD:
            stock._locked_balance(store.pk, hold.lot_id)
            doses = stock.on_hand(store, hold.lot)
            if doses > 0:
                stock.adjust(
                    store,
                    hold.lot,
                    -doses,
                    EntryReason.COLD_CHAIN if hold.excursion_id else EntryReason.RECALL,
                    user=user,
                    note=note,
                    reference=hold.uid,
                )
        hold.decision = decision
        hold.decision_note = note.strip()
        hold.released_at = timezone.now()
        hold.decided_by = user if getattr(user, "is_authenticated", False) else None
        hold.save()
        return hold


# --------------------------------------------------------------------------------------------
# Readings
# --------------------------------------------------------------------------------------------


def _check_reading(fridge: Fridge, recorded_at, temperature) -> dict:
    errors: dict[str, list] = {}
    if recorded_at is None:
        errors["recorded_at"] = [_("Give the time of the reading.")]
    elif recorded_at > timezone.now() + stock.FUTURE_TOLERANCE:
        errors["recorded_at"] = [_("The time of a reading cannot be in the future.")]
    if temperature is None:
        errors["temperature_c"] = [_("Give the temperature.")]
    elif not (PLAUSIBLE_MIN <= temperature <= PLAUSIBLE_MAX):
        errors["temperature_c"] = [
            _("%(t)s °C is not a fridge temperature (between %(lo)s and %(hi)s °C).")
            % {"t": _c(temperature), "lo": _c(PLAUSIBLE_MIN), "hi": _c(PLAUSIBLE_MAX)}
        ]
    return errors


def record_reading(
    fridge: Fridge,
    recorded_at: datetime.datetime,
    temperature_c,
    *,
    source: str = ReadingSource.MANUAL,
    user=None,
    note: str = "",
) -> TemperatureReading:
    """One reading; an excursion puts the store's lots on hold in the same transaction."""
    _authorize(user, fridge.store, "add")
    if not fridge.active:
        raise ValidationError({"fridge": _("This fridge is no longer in use.")})
    if recorded_at is not None and timezone.is_naive(recorded_at):
        recorded_at = timezone.make_aware(recorded_at)
    temperature = None if temperature_c is None else Decimal(str(temperature_c))
    errors = _check_reading(fridge, recorded_at, temperature)
    if (
        not errors
        and TemperatureReading.objects.filter(fridge=fridge, recorded_at=recorded_at).exists()
    ):
        errors["recorded_at"] = [_("A reading of this fridge at this time is already recorded.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        reading = TemperatureReading(
            fridge=fridge,
            recorded_at=recorded_at,
            temperature_c=temperature,
            source=source,
            excursion=is_excursion(fridge, temperature),
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
            note=note,
        )
        reading.save()
        if reading.excursion:
            hold_store_stock(reading)
        return reading


# Logger files ---------------------------------------------------------------------------

_TIMESTAMP_HEADERS = {
    "timestamp",
    "time stamp",
    "datetime",
    "date time",
    "date/time",
    "date & time",
    "date and time",
    "recorded at",
    "thoi gian",
    "ngay gio",
    "thoi diem",
}
_DATE_HEADERS = {"date", "ngay", "ngay do"}
_TIME_HEADERS = {"time", "gio", "gio do"}
_TEMPERATURE_HINTS = ("temp", "nhiet do", "°c", "value", "gia tri", "reading")
_UNIT_SUFFIX = re.compile(r"\s*(°\s*c|ºc|deg\s*c|c)\s*$", re.IGNORECASE)

MOMENT_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%Y %I:%M %p",
)
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d")
TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")


def _clean_header(cell) -> str:
    text = fold(str(cell or ""))
    return text.strip().strip('"').strip()


def _find_columns(header: list) -> dict[str, int]:
    """Which column holds the timestamp (or the date and the time) and the temperature."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _clean_header(cell)
        bare = re.sub(r"\s*\(.*\)\s*$", "", name).strip()
        if not name:
            continue
        if bare in _TIMESTAMP_HEADERS and "timestamp" not in found:
            found["timestamp"] = index
        elif bare in _DATE_HEADERS and "date" not in found:
            found["date"] = index
        elif bare in _TIME_HEADERS and "time" not in found:
            found["time"] = index
        elif "temperature" not in found and any(hint in name for hint in _TEMPERATURE_HINTS):
            found["temperature"] = index
    if "timestamp" not in found and "time" in found and "date" not in found:
        # A lone "time" column holds the whole moment.
        found["timestamp"] = found.pop("time")
    return found


def parse_moment(value) -> datetime.datetime | None:
    """dd/mm/yyyy HH:MM[:SS], ISO 8601 (with T, seconds, a zone), or a spreadsheet date-time;
    a moment without a zone is in the site's time zone. None when unreadable."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        return None
    else:
        text = " ".join(str(value).strip().split())
        moment = None
        for fmt in MOMENT_FORMATS:
            try:
                moment = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _parse_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_time(value) -> datetime.time | None:
    if isinstance(value, datetime.time):
        return value
    if isinstance(value, datetime.datetime):
        return value.time()
    text = " ".join(str(value or "").strip().split())
    for fmt in TIME_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


def parse_temperature(value) -> Decimal | None:
    """5.2, "5,2", "5.2 °C", "-1,5" -> Decimal; None when unreadable."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = _UNIT_SUFFIX.sub("", str(value).strip()).replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    # "1e309" is a Decimal but no temperature (and cannot be rounded to hundredths).
    if not number.is_finite() or abs(number) >= 1000:
        return None
    return number.quantize(Decimal("0.01"))


class UploadReport(ImportReport):
    """The import report, with what the file did to the cold chain."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.excursions = 0
        self.holds: list[LotHold] = []
        self.upload = ""


def upload_readings(fridge: Fridge, uploaded, *, user=None, dry_run: bool = False) -> UploadReport:
    """Import a logger's file for one fridge, all or nothing.

    Accepted shapes: a header with a timestamp column and a temperature column
    ("timestamp,temperature", "Date/Time,Temp (°C)", "Thời gian;Nhiệt độ"), or separate date
    and time columns ("Date,Time,Temperature"); lines above the header (device, serial
    number) are skipped. Times as dd/mm/yyyy HH:MM[:SS] or ISO 8601; temperatures with a
    decimal point or comma. A time already recorded with the same temperature is left as it
    is (overlapping downloads); with another temperature it is refused."""
    _authorize(user, fridge.store, "import")
    report = UploadReport(dry_run=dry_run)
    if not fridge.active:
        report.error(0, "", _("This fridge is no longer in use."))
        return report
    try:
        rows = read_rows(uploaded)
    except UnreadableFile as exc:
        report.error(0, "", str(exc))
        return report
    except Exception:  # noqa: BLE001 - any unreadable file gets the same clear answer
        report.error(0, "", _("The file cannot be read: it is not a valid .csv or .xlsx file."))
        return report
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if not is_blank_row(row)]
    header_number, columns = None, {}
    for number, row in numbered[:30]:
        candidate = _find_columns(row)
        if "temperature" in candidate and ("timestamp" in candidate or "date" in candidate):
            header_number, columns, header = number, candidate, row
            break
    if header_number is None:
        report.error(
            numbered[0][0] if numbered else 0,
            "",
            _(
                "No header with a time column (timestamp, or date and time) and a "
                "temperature column was found in the first rows."
            ),
        )
        return report
    if "date" in columns and "time" not in columns and "timestamp" not in columns:
        report.error(header_number, "", _("The date column needs a time column beside it."))
        return report
    report.columns = [(key, str(header[index]).strip()) for key, index in columns.items()]
    body = [(n, row) for n, row in numbered if n > header_number]
    if not body:
        report.error(header_number, "", _("The file has no readings under its header."))
        return report
    if len(body) > MAX_UPLOAD_ROWS:
        report.error(0, "", _("At most %(n)s rows per file.") % {"n": MAX_UPLOAD_ROWS})
        return report
    report.rows = len(body)

    def cell(row, key):
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else None

    parsed: dict[datetime.datetime, tuple[int, Decimal]] = {}
    now = timezone.now()
    for number, row in body:
        if "timestamp" in columns:
            moment = parse_moment(cell(row, "timestamp"))
            if moment is None:
                report.error(
                    number,
                    "timestamp",
                    _("Not a date and time: %(value)s (write dd/mm/yyyy hh:mm or ISO 8601).")
                    % {"value": cell(row, "timestamp") or "—"},
                )
        else:
            day, clock = _parse_date(cell(row, "date")), _parse_time(cell(row, "time"))
            moment = None
            if day is None:
                report.error(
                    number,
                    "date",
                    _("Not a date: %(value)s (write dd/mm/yyyy).")
                    % {"value": cell(row, "date") or "—"},
                )
            if clock is None:
                report.error(
                    number,
                    "time",
                    _("Not a time: %(value)s (write hh:mm).") % {"value": cell(row, "time") or "—"},
                )
            if day is not None and clock is not None:
                moment = timezone.make_aware(datetime.datetime.combine(day, clock))
        temperature = parse_temperature(cell(row, "temperature"))
        if temperature is None:
            report.error(
                number,
                "temperature",
                _("Not a temperature: %(value)s") % {"value": cell(row, "temperature") or "—"},
            )
        elif not (PLAUSIBLE_MIN <= temperature <= PLAUSIBLE_MAX):
            report.error(
                number,
                "temperature",
                _("%(t)s °C is not a fridge temperature (between %(lo)s and %(hi)s °C).")
                % {"t": _c(temperature), "lo": _c(PLAUSIBLE_MIN), "hi": _c(PLAUSIBLE_MAX)},
            )
            temperature = None
        if moment is None or temperature is None:
            continue
        if moment < EARLIEST_READING:
            report.error(
                number,
                "timestamp" if "timestamp" in columns else "date",
                _(
                    "A reading cannot be dated before %(date)s: check the logger's clock "
                    "(a reset clock restarts at 01/01/2000 or 01/01/1970)."
                )
                % {"date": timezone.localtime(EARLIEST_READING).strftime("%d/%m/%Y")},
            )
            continue
        if moment > now + stock.FUTURE_TOLERANCE:
            report.error(
                number,
                "timestamp" if "timestamp" in columns else "date",
                _("The time of a reading cannot be in the future."),
            )
            continue
        if moment in parsed:
            first, value = parsed[moment]
            if value != temperature:
                report.error(
                    number,
                    "timestamp" if "timestamp" in columns else "date",
                    _("Row %(row)s has the same time with another temperature.") % {"row": first},
                )
            continue
        parsed[moment] = (number, temperature)
    if report.errors:
        return report
    existing = {
        r.recorded_at: r.temperature_c
        for r in TemperatureReading.objects.filter(
            fridge=fridge, recorded_at__gte=min(parsed), recorded_at__lte=max(parsed)
        )
    }
    upload = generate_uid()
    report.upload = upload
    try:
        with transaction.atomic():
            first_excursion = None
            for moment in sorted(parsed):
                number, temperature = parsed[moment]
                if moment in existing:
                    if existing[moment] == temperature:
                        report.unchanged += 1
                    else:
                        report.error(
                            number,
                            "temperature",
                            _(
                                "A reading of this fridge at this time is already recorded "
                                "with %(t)s °C."
                            )
                            % {"t": _c(existing[moment])},
                        )
                    continue
                reading = TemperatureReading(
                    fridge=fridge,
                    recorded_at=moment,
                    temperature_c=temperature,
                    source=ReadingSource.LOGGER,
                    excursion=is_excursion(fridge, temperature),
                    upload=upload,
                    recorded_by=user if getattr(user, "is_authenticated", False) else None,
                )
                reading.save()
                report.created += 1
                if reading.excursion:
                    report.excursions += 1
                    first_excursion = first_excursion or reading
            if first_excursion is not None and not report.errors:
                report.holds = hold_store_stock(first_excursion)
            if report.errors or dry_run:
                raise Rollback
    except Rollback:
        if report.errors:
            report.holds = []
    return report
