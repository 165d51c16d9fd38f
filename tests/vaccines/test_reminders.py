"""Reminders of the doses due on a day, for an SMS/Zalo sending tool."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from doha.vaccines import schedule
from doha.vaccines.models import Client
from tests.factories import UserFactory
from tests.mixins import new_client, table_from_export
from tests.vaccines.test_visits_setup import screened, service, vaccinate

DAY = datetime.timedelta(days=1)


@pytest.fixture
def rabies(cdc):
    """The child had dose 1 of Verorab today: dose 2 is due in 3 days, dose 3 in 7."""
    svc = service(cdc)
    dose = vaccinate(cdc, svc, screened(cdc, svc), lot=svc.verorab)
    return svc, timezone.localdate(dose.given_at)


def test_dose_due_on_its_day_only(cdc, rabies):
    svc, day = rabies
    everyone = Client.objects.all()
    assert schedule.reminders(everyone, day + 2 * DAY) == []
    (reminder,) = schedule.reminders(everyone, day + 3 * DAY)
    assert reminder.client == svc.child
    assert reminder.forecast.dose_number == 2
    assert reminder.due == day + 3 * DAY
    assert reminder.forecast.status == schedule.Status.DUE
    assert schedule.reminders(everyone, day + 4 * DAY) == []


def test_overdue_doses_on_request(cdc, rabies):
    svc, day = rabies
    everyone = Client.objects.all()
    assert schedule.reminders(everyone, day + 10 * DAY) == []
    (late,) = schedule.reminders(everyone, day + 10 * DAY, include_overdue=True)
    assert late.forecast.status == schedule.Status.OVERDUE
    assert late.due == day + 3 * DAY


def test_retired_clients_are_not_reminded(cdc, rabies):
    svc, day = rabies
    svc.child.active = False
    svc.child.save()
    assert schedule.reminders(Client.objects.all(), day + 3 * DAY) == []


def test_page_masks_and_export_gives_the_phone(cdc, rabies):
    svc, day = rabies
    browser = new_client()
    browser.force_login(cdc.point_clerk)
    due = (day + 3 * DAY).isoformat()
    page = browser.get(reverse("vaccines:reminder-list"), {"day": due}).content.decode()
    assert f'data-client="{svc.child.uid}"' in page
    assert "•••678" in page and "0912345678" not in page
    export = browser.get(reverse("vaccines:reminder-list"), {"day": due, "export": "csv"})
    assert f"nhac-lich-tiem-{due.replace('-', '')}" in export["Content-Disposition"]
    header, rows = table_from_export(export)
    assert header[:7] == [
        "Client",
        "Date of birth",
        "Guardian",
        "Phone",
        "Vaccine",
        "Dose",
        "Due date",
    ]
    assert rows == [
        [
            "Nguyễn Văn An",
            svc.child.date_of_birth.strftime("%d/%m/%Y"),
            "Trần Thị Bình",
            "0912345678",
            "Verorab",
            "2",
            (day + 3 * DAY).strftime("%d/%m/%Y"),
            "Due",
            cdc.point1_unit.name,
            svc.child.uid,
        ]
    ]


def test_reminders_follow_the_scope(cdc, rabies):
    _svc, day = rabies
    point2 = new_client()
    point2.force_login(UserFactory(role="data_clerk", org_unit=cdc.point2_unit))
    due = (day + 3 * DAY).isoformat()
    page = point2.get(reverse("vaccines:reminder-list"), {"day": due}).content.decode()
    assert "0 doses due" in page
    response = point2.get("/api/vaccination-reminders/", {"day": due})
    assert response.status_code == 200 and response.json() == []


def test_api_for_a_sending_tool(cdc, rabies):
    svc, day = rabies
    browser = new_client()
    browser.force_login(cdc.cdc_clerk)
    due = day + 3 * DAY
    response = browser.get("/api/vaccination-reminders/", {"day": due.isoformat()})
    assert response.json() == [
        {
            "client": svc.child.uid,
            "full_name": "Nguyễn Văn An",
            "date_of_birth": svc.child.date_of_birth.isoformat(),
            "guardian_name": "Trần Thị Bình",
            "phone": "0912345678",
            "vaccine": "Verorab",
            "dose": 2,
            "due": due.isoformat(),
            "status": "due",
        }
    ]
    bad = browser.get("/api/vaccination-reminders/", {"day": "31/12/2025"})
    assert bad.status_code == 400 and "day" in bad.json()


def test_readers_see_the_list_but_cannot_export_the_phones(cdc, rabies, users):
    _svc, day = rabies
    viewer = new_client()
    viewer.force_login(users.viewer)
    due = (day + 3 * DAY).isoformat()
    page = viewer.get(reverse("vaccines:reminder-list"), {"day": due})
    assert page.status_code == 200 and 'id="export-xlsx"' not in page.content.decode()
    assert (
        viewer.get(reverse("vaccines:reminder-list"), {"day": due, "export": "csv"}).status_code
        == 403
    )
    assert viewer.get("/api/vaccination-reminders/", {"day": due}).status_code == 403
