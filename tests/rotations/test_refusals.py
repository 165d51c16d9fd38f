"""Form (page) and API refuse the same things as the service, with the same messages."""

import datetime

import pytest
from django.urls import reverse

from doha.rotations.models import Rotation, RotationStatus
from tests.mixins import new_client
from tests.rotations.factories import WorkerFactory, make_rotation, programme_between

D = datetime.date
JSON = "application/json"


@pytest.fixture
def setup(network, users):
    worker = WorkerFactory(facility=network.bvdk, full_name="Trần Văn Bình")
    busy = make_rotation(worker, network.tien_du, start=D(2024, 1, 1), end=D(2024, 4, 30))
    programme = programme_between(network.bvdk, network.tien_du)
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users.line)
    return worker, busy, programme, client


# case name -> (changes to a valid request, field refused, words of the message)
CASES = {
    "end_before_start": ({"start": "2025-05-01", "end": "2025-04-01"}, "end", "after the start"),
    "too_short": ({"start": "2025-01-01", "end": "2025-02-15"}, "end", "from 3 to 6 months"),
    "too_long": ({"start": "2025-01-01", "end": "2025-09-30"}, "end", "from 3 to 6 months"),
    "overlap": ({"start": "2024-03-01", "end": "2024-06-30"}, "worker", "two places at once"),
    "outside_programme": ({"to": "tu_son", "programme": True}, "to_facility", "not a party"),
    "same_facility": ({"to": "bvdk"}, "to_facility", "must differ"),
}


def _request(network, worker, programme, changes, api):
    to = getattr(network, changes.get("to", "tien_du"))
    data = {
        "kind": "secondment",
        "start": changes.get("start", "2025-01-01"),
        "end": changes.get("end", "2025-04-30"),
        "purpose": "Hỗ trợ chuyên môn",
    }
    if api:
        data.update(worker=worker.uid, to_facility=to.uid)
        if changes.get("programme"):
            data["programme"] = programme.uid
    else:
        data.update(worker=worker.pk, to_facility=to.pk)
        if changes.get("programme"):
            data["programme"] = programme.pk
    return data


@pytest.mark.parametrize("case", CASES)
def test_form_refuses(case, network, setup):
    worker, _busy, programme, client = setup
    changes, field, words = CASES[case]
    response = client.post(
        reverse("rotations:add"), _request(network, worker, programme, changes, api=False)
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert words in " ".join(form.errors[field])
    assert words in response.content.decode()
    assert Rotation.objects.count() == 1


@pytest.mark.parametrize("case", CASES)
def test_api_refuses(case, network, setup):
    worker, _busy, programme, client = setup
    changes, field, words = CASES[case]
    response = client.post(
        "/api/rotations/",
        _request(network, worker, programme, changes, api=True),
        content_type=JSON,
    )
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()[field])
    assert Rotation.objects.count() == 1


def test_valid_rotation_through_form_and_api(network, setup):
    worker, _busy, programme, client = setup
    data = _request(network, worker, programme, {"programme": True}, api=False)
    response = client.post(reverse("rotations:add"), data)
    assert response.status_code == 302
    created = Rotation.objects.get(worker=worker, start=D(2025, 1, 1))
    assert created.from_facility == network.bvdk and created.programme == programme
    data = _request(
        network, worker, programme, {"start": "2025-06-01", "end": "2025-09-30"}, api=True
    )
    response = client.post("/api/rotations/", data, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["from_facility"] == network.bvdk.uid


def test_edit_refuses_overlap_on_page_and_api(network, setup):
    worker, busy, programme, client = setup
    later = make_rotation(worker, network.tu_son, start=D(2024, 6, 1), end=D(2024, 9, 30))
    response = client.patch(
        f"/api/rotations/{later.uid}/", {"start": "2024-04-01"}, content_type=JSON
    )
    assert response.status_code == 400
    assert busy.uid in response.json()["worker"][0]
    data = {
        "kind": "secondment",
        "worker": worker.pk,
        "to_facility": network.tu_son.pk,
        "start": "2024-04-01",
        "end": "2024-09-30",
    }
    response = client.post(reverse("rotations:edit", args=[later.uid]), data)
    assert response.status_code == 400
    assert busy.uid in " ".join(response.context["form"].errors["worker"])
    assert Rotation.objects.get(pk=later.pk).start == D(2024, 6, 1)


def test_outputs_refused_before_start_on_page_and_api(network, setup):
    worker, _busy, _programme, client = setup
    future = make_rotation(worker, network.tien_du, start=D(2099, 1, 1), end=D(2099, 4, 30))
    response = client.post(
        f"/api/rotations/{future.uid}/outputs/", {"patients_examined": 3}, content_type=JSON
    )
    assert response.status_code == 400
    assert "only once the rotation has started" in response.json()["start"][0]
    response = client.post(reverse("rotations:outputs", args=[future.uid]), {"surgeries": 2})
    assert response.status_code == 400
    assert "only once the rotation has started" in response.content.decode()
    assert Rotation.objects.get(pk=future.pk).surgeries is None


def test_outputs_recorded_on_page_and_api(network, setup):
    _worker, busy, _programme, client = setup
    response = client.post(
        reverse("rotations:outputs", args=[busy.uid]),
        {"patients_examined": 250, "surgeries": 12, "people_trained": 4, "outputs_note": "Tốt"},
    )
    assert response.status_code == 302
    busy.refresh_from_db()
    assert busy.patients_examined == 250 and busy.status == RotationStatus.COMPLETED
    response = client.post(
        f"/api/rotations/{busy.uid}/outputs/", {"techniques_transferred": 2}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["techniques_transferred"] == 2


def test_delete_cancels(network, setup):
    _worker, busy, _programme, client = setup
    response = client.delete(f"/api/rotations/{busy.uid}/")
    assert response.status_code == 204
    busy.refresh_from_db()
    assert busy.status == RotationStatus.CANCELLED
    assert client.delete(f"/api/rotations/{busy.uid}/").status_code == 400
