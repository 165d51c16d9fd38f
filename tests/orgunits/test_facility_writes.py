"""Creating, editing, moving and retiring facilities through the forms and the API.

Every refusal names the field at fault and leaves the database as it was; a move keeps the
earlier place in the tree readable (``OrgUnit.objects.as_of``) and rewrites the stored
paths of the whole subtree.
"""

import datetime

import pytest

from doha.orgunits import services
from doha.orgunits.models import FacilityType, OrgUnit
from tests.factories import OrgUnitFactory
from tests.orgunits.helpers import snapshot

pytestmark = pytest.mark.usefixtures("shared_world")

BEFORE = datetime.date(2025, 8, 31)
MOVE_DAY = datetime.date(2025, 9, 1)


def form_errors(response) -> dict:
    return {k: list(v) for k, v in response.context["form"].errors.items()}


def as_of(unit, date):
    return OrgUnit.objects.as_of(date).get(pk=unit.pk)


@pytest.fixture
def doh(client, users):
    client.force_login(users.doh)
    return client


def add_data(network, **overrides):
    data = {
        "code": "BN-TYT-MOI",
        "name": "Trạm Y tế Xã Mới",
        "short_name": "TYT Mới",
        "facility_type": FacilityType.COMMUNE_STATION,
        "technical_level": "initial",
        "parent": network.tien_du.pk,
        "opening_date": "2024-03-01",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# Pages ---------------------------------------------------------------------------------


def test_add_form_creates_the_unit_under_its_parent_with_history(doh, network):
    response = doh.post("/orgunits/add/", add_data(network))
    unit = OrgUnit.objects.get(code="BN-TYT-MOI")
    assert response.status_code == 302
    assert response["Location"] == unit.get_absolute_url()
    assert unit.parent == network.tien_du
    assert unit.path == f"{network.tien_du.path}{unit.uid}/"
    assert unit.depth == 4
    assert unit.opening_date == datetime.date(2024, 3, 1)
    assert list(unit.hierarchy.values_list("parent_id", "valid_from", "valid_to")) == [
        (network.tien_du.pk, datetime.date(2024, 3, 1), None)
    ]
    page = doh.get(response["Location"]).content.decode()
    assert "Trạm Y tế Xã Mới" in page and "Trung tâm Y tế Tiên Du" in page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": None}, "code"),
        ({"code": "   "}, "code"),
        ({"name": None}, "name"),
        ({"facility_type": "benh_vien_sao_hoa"}, "facility_type"),
        ({"opening_date": "31/02/2024"}, "opening_date"),
        ({"code": "BN-SYT"}, "code"),  # already taken by the Department of Health
        ({"parent": None}, "parent"),
    ],
    ids=["no-code", "blank-code", "no-name", "unknown-type", "bad-date", "dup-code", "no-parent"],
)
def test_add_form_refusal_names_the_field_and_saves_nothing(doh, network, overrides, field):
    before = snapshot()
    response = doh.post("/orgunits/add/", add_data(network, **overrides))
    assert response.status_code == 400
    assert list(form_errors(response)) == [field]
    assert f'data-field="{field}"' in response.content.decode()
    assert snapshot() == before


def test_add_form_refuses_a_parent_outside_the_users_scope(doh, network):
    before = snapshot()
    response = doh.post("/orgunits/add/", add_data(network, parent=network.phu_binh.pk))
    assert response.status_code == 400
    assert list(form_errors(response)) == ["parent"]
    assert snapshot() == before


def test_add_form_lists_only_parents_in_scope(doh, network):
    choices = doh.get("/orgunits/add/").context["form"].fields["parent"].queryset
    assert set(choices) == {
        network.syt_bn,
        network.bvdk,
        network.tien_du,
        network.tyt_tien_du,
        network.tu_son,
        network.tyt_tu_son,
    }


def edit_data(unit, **overrides):
    data = {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "facility_type": unit.facility_type,
        "technical_level": unit.technical_level,
        "former_level": unit.former_level,
        "admin_unit": unit.admin_unit_id or "",
        "address": unit.address,
        "opening_date": unit.opening_date.isoformat() if unit.opening_date else "",
    }
    data.update(overrides)
    return data


