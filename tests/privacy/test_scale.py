"""Logging an export and applying retention stay one bounded operation on many clients.

CI runs it on 300 clients; ``DOHA_PRIVACY_SCALE=20000 pytest tests/privacy/test_scale.py -s``
gives the figures of docs/reliability.md (the timings are printed, not asserted)."""

import datetime
import os
import time

from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from doha.core import privacy
from doha.people.models import Sex
from doha.vaccines.models import Client
from tests.mixins import new_client

SCALE = int(os.environ.get("DOHA_PRIVACY_SCALE", "300"))


def many_clients(unit, n):
    dob = datetime.date(2015, 1, 1)
    Client.objects.bulk_create(
        Client(
            full_name=f"Nguyễn Văn Số {i}",
            date_of_birth=dob,
            sex=Sex.MALE,
            guardian_name="Trần Thị Mẹ",
            phone=f"09{i:08d}",
            registered_at=unit,
            search_text=f" nguyen van so {i} ",
        )
        for i in range(n)
    )


def test_export_of_many_clients_is_one_log_entry(cdc):
    many_clients(cdc.point1_unit, SCALE)
    c = new_client()
    c.force_login(cdc.point_clerk)
    start = time.perf_counter()
    response = c.get(reverse("vaccines:client-list"), {"export": "csv"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    entry = LogEntry.objects.get(additional_data__via="export")
    assert entry.additional_data["count"] == SCALE
    someone = Client.objects.order_by("?").first()
    assert privacy.exports_of(someone).get() == entry
    print(f"\nexport of {SCALE} clients (csv, logged): {elapsed:.2f} s")


def test_retention_on_many_clients(cdc):
    many_clients(cdc.point1_unit, SCALE)
    old = timezone.now() - datetime.timedelta(days=365 * 11)
    Client.objects.update(last_updated=old)
    start = time.perf_counter()
    report = privacy.apply_retention()
    elapsed = time.perf_counter() - start
    assert report.clients == SCALE
    assert not Client.objects.exclude(full_name=privacy.ANONYMOUS_NAME).exists()
    assert Client.objects.count() == SCALE  # counted by the statistics still
    print(f"\nretention: {SCALE} clients anonymised in {elapsed:.2f} s")
