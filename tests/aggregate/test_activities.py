"""Activity figures computed from the records of transfers, rotations, training, remote
consultations and donations, written as data values of the computed data elements."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation

from doha.aggregate import activities
from doha.aggregate.activities import (
    ActivityError,
    compute_activities,
    recompute_for,
)
from doha.aggregate.metadata import load_default_metadata
from doha.aggregate.models import AuditType, DataElement, DataSet, DataValue, DataValueAudit
from doha.aggregate.signals import values_changed
from doha.rotations import services as rotation_services
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


def values(code, org_unit=None) -> dict[str, str]:
    """The live values of a data element, by period (for one facility when given)."""
    qs = DataValue.objects.filter(data_element__code=code, deleted=False)
    if org_unit is not None:
        qs = qs.filter(org_unit=org_unit)
    return dict(qs.values_list("period", "value"))


def live_count() -> int:
    return DataValue.objects.filter(deleted=False).count()


# ------------------------------------------------------------------------------ figures


def test_a_transfer_counts_for_the_receiving_facility_in_the_month_it_was_accepted(network):
    transfer = advance(make_transfer(network.bvdk, network.tien_du), TransferState.ACCEPTED)
    assert transfer.step_date(TransferState.ACCEPTED) == D(2025, 2, 28)
    # Another one still in training: not accepted, not counted.
    advance(make_transfer(network.bvdk, network.tien_du), TransferState.TRAINING)

    summary = compute_activities("202501", "202503")

    assert values("ACT_TRANSFERS_ACCEPTED") == {"202502": "1"}
    assert values("ACT_TRANSFERS_ACCEPTED", network.tien_du) == {"202502": "1"}
    assert summary.created == 1 and summary.conflicts == []
    value = DataValue.objects.get(data_element__code="ACT_TRANSFERS_ACCEPTED")
    assert value.stored_by == "doha-activities"
    assert value.period_type == "Monthly" and value.start_date == D(2025, 2, 1)


def test_rotations_count_each_month_a_worker_is_at_the_receiving_facility(network):
    first = WorkerFactory(facility=network.bvdk)
    second = WorkerFactory(facility=network.bvdk)
    third = WorkerFactory(facility=network.bvdk)
    make_rotation(first, network.tien_du, start=D(2024, 1, 15), end=D(2024, 4, 30))
    make_rotation(second, network.tien_du, start=D(2024, 3, 1), end=D(2024, 6, 15))
    cancelled = make_rotation(third, network.tien_du, start=D(2024, 1, 1), end=D(2024, 4, 30))
    rotation_services.cancel_rotation(cancelled, reason="Thiếu nhân lực tại khoa")

    compute_activities("2024", "2024")

    assert values("ACT_ROTATION_STAFF", network.tien_du) == {
        "202401": "1",
        "202402": "1",
        "202403": "2",
        "202404": "2",
        "202405": "1",
        "202406": "1",
    }
    assert values("ACT_ROTATION_STAFF", network.bvdk) == {}  # the sending side


def test_people_trained_are_the_workers_who_passed_a_course_that_ended_in_the_month(network):
    course = make_course(network.bvdk)
    other = make_course(network.bvdk, title="Hồi sức sơ sinh")
    passed = make_worker(network.tien_du, "Nguyễn Thị Lan")
    failed = make_worker(network.tien_du, "Lê Văn Hùng")
    elsewhere = make_worker(network.tu_son, "Phạm Văn Đức")
    for worker, result in ((passed, Result.PASSED), (failed, Result.FAILED)):
        enrolment = training_services.enrol(course, worker)
        training_services.record_result(enrolment, result=result, attendance_percent=100)
    # Two courses passed the same month: one person trained.
    enrolment = training_services.enrol(other, passed)
    training_services.record_result(enrolment, result=Result.PASSED, attendance_percent=90)
    enrolment = training_services.enrol(other, elsewhere)
    training_services.record_result(enrolment, result=Result.PASSED, attendance_percent=90)

    compute_activities(course.end_date, course.end_date)

    month = course.end_date.strftime("%Y%m")
    assert values("ACT_PEOPLE_TRAINED", network.tien_du) == {month: "1"}
    assert values("ACT_PEOPLE_TRAINED", network.tu_son) == {month: "1"}
    assert values("ACT_PEOPLE_TRAINED", network.bvdk) == {}  # the organiser


def test_consultations_count_for_the_requesting_facility_by_local_month(network):
    make_consultation(network.tien_du, network.bvdk, requested_at=at(2025, 3, 1, 8, 0))
    # 31/03 23:30 in Hà Nội is still March (16:30 UTC).
    make_consultation(network.tien_du, network.bvdk, requested_at=at(2025, 3, 31, 23, 30))
    make_consultation(network.tien_du, network.bvdk, requested_at=at(2025, 4, 1, 0, 10))

    compute_activities("2025Q1", "202504")

    assert values("ACT_CONSULTATIONS", network.tien_du) == {"202503": "2", "202504": "1"}
    assert values("ACT_CONSULTATIONS", network.bvdk) == {}  # the hub


def test_donation_value_is_the_total_received_in_the_month(network):
    make_donation(network.bvdk, network.tien_du, date=D(2024, 7, 24))  # 750.000.000 đ
    from doha.donations.models import DonationItem

    make_donation(
        network.bvdk,
        network.tien_du,
        date=D(2024, 7, 30),
        items=[
            DonationItem(item="Máy đo SpO2", quantity=4, unit="chiếc", unit_value=2_500_000),
            DonationItem(item="Khẩu trang", quantity=100, unit="hộp", total_value=5_000_000),
        ],
    )

    compute_activities("202407", "202407")

    assert values("ACT_DONATION_VALUE", network.tien_du) == {"202407": "765000000"}
    assert values("ACT_DONATION_VALUE", network.bvdk) == {}


# ------------------------------------------------------------------------------ writing


@pytest.fixture
def records(network):
    """One record of each kind for TTYT Tiên Du in the first half of 2025."""
    advance(make_transfer(network.bvdk, network.tien_du), TransferState.ACCEPTED)
    make_rotation(
        WorkerFactory(facility=network.bvdk), network.tien_du, start=D(2025, 1, 1), end=None
    )
    make_consultation(network.tien_du, network.bvdk, requested_at=at(2025, 3, 1, 8, 0))
    make_donation(network.bvdk, network.tien_du, date=D(2025, 5, 5))
    return network


def test_running_twice_changes_nothing(records):
    first = compute_activities("2025S1", "2025S1")
    assert first.created == 7  # 1 transfer, 4 rotation months, 1 consultation, 1 donation
    stored = live_count()
    audits = DataValueAudit.objects.count()

    second = compute_activities("2025S1", "2025S1")

    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    assert second.unchanged == 7
    assert live_count() == stored
    assert DataValueAudit.objects.count() == audits


def test_every_change_leaves_an_audit_row_and_tells_the_rollups(records):
    received = []

    def receiver(sender, keys, **kwargs):
        received.append(set(keys))

    values_changed.connect(receiver)
    try:
        compute_activities("2025S1", "2025S1")
    finally:
        values_changed.disconnect(receiver)

    audits = DataValueAudit.objects.filter(modified_by="doha-activities")
    assert audits.count() == 7
    assert set(audits.values_list("audit_type", flat=True)) == {AuditType.CREATE}
    element = DataElement.objects.get(code="ACT_CONSULTATIONS")
    assert (element.pk, records.tien_du.pk, D(2025, 3, 1)) in set().union(*received)


def test_a_figure_that_falls_to_zero_is_deleted_not_stored_as_zero(network):
    rotation = make_rotation(
        WorkerFactory(facility=network.bvdk), network.tien_du, start=D(2025, 1, 1), end=None
    )
    compute_activities("2025S1", "2025S1")
    assert len(values("ACT_ROTATION_STAFF", network.tien_du)) == 4

    rotation_services.cancel_rotation(rotation, reason="Đổi kế hoạch")
    summary = compute_activities("2025S1", "2025S1")

    assert summary.deleted == 4
    assert values("ACT_ROTATION_STAFF", network.tien_du) == {}
    assert not DataValue.objects.filter(data_element__code="ACT_ROTATION_STAFF", value="0")
    deletions = DataValueAudit.objects.filter(
        data_element__code="ACT_ROTATION_STAFF", audit_type=AuditType.DELETE
    )
    assert deletions.count() == 4
    assert set(deletions.values_list("previous_value", flat=True)) == {"1"}


def test_a_changed_figure_is_updated(network):
    worker = WorkerFactory(facility=network.bvdk)
    make_rotation(worker, network.tien_du, start=D(2025, 1, 1), end=D(2025, 4, 30))
    compute_activities("202502", "202502")
    make_rotation(
        WorkerFactory(facility=network.bvdk), network.tien_du, start=D(2025, 2, 1), end=None
    )

    summary = compute_activities("202502", "202502")

    assert (summary.created, summary.updated) == (0, 1)
    assert values("ACT_ROTATION_STAFF", network.tien_du) == {"202502": "2"}
    audit = DataValueAudit.objects.get(audit_type=AuditType.UPDATE)
    assert (audit.previous_value, audit.value) == ("1", "2")


def test_facilities_that_get_a_figure_report_the_activities_data_set(records):
    compute_activities("2025S1", "2025S1")
    data_set = DataSet.objects.get(code="DS_ACTIVITIES")
    assert records.tien_du in data_set.org_units.all()
    assert records.bvdk not in data_set.org_units.all()


def test_dry_run_says_what_would_change_and_writes_nothing(records):
    summary = compute_activities("2025S1", "2025S1", dry_run=True)
    assert summary.created == 7 and summary.dry_run
    assert live_count() == 0
    assert not DataSet.objects.get(code="DS_ACTIVITIES").org_units.exists()


def test_recompute_for_touches_one_facility_and_one_month(records):
    make_consultation(records.tu_son, records.bvdk, requested_at=at(2025, 3, 2, 9, 0))
    compute_activities("2025S1", "2025S1")
    make_consultation(records.tien_du, records.bvdk, requested_at=at(2025, 3, 20, 9, 0))
    make_consultation(records.tu_son, records.bvdk, requested_at=at(2025, 3, 21, 9, 0))
    make_consultation(records.tien_du, records.bvdk, requested_at=at(2025, 4, 2, 9, 0))

    summary = recompute_for(records.tien_du, D(2025, 3, 15))

    assert summary.periods == ["202503"]
    assert values("ACT_CONSULTATIONS", records.tien_du) == {"202503": "2"}
    assert values("ACT_CONSULTATIONS", records.tu_son) == {"202503": "1"}  # not recomputed


def test_recompute_for_a_span_covers_a_rotations_months(network):
    rotation = make_rotation(
        WorkerFactory(facility=network.bvdk), network.tien_du, start=D(2025, 1, 10), end=None
    )
    summary = recompute_for(network.tien_du, rotation.start, rotation.end)
    assert summary.periods == ["202501", "202502", "202503", "202504", "202505"]
    assert set(values("ACT_ROTATION_STAFF", network.tien_du)) == set(summary.periods)


def test_without_the_computed_data_elements_nothing_happens(network):
    DataElement.objects.filter(source="computed").update(source="entered")
    make_consultation(network.tien_du, network.bvdk, requested_at=at(2025, 3, 1, 8, 0))
    summary = recompute_for(network.tien_du, D(2025, 3, 1))
    assert summary.elements == 0 and summary.changed == 0
    assert live_count() == 0


def test_bad_periods_are_refused_with_the_reason():
    with pytest.raises(ActivityError, match="start"):
        compute_activities("2025-13", "202512")
    with pytest.raises(ActivityError, match="before the start"):
        compute_activities("202506", "202501")


# ------------------------------------------------------------------------------ command


def test_command_computes_and_reports(records):
    out = StringIO()
    call_command("compute_activities", "--start", "202501", "--end", "202506", stdout=out)
    assert "202501–202506 (6 months" in out.getvalue()
    assert "7 values were created" in out.getvalue()
    assert live_count() == 7

    out = StringIO()
    call_command("compute_activities", "--start", "202501", "--end", "202506", stdout=out)
    assert "0 values were created, 0 updated, 0 deleted; 7 unchanged" in out.getvalue()


def test_command_defaults_to_the_last_36_months(records, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: D(2025, 6, 20))
    out = StringIO()
    call_command("compute_activities", stdout=out)
    assert "202207–202506 (36 months" in out.getvalue()
    assert live_count() == 7


def test_command_limits_to_a_facility_and_refuses_unknown_ones(records):
    out = StringIO()
    call_command(
        "compute_activities", "--start", "2025", "--org-unit", records.tu_son.code, stdout=out
    )
    assert live_count() == 0
    with pytest.raises(CommandError, match="KHONG-CO"):
        call_command("compute_activities", "--org-unit", "KHONG-CO", stdout=StringIO())
    with pytest.raises(CommandError, match="end"):
        call_command(
            "compute_activities", "--start", "202506", "--end", "202501", stdout=StringIO()
        )


def test_dry_run_command_writes_nothing(records):
    out = StringIO()
    call_command(
        "compute_activities", "--start", "202501", "--end", "202506", "--dry-run", stdout=out
    )
    assert "7 values would be created" in out.getvalue()
    assert live_count() == 0


def test_figures_are_exposed_by_key():
    assert activities.FIGURES == (
        "transfers_accepted",
        "rotation_staff",
        "people_trained",
        "consultations",
        "donation_value",
    )
