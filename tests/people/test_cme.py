"""The CME ledger (append-only, corrected by reversing entries) and the shortfall list."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from doha.people import services
from doha.people.models import CmeEntry, CmeSource, HealthWorker
from tests.mixins import client_for, table_from_export
from tests.people.factories import CmeEntryFactory, HealthWorkerFactory

pytestmark = pytest.mark.usefixtures("shared_world")

TODAY = timezone.localdate()


def days_ago(n):
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def short(network):
    """100 h inside the window, 50 h older than it: short by 20."""
    worker = HealthWorkerFactory(facility=network.tyt_tien_du, full_name="Đặng Thị Thiếu")
    CmeEntryFactory(worker=worker, date=days_ago(100), hours=60)
    CmeEntryFactory(worker=worker, date=days_ago(4 * 365), hours=40)
    CmeEntryFactory(worker=worker, date=days_ago(6 * 365), hours=50)
    return worker


@pytest.fixture
def enough(network):
    worker = HealthWorkerFactory(facility=network.tyt_tien_du, full_name="Dương Văn Đủ")
    CmeEntryFactory(worker=worker, date=days_ago(200), hours=120)
    return worker


@pytest.fixture
def elsewhere(network):
    """Staff of another district (Từ Sơn), with no hours at all."""
    return HealthWorkerFactory(facility=network.tu_son, full_name="Ngô Thị Xa")


class TestLedger:
    def test_add_entry_rules(self, network):
        worker = HealthWorkerFactory(facility=network.bvdk)
        with pytest.raises(ValidationError) as exc:
            services.add_cme_entry(worker, date=TODAY, hours=0, description="x")
        assert "hours" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.add_cme_entry(worker, date=days_ago(-3), hours=4, description="x")
        assert "date" in exc.value.message_dict
        entry = services.add_cme_entry(
            worker,
            date=TODAY,
            hours=8,
            source=CmeSource.COURSE,
            description="Cấp cứu nhi",
            certificate_number="GCN-1",
        )
        assert entry.hours == Decimal("8.0") and entry.source == CmeSource.COURSE

    def test_reversal(self, short):
        entry = short.cme_entries.get(hours=60)
        correction = services.reverse_cme_entry(entry, reason="Nhập nhầm")
        assert correction.hours == Decimal("-60") and correction.reverses == entry
        assert services.cme_hours(short) == Decimal("40")
        with pytest.raises(ValidationError):
            services.reverse_cme_entry(entry, reason="lại")
        with pytest.raises(ValidationError):
            services.reverse_cme_entry(correction, reason="lại")
        # Nothing was edited nor deleted.
        entry.refresh_from_db()
        assert entry.hours == Decimal("60.0")
        assert short.cme_entries.count() == 4

    def test_page_adds_and_corrects(self, users, short):
        client, _ = client_for(users, "clerk")
        url = reverse("people:worker_cme", args=[short.uid])
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["cme_hours"] == Decimal("100")
        assert response.context["cme_missing"] == Decimal("20")
        response = client.post(
            url,
            {"date": TODAY.isoformat(), "hours": "6", "source": "external", "description": "ACLS"},
        )
        assert response.status_code == 302
        entry = short.cme_entries.get(description="ACLS")
        response = client.post(reverse("people:cme_reverse", args=[entry.pk]), {"reason": "Sai"})
        assert response.status_code == 302
        assert entry.reversed_by.hours == Decimal("-6")
        assert services.cme_hours(short) == Decimal("100")

    def test_page_refuses_bad_entry(self, users, short):
        client, _ = client_for(users, "clerk")
        response = client.post(
            reverse("people:worker_cme", args=[short.uid]),
            {"date": TODAY.isoformat(), "hours": "-2", "source": "external", "description": "x"},
        )
        assert response.status_code == 400
        assert "hours" in response.context["form"].errors

    def test_viewer_cannot_add(self, users, short):
        client, _ = client_for(users, "viewer")
        response = client.post(
            reverse("people:worker_cme", args=[short.uid]),
            {"date": TODAY.isoformat(), "hours": "2", "source": "external", "description": "x"},
        )
        assert response.status_code == 403

    def test_out_of_scope_ledger_is_404(self, users, elsewhere):
        client, _ = client_for(users, "clerk")
        assert client.get(reverse("people:worker_cme", args=[elsewhere.uid])).status_code == 404

    def test_api_create_list_and_reverse(self, users, short):
        client, _ = client_for(users, "clerk")
        response = client.post(
            "/api/cme-entries/",
            {"worker": short.uid, "date": TODAY.isoformat(), "hours": "4", "description": "BLS"},
            content_type="application/json",
        )
        assert response.status_code == 201, response.json()
        pk = response.json()["id"]
        listed = client.get("/api/cme-entries/", {"worker": short.uid}).json()
        assert listed["count"] == 4
        response = client.post(
            f"/api/cme-entries/{pk}/reverse/", {"reason": "Trùng"}, content_type="application/json"
        )
        assert response.status_code == 201
        assert response.json()["reverses"] == pk
        assert Decimal(response.json()["hours"]) == Decimal("-4")
        again = client.post(
            f"/api/cme-entries/{pk}/reverse/", {"reason": "Trùng"}, content_type="application/json"
        )
        assert again.status_code == 400

    def test_api_has_no_update_nor_delete(self, users, short):
        client, _ = client_for(users, "admin")
        entry = short.cme_entries.first()
        url = f"/api/cme-entries/{entry.pk}/"
        assert client.patch(url, {"hours": "1"}, content_type="application/json").status_code == 405
        assert client.put(url, {}, content_type="application/json").status_code == 405
        assert client.delete(url).status_code == 405
        assert CmeEntry.objects.filter(pk=entry.pk, hours=entry.hours).exists()

    def test_api_scope(self, users, short, elsewhere):
        CmeEntryFactory(worker=elsewhere, hours=3)
        client, _ = client_for(users, "clerk")
        workers = {r["worker"] for r in client.get("/api/cme-entries/").json()["results"]}
        assert workers == {short.uid}
        response = client.post(
            "/api/cme-entries/",
            {"worker": elsewhere.uid, "date": TODAY.isoformat(), "hours": "4", "description": "x"},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert elsewhere.cme_entries.count() == 1


class TestShortfall:
    def test_service(self, short, enough):
        rows = services.cme_shortfall(HealthWorker.objects.filter(pk__in=[short.pk, enough.pk]))
        assert [(w.pk, w.cme_hours, w.cme_missing) for w in rows] == [
            (short.pk, Decimal("100"), Decimal("20"))
        ]

    def test_page(self, users, short, enough, elsewhere):
        client, _ = client_for(users, "doh")
        response = client.get(reverse("people:cme_shortfall"))
        rows = {w.uid: w.cme_missing for w in response.context["object_list"]}
        assert rows[short.uid] == Decimal("20")
        assert rows[elsewhere.uid] == Decimal("120")
        assert enough.uid not in rows

    def test_facility_filter(self, users, network, short, elsewhere):
        client, _ = client_for(users, "doh")
        response = client.get(reverse("people:cme_shortfall"), {"facility": network.tu_son.uid})
        assert [w.uid for w in response.context["object_list"]] == [elsewhere.uid]

    def test_clerk_sees_only_their_district(self, users, short, elsewhere):
        client, _ = client_for(users, "clerk")
        response = client.get(reverse("people:cme_shortfall"))
        assert {w.uid for w in response.context["object_list"]} == {short.uid}
        assert elsewhere.full_name not in response.content.decode()
        export = client.get(reverse("people:cme_shortfall"), {"export": "xlsx"})
        header, rows = table_from_export(export)
        assert [(r[0], r[-1]) for r in rows] == [(short.uid, "20")]

    def test_retired_workers_are_left_out(self, short):
        services.retire_worker(short)
        assert services.cme_shortfall(HealthWorker.objects.filter(pk=short.pk)) == []

    @override_settings(DOHA_CME_REQUIRED_HOURS=90)
    def test_required_hours_is_a_setting(self, short):
        assert services.cme_shortfall(HealthWorker.objects.filter(pk=short.pk)) == []
