"""The rules of programmes and assessments (services)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from doha.programmes import services
from doha.programmes.models import (
    Assessment,
    ContentArea,
    ItemStatus,
    PartyRole,
    Programme,
    ProgrammeArea,
    ProgrammeItem,
    ProgrammeKind,
    ProgrammeParty,
    ProgrammeStatus,
    Side,
    SpecialtyCapacity,
)
from tests.programmes.factories import SurveyFactory, make_programme, party

D = datetime.date


def programme(**kwargs):
    fields = {
        "title": "Kế hoạch hỗ trợ toàn diện",
        "kind": ProgrammeKind.SUPPORT_PLAN,
        "start_date": D(2022, 1, 1),
        "end_date": D(2023, 12, 31),
    }
    fields.update(kwargs)
    return Programme(**fields)


MARCH, JUNE = D(2022, 3, 1), D(2022, 6, 30)


def item(number=1, area=ContentArea.TRAINING, start=MARCH, end=JUNE, **kw):
    return ProgrammeItem(
        number=number,
        area=area,
        title=f"Nội dung {number}",
        planned_start=start,
        planned_end=end,
        **kw,
    )


def messages(excinfo, key):
    return " ".join(excinfo.value.message_dict.get(key, []))


class TestCreateProgramme:
    def test_with_parties_areas_and_items(self, network, users):
        p = services.create_programme(
            programme(),
            parties=[party(network.bvdk, Side.PROVIDER), party(network.tien_du, Side.RECIPIENT)],
            areas=[ProgrammeArea(area=ContentArea.TRAINING)],
            items=[item(provider=network.bvdk, recipient=network.tyt_tien_du)],
            user=users.line,
        )
        assert p.parties.count() == 2 and p.areas.count() == 1 and p.items.count() == 1

    @pytest.mark.parametrize("side", [Side.PROVIDER, Side.RECIPIENT])
    def test_a_party_on_each_side(self, network, side):
        with pytest.raises(ValidationError) as excinfo:
            services.create_programme(
                programme(),
                parties=[party(network.bvdk, side), party(network.tien_du, side)],
                areas=[ProgrammeArea(area=ContentArea.TRAINING)],
            )
        assert "each side" in messages(excinfo, "parties")
        assert not Programme.objects.exists()

    def test_no_party_at_all(self, network):
        with pytest.raises(ValidationError) as excinfo:
            services.create_programme(
                programme(), parties=[], areas=[ProgrammeArea(area=ContentArea.TRAINING)]
            )
        assert "each side" in messages(excinfo, "parties")

    def test_a_unit_on_one_side_only(self, network):
        with pytest.raises(ValidationError) as excinfo:
            services.create_programme(
                programme(),
                parties=[
                    party(network.bvdk, Side.PROVIDER),
                    party(network.bvdk, Side.RECIPIENT, PartyRole.IMPLEMENTER),
                    party(network.tien_du, Side.RECIPIENT),
                ],
                areas=[ProgrammeArea(area=ContentArea.TRAINING)],
            )
        assert "both sides" in messages(excinfo, "parties")

    def test_at_least_one_area(self, network):
        with pytest.raises(ValidationError) as excinfo:
            services.create_programme(
                programme(),
                parties=[
                    party(network.bvdk, Side.PROVIDER),
                    party(network.tien_du, Side.RECIPIENT),
                ],
                areas=[],
            )
        assert messages(excinfo, "areas")

    def test_an_area_once(self, network):
        with pytest.raises(ValidationError) as excinfo:
            make_programme(
                network.bvdk, network.tien_du, areas=[ContentArea.TRAINING, ContentArea.TRAINING]
            )
        assert "twice" in messages(excinfo, "areas")

    def test_item_area_is_one_of_the_programmes(self, network):
        with pytest.raises(ValidationError) as excinfo:
            make_programme(
                network.bvdk,
                network.tien_du,
                areas=[ContentArea.TRAINING],
                items=[item(area=ContentArea.EQUIPMENT)],
            )
        assert "not one of the programme's content areas" in messages(excinfo, "items")

    @pytest.mark.parametrize(
        "start,end", [(D(2021, 12, 1), D(2022, 2, 1)), (D(2023, 11, 1), D(2024, 1, 31))]
    )
    def test_item_dates_inside_the_period(self, network, start, end):
        with pytest.raises(ValidationError) as excinfo:
            make_programme(network.bvdk, network.tien_du, items=[item(start=start, end=end)])
        assert "01/01/2022 – 31/12/2023" in messages(excinfo, "items")

    def test_item_end_not_before_start(self, network):
        with pytest.raises(ValidationError) as excinfo:
            make_programme(
                network.bvdk, network.tien_du, items=[item(start=D(2022, 5, 1), end=D(2022, 4, 1))]
            )
        assert "Item 1" in messages(excinfo, "items")

    def test_done_items_have_a_date_not_to_come(self, network):
        with pytest.raises(ValidationError) as excinfo:
            make_programme(network.bvdk, network.tien_du, items=[item(status=ItemStatus.DONE)])
        assert messages(excinfo, "items")
        future = datetime.date.today() + datetime.timedelta(days=400)
        with pytest.raises(ValidationError):
            make_programme(
                network.bvdk,
                network.tien_du,
                end_date=future + datetime.timedelta(days=30),
                items=[item(status=ItemStatus.DONE, done_on=future, end=future)],
            )

    def test_item_units_among_the_parties(self, network):
        # The station under the receiving centre is fine; another province's centre is not.
        make_programme(network.bvdk, network.tien_du, items=[item(recipient=network.tyt_tien_du)])
        with pytest.raises(ValidationError) as excinfo:
            make_programme(network.bvdk, network.tien_du, items=[item(recipient=network.phu_binh)])
        assert network.phu_binh.name in messages(excinfo, "items")

    def test_implementer_area_is_one_of_the_programmes(self, network):
        with pytest.raises(ValidationError) as excinfo:
            services.create_programme(
                programme(),
                parties=[
                    party(network.bvdk, Side.PROVIDER),
                    party(network.tien_du, Side.RECIPIENT),
                    party(
                        network.bvdk,
                        Side.PROVIDER,
                        PartyRole.IMPLEMENTER,
                        area=ContentArea.EQUIPMENT,
                    ),
                ],
                areas=[ProgrammeArea(area=ContentArea.TRAINING)],
            )
        assert "content areas" in messages(excinfo, "parties")

    def test_one_party_in_the_users_scope(self, network, users):
        # A Thái Nguyên officer cannot record a programme between two Bắc Ninh units,
        make_programme(network.bvdk, network.tien_du)  # no user (a command): allowed
        with pytest.raises(ValidationError) as excinfo:
            services.create_programme(
                programme(),
                parties=[
                    party(network.bvdk, Side.PROVIDER),
                    party(network.tien_du, Side.RECIPIENT),
                ],
                areas=[ProgrammeArea(area=ContentArea.TRAINING)],
                user=users.doh_tn,
            )
        assert "inside your scope" in messages(excinfo, "parties")
        # but may record one between Bắc Ninh and Thái Nguyên (seed 002: two DOHs).
        services.create_programme(
            programme(),
            parties=[party(network.bvdk, Side.PROVIDER), party(network.phu_binh, Side.RECIPIENT)],
            areas=[ProgrammeArea(area=ContentArea.TRAINING)],
            user=users.doh_tn,
        )

    def test_the_role_must_allow_it(self, network, users):
        with pytest.raises(ValidationError):
            services.create_programme(
                programme(),
                parties=[
                    party(network.bvdk, Side.PROVIDER),
                    party(network.tien_du, Side.RECIPIENT),
                ],
                areas=[ProgrammeArea(area=ContentArea.TRAINING)],
                user=users.clerk,
            )


class TestUpdateProgramme:
    def test_lists_replace_the_rows(self, network):
        p = make_programme(
            network.bvdk, network.tien_du, areas=[ContentArea.TRAINING], items=[item(1), item(2)]
        )
        first = p.items.get(number=1)
        first.status = ItemStatus.DONE
        first.done_on = D(2022, 6, 1)
        services.save_programme(
            p,
            areas=[*p.areas.all(), ProgrammeArea(area=ContentArea.MANAGEMENT)],
            items=[first, item(3, area=ContentArea.MANAGEMENT)],
        )
        assert set(p.items.values_list("number", flat=True)) == {1, 3}
        assert p.items.get(number=1).status == ItemStatus.DONE
        assert p.areas.count() == 2
        assert p.parties.count() == 2  # not given: kept

    def test_an_area_in_use_stays(self, network):
        p = make_programme(
            network.bvdk,
            network.tien_du,
            areas=[ContentArea.TRAINING, ContentArea.EQUIPMENT],
            items=[item(area=ContentArea.EQUIPMENT)],
        )
        with pytest.raises(ValidationError) as excinfo:
            services.save_programme(p, areas=[p.areas.get(area=ContentArea.TRAINING)])
        assert messages(excinfo, "items")
        assert p.areas.count() == 2

    def test_shortening_the_period_checks_the_items(self, network):
        p = make_programme(network.bvdk, network.tien_du, items=[item(end=D(2023, 6, 30))])
        p.end_date = D(2022, 12, 31)
        with pytest.raises(ValidationError):
            services.save_programme(p)

    def test_the_last_party_of_a_side_stays(self, network):
        p = make_programme(network.bvdk, network.tien_du)
        with pytest.raises(ValidationError):
            services.save_programme(p, parties=[p.parties.get(side=Side.PROVIDER)])
        assert p.parties.count() == 2

    def test_rows_of_another_programme_are_refused(self, network):
        a = make_programme(network.bvdk, network.tien_du)
        b = make_programme(network.bvdk, network.tu_son)
        with pytest.raises(ValidationError):
            services.save_programme(a, areas=list(b.areas.all()))

    def test_items_with_transfers_are_cancelled_not_removed(self, network, catalog):
        p = make_programme(
            network.bvdk,
            network.tien_du,
            areas=[ContentArea.TECHNIQUE_TRANSFER],
            items=[item(area=ContentArea.TECHNIQUE_TRANSFER)],
        )
        transfer_model = Programme.transfers.rel.related_model
        transfer_model.objects.create(
            technique=catalog.umbilical,
            provider=network.bvdk,
            recipient=network.tien_du,
            programme=p,
            programme_item=p.items.get(),
            state_date=D(2022, 3, 1),
        )
        with pytest.raises(ValidationError) as excinfo:
            services.save_programme(p, items=[])
        assert "cancel it" in messages(excinfo, "items")

    def test_cancel(self, network):
        p = make_programme(network.bvdk, network.tien_du)
        services.cancel_programme(p)
        assert Programme.objects.get(pk=p.pk).status == ProgrammeStatus.CANCELLED


class TestProgress:
    def test_done_and_late(self, network):
        p = make_programme(
            network.bvdk,
            network.tien_du,
            items=[
                item(1, status=ItemStatus.DONE, done_on=D(2022, 6, 1)),
                item(2),  # planned, ended 30/06/2022
                item(3, status=ItemStatus.IN_PROGRESS, end=D(2023, 12, 31)),
                item(4, status=ItemStatus.CANCELLED),
            ],
        )
        progress = services.programme_progress(p, today=D(2023, 1, 1))
        assert progress["total"] == 4 and progress["done"] == 1 and progress["late"] == 1
        assert [i.number for i in progress["late_items"]] == [2]
        assert progress["done_percent"] == pytest.approx(100 / 3)


class TestAssessments:
    def test_scores_per_specialty(self, network, users, catalog):
        a = services.save_assessment(
            Assessment(
                facility=network.tien_du,
                assessor=network.bvdk,
                date=D(2022, 2, 17),
                staff_score=4,
                equipment_score=3,
                infrastructure_score=6,
            ),
            [
                SpecialtyCapacity(specialty=catalog.nhi, score=3),
                SpecialtyCapacity(specialty=catalog.hscc, score=5, staff_count=6),
            ],
            user=users.line,
        )
        assert a.overall_score == pytest.approx(4.3)
        assert a.specialties.count() == 2

    def test_scores_go_from_0_to_10(self, network, catalog):
        with pytest.raises(ValidationError) as excinfo:
            services.save_assessment(
                Assessment(
                    facility=network.tien_du,
                    assessor=network.bvdk,
                    date=D(2022, 2, 17),
                    staff_score=11,
                    equipment_score=3,
                    infrastructure_score=6,
                ),
                [SpecialtyCapacity(specialty=catalog.nhi, score=12)],
            )
        errors = excinfo.value.message_dict
        assert "staff_score" in errors and "specialties" in errors
        assert not Assessment.objects.exists()

    def test_a_specialty_once(self, network, catalog):
        with pytest.raises(ValidationError) as excinfo:
            services.save_assessment(
                Assessment(
                    facility=network.tien_du,
                    assessor=network.bvdk,
                    date=D(2022, 2, 17),
                    staff_score=1,
                    equipment_score=3,
                    infrastructure_score=6,
                ),
                [
                    SpecialtyCapacity(specialty=catalog.nhi, score=2),
                    SpecialtyCapacity(specialty=catalog.nhi, score=3),
                ],
            )
        assert "twice" in messages(excinfo, "specialties")

    def test_links_must_match(self, network):
        survey = SurveyFactory(organiser=network.syt_bn, facilities=[network.tu_son])
        response = services.save_response(survey, network.tu_son)
        p = make_programme(network.bvdk, network.tu_son)
        with pytest.raises(ValidationError) as excinfo:
            services.save_assessment(
                Assessment(
                    facility=network.tien_du,
                    assessor=network.bvdk,
                    date=D(2022, 2, 17),
                    staff_score=1,
                    equipment_score=3,
                    infrastructure_score=6,
                    response=response,
                    programme=p,
                )
            )
        assert set(excinfo.value.message_dict) == {"response", "programme"}

    def test_a_unit_does_not_assess_itself(self, network):
        with pytest.raises(ValidationError) as excinfo:
            services.save_assessment(
                Assessment(
                    facility=network.tien_du,
                    assessor=network.tien_du,
                    date=D(2022, 2, 17),
                    staff_score=1,
                    equipment_score=3,
                    infrastructure_score=6,
                )
            )
        assert "assessor" in excinfo.value.message_dict

    def test_scope(self, network, users):
        with pytest.raises(ValidationError):
            services.save_assessment(
                Assessment(
                    facility=network.tien_du,
                    assessor=network.bvdk,
                    date=D(2022, 2, 17),
                    staff_score=1,
                    equipment_score=3,
                    infrastructure_score=6,
                ),
                user=users.doh_tn,
            )

    def test_update_replaces_the_scores(self, network, catalog):
        a = services.save_assessment(
            Assessment(
                facility=network.tien_du,
                assessor=network.bvdk,
                date=D(2022, 2, 17),
                staff_score=1,
                equipment_score=3,
                infrastructure_score=6,
            ),
            [SpecialtyCapacity(specialty=catalog.nhi, score=2)],
        )
        services.save_assessment(a, [SpecialtyCapacity(specialty=catalog.hscc, score=7)])
        assert [c.specialty for c in a.specialties.all()] == [catalog.hscc]


def test_party_rows_are_kept_apart_by_area(network):
    """Seed 002: one hospital implements two areas: two rows, same unit."""
    p = services.create_programme(
        programme(),
        parties=[
            party(network.bvdk, Side.PROVIDER),
            party(network.tien_du, Side.RECIPIENT),
            party(network.bvdk, Side.PROVIDER, PartyRole.IMPLEMENTER, area=ContentArea.TRAINING),
            party(
                network.bvdk,
                Side.PROVIDER,
                PartyRole.IMPLEMENTER,
                area=ContentArea.TECHNIQUE_TRANSFER,
            ),
        ],
        areas=[
            ProgrammeArea(area=ContentArea.TRAINING),
            ProgrammeArea(area=ContentArea.TECHNIQUE_TRANSFER),
        ],
    )
    assert ProgrammeParty.objects.filter(programme=p, role=PartyRole.IMPLEMENTER).count() == 2
