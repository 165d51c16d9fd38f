"""Service vaccination in a browser (issue 7): a visit end to end at a vaccination point
(the child's screening checklist, the first-expiry lot suggested when the vaccine is
chosen, the dose, an observation refused before 30 minutes then closed), and a dose refused
because the lot chosen has expired.

Assertions read ids, data attributes and data (names, lot numbers, dates, times), so they
hold in Vietnamese and English alike.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from doha.vaccines import stock
from doha.vaccines.models import Dose, Receipt, VaccinationVisit, VisitStatus
from tests.vaccines.factories import build_catalogue, build_cdc
from tests.vaccines.test_visits_setup import screened, service

pytestmark = pytest.mark.e2e


def local_input(moment):
    """The value of a datetime-local input."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def hm(moment):
    return timezone.localtime(moment).strftime("%H:%M")


@pytest.fixture
def world(network, users):
    cdc = build_cdc(network, build_catalogue())
    return cdc, service(cdc)


def start_of_minute(minutes_ago):
    """A past moment, to the minute."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    return now - datetime.timedelta(minutes=minutes_ago)


def test_vaccination_visit_end_to_end(page, sign_in, world):
    cdc, svc = world
    vaxigrip = cdc.catalogue.vaxigrip
    before = stock.on_hand(cdc.point1, svc.soon)
    sign_in("diem1.bn")

    # The client's record: a new visit opens the checklist for a child.
    page.goto(svc.child.get_absolute_url())
    expect(page.locator("h1")).to_contain_text(svc.child.full_name)
    expect(page.locator("#phone")).to_have_text("0912 345 678")
    page.locator("#new-visit").click()
    expect(page).to_have_url(re.compile(rf"/vaccines/clients/{svc.child.uid}/visit/$"))
    expect(page.locator("#checklist-title")).to_have_attribute("data-checklist", "child-1575/2023")
    questions = page.locator("#checklist tbody tr[data-question]")
    expect(questions).to_have_count(9)
    expect(page.locator("#checklist tr[data-effect='contraindicated']")).to_have_count(2)

    screened_at = start_of_minute(45)
    form = page.locator("#screening-form")
    form.locator("#id_store").select_option(label=cdc.point1.name)
    form.locator("#id_visited_at").fill(local_input(screened_at))
    form.locator("#id_screened_by").select_option(label=f"{svc.doctor} ({cdc.cdc_unit.short_name})")
    form.locator("#id_temperature_c").fill("36,8")
    form.locator("#id_weight_kg").fill("18,5")
    for index in range(questions.count()):
        questions.nth(index).locator("input[value='no']").check()
    form.locator("button[type=submit]").click()

    # Eligible: the visit page with the dose form.
    expect(page).to_have_url(re.compile(r"/vaccines/visits/[A-Za-z0-9]{11}/$"))
    visit = VaccinationVisit.objects.get(client=svc.child)
    expect(page).to_have_url(re.compile(rf"/vaccines/visits/{visit.uid}/$"))
    expect(page.locator("#visit-status")).to_have_attribute("data-status", "screening")
    expect(page.locator("#screening-result")).to_have_attribute("data-result", "eligible")
    expect(page.locator("#stop-reasons")).to_have_count(0)

    # Choosing the vaccine reloads its lots, the first expiry first (the expired one flagged).
    dose_form = page.locator("#dose-form")
    dose_form.locator("#id_vaccine").select_option(value=str(vaxigrip.pk))
    lot = dose_form.locator("#id_lot")
    expect(lot.locator("option[data-problem]")).to_contain_text("VG-OLD")
    expect(lot.locator("option:checked")).to_contain_text("VG-SOON")
    expect(lot).to_have_value(str(svc.soon.pk))
    given_at = screened_at + datetime.timedelta(minutes=10)
    dose_form.locator("#id_site").select_option(value="left_deltoid")
    dose_form.locator("#id_vaccinator").select_option(label=f"{svc.nurse} ({cdc.point1_unit.name})")
    dose_form.locator("#id_given_at").fill(local_input(given_at))
    dose_form.locator("#give-dose").click()

    expect(page.locator("#visit-status")).to_have_attribute("data-status", "vaccinated")
    row = page.locator("#doses tbody tr[data-uid]")
    expect(row).to_have_count(1)
    expect(row.locator(".lot")).to_contain_text("VG-SOON")
    expect(row.locator(".dose-number")).to_have_text("1")
    expect(page.locator("#observation-start")).to_have_text(given_at.strftime("%d/%m/%Y %H:%M"))
    earliest = given_at + datetime.timedelta(minutes=30)
    expect(page.locator("#observation-earliest")).to_have_text(earliest.strftime("%d/%m/%Y %H:%M"))
    expect(page.locator("#receipts .amount")).to_have_text("350.000 đ")

    # The observation cannot end before 30 minutes after the dose...
    observation = page.locator("#observation-form")
    observation.locator("#id_ended_at").fill(local_input(given_at + datetime.timedelta(minutes=20)))
    observation.locator("#close-observation").click()
    error = page.locator("ul.errorlist[data-field='ended_at']")
    expect(error).to_contain_text(hm(earliest))
    expect(error).to_contain_text(hm(given_at))
    expect(page.locator("#visit-status")).to_have_attribute("data-status", "vaccinated")

    # ...then it does (now), and the visit is complete.
    page.locator("#observation-form #id_ended_at").fill(
        local_input(max(earliest, start_of_minute(0)))
    )
    page.locator("#observation-form #close-observation").click()
    expect(page.locator("#visit-status")).to_have_attribute("data-status", "completed")
    expect(page.locator("#observation-end")).not_to_have_text("—")
    expect(page.locator("#dose-form")).to_have_count(0)

    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED
    assert visit.observation_ended_at - visit.observation_started_at >= datetime.timedelta(
        minutes=30
    )
    dose = Dose.objects.get(visit=visit)
    assert (dose.lot, dose.dose_number, dose.vaccine) == (svc.soon, 1, vaxigrip)
    assert stock.on_hand(cdc.point1, svc.soon) == before - 1
    assert Receipt.objects.get(visit=visit).amount == 350_000

    # The client's record now shows the next dose of the series.
    page.goto(svc.child.get_absolute_url())
    forecast = page.locator("#forecast tr[data-series='vaccine:VAXIGRIP']")
    due = timezone.localdate(dose.given_at) + datetime.timedelta(days=28)
    expect(forecast.locator(".due")).to_have_text(due.strftime("%d/%m/%Y"))


def test_dose_refused_for_an_expired_lot(page, sign_in, world):
    cdc, svc = world
    visit = screened(cdc, svc, minutes_ago=20)
    expired_before = stock.on_hand(cdc.point1, svc.expired)
    sign_in("diem1.bn")

    page.goto(visit.get_absolute_url())
    expect(page.locator("#visit-status")).to_have_attribute("data-status", "screening")
    dose_form = page.locator("#dose-form")
    dose_form.locator("#id_vaccine").select_option(value=str(cdc.catalogue.vaxigrip.pk))
    expect(dose_form.locator("#id_lot option[data-problem]")).to_contain_text("VG-OLD")
    dose_form.locator("#id_lot").select_option(value=str(svc.expired.pk))
    dose_form.locator("#id_site").select_option(value="right_deltoid")
    dose_form.locator("#id_vaccinator").select_option(label=f"{svc.nurse} ({cdc.point1_unit.name})")
    dose_form.locator("#id_given_at").fill(local_input(start_of_minute(5)))
    dose_form.locator("#give-dose").click()

    # Refused on the lot field, with the lot and its expiry date; nothing given or paid.
    error = page.locator("#dose-form ul.errorlist[data-field='lot']")
    expect(error).to_contain_text("VG-OLD")
    expect(error).to_contain_text(svc.expired.expiry_date.strftime("%d/%m/%Y"))
    expect(page.locator("#visit-status")).to_have_attribute("data-status", "screening")
    expect(page.locator("#doses tbody tr[data-uid]")).to_have_count(0)
    # The choices kept: the expired lot still selected, to be changed.
    expect(page.locator("#dose-form #id_lot")).to_have_value(str(svc.expired.pk))
    assert not Dose.objects.exists()
    assert not Receipt.objects.exists()
    assert stock.on_hand(cdc.point1, svc.expired) == expired_before
