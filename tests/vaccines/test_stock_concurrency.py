"""Two clerks issuing the last doses at the same moment: only what is in stock goes out.

Real transactions on PostgreSQL: each thread has its own database connection and commits;
a barrier starts them together. The balance row lock (select_for_update) serialises them
and the database's check constraint is the last guard; afterwards the stock is never
negative, every dose that left the centre arrived at a point, and the cached balances equal
the ledger's sums.

Runs only when the test database is PostgreSQL (DATABASE_URL=postgres://...): SQLite
serialises writers on its own and has no row locks to prove anything with.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from doha.orgunits.models import FacilityType
from doha.vaccines import coldchain, stock
from doha.vaccines.models import (
    EntryKind,
    Lot,
    StockBalance,
    StockEntry,
    Store,
    StoreKind,
    Supplier,
    Vaccine,
)
from tests.factories import OrgUnitFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are proved on PostgreSQL"
    ),
    pytest.mark.usefixtures("restore_admin_units"),
]

THREADS = 24


@pytest.fixture
def depot(transactional_db):
    cdc = OrgUnitFactory(code="QN-CDC", name="CDC Quảng Ninh", facility_type=FacilityType.CDC)
    centre = Store.objects.create(org_unit=cdc, name="Kho trung tâm", kind=StoreKind.CENTRE)
    points = [
        Store.objects.create(
            org_unit=OrgUnitFactory(
                code=f"QN-P{i}", name=f"Điểm tiêm {i}", facility_type=FacilityType.CDC, parent=cdc
            ),
            name=f"Điểm tiêm {i}",
            kind=StoreKind.POINT,
            supplied_by=centre,
        )
        for i in range(1, 4)
    ]
    vaccine = Vaccine.objects.create(code="VAXI", name="Vaxigrip Tetra", price=356000)
    lot = Lot.objects.create(
        vaccine=vaccine,
        lot_number="U0001",
        expiry_date=timezone.localdate().replace(year=timezone.localdate().year + 1),
    )
    supplier = Supplier.objects.create(org_unit=cdc, name="VNVC")
    return centre, points, lot, supplier


def run_together(work, count=THREADS):
    """Run ``work(i)`` in ``count`` threads started at the same moment; each thread has its
    own connection (closed at the end). Returns each thread's result or exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return results


def ledger_sum(**filters) -> int:
    return StockEntry.objects.filter(**filters).aggregate(t=Sum("quantity"))["t"] or 0


def assert_ledger_consistent():
    assert stock.mismatches() == []
    assert not StockBalance.objects.filter(quantity__lt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_of_the_last_doses(depot):
    centre, points, lot, supplier = depot
    stock.receive(centre, [stock.Line(lot, 10)], supplier=supplier, reference="HD-1")

    results = run_together(
        lambda i: stock.issue(centre, points[i % len(points)], [stock.Line(lot, 1)])
    )

    issued = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(issued) == 10, results
    assert len(refused) == THREADS - 10, [
        r for r in results if not isinstance(r, list | ValidationError)
    ]
    assert all("Only 0 doses of lot U0001" in " ".join(r.messages) for r in refused)
    assert stock.on_hand(centre, lot) == 0
    # No dose lost or counted twice: the 10 received are at the points, one entry each side.
    assert sum(stock.on_hand(p, lot) for p in points) == 10
    assert StockEntry.objects.filter(kind=EntryKind.ISSUE).count() == 10
    assert StockEntry.objects.filter(kind=EntryKind.RECEIPT, counterpart=centre).count() == 10
    assert ledger_sum() == 10
    assert_ledger_consistent()


@pytest.mark.django_db(transaction=True)
def test_concurrent_mixed_movements_never_go_negative(depot):
    centre, points, lot, supplier = depot
    stock.receive(centre, [stock.Line(lot, 60)], supplier=supplier, reference="HD-2")
    stock.issue(centre, points[0], [stock.Line(lot, 20)])
    rng = random.Random(7)
    plan = [
        (rng.choice(["issue", "administer", "transfer", "return"]), rng.randint(1, 6))
        for _ in range(THREADS)
    ]

    def work(i):
        kind, doses = plan[i]
        if kind == "issue":
            return stock.issue(centre, points[1], [stock.Line(lot, doses)])
        if kind == "administer":
            return [stock.administer(points[0], lot, quantity=doses)]
        if kind == "transfer":
            return stock.transfer(points[0], points[2], [stock.Line(lot, doses)])
        return stock.return_stock(points[0], [stock.Line(lot, doses)])

    results = run_together(work)
    unexpected = [r for r in results if not isinstance(r, list | ValidationError)]
    assert not unexpected, unexpected
    done = Counter()
    for (kind, doses), result in zip(plan, results, strict=True):
        if isinstance(result, list):
            done[kind] += doses
    # The centre gave 20 + issues and got the returns back; point 1 lost what it gave,
    # transferred and returned; what was administered left the system.
    assert stock.on_hand(centre, lot) == 60 - 20 - done["issue"] + done["return"]
    assert (
        stock.on_hand(points[0], lot) == 20 - done["administer"] - done["transfer"] - done["return"]
    )
    assert stock.on_hand(points[1], lot) == done["issue"]
    assert stock.on_hand(points[2], lot) == done["transfer"]
    assert ledger_sum() == 60 - done["administer"]
    assert StockEntry.objects.filter(kind=EntryKind.ADMINISTERED).aggregate(t=Sum("quantity"))[
        "t"
    ] == (-done["administer"] or None)
    assert_ledger_consistent()


@pytest.mark.django_db(transaction=True)
def test_a_hold_and_issues_at_the_same_moment(depot):
    """An excursion's hold racing with issues: each issue either went out before the hold
    or was refused by it; none slips through after."""
    centre, points, lot, supplier = depot
    stock.receive(centre, [stock.Line(lot, 50)], supplier=supplier, reference="HD-3")

    def work(i):
        if i == 0:
            return coldchain.put_on_hold(centre, lot, reason="Nhiệt độ 12 °C")
        return stock.issue(centre, points[i % len(points)], [stock.Line(lot, 1)])

    results = run_together(work, count=12)
    hold, created = results[0]
    assert created
    issued = [r for r in results[1:] if isinstance(r, list)]
    refused = [r for r in results[1:] if isinstance(r, ValidationError)]
    assert len(issued) + len(refused) == 11
    assert all("on hold" in " ".join(r.messages) for r in refused)
    hold.refresh_from_db()
    assert all(r[0].created <= hold.created for r in issued)
    assert stock.on_hand(centre, lot) == 50 - len(issued)
    assert_ledger_consistent()
