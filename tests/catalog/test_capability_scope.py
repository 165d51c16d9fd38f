"""Who sees and changes which facility capabilities, on the pages and through the API.

One capability per facility, so a capability is named by its facility.
"""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from doha.catalog.models import FacilityCapability, Technique
from tests.catalog.factories import CapabilityFactory, TechniqueFactory
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests

BAC_NINH = {"bvdk", "tien_du", "tyt_tien_du", "tu_son"}


class CapabilityMatrix:
    model = FacilityCapability
    lookup = "pk"
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": {"tien_du", "tyt_tien_du"},
        "doh_tn": {"phu_binh"},
    }

    @pytest.fixture
    def world(self, network):
        technique = TechniqueFactory(code="TEST.001", name="Nội soi dạ dày thử")
        TechniqueFactory(code="TEST.NEW", name="Kỹ thuật mới đăng ký")
        return SimpleNamespace(
            **{
                key: CapabilityFactory(facility=getattr(network, key), technique=technique)
                for key in ["bvdk", "tien_du", "tyt_tien_du", "tu_son", "phu_binh"]
            }
        )

    def target(self, world, role):
        return world.phu_binh if role == "doh_tn" else world.tyt_tien_du

    def foreign(self, world, role):
        return world.tyt_tien_du if role == "doh_tn" else world.phu_binh

    def key(self, obj):
        return obj.facility.code

    def label(self, obj):
        return obj.facility.name

    def new_facility(self, role, network_unit):
        return network_unit

    def created(self, data):
        return FacilityCapability.objects.filter(technique__code="TEST.NEW")

    def edited(self, obj):
        return self.reload(obj).note == "(đã sửa)"

    def retired(self, obj):
        capability = self.reload(obj)
        return not capability.active and capability.until is not None


class TestCapabilityPages(CapabilityMatrix, ScopedViewTests):
    url_names = {
        "list": "capability_list",
        "detail": "capability_detail",
        "add": "capability_add",
        "edit": "capability_edit",
        "retire": "capability_retire",
    }
    matrix = """
                list   export_xlsx detail foreign add   edit  foreign_edit retire foreign_retire
    anonymous   login  login       login  login   login login login        login  login
    admin       ok     ok          ok     -       ok    ok    -            ok     -
    doh         ok     ok          ok     404     ok    ok    404          ok     404
    line        ok     ok          ok     404     ok    ok    404          ok     404
    clerk       ok     ok          ok     404     ok    ok    404          403    403
    viewer      ok     ok          ok     404     403   403   403          403    403
    doh_tn      ok     ok          ok     404     ok    ok    404          ok     404
    """

    def url(self, name, obj=None):
        args = [obj.pk] if obj is not None else []
        return reverse(f"catalog:{self.url_names[name]}", args=args)

    def create_data(self, world, role):
        facility = world.phu_binh.facility if role == "doh_tn" else world.tyt_tien_du.facility
        return {
            "facility": facility.pk,
            "technique": Technique.objects.get(code="TEST.NEW").pk,
            "since": "2024-01-15",
            "acquisition": "transfer_in",
        }

    def edit_data(self, obj):
        return {"since": "2020-02-03", "acquisition": "own", "note": "(đã sửa)"}

    def retire_data(self, obj):
        return {"date": "2025-06-30"}


class TestCapabilityAPI(CapabilityMatrix, ScopedAPITests):
    api_url = "/api/capabilities/"
    matrix = """
                list   detail foreign create update foreign_update delete foreign_delete
    anonymous   login  login  login   login  login  login          login  login
    admin       ok     ok     -       ok     ok     -              ok     -
    doh         ok     ok     404     ok     ok     404            ok     404
    line        ok     ok     404     ok     ok     404            ok     404
    clerk       ok     ok     404     ok     ok     404            403    403
    viewer      ok     ok     404     403    403    403            403    403
    doh_tn      ok     ok     404     ok     ok     404            ok     404
    """

    def key(self, obj):
        return obj.facility.uid

    def key_of_json(self, item):
        return item["facility"]

    def api_create_data(self, world, role):
        facility = world.phu_binh.facility if role == "doh_tn" else world.tyt_tien_du.facility
        return {"facility": facility.uid, "technique": "TEST.NEW", "since": "2024-01-15"}

    def api_edit_data(self, obj):
        return {"note": "(đã sửa)"}


def test_clerk_cannot_add_to_a_facility_outside_their_scope(client, users, network):
    TechniqueFactory(code="TEST.NEW")
    client.force_login(users.clerk)
    response = client.post(
        "/api/capabilities/",
        {"facility": network.bvdk.uid, "technique": "TEST.NEW"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "facility" in response.json()
    response = client.post(
        reverse("catalog:capability_add"),
        {"facility": network.bvdk.pk, "technique": Technique.objects.get(code="TEST.NEW").pk},
    )
    assert response.status_code == 400
    assert not FacilityCapability.objects.exists()


def test_matrix_tables_name_every_role(users):
    roles = {name for name in vars(users) if name != "password"}
    for cls in (TestCapabilityPages, TestCapabilityAPI):
        table_roles = {line.split()[0] for line in cls.matrix.strip().splitlines()[1:]}
        assert table_roles == roles | {"anonymous"}
        assert set(cls.scope) == roles
