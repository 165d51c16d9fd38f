"""Matching needs to providers: who is proposed, in which order, and why."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from doha.orgunits.models import AdminEdition, AdminLevel, AdminUnit, FacilityType, TechnicalLevel
from doha.programmes.models import NeedStatus, ProgrammeStatus
from doha.transfers import matching
from doha.transfers.models import TechniqueTransfer, TransferState
from tests.factories import OrgUnitFactory
from tests.transfers.factories import (
    CapabilityFactory,
    TechniqueFactory,
    make_transfer,
    need_for,
    programme_between,
)

D = datetime.date


@pytest.fixture
def world(network):
    """TTYT Tiên Du (basic) needs a technique allowed at basic and specialised level.

    It is performed by: the provincial general hospital (specialised, same DOH), a central
    hospital (specialised, directly under the ministry), the Từ Sơn centre (basic, a
    sibling), a commune station (initial: below the level needed), the DOH (not a
    facility that treats), Tiên Du itself, and a hospital that stopped performing it.
    """
    central = OrgUnitFactory(
        code="BVTW-TN",
        name="Bệnh viện Trung ương Thái Nguyên",
        facility_type=FacilityType.CENTRAL_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=network.moh,
    )
    stopped = OrgUnitFactory(
        code="BN-BVSN",
        name="Bệnh viện Sản Nhi Bắc Ninh",
        facility_type=FacilityType.SPECIALTY_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=network.syt_bn,
    )
    technique = TechniqueFactory(name="Lập đường truyền trong xương", code="NHI.0003")
    for unit in [
        network.bvdk,
        central,
        network.tu_son,
        network.tyt_tu_son,
        network.syt_bn,
        network.tien_du,
    ]:
        CapabilityFactory(facility=unit, technique=technique)
    CapabilityFactory(facility=stopped, technique=technique, active=False)
    need = need_for(network.tien_du, technique)
    network.central = central
    network.technique = technique
    network.need = need
    return network


def order(need):
    return [p.provider.code for p in matching.propose(need)]


def test_who_is_proposed_and_the_specialised_central_hospital_beats_a_basic_centre(world):
    assert order(world.need) == ["BN-BVDK", "BVTW-TN", "BN-TTYT-TUSON"]


def test_score_components_say_why(world):
    first, central, basic = matching.propose(world.need)
    assert first.components == {
        "level": 60,
        "network": 20,  # shares both upper units of Tiên Du (the ministry and the DOH)
        "geography": 5,  # no coordinates for the hospital: neutral
        "load": 0,
        "programme": 0,
    }
    assert first.common_unit == world.syt_bn
    assert first.tree_steps == 2
    assert central.components["network"] == 10  # shares the ministry only
    assert central.common_unit == world.moh
    assert basic.components["level"] == 30
    assert first.score == 85
    assert all(isinstance(line, str) for line in first.reasons())
    assert len(first.reasons()) == 5


def test_load_changes_the_order(world):
    # Three transfers the provincial hospital has committed and not finished: -15.
    for recipient in [world.tu_son, world.tyt_tu_son, world.tyt_tien_du]:
        make_transfer(
            world.bvdk,
            recipient,
            TechniqueFactory(allowed_initial=True),
        )
    # A finished one does not count.
    done = make_transfer(world.bvdk, world.tu_son, TechniqueFactory())
    TechniqueTransfer.objects.filter(pk=done.pk).update(state=TransferState.ACCEPTED)
    proposals = matching.propose(world.need)
    assert [p.provider.code for p in proposals] == ["BVTW-TN", "BN-BVDK", "BN-TTYT-TUSON"]
    bvdk = proposals[1]
    assert (bvdk.open_transfers, bvdk.load_points) == (3, -15)
    assert "3" in bvdk.reasons()[3]


def test_load_is_capped(world):
    for i in range(8):
        unit = OrgUnitFactory(parent=world.tien_du, name=f"Trạm {i}")
        make_transfer(world.central, unit, TechniqueFactory(allowed_initial=True))
    central = next(p for p in matching.propose(world.need) if p.provider == world.central)
    assert central.load_points == -25


def test_an_existing_programme_changes_the_order(world):
    programme = programme_between(world.central, world.tien_du, title="Đề án 1816 Thái Nguyên")
    proposals = matching.propose(world.need)
    assert [p.provider.code for p in proposals] == ["BVTW-TN", "BN-BVDK", "BN-TTYT-TUSON"]
    assert proposals[0].programmes == [programme]
    assert proposals[0].programme_points == 15


def test_a_programme_between_upper_units_covers_their_facilities(world):
    """A DOH-DOH agreement (seed 002) covers the hospitals of both departments."""
    programme_between(world.syt_tn, world.syt_bn)  # wrong way round: TN gives, BN receives
    assert matching.propose(world.need)[0].programme_points == 0  # BVĐK is not on TN's side
    tn_hospital = OrgUnitFactory(
        code="TN-BVA",
        name="Bệnh viện A Thái Nguyên",
        facility_type=FacilityType.PROVINCIAL_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=world.syt_tn,
    )
    CapabilityFactory(facility=tn_hospital, technique=world.technique)
    by_code = {p.provider.code: p for p in matching.propose(world.need)}
    assert by_code["TN-BVA"].programme_points == 15


def test_programmes_not_in_force_give_no_bonus(world):
    programme_between(world.central, world.tien_du, status=ProgrammeStatus.COMPLETED)
    programme_between(
        world.central, world.tien_du, start_date=D(2016, 1, 1), end_date=D(2020, 12, 31)
    )
    assert order(world.need)[0] == "BN-BVDK"


def test_geography_breaks_a_tie(world):
    bn = AdminUnit.objects.get(edition=AdminEdition.CURRENT, level=AdminLevel.PROVINCE, code="24")
    tn = AdminUnit.objects.get(edition=AdminEdition.CURRENT, level=AdminLevel.PROVINCE, code="19")
    near = OrgUnitFactory(
        code="NEAR",
        name="Bệnh viện gần",
        facility_type=FacilityType.PROVINCIAL_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=world.syt_bn,
        admin_unit=bn,
    )
    far = OrgUnitFactory(
        code="FAR",
        name="Bệnh viện xa",
        facility_type=FacilityType.PROVINCIAL_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=world.syt_bn,
        admin_unit=tn,
    )
    for unit in (near, far):
        CapabilityFactory(facility=unit, technique=world.technique)
    by_code = {p.provider.code: p for p in matching.propose(world.need)}
    assert 10 < by_code["NEAR"].distance_km < 30
    assert 80 < by_code["FAR"].distance_km < 120
    assert by_code["NEAR"].geo_points > by_code["FAR"].geo_points
    codes = order(world.need)
    assert codes.index("NEAR") < codes.index("FAR")


def test_level_needed_follows_the_recipient_and_the_catalogue(world):
    # A specialised-only technique: basic centres are not proposed.
    special = TechniqueFactory(allowed_basic=False)
    CapabilityFactory(facility=world.tu_son, technique=special)
    CapabilityFactory(facility=world.bvdk, technique=special)
    need = need_for(world.tien_du, special)
    assert order(need) == ["BN-BVDK"]
    assert matching.level_needed(special, world.tien_du) == TechnicalLevel.SPECIALISED
    # A commune station's need: basic centres may teach it.
    need = need_for(world.tyt_tien_du, world.technique)
    assert "BN-TTYT-TUSON" in order(need)
    assert "BN-TTYT-TIENDU" in order(need)  # the station's own centre


def test_providers_already_transferring_it_are_not_proposed_again(world):
    make_transfer(world.bvdk, world.tien_du, world.technique)
    assert "BN-BVDK" not in order(world.need)


def test_many_needs_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    needs = [world.need]
    for unit in [world.tyt_tien_du, world.tu_son, world.tyt_tu_son]:
        needs.append(need_for(unit, world.technique))
    with django_assert_max_num_queries(6):
        result = matching.Matcher().propose_many(needs)
        for proposals in result.values():
            for p in proposals:
                p.reasons()
    assert len(result) == 4


# ---------------------------------------------------------------- accepting


def test_accepting_a_proposal_plans_a_transfer_of_the_programme(world, users):
    programme = programme_between(world.bvdk, world.tien_du)
    transfer = matching.accept_proposal(
        world.need, world.bvdk, programme, user=users.line, date=D(2025, 3, 1)
    )
    assert transfer.state == TransferState.PLANNED
    assert transfer.programme == programme
    assert transfer.need == world.need
    assert (transfer.technique, transfer.recipient) == (world.technique, world.tien_du)
    world.need.refresh_from_db()
    assert world.need.status == NeedStatus.PLANNED
    with pytest.raises(ValidationError) as exc:
        matching.accept_proposal(world.need, world.central, programme, user=users.line)
    assert "need" in exc.value.message_dict


def test_only_a_proposed_provider_can_be_accepted(world, users):
    programme = programme_between(world.bvdk, world.tien_du)
    with pytest.raises(ValidationError) as exc:
        matching.accept_proposal(world.need, world.tyt_tu_son, programme, user=users.line)
    assert "provider" in exc.value.message_dict


def test_accepting_needs_a_programme(world, users):
    with pytest.raises(ValidationError) as exc:
        matching.accept_proposal(world.need, world.bvdk, None, user=users.line)
    assert "programme" in exc.value.message_dict


def test_accepting_above_the_level_needs_the_exceptions_reason(world, users):
    special = TechniqueFactory(allowed_basic=False)
    CapabilityFactory(facility=world.bvdk, technique=special)
    need = need_for(world.tien_du, special)
    programme = programme_between(world.bvdk, world.tien_du)
    with pytest.raises(ValidationError) as exc:
        matching.accept_proposal(need, world.bvdk, programme, user=users.line)
    assert "level_exception" in exc.value.message_dict
    transfer = matching.accept_proposal(
        need,
        world.bvdk,
        programme,
        user=users.line,
        level_exception_reason="Trung tâm đủ điều kiện theo thẩm định",
    )
    assert transfer.level_exception
