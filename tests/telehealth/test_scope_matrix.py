"""Who sees and changes which consultations, on the pages, in the exports and through the API.

A consultation belongs to both the requesting facility and the hub: either side's scope sees
it. Clerks record consultations of their facility; viewers only read."""

from types import SimpleNamespace

import pytest

from doha.orgunits.models import FacilityType
from doha.telehealth.models import Consultation, Outcome
from tests.factories import OrgUnitFactory
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests
from tests.telehealth.factories import make_consultation

BAC_NINH = {"c_bn", "c_cross"}


class ConsultationMatrix:
    model = Consultation
    scope = {
        "admin": ALL,
        "doh": BAC_NINH,
        "line": BAC_NINH,
        "viewer": BAC_NINH,
        "clerk": {"c_bn"},
        "doh_tn": {"c_tn", "c_cross"},
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
        c_bn = make_consultation(network.tien_du, network.bvdk, hours=2, outcome=Outcome.REFERRED)
        self.specialty = c_bn.specialty
        return SimpleNamespace(
            c_bn=c_bn,
            c_tn=make_consultation(network.phu_binh, self.bva_tn),
            c_cross=make_consultation(network.phu_binh, network.bvdk),
        )

    def key(self, obj):
        return obj.uid

    def label(self, obj):
        return obj.uid

    def key_of_json(self, item):
        return item["uid"]

    def target(self, world, role):
        return world.c_tn if role == "doh_tn" else world.c_bn

    def foreign(self, world, role):
        return world.c_bn if role == "doh_tn" else world.c_tn

    def parties_for(self, role):
        if role == "doh_tn":
            return self.net.phu_binh, self.bva_tn
        return self.net.tien_du, self.net.bvdk

    def edited(self, obj):
        return self.reload(obj).conclusion.endswith("(đã sửa)")


class TestConsultationPages(ConsultationMatrix, ScopedViewTests):
    url_namespace = "telehealth"
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

    def create_data(self, world, role):
        requesting, hub = self.parties_for(role)
        return {
            "requesting": requesting.pk,
            "hub": hub.pk,
            "specialty": self.specialty.pk,
            "urgency": "routine",
            "patient_age": 61,
            "patient_sex": "female",
            "patient_summary": f"Ho kéo dài, sụt cân ({role}).",
            "requested_at": "2025-06-01T08:00",
            "outcome": "pending",
        }

    def created(self, data):
        return Consultation.objects.filter(patient_summary=data["patient_summary"])

    def edit_data(self, obj):
        requesting, hub = obj.requesting, obj.hub
        return {
            "requesting": requesting.pk,
            "hub": hub.pk,
            "specialty": obj.specialty_id,
            "urgency": obj.urgency,
            "patient_age": obj.patient_age,
            "patient_sex": obj.patient_sex,
            "patient_summary": obj.patient_summary,
            "requested_at": "2025-03-01T08:00",
            "answered_at": "2025-03-01T09:00",
            "conclusion": "Điều trị tại chỗ (đã sửa)",
            "outcome": "treated_locally",
        }


class TestConsultationAPI(ConsultationMatrix, ScopedAPITests):
    api_url = "/api/consultations/"
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
        requesting, hub = self.parties_for(role)
        return {
            "requesting": requesting.uid,
            "hub": hub.uid,
            "specialty": self.specialty.code,
            "patient_age": 61,
            "patient_sex": "female",
            "patient_summary": f"Ho kéo dài, sụt cân ({role}).",
            "requested_at": "2025-06-01T08:00:00+07:00",
        }

    def created(self, data):
        return Consultation.objects.filter(patient_summary=data["patient_summary"])

    def api_edit_data(self, obj):
        return {"conclusion": "Điều trị tại chỗ (đã sửa)"}


def test_matrix_tables_name_every_role(users):
    roles = {name for name in vars(users) if name != "password"}
    for cls in (TestConsultationPages, TestConsultationAPI):
        table_roles = {line.split()[0] for line in cls.matrix.strip().splitlines()[1:]}
        assert table_roles == roles | {"anonymous"}
        assert set(cls.scope) == roles
