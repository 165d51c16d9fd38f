"""Every rule of the transfer lifecycle, through the service functions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from doha.catalog.models import Acquisition, FacilityCapability
from doha.core.permissions import Role
from doha.programmes.models import NeedStatus, ProgrammeStatus
from doha.transfers import services
from doha.transfers.models import (
    CaseKind,
    StepEvidence,
    TechniqueTransfer,
    TransferState,
    TransferStep,
)
from tests.factories import OrgUnitFactory, UserFactory
from tests.transfers.factories import (
    STEP_DATES,
    CapabilityFactory,
    TechniqueFactory,
    advance,
    make_transfer,
    need_for,
    programme_between,
)

D = datetime.date
S = TransferState


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


@pytest.fixture
def technique(db):
    return TechniqueFactory(name="Đặt catheter tĩnh mạch rốn", code="NHI.0001")


@pytest.fixture
def transfer(network, technique):
    return make_transfer(network.bvdk, network.tien_du, technique)


# ---------------------------------------------------------------- creation


def test_create_records_the_planned_step(network, technique, users):
    t = make_transfer(network.bvdk, network.tien_du, technique)
    assert t.state == S.PLANNED
    assert t.min_independent_cases == 5
    step = t.steps.get()
    assert (step.state, step.date) == (S.PLANNED, D(2025, 1, 2))


def test_technique_above_recipient_level_needs_an_exception(network):
    specialised_only = TechniqueFactory(
        name="Thay máu sơ sinh", allowed_basic=False, allowed_specialised=True
    )
    with pytest.raises(ValidationError) as exc:
        make_transfer(network.bvdk, network.tien_du, specialised_only)
    message = errors_of(exc)["level_exception"][0]
    assert "Thay máu sơ sinh" in message and "reason" in message
    assert not TechniqueTransfer.objects.exists()

    # Ticked without a reason: still refused, on the reason.
    with pytest.raises(ValidationError) as exc:
        make_transfer(network.bvdk, network.tien_du, specialised_only, level_exception=True)
    assert "level_exception_reason" in errors_of(exc)

    t = make_transfer(
        network.bvdk,
        network.tien_du,
        specialised_only,
        level_exception=True,
        level_exception_reason="Bệnh viện vệ tinh, đủ trang thiết bị",
        level_exception_decision="QĐ 123/QĐ-SYT",
    )
    t.refresh_from_db()
    assert t.level_exception
    assert t.level_exception_reason == "Bệnh viện vệ tinh, đủ trang thiết bị"
    assert t.level_exception_decision == "QĐ 123/QĐ-SYT"


def test_an_exception_is_not_kept_when_the_level_allows_the_technique(network, technique):
    t = make_transfer(
        network.bvdk, network.tien_du, technique, level_exception=True, level_exception_reason="x"
    )
    assert not t.level_exception and t.level_exception_reason == ""


def test_recipient_without_a_technical_level_needs_an_exception(network, technique):
    unknown = OrgUnitFactory(
        name="Phòng khám chưa xếp cấp", technical_level="", parent=network.syt_bn
    )
    with pytest.raises(ValidationError) as exc:
        make_transfer(network.bvdk, unknown, technique)
    assert "not recorded" in errors_of(exc)["level_exception"][0]


def test_a_facility_does_not_transfer_to_itself(network, technique):
    with pytest.raises(ValidationError) as exc:
        make_transfer(network.bvdk, network.bvdk, technique)
    assert "recipient" in errors_of(exc)


def test_the_same_transfer_twice_is_refused_while_live(network, technique, transfer):
    with pytest.raises(ValidationError) as exc:
        make_transfer(network.bvdk, network.tien_du, technique)
    assert "technique" in errors_of(exc)
    services.transition(transfer, S.CANCELLED, date=D(2025, 1, 5), reason="Thiếu nhân lực")
    make_transfer(network.bvdk, network.tien_du, technique, date=D(2025, 1, 6))


def test_planned_date_cannot_be_in_the_future(network, technique):
    with pytest.raises(ValidationError) as exc:
        make_transfer(
            network.bvdk,
            network.tien_du,
            technique,
            date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "state_date" in errors_of(exc)


def test_minimum_cannot_be_below_the_setting(network, technique, settings):
    with pytest.raises(ValidationError) as exc:
        make_transfer(network.bvdk, network.tien_du, technique, min_independent_cases=3)
    assert "min_independent_cases" in errors_of(exc)
    settings.DOHA_MIN_INDEPENDENT_CASES = 3
    t = make_transfer(network.bvdk, network.tien_du, technique)
    assert t.min_independent_cases == 3


def test_creating_for_a_need_plans_the_need(network, technique):
    need = need_for(network.tien_du, technique)
    make_transfer(network.bvdk, network.tien_du, technique, need=need)
    need.refresh_from_db()
    assert need.status == NeedStatus.PLANNED


def test_need_of_another_facility_or_technique_is_refused(network, technique):
    need = need_for(network.tu_son, technique)
    with pytest.raises(ValidationError) as exc:
        make_transfer(network.bvdk, network.tien_du, technique, need=need)
    assert "need" in errors_of(exc)


def test_a_completed_programme_takes_no_new_transfer(network, technique):
    programme = programme_between(network.bvdk, network.tien_du, status=ProgrammeStatus.COMPLETED)
    with pytest.raises(ValidationError) as exc:
        make_transfer(network.bvdk, network.tien_du, technique, programme=programme)
    assert "programme" in errors_of(exc)


# ---------------------------------------------------------------- order and dates


def test_states_move_one_step_at_a_time(transfer):
    with pytest.raises(ValidationError) as exc:
        services.transition(transfer, S.TRAINING, date=D(2025, 1, 10))
    message = errors_of(exc)["state"][0]
    assert "Contracted" in message
    transfer = services.transition(transfer, S.CONTRACTED, date=D(2025, 1, 10))
    assert transfer.state == S.CONTRACTED
    # Never back.
    with pytest.raises(ValidationError):
        services.transition(transfer, S.PLANNED, date=D(2025, 1, 11))
    assert [s.state for s in transfer.steps.order_by("date")] == [S.PLANNED, S.CONTRACTED]


def test_the_full_order(transfer):
    transfer = advance(transfer, S.ACCEPTED)
    assert [s.state for s in transfer.steps.order_by("date", "created")] == [
        S.PLANNED,
        S.CONTRACTED,
        S.TRAINING,
        S.SUPERVISED,
        S.INDEPENDENT,
        S.ACCEPTED,
    ]


def test_dates_cannot_go_backwards(transfer):
    transfer = services.transition(transfer, S.CONTRACTED, date=D(2025, 1, 10))
    with pytest.raises(ValidationError) as exc:
        services.transition(transfer, S.TRAINING, date=D(2025, 1, 9))
    assert "10/01/2025" in errors_of(exc)["date"][0]
    # The same day is fine.
    services.transition(transfer, S.TRAINING, date=D(2025, 1, 10))


def test_a_step_cannot_be_in_the_future(transfer):
    with pytest.raises(ValidationError) as exc:
        services.transition(
            transfer, S.CONTRACTED, date=timezone.localdate() + datetime.timedelta(days=1)
        )
    assert "date" in errors_of(exc)


def test_sustained_is_reached_by_a_check_not_a_transition(transfer):
    transfer = advance(transfer, S.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        services.transition(transfer, S.SUSTAINED, date=D(2025, 9, 1))
    assert "sustainment check" in errors_of(exc)["state"][0]


def test_evidence_files_are_kept_with_the_step(transfer, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    contract = SimpleUploadedFile("hop-dong.pdf", b"%PDF-1.4 contract", "application/pdf")
    services.transition(transfer, S.CONTRACTED, date=D(2025, 1, 10), files=[contract])
    evidence = StepEvidence.objects.get()
    assert evidence.step.state == S.CONTRACTED
    assert evidence.description == "hop-dong.pdf"
    assert str(media_root) in evidence.file.path


def test_evidence_of_an_unknown_kind_is_refused(transfer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    script = SimpleUploadedFile("virus.exe", b"MZ", "application/octet-stream")
    with pytest.raises(ValidationError) as exc:
        services.transition(transfer, S.CONTRACTED, date=D(2025, 1, 10), files=[script])
    assert "files" in errors_of(exc)
    transfer.refresh_from_db()
    assert transfer.state == S.PLANNED  # nothing happened
    assert not TransferStep.objects.filter(state=S.CONTRACTED).exists()


# ---------------------------------------------------------------- acceptance


def test_acceptance_refused_with_four_cases_then_allowed_with_five(transfer):
    transfer = advance(transfer, S.INDEPENDENT)
    services.record_cases(transfer, date=D(2025, 2, 3), kind=CaseKind.SUPERVISED, count=3)
    services.record_cases(transfer, date=D(2025, 2, 5), kind=CaseKind.INDEPENDENT, count=4)
    with pytest.raises(ValidationError) as exc:
        services.transition(transfer, S.ACCEPTED, date=D(2025, 2, 20))
    message = errors_of(exc)["state"][0]
    assert "5" in message and "4" in message
    assert "independent" in message
    transfer.refresh_from_db()
    assert transfer.state == S.INDEPENDENT
    assert not FacilityCapability.objects.filter(facility=transfer.recipient).exists()

    services.record_cases(transfer, date=D(2025, 2, 15), kind=CaseKind.INDEPENDENT, count=1)
    transfer = services.transition(transfer, S.ACCEPTED, date=D(2025, 2, 20))
    assert transfer.state == S.ACCEPTED


def test_acceptance_counts_cases_up_to_its_date(transfer):
    transfer = advance(transfer, S.INDEPENDENT)
    services.record_cases(transfer, date=D(2025, 2, 5), kind=CaseKind.INDEPENDENT, count=4)
    services.record_cases(transfer, date=D(2025, 3, 5), kind=CaseKind.INDEPENDENT, count=1)
    with pytest.raises(ValidationError):
        services.transition(transfer, S.ACCEPTED, date=D(2025, 2, 20))
    services.transition(transfer, S.ACCEPTED, date=D(2025, 3, 5))


def test_acceptance_creates_the_recipients_capability(transfer, network):
    transfer = advance(transfer, S.ACCEPTED)
    capability = FacilityCapability.objects.get(
        facility=network.tien_du, technique=transfer.technique
    )
    assert capability.acquisition == Acquisition.TRANSFER_IN
    assert capability.since == STEP_DATES[S.ACCEPTED]
    assert capability.active
    assert transfer.capability == capability


def test_acceptance_performs_a_retired_capability_again(transfer, network):
    old = CapabilityFactory(
        facility=network.tien_du,
        technique=transfer.technique,
        active=False,
        since=D(2010, 1, 1),
        until=D(2015, 1, 1),
    )
    transfer = advance(transfer, S.ACCEPTED)
    old.refresh_from_db()
    assert (old.acquisition, old.since, old.active, old.until) == (
        Acquisition.TRANSFER_IN,
        STEP_DATES[S.ACCEPTED],
        True,
        None,
    )
    assert transfer.capability_id == old.pk


def test_acceptance_keeps_a_record_the_recipient_already_had(transfer, network):
    own = CapabilityFactory(facility=network.tien_du, technique=transfer.technique)
    transfer = advance(transfer, S.ACCEPTED)
    own.refresh_from_db()
    assert (own.acquisition, own.since) == (Acquisition.OWN, D(2015, 1, 1))
    assert transfer.capability_id == own.pk


# ---------------------------------------------------------------- cancel


def test_cancel_needs_a_reason(transfer):
    with pytest.raises(ValidationError) as exc:
        services.transition(transfer, S.CANCELLED, date=D(2025, 1, 5))
    assert "cancel_reason" in errors_of(exc)
    transfer = services.transition(
        transfer, S.CANCELLED, date=D(2025, 1, 5), reason="Bác sĩ chuyển công tác"
    )
    assert transfer.state == S.CANCELLED
    assert transfer.cancel_reason == "Bác sĩ chuyển công tác"
    assert transfer.steps.filter(state=S.CANCELLED).exists()


@pytest.mark.parametrize("state", [S.CONTRACTED, S.TRAINING, S.SUPERVISED, S.INDEPENDENT])
def test_cancel_from_any_state_before_acceptance(transfer, state):
    transfer = advance(transfer, state)
    transfer = services.transition(transfer, S.CANCELLED, date=D(2025, 2, 1), reason="Dừng")
    assert transfer.state == S.CANCELLED


def test_no_cancel_after_acceptance_and_nothing_after_cancel(transfer, network):
    transfer = advance(transfer, S.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        services.transition(transfer, S.CANCELLED, date=D(2025, 3, 1), reason="x")
    assert "state" in errors_of(exc)
    other = make_transfer(network.bvdk, network.tu_son, TechniqueFactory())
    other = services.transition(other, S.CANCELLED, date=D(2025, 1, 5), reason="x")
    with pytest.raises(ValidationError):
        services.transition(other, S.CONTRACTED, date=D(2025, 1, 6))


def test_cancelling_reopens_the_need(network, technique):
    need = need_for(network.tien_du, technique)
    t = make_transfer(network.bvdk, network.tien_du, technique, need=need)
    services.transition(t, S.CANCELLED, date=D(2025, 1, 5), reason="Không đủ điều kiện")
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN


# ---------------------------------------------------------------- cases


def test_cases_wait_for_training_and_not_before_its_start(transfer):
    with pytest.raises(ValidationError) as exc:
        services.record_cases(transfer, date=D(2025, 1, 20), kind=CaseKind.SUPERVISED)
    assert "state" in errors_of(exc)
    transfer = advance(transfer, S.TRAINING)  # training from 16/01/2025
    with pytest.raises(ValidationError) as exc:
        services.record_cases(transfer, date=D(2025, 1, 15), kind=CaseKind.SUPERVISED)
    assert "16/01/2025" in errors_of(exc)["date"][0]
    case = services.record_cases(transfer, date=D(2025, 1, 16), kind=CaseKind.SUPERVISED, count=2)
    assert case.count == 2
    assert transfer.cases(CaseKind.SUPERVISED) == 2


def test_independent_cases_wait_for_independent_practice(transfer):
    transfer = advance(transfer, S.SUPERVISED)
    with pytest.raises(ValidationError) as exc:
        services.record_cases(transfer, date=D(2025, 1, 25), kind=CaseKind.INDEPENDENT)
    assert "kind" in errors_of(exc)
    transfer = advance(transfer, S.INDEPENDENT)  # from 30/01/2025
    with pytest.raises(ValidationError) as exc:
        services.record_cases(transfer, date=D(2025, 1, 29), kind=CaseKind.INDEPENDENT)
    assert "date" in errors_of(exc)
    services.record_cases(transfer, date=D(2025, 1, 30), kind=CaseKind.INDEPENDENT)


def test_cases_need_a_positive_count_and_a_past_date(transfer):
    transfer = advance(transfer, S.TRAINING)
    with pytest.raises(ValidationError) as exc:
        services.record_cases(transfer, date=D(2025, 1, 20), kind=CaseKind.SUPERVISED, count=0)
    assert "count" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        services.record_cases(
            transfer,
            date=timezone.localdate() + datetime.timedelta(days=1),
            kind=CaseKind.SUPERVISED,
        )
    assert "date" in errors_of(exc)


def test_no_cases_on_an_accepted_transfer(transfer):
    transfer = advance(transfer, S.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        services.record_cases(transfer, date=D(2025, 3, 1), kind=CaseKind.INDEPENDENT)
    assert "yearly volume" in errors_of(exc)["state"][0]


# ---------------------------------------------------------------- sustainment


def test_add_months_keeps_the_day_or_the_months_last_day():
    assert services.add_months(D(2025, 2, 28), 6) == D(2025, 8, 28)
    assert services.add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
    assert services.add_months(D(2023, 8, 31), 6) == D(2024, 2, 29)
    assert services.add_months(D(2025, 2, 28), 12) == D(2026, 2, 28)


def test_sustainment_waits_for_acceptance(transfer):
    transfer = advance(transfer, S.INDEPENDENT)
    with pytest.raises(ValidationError) as exc:
        services.record_sustainment(
            transfer, months_after=6, checked_on=D(2025, 9, 1), still_performed=True
        )
    assert "state" in errors_of(exc)


def test_sustainment_dates(transfer):
    transfer = advance(transfer, S.ACCEPTED)  # accepted on 28/02/2025
    with pytest.raises(ValidationError) as exc:
        services.record_sustainment(
            transfer, months_after=6, checked_on=D(2025, 8, 27), still_performed=True
        )
    assert "28/08/2025" in errors_of(exc)["checked_on"][0]
    with pytest.raises(ValidationError) as exc:
        services.record_sustainment(
            transfer, months_after=12, checked_on=D(2026, 3, 1), still_performed=True
        )
    assert "6-month" in errors_of(exc)["months_after"][0]

    check = services.record_sustainment(
        transfer,
        months_after=6,
        checked_on=D(2025, 8, 28),
        still_performed=True,
        cases_in_period=14,
    )
    assert check.cases_in_period == 14
    transfer.refresh_from_db()
    assert transfer.state == S.SUSTAINED
    assert transfer.state_date == D(2025, 8, 28)
    assert transfer.steps.filter(state=S.SUSTAINED, date=D(2025, 8, 28)).exists()

    with pytest.raises(ValidationError) as exc:
        services.record_sustainment(
            transfer, months_after=6, checked_on=D(2025, 9, 1), still_performed=True
        )
    assert "already" in errors_of(exc)["months_after"][0]
    with pytest.raises(ValidationError) as exc:
        services.record_sustainment(
            transfer, months_after=12, checked_on=D(2026, 2, 27), still_performed=True
        )
    assert "28/02/2026" in errors_of(exc)["checked_on"][0]
    services.record_sustainment(
        transfer, months_after=12, checked_on=D(2026, 2, 28), still_performed=True
    )
    assert transfer.sustainment_checks.count() == 2


def test_a_negative_check_keeps_the_state_and_retires_the_capability(transfer):
    transfer = advance(transfer, S.ACCEPTED)
    services.record_sustainment(
        transfer, months_after=6, checked_on=D(2025, 9, 1), still_performed=False
    )
    transfer.refresh_from_db()
    assert transfer.state == S.ACCEPTED
    assert not transfer.capability.active
    assert transfer.capability.until == D(2025, 9, 1)
    # Performed again at 12 months: sustained, and performed again.
    services.record_sustainment(
        transfer, months_after=12, checked_on=D(2026, 3, 1), still_performed=True
    )
    transfer.refresh_from_db()
    assert transfer.state == S.SUSTAINED
    assert transfer.capability.active


def test_sustainment_check_months_are_6_or_12(transfer):
    transfer = advance(transfer, S.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        services.record_sustainment(
            transfer, months_after=3, checked_on=D(2025, 9, 1), still_performed=True
        )
    assert "months_after" in errors_of(exc)


# ---------------------------------------------------------------- who may


def test_a_clerk_does_not_move_states(transfer, users):
    with pytest.raises(PermissionDenied):
        services.transition(transfer, S.CONTRACTED, date=D(2025, 1, 10), user=users.clerk)
    with pytest.raises(PermissionDenied):
        services.create_transfer(
            TechniqueTransfer(
                technique=TechniqueFactory(),
                provider=transfer.provider,
                recipient=transfer.recipient,
                state_date=D(2025, 1, 2),
            ),
            user=users.clerk,
        )


def test_line_officer_and_doh_move_states(transfer, users):
    transfer = services.transition(transfer, S.CONTRACTED, date=D(2025, 1, 10), user=users.line)
    transfer = services.transition(transfer, S.TRAINING, date=D(2025, 1, 12), user=users.doh)
    assert transfer.steps.get(state=S.TRAINING).recorded_by == users.doh


def test_out_of_scope_officer_is_refused(transfer, users):
    with pytest.raises(PermissionDenied):
        services.transition(transfer, S.CONTRACTED, date=D(2025, 1, 10), user=users.doh_tn)


def test_the_recipients_clerk_records_cases_the_providers_clerk_does_not(transfer, users, network):
    transfer = advance(transfer, S.TRAINING)
    services.record_cases(transfer, date=D(2025, 1, 20), kind=CaseKind.SUPERVISED, user=users.clerk)
    provider_clerk = UserFactory(username="tk.bvdk", role=Role.DATA_CLERK, org_unit=network.bvdk)
    with pytest.raises(PermissionDenied):
        services.record_cases(
            transfer, date=D(2025, 1, 20), kind=CaseKind.SUPERVISED, user=provider_clerk
        )
    with pytest.raises(PermissionDenied):
        services.record_cases(
            transfer, date=D(2025, 1, 20), kind=CaseKind.SUPERVISED, user=users.viewer
        )
    assert transfer.cases() == 1


def test_a_transfer_needs_one_party_in_the_users_scope(network, technique, users):
    with pytest.raises(ValidationError) as exc:
        services.create_transfer(
            TechniqueTransfer(
                technique=technique,
                provider=network.phu_binh,
                recipient=network.tyt_phu_binh,
                state_date=D(2025, 1, 2),
            ),
            user=users.doh,
        )
    assert "recipient" in errors_of(exc)


def test_update_keeps_the_parties_and_the_lifecycle(transfer, users, network):
    transfer.team = "BS. A, ĐD. B"
    services.update_transfer(transfer, user=users.line)
    transfer.refresh_from_db()
    assert transfer.team == "BS. A, ĐD. B"
    transfer.recipient = network.tu_son
    with pytest.raises(ValidationError) as exc:
        services.update_transfer(transfer, user=users.line)
    assert "recipient" in errors_of(exc)
