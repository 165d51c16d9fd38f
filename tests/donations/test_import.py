"""Importing donations from .xlsx or .csv: one row an item, the rows of a donation grouped
by its reference; all or nothing per file, through the same service as the form and the
API."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from doha.donations.models import Donation
from tests.mixins import table_from_export
from tests.rotations.sheets import (
    FORMATS,
    assert_import_refused,
    refusals,
    sheet,
    signed_in,
    upload,
)
from tests.transfers.factories import programme_between

pytestmark = pytest.mark.usefixtures("shared_world")

URL = "/donations/import/"
HEADER = [
    "reference",
    "donor_code",
    "recipient_code",
    "date",
    "programme",
    "description",
    "item",
    "quantity",
    "unit",
    "unit_value",
    "total_value",
]
LABELS = {
    "reference": "Donation reference",
    "donor_code": "Donor code",
    "recipient_code": "Recipient code",
    "date": "Date",
    "programme": "Programme number",
    "item": "Item",
    "quantity": "Quantity",
    "unit": "Unit",
    "unit_value": "Unit value (VND)",
    "total_value": "Total value (VND)",
}


@pytest.fixture
def doh(users):
    return signed_in(users.doh)


@pytest.fixture
def programme(network):
    return programme_between(network.bvdk, network.tien_du, number="544/CT-SYT")


def gloves(**changes):
    """The first row of donation TT-01 (its donation's columns filled in)."""
    row = {
        "reference": "TT-01",
        "donor_code": "BN-BVDK",
        "recipient_code": "BN-TTYT-TIENDU",
        "date": "24/07/2024",
        "programme": "544/CT-SYT",
        "description": "Trao tặng vật tư",
        "item": "Găng tay y tế",
        "quantity": "500",
        "unit": "thùng",
        "total_value": "750.000.000",
    }
    row.update(changes)
    return row


def masks(**changes):
    """A second item of TT-01, its donation's columns left empty."""
    row = {"reference": "TT-01", "item": "Khẩu trang", "quantity": "10", "unit": "hộp"}
    row["unit_value"] = "45000"
    row.update(changes)
    return row


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_sharing_a_reference_make_one_donation(doh, users, network, programme, fmt):
    other = {
        "reference": "TT-02",
        "donor_code": "BN-SYT",
        "recipient_code": "TYT-09319",
        "date": "01/08/2024",
        "item": "Máy đo SpO2",
        "quantity": "1,5",
        "unit": "chiếc",
        "unit_value": "2000000",
    }
    rows = [gloves(), other, masks()]  # the rows of one donation need not follow each other
    response = upload(doh, URL, sheet(HEADER, rows, fmt))
    assert response.status_code == 200, refusals(response)
    assert response.context["report"].created == 2
    first = Donation.objects.get(recipient=network.tien_du)
    assert (first.donor, first.date, first.programme) == (
        network.bvdk,
        datetime.date(2024, 7, 24),
        programme,
    )
    assert first.description == "Trao tặng vật tư"
    assert [(i.item, i.unit, i.value) for i in first.items.order_by("pk")] == [
        ("Găng tay y tế", "thùng", 750_000_000),
        ("Khẩu trang", "hộp", 450_000),
    ]
    assert first.total_value_display == "750.450.000 đ"
    second = Donation.objects.get(recipient=network.tyt_tien_du)
    [item] = second.items.all()
    assert (item.quantity, item.total_value) == (1.5, 3_000_000)
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Donation), object_pk=str(first.pk)
    )
    assert entry.actor == users.doh


def test_a_dry_run_checks_and_saves_nothing(doh, programme):
    response = upload(doh, URL, sheet(HEADER, [gloves(), masks()]), dry_run=True)
    assert response.status_code == 200
    assert response.context["report"].created == 1
    assert not Donation.objects.exists()


