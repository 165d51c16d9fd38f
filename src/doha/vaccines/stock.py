"""The vaccine stock ledger: every movement of doses is a row of ``StockEntry``.

Rules (OpenLMIS stock management, DESIGN.md "Ledgers are append-only"):

* entries are never edited nor deleted; a mistake is corrected by a linked reversing entry
  (``reverse_movement``) that undoes every entry of the movement;
* ``StockBalance`` caches the ledger's sum per store and lot. It is changed only here, in the
  transaction that writes the entries, after ``select_for_update`` has locked its row (rows
  are locked in one order, so two movements never deadlock), and the database refuses a
  negative balance (a check constraint): two clerks issuing the last doses at the same
  moment cannot both succeed;
* a movement that would take a balance below zero, now or at any later moment of the ledger
  (a back-dated entry), is refused whole;
* an expired lot, or a lot on hold at the store, cannot be received, issued, transferred or
  administered (it may still be returned, written off or adjusted);
* lots are suggested first-expiry-first-out (``suggest_lots``); ``expiry_warnings`` lists
  stock expiring within 30, 60 and 90 days; a physical count is reconciled with the ledger by
  adjusting entries dated at the count (``reconcile_count``).

``user=None`` means the system itself (demo loader, other services): no role or scope check.
Errors are ``ValidationError``s naming the field and the reason; role refusals are
``PermissionDenied``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.core.scope import can, in_scope
from doha.core.uid import generate_uid
from doha.vaccines.models import (
    CountStatus,
    EntryKind,
    EntryReason,
    Lot,
    LotHold,
    StockBalance,
    StockCount,
    StockCountLine,
    StockEntry,
    Store,
    StoreKind,
    Supplier,
    Vaccine,
)

EXPIRY_HORIZONS = (30, 60, 90)
# Reasons that write doses off (a negative adjustment with one of them is wastage).
LOSS_REASONS = (
    EntryReason.EXPIRED,
    EntryReason.BROKEN,
    EntryReason.COLD_CHAIN,
    EntryReason.VVM_3,
    EntryReason.VVM_4,
    EntryReason.OPENED_VIAL,
    EntryReason.RECALL,
)
ADJUSTMENT_REASONS = (
    *LOSS_REASONS,
    EntryReason.COUNT_CORRECTION,
    EntryReason.OTHER,
)
# A clock a few minutes ahead of the server's is not "the future".
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class Line:
    """Doses of one lot in a movement (always a positive number of doses)."""

    lot: Lot
    quantity: int


# --------------------------------------------------------------------------------------------
# Reading the ledger
# --------------------------------------------------------------------------------------------


def ledger_balance(store: Store, lot: Lot, at: datetime.datetime | None = None) -> int:
    """The sum of the ledger for a store and lot (up to and including ``at``)."""
    entries = StockEntry.objects.filter(store=store, lot=lot)
    if at is not None:
        entries = entries.filter(occurred_at__lte=at)
    return entries.aggregate(total=Sum("quantity"))["total"] or 0


def on_hand(store: Store, lot: Lot) -> int:
    """The cached balance (equal to the ledger's sum)."""
    row = StockBalance.objects.filter(store=store, lot=lot).values_list("quantity", flat=True)
    return row.first() or 0


def mismatches(stores=None) -> list[tuple[Store, Lot, int, int]]:
    """(store, lot, cached balance, ledger sum) wherever the two differ: always empty unless
    someone wrote to the tables behind the services' back."""
    sums = StockEntry.objects.values("store_id", "lot_id").annotate(total=Sum("quantity"))
    balances = StockBalance.objects.all()
    if stores is not None:
        sums = sums.filter(store__in=stores)
        balances = balances.filter(store__in=stores)
    ledger = {(r["store_id"], r["lot_id"]): r["total"] for r in sums}
    cached = {(b.store_id, b.lot_id): b.quantity for b in balances}
    found = []
    for key in sorted(set(ledger) | set(cached)):
        if ledger.get(key, 0) != cached.get(key, 0):
            found.append((key, cached.get(key, 0), ledger.get(key, 0)))
    stores_by_id = Store.objects.in_bulk({k[0] for k, _c, _l in found})
    lots_by_id = Lot.objects.in_bulk({k[1] for k, _c, _l in found})
    return [(stores_by_id[k[0]], lots_by_id[k[1]], c, s) for k, c, s in found]


def open_hold(store: Store, lot: Lot) -> LotHold | None:
    return LotHold.objects.filter(store=store, lot=lot, released_at__isnull=True).first()


def unusable_reason(store: Store, lot: Lot, on: datetime.date) -> str | None:
    """Why doses of ``lot`` at ``store`` may not be issued or given on ``on``, or None."""
    if lot.is_expired(on):
        return _("Lot %(lot)s of %(vaccine)s expired on %(date)s.") % {
            "lot": lot.lot_number,
            "vaccine": lot.vaccine,
            "date": lot.expiry_date.strftime("%d/%m/%Y"),
        }
    hold = open_hold(store, lot)
    if hold is not None:
        return _(
            "Lot %(lot)s is on hold at %(store)s since %(since)s (%(reason)s): "
            "record a decision on the hold first."
        ) % {
            "lot": lot.lot_number,
            "store": store,
            "since": timezone.localtime(hold.started_at).strftime("%d/%m/%Y %H:%M"),
            "reason": hold.reason,
        }
    return None


@dataclass
class Suggestion:
    lot: Lot
    available: int
    take: int


def suggest_lots(
    store: Store, vaccine: Vaccine, quantity: int = 1, on: datetime.date | None = None
) -> tuple[list[Suggestion], int]:
    """First-expiry-first-out: the usable lots of ``vaccine`` at ``store`` in the order to
    take them, how many doses to take from each for ``quantity``, and the doses still
    missing (0 when the stock covers the quantity). Expired and held lots are left out."""
    on = on or timezone.localdate()
    held = LotHold.objects.filter(store=store, released_at__isnull=True).values("lot_id")
    balances = (
        StockBalance.objects.filter(
            store=store, lot__vaccine=vaccine, quantity__gt=0, lot__expiry_date__gte=on
        )
        .exclude(lot_id__in=held)
        .select_related("lot", "lot__vaccine")
        .order_by("lot__expiry_date", "lot__lot_number", "lot_id")
    )
    remaining = max(int(quantity or 0), 0)
    suggestions = []
    for balance in balances:
        take = min(balance.quantity, remaining)
        remaining -= take
        suggestions.append(Suggestion(balance.lot, balance.quantity, take))
    return suggestions, remaining


@dataclass
class ExpiryWarning:
    balance: StockBalance
    days_left: int
    horizon: int | None  # 30, 60 or 90; None when already expired

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def expiry_warnings(
    balances, on: datetime.date | None = None, horizons=EXPIRY_HORIZONS
) -> list[ExpiryWarning]:
    """Stock on hand expiring within the longest horizon (or expired), soonest first, each
    in the shortest horizon that holds it."""
    on = on or timezone.localdate()
    limit = on + datetime.timedelta(days=max(horizons))
    rows = (
        balances.filter(quantity__gt=0, lot__expiry_date__lte=limit)
        .select_related("store", "store__org_unit", "lot", "lot__vaccine")
        .order_by("lot__expiry_date", "store__name", "lot__lot_number")
    )
    warnings = []
    for balance in rows:
        days = (balance.lot.expiry_date - on).days
        horizon = None if days < 0 else next(h for h in sorted(horizons) if days <= h)
        warnings.append(ExpiryWarning(balance, days, horizon))
    return warnings


# --------------------------------------------------------------------------------------------
# Writing the ledger
# --------------------------------------------------------------------------------------------


def _authorize(user, store: Store, action: str = "add") -> None:
    if user is None:
        return
    if not can(user, StockEntry, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    if not in_scope(user, store.org_unit.path):
        raise ValidationError({"store": _("This store is outside your scope.")})


def _moment(occurred_at) -> datetime.datetime:
    if occurred_at is None:
        return timezone.now()
    if isinstance(occurred_at, datetime.date) and not isinstance(occurred_at, datetime.datetime):
        occurred_at = datetime.datetime.combine(occurred_at, datetime.time(12, 0))
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"occurred_at": _("The time of a movement cannot be in the future.")})
    return occurred_at


