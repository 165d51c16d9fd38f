"""A vaccination visit through its service: screening by age, contraindications that stop
it, a dose from a lot in stock (schedule, stock ledger and payment in one), the 30-minute
observation."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from doha.vaccines import coldchain, stock, visits
from doha.vaccines.models import (
    Dose,
    EntryKind,
    InjectionSite,
    Receipt,
    ScreeningResult,
    StockEntry,
    VisitStatus,
)
from tests.factories import UserFactory
from tests.vaccines.test_visits_setup import (
    ago,
    make_client,
    no_answers,
    screened,
    service,
    vaccinate,
    years_ago,
)


def errors(exc) -> dict:
    return exc.value.message_dict


@pytest.fixture
def svc(cdc):
    return service(cdc)


# ---------------------------------------------------------------- screening


def test_checklist_follows_the_age(cdc):
    today = datetime.date(2025, 6, 15)
    assert visits.checklist_for(datetime.date(2025, 6, 1), today).code == "newborn-1575/2023"
    assert visits.checklist_for(datetime.date(2025, 5, 15), today).code == "child-1575/2023"
    assert visits.checklist_for(datetime.date(2009, 6, 16), today).code == "child-1575/2023"
    assert visits.checklist_for(datetime.date(2009, 6, 15), today).code == "adult-v1"
    child = visits.checklist_for(datetime.date(2020, 1, 1), today)
    codes = [q.code for q in child.questions]
    assert codes[:2] == ["anaphylaxis", "immunodeficiency"]
    assert {"fever", "corticoid", "acute_illness", "consciousness", "other"} <= set(codes)
    assert child.question("anaphylaxis").stops_for_good
    assert not child.question("fever").stops_for_good


def test_eligible_screening_opens_the_visit(cdc, svc):
    visit = screened(cdc, svc, user=cdc.point_clerk)
    assert visit.status == VisitStatus.SCREENING
    assert visit.screening_result == ScreeningResult.ELIGIBLE
    assert visit.checklist == "child-1575/2023"
    assert visit.screening_answers["anaphylaxis"] is False
    assert visit.temperature_c == Decimal("36.8")
    assert visits.stop_reasons(visit) == []


def test_contraindication_stops_the_visit_with_its_reason(cdc, svc):
    visit = screened(cdc, svc, anaphylaxis=True)
    assert visit.status == VisitStatus.STOPPED
    assert visit.screening_result == ScreeningResult.CONTRAINDICATED
    (reason,) = visits.stop_reasons(visit)
    assert reason.startswith("Contraindicated: Grade 3 or worse anaphylaxis")
    with pytest.raises(ValidationError) as exc:
        vaccinate(cdc, svc, visit)
    messages = errors(exc)["visit"]
    assert "The screening stopped this visit" in messages[0]
    assert reason in messages
    assert not Dose.objects.exists()


def test_measured_fever_postpones_even_when_answered_no(cdc, svc):
    answers = no_answers(svc.child)
    visit = visits.screen(
        svc.child,
        cdc.point1,
        answers=answers,
        temperature_c="38,5",
        screened_by=svc.doctor,
        visited_at=ago(5),
    )
    assert visit.screening_result == ScreeningResult.POSTPONED
    assert visit.status == VisitStatus.STOPPED
    assert visit.screening_answers["fever"] is True
    (reason,) = visits.stop_reasons(visit)
    assert reason.startswith("Postpone: Fever")
    assert "Measured temperature 38,5 °C: fever (from 38,0 °C)." in reason


def test_newborn_fever_threshold_is_lower(cdc, svc):
    baby = make_client(
        cdc.point1_unit,
        full_name="Con bà Mai",
        date_of_birth=timezone.localdate() - datetime.timedelta(days=3),
    )
    visit = visits.screen(
        baby,
        cdc.point1,
        answers=no_answers(baby),
        temperature_c=Decimal("37.6"),
        screened_by=svc.doctor,
    )
    assert visit.checklist == "newborn-1575/2023"
    assert visit.screening_result == ScreeningResult.POSTPONED


def test_every_question_must_be_answered(cdc, svc):
    answers = no_answers(svc.adult)
    del answers["pregnancy"]
    answers["made_up"] = False
    with pytest.raises(ValidationError) as exc:
        visits.screen(svc.adult, cdc.point1, answers=answers, screened_by=svc.doctor)
    missing, unknown = errors(exc)["screening_answers"]
    assert "not answered: Pregnant or possibly pregnant" in missing
    assert "made_up" in unknown
    assert not visits.VaccinationVisit.objects.exists()


def test_other_reason_needs_a_note_and_implausible_measures_are_refused(cdc, svc):
    answers = no_answers(svc.child)
    answers["other"] = True
    with pytest.raises(ValidationError) as exc:
        visits.screen(
            svc.child,
            cdc.point1,
            answers=answers,
            screened_by=svc.doctor,
            temperature_c="83",
            weight_kg="abc",
        )
    found = errors(exc)
    assert "Write down the other reason" in found["screening_note"][0]
    assert "83 °C is not plausible" in found["temperature_c"][0]
    assert "Not a number: abc." in found["weight_kg"][0]


def test_screening_doctor_must_work_at_the_point_or_its_centre(cdc, svc):
    with pytest.raises(ValidationError) as exc:
        visits.screen(
            svc.child, cdc.point1, answers=no_answers(svc.child), screened_by=svc.outsider
        )
    assert "does not work at Điểm tiêm số 1" in errors(exc)["screened_by"][0]


def test_screening_scope_and_role(cdc, svc, users):
    point2_clerk = UserFactory(role="data_clerk", org_unit=cdc.point2_unit)
    with pytest.raises(ValidationError) as exc:
        screened(cdc, svc, user=point2_clerk)
    assert "outside your scope" in errors(exc)["store"][0]
    with pytest.raises(PermissionDenied):
        screened(cdc, svc, user=users.viewer)
    # The CDC's clerk works at both points.
    assert screened(cdc, svc, user=cdc.cdc_clerk).pk


def test_visit_cannot_be_in_the_future(cdc, svc):
    with pytest.raises(ValidationError) as exc:
        visits.screen(
            svc.child,
            cdc.point1,
            answers=no_answers(svc.child),
            screened_by=svc.doctor,
            visited_at=timezone.now() + datetime.timedelta(hours=2),
        )
    assert errors(exc)["visited_at"] == ["The time cannot be in the future."]


# ---------------------------------------------------------------- doses


def test_dose_takes_one_dose_from_the_lot_and_is_paid(cdc, svc):
    visit = screened(cdc, svc, user=cdc.point_clerk)
    before = stock.on_hand(cdc.point1, svc.soon)
    dose = vaccinate(cdc, svc, visit, user=cdc.point_clerk)
    assert (dose.dose_number, dose.schedule_dose.dose_number) == (1, 1)
    assert dose.route == "im"  # the vaccine's route when none is given
    assert stock.on_hand(cdc.point1, svc.soon) == before - 1
    entry = StockEntry.objects.get(dose=dose)
    assert (entry.kind, entry.quantity, entry.store, entry.reference) == (
        EntryKind.ADMINISTERED,
        -1,
        cdc.point1,
        visit.uid,
    )
    assert stock.mismatches() == []
    visit.refresh_from_db()
    assert visit.status == VisitStatus.VACCINATED
    assert visit.vaccinator == svc.nurse
    assert visit.observation_started_at == dose.given_at
    receipt = Receipt.objects.get(visit=visit)
    assert receipt.source.code == "vaccination"
    assert receipt.amount == 350_000  # the CDC's price, not the catalogue's 356.000
    assert receipt.org_unit == cdc.point1_unit
    assert receipt.number == f"VX{timezone.localdate(dose.given_at).year}-000001"
    assert receipt.client == svc.child and receipt.payer_name == "Trần Thị Bình"
    (item,) = receipt.items.all()
    assert item.dose == dose and "lot VG-SOON" in item.description


def test_expired_lot_is_refused_and_nothing_is_written(cdc, svc):
    visit = screened(cdc, svc)
    before = stock.on_hand(cdc.point1, svc.expired)
    with pytest.raises(ValidationError) as exc:
        vaccinate(cdc, svc, visit, lot=svc.expired)
    (message,) = errors(exc)["lot"]
    expiry = svc.expired.expiry_date.strftime("%d/%m/%Y")
    assert message == f"Lot VG-OLD of Vaxigrip Tetra expired on {expiry}."
    assert stock.on_hand(cdc.point1, svc.expired) == before
    assert not Dose.objects.exists() and not Receipt.objects.exists()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCREENING


def test_lot_on_hold_is_refused(cdc, svc):
    coldchain.put_on_hold(cdc.point1, svc.soon, reason="Tủ lạnh 9,5 °C lúc 14:00")
    visit = screened(cdc, svc)
    with pytest.raises(ValidationError) as exc:
        vaccinate(cdc, svc, visit)
    assert "is on hold at Điểm tiêm số 1" in errors(exc)["lot"][0]
    assert "Tủ lạnh 9,5 °C" in errors(exc)["lot"][0]


def test_lot_must_be_of_the_vaccine_and_in_stock_at_the_point(cdc, svc):
    visit = screened(cdc, svc)
    with pytest.raises(ValidationError) as exc:
        vaccinate(cdc, svc, visit, lot=svc.verorab, vaccine=cdc.catalogue.vaxigrip)
    assert errors(exc)["lot"] == ["Lot VR-1 is a lot of Verorab, not of Vaxigrip Tetra."]
    elsewhere = stock.find_or_create_lot(
        cdc.catalogue.vaxigrip, "VG-CENTRE", timezone.localdate() + datetime.timedelta(days=99)
    )
    with pytest.raises(ValidationError) as exc:
        vaccinate(cdc, svc, visit, lot=elsewhere)
    assert "Only 0 doses of lot VG-CENTRE are in stock at Điểm tiêm số 1" in errors(exc)["lot"][0]


def test_last_dose_of_a_lot_then_none(cdc, svc):
    for number in range(5):
        client = make_client(
            cdc.point1_unit, full_name=f"Khách {number}", phone=f"09000000{number:02d}"
        )
        vaccinate(cdc, svc, screened(cdc, svc, client))
    assert stock.on_hand(cdc.point1, svc.soon) == 0
    with pytest.raises(ValidationError) as exc:
        vaccinate(cdc, svc, screened(cdc, svc, svc.adult))
    assert "Only 0 doses of lot VG-SOON" in errors(exc)["lot"][0]


def test_dose_fields_are_checked_together(cdc, svc):
    visit = screened(cdc, svc)
    with pytest.raises(ValidationError) as exc:
        visits.give_dose(
            visit,
            vaccine=None,
            lot=None,
            site="elbow",
            vaccinator=svc.outsider,
            given_at=visit.visited_at - datetime.timedelta(minutes=1),
        )
    found = errors(exc)
    assert set(found) >= {"vaccine", "lot", "site", "vaccinator", "given_at"}
    assert "after the screening" in found["given_at"][0]


def test_second_dose_of_the_day_joins_the_receipt_and_restarts_observation(cdc, svc):
    visit = screened(cdc, svc, svc.adult)
    first = vaccinate(cdc, svc, visit, minutes_ago=50)
    second = vaccinate(cdc, svc, visit, lot=svc.verorab, minutes_ago=40)
    visit.refresh_from_db()
    assert visit.observation_started_at == second.given_at > first.given_at
    receipt = Receipt.objects.get(visit=visit)
    assert receipt.items.count() == 2
    assert receipt.amount == 350_000 + 325_000  # Verorab at its catalogue price
    assert Receipt.objects.count() == 1


def test_dose_too_soon_after_the_previous_one_is_refused(cdc, svc):
    visit = screened(cdc, svc, svc.adult)
    vaccinate(cdc, svc, visit, lot=svc.verorab, minutes_ago=50)
    with pytest.raises(ValidationError) as exc:
        vaccinate(cdc, svc, visit, lot=svc.verorab, minutes_ago=45)
    assert "Dose 2 of Verorab can be given from" in errors(exc)["vaccine"][0]
    assert stock.on_hand(cdc.point1, svc.verorab) == 19


def test_lot_options_first_expiry_first_out(cdc, svc):
    coldchain.put_on_hold(cdc.point1, svc.later, reason="Kiểm tra chất lượng")
    options = visits.lot_options(cdc.point1, cdc.catalogue.vaxigrip, timezone.localdate())
    by_lot = {o.lot.lot_number: o for o in options}
    assert [o.lot.lot_number for o in options] == ["VG-OLD", "VG-SOON", "VG-LATER"]
    assert by_lot["VG-SOON"].suggested and by_lot["VG-SOON"].problem is None
    assert "expired" in by_lot["VG-OLD"].problem and not by_lot["VG-OLD"].suggested
    assert "on hold" in by_lot["VG-LATER"].problem
    assert by_lot["VG-SOON"].available == 5


# ---------------------------------------------------------------- observation


def test_observation_lasts_thirty_minutes(cdc, svc):
    visit = screened(cdc, svc, minutes_ago=60)
    dose = vaccinate(cdc, svc, visit, minutes_ago=50)
    given = timezone.localtime(dose.given_at)
    with pytest.raises(ValidationError) as exc:
        visits.close_observation(visit, ended_at=dose.given_at + datetime.timedelta(minutes=29))
    earliest = (given + datetime.timedelta(minutes=30)).strftime("%H:%M")
    assert errors(exc)["observation_ended_at"] == [
        f"The observation lasts 30 minutes after the last dose (given at {given:%H:%M}): "
        f"it can end from {earliest}."
    ]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.VACCINATED
    assert visits.observation_ends_at(visit) == dose.given_at + visits.OBSERVATION
    closed = visits.close_observation(
        visit, ended_at=dose.given_at + datetime.timedelta(minutes=30), note="Không phản ứng"
    )
    assert closed.status == VisitStatus.COMPLETED
    assert closed.observation_ended_at - closed.observation_started_at == visits.OBSERVATION
    # A closed visit takes no more doses.
    with pytest.raises(ValidationError) as exc:
        vaccinate(cdc, svc, closed, lot=svc.verorab, minutes_ago=10)
    assert "This visit is closed" in errors(exc)["visit"][0]


def test_observation_needs_a_dose(cdc, svc):
    visit = screened(cdc, svc)
    with pytest.raises(ValidationError) as exc:
        visits.close_observation(visit)
    assert "Only a client under observation" in errors(exc)["observation_ended_at"][0]


def test_adult_needs_no_guardian_but_a_child_does(cdc, svc):
    assert svc.adult.guardian_name == ""
    with pytest.raises(ValidationError):
        make_client(
            cdc.point1_unit, full_name="Bé Na", date_of_birth=years_ago(2), guardian_name=""
        )


def test_injection_site_choices_are_kept(cdc, svc):
    visit = screened(cdc, svc)
    dose = visits.give_dose(
        visit,
        vaccine=cdc.catalogue.vaxigrip,
        lot=svc.soon,
        site=InjectionSite.RIGHT_THIGH,
        route="sc",
        vaccinator=svc.nurse,
        given_at=ago(30),
    )
    assert (dose.site, dose.route) == ("right_thigh", "sc")
