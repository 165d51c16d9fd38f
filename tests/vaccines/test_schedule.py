"""The schedule logic: which dose is next and when, with minimum intervals, age limits and
catch-up. Most tests evaluate unsaved schedule rows (no database); the last ones go
through the catalogue and the visit service."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from doha.vaccines import schedule
from doha.vaccines.models import Antigen, ScheduleDose, Vaccine
from doha.vaccines.schedule import Series, Status, evaluate
from tests.vaccines.test_visits_setup import screened, service, vaccinate

D = datetime.date
DOB = D(2024, 1, 10)


def series(*doses, name="Rotarix"):
    """A product's series from (min_age, max_age, min_interval, recommended_age,
    recommended_interval) tuples, dose 1 first."""
    rows = []
    for number, spec in enumerate(doses, start=1):
        min_age, max_age, interval, rec_age, rec_interval = (list(spec) + [None] * 5)[:5]
        rows.append(
            ScheduleDose(
                dose_number=number,
                min_age_days=min_age or 0,
                max_age_days=max_age,
                min_interval_days=interval,
                recommended_age_days=rec_age,
                recommended_interval_days=rec_interval,
            )
        )
    return Series(doses=rows, vaccine=Vaccine(code=name.upper(), name=name))


# Rotavirus-like: dose 1 from 6 weeks (due at 2 months) until 24 weeks of age;
# dose 2 at least 4 weeks later (due 2 months later) until 32 weeks.
ROTA = series((42, 168, None, 61), (42, 224, 28, None, 61))


def test_first_dose_not_yet_then_due_at_recommended_age_then_overdue():
    too_young = evaluate(ROTA, DOB, [], DOB + datetime.timedelta(days=30))
    assert too_young.status == Status.NOT_YET
    assert too_young.dose_number == 1
    assert too_young.earliest == D(2024, 2, 21)  # 42 days
    assert too_young.due == D(2024, 3, 11)  # 61 days
    assert too_young.latest == D(2024, 6, 26)  # 168 days
    assert "can be given from 21/02/2024" in too_young.reason

    window = evaluate(ROTA, DOB, [], D(2024, 3, 1))
    assert window.status == Status.DUE
    late = evaluate(ROTA, DOB, [], D(2024, 4, 1))
    assert late.status == Status.OVERDUE
    assert "was due on 11/03/2024" in late.reason
    # Catch-up: the first projected date is today, not the missed one.
    assert late.projected[0] == (1, D(2024, 4, 1))


def test_minimum_interval_sets_the_next_dose_from_the_last_valid_dose():
    forecast = evaluate(ROTA, DOB, [D(2024, 3, 11)], D(2024, 3, 20))
    assert forecast.status == Status.NOT_YET
    assert forecast.dose_number == 2
    assert forecast.earliest == D(2024, 4, 8)  # 28 days after dose 1
    assert forecast.due == D(2024, 5, 11)  # the recommended 61 days
    assert "at least 28 days after dose 1 (11/03/2024)" in forecast.reason


def test_dose_given_before_the_minimum_interval_does_not_count():
    forecast = evaluate(ROTA, DOB, [D(2024, 3, 11), D(2024, 3, 25)], D(2024, 3, 26))
    first, second = forecast.checks
    assert first.valid and first.dose_number == 1
    assert not second.valid
    assert "Not counted" in second.reason and "08/04/2024" in second.reason
    assert forecast.valid_count == 1
    # Dose 2 is still needed, counted from the valid dose 1.
    assert forecast.dose_number == 2
    assert forecast.earliest == D(2024, 4, 8)


def test_dose_given_below_the_minimum_age_does_not_count():
    forecast = evaluate(ROTA, DOB, [D(2024, 2, 1)], D(2024, 2, 2))
    assert not forecast.checks[0].valid
    assert "minimum age 42 days" in forecast.checks[0].reason
    assert forecast.dose_number == 1


def test_age_limit_ages_a_series_out():
    # Never started by 24 weeks: rotavirus can no longer be started.
    forecast = evaluate(ROTA, DOB, [], D(2024, 7, 1))
    assert forecast.status == Status.AGED_OUT
    assert "until 26/06/2024" in forecast.reason
    assert forecast.due is None
    # Dose 1 on time, dose 2 missed past 32 weeks.
    after = evaluate(ROTA, DOB, [D(2024, 3, 11)], D(2024, 9, 1))
    assert after.status == Status.AGED_OUT
    assert after.dose_number == 2


def test_dose_given_past_the_age_limit_does_not_count():
    forecast = evaluate(ROTA, DOB, [D(2024, 7, 1)], D(2024, 7, 2))
    assert not forecast.checks[0].valid
    assert "past that age" in forecast.checks[0].reason
    assert forecast.status == Status.AGED_OUT


def test_next_dose_due_date_limited_by_the_age_limit_before_the_minimum_interval():
    # Dose 1 at 23 weeks: dose 2 could only come after 27 weeks... fine (limit 32 weeks).
    ok = evaluate(
        ROTA, DOB, [DOB + datetime.timedelta(days=161)], DOB + datetime.timedelta(days=170)
    )
    assert ok.status == Status.NOT_YET
    assert ok.earliest == DOB + datetime.timedelta(days=189)
    # A series whose second dose comes after its own age limit is aged out at once.
    tight = series((0, None), (0, 30, 28))
    forecast = evaluate(
        tight, DOB, [DOB + datetime.timedelta(days=10)], DOB + datetime.timedelta(days=11)
    )
    assert forecast.status == Status.AGED_OUT


def test_catch_up_follows_the_real_dates_and_never_restarts():
    # Hepatitis B-like adult series 0, 1, 6 months (intervals 28 and 146 days).
    hepb = series((0,), (0, None, 28, None, 30), (0, None, 146, None, 150), name="Engerix")
    dob = D(1990, 5, 5)
    # Dose 1 two years ago, nothing since: dose 2 overdue, to give today; dose 3 after.
    today = D(2025, 6, 1)
    forecast = evaluate(hepb, dob, [D(2023, 6, 1)], today)
    assert forecast.status == Status.OVERDUE
    assert forecast.dose_number == 2
    assert forecast.due == D(2023, 7, 1)
    assert forecast.projected == [(2, today), (3, today + datetime.timedelta(days=150))]
    assert forecast.valid_count == 1  # the old dose still counts


def test_complete_series_and_an_extra_dose():
    rabies = series((0,), (0, None, 3), (0, None, 4), (0, None, 14), name="Verorab")
    days = [D(2025, 1, 1), D(2025, 1, 4), D(2025, 1, 8), D(2025, 1, 22), D(2025, 2, 1)]
    forecast = evaluate(rabies, DOB, days, D(2025, 2, 2))
    assert forecast.status == Status.COMPLETE
    assert forecast.valid_count == 4
    assert forecast.next_dose is None and forecast.due is None
    assert "already complete" in forecast.checks[-1].reason
    assert "complete (4 doses)" in forecast.reason


def test_projected_rest_of_series():
    rabies = series((0,), (0, None, 3), (0, None, 4), (0, None, 14), name="Verorab")
    forecast = evaluate(rabies, DOB, [D(2025, 1, 1)], D(2025, 1, 2))
    assert forecast.projected == [(2, D(2025, 1, 4)), (3, D(2025, 1, 8)), (4, D(2025, 1, 22))]


def test_doses_out_of_order_are_sorted_by_date():
    rabies = series((0,), (0, None, 3), name="Verorab")
    forecast = evaluate(rabies, DOB, [D(2025, 1, 4), D(2025, 1, 1)], D(2025, 1, 5))
    assert forecast.status == Status.COMPLETE


# ---------------------------------------------------------------- with the database


@pytest.mark.django_db
def test_product_schedule_first_then_antigen_schedule():
    hpv = Antigen.objects.create(code="HPV", name="HPV")
    gardasil = Vaccine.objects.create(code="GARDASIL", name="Gardasil")
    gardasil.antigens.add(hpv)
    gardasil9 = Vaccine.objects.create(code="GARDASIL9", name="Gardasil 9")
    gardasil9.antigens.add(hpv)
    ScheduleDose.objects.create(antigen=hpv, dose_number=1, min_age_days=9 * 365)
    ScheduleDose.objects.create(
        antigen=hpv, dose_number=2, min_age_days=9 * 365, min_interval_days=150
    )
    ScheduleDose.objects.create(vaccine=gardasil9, dose_number=1, min_age_days=9 * 365)
    book = schedule.ScheduleBook()
    (own,) = book.series_for(gardasil9)
    assert own.vaccine == gardasil9
    (by_antigen,) = book.series_for(gardasil)
    assert by_antigen.antigen == hpv
    # Any product holding the antigen counts in the antigen's series.
    assert book.counts(by_antigen, gardasil9.pk) and book.counts(by_antigen, gardasil.pk)
    assert not book.counts(own, gardasil.pk)


def test_check_dose_numbers_the_dose_and_refuses_too_soon(cdc):
    svc = service(cdc)
    cat = cdc.catalogue
    today = timezone.localdate()
    decision = schedule.check_dose(svc.child, cat.verorab, today)
    assert decision.dose_number == 1
    assert decision.schedule_dose.dose_number == 1

    visit = screened(cdc, svc)
    dose = vaccinate(cdc, svc, visit, lot=svc.verorab)
    today = timezone.localdate(dose.given_at)
    # Rabies dose 2 comes 3 days after dose 1, not the same day.
    with pytest.raises(ValidationError) as exc:
        schedule.check_dose(svc.child, cat.verorab, today)
    (message,) = exc.value.message_dict["vaccine"]
    assert "Dose 2 of Verorab can be given from" in message
    assert (today + datetime.timedelta(days=3)).strftime("%d/%m/%Y") in message
    later = schedule.check_dose(svc.child, cat.verorab, today + datetime.timedelta(days=3))
    assert later.dose_number == 2


def test_check_dose_refuses_below_minimum_age_and_numbers_unscheduled_vaccines(cdc):
    svc = service(cdc)
    cat = cdc.catalogue
    baby = svc.child
    baby.date_of_birth = timezone.localdate() - datetime.timedelta(days=90)
    baby.save()
    with pytest.raises(ValidationError) as exc:
        schedule.check_dose(baby, cat.vaxigrip, timezone.localdate())
    assert "minimum age 183 days" in exc.value.message_dict["vaccine"][0]
    # BCG has no schedule in this catalogue: numbered after the doses given.
    assert schedule.check_dose(baby, cat.bcg, timezone.localdate()).dose_number == 1


def test_client_forecast_of_started_series(cdc):
    svc = service(cdc)
    visit = screened(cdc, svc)
    dose = vaccinate(cdc, svc, visit, lot=svc.soon)
    (forecast,) = schedule.client_forecast(svc.child)
    assert forecast.series.vaccine == cdc.catalogue.vaxigrip
    assert forecast.status == Status.NOT_YET
    assert forecast.dose_number == 2
    assert forecast.earliest == timezone.localdate(dose.given_at) + datetime.timedelta(days=28)