def _check_lines(lines: list[Line]) -> list[Line]:
    lines = [line for line in lines if line is not None]
    if not lines:
        raise ValidationError({"lines": _("Give at least one lot and its number of doses.")})
    problems = []
    seen = set()
    for number, line in enumerate(lines, start=1):
        label = _("Line %(n)s (%(lot)s): ") % {
            "n": number,
            "lot": line.lot.lot_number if line.lot else "—",
        }
        if line.lot is None:
            problems.append(label + _("Choose a lot."))
            continue
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            problems.append(label + _("The number of doses must be a whole number above zero."))
        if line.lot.pk in seen:
            problems.append(label + _("This lot is already on another line."))
        seen.add(line.lot.pk)
    if problems:
        raise ValidationError({"lines": problems})
    return lines


def _locked_balance(store_id: int, lot_id: int) -> StockBalance:
    """The balance row of a store and lot, locked until the transaction ends (created at
    zero the first time; a concurrent creation is caught by the unique constraint)."""
    locked = StockBalance.objects.select_for_update()
    try:
        return locked.get(store_id=store_id, lot_id=lot_id)
    except StockBalance.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return StockBalance.objects.create(store_id=store_id, lot_id=lot_id, quantity=0)
    except IntegrityError:
        return locked.get(store_id=store_id, lot_id=lot_id)


