"""Rules of donations, through the service, the form and the API; values in VND."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from doha.donations.models import Donation, DonationItem, format_vnd
from tests.donations.factories import make_donation
from tests.mixins import new_client, table_from_export
from tests.transfers.factories import programme_between

JSON = "application/json"


def api(user):
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_format_vnd():
    assert format_vnd(750_000_000) == "750.000.000 đ"
    assert format_vnd(0) == "0 đ"


def test_a_donation_and_its_total(network):
    d = make_donation(
        network.bvdk,
        network.tien_du,
        items=[
            DonationItem(item="Găng tay", quantity=500, unit="thùng", total_value=750_000_000),
            DonationItem(item="Khẩu trang", quantity=10, unit="hộp", unit_value=45_000),
        ],
    )
    assert d.total_value == 750_450_000
    assert d.total_value_display == "750.450.000 đ"
    assert d.items.get(item="Khẩu trang").total_value == 450_000


@pytest.mark.parametrize(
    "items,text",
    [
        ([], "at least one item"),
        ([DonationItem(item="Găng tay", quantity=0, unit="thùng")], "more than zero"),
        ([DonationItem(item="Găng tay", quantity=-2, unit="thùng")], "more than zero"),
        (
            [DonationItem(item="Găng tay", quantity=1, unit="thùng", total_value=-1)],
            "cannot be negative",
        ),
        (
            [DonationItem(item="Găng tay", quantity=1, unit="thùng", unit_value=-5)],
            "cannot be negative",
        ),
    ],
)
def test_the_service_refuses_bad_items(network, items, text):
    with pytest.raises(ValidationError) as exc:
        make_donation(network.bvdk, network.tien_du, items=items)
    assert text in " ".join(exc.value.message_dict["items"])
    assert not Donation.objects.exists()


def test_the_programme_must_be_between_donor_and_recipient(network):
    programme = programme_between(network.bvdk, network.tien_du)
    # A unit under a party is fine (the commune station under TTYT Tiên Du).
    make_donation(network.bvdk, network.tyt_tien_du, programme=programme)
    with pytest.raises(ValidationError) as exc:
        make_donation(network.bvdk, network.phu_binh, programme=programme)
    assert "not a party" in exc.value.message_dict["programme"][0]
    assert network.phu_binh.name in exc.value.message_dict["programme"][0]


def test_the_donor_is_not_the_recipient(network):
    with pytest.raises(ValidationError) as exc:
        make_donation(network.bvdk, network.bvdk)
    assert "recipient" in exc.value.message_dict


def _form(network, **extra):
    data = {
        "donor": network.bvdk.pk,
        "recipient": network.tien_du.pk,
        "date": "2024-07-24",
        "description": "Trao tặng",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-item": "Găng tay y tế",
        "items-0-quantity": "500",
        "items-0-unit": "thùng",
        "items-0-total_value": "750000000",
    }
    data.update(extra)
    return data


def test_the_form_refuses_what_the_service_refuses(network, users):
    client = api(users.doh)
    programme = programme_between(network.bvdk, network.tu_son)
    cases = [
        (
            {
                "items-0-item": "",
                "items-0-quantity": "",
                "items-0-unit": "",
                "items-0-total_value": "",
            },
            "at least one item",
        ),
        ({"items-0-quantity": "0"}, "more than zero"),
        ({"items-0-total_value": "-5"}, "cannot be negative"),
        ({"programme": programme.pk}, "not a party"),
    ]
    for extra, text in cases:
        response = client.post("/donations/add/", _form(network, **extra))
        assert response.status_code == 400, extra
        assert text in response.content.decode(), extra
    assert not Donation.objects.exists()
    response = client.post(
        "/donations/add/",
        _form(
            network,
            **{
                "items-1-item": "Khẩu trang",
                "items-1-quantity": "10",
                "items-1-unit": "hộp",
                "items-1-unit_value": "45000",
            },
        ),
    )
    assert response.status_code == 302
    d = Donation.objects.get()
    assert d.total_value == 750_450_000
    assert "750.450.000 đ" in client.get(response["Location"]).content.decode()


def test_the_api_with_nested_items(network, users):
    client = api(users.doh)
    data = {
        "donor": network.bvdk.uid,
        "recipient": network.tien_du.uid,
        "date": "2024-07-24",
        "items": [],
    }
    response = client.post("/api/donations/", data, content_type=JSON)
    assert response.status_code == 400 and "items" in response.json()
    data["items"] = [{"item": "Găng tay", "quantity": "0", "unit": "thùng"}]
    response = client.post("/api/donations/", data, content_type=JSON)
    assert response.status_code == 400 and "more than zero" in str(response.json()["items"])
    programme = programme_between(network.bvdk, network.tu_son)
    data["items"] = [
        {"item": "Găng tay", "quantity": "500", "unit": "thùng", "total_value": 750_000_000}
    ]
    response = client.post(
        "/api/donations/", {**data, "programme": programme.uid}, content_type=JSON
    )
    assert response.status_code == 400 and "programme" in response.json()
    response = client.post("/api/donations/", data, content_type=JSON)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["total_value"] == 750_000_000
    assert body["total_value_display"] == "750.000.000 đ"
    assert body["items"][0]["item"] == "Găng tay"
    response = client.patch(
        f"/api/donations/{body['uid']}/", {"description": "Đã nhận đủ"}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["items"][0]["total_value"] == 750_000_000


def test_the_list_shows_the_total_and_exports(network, users):
    make_donation(network.bvdk, network.tien_du)
    make_donation(
        network.bvdk,
        network.phu_binh,
        date=datetime.date(2025, 1, 2),
        items=[DonationItem(item="Máy SpO2", quantity=2, unit="chiếc", unit_value=5_000_000)],
    )
    response = api(users.admin).get("/donations/")
    assert response.context["grand_total"] == "760.000.000 đ"
    response = api(users.clerk).get("/donations/")
    assert response.context["grand_total"] == "750.000.000 đ"
    assert "Máy SpO2" not in response.content.decode()
    response = api(users.clerk).get("/donations/", {"export": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    header, rows = table_from_export(response)
    assert "Total value (VND)" in header
    assert len(rows) == 1 and rows[0][header.index("Total value (VND)")] == "750000000"
