"""Who sees and changes which vaccine stores, through pages and API (the house's matrix
tests): a point's clerk sees its store only, the CDC's clerk its centre and points, the DOH
its province, nobody another province's."""

from types import SimpleNamespace

import pytest

from doha.vaccines.models import Store
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests
from tests.vaccines.factories import build_cdc

BAC_NINH = {"centre", "point1", "point2"}


class StoreMatrix:
    model = Store
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": set(),  # Tiên Du's health centre keeps no vaccine
        "cdc_clerk": BAC_NINH,
        "point_clerk": {"point1"},
        "doh_tn": {"tn_store"},
    }

    @pytest.fixture
    def world(self, network, users, catalogue):
        cdc = build_cdc(network, catalogue)
        users.cdc_clerk = cdc.cdc_clerk
        users.point_clerk = cdc.point_clerk
        self.cdc = cdc
        self.net = network
        return SimpleNamespace(
            centre=cdc.centre, point1=cdc.point1, point2=cdc.point2, tn_store=cdc.tn_store
        )

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.name

    def key_of_json(self, item):
        return item["uid"]

    def context_keys(self, world, role):
        # A point names the centre store that supplies it.
        return {"centre"} if role == "point_clerk" else set()

    def target(self, world, role):
        return {"doh_tn": world.tn_store, "point_clerk": world.point1}.get(role, world.point2)

    def foreign(self, world, role):
        return world.centre if role in ("doh_tn", "point_clerk") else world.tn_store

    def unit_for(self, role):
        return {
            "doh_tn": self.cdc.tn_unit,
            "point_clerk": self.cdc.point1_unit,
            "clerk": self.net.tien_du,
        }.get(role, self.cdc.cdc_unit)

    def edited(self, obj):
        return self.reload(obj).name.endswith("(đã sửa)")

    def retired(self, obj):
        return not self.reload(obj).active


class TestStorePages(StoreMatrix, ScopedViewTests):
    url_namespace = "vaccines"
    matrix = """
            list  export_xlsx detail foreign add   edit  foreign_edit
anonymous   login login       login  login   login login login
admin       ok    ok          ok     -       ok    ok    -
doh         ok    ok          ok     404     ok    ok    404
line        ok    ok          ok     404     ok    ok    404
viewer      ok    ok          ok     404     403   403   403
clerk       ok    ok          -      404     ok    -     404
cdc_clerk   ok    ok          ok     404     ok    ok    404
point_clerk ok    ok          ok     404     ok    ok    404
doh_tn      ok    ok          ok     404     ok    ok    404
    """

    def url(self, name, obj=None):
        return super().url(f"store-{name}", obj)

    def create_data(self, world, role):
        return {
            "org_unit": self.unit_for(role).pk,
            "name": f"Kho mới của {role}",
            "kind": "centre",
            "active": "on",
        }

    def created(self, data):
        return Store.objects.filter(name=data["name"])

    def edit_data(self, obj):
        return {
            "org_unit": obj.org_unit.pk,
            "name": f"{obj.name} (đã sửa)",
            "kind": obj.kind,
            "supplied_by": obj.supplied_by.uid if obj.supplied_by_id else "",
            "active": "on",
        }


class TestStoreAPI(StoreMatrix, ScopedAPITests):
    api_url = "/api/vaccine-stores/"
    matrix = """
            list  detail foreign create update foreign_update delete
anonymous   login login  login   login  login  login          login
admin       ok    ok     -       ok     ok     -              ok
doh         ok    ok     404     ok     ok     404            ok
viewer      ok    ok     404     403    403    403            403
clerk       ok    -      404     ok     -      404            -
cdc_clerk   ok    ok     404     ok     ok     404            403
point_clerk ok    ok     404     ok     ok     404            403
doh_tn      ok    ok     404     ok     ok     404            ok
    """

    def api_create_data(self, world, role):
        return {"org_unit": self.unit_for(role).uid, "name": f"Kho API {role}", "kind": "centre"}

    def created(self, data):
        return Store.objects.filter(name=data["name"])

    def api_edit_data(self, obj):
        return {"name": f"{obj.name} (đã sửa)"}