def _lowest_running_balance(store_id: int, lot_id: int, moment: datetime.datetime) -> int:
    """The lowest balance the ledger shows from ``moment`` on (before a new entry)."""
    entries = StockEntry.objects.filter(store_id=store_id, lot_id=lot_id)
    running = entries.filter(occurred_at__lte=moment).aggregate(t=Sum("quantity"))["t"] or 0
    lowest = running
    later = entries.filter(occurred_at__gt=moment).order_by("occurred_at", "pk")
    for quantity in later.values_list("quantity", flat=True).iterator():
        running += quantity
        lowest = min(lowest, running)
    return lowest


def _post(entries: list[StockEntry], *, usable: set[tuple[int, int]] = frozenset()) -> list:
    """Write ``entries`` (one movement) and their balances, all or nothing.

    ``usable``: the (store id, lot id) pairs whose lot must be neither expired nor on hold
    (checked after the balance rows are locked, so a hold recorded at the same moment
    is seen)."""
    with transaction.atomic():
        deltas: dict[tuple[int, int], int] = defaultdict(int)
        earliest: dict[tuple[int, int], datetime.datetime] = {}
        for entry in entries:
            key = (entry.store_id, entry.lot_id)
            deltas[key] += entry.quantity
            if key not in earliest or entry.occurred_at < earliest[key]:
                earliest[key] = entry.occurred_at
        balances = {key: _locked_balance(*key) for key in sorted(deltas)}
        stores = {e.store_id: e.store for e in entries}
        lots = {e.lot_id: e.lot for e in entries}
        problems = []
        for key in sorted(usable):
            store, lot = stores[key[0]], lots[key[1]]
            moment = earliest.get(key)
            reason = unusable_reason(store, lot, timezone.localdate(moment))
            if reason:
                problems.append(reason)
        for key, delta in sorted(deltas.items()):
            if delta >= 0:
                continue
            store, lot = stores[key[0]], lots[key[1]]
            have = balances[key].quantity
            if have + delta < 0:
                problems.append(
                    _(
                        "Only %(have)s doses of lot %(lot)s are in stock at %(store)s: "
                        "%(need)s cannot be taken."
                    )
                    % {"have": have, "lot": lot.lot_number, "store": store, "need": -delta}
                )
                continue
            lowest = _lowest_running_balance(*key, earliest[key])
            if lowest + delta < 0:
                problems.append(
                    _(
                        "At %(store)s, lot %(lot)s had only %(have)s doses at some moment "
                        "after %(time)s: a movement dated then would take the stock below zero."
                    )
                    % {
                        "store": store,
                        "lot": lot.lot_number,
                        "have": max(lowest, 0),
                        "time": timezone.localtime(earliest[key]).strftime("%d/%m/%Y %H:%M"),
                    }
                )
        if problems:
            raise ValidationError({"quantity": problems})
        now = timezone.now()
        for key, delta in deltas.items():
            if delta:
                # F(): the database adds to the locked row, and its check constraint is the
                # last guard against a negative balance.
                StockBalance.objects.filter(pk=balances[key].pk).update(
                    quantity=F("quantity") + delta, last_updated=now
                )
        for entry in entries:
            entry.save()
        return entries