BAD_ROWS = {
    "zero_quantity": ({"quantity": "0"}, "quantity", "The quantity must be more than zero."),
    "negative_value": ({"unit_value": "-5"}, "unit_value", "The unit value cannot be negative."),
    "no_unit": ({"unit": ""}, "unit", "This field is required."),
    "bad_quantity": ({"quantity": "nhiều"}, "quantity", "Not a number: nhiều"),
    "bad_value": ({"unit_value": "45.5"}, "unit_value", "Not a whole number: 45.5"),
    "other_donor": (
        {"donor_code": "BN-TTYT-TUSON"},
        "donor_code",
        "Differs from row 2, the first of the donation TT-01",
    ),
    "no_reference": ({"reference": ""}, "reference", "This field is required."),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_one_bad_item_row_saves_nothing(doh, programme, case):
    change, column, reason = BAD_ROWS[case]
    response = upload(doh, URL, sheet(HEADER, [gloves(), masks(**change)]))
    assert response.status_code == 400
    [(number, field, message)] = refusals(response)
    assert (number, field) == (3, LABELS[column])
    assert reason in message
    assert "Nothing was saved: 1 row was refused." in response.content.decode()
    assert not Donation.objects.exists()


DONATION_BAD_ROWS = {
    "same_units": (
        {"recipient_code": "BN-BVDK", "programme": ""},
        "recipient_code",
        "The recipient must be another unit than the donor.",
    ),
    "not_parties": (
        {"recipient_code": "BN-TTYT-TUSON"},
        "programme",
        "Trung tâm Y tế Từ Sơn is not a party of this programme",
    ),
    "unknown_donor": ({"donor_code": "KHONG-CO"}, "donor_code", "No unit has the code KHONG-CO."),
    "unknown_programme": ({"programme": "1/XX"}, "programme", "has the number 1/XX"),
    "bad_date": ({"date": "32/07/2024"}, "date", "Not a date"),
}


@pytest.mark.parametrize("case", DONATION_BAD_ROWS)
def test_a_refused_donation_is_named_on_its_first_row(doh, network, programme, case):
    change, column, reason = DONATION_BAD_ROWS[case]
    good = gloves(reference="TT-00", description="Một lô khác")
    rows = [good, gloves(**change), masks()]
    response = upload(doh, URL, sheet(HEADER, rows))
    assert response.status_code == 400
    [(number, field, message)] = refusals(response)
    assert (number, field) == (3, LABELS[column])
    assert reason in message
    assert not Donation.objects.exists()


def test_every_bad_row_is_listed(doh, programme):
    rows = [gloves(quantity="0"), masks(), masks(unit=""), gloves(reference="TT-02", date="x")]
    response = upload(doh, URL, sheet(HEADER, rows, "csv"))
    assert response.context["report"].refused_rows == [2, 4, 5]
    assert not Donation.objects.exists()


def form_and_api(doh, network, programme=None, quantity="500"):
    """The same donation of gloves posted to the form and to the API."""
    form = {
        "donor": network.bvdk.pk,
        "recipient": network.tien_du.pk,
        "date": "2024-07-24",
        "programme": programme.pk if programme else "",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-item": "Găng tay y tế",
        "items-0-quantity": quantity,
        "items-0-unit": "thùng",
    }
    api = {
        "donor": network.bvdk.uid,
        "recipient": network.tien_du.uid,
        "date": "2024-07-24",
        "programme": programme.uid if programme else None,
        "items": [{"item": "Găng tay y tế", "quantity": quantity, "unit": "thùng"}],
    }
    return (
        doh.post(reverse("donations:add"), form),
        doh.post("/api/donations/", api, content_type="application/json"),
    )


def test_a_programme_between_other_units_is_refused_by_form_api_and_import(doh, network):
    programme = programme_between(network.bvdk, network.tu_son, number="9/CT-BV")
    form, api = form_and_api(doh, network, programme=programme)
    imported = upload(doh, URL, sheet(HEADER, [gloves(programme="9/ct-bv")], "csv"))
    assert (form.status_code, api.status_code, imported.status_code) == (400, 400, 400)
    [(_number, field, message)] = refusals(imported)
    assert field == LABELS["programme"]
    assert form.context["form"].errors["programme"] == [message]
    assert api.json()["programme"] == [message]
    assert not Donation.objects.exists()


def test_a_zero_quantity_is_refused_by_form_api_and_import(doh, network, programme):
    form, api = form_and_api(doh, network, quantity="0")
    imported = upload(doh, URL, sheet(HEADER, [gloves(quantity="0")]))
    assert (form.status_code, api.status_code, imported.status_code) == (400, 400, 400)
    [(_number, field, message)] = refusals(imported)
    assert field == LABELS["quantity"]
    # The form and the API say which item; the import names its row.
    assert form.context["form"].non_field_errors() == [f"Item 1 (Găng tay y tế): {message}"]
    assert api.json()["items"] == [f"Item 1 (Găng tay y tế): {message}"]
    assert not Donation.objects.exists()


def test_units_outside_the_scope_are_refused(doh):
    row = gloves(donor_code="TN-TTYT-PHUBINH", recipient_code="TYT-PHUBINH", programme="")
    response = upload(doh, URL, sheet(HEADER, [row]))
    assert response.status_code == 400
    assert refusals(response) == [
        (2, LABELS["donor_code"], "The donor or the recipient must be inside your scope.")
    ]
    assert not Donation.objects.exists()


# The page ---------------------------------------------------------------------------------


def test_the_list_links_to_the_import_page(doh):
    assert URL == reverse("donations:import")
    assert URL in doh.get(reverse("donations:list")).content.decode()
    assert "Donation reference" in doh.get(URL).content.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_template_has_the_import_columns(doh, fmt):
    header, rows = table_from_export(doh.get(URL, {"template": fmt}))
    assert header == [LABELS.get(key, "Description") for key in HEADER] and rows == []


@pytest.mark.parametrize("role", ["viewer", "clerk"])
def test_roles_without_import_cannot_import(users, programme, role):
    user = getattr(users, role)
    assert_import_refused(user, reverse("donations:list"), URL, sheet(HEADER, [gloves()]))
    assert not Donation.objects.exists()
