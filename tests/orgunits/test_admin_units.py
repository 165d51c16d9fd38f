"""The administrative units of both editions and the old-to-new mapping.

The session fixture loaded Bắc Ninh and Thái Nguyên (2025), i.e. the old provinces Bắc Ninh,
Bắc Giang, Thái Nguyên and Bắc Kạn with their districts and communes.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from doha.orgunits.adminunits import load_admin_units
from doha.orgunits.models import (
    REFORM_DATE,
    AdminEdition,
    AdminLevel,
    AdminUnit,
    AdminUnitMapping,
)

PROVINCES = ["bacninh", "thainguyen"]
TIEN_DU_TARGETS = {"Xã Tiên Du", "Xã Liên Bão", "Xã Đại Đồng", "Xã Tân Chi", "Xã Phật Tích"}


def stored_counts():
    units = AdminUnit.objects.values_list("edition", "level").annotate(n=Count("pk"))
    return dict(((e, lv), n) for e, lv, n in units), AdminUnitMapping.objects.count()


def stored_ids():
    return dict(AdminUnit.objects.values_list("id", "code"))


def legacy_tien_du():
    return AdminUnit.objects.get(
        edition=AdminEdition.LEGACY, level=AdminLevel.DISTRICT, name="Huyện Tiên Du"
    )


def test_the_two_provinces_and_their_old_units_are_loaded(db):
    counts, mappings = stored_counts()
    new_provinces = AdminUnit.objects.filter(
        edition=AdminEdition.CURRENT, level=AdminLevel.PROVINCE
    )
    assert set(new_provinces.values_list("name", flat=True)) == {
        "Tỉnh Bắc Ninh",
        "Tỉnh Thái Nguyên",
    }
    old_provinces = AdminUnit.objects.filter(edition=AdminEdition.LEGACY, level=AdminLevel.PROVINCE)
    assert set(old_provinces.values_list("name", flat=True)) == {
        "Tỉnh Bắc Ninh",
        "Tỉnh Bắc Giang",
        "Tỉnh Thái Nguyên",
        "Tỉnh Bắc Kạn",
    }
    # No districts after the reform; communes hang straight under the province.
    assert (AdminEdition.CURRENT, AdminLevel.DISTRICT) not in counts
    assert counts[(AdminEdition.CURRENT, AdminLevel.COMMUNE)] > 100
    assert mappings >= counts[(AdminEdition.LEGACY, AdminLevel.COMMUNE)]


def test_loading_again_changes_nothing_but_repairs_edited_names(db, network):
    before, ids = stored_counts(), stored_ids()
    ward = network.tien_du.admin_unit
    AdminUnit.objects.filter(pk=ward.pk).update(name="Xã Sai Tên", search_text=" xa sai ten ")

    result = load_admin_units(PROVINCES)

    assert stored_counts() == before
    assert stored_ids() == ids  # updated in place: facilities keep their administrative unit
    counts, mappings = before
    assert result.counts == {
        "provinces_2025": counts[(AdminEdition.CURRENT, AdminLevel.PROVINCE)],
        "communes_2025": counts[(AdminEdition.CURRENT, AdminLevel.COMMUNE)],
        "provinces_legacy": counts[(AdminEdition.LEGACY, AdminLevel.PROVINCE)],
        "districts_legacy": counts[(AdminEdition.LEGACY, AdminLevel.DISTRICT)],
        "communes_legacy": counts[(AdminEdition.LEGACY, AdminLevel.COMMUNE)],
    }
    assert result.mappings == mappings
    ward.refresh_from_db()
    assert (ward.name, ward.search_text) == ("Xã Tiên Du", " xa tien du ")
    network.tien_du.refresh_from_db()
    assert network.tien_du.admin_unit == ward


def test_the_command_reports_what_is_stored(db):
    """The session already loaded these provinces once: this is the second run."""
    before = stored_counts()
    out = io.StringIO()
    call_command(
        "load_admin_units", "--province", "bacninh", "--province", "thainguyen", stdout=out
    )
    assert stored_counts() == before
    counts, mappings = before
    lines = out.getvalue().splitlines()
    assert f"communes_2025: {counts[(AdminEdition.CURRENT, AdminLevel.COMMUNE)]}" in lines
    assert f"districts_legacy: {counts[(AdminEdition.LEGACY, AdminLevel.DISTRICT)]}" in lines
    assert f"mappings: {mappings}" in lines


def test_every_old_tien_du_commune_maps_to_a_2025_bac_ninh_ward(db):
    district = legacy_tien_du()
    communes = list(district.children.all())
    assert len(communes) == 14
    bac_ninh_2025 = AdminUnit.objects.get(
        edition=AdminEdition.CURRENT, level=AdminLevel.PROVINCE, name="Tỉnh Bắc Ninh"
    )
    targets = set()
    for commune in communes:
        new = [m.new for m in commune.mapped_to.select_related("new__parent")]
        assert new, f"{commune.name} has no 2025 unit"
        for unit in new:
            assert unit.edition == AdminEdition.CURRENT
            assert unit.level == AdminLevel.COMMUNE
            assert unit.parent == bac_ninh_2025
            targets.add(unit.name)
    assert targets == TIEN_DU_TARGETS


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Thị trấn Lim", "Xã Tiên Du"),
        ("Xã Phú Lâm", "Xã Tiên Du"),
        ("Xã Nội Duệ", "Xã Tiên Du"),
        ("Xã Hiên Vân", "Xã Liên Bão"),
        ("Xã Minh Đạo", "Xã Phật Tích"),
    ],
)
def test_old_communes_map_to_the_ward_they_joined(db, old, new):
    commune = legacy_tien_du().children.get(name=old)
    mapping = commune.mapped_to.select_related("new").get(is_default=True)
    assert mapping.new.name == new


def test_old_provinces_map_to_the_merged_province(db):
    def new_names(old_name):
        old = AdminUnit.objects.get(
            edition=AdminEdition.LEGACY, level=AdminLevel.PROVINCE, name=old_name
        )
        return {m.new.name for m in old.mapped_to.select_related("new")}

    assert new_names("Tỉnh Bắc Giang") == {"Tỉnh Bắc Ninh"}
    assert new_names("Tỉnh Bắc Ninh") == {"Tỉnh Bắc Ninh"}
    assert new_names("Tỉnh Bắc Kạn") == {"Tỉnh Thái Nguyên"}


def test_editions_are_valid_either_side_of_the_reform(db):
    lim = legacy_tien_du().children.get(name="Thị trấn Lim")
    ward = AdminUnit.objects.get(edition=AdminEdition.CURRENT, code="09319")
    day_before = REFORM_DATE - datetime.timedelta(days=1)
    assert lim.is_valid_on(day_before) and not lim.is_valid_on(REFORM_DATE)
    assert ward.is_valid_on(REFORM_DATE) and not ward.is_valid_on(day_before)


def test_a_facility_page_names_the_old_units_of_its_ward(client, users, network):
    client.force_login(users.doh)
    page = client.get(network.tien_du.get_absolute_url()).content.decode()
    for old in ("Thị trấn Lim, Huyện Tiên Du, Tỉnh Bắc Ninh", "Xã Phú Lâm, Huyện Tiên Du"):
        assert old in page


def test_the_api_gives_each_old_commune_its_new_code(client, users):
    client.force_login(users.viewer)
    district = legacy_tien_du()
    response = client.get(
        "/api/admin-units/", {"edition": "legacy", "parent": district.code, "limit": 100}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 14
    by_name = {u["name"]: u["mapped_to"] for u in body["results"]}
    assert by_name["Thị trấn Lim"] == ["09319"]