def _entry(store, lot, kind, quantity, moment, user, movement, **extra) -> StockEntry:
    return StockEntry(
        store=store,
        lot=lot,
        kind=kind,
        quantity=quantity,
        occurred_at=moment,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        movement=movement,
        **extra,
    )


def _require_active(store: Store, field: str):
    if store is None:
        raise ValidationError({field: _("Choose a store.")})
    if not store.active:
        raise ValidationError({field: _("This store is closed.")})


def find_or_create_lot(
    vaccine: Vaccine,
    lot_number: str,
    expiry_date: datetime.date,
    manufacturer: str = "",
) -> Lot:
    """The lot of ``vaccine`` with that number, made on its first receipt. The same number
    with another expiry date is refused (a typing mistake, or a different lot)."""
    number = (lot_number or "").strip()
    if not number:
        raise ValidationError({"lot_number": _("Give the lot number.")})
    if expiry_date is None:
        raise ValidationError({"expiry_date": _("Give the expiry date.")})
    lot = Lot.objects.filter(vaccine=vaccine, lot_number__iexact=number).first()
    if lot is None:
        lot = Lot(
            vaccine=vaccine,
            lot_number=number,
            expiry_date=expiry_date,
            manufacturer=manufacturer or vaccine.manufacturer,
        )
        lot.full_clean()
        lot.save()
        return lot
    if lot.expiry_date != expiry_date:
        raise ValidationError(
            {
                "expiry_date": _(
                    "Lot %(lot)s of %(vaccine)s is recorded with the expiry date %(date)s."
                )
                % {
                    "lot": lot.lot_number,
                    "vaccine": vaccine,
                    "date": lot.expiry_date.strftime("%d/%m/%Y"),
                }
            }
        )
    return lot


def receive(
    store: Store,
    lines: list[Line],
    *,
    supplier: Supplier | None,
    reference: str,
    occurred_at=None,
    user=None,
    note: str = "",
) -> list[StockEntry]:
    """Doses received from a supplier against an invoice (one entry per lot)."""
    _require_active(store, "store")
    _authorize(user, store)
    errors = {}
    if supplier is None:
        errors["supplier"] = [_("Choose the supplier.")]
    elif not supplier.active:
        errors["supplier"] = [_("This supplier is no longer active.")]
    elif user is not None and not in_scope(user, supplier.org_unit.path):
        errors["supplier"] = [_("This supplier is outside your scope.")]
    if not (reference or "").strip():
        errors["reference"] = [_("Give the invoice number.")]
    if errors:
        raise ValidationError(errors)
    lines = _check_lines(lines)
    moment = _moment(occurred_at)
    movement = generate_uid()
    expired = [line.lot for line in lines if line.lot.is_expired(timezone.localdate(moment))]
    if expired:
        raise ValidationError(
            {
                "lines": [
                    _("Lot %(lot)s expired on %(date)s: it cannot be received.")
                    % {"lot": lot.lot_number, "date": lot.expiry_date.strftime("%d/%m/%Y")}
                    for lot in expired
                ]
            }
        )
    entries = [
        _entry(
            store,
            line.lot,
            EntryKind.RECEIPT,
            line.quantity,
            moment,
            user,
            movement,
            supplier=supplier,
            reference=reference.strip(),
            note=note,
        )
        for line in lines
    ]
    return _post(entries)


def _between(
    source: Store,
    destination: Store,
    lines: list[Line],
    out_kind: str,
    in_kind: str,
    *,
    occurred_at,
    user,
    reference: str,
    note: str,
    reason: str = "",
    check_usable: bool = True,
) -> list[StockEntry]:
    lines = _check_lines(lines)
    moment = _moment(occurred_at)
    movement = generate_uid()
    entries = []
    for line in lines:
        common = {"reference": (reference or "").strip(), "note": note, "reason": reason}
        entries.append(
            _entry(
                source,
                line.lot,
                out_kind,
                -line.quantity,
                moment,
                user,
                movement,
                counterpart=destination,
                **common,
            )
        )
        entries.append(
            _entry(
                destination,
                line.lot,
                in_kind,
                line.quantity,
                moment,
                user,
                movement,
                counterpart=source,
                **common,
            )
        )
    usable = {(source.pk, line.lot.pk) for line in lines} if check_usable else set()
    return _post(entries, usable=usable)


