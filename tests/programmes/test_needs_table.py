"""The province needs table: every need of every answer the user may see, one table, filters,
.xlsx export, and the same as JSON at /api/needs/."""

import pytest
from django.conf import settings

from doha.programmes import services
from doha.programmes.models import (
    EquipmentNeed,
    NeedStatus,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingNeed,
)
from tests.factories import OrgUnitFactory
from tests.mixins import client_for
from tests.programmes.factories import SurveyFactory
from tests.programmes.helpers import sheets

URL = "/programmes/needs/"


@pytest.fixture
def needs(network, catalog):
    """Bắc Ninh: Tiên Du (4 needs, submitted) and Từ Sơn (1 need, draft);
    Thái Nguyên: Phú Bình (1 need) in a survey of its own DOH."""
    survey = SurveyFactory(
        title="Khảo sát Bắc Ninh",
        organiser=network.syt_bn,
        facilities=[network.tien_du, network.tu_son],
    )
    tien_du = services.save_response(
        survey,
        network.tien_du,
        technique_needs=[TechniqueNeed(technique=catalog.umbilical, priority=1, people_to_train=3)],
        training_needs=[
            TrainingNeed(
                kind="short_term", topic="Hồi sức sơ sinh", people=4, specialty=catalog.nhi
            )
        ],
        teleconsult_needs=[TeleconsultNeed(specialty=catalog.hscc, sessions_per_month=2)],
        equipment_needs=[
            EquipmentNeed(
                item="Máy thở", quantity=2, unit="máy", priority=1, estimated_value=1_200_000_000
            )
        ],
    )
    services.submit_response(tien_du)
    services.save_response(
        survey,
        network.tu_son,
        technique_needs=[TechniqueNeed(technique=catalog.ventilation, priority=3)],
    )
    other = SurveyFactory(
        title="Khảo sát Thái Nguyên", organiser=network.syt_tn, facilities=[network.phu_binh]
    )
    services.save_response(
        other,
        network.phu_binh,
        equipment_needs=[EquipmentNeed(item="Máy siêu âm Phú Bình", quantity=1)],
    )
    return survey


def shown(response):
    return {(row.facility.code, row.kind) for row in response.context["page_obj"].object_list}


