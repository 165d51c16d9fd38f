"""Identifiers are masked in every list and export (page, .xlsx, .csv, API list); the full
value shows on the detail page only to the roles that correct the record."""

import pytest
from django.urls import reverse

from tests.mixins import new_client, table_from_export

FULL_LICENCE = "001234/BN-CCHN"
FULL_PHONE = "0987654321"
CLIENT_PHONE = "0912345678"


def logged_in(user):
    c = new_client()
    c.force_login(user)
    return c


# ---------------------------------------------------------------- health workers


def test_worker_list_page_masks_identifiers(users, worker):
    body = logged_in(users.doh).get(reverse("people:worker_list")).content.decode()
    assert "Trần Văn Bảo" in body
    assert FULL_LICENCE not in body and FULL_PHONE not in body
    assert "•••CHN" in body and "•••21" in body


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_worker_export_masks_identifiers(users, worker, fmt):
    response = logged_in(users.doh).get(reverse("people:worker_list"), {"export": fmt})
    assert response.status_code == 200
    header, rows = table_from_export(response)
    text = " ".join(" ".join(r) for r in rows)
    assert "Trần Văn Bảo" in text
    assert FULL_LICENCE not in text and FULL_PHONE not in text
    assert "1985-04-12" not in text and "12/04/1985" not in text


def test_worker_api_list_masks_and_retrieve_gives_the_full_record(users, worker):
    c = logged_in(users.doh)
    row = next(r for r in c.get("/api/workers/").json()["results"] if r["uid"] == worker.uid)
    assert row["licence_number"] == "•••CHN"
    assert row["phone"] == "•••21"
    assert "birth_date" not in row and row["birth_year"] == 1985
    full = c.get(f"/api/workers/{worker.uid}/").json()
    assert full["licence_number"] == FULL_LICENCE and full["phone"] == FULL_PHONE


def test_worker_detail_full_for_a_clerk_masked_for_a_viewer(users, worker):
    url = worker.get_absolute_url()
    clerk_page = logged_in(users.clerk).get(url).content.decode()
    assert FULL_LICENCE in clerk_page and FULL_PHONE in clerk_page
    viewer_page = logged_in(users.viewer).get(url).content.decode()
    assert "Trần Văn Bảo" in viewer_page
    assert FULL_LICENCE not in viewer_page and FULL_PHONE not in viewer_page
    assert "•••21" in viewer_page


# ---------------------------------------------------------------- vaccination clients


def test_client_list_page_masks_the_phone(cdc, person):
    body = logged_in(cdc.point_clerk).get(reverse("vaccines:client-list")).content.decode()
    assert "Nguyễn Văn An" in body
    assert CLIENT_PHONE not in body and "0912 345 678" not in body
    assert "•••678" in body


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_client_export_masks_phone_and_date_of_birth(cdc, person, fmt):
    response = logged_in(cdc.point_clerk).get(reverse("vaccines:client-list"), {"export": fmt})
    assert response.status_code == 200
    _header, rows = table_from_export(response)
    (row,) = rows
    assert CLIENT_PHONE not in row and "•••678" in row
    assert str(person.date_of_birth.year) in row
    assert person.date_of_birth.strftime("%d/%m/%Y") not in " ".join(row)


def test_client_api_list_masks_the_phone(cdc, person):
    c = logged_in(cdc.point_clerk)
    (row,) = c.get("/api/vaccination-clients/").json()["results"]
    assert row["phone"] == "•••678"
    assert "date_of_birth" not in row
    assert c.get(f"/api/vaccination-clients/{person.uid}/").json()["phone"] == CLIENT_PHONE


def test_client_detail_full_for_the_clerk_masked_for_a_line_officer(cdc, users, person):
    url = person.get_absolute_url()
    clerk_page = logged_in(cdc.point_clerk).get(url).content.decode()
    assert "0912 345 678" in clerk_page
    line_page = logged_in(users.line).get(url)
    assert line_page.status_code == 200
    body = line_page.content.decode()
    assert "Nguyễn Văn An" in body
    assert "0912 345 678" not in body and CLIENT_PHONE not in body
    assert "•••678" in body


def test_api_retrieve_masks_for_roles_that_only_read(cdc, users, worker, person):
    viewer = logged_in(users.viewer)
    record = viewer.get(f"/api/workers/{worker.uid}/").json()
    assert record["full_name"] == "Trần Văn Bảo"
    assert record["licence_number"] == "•••CHN" and record["phone"] == "•••21"
    line = logged_in(users.line).get(f"/api/vaccination-clients/{person.uid}/").json()
    assert line["full_name"] == "Nguyễn Văn An" and line["phone"] == "•••678"
