"""Who sees and changes which facilities, on the pages and through the API.

The tables are the specification: one row per role of the ``users`` fixture, one column per
action; ``tests/mixins.py`` turns every cell into a test.
"""

import pytest

from doha.core.permissions import Role
from doha.orgunits.models import FacilityType, OrgUnit
from tests.factories import OrgUnitFactory, UserFactory
from tests.mixins import ALL, OK, ScopedAPITests, ScopedViewTests, table_from_export

pytestmark = pytest.mark.usefixtures("shared_world")

BAC_NINH = {"syt_bn", "bvdk", "tien_du", "tyt_tien_du", "tu_son", "tyt_tu_son"}
THAI_NGUYEN = {"syt_tn", "phu_binh", "tyt_phu_binh"}


class FacilityMatrix:
    """What the facility tables share: scopes, and which unit each role works on."""

    model = OrgUnit
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,  # a line officer directs the whole province of their hospital
        "viewer": BAC_NINH,
        "clerk": {"tien_du", "tyt_tien_du"},
        "doh_tn": THAI_NGUYEN,
    }

    @pytest.fixture
    def world(self, network):
        return network

    def target(self, world, role):
        return world.tyt_phu_binh if role == "doh_tn" else world.tyt_tien_du

    def foreign(self, world, role):
        return world.tyt_tien_du if role == "doh_tn" else world.tyt_phu_binh

    def parent_for(self, world, role):
        return world.phu_binh if role == "doh_tn" else world.tien_du

    def context_keys(self, world, role):
        # The units above a user's scope are named as its parents; nothing else outside is.
        return {
            "clerk": {"moh", "syt_bn"},
            "doh": {"moh"},
            "line": {"moh"},
            "viewer": {"moh"},
            "doh_tn": {"moh"},
        }.get(role, set())

    def move_case(self, world, role):
        """(unit, new parent) for a move inside the role's scope."""
        if role == "clerk":
            # The clerk's scope is one centre and its station: give it a second sub-unit.
            polyclinic = OrgUnitFactory(
                code="TD-PK",
                name="Phòng khám Đa khoa Tiên Du",
                facility_type=FacilityType.POLYCLINIC,
                parent=world.tien_du,
            )
            return world.tyt_tien_du, polyclinic
        if role == "doh_tn":
            return world.tyt_phu_binh, world.syt_tn
        return world.tyt_tien_du, world.tu_son

    def created(self, data):
        return OrgUnit.objects.filter(code=data["code"])

    def edited(self, obj):
        return self.reload(obj).name.endswith("(đã sửa)")

    def retired(self, obj):
        unit = self.reload(obj)
        return not unit.active and unit.closing_date is not None


class TestFacilityPages(FacilityMatrix, ScopedViewTests):
    url_namespace = "orgunits"
    matrix = (
        """
                list   export_csv export_xlsx detail foreign import
    anonymous   login  login      login       login  login   login
    admin       ok     ok         ok          ok     -       ok
    doh         ok     ok         ok          ok     404     ok
    line        ok     ok         ok          ok     404     403
    clerk       ok     ok         ok          ok     404     403
    viewer      ok     ok         ok          ok     404     403
    doh_tn      ok     ok         ok          ok     404     ok
    """,
        """
                add    edit   foreign_edit retire foreign_retire move
    anonymous   login  login  login        login  login          login
    admin       ok     ok     -            ok     -              ok
    doh         ok     ok     404          ok     404            ok
    line        403    403    403          403    403            403
    clerk       403    ok     404          403    403            ok
    viewer      403    403    403          403    403            403
    doh_tn      ok     ok     404          ok     404            ok
    """,
    )

    def create_data(self, world, role):
        return {
            "code": "NEW-TYT-1",
            "name": "Trạm Y tế Xã Mới",
            "facility_type": FacilityType.COMMUNE_STATION,
            "technical_level": "initial",
            "parent": self.parent_for(world, role).pk,
        }

    def edit_data(self, obj):
        return {
            "code": obj.code,
            "name": f"{obj.name} (đã sửa)",
            "facility_type": obj.facility_type,
            "technical_level": obj.technical_level,
            "admin_unit": obj.admin_unit_id or "",
        }

    def retire_data(self, obj):
        return {"date": "2025-12-31"}

    def check_move(self, ctx, expected):
        """Move the role's leaf under another parent inside its scope, from a date."""
        unit, new_parent = self.move_case(ctx.world, ctx.role)
        old_parent = unit.parent_id
        response = ctx.client.post(
            self.url("move", unit), {"parent": new_parent.pk, "date": "2025-09-01"}
        )
        self.assert_outcome(response, expected)
        moved = self.reload(unit).parent_id
        if expected == OK:
            assert response.status_code == 302, response.content[:500]
            assert moved == new_parent.pk
        else:
            assert moved == old_parent


