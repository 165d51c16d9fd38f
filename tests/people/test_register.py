"""The staff register: masking in lists, exports and the API list; the full record on the
detail page and API retrieve, each opening logged; the rules of the service."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from doha.people import services
from doha.people.models import HealthWorker
from tests.mixins import client_for, table_from_export
from tests.people.factories import HealthWorkerFactory

pytestmark = pytest.mark.usefixtures("shared_world")

LICENCE = "004512/BN-CCHN"
PHONE = "0912345678"


@pytest.fixture
def worker(network):
    return HealthWorkerFactory(
        facility=network.tyt_tien_du,
        full_name="Nguyễn Thị Hồng Nhung",
        birth_date=datetime.date(1987, 3, 14),
        licence_number=LICENCE,
        licence_date=datetime.date(2012, 7, 1),
        phone=PHONE,
    )


def accesses(worker):
    return LogEntry.objects.filter(
        object_pk=str(worker.pk),
        content_type__model="healthworker",
        action=LogEntry.Action.ACCESS,
    )


def assert_masked(text):
    assert LICENCE not in text
    assert "4512" not in text
    assert PHONE not in text
    assert "14/03/1987" not in text and "1987-03-14" not in text


class TestMasking:
    def test_list_page(self, users, worker):
        client, _ = client_for(users, "doh")
        response = client.get(reverse("people:worker_list"))
        text = response.content.decode()
        assert "Nguyễn Thị Hồng Nhung" in text
        assert_masked(text)
        assert "•••CHN" in text and "•••78" in text and "1987" in text
        assert not accesses(worker).exists()

    def test_xlsx_export(self, users, worker):
        client, _ = client_for(users, "doh")
        response = client.get(reverse("people:worker_list"), {"export": "xlsx"})
        header, rows = table_from_export(response)
        row = next(r for r in rows if r[0] == worker.uid)
        assert_masked("\t".join(rows[0] + row))
        assert "•••CHN" in row and "1987" in row
        assert not accesses(worker).exists()

    def test_api_list(self, users, worker):
        client, _ = client_for(users, "doh")
        response = client.get("/api/workers/")
        assert response.status_code == 200
        assert_masked(response.content.decode())
        item = next(r for r in response.json()["results"] if r["uid"] == worker.uid)
        assert item["licence_number"] == "•••CHN"
        assert item["birth_year"] == 1987
        assert "birth_date" not in item
        assert not accesses(worker).exists()

    def test_search_ignores_accents(self, users, worker):
        client, _ = client_for(users, "doh")
        response = client.get(reverse("people:worker_list"), {"q": "hong nhung"})
        assert [w.uid for w in response.context["object_list"]] == [worker.uid]
        response = client.get(reverse("people:worker_list"), {"q": "hồng lan"})
        assert list(response.context["object_list"]) == []

    def test_facility_filter_takes_the_subtree(self, users, network, worker):
        other = HealthWorkerFactory(facility=network.bvdk, full_name="Bùi Văn Sơn")
        client, _ = client_for(users, "doh")
        response = client.get(reverse("people:worker_list"), {"facility": network.tien_du.uid})
        uids = {w.uid for w in response.context["object_list"]}
        assert worker.uid in uids and other.uid not in uids


class TestAccessLog:
    def test_detail_shows_everything_and_is_logged(self, users, worker):
        client, user = client_for(users, "clerk")
        response = client.get(worker.get_absolute_url())
        assert response.status_code == 200
        text = response.content.decode()
        assert LICENCE in text and PHONE in text and "14/03/1987" in text
        entry = accesses(worker).get()
        assert entry.actor == user
        # Only administrators see who opened the record.
        assert "access-log" not in text

    def test_admin_sees_who_opened(self, users, worker):
        clerk, _ = client_for(users, "clerk")
        clerk.get(worker.get_absolute_url())
        admin, _ = client_for(users, "admin")
        response = admin.get(worker.get_absolute_url())
        text = response.content.decode()
        assert "access-log" in text
        assert users.clerk.username in text
        assert accesses(worker).count() == 2

    def test_api_retrieve_is_full_and_logged(self, users, worker):
        client, user = client_for(users, "clerk")
        response = client.get(f"/api/workers/{worker.uid}/")
        assert response.status_code == 200
        body = response.json()
        assert body["licence_number"] == LICENCE
        assert body["phone"] == PHONE
        assert body["birth_date"] == "1987-03-14"
        entry = accesses(worker).get()
        assert entry.actor == user
        assert entry.additional_data == {"via": "api"}

    def test_out_of_scope_is_not_logged(self, users, worker):
        client, _ = client_for(users, "doh_tn")
        assert client.get(worker.get_absolute_url()).status_code == 404
        assert client.get(f"/api/workers/{worker.uid}/").status_code == 404
        assert not accesses(worker).exists()


class TestRules:
    def test_licence_number_unique(self, network, worker):
        with pytest.raises(ValidationError) as exc:
            HealthWorkerFactory(facility=network.bvdk, licence_number=LICENCE)
        assert "licence_number" in exc.value.message_dict

    def test_birth_date_not_in_future(self, network):
        future = timezone.localdate() + datetime.timedelta(days=2)
        with pytest.raises(ValidationError) as exc:
            HealthWorkerFactory(facility=network.bvdk, birth_date=future, licence_date=None)
        assert exc.value.message_dict["birth_date"] == [
            "The date of birth cannot be in the future."
        ]

    def test_licence_after_birth(self, network):
        with pytest.raises(ValidationError) as exc:
            HealthWorkerFactory(
                facility=network.bvdk,
                birth_date=datetime.date(1990, 1, 1),
                licence_date=datetime.date(1989, 1, 1),
            )
        assert "licence_date" in exc.value.message_dict

    def test_form_shows_field_error(self, users, network, worker):
        client, _ = client_for(users, "clerk")
        response = client.post(
            reverse("people:worker_add"),
            {
                "facility": network.tien_du.pk,
                "full_name": "Ngô Văn Trùng",
                "profession": "nurse",
                "licence_number": LICENCE,
            },
        )
        assert response.status_code == 400
        assert "licence_number" in response.context["form"].errors
        assert not HealthWorker.objects.filter(full_name="Ngô Văn Trùng").exists()

    def test_api_shows_field_error(self, users, network, worker):
        client, _ = client_for(users, "clerk")
        response = client.post(
            "/api/workers/",
            {
                "facility": network.tien_du.uid,
                "full_name": "Ngô Văn Trùng",
                "profession": "nurse",
                "licence_number": LICENCE,
                "birth_date": "1990-01-01",
                "licence_date": "1980-01-01",
            },
            content_type="application/json",
        )
        assert response.status_code == 400
        assert set(response.json()) == {"licence_number", "licence_date"}

    def test_clerk_cannot_add_to_another_district(self, users, network):
        client, _ = client_for(users, "clerk")
        response = client.post(
            "/api/workers/",
            {"facility": network.tu_son.uid, "full_name": "Ngô Văn Xa", "profession": "nurse"},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert not HealthWorker.objects.filter(full_name="Ngô Văn Xa").exists()

    def test_retire_keeps_the_record(self, users, worker):
        client, _ = client_for(users, "doh")
        response = client.post(reverse("people:worker_retire", args=[worker.uid]))
        assert response.status_code == 302
        worker.refresh_from_db()
        assert not worker.active
        client.post(reverse("people:worker_retire", args=[worker.uid]), {"reactivate": "1"})
        worker.refresh_from_db()
        assert worker.active
        services.retire_worker(worker)
        assert HealthWorker.objects.filter(pk=worker.pk, active=False).exists()
