"""Who sees and manages which courses, on the pages and through the API.

A course is seen by the organiser's scope and by the facilities of its enrolled workers;
it is managed by users whose scope holds the organiser.
"""

import datetime
from types import SimpleNamespace

import pytest

from doha.training import services
from doha.training.models import Course
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests
from tests.training.factories import make_course, make_worker

D = datetime.date
BAC_NINH = {"c_bn", "c_tuson"}


class CourseMatrix:
    model = Course
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": {"c_bn"},  # Tiên Du sees the BVĐK course its staff attends
        "doh_tn": {"c_tn"},
    }

    @pytest.fixture
    def world(self, network):
        self.net = network
        c_bn = make_course(network.bvdk, title="Cấp cứu nhi khoa cơ bản")
        services.enrol(c_bn, make_worker(network.tien_du, "Nguyễn Thị Hồng Nhung"))
        c_tuson = make_course(network.tu_son, title="Quản lý trạm y tế xã")
        c_tn = make_course(network.phu_binh, title="Hồi sức sơ sinh Phú Bình")
        return SimpleNamespace(c_bn=c_bn, c_tuson=c_tuson, c_tn=c_tn)

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.title

    def target(self, world, role):
        return world.c_tn if role == "doh_tn" else world.c_bn

    def foreign(self, world, role):
        return world.c_bn if role == "doh_tn" else world.c_tn

    def organiser_for(self, role):
        return {"doh_tn": self.net.phu_binh, "clerk": self.net.tien_du}.get(role, self.net.bvdk)

    def edited(self, obj):
        return self.reload(obj).venue.endswith("(đã sửa)")


class TestCoursePages(CourseMatrix, ScopedViewTests):
    url_namespace = "training"
    matrix = """
          list  export_xlsx detail foreign add   edit  foreign_edit
anonymous login login       login  login   login login login
admin     ok    ok          ok     -       ok    ok    -
doh       ok    ok          ok     404     ok    ok    404
line      ok    ok          ok     404     ok    ok    404
clerk     ok    ok          ok     404     ok    403   404
viewer    ok    ok          ok     404     403   403   403
doh_tn    ok    ok          ok     404     ok    ok    404
    """

    def create_data(self, world, role):
        return {
            "title": f"Khóa học mới của {role}",
            "kind": "short_term",
            "organiser": self.organiser_for(role).pk,
            "venue": "Hội trường",
            "start_date": "2025-03-01",
            "end_date": "2025-03-05",
            "hours": "16",
            "status": "planned",
        }

    def created(self, data):
        return Course.objects.filter(title=data["title"])

    def edit_data(self, obj):
        return {
            "title": obj.title,
            "kind": obj.kind,
            "organiser": obj.organiser_id,
            "venue": "Hội trường (đã sửa)",
            "start_date": obj.start_date.isoformat(),
            "end_date": obj.end_date.isoformat(),
            "hours": str(obj.hours),
            "status": obj.status,
        }


class TestCourseAPI(CourseMatrix, ScopedAPITests):
    api_url = "/api/courses/"
    matrix = """
                list   detail foreign create update foreign_update
    anonymous   login  login  login   login  login  login
    admin       ok     ok     -       ok     ok     -
    doh         ok     ok     404     ok     ok     404
    line        ok     ok     404     ok     ok     404
    clerk       ok     ok     404     ok     403    404
    viewer      ok     ok     404     403    403    403
    doh_tn      ok     ok     404     ok     ok     404
    """

    def key_of_json(self, item):
        return item["uid"]

    def api_create_data(self, world, role):
        return {
            "title": f"Khóa học API của {role}",
            "kind": "cme",
            "organiser": self.organiser_for(role).uid,
            "venue": "Hội trường",
            "start_date": "2025-03-01",
            "end_date": "2025-03-05",
            "hours": "16.0",
        }

    def created(self, data):
        return Course.objects.filter(title=data["title"])

    def api_edit_data(self, obj):
        return {"venue": "Hội trường (đã sửa)"}
