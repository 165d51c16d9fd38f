"""Adverse events following immunisation: recorded with their severity after a dose; a
serious one is on the Department of Health's list the moment it is recorded."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from doha.vaccines import revenue, visits
from doha.vaccines.models import Aefi, AefiOutcome, AefiSeverity
from tests.mixins import new_client, table_from_export
from tests.vaccines.test_visits_setup import ago, screened, service, vaccinate


@pytest.fixture
def given(cdc):
    svc = service(cdc)
    visit = screened(cdc, svc, minutes_ago=60)
    return svc, vaccinate(cdc, svc, visit, minutes_ago=50)


def serious(dose, user=None):
    return visits.record_aefi(
        dose,
        onset_at=ago(20),
        severity=AefiSeverity.SERIOUS,
        symptoms="Khó thở, tím tái, mạch nhanh",
        treatment="Adrenalin 1/1000 tiêm bắp, chuyển viện",
        outcome=AefiOutcome.HOSPITALISED,
        user=user,
    )


def test_common_event_is_not_reported(cdc, given):
    _svc, dose = given
    aefi = visits.record_aefi(
        dose,
        onset_at=ago(30),
        severity=AefiSeverity.COMMON,
        symptoms="Sưng đau tại chỗ tiêm",
        user=cdc.point_clerk,
    )
    assert aefi.reported_to_doh_at is None
    assert aefi.reported_by == cdc.point_clerk
    assert aefi.outcome == AefiOutcome.UNKNOWN


def test_serious_event_is_reported_at_once(cdc, given):
    _svc, dose = given
    before = timezone.now()
    aefi = serious(dose, cdc.point_clerk)
    assert before <= aefi.reported_to_doh_at <= timezone.now()


def test_event_rules(cdc, given):
    _svc, dose = given
    with pytest.raises(ValidationError) as exc:
        visits.record_aefi(
            dose,
            onset_at=dose.given_at - datetime.timedelta(minutes=5),
            severity=AefiSeverity.COMMON,
            symptoms="",
            outcome=AefiOutcome.DIED,
        )
    found = exc.value.message_dict
    assert "began before the dose was given" in found["onset_at"][0]
    assert found["symptoms"] == ["Describe the symptoms."]
    assert found["severity"] == ["An event that ends in died is a serious event."]
    assert not Aefi.objects.exists()


def test_follow_up_that_turns_serious_is_reported_then(cdc, given):
    _svc, dose = given
    aefi = visits.record_aefi(
        dose, onset_at=ago(30), severity=AefiSeverity.COMMON, symptoms="Sốt 38,5 °C"
    )
    with pytest.raises(ValidationError):
        visits.update_aefi(aefi, severity=AefiSeverity.COMMON, outcome=AefiOutcome.HOSPITALISED)
    updated = visits.update_aefi(
        aefi,
        severity=AefiSeverity.SERIOUS,
        outcome=AefiOutcome.HOSPITALISED,
        treatment="Nhập viện theo dõi",
    )
    assert updated.reported_to_doh_at is not None
    assert updated.treatment == "Nhập viện theo dõi"


def test_doh_of_the_province_sees_the_serious_list(cdc, given, users):
    _svc, dose = given
    aefi = serious(dose)
    visits.record_aefi(dose, onset_at=ago(25), severity=AefiSeverity.COMMON, symptoms="Đau")
    doh = new_client()
    doh.force_login(users.doh)
    page = doh.get(reverse("vaccines:aefi-serious"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-uid="{aefi.uid}" data-severity="serious"' in html
    assert 'data-severity="common"' not in html
    assert "1 serious event began in the last 30 days." in html
    assert visits.serious_aefi_alert(users.doh) == 1
    export = doh.get(reverse("vaccines:aefi-serious"), {"export": "xlsx"})
    header, rows = table_from_export(export)
    assert header[2] == "Severity" and len(rows) == 1 and rows[0][0] == aefi.uid
    # Thái Nguyên's DOH officer does not see Bắc Ninh's events.
    other = new_client()
    other.force_login(users.doh_tn)
    assert (
        f'data-uid="{aefi.uid}"' not in other.get(reverse("vaccines:aefi-serious")).content.decode()
    )
    assert visits.serious_aefi_alert(users.doh_tn) == 0


def test_home_flag_template(cdc, given, users):
    from django.template.loader import render_to_string

    _svc, dose = given
    serious(dose)
    html = render_to_string(
        "vaccines/aefi_home_flag.html",
        {"serious_aefi_count": visits.serious_aefi_alert(users.doh)},
    )
    assert "1 serious adverse event after vaccination in the last 30 days" in html
    assert render_to_string("vaccines/aefi_home_flag.html", {"serious_aefi_count": 0}).strip() == ""


def test_record_through_the_page_and_follow_up(cdc, given):
    _svc, dose = given
    browser = new_client()
    browser.force_login(cdc.point_clerk)
    url = reverse("vaccines:aefi-add", args=[dose.uid])
    assert browser.get(url).status_code == 200
    onset = timezone.localtime(ago(10)).strftime("%Y-%m-%dT%H:%M")
    response = browser.post(
        url,
        {
            "onset_at": onset,
            "severity": "serious",
            "symptoms": "Co giật",
            "treatment": "",
            "outcome": "hospitalised",
        },
    )
    aefi = Aefi.objects.get()
    assert response.status_code == 302 and response["Location"] == aefi.get_absolute_url()
    page = browser.get(aefi.get_absolute_url()).content.decode()
    assert 'id="reported">' in page and 'id="aefi-follow-up"' in page
    response = browser.post(
        aefi.get_absolute_url(),
        {"severity": "serious", "outcome": "recovered", "treatment": "Ra viện"},
    )
    assert response.status_code == 302
    aefi.refresh_from_db()
    assert aefi.outcome == "recovered"


def test_aefi_counts_feed_the_statistics(cdc, given):
    _svc, dose = given
    serious(dose)
    visits.record_aefi(dose, onset_at=ago(25), severity=AefiSeverity.COMMON, symptoms="Đau")
    month = timezone.localdate(dose.given_at)
    assert revenue.aefi_counts(cdc.point1_unit, month) == {"common": 1, "serious": 1}
    assert revenue.aefi_counts(cdc.cdc_unit, month) == {"common": 0, "serious": 0}
    assert revenue.aefi_counts(cdc.cdc_unit, month, include_descendants=True) == {
        "common": 1,
        "serious": 1,
    }


def test_api_create_and_filter(cdc, given):
    _svc, dose = given
    browser = new_client()
    browser.force_login(cdc.point_clerk)
    response = browser.post(
        "/api/vaccination-aefis/",
        {
            "dose": dose.uid,
            "onset_at": ago(5).isoformat(),
            "severity": "serious",
            "symptoms": "Phản vệ độ II",
            "outcome": "recovering",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["reported_to_doh_at"] is not None
    listed = browser.get("/api/vaccination-aefis/", {"severity": "serious"}).json()
    assert listed["count"] == 1 and listed["results"][0]["vaccine"] == "VAXIGRIP"
    patched = browser.patch(
        f"/api/vaccination-aefis/{listed['results'][0]['uid']}/",
        {"outcome": "died"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["outcome"] == "died"