class TestTable:
    def test_all_kinds_in_one_table(self, needs, network, users):
        client, _user = client_for(users, "doh")
        response = client.get(URL)
        assert response.status_code == 200
        assert shown(response) == {
            ("BN-TTYT-TIENDU", "technique"),
            ("BN-TTYT-TIENDU", "training"),
            ("BN-TTYT-TIENDU", "teleconsult"),
            ("BN-TTYT-TIENDU", "equipment"),
            ("BN-TTYT-TUSON", "technique"),
        }
        assert "Máy siêu âm Phú Bình" not in response.content.decode()

    @pytest.mark.parametrize(
        "params,expected",
        [
            ({"kind": "equipment"}, {("BN-TTYT-TIENDU", "equipment")}),
            ({"priority": "1"}, {("BN-TTYT-TIENDU", "technique"), ("BN-TTYT-TIENDU", "equipment")}),
            (
                {"specialty": "NHI"},
                {("BN-TTYT-TIENDU", "technique"), ("BN-TTYT-TIENDU", "training")},
            ),
            (
                {"specialty": "HSCC"},
                {("BN-TTYT-TIENDU", "teleconsult"), ("BN-TTYT-TUSON", "technique")},
            ),
            ({"facility": "tu son"}, {("BN-TTYT-TUSON", "technique")}),
            ({"facility": "BN-TTYT-TUSON"}, {("BN-TTYT-TUSON", "technique")}),
            ({"response_status": "draft"}, {("BN-TTYT-TUSON", "technique")}),
            ({"status": "planned"}, set()),
        ],
    )
    def test_filters(self, needs, users, params, expected):
        client, _user = client_for(users, "doh")
        assert shown(client.get(URL, params)) == expected

    def test_filter_by_survey_and_status(self, needs, users):
        TechniqueNeed.objects.filter(response__facility__code="BN-TTYT-TUSON").update(
            status=NeedStatus.PLANNED
        )
        client, _user = client_for(users, "doh")
        assert shown(client.get(URL, {"status": "planned"})) == {("BN-TTYT-TUSON", "technique")}
        assert len(shown(client.get(URL, {"survey": needs.uid}))) == 5
        admin, _user = client_for(users, "admin")
        assert len(shown(admin.get(URL))) == 6

    @pytest.mark.parametrize(
        "role,codes",
        [
            ("admin", {"BN-TTYT-TIENDU", "BN-TTYT-TUSON", "TN-TTYT-PHUBINH"}),
            ("doh", {"BN-TTYT-TIENDU", "BN-TTYT-TUSON"}),
            ("line", {"BN-TTYT-TIENDU", "BN-TTYT-TUSON"}),
            ("viewer", {"BN-TTYT-TIENDU", "BN-TTYT-TUSON"}),
            ("clerk", {"BN-TTYT-TIENDU"}),
            ("doh_tn", {"TN-TTYT-PHUBINH"}),
        ],
    )
    def test_scope(self, needs, users, role, codes):
        client, _user = client_for(users, role)
        response = client.get(URL)
        assert {code for code, _kind in shown(response)} == codes
        api = client.get("/api/needs/", {"limit": 100}).json()
        assert {row["facility_code"] for row in api["results"]} == codes
        export = client.get(URL, {"export": "xlsx"})
        rows = next(iter(sheets(export).values()))[1:]
        assert {row[1] for row in rows} == codes

    def test_the_organiser_sees_the_answers_to_its_surveys(self, network, users, catalog):
        """A hospital outside the province surveys it: its line officer reads the answers."""
        central = OrgUnitFactory(
            code="BVTW",
            name="Bệnh viện Trung ương",
            parent=network.moh,
            facility_type="central_hospital",
        )
        survey = SurveyFactory(organiser=central, facilities=[network.phu_binh])
        services.save_response(
            survey, network.phu_binh, training_needs=[TrainingNeed(kind="cme", topic="CME")]
        )
        from tests.factories import UserFactory

        officer = UserFactory(username="cdt.bvtw", role="line_officer", org_unit=central)
        client = client_for(SimpleUsers(officer), "officer")[0]
        assert shown(client.get(URL)) == {("TN-TTYT-PHUBINH", "training")}

    def test_anonymous(self, users):
        client, _user = client_for(users, "anonymous")
        assert client.get(URL).status_code == 302
        assert client.get("/api/needs/").status_code in (401, 403)


class SimpleUsers:
    def __init__(self, officer):
        self.officer = officer


class TestExport:
    def test_columns_and_values(self, needs, users):
        client, _user = client_for(users, "doh")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.get(URL, {"export": "xlsx", "facility": "BN-TTYT-TIENDU"})
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith('.xlsx"')
        header, *rows = next(iter(sheets(response).values()))
        assert header[:5] == ["Facility", "Facility code", "Survey", "Kind of need", "Need"]
        equipment = next(r for r in rows if r[4] == "Máy thở")
        assert equipment[6] == 2 and equipment[7] == "máy" and equipment[8] == 1_200_000_000
        technique = next(r for r in rows if r[4].startswith("NHI-L001"))
        assert technique[5] == "Nhi khoa" and technique[6] == 3
        assert len(rows) == 4

    def test_export_needs_the_right(self, needs, users, monkeypatch):
        from doha.core import permissions

        monkeypatch.setitem(permissions.MATRIX, "viewer", {"*": {"view"}})
        client, _user = client_for(users, "viewer")
        assert client.get(URL).status_code == 200
        assert client.get(URL, {"export": "xlsx"}).status_code == 403


class TestAPI:
    def test_rows_and_filters(self, needs, users):
        client, _user = client_for(users, "doh")
        body = client.get("/api/needs/", {"kind": "technique", "limit": 10}).json()
        assert body["count"] == 2
        umbilical = next(r for r in body["results"] if r["facility_code"] == "BN-TTYT-TIENDU")
        assert umbilical["technique"] == "NHI-L001"
        assert umbilical["specialty"] == "NHI"
        assert umbilical["survey"] == needs.uid
        assert umbilical["response_status"] == "submitted"

    def test_bad_filter_is_a_400(self, needs, users):
        client, _user = client_for(users, "doh")
        response = client.get("/api/needs/", {"kind": "nonsense"})
        assert response.status_code == 400
        assert "kind" in response.json()
