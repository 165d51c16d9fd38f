"""The stock ledger's rules, through the services pages and API call."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from doha.vaccines import coldchain, stock
from doha.vaccines.models import (
    CountStatus,
    EntryKind,
    EntryReason,
    Lot,
    StockBalance,
    StockEntry,
)
from tests.vaccines.factories import make_lot, stock_up

Line = stock.Line


def messages(exc) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


def test_receipt_adds_doses_and_balance_equals_ledger(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    entries = stock.receive(
        cdc.centre,
        [Line(lot, 100)],
        supplier=cdc.supplier,
        reference="HD 0012345",
        user=cdc.cdc_clerk,
    )
    assert [(e.kind, e.quantity, e.reference) for e in entries] == [
        (EntryKind.RECEIPT, 100, "HD 0012345")
    ]
    assert entries[0].created_by == cdc.cdc_clerk
    assert stock.on_hand(cdc.centre, lot) == 100 == stock.ledger_balance(cdc.centre, lot)
    assert stock.mismatches() == []


def test_receipt_needs_supplier_and_invoice(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    with pytest.raises(ValidationError) as exc:
        stock.receive(cdc.centre, [Line(lot, 10)], supplier=None, reference=" ")
    assert set(exc.value.message_dict) == {"supplier", "reference"}
    assert not StockEntry.objects.exists()


def test_receipt_refuses_an_expired_lot(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip, days=-1)
    with pytest.raises(ValidationError) as exc:
        stock.receive(cdc.centre, [Line(lot, 10)], supplier=cdc.supplier, reference="HD1")
    assert "expired" in messages(exc)


def test_lines_need_positive_whole_doses_and_distinct_lots(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    for lines in ([], [Line(lot, 0)], [Line(lot, -5)], [Line(lot, 5), Line(lot, 3)]):
        with pytest.raises(ValidationError) as exc:
            stock.receive(cdc.centre, lines, supplier=cdc.supplier, reference="HD1")
        assert "lines" in exc.value.message_dict
    assert not StockEntry.objects.exists()


def test_find_or_create_lot_refuses_another_expiry(cdc):
    today = timezone.localdate()
    lot = stock.find_or_create_lot(cdc.catalogue.bcg, "B21", today + datetime.timedelta(days=90))
    assert lot.manufacturer == "IVAC"
    assert stock.find_or_create_lot(cdc.catalogue.bcg, "b21", lot.expiry_date) == lot
    with pytest.raises(ValidationError) as exc:
        stock.find_or_create_lot(cdc.catalogue.bcg, "B21", today + datetime.timedelta(days=91))
    assert "expiry_date" in exc.value.message_dict


def test_issue_moves_doses_from_centre_to_point_in_one_movement(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 50)
    entries = stock.issue(cdc.centre, cdc.point1, [Line(lot, 20)], user=cdc.cdc_clerk)
    assert {(e.store, e.kind, e.quantity) for e in entries} == {
        (cdc.centre, EntryKind.ISSUE, -20),
        (cdc.point1, EntryKind.RECEIPT, 20),
    }
    assert len({e.movement for e in entries}) == 1
    assert stock.on_hand(cdc.centre, lot) == 30
    assert stock.on_hand(cdc.point1, lot) == 20
    assert stock.mismatches() == []


def test_issue_more_than_on_hand_is_refused_whole(cdc):
    a = make_lot(cdc.catalogue.vaxigrip, "A")
    b = make_lot(cdc.catalogue.vaxigrip, "B")
    stock_up(cdc, a, 10)
    stock_up(cdc, b, 10)
    with pytest.raises(ValidationError) as exc:
        stock.issue(cdc.centre, cdc.point1, [Line(a, 5), Line(b, 11)])
    assert "Only 10 doses of lot B" in messages(exc)
    # Nothing of the movement was written, not even the line that fitted.
    assert stock.on_hand(cdc.centre, a) == 10
    assert not StockEntry.objects.filter(kind=EntryKind.ISSUE).exists()


def test_issue_only_from_a_centre_to_its_own_points(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 10, store=cdc.point1)
    with pytest.raises(ValidationError) as exc:
        stock.issue(cdc.point1, cdc.point2, [Line(lot, 1)])
    assert "store" in exc.value.message_dict
    stock_up(cdc, lot, 10)
    with pytest.raises(ValidationError) as exc:
        stock.issue(cdc.centre, cdc.tn_store, [Line(lot, 1)])
    assert "counterpart" in exc.value.message_dict


def test_expired_and_held_lots_cannot_be_issued(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip, days=10)
    stock_up(cdc, lot, 10, when=timezone.now() - datetime.timedelta(days=1))
    Lot.objects.filter(pk=lot.pk).update(
        expiry_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    lot.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        stock.issue(cdc.centre, cdc.point1, [Line(lot, 1)])
    assert "expired on" in messages(exc)
    good = make_lot(cdc.catalogue.vaxigrip, "G")
    stock_up(cdc, good, 10)
    coldchain.put_on_hold(cdc.centre, good, reason="Recall 123/QLD")
    with pytest.raises(ValidationError) as exc:
        stock.issue(cdc.centre, cdc.point1, [Line(good, 1)])
    assert "on hold" in messages(exc)
    assert stock.on_hand(cdc.centre, good) == 10


def test_a_point_clerk_works_in_its_store_only(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 10, store=cdc.point1)
    stock_up(cdc, lot, 10)
    with pytest.raises(ValidationError) as exc:
        stock.issue(cdc.centre, cdc.point1, [Line(lot, 1)], user=cdc.point_clerk)
    assert exc.value.message_dict["store"] == ["This store is outside your scope."]
    # ... but may return its doses to the centre that supplies it.
    stock.return_stock(cdc.point1, [Line(lot, 2)], user=cdc.point_clerk)
    assert stock.on_hand(cdc.centre, lot) == 12
    with pytest.raises(ValidationError):
        stock.transfer(cdc.point1, cdc.point2, [Line(lot, 1)], user=cdc.point_clerk)


def test_viewer_may_not_move_stock(cdc, users):
    lot = make_lot(cdc.catalogue.vaxigrip)
    with pytest.raises(PermissionDenied):
        stock.receive(
            cdc.centre, [Line(lot, 1)], supplier=cdc.supplier, reference="x", user=users.viewer
        )


def test_transfer_between_points(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 10, store=cdc.point1)
    entries = stock.transfer(cdc.point1, cdc.point2, [Line(lot, 4)], user=cdc.cdc_clerk)
    assert {(e.kind, e.quantity) for e in entries} == {
        (EntryKind.TRANSFER_OUT, -4),
        (EntryKind.TRANSFER_IN, 4),
    }
    assert stock.on_hand(cdc.point2, lot) == 4
    with pytest.raises(ValidationError):
        stock.transfer(cdc.point1, cdc.point1, [Line(lot, 1)])


def test_expired_doses_may_be_returned_but_not_given(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip, days=5)
    stock_up(cdc, lot, 6, store=cdc.point1, when=timezone.now() - datetime.timedelta(days=2))
    Lot.objects.filter(pk=lot.pk).update(
        expiry_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    lot.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        stock.administer(cdc.point1, lot)
    assert "expired on" in " ".join(exc.value.message_dict["lot"])
    entries = stock.return_stock(cdc.point1, [Line(lot, 6)], reason=EntryReason.EXPIRED)
    assert {(e.store, e.quantity) for e in entries} == {(cdc.point1, -6), (cdc.centre, 6)}
    stock.adjust(cdc.centre, lot, -6, EntryReason.EXPIRED, note="Huỷ theo biên bản 12")
    assert stock.on_hand(cdc.centre, lot) == 0


def test_adjustment_reasons(cdc):
    lot = make_lot(cdc.catalogue.bcg)
    stock_up(cdc, lot, 20)
    broken = stock.adjust(cdc.centre, lot, -1, EntryReason.BROKEN)
    assert (broken.kind, broken.quantity) == (EntryKind.WASTAGE, -1)
    vial = stock.adjust(cdc.centre, lot, -9, EntryReason.OPENED_VIAL, note="lọ mở quá 6 giờ")
    assert vial.kind == EntryKind.WASTAGE
    found = stock.adjust(cdc.centre, lot, 2, EntryReason.COUNT_CORRECTION)
    assert found.kind == EntryKind.ADJUSTMENT
    with pytest.raises(ValidationError) as exc:
        stock.adjust(cdc.centre, lot, 3, EntryReason.BROKEN)
    assert "negative" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        stock.adjust(cdc.centre, lot, -1, "")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        stock.adjust(cdc.centre, lot, -1, EntryReason.OTHER)
    assert "note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        stock.adjust(cdc.centre, lot, -13, EntryReason.VVM_3)
    assert "Only 12 doses" in messages(exc)
    assert stock.on_hand(cdc.centre, lot) == 12


def test_ledger_is_append_only_in_the_database(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 5)
    # The database itself refuses a negative balance and an unsigned movement.
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(store=cdc.centre, lot=lot).update(quantity=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockEntry.objects.create(
            store=cdc.centre,
            lot=lot,
            kind=EntryKind.ISSUE,
            quantity=3,
            movement="x",
            occurred_at=timezone.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        StockEntry.objects.create(
            store=cdc.centre,
            lot=lot,
            kind=EntryKind.WASTAGE,
            quantity=-1,
            movement="x",
            occurred_at=timezone.now(),
        )


def test_reversal_undoes_both_sides_with_linked_entries(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 30)
    issued = stock.issue(cdc.centre, cdc.point1, [Line(lot, 10)])
    with pytest.raises(ValidationError) as exc:
        stock.reverse_movement(issued[0], user=cdc.cdc_clerk, note="")
    assert "note" in exc.value.message_dict
    reversals = stock.reverse_movement(issued[0], user=cdc.cdc_clerk, note="Nhầm điểm tiêm")
    assert {(r.store, r.quantity, r.reverses_id) for r in reversals} == {
        (cdc.centre, 10, issued[0].pk),
        (cdc.point1, -10, issued[1].pk),
    }
    assert all(r.reason == EntryReason.CORRECTION for r in reversals)
    assert stock.on_hand(cdc.centre, lot) == 30
    assert stock.on_hand(cdc.point1, lot) == 0
    # The originals are untouched; the movement cannot be reversed twice, nor a reversal.
    assert StockEntry.objects.get(pk=issued[0].pk).quantity == -10
    with pytest.raises(ValidationError) as exc:
        stock.reverse_movement(issued[1], note="again")
    assert "already been reversed" in messages(exc)
    with pytest.raises(ValidationError):
        stock.reverse_movement(reversals[0], note="undo the undo")
    assert stock.mismatches() == []


def test_reversal_refused_when_the_doses_were_used(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 10, store=cdc.point1)
    receipt = StockEntry.objects.get(kind=EntryKind.RECEIPT, store=cdc.centre)
    stock.administer(cdc.point1, lot)
    issue = StockEntry.objects.get(kind=EntryKind.ISSUE)
    with pytest.raises(ValidationError) as exc:
        stock.reverse_movement(issue, note="wrong")
    assert "Only 9 doses" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        stock.reverse_movement(receipt, note="wrong invoice")
    assert "Only 0 doses" in messages(exc)
    administered = StockEntry.objects.get(kind=EntryKind.ADMINISTERED)
    with pytest.raises(ValidationError) as exc:
        stock.reverse_movement(administered, note="x")
    assert "corrected on its visit" in messages(exc)


def test_backdated_movement_may_not_take_the_past_below_zero(cdc):
    now = timezone.now()
    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 10, when=now - datetime.timedelta(days=10))
    stock.issue(
        cdc.centre, cdc.point1, [Line(lot, 8)], occurred_at=now - datetime.timedelta(days=5)
    )
    stock.receive(
        cdc.centre,
        [Line(lot, 20)],
        supplier=cdc.supplier,
        reference="HD2",
        occurred_at=now - datetime.timedelta(days=1),
    )
    # 22 doses now, but only 2 between day -5 and day -1: a write-off dated day -7 of 5
    # doses would have left -3 on day -5.
    with pytest.raises(ValidationError) as exc:
        stock.adjust(
            cdc.centre,
            lot,
            -5,
            EntryReason.BROKEN,
            occurred_at=now - datetime.timedelta(days=7),
        )
    assert "below zero" in messages(exc)
    stock.adjust(
        cdc.centre, lot, -2, EntryReason.BROKEN, occurred_at=now - datetime.timedelta(days=7)
    )
    assert stock.on_hand(cdc.centre, lot) == 20


def test_future_movements_are_refused(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    with pytest.raises(ValidationError) as exc:
        stock.receive(
            cdc.centre,
            [Line(lot, 1)],
            supplier=cdc.supplier,
            reference="x",
            occurred_at=timezone.now() + datetime.timedelta(days=1),
        )
    assert "occurred_at" in exc.value.message_dict


def test_fefo_suggests_first_expiry_first_out(cdc):
    vaxigrip = cdc.catalogue.vaxigrip
    late = make_lot(vaxigrip, "LATE", days=300)
    soon = make_lot(vaxigrip, "SOON", days=40)
    held = make_lot(vaxigrip, "HELD", days=20)
    gone = make_lot(vaxigrip, "GONE", days=200)
    for lot in (late, soon, held, gone):
        stock_up(cdc, lot, 5, store=cdc.point1)
    stock.administer(cdc.point1, gone, quantity=5)
    coldchain.put_on_hold(cdc.point1, held, reason="VVM stage 3 seen")
    suggestions, missing = stock.suggest_lots(cdc.point1, vaxigrip, 7)
    assert [(s.lot.lot_number, s.available, s.take) for s in suggestions] == [
        ("SOON", 5, 5),
        ("LATE", 5, 2),
    ]
    assert missing == 0
    suggestions, missing = stock.suggest_lots(cdc.point1, vaxigrip, 12)
    assert missing == 2
    # A lot that expires is no longer suggested.
    later = timezone.localdate() + datetime.timedelta(days=41)
    suggestions, _missing = stock.suggest_lots(cdc.point1, vaxigrip, 1, on=later)
    assert [s.lot.lot_number for s in suggestions] == ["LATE"]


def test_expiry_warnings_by_horizon(cdc):
    vaxigrip = cdc.catalogue.vaxigrip
    lots = {days: make_lot(vaxigrip, f"D{days}", days=days) for days in (-3, 0, 25, 30, 45, 90, 91)}
    for days, lot in lots.items():
        when = timezone.now() - datetime.timedelta(days=10) if days < 0 else None
        if days < 0:
            Lot.objects.filter(pk=lot.pk).update(
                expiry_date=timezone.localdate() + datetime.timedelta(days=20)
            )
            lot.refresh_from_db()
        stock_up(cdc, lot, 3, when=when)
        if days < 0:
            Lot.objects.filter(pk=lot.pk).update(
                expiry_date=timezone.localdate() + datetime.timedelta(days=days)
            )
    empty = make_lot(vaxigrip, "EMPTY", days=10)
    stock_up(cdc, empty, 1)
    stock.adjust(cdc.centre, empty, -1, EntryReason.BROKEN)
    warnings = stock.expiry_warnings(StockBalance.objects.all())
    assert [(w.balance.lot.lot_number, w.days_left, w.horizon) for w in warnings] == [
        ("D-3", -3, None),
        ("D0", 0, 30),
        ("D25", 25, 30),
        ("D30", 30, 30),
        ("D45", 45, 60),
        ("D90", 90, 90),
    ]
    assert warnings[0].expired


def test_count_reconciliation_adjusts_the_ledger(cdc, users):
    a = make_lot(cdc.catalogue.vaxigrip, "A")
    b = make_lot(cdc.catalogue.vaxigrip, "B")
    c = make_lot(cdc.catalogue.bcg, "C")
    for lot in (a, b, c):
        stock_up(cdc, lot, 20)
    lots = [lot for lot, _n in stock.count_sheet(cdc.centre)]
    assert {lot.lot_number for lot in lots} == {"A", "B", "C"}
    count = stock.record_count(
        cdc.centre,
        [
            stock.CountInput(a, 20),
            stock.CountInput(b, 18),
        ],
        user=cdc.cdc_clerk,
    )
    with pytest.raises(ValidationError) as exc:
        stock.reconcile_count(count, user=cdc.cdc_clerk)
    text = messages(exc)
    assert "Lot C of BCG (IVAC) (20 doses in the ledger) was not counted." in text
    assert "Lot B: counted 18, the ledger has 20: give the reason" in text
    count = stock.record_count(
        cdc.centre,
        [
            stock.CountInput(a, 20),
            stock.CountInput(b, 18, EntryReason.BROKEN, "2 lọ vỡ"),
            stock.CountInput(c, 21, EntryReason.COUNT_CORRECTION),
        ],
        user=cdc.cdc_clerk,
        count=count,
    )
    entries = stock.reconcile_count(count, user=cdc.cdc_clerk)
    assert sorted((e.lot.lot_number, e.kind, e.quantity) for e in entries) == [
        ("B", EntryKind.WASTAGE, -2),
        ("C", EntryKind.ADJUSTMENT, 1),
    ]
    count.refresh_from_db()
    assert count.status == CountStatus.RECONCILED
    assert count.reconciled_by == cdc.cdc_clerk
    assert {line.lot.lot_number: line.difference for line in count.lines.all()} == {
        "A": 0,
        "B": -2,
        "C": 1,
    }
    assert stock.on_hand(cdc.centre, b) == 18
    with pytest.raises(ValidationError):
        stock.reconcile_count(count)
    with pytest.raises(ValidationError):
        stock.record_count(cdc.centre, [], count=count)


def test_count_is_compared_with_the_ledger_at_its_time(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip)
    now = timezone.now()
    stock_up(cdc, lot, 20, when=now - datetime.timedelta(hours=5))
    count = stock.record_count(
        cdc.centre,
        [stock.CountInput(lot, 19, EntryReason.BROKEN)],
        counted_at=now - datetime.timedelta(hours=3),
    )
    # Issued after the count: not a difference of the count.
    stock.issue(cdc.centre, cdc.point1, [Line(lot, 5)])
    entries = stock.reconcile_count(count)
    assert [(e.quantity, e.occurred_at) for e in entries] == [(-1, count.counted_at)]
    assert stock.on_hand(cdc.centre, lot) == 14


def test_check_command_reports_a_tampered_balance(cdc):
    from django.core.management import CommandError, call_command

    lot = make_lot(cdc.catalogue.vaxigrip)
    stock_up(cdc, lot, 5)
    call_command("check_vaccine_stock")
    StockBalance.objects.filter(store=cdc.centre, lot=lot).update(quantity=7)
    with pytest.raises(CommandError, match="1 balances differ"):
        call_command("check_vaccine_stock")


def test_movements_are_in_the_audit_log_with_their_actor(cdc):
    from auditlog.models import LogEntry

    lot = make_lot(cdc.catalogue.vaxigrip)
    entries = stock.receive(
        cdc.centre, [Line(lot, 5)], supplier=cdc.supplier, reference="HD1", user=cdc.cdc_clerk
    )
    log = LogEntry.objects.get_for_object(entries[0]).get()
    assert log.action == LogEntry.Action.CREATE
    assert log.changes_dict["quantity"] == ["None", "5"]
