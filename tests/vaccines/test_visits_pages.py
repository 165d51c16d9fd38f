"""The visit's pages and API: screening form by age, a stop with its reasons, a dose with
its lot (the FEFO suggestion, an expired lot refused on the lot field), the observation,
the list and its export; scope and roles."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from doha.vaccines import stock, visits
from doha.vaccines.models import Dose, Receipt, VaccinationVisit, VisitStatus
from tests.factories import UserFactory
from tests.mixins import new_client, table_from_export
from tests.vaccines.test_visits_setup import ago, screened, service, vaccinate


@pytest.fixture
def svc(cdc):
    return service(cdc)


@pytest.fixture
def browser(cdc):
    client = new_client()
    client.force_login(cdc.point_clerk)
    return client


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def screening_data(cdc, svc, client, **answers):
    data = {
        "store": cdc.point1.pk,
        "visited_at": local(ago(40)),
        "screened_by": svc.doctor.pk,
        "temperature_c": "36,9",
        "weight_kg": "18",
        "screening_note": "",
    }
    checklist = visits.checklist_for(client.date_of_birth, timezone.localdate())
    for question in checklist.questions:
        data[f"q_{question.code}"] = "yes" if answers.get(question.code) else "no"
    return data


def test_screening_form_has_the_childs_checklist(cdc, svc, browser):
    response = browser.get(reverse("vaccines:visit-add", args=[svc.child.uid]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-checklist="child-1575/2023"' in html
    assert 'data-question="anaphylaxis" data-effect="contraindicated"' in html
    assert "Fever (≥ 38 °C) or hypothermia (≤ 35.5 °C)" in html
    adult = browser.get(reverse("vaccines:visit-add", args=[svc.adult.uid])).content.decode()
    assert 'data-checklist="adult-v1"' in adult and "pregnant" in adult


def test_unanswered_questions_are_named(cdc, svc, browser):
    data = screening_data(cdc, svc, svc.child)
    del data["q_corticoid"]
    response = browser.post(reverse("vaccines:visit-add", args=[svc.child.uid]), data)
    assert response.status_code == 400
    assert '<ul class="errorlist" data-field="q_corticoid"><li>Answer this question.' in (
        response.content.decode()
    )
    assert not VaccinationVisit.objects.exists()


def test_contraindication_stops_the_visit_on_the_page(cdc, svc, browser):
    data = screening_data(cdc, svc, svc.child, immunodeficiency=True)
    response = browser.post(reverse("vaccines:visit-add", args=[svc.child.uid]), data)
    visit = VaccinationVisit.objects.get()
    assert response.status_code == 302 and response["Location"] == visit.get_absolute_url()
    page = browser.get(visit.get_absolute_url()).content.decode()
    assert 'id="stop-reasons"' in page
    assert "Contraindicated: Immunodeficiency of unknown or severe degree" in page
    assert 'id="dose-form"' not in page  # no dose can be given
    assert visit.status == VisitStatus.STOPPED


def test_eligible_visit_then_dose_with_the_suggested_lot(cdc, svc, browser):
    response = browser.post(
        reverse("vaccines:visit-add", args=[svc.child.uid]), screening_data(cdc, svc, svc.child)
    )
    visit = VaccinationVisit.objects.get()
    page = browser.get(response["Location"]).content.decode()
    assert 'id="dose-form"' in page
    # The lot choices: FEFO order, the expired lot flagged.
    lots = browser.get(
        reverse("vaccines:visit-lots", args=[visit.uid]), {"vaccine": cdc.catalogue.vaxigrip.pk}
    ).content.decode()
    assert lots.index("VG-OLD") < lots.index("VG-SOON") < lots.index("VG-LATER")
    assert f'<option value="{svc.soon.pk}" selected>' in lots
    assert "— expired" in lots
    response = browser.post(
        reverse("vaccines:visit-dose", args=[visit.uid]),
        {
            "vaccine": cdc.catalogue.vaxigrip.pk,
            "lot": svc.soon.pk,
            "site": "left_deltoid",
            "route": "",
            "vaccinator": svc.nurse.pk,
            "given_at": local(ago(35)),
            "payment_method": "transfer",
        },
    )
    assert response.status_code == 302
    dose = Dose.objects.get()
    assert (dose.lot, dose.dose_number) == (svc.soon, 1)
    assert Receipt.objects.get(visit=visit).payment_method == "transfer"
    page = browser.get(visit.get_absolute_url()).content.decode()
    assert 'data-status="vaccinated"' in page
    assert 'id="observation-form"' in page
    ends = timezone.localtime(dose.given_at + datetime.timedelta(minutes=30))
    assert f'id="observation-earliest">{ends:%d/%m/%Y %H:%M}<' in page
    assert "350.000 đ" in page


def test_expired_lot_refused_on_its_field(cdc, svc, browser):
    visit = screened(cdc, svc)
    response = browser.post(
        reverse("vaccines:visit-dose", args=[visit.uid]),
        {
            "vaccine": cdc.catalogue.vaxigrip.pk,
            "lot": svc.expired.pk,
            "site": "left_deltoid",
            "vaccinator": svc.nurse.pk,
            "given_at": local(ago(30)),
            "payment_method": "cash",
        },
    )
    assert response.status_code == 400
    expiry = svc.expired.expiry_date.strftime("%d/%m/%Y")
    assert (
        f'<ul class="errorlist" data-field="lot"><li>Lot VG-OLD of Vaxigrip Tetra expired on '
        f"{expiry}.</li>" in response.content.decode()
    )
    assert not Dose.objects.exists()
    assert stock.on_hand(cdc.point1, svc.expired) == 10


def test_observation_cannot_end_early_on_the_page(cdc, svc, browser):
    visit = screened(cdc, svc, minutes_ago=30)
    dose = vaccinate(cdc, svc, visit, minutes_ago=20)
    early = dose.given_at + datetime.timedelta(minutes=10)
    response = browser.post(
        reverse("vaccines:visit-close", args=[visit.uid]), {"ended_at": local(early), "note": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        '<ul class="errorlist" data-field="ended_at"><li>The observation lasts 30 minutes' in html
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.VACCINATED


def test_visit_of_another_point_is_404_and_viewer_may_not_give_doses(cdc, svc, users):
    visit = screened(cdc, svc)
    point2 = new_client()
    point2.force_login(UserFactory(role="data_clerk", org_unit=cdc.point2_unit))
    assert point2.get(visit.get_absolute_url()).status_code == 404
    viewer = new_client()
    viewer.force_login(users.viewer)
    assert viewer.get(visit.get_absolute_url()).status_code == 200
    response = viewer.post(reverse("vaccines:visit-dose", args=[visit.uid]), {})
    assert response.status_code == 403
    assert 'id="dose-form"' not in viewer.get(visit.get_absolute_url()).content.decode()


def test_visit_list_filters_and_export(cdc, svc, browser):
    done = screened(cdc, svc)
    vaccinate(cdc, svc, done)
    screened(cdc, svc, svc.adult, acute_illness=True)
    listed = browser.get(reverse("vaccines:visit-list"), {"status": "stopped"}).content.decode()
    assert "Đỗ Thị Hoa" in listed and "Nguyễn Văn An" not in listed
    export = browser.get(reverse("vaccines:visit-list"), {"export": "csv", "q": "nguyen"})
    header, rows = table_from_export(export)
    assert header[:4] == ["Visit UID", "Time", "Vaccination point", "Client"]
    (row,) = rows
    assert row[0] == done.uid and row[8] == "Vaxigrip Tetra dose 1"


# ---------------------------------------------------------------- API


def test_api_visit_end_to_end(cdc, svc, browser):
    checklists = browser.get("/api/vaccination-visits/checklists/").json()
    (child,) = [c for c in checklists if c["code"] == "child-1575/2023"]
    answers = {q["code"]: False for q in child["questions"]}
    response = browser.post(
        "/api/vaccination-visits/",
        {
            "client": svc.child.uid,
            "store": cdc.point1.uid,
            "answers": answers,
            "temperature_c": "36.7",
            "screened_by": svc.doctor.uid,
            "visited_at": ago(45).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    visit = response.json()
    assert visit["status"] == "screening" and visit["checklist"] == "child-1575/2023"
    refused = browser.post(
        f"/api/vaccination-visits/{visit['uid']}/doses/",
        {
            "vaccine": "VAXIGRIP",
            "lot": svc.expired.uid,
            "site": "left_deltoid",
            "vaccinator": svc.nurse.uid,
            "given_at": ago(40).isoformat(),
        },
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "expired on" in refused.json()["lot"][0]
    given = browser.post(
        f"/api/vaccination-visits/{visit['uid']}/doses/",
        {
            "vaccine": "VAXIGRIP",
            "lot": svc.soon.uid,
            "site": "left_deltoid",
            "vaccinator": svc.nurse.uid,
            "given_at": ago(40).isoformat(),
        },
        content_type="application/json",
    )
    assert given.status_code == 201, given.content
    assert given.json()["dose_number"] == 1 and given.json()["lot_number"] == "VG-SOON"
    early = browser.post(
        f"/api/vaccination-visits/{visit['uid']}/close/",
        {"ended_at": ago(35).isoformat()},
        content_type="application/json",
    )
    assert early.status_code == 400 and "ended_at" in early.json()
    closed = browser.post(
        f"/api/vaccination-visits/{visit['uid']}/close/", {}, content_type="application/json"
    )
    assert closed.status_code == 200 and closed.json()["status"] == "completed"


def test_api_screening_errors_name_the_answers(cdc, svc, browser):
    response = browser.post(
        "/api/vaccination-visits/",
        {
            "client": svc.child.uid,
            "store": cdc.point1.uid,
            "answers": {"anaphylaxis": False},
            "screened_by": svc.doctor.uid,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not answered" in response.json()["answers"][0]


def test_lists_have_no_n_plus_one(cdc, svc, browser):
    from doha.vaccines import visits as visit_service
    from doha.vaccines.models import AefiSeverity
    from tests.mixins import assert_no_n_plus_one
    from tests.vaccines.test_visits_setup import make_client

    counter = iter(range(100))

    def add_rows():
        for _ in range(3):
            n = next(counter)
            client = make_client(cdc.point1_unit, full_name=f"Khách số {n}", phone=f"0977{n:06d}")
            dose = vaccinate(cdc, svc, screened(cdc, svc, client), lot=svc.later)
            visit_service.record_aefi(
                dose, onset_at=ago(5), severity=AefiSeverity.COMMON, symptoms="Đau"
            )

    add_rows()
    for name in ("client-list", "visit-list", "aefi-list", "receipt-list"):
        assert_no_n_plus_one(browser, reverse(f"vaccines:{name}"), add_rows)
