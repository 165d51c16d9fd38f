"""Who sees and changes which awards: the issuer's and the recipient's scopes both see it."""

from types import SimpleNamespace

import pytest

from doha.awards.models import Award
from tests.awards.factories import make_award, make_worker
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests

BAC_NINH = {"a_bn", "a_person", "a_cross"}


class AwardMatrix:
    model = Award
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": {"a_bn", "a_person"},
        "doh_tn": {"a_tn", "a_cross"},
    }

    @pytest.fixture
    def world(self, network):
        self.net = network
        self.worker_tn = make_worker(network.phu_binh, "Hoàng Thị Lan")
        return SimpleNamespace(
            a_bn=make_award(network.syt_bn, unit=network.tien_du, number="101/QĐ-SYT"),
            a_person=make_award(
                network.syt_bn,
                person=make_worker(network.tien_du, "Phạm Văn Hùng"),
                number="102/QĐ-SYT",
            ),
            a_tn=make_award(network.syt_tn, person=self.worker_tn, number="201/QĐ-SYT"),
            a_cross=make_award(network.bvdk, unit=network.phu_binh, number="301/QĐ-BV"),
        )

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.decision_number

    def key_of_json(self, item):
        return item["uid"]

    def target(self, world, role):
        return world.a_tn if role == "doh_tn" else world.a_bn

    def foreign(self, world, role):
        return world.a_bn if role == "doh_tn" else world.a_tn

    def parties_for(self, role):
        if role == "doh_tn":
            return self.net.syt_tn, self.net.phu_binh
        return self.net.syt_bn, self.net.tien_du

    def edited(self, obj):
        return self.reload(obj).reason.endswith("(đã sửa)")


class TestAwardPages(AwardMatrix, ScopedViewTests):
    url_namespace = "awards"
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

    def _data(self, issuer, unit, number, reason, person=None):
        return {
            "kind": "merit",
            "decision_number": number,
            "decision_date": "2024-12-20",
            "issuer": issuer.pk,
            "issuer_name": "",
            "recipient_unit": unit.pk if unit else "",
            "recipient_person": person.pk if person else "",
            "recipient_name": "",
            "reason": reason,
            "programme": "",
        }

    def create_data(self, world, role):
        issuer, unit = self.parties_for(role)
        return self._data(issuer, unit, f"9{len(role)}/QĐ-{role}", "Thành tích xuất sắc")

    def created(self, data):
        return Award.objects.filter(decision_number=data["decision_number"])

    def edit_data(self, obj):
        return self._data(
            obj.issuer,
            obj.recipient_unit,
            obj.decision_number,
            "Khen (đã sửa)",
            obj.recipient_person,
        )


class TestAwardAPI(AwardMatrix, ScopedAPITests):
    api_url = "/api/awards/"
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
        issuer, unit = self.parties_for(role)
        return {
            "kind": "commendation",
            "decision_number": f"8{len(role)}/QĐ-{role}",
            "decision_date": "2024-12-20",
            "issuer": issuer.uid,
            "recipient_unit": unit.uid,
            "reason": "Thành tích xuất sắc",
        }

    def created(self, data):
        return Award.objects.filter(decision_number=data["decision_number"])

    def api_edit_data(self, obj):
        return {"reason": "Khen (đã sửa)"}


def test_matrix_tables_name_every_role(users):
    roles = {name for name in vars(users) if name != "password"}
    for cls in (TestAwardPages, TestAwardAPI):
        table_roles = {line.split()[0] for line in cls.matrix.strip().splitlines()[1:]}
        assert table_roles == roles | {"anonymous"}
        assert set(cls.scope) == roles
