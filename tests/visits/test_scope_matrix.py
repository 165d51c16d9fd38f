"""Who sees and changes which visits and actions: the host's and the visiting unit's scopes see
a visit; an action is also seen by its owner facility's scope."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from doha.visits.models import ActionStatus, FollowUpAction, Visit
from tests.mixins import ALL, OK, ScopedAPITests, ScopedViewTests
from tests.visits.factories import D, make_action, make_visit

BAC_NINH = {"v_bn", "v_cross"}


def build_world(network):
    return SimpleNamespace(
        v_bn=make_visit(network.tien_du, network.bvdk, title="Giám sát bệnh án Tiên Du"),
        v_tn=make_visit(network.phu_binh, network.syt_tn, title="Giám sát tiêm chủng Phú Bình"),
        v_cross=make_visit(network.phu_binh, network.bvdk, title="Hỗ trợ chuyên môn liên tỉnh"),
    )


class VisitMatrix:
    model = Visit
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": {"v_bn"},
        "doh_tn": {"v_tn", "v_cross"},
    }

    @pytest.fixture
    def world(self, network):
        self.net = network
        return build_world(network)

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.title

    def key_of_json(self, item):
        return item["uid"]

    def target(self, world, role):
        return world.v_tn if role == "doh_tn" else world.v_bn

    def foreign(self, world, role):
        return world.v_bn if role == "doh_tn" else world.v_tn

    def parties_for(self, role):
        if role == "doh_tn":
            return self.net.phu_binh, self.net.syt_tn
        return self.net.tien_du, self.net.bvdk

    def edited(self, obj):
        return self.reload(obj).title.endswith("(đã sửa)")


class TestVisitPages(VisitMatrix, ScopedViewTests):
    url_namespace = "visits"
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

    def _data(self, host, visiting, title):
        return {
            "kind": "supervision",
            "title": title,
            "host": host.pk,
            "visiting": visiting.pk,
            "start_date": "2026-05-04",
            "end_date": "2026-05-05",
            "status": "done",
            "purpose": "Giám sát",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-0-name": "Nguyễn Văn An",
            "members-0-position": "Trưởng đoàn",
            "findings-TOTAL_FORMS": "1",
            "findings-INITIAL_FORMS": "0",
            "findings-0-order": "1",
            "findings-0-area": "Hồ sơ",
            "findings-0-text": "Thiếu chữ ký",
        }

    def create_data(self, world, role):
        host, visiting = self.parties_for(role)
        return self._data(host, visiting, f"Giám sát mới ({role})")

    def created(self, data):
        return Visit.objects.filter(title=data["title"])

    def edit_data(self, obj):
        return self._data(obj.host, obj.visiting, "Giám sát (đã sửa)")


class TestVisitAPI(VisitMatrix, ScopedAPITests):
    api_url = "/api/visits/"
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
        host, visiting = self.parties_for(role)
        return {
            "kind": "study_tour",
            "title": f"Tham quan học tập ({role})",
            "host": host.uid,
            "visiting": visiting.uid,
            "start_date": "2026-05-04",
            "end_date": "2026-05-04",
            "members": [{"name": "Nguyễn Văn An", "position": "Trưởng đoàn"}],
            "findings": [{"area": "Vắc xin", "text": "Mô hình dịch vụ"}],
        }

    def created(self, data):
        return Visit.objects.filter(title=data["title"], members__name="Nguyễn Văn An")

    def api_edit_data(self, obj):
        return {"title": "Giám sát (đã sửa)"}


# ---------------------------------------------------------------- actions


class ActionMatrix:
    model = FollowUpAction
    scope = {
        "admin": ALL,
        "doh": {"a_bn", "a_cross"},
        "line": {"a_bn", "a_cross"},
        "viewer": {"a_bn", "a_cross"},
        "clerk": {"a_bn"},
        "doh_tn": {"a_tn", "a_cross"},
    }

    @pytest.fixture
    def world(self, network):
        visits = build_world(network)
        return SimpleNamespace(
            a_bn=make_action(visits.v_bn, description="Bổ sung chữ ký hồ sơ bệnh án"),
            a_tn=make_action(visits.v_tn, description="Sửa tủ lạnh bảo quản vắc xin"),
            a_cross=make_action(visits.v_cross, description="Cử bác sĩ đi đào tạo nội soi"),
        )

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.description

    def key_of_json(self, item):
        return item["uid"]

    def target(self, world, role):
        return world.a_tn if role == "doh_tn" else world.a_bn

    def foreign(self, world, role):
        return world.a_bn if role == "doh_tn" else world.a_tn

    def edited(self, obj):
        return self.reload(obj).description.endswith("(đã sửa)")


class TestActionPages(ActionMatrix, ScopedViewTests):
    url_namespace = "visits"
    names = {"list": "actions", "detail": "action_detail", "edit": "action_edit"}
    matrix = """
          list  export_xlsx detail foreign edit  foreign_edit close foreign_close
