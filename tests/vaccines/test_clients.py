"""Clients: minimal personal data, accent-insensitive search or phone, masked lists and
exports, every opening of a record logged, scope by the registering unit."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from doha.people.models import Sex
from doha.vaccines import clients
from doha.vaccines.models import Client
from tests.mixins import new_client, table_from_export
from tests.vaccines.test_visits_setup import make_client, years_ago


def errors(exc) -> dict:
    return exc.value.message_dict


def accesses(client_record):
    return list(clients.access_log(client_record).values_list("actor__username", "additional_data"))


# ---------------------------------------------------------------- the service


def test_child_needs_a_guardian_and_a_phone(cdc):
    child = Client(
        full_name="  Lê   Bảo Ngọc ",
        date_of_birth=years_ago(3),
        sex=Sex.FEMALE,
        registered_at=cdc.point1_unit,
    )
    with pytest.raises(ValidationError) as exc:
        clients.save_client(child)
    found = errors(exc)
    assert found["guardian_name"] == [
        "A child under 16 comes with a guardian: give the guardian's name."
    ]
    assert found["phone"] == [
        "Give the guardian's phone: it is used to remind them of the next dose."
    ]
    child.guardian_name = "Lê Văn Hùng"
    child.phone = "+84 912.345-678"
    clients.save_client(child)
    child.refresh_from_db()
    assert child.full_name == "Lê Bảo Ngọc"
    assert child.phone == "0912345678"
    assert child.search_text.strip() == "le bao ngoc le van hung 0912345678"


def test_adult_phone_optional_but_must_be_a_phone(cdc):
    adult = Client(
        full_name="Vũ Đức Thắng",
        date_of_birth=years_ago(40),
        sex=Sex.MALE,
        registered_at=cdc.point1_unit,
    )
    clients.save_client(adult)
    adult.phone = "12345"
    with pytest.raises(ValidationError) as exc:
        clients.save_client(adult)
    assert "10 or 11 digits starting with 0" in errors(exc)["phone"][0]


def test_dates_of_birth_out_of_range(cdc):
    for dob, message in (
        (timezone.localdate() + datetime.timedelta(days=1), "cannot be in the future"),
        (datetime.date(1890, 1, 1), "more than 120 years ago"),
    ):
        with pytest.raises(ValidationError) as exc:
            make_client(cdc.point1_unit, date_of_birth=dob)
        assert message in errors(exc)["date_of_birth"][0]


def test_the_same_person_is_not_registered_twice(cdc):
    first = make_client(cdc.point1_unit)
    with pytest.raises(ValidationError) as exc:
        make_client(cdc.point2_unit, full_name="nguyen van an")
    assert errors(exc)["full_name"] == [
        f"Already registered: {first}, client {first.uid}. Open that record instead."
    ]
    # Another child with the same name but another date of birth is another person.
    make_client(cdc.point1_unit, date_of_birth=years_ago(6))


def test_registration_scope(cdc, users):
    units = clients.registration_units(cdc.point_clerk)
    assert list(units) == [cdc.point1_unit]
    assert set(clients.registration_units(cdc.cdc_clerk)) == {
        cdc.cdc_unit,
        cdc.point1_unit,
        cdc.point2_unit,
    }
    with pytest.raises(ValidationError) as exc:
        clients.save_client(
            Client(
                full_name="Ngoài vùng",
                date_of_birth=years_ago(30),
                sex=Sex.MALE,
                registered_at=cdc.point2_unit,
            ),
            user=cdc.point_clerk,
        )
    assert errors(exc)["registered_at"] == ["This unit is outside your scope."]


def test_search_ignores_accents_and_finds_phones(cdc):
    an = make_client(cdc.point1_unit)
    hoa = make_client(
        cdc.point1_unit,
        full_name="Đỗ Thị Hoa",
        date_of_birth=years_ago(30),
        guardian_name="",
        phone="0987654321",
    )
    everyone = Client.objects.all()
    assert list(clients.find(everyone, "nguyen van an")) == [an]
    assert list(clients.find(everyone, "DO hoa")) == [hoa]
    assert list(clients.find(everyone, "tran thi binh")) == [an]  # the guardian's name
    assert list(clients.find(everyone, "0987 654")) == [hoa]
    assert list(clients.find(everyone, "654321")) == [hoa]
    assert list(clients.find(everyone, "+84912345678")) == [an]
    assert list(clients.find(everyone, "an")) == [an]  # from the start of a word only
    assert list(clients.find(everyone, "oa")) == []


def test_ages_and_masks():
    dob = datetime.date(2024, 1, 31)
    assert clients.age_parts(dob, datetime.date(2024, 2, 29)) == (0, 0, 29)
    assert clients.age_parts(dob, datetime.date(2024, 3, 1)) == (0, 1, 1)
    assert clients.age_label(dob, datetime.date(2024, 2, 10)) == "10 days"
    assert clients.age_label(dob, datetime.date(2025, 7, 31)) == "18 months"
    assert clients.age_label(dob, datetime.date(2030, 1, 30)) == "5 years"
    assert clients.masked_phone(Client(phone="0912345678")) == "•••678"
    assert clients.format_phone("0912345678") == "0912 345 678"


# ---------------------------------------------------------------- pages


@pytest.fixture
def browser(cdc):
    client = new_client()
    client.force_login(cdc.point_clerk)
    return client


def test_list_masks_phones_and_export_too(cdc, browser):
    an = make_client(cdc.point1_unit)
    make_client(cdc.point2_unit, full_name="Ở điểm hai", phone="0911111111")
    response = browser.get(reverse("vaccines:client-list"), {"q": "nguyen"})
    html = response.content.decode()
    assert response.status_code == 200
    assert an.full_name in html and "•••678" in html
    assert "0912345678" not in html
    assert "Ở điểm hai" not in html  # point 2's client is out of the clerk's scope
    export = browser.get(reverse("vaccines:client-list"), {"export": "xlsx"})
    header, rows = table_from_export(export)
    assert header[5] == "Phone (masked)"
    assert rows == [
        [
            an.uid,
            "Nguyễn Văn An",
            str(an.date_of_birth.year),
            "Male",
            "Trần Thị Bình",
            "•••678",
            cdc.point1_unit.name,
            "yes",
        ]
    ]


def test_opening_a_record_is_logged(cdc, browser, users):
    an = make_client(cdc.point1_unit)
    response = browser.get(an.get_absolute_url())
    assert response.status_code == 200
    assert "0912 345 678" in response.content.decode()
    browser.get(reverse("vaccines:client-card", args=[an.uid]))
    assert accesses(an) == [("diem1.bn", {"via": "card"}), ("diem1.bn", {"via": "page"})]
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).first()
    assert entry.object_repr == str(an)
    # Only a system administrator sees who opened it.
    admin = new_client()
    admin.force_login(users.admin)
    page = admin.get(an.get_absolute_url()).content.decode()
    assert 'id="access-log"' in page and "diem1.bn" in page


def test_out_of_scope_record_is_404(cdc, browser):
    other = make_client(cdc.point2_unit, full_name="Ở điểm hai", phone="0911111111")
    assert browser.get(other.get_absolute_url()).status_code == 404
    assert browser.get(reverse("vaccines:client-card", args=[other.uid])).status_code == 404
    assert not clients.access_log(other).exists()


def test_register_through_the_form(cdc, browser):
    data = {
        "registered_at": cdc.point1_unit.pk,
        "full_name": "Phan Minh Khôi",
        "date_of_birth": years_ago(1).isoformat(),
        "sex": "male",
        "guardian_name": "",
        "phone": "0909 123 456",
    }
    response = browser.post(reverse("vaccines:client-add"), data)
    assert response.status_code == 400
    assert "give the guardian&#x27;s name" in response.content.decode()
    data["guardian_name"] = "Phan Văn Lực"
    response = browser.post(reverse("vaccines:client-add"), data)
    khoi = Client.objects.get(full_name="Phan Minh Khôi")
    assert response.status_code == 302 and response["Location"] == khoi.get_absolute_url()
    assert khoi.phone == "0909123456"


def test_viewer_reads_but_does_not_register(cdc, users):
    make_client(cdc.point1_unit)
    viewer = new_client()
    viewer.force_login(users.viewer)
    assert viewer.get(reverse("vaccines:client-list")).status_code == 200
    assert viewer.get(reverse("vaccines:client-add")).status_code == 403


def test_card_is_a_pdf(cdc, browser):
    an = make_client(cdc.point1_unit)
    response = browser.get(reverse("vaccines:client-card", args=[an.uid]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"phieu-tiem-chung-{an.uid}.pdf" in response["Content-Disposition"]


# ---------------------------------------------------------------- API


def test_api_lists_masked_and_logs_a_retrieve(cdc, browser):
    an = make_client(cdc.point1_unit)
    listed = browser.get("/api/vaccination-clients/", {"q": "nguyễn văn"}).json()
    assert listed["count"] == 1
    (row,) = listed["results"]
    assert row["phone"] == "•••678" and row["birth_year"] == an.date_of_birth.year
    assert "date_of_birth" not in row
    full = browser.get(f"/api/vaccination-clients/{an.uid}/").json()
    assert full["phone"] == "0912345678" and full["date_of_birth"] == an.date_of_birth.isoformat()
    assert accesses(an) == [("diem1.bn", {"via": "api"})]


def test_api_registers_with_the_same_rules(cdc, browser):
    response = browser.post(
        "/api/vaccination-clients/",
        {
            "full_name": "Bé Tí",
            "date_of_birth": years_ago(2).isoformat(),
            "sex": "female",
            "registered_at": cdc.point1_unit.uid,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"guardian_name", "phone"}
    response = browser.post(
        "/api/vaccination-clients/",
        {
            "full_name": "Bé Tí",
            "date_of_birth": years_ago(2).isoformat(),
            "sex": "female",
            "guardian_name": "Mẹ Tí",
            "phone": "0912000111",
            "registered_at": cdc.point2_unit.uid,
        },
        content_type="application/json",
    )
    assert response.status_code == 400  # point 2 is not the clerk's
    assert "registered_at" in response.json()
