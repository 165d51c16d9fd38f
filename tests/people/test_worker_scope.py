"""Who sees and changes which health workers, on the pages and through the API.

One worker per facility of the test network; a district clerk (Tiên Du) never sees
another district's staff.
"""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from doha.people.models import HealthWorker
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests
from tests.people.factories import HealthWorkerFactory

BAC_NINH = {"bvdk", "tien_du", "tyt_tien_du", "tu_son"}
NAMES = {
    "bvdk": "Trần Văn Bình",
    "tien_du": "Lê Thị Cúc",
    "tyt_tien_du": "Phạm Thu Dung",
    "tu_son": "Hoàng Minh Giang",
    "phu_binh": "Vũ Ngọc Khánh",
}


class WorkerMatrix:
    model = HealthWorker
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
        return SimpleNamespace(
            **{
                key: HealthWorkerFactory(facility=getattr(network, key), full_name=name)
                for key, name in NAMES.items()
            }
        )

    def target(self, world, role):
        return world.phu_binh if role == "doh_tn" else world.tyt_tien_du

    def foreign(self, world, role):
        return world.tyt_tien_du if role == "doh_tn" else world.phu_binh

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.full_name

    def created(self, data):
        return HealthWorker.objects.filter(licence_number="999001/TEST")

    def edited(self, obj):
        return self.reload(obj).position == "(đã sửa)"


class TestWorkerPages(WorkerMatrix, ScopedViewTests):
    url_names = {
        "list": "worker_list",
        "detail": "worker_detail",
        "add": "worker_add",
        "edit": "worker_edit",
        "retire": "worker_retire",
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
        args = [obj.uid] if obj is not None else []
        return reverse(f"people:{self.url_names[name]}", args=args)

    def create_data(self, world, role):
        facility = world.phu_binh.facility if role == "doh_tn" else world.tyt_tien_du.facility
        return {
            "facility": facility.pk,
            "full_name": "Đỗ Xuân Mới",
            "sex": "male",
            "birth_date": "1990-01-02",
            "profession": "doctor",
            "licence_number": "999001/TEST",
            "licence_date": "2016-05-06",
        }

    def edit_data(self, obj):
        return {
            "facility": obj.facility.pk,
            "full_name": obj.full_name,
            "sex": obj.sex,
            "birth_date": obj.birth_date.isoformat(),
            "profession": obj.profession,
            "position": "(đã sửa)",
            "licence_number": obj.licence_number,
            "licence_date": obj.licence_date.isoformat(),
            "phone": obj.phone,
        }


class TestWorkerAPI(WorkerMatrix, ScopedAPITests):
    api_url = "/api/workers/"
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

    def key_of_json(self, item):
        return item["uid"]

    def api_create_data(self, world, role):
        facility = world.phu_binh.facility if role == "doh_tn" else world.tyt_tien_du.facility
        return {
            "facility": facility.uid,
            "full_name": "Đỗ Xuân Mới",
            "profession": "doctor",
            "licence_number": "999001/TEST",
        }

    def api_edit_data(self, obj):
        return {"position": "(đã sửa)"}