anonymous login login       login  login   login login        login login
admin     ok    ok          ok     -       ok    -            ok    -
doh       ok    ok          ok     404     ok    404          ok    404
line      ok    ok          ok     404     ok    404          ok    404
clerk     ok    ok          ok     404     ok    404          ok    404
viewer    ok    ok          ok     404     403   403          403   403
doh_tn    ok    ok          ok     404     ok    404          ok    404
    """

    def url(self, name, obj=None):
        args = [obj.uid] if obj is not None else []
        return reverse(f"visits:{self.names.get(name, name)}", args=args)

    def edit_data(self, obj):
        return {
            "description": "Khắc phục (đã sửa)",
            "owner_facility": obj.owner_facility.pk,
            "due_date": "2026-04-30",
        }

    def _close(self, ctx, obj):
        return ctx.client.post(
            reverse("visits:action_status", args=[obj.uid]),
            {"step": "close", "evidence": "Biên bản khắc phục"},
        )

    def check_close(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = self._close(ctx, obj)
        self.assert_outcome(response, expected)
        done = self.reload(obj).status == ActionStatus.DONE
        assert done == (expected == OK)

    def check_foreign_close(self, ctx, expected):
        obj = self.foreign(ctx.world, ctx.role)
        response = self._close(ctx, obj)
        self.assert_outcome(response, expected)
        assert self.reload(obj).status == ActionStatus.OPEN


class TestActionAPI(ActionMatrix, ScopedAPITests):
    api_url = "/api/visit-actions/"
    matrix = """
                list   detail foreign update foreign_update drop
    anonymous   login  login  login   login  login          login
    admin       ok     ok     -       ok     -              ok
    doh         ok     ok     404     ok     404            ok
    line        ok     ok     404     ok     404            ok
    clerk       ok     ok     404     ok     404            ok
    viewer      ok     ok     404     403    403            403
    doh_tn      ok     ok     404     ok     404            ok
    """

    def api_edit_data(self, obj):
        return {"description": "Khắc phục (đã sửa)"}

    def check_drop(self, ctx, expected):
        obj = self.target(ctx.world, ctx.role)
        response = ctx.client.post(
            f"{self.item_url(obj)}status/",
            {"step": "drop", "drop_reason": "Không còn phù hợp"},
            content_type="application/json",
        )
        self.assert_outcome(response, expected)
        dropped = self.reload(obj).status == ActionStatus.DROPPED
        assert dropped == (expected == OK)


def test_matrix_tables_name_every_role(users):
    roles = {name for name in vars(users) if name != "password"}
    for cls in (TestVisitPages, TestVisitAPI, TestActionPages, TestActionAPI):
        table_roles = {line.split()[0] for line in cls.matrix.strip().splitlines()[1:]}
        assert table_roles == roles | {"anonymous"}
        assert set(cls.scope) == roles


def test_a_clerk_of_another_district_sees_nothing(network, users, client):
    from doha.core.permissions import Role
    from tests.factories import UserFactory

    world = build_world(network)
    action = make_action(world.v_bn, due=D(2026, 4, 1))
    clerk = UserFactory(username="ttyt.tuson", role=Role.DATA_CLERK, org_unit=network.tu_son)
    client.force_login(clerk)
    for url in (
        reverse("visits:detail", args=[world.v_bn.uid]),
        reverse("visits:action_detail", args=[action.uid]),
        reverse("visits:edit", args=[world.v_bn.uid]),
        reverse("visits:action_add", args=[world.v_bn.uid]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (reverse("visits:list"), reverse("visits:actions"), reverse("visits:my_actions")):
        page = client.get(url)
        assert page.status_code == 200 and page.context["total"] == 0
        assert world.v_bn.title not in page.content.decode()
    response = client.post(
        reverse("visits:action_status", args=[action.uid]), {"step": "drop", "drop_reason": "x"}
    )
    assert response.status_code == 404
    api = client.get("/api/visit-actions/", HTTP_ACCEPT_LANGUAGE="en")
    assert api.json()["count"] == 0
    assert client.get("/api/visits/").json()["count"] == 0