def issue(
    source: Store,
    destination: Store,
    lines: list[Line],
    *,
    occurred_at=None,
    user=None,
    reference: str = "",
    note: str = "",
) -> list[StockEntry]:
    """Doses issued by a centre store to one of its vaccination points: an issue out of the
    centre and a receipt into the point, in one movement."""
    _require_active(source, "store")
    _require_active(destination, "counterpart")
    _authorize(user, source)
    if source.kind != StoreKind.CENTRE:
        raise ValidationError({"store": _("Only a centre store issues vaccine to points.")})
    if destination.kind != StoreKind.POINT:
        raise ValidationError({"counterpart": _("Vaccine is issued to a vaccination point.")})
    if destination.supplied_by_id and destination.supplied_by_id != source.pk:
        raise ValidationError(
            {
                "counterpart": _("%(point)s receives its vaccine from %(centre)s.")
                % {"point": destination, "centre": destination.supplied_by}
            }
        )
    return _between(
        source,
        destination,
        lines,
        EntryKind.ISSUE,
        EntryKind.RECEIPT,
        occurred_at=occurred_at,
        user=user,
        reference=reference,
        note=note,
    )


def transfer(
    source: Store,
    destination: Store,
    lines: list[Line],
    *,
    occurred_at=None,
    user=None,
    reference: str = "",
    note: str = "",
) -> list[StockEntry]:
    """Doses moved between two stores (a point lending to another point, say)."""
    _require_active(source, "store")
    _require_active(destination, "counterpart")
    _authorize(user, source)
    if source.pk == destination.pk:
        raise ValidationError({"counterpart": _("Choose another store than the source.")})
    if user is not None and not in_scope(user, destination.org_unit.path):
        raise ValidationError({"counterpart": _("This store is outside your scope.")})
    return _between(
        source,
        destination,
        lines,
        EntryKind.TRANSFER_OUT,
        EntryKind.TRANSFER_IN,
        occurred_at=occurred_at,
        user=user,
        reference=reference,
        note=note,
    )


def return_stock(
    source: Store,
    lines: list[Line],
    *,
    destination: Store | None = None,
    reason: str = "",
    occurred_at=None,
    user=None,
    reference: str = "",
    note: str = "",
) -> list[StockEntry]:
    """Doses a point sends back to the centre store that supplies it (expired, recalled,
    left over). Expired lots may be returned; lots on hold stay where they are."""
    _require_active(source, "store")
    _authorize(user, source)
    destination = destination or source.supplied_by
    if destination is None:
        raise ValidationError({"counterpart": _("Choose the centre store to return to.")})
    _require_active(destination, "counterpart")
    if destination.pk == source.pk:
        raise ValidationError({"counterpart": _("Choose another store than the source.")})
    if destination.kind != StoreKind.CENTRE:
        raise ValidationError({"counterpart": _("Vaccine is returned to a centre store.")})
    if reason and reason not in EntryReason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    lines = _check_lines(lines)
    held = [line.lot for line in lines if open_hold(source, line.lot) is not None]
    if held:
        raise ValidationError(
            {
                "lines": [
                    _("Lot %(lot)s is on hold here: record a decision on the hold first.")
                    % {"lot": lot.lot_number}
                    for lot in held
                ]
            }
        )
    return _between(
        source,
        destination,
        lines,
        EntryKind.RETURN,
        EntryKind.RETURN,
        occurred_at=occurred_at,
        user=user,
        reference=reference,
        note=note,
        reason=reason,
        check_usable=False,
    )


def adjust(
    store: Store,
    lot: Lot,
    quantity: int,
    reason: str,
    *,
    occurred_at=None,
    user=None,
    note: str = "",
    reference: str = "",
    count_line: StockCountLine | None = None,
) -> StockEntry:
    """Doses added (+) or written off (-) with a reason. A write-off for expiry, breakage, a
    cold-chain break, VVM stage 3/4, an opened vial or a recall is recorded as wastage."""
    _require_active(store, "store")
    _authorize(user, store)
    if reason not in ADJUSTMENT_REASONS:
        raise ValidationError({"reason": _("Choose the reason of the adjustment.")})
    if not isinstance(quantity, int) or quantity == 0:
        raise ValidationError({"quantity": _("Give a number of doses other than zero.")})
    if lot is None:
        raise ValidationError({"lot": _("Choose a lot.")})
    loss = reason in LOSS_REASONS
    if loss and quantity > 0:
        raise ValidationError(
            {
                "quantity": _("A loss (%(reason)s) takes doses out: give a negative number.")
                % {"reason": EntryReason(reason).label}
            }
        )
    if reason in (EntryReason.OTHER,) and not (note or "").strip():
        raise ValidationError({"note": _("Explain the adjustment.")})
    kind = EntryKind.WASTAGE if loss else EntryKind.ADJUSTMENT
    entry = _entry(
        store,
        lot,
        kind,
        quantity,
        _moment(occurred_at),
        user,
        generate_uid(),
        reason=reason,
        note=note,
        reference=reference,
        count_line=count_line,
    )
    return _post([entry])[0]


