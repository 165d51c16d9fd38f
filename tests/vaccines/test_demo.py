"""The demo of seed 000: the Quảng Ninh preventive-medicine centre, fast and idempotent."""

import datetime
import time

import pytest
from django.utils import timezone

from doha.orgunits.models import OrgUnit
from doha.users.models import User
from doha.vaccines import revenue, schedule, stock, visits
from doha.vaccines.demo import CENTRE_CODE, load_vaccines_demo
from doha.vaccines.models import (
    Aefi,
    AefiSeverity,
    Client,
    Dose,
    LotHold,
    Receipt,
    RevenueSource,
    Store,
    TemperatureReading,
    VaccinationVisit,
    VisitStatus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Loaded once for the module (rolled back after it)."""
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # CPU time of this process (SQLite runs in it): the wall clock also counts the
            # other processes of a busy machine.
            began, cpu = time.perf_counter(), time.process_time()
            summary = load_vaccines_demo()
            elapsed = (time.perf_counter() - began, time.process_time() - cpu)
            yield summary, elapsed
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_fast_and_idempotent(demo):
    summary, (wall, cpu) = demo
    print(f"vaccines demo: {wall:.1f} s ({cpu:.1f} s CPU), {dict(summary)}")
    assert summary["created"] is True
    assert cpu < 10
    counts = (VaccinationVisit.objects.count(), Receipt.objects.count(), Client.objects.count())
    assert load_vaccines_demo() == {"created": False}
    assert (
        VaccinationVisit.objects.count(),
        Receipt.objects.count(),
        Client.objects.count(),
    ) == counts


def test_centre_with_two_points_under_the_doh(demo):
    centre = OrgUnit.objects.get(code=CENTRE_CODE)
    assert centre.name == "Trung tâm Y tế dự phòng tỉnh Quảng Ninh"
    assert centre.parent.code == "QN-SYT"
    stores = Store.objects.filter(org_unit__path__startswith=centre.path)
    assert sorted((s.kind, s.name) for s in stores) == [
        ("centre", "Kho vắc xin TTYTDP Quảng Ninh"),
        ("point", "Điểm tiêm Cẩm Phả"),
        ("point", "Điểm tiêm Hạ Long"),
    ]
    doh = User.objects.get(username="syt.quangninh")
    assert doh.org_unit.code == "QN-SYT"


def test_a_year_of_visits_doses_and_stock(demo):
    today = timezone.localdate()
    first = VaccinationVisit.objects.order_by("visited_at").first()
    assert (today - timezone.localdate(first.visited_at)).days >= 360
    assert Dose.objects.count() >= 600
    statuses = set(VaccinationVisit.objects.values_list("status", flat=True))
    assert statuses == {VisitStatus.COMPLETED, VisitStatus.STOPPED}
    stopped = VaccinationVisit.objects.filter(status=VisitStatus.STOPPED).first()
    assert visits.stop_reasons(stopped)
    # Every dose came out of the ledger; the cached balances equal the ledger.
    assert stock.mismatches() == []
    assert Dose.objects.filter(stock_entries__isnull=True).count() == 0
    # Series continue: some clients have their next dose due in the coming days.
    upcoming = [
        r
        for days in range(1, 8)
        for r in schedule.reminders(Client.objects.all(), today + datetime.timedelta(days=days))
    ]
    assert upcoming


def test_cold_chain_excursion_held_then_released(demo):
    excursion = TemperatureReading.objects.get(excursion=True)
    assert excursion.fridge.store.name == "Điểm tiêm Cẩm Phả"
    holds = LotHold.objects.filter(excursion=excursion)
    assert holds.exists()
    assert all(h.decision == "use" and h.released_at for h in holds)


def test_adverse_events_with_a_recent_serious_one(demo):
    serious = Aefi.objects.filter(severity=AefiSeverity.SERIOUS)
    assert serious.count() == 2
    assert all(a.reported_to_doh_at for a in serious)
    assert Aefi.objects.filter(severity=AefiSeverity.COMMON).exists()
    doh = User.objects.get(username="syt.quangninh")
    assert visits.serious_aefi_alert(doh) == 1


def test_revenue_by_source_every_month(demo):
    centre = OrgUnit.objects.get(code=CENTRE_CODE)
    assert RevenueSource.objects.count() == 11
    month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    figures = revenue.monthly_revenue(centre, month, include_descendants=True)
    assert all(amount > 0 for amount in figures.values()), figures
    assert figures["vaccination"] > 10_000_000
    doses = revenue.doses_by_antigen(centre, month, include_descendants=True)
    assert doses.get("FLU", 0) > 0
    year_total = sum(r.total for r in revenue.revenue_table(Receipt.objects.all(), month.year)[0])
    assert year_total > 0


def test_pages_of_the_demo(demo):
    from django.urls import reverse

    from tests.mixins import new_client

    centre_clerk = new_client()
    centre_clerk.force_login(User.objects.get(username="ttytdp.quangninh"))
    doh = new_client()
    doh.force_login(User.objects.get(username="syt.quangninh"))
    visit = VaccinationVisit.objects.filter(status=VisitStatus.COMPLETED).first()
    client = visit.client
    aefi = Aefi.objects.filter(severity=AefiSeverity.SERIOUS).first()
    receipt = Receipt.objects.exclude(source__code="vaccination").first()
    urls = [
        reverse("vaccines:client-list"),
        reverse("vaccines:client-list") + "?q=nguyen",
        client.get_absolute_url(),
        reverse("vaccines:client-card", args=[client.uid]),
        reverse("vaccines:visit-list"),
        visit.get_absolute_url(),
        reverse("vaccines:aefi-list"),
        reverse("vaccines:aefi-serious"),
        aefi.get_absolute_url(),
        reverse("vaccines:reminder-list"),
        reverse("vaccines:reminder-list") + "?overdue=on",
        reverse("vaccines:revenue-summary"),
        reverse("vaccines:receipt-list"),
        receipt.get_absolute_url(),
        reverse("vaccines:price-list"),
        reverse("vaccines:receipt-add"),
        reverse("vaccines:visit-add", args=[client.uid]),
    ]
    for browser in (centre_clerk, doh):
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, url
    serious_page = doh.get(reverse("vaccines:aefi-serious")).content.decode()
    assert serious_page.count('data-severity="serious"') == 2
    export = centre_clerk.get(reverse("vaccines:revenue-summary") + "?export=xlsx")
    assert export.status_code == 200
