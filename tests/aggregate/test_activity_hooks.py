"""The activity services keep the computed activity figures up to date themselves: once a
change is committed the facility's figures of the months it touches are recomputed; a
rolled-back change writes nothing, and a failing recompute never breaks the save."""

import datetime
import logging

import pytest
from django.db import transaction
from django.utils import translation

from doha.aggregate import activities
from doha.aggregate.metadata import load_default_metadata
from doha.aggregate.models import DataElement, DataValue
from doha.analytics.query import run_query
from doha.core.signals import notify_record_changed, record_changed
from doha.donations import services as donation_services
from doha.rotations import services as rotation_services
from doha.telehealth import services as telehealth_services
from doha.telehealth.models import Consultation
from doha.training import services as training_services
from doha.training.models import Result
from doha.transfers.models import TransferState
from tests.donations.factories import make_donation
from tests.rotations.factories import WorkerFactory, make_rotation
from tests.telehealth.factories import at, make_consultation
from tests.training.factories import make_course, make_worker
from tests.transfers.factories import advance, make_transfer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world", "metadata")]
D = datetime.date


@pytest.fixture(scope="module")
def metadata(shared_world, django_db_blocker):
    """The default metadata, loaded once for the module (rolled back after it)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_default_metadata()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the code as if its transaction committed: the on-commit hooks run at the end."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            result = function(*args, **kwargs)
        return result, callbacks

    return run


def values(code, org_unit) -> dict[str, str]:
    qs = DataValue.objects.filter(data_element__code=code, org_unit=org_unit, deleted=False)
    return dict(qs.values_list("period", "value"))


def test_accepting_a_transfer_puts_it_in_the_receiving_facilitys_figures(network, users, committed):
    transfer = make_transfer(network.bvdk, network.tien_du)
    assert values("ACT_TRANSFERS_ACCEPTED", network.tien_du) == {}  # not accepted yet

    transfer, _callbacks = committed(advance, transfer, TransferState.ACCEPTED)

    accepted_on = transfer.step_date(TransferState.ACCEPTED)
    month = accepted_on.strftime("%Y%m")
    assert values("ACT_TRANSFERS_ACCEPTED", network.tien_du) == {month: "1"}
    assert values("ACT_TRANSFERS_ACCEPTED", network.bvdk) == {}
    element = DataElement.objects.get(code="ACT_TRANSFERS_ACCEPTED")
    result = run_query(users.doh, dx=[element.uid], pe=[month], ou=[network.tien_du.uid])
    assert result.value(element.uid, month, network.tien_du.uid) == 1
    # The province sees it too (the rollups follow).
    result = run_query(users.doh, dx=[element.uid], pe=[month], ou=[network.syt_bn.uid])
    assert result.value(element.uid, month, network.syt_bn.uid) == 1


def test_a_rotation_fills_its_months_and_cancelling_it_empties_them(network, committed):
    worker = WorkerFactory(facility=network.bvdk)
    rotation, _c = committed(
        make_rotation, worker, network.tien_du, start=D(2025, 1, 15), end=D(2025, 4, 30)
    )
    assert values("ACT_ROTATION_STAFF", network.tien_du) == {
        "202501": "1",
        "202502": "1",
        "202503": "1",
        "202504": "1",
    }

    committed(rotation_services.cancel_rotation, rotation, reason="Thiếu nhân lực tại khoa")

    assert values("ACT_ROTATION_STAFF", network.tien_du) == {}


def test_editing_a_rotation_recomputes_the_old_and_the_new_span(network, committed):
    worker = WorkerFactory(facility=network.bvdk)
    rotation, _c = committed(
        make_rotation, worker, network.tien_du, start=D(2025, 1, 15), end=D(2025, 4, 30)
    )
    rotation.start, rotation.end = D(2025, 3, 1), D(2025, 6, 30)
    committed(rotation_services.update_rotation, rotation)

    assert values("ACT_ROTATION_STAFF", network.tien_du) == {
        "202503": "1",
        "202504": "1",
        "202505": "1",
        "202506": "1",
    }


def test_a_passed_result_and_its_reversal(network, committed):
    course = make_course(network.bvdk)
    worker = make_worker(network.tien_du, "Nguyễn Thị Lan")
    enrolment = training_services.enrol(course, worker)
    month = course.end_date.strftime("%Y%m")

    committed(training_services.record_result, enrolment, result=Result.PASSED)
    assert values("ACT_PEOPLE_TRAINED", network.tien_du) == {month: "1"}

    committed(training_services.record_result, enrolment, result=Result.FAILED, reason="Nhập nhầm")
    assert values("ACT_PEOPLE_TRAINED", network.tien_du) == {}


def test_moving_a_consultation_to_another_month_moves_its_count(network, committed):
    consultation, _c = committed(
        make_consultation, network.tien_du, network.bvdk, requested_at=at(2025, 3, 31, 22, 0)
    )
    assert values("ACT_CONSULTATIONS", network.tien_du) == {"202503": "1"}

    consultation = Consultation.objects.get(pk=consultation.pk)
    consultation.requested_at = at(2025, 4, 1, 8, 0)
    committed(telehealth_services.save_consultation, consultation)

    assert values("ACT_CONSULTATIONS", network.tien_du) == {"202504": "1"}


def test_a_donations_value_follows_its_edits(network, committed):
    donation, _c = committed(make_donation, network.bvdk, network.tien_du, date=D(2025, 5, 5))
    before = values("ACT_DONATION_VALUE", network.tien_du)
    assert list(before) == ["202505"] and int(before["202505"]) > 0

    donation.date = D(2025, 6, 2)
    items = list(donation.items.all())
    committed(donation_services.save_donation, donation, items)

    assert values("ACT_DONATION_VALUE", network.tien_du) == {"202506": before["202505"]}


def test_a_rolled_back_change_writes_nothing(network, committed):
    transfer = make_transfer(network.bvdk, network.tien_du)

    def accept_then_fail():
        with transaction.atomic():
            advance(transfer, TransferState.ACCEPTED)
            raise RuntimeError("the save failed further on")

    with pytest.raises(RuntimeError):
        _result, callbacks = committed(accept_then_fail)

    assert values("ACT_TRANSFERS_ACCEPTED", network.tien_du) == {}
    assert not DataValue.objects.filter(org_unit=network.tien_du).exists()


def test_a_failing_recompute_does_not_break_the_save(network, committed, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("analytics database unreachable")

    monkeypatch.setattr(activities, "recompute_for", broken)
    with caplog.at_level(logging.ERROR, logger="doha.figures"):
        consultation, callbacks = committed(
            make_consultation, network.tien_du, network.bvdk, requested_at=at(2025, 3, 2, 9, 0)
        )

    assert len(callbacks) == 1
    assert Consultation.objects.filter(pk=consultation.pk).exists()
    assert values("ACT_CONSULTATIONS", network.tien_du) == {}
    assert "analytics database unreachable" in caplog.text
    assert "were not recomputed" in caplog.text


def test_without_a_unit_or_a_day_nothing_is_sent(network, django_capture_on_commit_callbacks):
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    record_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            notify_record_changed(Consultation, None, D(2025, 1, 1))
            notify_record_changed(Consultation, network.tien_du, None)
            notify_record_changed(Consultation, network.tien_du, D(2025, 3, 1), D(2025, 1, 1))
    finally:
        record_changed.disconnect(receiver)
    assert len(callbacks) == 1
    assert [(r["first"], r["last"]) for r in received] == [(D(2025, 1, 1), D(2025, 3, 1))]