class TestFacilityAPI(FacilityMatrix, ScopedAPITests):
    api_url = "/api/facilities/"
    matrix = (
        """
                list   detail foreign create update foreign_update
    anonymous   login  login  login   login  login  login
    admin       ok     ok     -       ok     ok     -
    doh         ok     ok     404     ok     ok     404
    line        ok     ok     404     403    403    403
    clerk       ok     ok     404     403    ok     404
    viewer      ok     ok     404     403    403    403
    doh_tn      ok     ok     404     ok     ok     404
    """,
        """
                delete foreign_delete move   retire
    anonymous   login  login          login  login
    admin       ok     -              ok     ok
    doh         ok     404            ok     ok
    line        403    403            403    403
    clerk       403    403            ok     403
    viewer      403    403            403    403
    doh_tn      ok     404            ok     ok
    """,
    )

    def api_create_data(self, world, role):
        return {
            "code": "NEW-TYT-1",
            "name": "Trạm Y tế Xã Mới",
            "facility_type": FacilityType.COMMUNE_STATION,
            "parent": self.parent_for(world, role).uid,
        }

    def api_edit_data(self, obj):
        return {"name": f"{obj.name} (đã sửa)"}

    def check_move(self, ctx, expected):
        """POST .../move/: the same rights as moving on the page (a change, not an add)."""
        unit, new_parent = self.move_case(ctx.world, ctx.role)
        old_parent = unit.parent_id
        response = ctx.client.post(
            f"{self.item_url(unit)}move/",
            {"parent": new_parent.uid, "date": "2025-09-01"},
            content_type="application/json",
        )
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.json()["parent"] == new_parent.uid
            assert self.reload(unit).parent_id == new_parent.pk
        else:
            assert self.reload(unit).parent_id == old_parent

    def check_retire(self, ctx, expected):
        unit = self.target(ctx.world, ctx.role)
        response = ctx.client.post(
            f"{self.item_url(unit)}retire/", {"date": "2025-12-31"}, content_type="application/json"
        )
        self.assert_outcome(response, expected)
        assert self.retired(unit) == (expected == OK)
        if expected == OK:
            assert response.json()["closing_date"] == "2025-12-31"


def test_matrix_tables_name_every_role(users):
    """A role added to the fixture without a row in the tables would go untested."""
    roles = {name for name in vars(users) if name != "password"}
    for cls in (TestFacilityPages, TestFacilityAPI):
        for table in cls.matrix:
            table_roles = {line.split()[0] for line in table.strip().splitlines()[1:]}
            assert table_roles == roles | {"anonymous"}
        assert set(cls.scope) == roles


@pytest.mark.parametrize(
    ("role", "total"),
    [("admin", 10), ("doh", 6), ("line", 6), ("viewer", 6), ("clerk", 2), ("doh_tn", 3)],
)
def test_home_counts_only_the_units_in_scope(client, users, role, total):
    client.force_login(getattr(users, role))
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["total"] == total
    assert sum(n for _label, n, _value in response.context["by_type"]) == total


@pytest.mark.parametrize("role", [Role.DOH_OFFICER, Role.DATA_CLERK, Role.VIEWER])
def test_a_user_without_an_org_unit_sees_nothing(client, network, role):
    """A misconfigured account (a role but no unit) must not fall back to everything."""
    user = UserFactory(username="chua.gan.don.vi", role=role, org_unit=None)
    client.force_login(user)
    assert client.get("/orgunits/").context["total"] == 0
    assert client.get("/api/facilities/").json()["count"] == 0
    assert client.get("/orgunits/tree/").context["nodes"] == []
    assert client.get(network.tien_du.get_absolute_url()).status_code == 404
    _header, rows = table_from_export(client.get("/orgunits/", {"export": "csv"}))
    assert rows == []


def test_the_hierarchy_of_an_out_of_scope_unit_is_not_found(client, users, network):
    client.force_login(users.doh_tn)
    assert client.get(f"/api/facilities/{network.tien_du.uid}/hierarchy/").status_code == 404
    assert client.get(f"/api/facilities/{network.phu_binh.uid}/hierarchy/").status_code == 200
