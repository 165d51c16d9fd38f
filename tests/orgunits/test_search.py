"""Finding facilities the way people type: without accents, with the usual abbreviations."""

import unicodedata

import pytest

from doha.orgunits.models import FacilityType
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.usefixtures("shared_world")

FINDS = [
    ("tien du", {"BN-TTYT-TIENDU", "TYT-09319"}),
    ("Tiên Du", {"BN-TTYT-TIENDU", "TYT-09319"}),
    ("TIÊN DU", {"BN-TTYT-TIENDU", "TYT-09319"}),
    (unicodedata.normalize("NFD", "Tiên Du"), {"BN-TTYT-TIENDU", "TYT-09319"}),
    ("TTYT Tien Du", {"BN-TTYT-TIENDU"}),
    ("trung tam y te tien du", {"BN-TTYT-TIENDU"}),
    ("bv da khoa bac ninh", {"BN-BVDK"}),
    ("bệnh viện đa khoa bắc ninh", {"BN-BVDK"}),
    ("syt bac ninh", {"BN-SYT"}),
    ("tyt-09319", {"TYT-09319"}),
    ("tram y te tu son", {"TYT-TUSON"}),
    ("phu binh", {"TN-TTYT-PHUBINH", "TYT-PHUBINH"}),
    ("tien du phu binh", set()),
    ("hai phong", set()),
]
IDS = [q for q, _ in FINDS]


def page_codes(client, query):
    response = client.get("/orgunits/", {"q": query})
    assert response.status_code == 200
    assert response.context["total"] == len(response.context["page_obj"].object_list)
    return {u.code for u in response.context["page_obj"].object_list}


def api_codes(client, query):
    response = client.get("/api/facilities/", {"q": query})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"])
    return {u["code"] for u in body["results"]}


@pytest.mark.parametrize(("query", "expected"), FINDS, ids=IDS)
def test_search_on_the_list_page(client, users, query, expected):
    client.force_login(users.admin)
    assert page_codes(client, query) == expected


@pytest.mark.parametrize(("query", "expected"), FINDS, ids=IDS)
def test_search_in_the_api(client, users, query, expected):
    client.force_login(users.admin)
    assert api_codes(client, query) == expected


def test_search_never_reaches_outside_the_users_scope(client, users):
    client.force_login(users.doh_tn)
    assert page_codes(client, "tien du") == set()
    assert api_codes(client, "bv da khoa bac ninh") == set()
    assert api_codes(client, "phu binh") == {"TN-TTYT-PHUBINH", "TYT-PHUBINH"}


def test_search_as_you_type_returns_only_the_rows(client, users):
    """The filter box asks htmx for the result rows alone, not a whole page."""
    client.force_login(users.doh)
    response = client.get(
        "/orgunits/", {"q": "ttyt tien du", "partial": "rows"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="orgunit-table"' in html
    assert "Trung tâm Y tế Tiên Du" in html
    assert "Trung tâm Y tế Từ Sơn" not in html


def test_search_follows_a_rename(client, users, network):
    client.force_login(users.doh)
    unit = network.tu_son
    unit.name = "Trung tâm Y tế thị xã Từ Sơn mới"
    unit.save()
    assert page_codes(client, "tu son moi") == {"BN-TTYT-TUSON"}


@pytest.mark.parametrize(
    "query", ["bv da khoa phu binh", "bv dk phu binh", "benh vien dk phu binh", "BV ĐK Phú Bình"]
)
def test_the_usual_abbreviations_find_a_unit_whose_name_is_written_out(
    client, users, network, query
):
    """No short name or code helps here: "bv" and "dk" come from "Bệnh viện Đa khoa"."""
    OrgUnitFactory(
        code="TN-PB-01",
        name="Bệnh viện Đa khoa huyện Phú Bình",
        facility_type=FacilityType.PROVINCIAL_HOSPITAL,
        parent=network.phu_binh,
    )
    client.force_login(users.doh_tn)
    assert page_codes(client, query) == {"TN-PB-01"}
    assert api_codes(client, query) == {"TN-PB-01"}
