"""The rules of rotations, through the service (the one place that holds them)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from doha.rotations import services
from doha.rotations.models import Rotation, RotationStatus
from tests.rotations.factories import WorkerFactory, make_rotation, programme_between

D = datetime.date


@pytest.fixture
def worker(network):
    return WorkerFactory(facility=network.bvdk, full_name="Trần Văn Bình")


def errors(exc_info):
    return exc_info.value.message_dict


def test_from_facility_defaults_to_the_workers(worker, network):
    rotation = make_rotation(worker, network.tien_du)
    assert rotation.from_facility == network.bvdk
    assert rotation.status == RotationStatus.PLANNED


def test_end_must_be_after_start(worker, network):
    with pytest.raises(ValidationError) as exc:
        make_rotation(worker, network.tien_du, start=D(2024, 5, 1), end=D(2024, 4, 1))
    assert errors(exc)["end"] == ["The end must be after the start."]


@pytest.mark.parametrize(
    "end, ok",
    [
        (D(2024, 3, 30), False),  # a day short of 3 months
        (D(2024, 3, 31), True),  # 3 months
        (D(2024, 6, 30), True),  # 6 months
        (D(2024, 7, 1), False),  # a day over 6 months
    ],
)
def test_default_policy_three_to_six_months(worker, network, end, ok):
    if ok:
        make_rotation(worker, network.tien_du, start=D(2024, 1, 1), end=end)
        return
    with pytest.raises(ValidationError) as exc:
        make_rotation(worker, network.tien_du, start=D(2024, 1, 1), end=end)
    message = errors(exc)["end"][0]
    assert "from 3 to 6 months" in message
    assert "31/03/2024 and 30/06/2024" in message


def test_default_policy_comes_from_settings(worker, network, settings):
    settings.DOHA_ROTATION_MIN_MONTHS = 1
    settings.DOHA_ROTATION_MAX_MONTHS = 2
    make_rotation(worker, network.tien_du, start=D(2024, 1, 1), end=D(2024, 1, 31))
    with pytest.raises(ValidationError) as exc:
        make_rotation(worker, network.tien_du, start=D(2024, 6, 1), end=D(2024, 9, 30))
    assert "from 1 to 2 months" in errors(exc)["end"][0]


def test_programme_policy_overrides_the_default(worker, network):
    programme = programme_between(
        network.bvdk, network.tien_du, min_secondment_months=1, max_secondment_months=12
    )
    make_rotation(
        worker, network.tien_du, start=D(2024, 1, 1), end=D(2024, 10, 31), programme=programme
    )
    with pytest.raises(ValidationError) as exc:
        make_rotation(
            worker, network.tien_du, start=D(2025, 1, 1), end=D(2026, 6, 30), programme=programme
        )
    assert "from 1 to 12 months" in errors(exc)["end"][0]
    assert str(programme) in errors(exc)["end"][0]


def test_one_person_cannot_be_in_two_places(worker, network):
    first = make_rotation(worker, network.tien_du, start=D(2024, 1, 1), end=D(2024, 4, 30))
    with pytest.raises(ValidationError) as exc:
        make_rotation(worker, network.tu_son, start=D(2024, 4, 1), end=D(2024, 7, 31))
    message = errors(exc)["worker"][0]
    assert "Trần Văn Bình is already at" in message
    assert first.uid in message and "01/01/2024" in message and "30/04/2024" in message
    assert Rotation.objects.count() == 1
    # Back to back is fine, and a cancelled rotation frees the period.
    make_rotation(worker, network.tu_son, start=D(2024, 5, 1), end=D(2024, 8, 31))
    services.cancel_rotation(first, reason="Đổi người")
    make_rotation(worker, network.tyt_tu_son, start=D(2024, 1, 1), end=D(2024, 3, 31))


def test_editing_does_not_collide_with_itself(worker, network):
    rotation = make_rotation(worker, network.tien_du, start=D(2024, 1, 1), end=D(2024, 4, 30))
    rotation.end = D(2024, 5, 31)
    services.update_rotation(rotation)
    assert Rotation.objects.get(pk=rotation.pk).end == D(2024, 5, 31)


def test_facilities_must_be_parties_of_the_programme(worker, network):
    programme = programme_between(network.bvdk, network.tien_du)
    # A unit under a party is fine (the commune station under TTYT Tiên Du).
    make_rotation(worker, network.tyt_tien_du, programme=programme)
    with pytest.raises(ValidationError) as exc:
        make_rotation(worker, network.tu_son, start=D(2025, 1, 1), programme=programme)
    assert errors(exc)["to_facility"] == [
        f"{network.tu_son} is not a party of the programme {programme}."
    ]
    other = WorkerFactory(facility=network.phu_binh)
    with pytest.raises(ValidationError) as exc:
        make_rotation(other, network.tien_du, programme=programme)
    assert "from_facility" in errors(exc)


def test_sending_and_receiving_facilities_differ(worker, network):
    with pytest.raises(ValidationError) as exc:
        make_rotation(worker, network.bvdk)
    assert errors(exc)["to_facility"] == [
        "The receiving facility must differ from the sending facility."
    ]


def test_outputs_only_once_started(worker, network):
    rotation = make_rotation(worker, network.tien_du, start=D(2024, 1, 1), end=D(2024, 4, 30))
    with pytest.raises(ValidationError) as exc:
        services.record_outputs(rotation, today=D(2023, 12, 31), patients_examined=5)
    assert "only once the rotation has started" in errors(exc)["start"][0]
    services.record_outputs(
        rotation, today=D(2024, 2, 1), patients_examined=120, surgeries=4, people_trained=3
    )
    rotation.refresh_from_db()
    assert rotation.status == RotationStatus.ONGOING and rotation.patients_examined == 120
    services.record_outputs(rotation, today=D(2024, 6, 1), patients_examined=300)
    rotation.refresh_from_db()
    assert rotation.status == RotationStatus.COMPLETED


def test_cancelled_rotation_is_not_edited(worker, network):
    rotation = make_rotation(worker, network.tien_du)
    services.cancel_rotation(rotation, reason="Thiếu nhân lực")
    rotation.purpose = "x"
    with pytest.raises(ValidationError):
        services.update_rotation(rotation)
    with pytest.raises(ValidationError):
        services.record_outputs(rotation, patients_examined=1)


def test_timeline_marks_the_months(worker, network):
    make_rotation(worker, network.tien_du, start=D(2024, 11, 15), end=D(2025, 3, 14))
    groups = services.timeline(Rotation.objects.all(), 2025)
    assert [g["facility"] for g in groups] == [network.tien_du]
    assert groups[0]["rows"][0]["months"] == [True] * 3 + [False] * 9
    assert groups[0]["counts"][:4] == [1, 1, 1, 0]
    assert services.timeline(Rotation.objects.all(), 2023) == []