def administer(
    store: Store,
    lot: Lot,
    *,
    dose=None,
    quantity: int = 1,
    occurred_at=None,
    user=None,
    reference: str = "",
) -> StockEntry:
    """Doses given at a vaccination point (the visit's service calls this with its dose):
    the lot must be in stock there, not expired on the day and not on hold."""
    _require_active(store, "store")
    if user is not None and not in_scope(user, store.org_unit.path):
        raise ValidationError({"store": _("This store is outside your scope.")})
    if lot is None:
        raise ValidationError({"lot": _("Choose a lot.")})
    if not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError({"quantity": _("The number of doses must be above zero.")})
    entry = _entry(
        store,
        lot,
        EntryKind.ADMINISTERED,
        -quantity,
        _moment(occurred_at),
        user,
        generate_uid(),
        dose=dose,
        reference=reference,
    )
    try:
        return _post([entry], usable={(store.pk, lot.pk)})[0]
    except ValidationError as exc:
        # The visit's form shows this on its lot field.
        raise ValidationError({"lot": exc.message_dict.get("quantity", exc.messages)}) from exc


def reverse_movement(
    entry: StockEntry, *, user=None, note: str = "", allow_administered: bool = False
) -> list[StockEntry]:
    """Undo a movement by reversing entries, dated now: every entry of ``entry``'s movement
    (both sides of an issue or transfer) gets a linked entry with the opposite quantity.
    Refused when it would take a balance below zero (the doses were already used)."""
    store = entry.store
    if user is not None:
        if not can(user, StockEntry, "change"):
            raise PermissionDenied(_("Your role does not allow this action."))
        if not in_scope(user, store.org_unit.path):
            raise ValidationError({"store": _("This store is outside your scope.")})
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the movement is reversed.")})
    if entry.reverses_id:
        raise ValidationError({"reverses": _("This entry is itself a correction.")})
    originals = list(
        StockEntry.objects.filter(movement=entry.movement, reverses__isnull=True)
        .select_related("store", "lot")
        .order_by("pk")
    )
    if any(e.kind == EntryKind.ADMINISTERED for e in originals) and not allow_administered:
        raise ValidationError(
            {"kind": _("A dose given is corrected on its visit, not in the stock ledger.")}
        )
    done = StockEntry.objects.filter(reverses__in=originals)
    if done.exists():
        raise ValidationError({"reverses": _("This movement has already been reversed.")})
    moment = timezone.now()
    movement = generate_uid()
    reversals = [
        _entry(
            e.store,
            e.lot,
            e.kind,
            -e.quantity,
            moment,
            user,
            movement,
            reverses=e,
            reason=EntryReason.CORRECTION,
            reference=e.reference,
            supplier=e.supplier,
            counterpart=e.counterpart,
            dose=e.dose,
            note=note,
        )
        for e in originals
    ]
    try:
        return _post(reversals)
    except IntegrityError as exc:  # two reversals of one entry at the same moment
        raise ValidationError({"reverses": _("This movement has already been reversed.")}) from exc


# --------------------------------------------------------------------------------------------
# Physical counts
# --------------------------------------------------------------------------------------------


def count_sheet(store: Store, at: datetime.datetime | None = None) -> list[tuple[Lot, int]]:
    """The lots a count of ``store`` should cover, with the ledger's balance at ``at``:
    every lot that has had an entry there and still has doses (or had, at ``at``)."""
    entries = StockEntry.objects.filter(store=store)
    if at is not None:
        entries = entries.filter(occurred_at__lte=at)
    totals = entries.values("lot_id").annotate(total=Sum("quantity")).filter(~Q(total=0))
    by_lot = {row["lot_id"]: row["total"] for row in totals}
    lots = Lot.objects.filter(pk__in=by_lot).select_related("vaccine")
    return sorted(
        ((lot, by_lot[lot.pk]) for lot in lots),
        key=lambda pair: (pair[0].vaccine.name, pair[0].expiry_date, pair[0].lot_number),
    )


