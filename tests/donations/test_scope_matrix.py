"""Who sees and changes which donations: the donor's and the recipient's scopes both see it."""

from types import SimpleNamespace

import pytest

from doha.donations.models import Donation
from doha.orgunits.models import FacilityType
from tests.donations.factories import make_donation
from tests.factories import OrgUnitFactory
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests

BAC_NINH = {"d_bn", "d_cross"}


class DonationMatrix:
    model = Donation
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": {"d_bn"},
        "doh_tn": {"d_tn", "d_cross"},
    }

    @pytest.fixture
    def world(self, network):
        self.net = network
        self.bva_tn = OrgUnitFactory(
            code="TN-BVA",
            name="Bệnh viện A Thái Nguyên",
            facility_type=FacilityType.PROVINCIAL_HOSPITAL,
            parent=network.syt_tn,
        )
        return SimpleNamespace(
            d_bn=make_donation(network.bvdk, network.tien_du),
            d_tn=make_donation(self.bva_tn, network.phu_binh),
            d_cross=make_donation(network.bvdk, network.phu_binh),
        )

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.uid

    def key_of_json(self, item):
        return item["uid"]

    def target(self, world, role):
        return world.d_tn if role == "doh_tn" else world.d_bn

    def foreign(self, world, role):
        return world.d_bn if role == "doh_tn" else world.d_tn

    def parties_for(self, role):
        if role == "doh_tn":
            return self.bva_tn, self.net.phu_binh
        return self.net.bvdk, self.net.tien_du

    def edited(self, obj):
        return self.reload(obj).description.endswith("(đã sửa)")


class TestDonationPages(DonationMatrix, ScopedViewTests):
    url_namespace = "donations"
    matrix = """
          list  export_xlsx detail foreign add   edit  foreign_edit
anonymous login login       login  login   login login login
admin     ok    ok          ok     -       ok    ok    -
doh       ok    ok          ok     404     ok    ok    404
line      ok    ok          ok     404     ok    ok    404
clerk     ok    ok          ok     404     ok    ok    404
viewer    ok    ok          ok     404     403   403   403
doh_tn    ok    ok          ok     404     ok    ok    404
    """

    def _data(self, donor, recipient, description):
        return {
            "donor": donor.pk,
            "recipient": recipient.pk,
            "date": "2025-02-01",
            "description": description,
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-item": "Bơm tiêm điện",
            "items-0-quantity": "2",
            "items-0-unit": "chiếc",
            "items-0-unit_value": "25000000",
        }

    def create_data(self, world, role):
        donor, recipient = self.parties_for(role)
        return self._data(donor, recipient, f"Hỗ trợ thiết bị ({role})")

    def created(self, data):
        return Donation.objects.filter(description=data["description"])

    def edit_data(self, obj):
        return self._data(obj.donor, obj.recipient, "Trao tặng (đã sửa)")


class TestDonationAPI(DonationMatrix, ScopedAPITests):
    api_url = "/api/donations/"
    matrix = """
                list   detail foreign create update foreign_update
    anonymous   login  login  login   login  login  login
    admin       ok     ok     -       ok     ok     -
    doh         ok     ok     404     ok     ok     404
    line        ok     ok     404     ok     ok     404
    clerk       ok     ok     404     ok     ok     404
    viewer      ok     ok     404     403    403    403
    doh_tn      ok     ok     404     ok     ok     404
    """

    def api_create_data(self, world, role):
        donor, recipient = self.parties_for(role)
        return {
            "donor": donor.uid,
            "recipient": recipient.uid,
            "date": "2025-02-01",
            "description": f"Hỗ trợ thiết bị ({role})",
            "items": [
                {
                    "item": "Bơm tiêm điện",
                    "quantity": "2",
                    "unit": "chiếc",
                    "unit_value": 25_000_000,
                }
            ],
        }

    def created(self, data):
        return Donation.objects.filter(description=data["description"])

    def api_edit_data(self, obj):
        return {"description": "Trao tặng (đã sửa)"}


def test_matrix_tables_name_every_role(users):
    roles = {name for name in vars(users) if name != "password"}
    for cls in (TestDonationPages, TestDonationAPI):
        table_roles = {line.split()[0] for line in cls.matrix.strip().splitlines()[1:]}
        assert table_roles == roles | {"anonymous"}
        assert set(cls.scope) == roles