def test_edit_form_saves_the_changes_and_keeps_the_place(doh, network):
    unit = network.tyt_tien_du
    response = doh.post(
        f"/orgunits/{unit.uid}/edit/",
        edit_data(unit, name="Trạm Y tế Xã Tiên Du (mới)", address="Số 1, đường Lý Thường Kiệt"),
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "Trạm Y tế Xã Tiên Du (mới)"
    assert unit.address == "Số 1, đường Lý Thường Kiệt"
    assert unit.parent == network.tien_du
    assert unit.admin_unit.code == "09319"  # the fields not changed stay as they were
    assert unit.hierarchy.count() == 1


def test_edit_form_with_one_bad_field_saves_none_of_the_others(doh, network):
    unit = network.tyt_tien_du
    before = snapshot()
    response = doh.post(
        f"/orgunits/{unit.uid}/edit/",
        edit_data(unit, short_name="Đã đổi", name="", opening_date="2024-13-45"),
    )
    assert response.status_code == 400
    assert set(form_errors(response)) == {"name", "opening_date"}
    assert snapshot() == before


def test_edit_form_refuses_an_opening_date_after_the_closing_date(doh, network):
    """The closing date is not on the edit form: the error goes on the opening date (not a 500)."""
    unit = services.retire_org_unit(network.tyt_tu_son, datetime.date(2021, 1, 1))
    before = snapshot()
    response = doh.post(f"/orgunits/{unit.uid}/edit/", edit_data(unit, opening_date="2022-01-01"))
    assert response.status_code == 400
    assert list(form_errors(response)) == ["opening_date"]
    assert snapshot() == before


def test_retire_form_retires_a_leaf_and_closes_its_place(doh, network):
    unit = network.tyt_tu_son
    response = doh.post(f"/orgunits/{unit.uid}/retire/", {"date": "2025-12-31"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert not unit.active
    assert unit.closing_date == datetime.date(2025, 12, 31)
    assert OrgUnit.objects.filter(pk=unit.pk).exists()  # retired, never deleted
    assert list(unit.hierarchy.values_list("valid_to", flat=True)) == [datetime.date(2025, 12, 31)]
    assert OrgUnit.objects.as_of(datetime.date(2025, 12, 30)).filter(pk=unit.pk).exists()
    assert not OrgUnit.objects.as_of(datetime.date(2025, 12, 31)).filter(pk=unit.pk).exists()


def test_retire_form_refuses_a_unit_with_active_children(doh, network):
    before = snapshot()
    response = doh.post(f"/orgunits/{network.tien_du.uid}/retire/", {"date": "2025-12-31"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert snapshot() == before


def test_retire_form_refuses_a_closing_date_before_the_opening_date(doh, network):
    unit = network.tyt_tu_son
    unit.opening_date = datetime.date(2020, 1, 1)
    unit.save()
    before = snapshot()
    response = doh.post(f"/orgunits/{unit.uid}/retire/", {"date": "2019-05-01"})
    assert response.status_code == 400
    assert list(form_errors(response)) == ["date"]
    assert snapshot() == before


def test_move_form_keeps_the_old_parent_before_the_move_date(doh, network):
    unit = network.tyt_tu_son
    response = doh.post(
        f"/orgunits/{unit.uid}/move/", {"parent": network.tien_du.pk, "date": "2025-09-01"}
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.parent == network.tien_du
    assert unit.path == f"{network.tien_du.path}{unit.uid}/"
    assert as_of(unit, BEFORE).parent_as_of == network.tu_son.pk
    assert as_of(unit, BEFORE).path_as_of == f"{network.tu_son.path}{unit.uid}/"
    assert as_of(unit, MOVE_DAY).parent_as_of == network.tien_du.pk
    history = doh.get(unit.get_absolute_url()).context["hierarchy"]
    assert [(h.parent, h.valid_to) for h in history] == [
        (network.tu_son, MOVE_DAY),
        (network.tien_du, None),
    ]


def test_moving_a_unit_rewrites_the_paths_of_its_subtree(doh, network, users):
    centre, station = network.tien_du, network.tyt_tien_du
    grandchild = OrgUnitFactory(code="TD-DIEM", name="Điểm trạm Lim", parent=station)
    old_station_path = station.path
    response = doh.post(
        f"/orgunits/{centre.uid}/move/", {"parent": network.bvdk.pk, "date": "2025-09-01"}
    )
    assert response.status_code == 302
    centre.refresh_from_db()
    station.refresh_from_db()
    grandchild.refresh_from_db()
    assert centre.path == f"{network.bvdk.path}{centre.uid}/"
    assert station.path == f"{centre.path}{station.uid}/"
    assert grandchild.path == f"{station.path}{grandchild.uid}/"
    assert (centre.depth, station.depth, grandchild.depth) == (4, 5, 6)
    # The subtree as it stood before the move, and after.
    assert as_of(station, BEFORE).path_as_of == old_station_path
    assert as_of(station, MOVE_DAY).path_as_of == station.path
    assert as_of(grandchild, BEFORE).parent_as_of == station.pk
    # Scope follows the new paths: the centre's clerk still sees its station, and more.
    clerk_units = set(OrgUnit.objects.restrict(users.clerk).values_list("code", flat=True))
    assert clerk_units == {"BN-TTYT-TIENDU", "TYT-09319", "TD-DIEM"}


def test_move_form_refuses_a_move_under_the_units_own_child(doh, network):
    before = snapshot()
    response = doh.post(
        f"/orgunits/{network.tien_du.uid}/move/",
        {"parent": network.tyt_tien_du.pk, "date": "2025-09-01"},
    )
    assert response.status_code == 400
    assert list(form_errors(response)) == ["parent"]
    assert snapshot() == before


def test_move_form_refuses_a_parent_outside_the_users_scope(doh, network):
    before = snapshot()
    response = doh.post(
        f"/orgunits/{network.tyt_tu_son.uid}/move/",
        {"parent": network.phu_binh.pk, "date": "2025-09-01"},
    )
    assert response.status_code == 400
    assert list(form_errors(response)) == ["parent"]
    assert snapshot() == before


def test_move_form_refuses_a_date_before_the_current_place_began(doh, network):
    unit = network.tyt_tu_son
    services.move_org_unit(unit, network.tien_du, MOVE_DAY)
    before = snapshot()
    response = doh.post(
        f"/orgunits/{unit.uid}/move/", {"parent": network.bvdk.pk, "date": "2025-08-01"}
    )
    assert response.status_code == 400
    assert list(form_errors(response)) == ["date"]
    assert snapshot() == before


# API -----------------------------------------------------------------------------------

API = "/api/facilities/"


def api_post(client, url, data):
    return client.post(url, data, content_type="application/json")


def api_patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_api_create_returns_the_unit_with_its_place(doh, network):
    response = api_post(
        doh,
        API,
        {
            "code": "BN-TYT-MOI",
            "name": "Trạm Y tế Xã Mới",
            "facility_type": "commune_station",
            "parent": network.tien_du.uid,
            "admin_unit": "09319",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    unit = OrgUnit.objects.get(code="BN-TYT-MOI")
    assert body["uid"] == unit.uid
    assert body["parent"] == network.tien_du.uid
    assert body["path"] == f"{network.tien_du.path}{unit.uid}/"
    assert body["admin_unit_name"].startswith("Xã Tiên Du")
    assert unit.hierarchy.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": None}, "code"),
        ({"name": ""}, "name"),
        ({"facility_type": "benh_vien_sao_hoa"}, "facility_type"),
        ({"opening_date": "2024-02-31"}, "opening_date"),
        ({"code": "BN-SYT"}, "code"),
        ({"parent": None}, "parent"),
        ({"parent": "OUTOFSCOPE"}, "parent"),  # replaced by Phú Bình's UID below
        ({"admin_unit": "99999"}, "admin_unit"),
    ],
    ids=[
        "no-code",
        "blank-name",
        "unknown-type",
        "bad-date",
        "dup-code",
        "no-parent",
        "parent-out-of-scope",
        "unknown-admin-unit",
    ],
)
def test_api_create_refusal_names_the_field_and_saves_nothing(doh, network, overrides, field):
    data = {
        "code": "BN-TYT-MOI",
        "name": "Trạm Y tế Xã Mới",
        "facility_type": "commune_station",
        "parent": network.tien_du.uid,
    }
    data.update(overrides)
    if data["parent"] == "OUTOFSCOPE":
        data["parent"] = network.phu_binh.uid
    data = {k: v for k, v in data.items() if v is not None or k == "parent"}
    before = snapshot()
    response = api_post(doh, API, data)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert snapshot() == before


def test_api_patch_changes_the_fields_sent(doh, network):
    unit = network.tyt_tien_du
    response = api_patch(doh, f"{API}{unit.uid}/", {"short_name": "TYT Tiên Du"})
    assert response.status_code == 200
    unit.refresh_from_db()
    assert unit.short_name == "TYT Tiên Du"
    assert unit.name == "Trạm Y tế Xã Tiên Du"


def test_api_patch_of_the_parent_moves_the_unit_from_today(doh, network):
    unit = network.tyt_tu_son
    response = api_patch(doh, f"{API}{unit.uid}/", {"parent": network.tien_du.uid})
    assert response.status_code == 200, response.json()
    unit.refresh_from_db()
    assert unit.parent == network.tien_du
    periods = list(unit.hierarchy.order_by("valid_from"))
    assert [p.parent_id for p in periods] == [network.tu_son.pk, network.tien_du.pk]
    assert periods[0].valid_to == periods[1].valid_from


def test_api_patch_under_own_child_is_refused_with_nothing_saved(doh, network):
    before = snapshot()
    response = api_patch(
        doh,
        f"{API}{network.tien_du.uid}/",
        {"name": "Tên mới", "parent": network.tyt_tien_du.uid},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["parent"]
    assert snapshot() == before


def test_api_patch_whose_move_fails_keeps_the_other_changes_unsaved(doh, network):
    """Edits are saved before the move inside one transaction: a refused move undoes them."""
    unit = OrgUnitFactory(
        code="TYT-SAP-MO",
        name="Trạm Y tế sắp mở",
        parent=network.tu_son,
        opening_date=datetime.date(2099, 1, 1),
    )
    before = snapshot()
    response = api_patch(doh, f"{API}{unit.uid}/", {"name": "Đổi tên", "parent": network.bvdk.uid})
    assert response.status_code == 400
    assert snapshot() == before


def test_api_delete_retires_instead_of_deleting(doh, network):
    unit = network.tyt_tu_son
    response = doh.delete(f"{API}{unit.uid}/")
    assert response.status_code == 204
    unit.refresh_from_db()
    assert not unit.active and unit.closing_date is not None
    # Still readable, with its history.
    assert doh.get(f"{API}{unit.uid}/hierarchy/").json()[0]["valid_to"] is not None


def test_api_delete_refuses_a_unit_with_active_children(doh, network):
    before = snapshot()
    response = doh.delete(f"{API}{network.tien_du.uid}/")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert snapshot() == before


def test_api_move_keeps_history_and_rewrites_the_subtree(doh, network):
    centre, station = network.tien_du, network.tyt_tien_du
    old_station_path = station.path
    response = api_post(
        doh, f"{API}{centre.uid}/move/", {"parent": network.bvdk.uid, "date": "2025-09-01"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["parent"] == network.bvdk.uid
    station.refresh_from_db()
    assert station.path == f"{network.bvdk.path}{centre.uid}/{station.uid}/"
    assert as_of(centre, BEFORE).parent_as_of == network.syt_bn.pk
    assert as_of(centre, MOVE_DAY).parent_as_of == network.bvdk.pk
    assert as_of(station, BEFORE).path_as_of == old_station_path
    history = doh.get(f"{API}{centre.uid}/hierarchy/").json()
    assert [(h["parent"], h["valid_to"]) for h in history] == [
        (network.syt_bn.uid, "2025-09-01"),
        (network.bvdk.uid, None),
    ]


def test_api_move_under_own_child_is_refused(doh, network):
    before = snapshot()
    response = api_post(
        doh,
        f"{API}{network.tien_du.uid}/move/",
        {"parent": network.tyt_tien_du.uid, "date": "2025-09-01"},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["parent"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [({"parent": "OUT", "date": "2025-09-01"}, "parent"), ({"parent": "OK"}, "date")],
    ids=["parent-out-of-scope", "no-date"],
)
def test_api_move_refusals_name_the_field(doh, network, data, field):
    uids = {"OUT": network.phu_binh.uid, "OK": network.tien_du.uid}
    data = {**data, "parent": uids[data["parent"]]}
    before = snapshot()
    response = api_post(doh, f"{API}{network.tyt_tu_son.uid}/move/", data)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert snapshot() == before


def test_api_retire_refuses_a_unit_with_active_children(doh, network):
    before = snapshot()
    response = api_post(doh, f"{API}{network.tien_du.uid}/retire/", {"date": "2025-12-31"})
    assert response.status_code == 400
    assert snapshot() == before


def test_api_retire_refuses_a_closing_date_before_the_opening_date(doh, network):
    unit = network.tyt_tu_son
    unit.opening_date = datetime.date(2020, 1, 1)
    unit.save()
    before = snapshot()
    response = api_post(doh, f"{API}{unit.uid}/retire/", {"date": "2019-05-01"})
    assert response.status_code == 400
    assert list(response.json()) == ["date"]
    assert snapshot() == before