@dataclass
class CountInput:
    lot: Lot
    counted: int
    reason: str = ""
    note: str = ""


@transaction.atomic
def record_count(
    store: Store,
    lines: list[CountInput],
    *,
    counted_at=None,
    user=None,
    note: str = "",
    count: StockCount | None = None,
) -> StockCount:
    """Record (or correct, while not reconciled) a physical count of a store."""
    _require_active(store, "store")
    _authorize(user, store, "change" if count is not None else "add")
    moment = _moment(counted_at)
    if count is not None and count.status != CountStatus.OPEN:
        raise ValidationError({"status": _("This count is already reconciled.")})
    problems = []
    seen = set()
    for number, line in enumerate(lines, start=1):
        label = _("Line %(n)s: ") % {"n": number}
        if line.lot is None:
            problems.append(label + _("Choose a lot."))
            continue
        if line.counted is None or line.counted < 0:
            problems.append(label + _("The counted doses cannot be negative."))
        if line.lot.pk in seen:
            problems.append(label + _("This lot is already on another line."))
        if line.reason and line.reason not in ADJUSTMENT_REASONS:
            problems.append(label + _("Unknown reason."))
        seen.add(line.lot.pk)
    if problems:
        raise ValidationError({"lines": problems})
    if count is None:
        count = StockCount(store=store)
    count.counted_at = moment
    count.note = note
    if getattr(user, "is_authenticated", False):
        count.counted_by = user
    count.save()
    count.lines.all().delete()
    for line in lines:
        StockCountLine.objects.create(
            count=count, lot=line.lot, counted=line.counted, reason=line.reason, note=line.note
        )
    return count


def reconcile_count(count: StockCount, *, user=None) -> list[StockEntry]:
    """Bring the ledger to the count: for each lot whose count differs from the ledger's
    balance at the count's time, an adjustment dated then (with the line's reason; a loss
    reason makes it wastage). Every lot the ledger holds must have been counted."""
    with transaction.atomic():
        count = (
            StockCount.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=count.pk)
        )
        store = count.store
        _authorize(user, store, "change")
        if count.status != CountStatus.OPEN:
            raise ValidationError({"status": _("This count is already reconciled.")})
        lines = list(count.lines.select_related("lot", "lot__vaccine"))
        counted_lots = {line.lot_id for line in lines}
        problems = []
        for lot, balance in count_sheet(store, count.counted_at):
            if lot.pk not in counted_lots and balance > 0:
                problems.append(
                    _("Lot %(lot)s of %(vaccine)s (%(n)s doses in the ledger) was not counted.")
                    % {"lot": lot.lot_number, "vaccine": lot.vaccine, "n": balance}
                )
        for line in lines:
            expected = ledger_balance(store, line.lot, count.counted_at)
            line.expected = expected
            if line.counted != expected and not line.reason:
                problems.append(
                    _(
                        "Lot %(lot)s: counted %(counted)s, the ledger has %(expected)s: "
                        "give the reason of the difference."
                    )
                    % {"lot": line.lot.lot_number, "counted": line.counted, "expected": expected}
                )
            elif line.counted - expected > 0 and line.reason in LOSS_REASONS:
                problems.append(
                    _(
                        "Lot %(lot)s: more doses were counted than the ledger has; a loss "
                        "reason does not explain that."
                    )
                    % {"lot": line.lot.lot_number}
                )
        if problems:
            raise ValidationError({"lines": problems})
        entries = []
        for line in lines:
            line.save(update_fields=["expected", "last_updated"])
            difference = line.counted - line.expected
            if difference:
                entries.append(
                    adjust(
                        store,
                        line.lot,
                        difference,
                        line.reason,
                        occurred_at=count.counted_at,
                        user=user,
                        note=line.note or str(count),
                        reference=count.uid,
                        count_line=line,
                    )
                )
        count.status = CountStatus.RECONCILED
        count.reconciled_at = timezone.now()
        if getattr(user, "is_authenticated", False):
            count.reconciled_by = user
        count.save()
        return entries
