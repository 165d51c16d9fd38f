"""Who sees and changes which surveys, answers, assessments and programmes, on the pages,
in the exports and through the API. The tables are the specification (see tests/mixins.py).

The world: in Bắc Ninh a survey of the DOH (asking Tiên Du and Từ Sơn) and one of the
provincial hospital (asking Từ Sơn); a plan of the hospital for Tiên Du; a programme of the
Thái Nguyên DOH with Từ Sơn (across provinces); in Thái Nguyên a survey and a plan of its own.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse

from doha.programmes import services
from doha.programmes.models import (
    Assessment,
    ContentArea,
    NeedsSurvey,
    Programme,
    ProgrammeStatus,
    SurveyResponse,
    SurveyStatus,
)
from tests.mixins import ALL, ScopedAPITests, ScopedViewTests
from tests.programmes.factories import AssessmentFactory, SurveyFactory, make_programme, today
from tests.programmes.helpers import PROGRAMME_PREFIXES, formset, post_data

DAY = datetime.timedelta(days=1)
EDITED = " (đã sửa)"

PAGE_MATRIX = """
            list   export_xlsx detail foreign add   edit  foreign_edit
anonymous   login  login       login  login   login login login
admin       ok     ok          ok     -       ok    ok    -
doh         ok     ok          ok     404     ok    ok    404
line        ok     ok          ok     404     ok    ok    404
clerk       ok     ok          ok     404     403   403   403
viewer      ok     ok          ok     404     403   403   403
doh_tn      ok     ok          ok     404     ok    ok    404
"""

API_MATRIX = """
            list   detail foreign create update foreign_update delete foreign_delete
