"""Who sees and changes which transfers, on the pages and through the API.

The transferring hospital sees the transfers it gives, the receiving facility those it
receives, the DOH its province (either party in it). Creating, editing and moving states
is for the DOH and line-direction offices; a clerk of the receiving facility records cases.
"""

import datetime
from types import SimpleNamespace

import pytest

from doha.orgunits.models import FacilityType, TechnicalLevel
from doha.transfers.models import TechniqueTransfer, TransferCase, TransferState
from tests.factories import OrgUnitFactory
from tests.mixins import ALL, OK, ScopedAPITests, ScopedViewTests
from tests.transfers.factories import TechniqueFactory, advance, make_transfer

D = datetime.date
BAC_NINH = {"t_bn", "t_cross", "t_tuson"}


class TransferMatrix:
    model = TechniqueTransfer
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": {"t_bn"},  # Tiên Du sees what it receives
        "doh_tn": {"t_tn", "t_cross"},  # Thái Nguyên's side of the cross-province transfer
    }

    @pytest.fixture
    def world(self, network):
        bva_tn = OrgUnitFactory(
            code="TN-BVA",
            name="Bệnh viện A Thái Nguyên",
            facility_type=FacilityType.PROVINCIAL_HOSPITAL,
            technical_level=TechnicalLevel.SPECIALISED,
            parent=network.syt_tn,
        )
        network.phu_binh.technical_level = TechnicalLevel.BASIC
        network.phu_binh.save()

        def technique(name, code):
            return TechniqueFactory(name=name, code=code, allowed_initial=True)

        self.net = network
        self.bva_tn = bva_tn
        self.new_technique = technique("Đo áp lực bàng quang", "NHI.0006")
        t_bn = advance(
            make_transfer(
                network.bvdk, network.tien_du, technique("Đặt catheter tĩnh mạch rốn", "NHI.0001")
            ),
            TransferState.TRAINING,
        )
        t_tn = advance(
            make_transfer(bva_tn, network.phu_binh, technique("Bơm Surfactant", "NHI.0005")),
            TransferState.TRAINING,
        )
        t_cross = make_transfer(
            network.bvdk, network.phu_binh, technique("Thay máu sơ sinh", "NHI.0004")
        )
        t_tuson = make_transfer(
            network.bvdk, network.tu_son, technique("Đo huyết áp động mạch xâm lấn", "NHI.0002")
        )
        return SimpleNamespace(t_bn=t_bn, t_tn=t_tn, t_cross=t_cross, t_tuson=t_tuson)

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.technique.name

    def target(self, world, role):
        return world.t_tn if role == "doh_tn" else world.t_bn

    def foreign(self, world, role):
        return world.t_bn if role == "doh_tn" else world.t_tn

    def parties_for(self, role):
        if role == "doh_tn":
            return self.bva_tn, self.net.tyt_phu_binh
        return self.net.bvdk, self.net.tyt_tien_du

    def edited(self, obj):
        return self.reload(obj).team.endswith("(đã sửa)")

    def moved(self, obj):
        return self.reload(obj).state == TransferState.SUPERVISED


class TestTransferPages(TransferMatrix, ScopedViewTests):
    url_namespace = "transfers"
    matrix = """
          list  export_csv export_xlsx detail foreign add   edit  foreign_edit move  cases cancel
anonymous login login      login       login  login   login login login        login login login
admin     ok    ok         ok          ok     -       ok    ok    -            ok    ok    ok
doh       ok    ok         ok          ok     404     ok    ok    404          ok    ok    ok
line      ok    ok         ok          ok     404     ok    ok    404          ok    ok    ok
clerk     ok    ok         ok          ok     404     403   403   403          403   ok    403
viewer    ok    ok         ok          ok     404     403   403   403          403   403   403
doh_tn    ok    ok         ok          ok     404     ok    ok    404          ok    ok    ok
    """

    def create_data(self, world, role):
        provider, recipient = self.parties_for(role)
        return {
            "technique": self.new_technique.pk,
            "provider": provider.pk,
            "recipient": recipient.pk,
            "state_date": "2025-03-01",
            "min_independent_cases": 5,
        }

    def created(self, data):
        return TechniqueTransfer.objects.filter(
            technique_id=data["technique"], recipient_id=data["recipient"]
        )

    def edit_data(self, obj):
        return {"team": "BS. Nguyễn Văn A (đã sửa)", "min_independent_cases": 5}

    def check_move(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(
            self.url("transition", obj),
            {"state": TransferState.SUPERVISED, "date": "2025-02-01", "responsible": "BS. A"},
        )
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.status_code == 302, response.content[:800]
        assert self.moved(obj) == (expected == OK)

    def check_cases(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(
            self.url("cases", obj), {"date": "2025-02-01", "kind": "supervised", "count": 2}
        )
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.status_code == 302, response.content[:800]
        assert TransferCase.objects.filter(transfer=obj).exists() == (expected == OK)

    def check_cancel(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(
            self.url("cancel", obj), {"date": "2025-02-01", "cancel_reason": "Thiếu nhân lực"}
        )
        self.assert_outcome(response, expected)
        cancelled = self.reload(obj).state == TransferState.CANCELLED
        assert cancelled == (expected == OK)


class TestTransferAPI(TransferMatrix, ScopedAPITests):
    api_url = "/api/transfers/"
    matrix = """
                list   detail foreign create update foreign_update transition cases
    anonymous   login  login  login   login  login  login          login      login
    admin       ok     ok     -       ok     ok     -              ok         ok
    doh         ok     ok     404     ok     ok     404            ok         ok
    line        ok     ok     404     ok     ok     404            ok         ok
    clerk       ok     ok     404     403    403    404            403        ok
    viewer      ok     ok     404     403    403    403            403        403
    doh_tn      ok     ok     404     ok     ok     404            ok         ok
    """

    def key_of_json(self, item):
        return item["uid"]

    def api_create_data(self, world, role):
        provider, recipient = self.parties_for(role)
        return {
            "technique": self.new_technique.code,
            "provider": provider.uid,
            "recipient": recipient.uid,
            "state_date": "2025-03-01",
        }

    def created(self, data):
        return TechniqueTransfer.objects.filter(
            technique__code=data["technique"], recipient__uid=data["recipient"]
        )

    def api_edit_data(self, obj):
        return {"team": "BS. Nguyễn Văn A (đã sửa)"}

    def check_transition(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(
            f"{self.item_url(obj)}transition/",
            {"state": "supervised", "date": "2025-02-01"},
            content_type="application/json",
        )
        self.assert_outcome(response, expected)
        if expected == OK:
            assert response.json()["state"] == "supervised"
        assert self.moved(obj) == (expected == OK)

    def check_cases(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(
            f"{self.item_url(obj)}cases/",
            {"date": "2025-02-01", "kind": "supervised", "count": 3},
            content_type="application/json",
        )
        self.assert_outcome(response, expected, ok_status=201)
        assert TransferCase.objects.filter(transfer=obj).exists() == (expected == OK)


def test_matrix_tables_name_every_role(users):
    roles = {name for name in vars(users) if name != "password"}
    for cls in (TestTransferPages, TestTransferAPI):
        table_roles = {line.split()[0] for line in cls.matrix.strip().splitlines()[1:]}
        assert table_roles == roles | {"anonymous"}
        assert set(cls.scope) == roles
