"""Who sees and changes which rotations, on the pages and through the API.

A rotation is in the scope of both its sending and its receiving facility (and of the
Department of Health above them); the DOH of another province sees nothing of it.
"""

import datetime
from types import SimpleNamespace

import pytest

from doha.rotations.models import Rotation, RotationStatus
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests
from tests.rotations.factories import WorkerFactory, make_rotation

D = datetime.date
BAC_NINH = {"r_bn", "r_tuson"}


class RotationMatrix:
    model = Rotation
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": {"r_bn"},  # Tiên Du sees who is sent to it
        "doh_tn": {"r_tn"},
    }

    @pytest.fixture
    def world(self, network):
        self.net = network
        self.free = {
            "bvdk": WorkerFactory(facility=network.bvdk, full_name="Lý Thị Rảnh"),
            "tien_du": WorkerFactory(facility=network.tien_du, full_name="Đinh Văn Rỗi"),
            "phu_binh": WorkerFactory(facility=network.phu_binh, full_name="Mạc Văn Nhàn"),
        }
        w1 = WorkerFactory(facility=network.bvdk, full_name="Nguyễn Hữu Tiến")
        w2 = WorkerFactory(facility=network.bvdk, full_name="Bùi Thị Sơn")
        w3 = WorkerFactory(facility=network.phu_binh, full_name="Hà Văn Bình Phú")
        return SimpleNamespace(
            r_bn=make_rotation(w1, network.tien_du, start=D(2024, 2, 1)),
            r_tuson=make_rotation(w2, network.tu_son, start=D(2024, 3, 1)),
            r_tn=make_rotation(w3, network.tyt_phu_binh, start=D(2024, 4, 1)),
        )

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.worker.full_name

    def target(self, world, role):
        return world.r_tn if role == "doh_tn" else world.r_bn

    def foreign(self, world, role):
        return world.r_bn if role == "doh_tn" else world.r_tn

    def sides(self, role):
        if role == "doh_tn":
            return self.free["phu_binh"], self.net.tyt_phu_binh
        if role == "clerk":
            return self.free["tien_du"], self.net.tyt_tien_du
        return self.free["bvdk"], self.net.tien_du

    def edited(self, obj):
        return self.reload(obj).purpose == "Đã sửa mục đích"

    def retired(self, obj):
        return self.reload(obj).status == RotationStatus.CANCELLED


class TestRotationPages(RotationMatrix, ScopedViewTests):
    url_namespace = "rotations"
    matrix = """
          list  export_xlsx detail foreign add   edit  foreign_edit cancel timeline
anonymous login login       login  login   login login login        login  login
admin     ok    ok          ok     -       ok    ok    -            ok     ok
doh       ok    ok          ok     404     ok    ok    404          ok     ok
line      ok    ok          ok     404     ok    ok    404          ok     ok
clerk     ok    ok          ok     404     ok    ok    404          ok     ok
viewer    ok    ok          ok     404     403   403   403          403    ok
doh_tn    ok    ok          ok     404     ok    ok    404          ok     ok
    """

    def create_data(self, world, role):
        worker, to = self.sides(role)
        return {
            "kind": "rotation",
            "worker": worker.pk,
            "to_facility": to.pk,
            "start": "2025-01-01",
            "end": "2025-04-30",
        }

    def created(self, data):
        return Rotation.objects.filter(worker_id=data["worker"], start=D(2025, 1, 1))

    def edit_data(self, obj):
        return {
            "kind": obj.kind,
            "worker": obj.worker_id,
            "from_facility": obj.from_facility_id,
            "to_facility": obj.to_facility_id,
            "start": obj.start.isoformat(),
            "end": obj.end.isoformat(),
            "purpose": "Đã sửa mục đích",
        }

    def check_cancel(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(self.url("cancel", obj), {"cancel_reason": "Thiếu nhân lực"})
        self.assert_outcome(response, expected)
        assert self.retired(obj) == (expected == "ok")

    def check_timeline(self, ctx, expected):
        from django.urls import reverse

        response = ctx.client.get(reverse("rotations:timeline"), {"year": 2024})
        self.assert_outcome(response, expected)
        if expected != "ok":
            return
        text = response.content.decode()
        for key in self.visible_keys(ctx.world, ctx.role):
            assert self.label(getattr(ctx.world, key)) in text
        self.assert_no_leak(text, ctx.world, ctx.role)


class TestRotationAPI(RotationMatrix, ScopedAPITests):
    api_url = "/api/rotations/"
    matrix = """
                list   detail foreign create update foreign_update delete foreign_delete
    anonymous   login  login  login   login  login  login          login  login
    admin       ok     ok     -       ok     ok     -              ok     -
    doh         ok     ok     404     ok     ok     404            ok     404
    line        ok     ok     404     ok     ok     404            ok     404
    clerk       ok     ok     404     ok     ok     404            ok     404
    viewer      ok     ok     404     403    403    403            403    403
    doh_tn      ok     ok     404     ok     ok     404            ok     404
    """

    def key_of_json(self, item):
        return item["uid"]

    def api_create_data(self, world, role):
        worker, to = self.sides(role)
        return {
            "kind": "rotation",
            "worker": worker.uid,
            "to_facility": to.uid,
            "start": "2025-01-01",
            "end": "2025-04-30",
        }

    def created(self, data):
        return Rotation.objects.filter(worker__uid=data["worker"], start=D(2025, 1, 1))

    def api_edit_data(self, obj):
        return {"purpose": "Đã sửa mục đích"}


def test_matrix_tables_name_every_role(users):
    roles = {name for name in vars(users) if name != "password"}
    for cls in (TestRotationPages, TestRotationAPI):
        table_roles = {line.split()[0] for line in cls.matrix.strip().splitlines()[1:]}
        assert table_roles == roles | {"anonymous"}
        assert set(cls.scope) == roles