anonymous   login  login  login   login  login  login          login  login
admin       ok     ok     -       ok     ok     -              ok     -
doh         ok     ok     404     ok     ok     404            ok     404
line        ok     ok     404     ok     ok     404            ok     404
clerk       ok     ok     404     403    403    403            403    403
viewer      ok     ok     404     403    403    403            403    403
doh_tn      ok     ok     404     ok     ok     404            ok     404
"""


class PageURLs:
    """This app names its pages <model>_list, <model>_detail ... in one namespace."""

    url_namespace = "programmes"
    page_prefix = ""

    def url(self, name, obj=None):
        args = [getattr(obj, self.lookup)] if obj is not None else []
        return reverse(f"programmes:{self.page_prefix}_{name}", args=args)


# ---------------------------------------------------------------- surveys


class SurveyMatrix:
    model = NeedsSurvey
    scope = {
        "admin": ALL,
        "doh": {"bn", "bvdk"},
        "line": {"bn", "bvdk"},
        "viewer": {"bn", "bvdk"},
        "clerk": {"bn"},  # Tiên Du is asked by the DOH's survey only
        "doh_tn": {"tn"},
    }

    @pytest.fixture
    def world(self, network):
        self.network = network
        return SimpleNamespace(
            bn=SurveyFactory(
                title="Khảo sát Sở Y tế Bắc Ninh",
                organiser=network.syt_bn,
                facilities=[network.tien_du, network.tu_son],
            ),
            bvdk=SurveyFactory(
                title="Khảo sát của BVĐK cho Từ Sơn",
                organiser=network.bvdk,
                facilities=[network.tu_son],
            ),
            tn=SurveyFactory(
                title="Khảo sát Sở Y tế Thái Nguyên",
                organiser=network.syt_tn,
                facilities=[network.phu_binh],
            ),
        )

    def key(self, obj):
        return obj.title

    def label(self, obj):
        return obj.title

    def target(self, world, role):
        return world.tn if role == "doh_tn" else world.bn

    def foreign(self, world, role):
        return {"doh_tn": world.bn, "clerk": world.bvdk}.get(role, world.tn)

    def organiser_and_facility(self, role):
        n = self.network
        return {
            "doh_tn": (n.syt_tn, n.phu_binh),
            "line": (n.bvdk, n.tien_du),
        }.get(role, (n.syt_bn, n.tien_du))

    def created(self, data):
        return NeedsSurvey.objects.filter(title=data["title"])

    def edited(self, obj):
        return self.reload(obj).title.endswith(EDITED)

    def retired(self, obj):
        return self.reload(obj).status == SurveyStatus.CLOSED


class TestSurveyPages(SurveyMatrix, PageURLs, ScopedViewTests):
    page_prefix = "survey"
    matrix = PAGE_MATRIX

    def create_data(self, world, role):
        organiser, facility = self.organiser_and_facility(role)
        return {
            "title": "Khảo sát mới",
            "organiser": organiser.pk,
            "framework": "line_direction",
            "opens_on": today().isoformat(),
            "deadline": (today() + 20 * DAY).isoformat(),
            "status": "open",
            "facilities": [facility.pk],
        }

    def edit_data(self, obj):
        return {
            "title": obj.title + EDITED,
            "framework": obj.framework,
            "opens_on": obj.opens_on.isoformat(),
            "deadline": obj.deadline.isoformat(),
            "status": obj.status,
        }


class TestSurveyAPI(SurveyMatrix, ScopedAPITests):
    api_url = "/api/surveys/"
    matrix = API_MATRIX

    def key_of_json(self, item):
        return item["title"]

    def api_create_data(self, world, role):
        organiser, facility = self.organiser_and_facility(role)
        return {
            "title": "Khảo sát mới",
            "organiser": organiser.uid,
            "facilities": [facility.uid],
            "opens_on": today().isoformat(),
            "deadline": (today() + 20 * DAY).isoformat(),
        }

    def api_edit_data(self, obj):
        return {"title": obj.title + EDITED}


# ---------------------------------------------------------------- answers (API)


class TestResponseAPI(ScopedAPITests):
    model = SurveyResponse
    api_url = "/api/survey-responses/"
    lookup = "pk"
    scope = {
        "admin": ALL,
        "doh": {"tien_du", "tu_son"},
        "line": {"tien_du", "tu_son"},
        "viewer": {"tien_du", "tu_son"},
        "clerk": {"tien_du"},
        "doh_tn": {"phu_binh"},
    }
    matrix = """
                list   detail foreign create update foreign_update
    anonymous   login  login  login   login  login  login
    admin       ok     ok     -       ok     ok     -
    doh         ok     ok     404     ok     ok     404
    line        ok     ok     404     403    403    403
    clerk       ok     ok     404     ok     ok     404
    viewer      ok     ok     404     403    403    403
    doh_tn      ok     ok     404     ok     ok     404
    """

    @pytest.fixture
    def world(self, network):
        self.network = network
        self.bn = SurveyFactory(
            organiser=network.syt_bn,
            facilities=[network.tien_du, network.tu_son, network.tyt_tien_du],
        )
        self.tn = SurveyFactory(
            organiser=network.syt_tn, facilities=[network.phu_binh, network.tyt_phu_binh]
        )
        return SimpleNamespace(
            tien_du=services.save_response(self.bn, network.tien_du, contact="KHTH Tiên Du"),
            tu_son=services.save_response(self.bn, network.tu_son, contact="KHTH Từ Sơn"),
            phu_binh=services.save_response(self.tn, network.phu_binh, contact="KHTH Phú Bình"),
        )

    def key(self, obj):
        return obj.facility.name

    def label(self, obj):
        return obj.contact

    def key_of_json(self, item):
        return item["facility_name"]

    def target(self, world, role):
        return world.phu_binh if role == "doh_tn" else world.tien_du

    def foreign(self, world, role):
        return world.tien_du if role == "doh_tn" else world.phu_binh

    def api_create_data(self, world, role):
        if role == "doh_tn":
            return {"survey": self.tn.uid, "facility": self.network.tyt_phu_binh.uid}
        return {
            "survey": self.bn.uid,
            "facility": self.network.tyt_tien_du.uid,
            "training_needs": [{"kind": "cme", "topic": "Cấp cứu ban đầu", "people": 3}],
        }

    def created(self, data):
        return SurveyResponse.objects.filter(facility__uid=data["facility"])

    def api_edit_data(self, obj):
        return {"contact": obj.contact + EDITED}

    def edited(self, obj):
        return self.reload(obj).contact.endswith(EDITED)


# ---------------------------------------------------------------- assessments


class AssessmentMatrix:
    model = Assessment
    lookup = "pk"
    scope = {
        "admin": ALL,
        "doh": {"tien_du", "tu_son"},
        "line": {"tien_du", "tu_son"},
        "viewer": {"tien_du", "tu_son"},
        "clerk": {"tien_du"},
        "doh_tn": {"phu_binh"},
    }

    @pytest.fixture
    def world(self, network):
        self.network = network
        return SimpleNamespace(
            tien_du=AssessmentFactory(facility=network.tien_du, assessor=network.bvdk),
            tu_son=AssessmentFactory(facility=network.tu_son, assessor=network.bvdk),
            phu_binh=AssessmentFactory(facility=network.phu_binh, assessor=network.syt_tn),
        )

    def key(self, obj):
        return obj.facility.name

    def label(self, obj):
        return obj.facility.name

    def target(self, world, role):
        return world.phu_binh if role == "doh_tn" else world.tien_du

    def foreign(self, world, role):
        return {"doh_tn": world.tien_du, "clerk": world.tu_son}.get(role, world.phu_binh)

    def units(self, role):
        n = self.network
        return (n.tyt_phu_binh, n.phu_binh) if role == "doh_tn" else (n.tyt_tien_du, n.bvdk)

    def created(self, data):
        return Assessment.objects.filter(team="Đoàn thẩm định mới")

    def edited(self, obj):
        return self.reload(obj).conclusion.endswith(EDITED)


class TestAssessmentPages(AssessmentMatrix, PageURLs, ScopedViewTests):
    page_prefix = "assessment"
    matrix = PAGE_MATRIX

    def create_data(self, world, role):
        facility, assessor = self.units(role)
        data = {
            "facility": facility.pk,
            "assessor": assessor.pk,
            "date": "2025-03-01",
            "team": "Đoàn thẩm định mới",
            "staff_score": 5,
            "equipment_score": 5,
            "infrastructure_score": 5,
        }
        data.update(formset("specialties", []))
        return data

    def edit_data(self, obj):
        data = {
            "facility": obj.facility_id,
            "assessor": obj.assessor_id,
            "date": obj.date.isoformat(),
            "staff_score": obj.staff_score,
            "equipment_score": obj.equipment_score,
            "infrastructure_score": obj.infrastructure_score,
            "conclusion": "Kết luận" + EDITED,
        }
        data.update(formset("specialties", []))
        return data


class TestAssessmentAPI(AssessmentMatrix, ScopedAPITests):
    api_url = "/api/assessments/"
    matrix = """
                list   detail foreign create update foreign_update
    anonymous   login  login  login   login  login  login
    admin       ok     ok     -       ok     ok     -
    doh         ok     ok     404     ok     ok     404
    line        ok     ok     404     ok     ok     404
    clerk       ok     ok     404     403    403    403
    viewer      ok     ok     404     403    403    403
    doh_tn      ok     ok     404     ok     ok     404
    """

    def key_of_json(self, item):
        return item["facility_name"]

    def api_create_data(self, world, role):
        facility, assessor = self.units(role)
        return {
            "facility": facility.uid,
            "assessor": assessor.uid,
            "date": "2025-03-01",
            "team": "Đoàn thẩm định mới",
            "staff_score": 5,
            "equipment_score": 5,
            "infrastructure_score": 5,
        }

    def api_edit_data(self, obj):
        return {"conclusion": "Kết luận" + EDITED}


# ---------------------------------------------------------------- programmes


class ProgrammeMatrix:
    model = Programme
    scope = {
        "admin": ALL,
        "doh": {"bn", "cross"},
        "line": {"bn", "cross"},
        "viewer": {"bn", "cross"},
        "clerk": {"bn"},
        "doh_tn": {"cross", "tn"},
    }

    @pytest.fixture
    def world(self, network):
        self.network = network
        return SimpleNamespace(
            bn=make_programme(
                network.bvdk, network.tien_du, number="1/KH-BVĐK", title="Hỗ trợ toàn diện Tiên Du"
            ),
            cross=make_programme(
                network.syt_tn,
                network.tu_son,
                number="2/CT-SYT",
                title="Hợp tác Thái Nguyên và Từ Sơn",
            ),
            tn=make_programme(
                network.syt_tn, network.phu_binh, number="3/KH-SYT", title="Hỗ trợ Phú Bình"
            ),
        )

    def key(self, obj):
        return obj.number

    def label(self, obj):
        return obj.title

    def target(self, world, role):
        return world.tn if role == "doh_tn" else world.bn

    def foreign(self, world, role):
        return {"doh_tn": world.bn, "clerk": world.cross}.get(role, world.tn)

    def sides(self, role):
        n = self.network
        return {
            "doh_tn": (n.syt_tn, n.tyt_phu_binh),
            "line": (n.bvdk, n.tu_son),
        }.get(role, (n.bvdk, n.tyt_tien_du))

    def created(self, data):
        return Programme.objects.filter(number="99/KH")

    def edited(self, obj):
        return self.reload(obj).title.endswith(EDITED)

    def retired(self, obj):
        return self.reload(obj).status == ProgrammeStatus.CANCELLED


class TestProgrammePages(ProgrammeMatrix, PageURLs, ScopedViewTests):
    page_prefix = "programme"
    matrix = PAGE_MATRIX

    def form(self, **overrides):
        data = {
            "number": "99/KH",
            "title": "Kế hoạch mới",
            "kind": "support_plan",
            "framework": "line_direction",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "status": "active",
            "min_secondment_months": 3,
            "max_secondment_months": 6,
        }
        data.update(overrides)
        return data

    def create_data(self, world, role):
        provider, recipient = self.sides(role)
        return post_data(
            self.form(),
            PROGRAMME_PREFIXES,
            parties=[
                {"org_unit": provider.pk, "side": "provider", "role": "signatory"},
                {"org_unit": recipient.pk, "side": "recipient", "role": "signatory"},
            ],
            areas=[{"area": ContentArea.TRAINING}],
        )

    def edit_data(self, obj):
        data = self.form(
            number=obj.number,
            title=obj.title + EDITED,
            start_date=obj.start_date.isoformat(),
            end_date=obj.end_date.isoformat(),
        )
        parties = [
            {"id": p.pk, "org_unit": p.org_unit_id, "side": p.side, "role": p.role}
            for p in obj.parties.all()
        ]
        areas = [{"id": a.pk, "area": a.area} for a in obj.areas.all()]
        data.update(formset("parties", parties, initial=len(parties)))
        data.update(formset("areas", areas, initial=len(areas)))
        data.update(formset("items", []))
        return data


class TestProgrammeAPI(ProgrammeMatrix, ScopedAPITests):
    api_url = "/api/programmes/"
    matrix = API_MATRIX

    def key_of_json(self, item):
        return item["number"]

    def api_create_data(self, world, role):
        provider, recipient = self.sides(role)
        return {
            "number": "99/KH",
            "title": "Kế hoạch mới",
            "kind": "support_plan",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "parties": [
                {"org_unit": provider.uid, "side": "provider", "role": "signatory"},
                {"org_unit": recipient.uid, "side": "recipient", "role": "signatory"},
            ],
            "areas": [{"area": "training"}],
        }

    def api_edit_data(self, obj):
        return {"title": obj.title + EDITED}


def test_matrix_tables_name_every_role(users):
    roles = {name for name in vars(users) if name != "password"}
    classes = (
        TestSurveyPages,
        TestSurveyAPI,
        TestResponseAPI,
        TestAssessmentPages,
        TestAssessmentAPI,
        TestProgrammePages,
        TestProgrammeAPI,
    )
    for cls in classes:
        table_roles = {line.split()[0] for line in cls.matrix.strip().splitlines()[1:]}
        assert table_roles == roles | {"anonymous"}, cls.__name__
        assert set(cls.scope) == roles, cls.__name__
