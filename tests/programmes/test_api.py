"""REST API: nested writes in one request, the services' errors by field, the schema."""

import datetime

import pytest

from doha.programmes import services
from doha.programmes.models import (
    Assessment,
    NeedsSurvey,
    Programme,
    ResponseStatus,
    SurveyResponse,
    TechniqueNeed,
)
from tests.mixins import client_for
from tests.programmes.factories import SurveyFactory, make_programme, today

DAY = datetime.timedelta(days=1)
JSON = "application/json"


def post(client, url, data):
    return client.post(url, data, content_type=JSON)


def patch(client, url, data):
    return client.patch(url, data, content_type=JSON)


class TestProgrammes:
    def body(self, network, **overrides):
        data = {
            "number": "544/CT-SYT",
            "title": "Chương trình hợp tác",
            "kind": "cooperation",
            "framework": "cooperation",
            "signed_on": "2016-05-06",
            "start_date": "2016-05-06",
            "end_date": "2020-12-31",
            "parties": [
                {"org_unit": network.syt_bn.uid, "side": "provider", "role": "signatory"},
                {"org_unit": network.syt_tn.uid, "side": "recipient", "role": "signatory"},
                {
                    "org_unit": network.bvdk.uid,
                    "side": "provider",
                    "role": "implementer",
                    "area": "technique_transfer",
                    "assignment": "Khoa Nhi",
                },
            ],
            "areas": [
                {"area": "training"},
                {"area": "technique_transfer"},
                {"area": "equipment"},
                {"area": "socialisation"},
            ],
            "items": [
                {
                    "number": 1,
                    "area": "technique_transfer",
                    "title": "Chuyển giao 6 kỹ thuật",
                    "provider": network.bvdk.uid,
                    "recipient": network.phu_binh.uid,
                    "planned_start": "2016-09-01",
                    "planned_end": "2017-09-30",
                },
            ],
        }
        data.update(overrides)
        return data

    def test_create_with_everything_nested(self, network, users):
        client, _user = client_for(users, "admin")
        response = post(client, "/api/programmes/", self.body(network))
        assert response.status_code == 201, response.json()
        body = response.json()
        assert len(body["parties"]) == 3 and len(body["areas"]) == 4 and len(body["items"]) == 1
        assert body["progress"]["total"] == 1 and body["progress"]["late"] == 1
        assert Programme.objects.get().items.get().recipient == network.phu_binh

    def test_errors_by_field_and_nothing_saved(self, network, users):
        client, _user = client_for(users, "admin")
        body = self.body(network, parties=self.body(network)["parties"][:1])
        body["items"][0]["area"] = "telemedicine"
        response = post(client, "/api/programmes/", body)
        assert response.status_code == 400
        errors = response.json()
        assert "parties" in errors and "items" in errors
        assert not Programme.objects.exists()

    def test_errors_in_english_on_request(self, network, users):
        client, _user = client_for(users, "admin")
        body = self.body(network, parties=[])
        response = client.post(
            "/api/programmes/", body, content_type=JSON, headers={"Accept-Language": "en"}
        )
        assert "each side" in response.json()["parties"][0]

    def test_update_rows_by_id(self, network, users):
        client, _user = client_for(users, "admin")
        created = post(client, "/api/programmes/", self.body(network)).json()
        item = created["items"][0]
        url = f"/api/programmes/{created['uid']}/"
        response = patch(
            client,
            url,
            {
                "items": [
                    {"id": item["id"], "status": "done", "done_on": "2017-09-30"},
                    {
                        "number": 2,
                        "area": "training",
                        "title": "Đào tạo",
                        "planned_start": "2018-01-01",
                        "planned_end": "2018-06-30",
                    },
                ]
            },
        )
        assert response.status_code == 200, response.json()
        assert {i["number"]: i["status"] for i in response.json()["items"]} == {
            1: "done",
            2: "planned",
        }
        assert response.json()["progress"]["done"] == 1
        wrong = patch(client, url, {"items": [{"id": 999999, "title": "x"}]})
        assert wrong.status_code == 400 and "items" in wrong.json()

    def test_delete_cancels(self, network, users):
        p = make_programme(network.bvdk, network.tien_du)
        client, _user = client_for(users, "line")
        assert client.delete(f"/api/programmes/{p.uid}/").status_code == 204
        assert Programme.objects.get().status == "cancelled"

    def test_filters(self, network, users):
        make_programme(network.bvdk, network.tien_du, number="A")
        make_programme(
            network.bvdk,
            network.tu_son,
            number="B",
            start_date=datetime.date(2024, 1, 1),
            end_date=datetime.date(2024, 12, 31),
        )
        client, _user = client_for(users, "doh")
        numbers = {
            p["number"] for p in client.get("/api/programmes/", {"year": 2024}).json()["results"]
        }
        assert numbers == {"B"}
        numbers = {
            p["number"]
            for p in client.get("/api/programmes/", {"party": "tien du"}).json()["results"]
        }
        assert numbers == {"A"}


@pytest.fixture
def survey(network):
    return SurveyFactory(organiser=network.syt_bn, facilities=[network.tien_du, network.tu_son])


class TestSurveysAndAnswers:
    def test_open_for_a_province(self, network, users):
        client, _user = client_for(users, "doh")
        response = post(
            client,
            "/api/surveys/",
            {
                "title": "Khảo sát qua API",
                "organiser": network.syt_bn.uid,
                "under": network.syt_bn.uid,
                "facility_types": ["health_centre"],
                "opens_on": today().isoformat(),
                "deadline": (today() + 10 * DAY).isoformat(),
            },
        )
        assert response.status_code == 201, response.json()
        assert set(response.json()["facilities_asked"]) == {network.tien_du.uid, network.tu_son.uid}

    def test_facilities_become_exactly_the_list(self, survey, network, users):
        client, _user = client_for(users, "doh")
        services.save_response(survey, network.tien_du)
        url = f"/api/surveys/{survey.uid}/"
        response = patch(client, url, {"facilities": [network.tien_du.uid, network.bvdk.uid]})
        assert response.status_code == 200, response.json()
        assert set(survey.facilities.all()) == {network.tien_du, network.bvdk}
        response = patch(client, url, {"facilities": [network.bvdk.uid]})
        assert response.status_code == 400 and "remove" in response.json()

    def test_a_clerk_sees_only_its_own_facility_asked(self, survey, network, users):
        client, _user = client_for(users, "clerk")
        body = client.get(f"/api/surveys/{survey.uid}/").json()
        assert body["facilities_asked"] == [network.tien_du.uid]

    def test_answer_with_needs_then_submit(self, survey, network, users, catalog):
        client, _user = client_for(users, "clerk")
        response = post(
            client,
            "/api/survey-responses/",
            {
                "survey": survey.uid,
                "facility": network.tien_du.uid,
                "contact": "Phòng KHTH",
                "technique_needs": [{"technique": "NHI-L001", "people_to_train": 3}],
                "training_needs": [
                    {"kind": "long_term", "topic": "BS CKI Nhi", "specialty": "NHI"}
                ],
                "teleconsult_needs": [{"specialty": "HSCC", "sessions_per_month": 2}],
                "equipment_needs": [
                    {"item": "Máy thở", "quantity": 2, "estimated_value": 900000000}
                ],
            },
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["technique_needs"][0]["technique_name"] == catalog.umbilical.name
        assert body["equipment_needs"][0]["estimated_value"] == 900_000_000
        again = post(
            client,
            "/api/survey-responses/",
            {"survey": survey.uid, "facility": network.tien_du.uid},
        )
        assert again.status_code == 400 and "facility" in again.json()
        url = f"/api/survey-responses/{body['id']}/"
        need = body["technique_needs"][0]
        changed = patch(client, url, {"technique_needs": [{"id": need["id"], "priority": 1}]})
        assert changed.status_code == 200, changed.json()
        assert TechniqueNeed.objects.get().priority == 1
        submitted = client.post(url + "submit/")
        assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
        refused = patch(client, url, {"contact": "x"})
        assert refused.status_code == 400 and "status" in refused.json()
        assert client.post(url + "reopen/").json()["status"] == ResponseStatus.DRAFT

    def test_after_the_deadline(self, network, users):
        survey = SurveyFactory(
            organiser=network.syt_bn,
            facilities=[network.tien_du],
            opens_on=today() - 20 * DAY,
            deadline=today() + DAY,
        )
        NeedsSurvey.objects.filter(pk=survey.pk).update(deadline=today() - DAY)
        client, _user = client_for(users, "clerk")
        response = post(
            client,
            "/api/survey-responses/",
            {"survey": survey.uid, "facility": network.tien_du.uid},
        )
        assert response.status_code == 400
        assert "Đã quá hạn" in response.json()["survey"][0]
        assert not SurveyResponse.objects.exists()

    def test_a_survey_out_of_scope_does_not_exist(self, network, users):
        survey = SurveyFactory(organiser=network.syt_tn, facilities=[network.phu_binh])
        client, _user = client_for(users, "clerk")
        response = post(
            client,
            "/api/survey-responses/",
            {"survey": survey.uid, "facility": network.phu_binh.uid},
        )
        assert response.status_code == 400 and "survey" in response.json()

    def test_answers_are_not_deleted(self, survey, network, users):
        answer = services.save_response(survey, network.tien_du)
        client, _user = client_for(users, "doh")
        assert client.delete(f"/api/survey-responses/{answer.pk}/").status_code == 405


class TestAssessments:
    def test_nested_scores(self, network, users, catalog):
        client, _user = client_for(users, "line")
        response = post(
            client,
            "/api/assessments/",
            {
                "facility": network.tien_du.uid,
                "assessor": network.bvdk.uid,
                "date": "2022-02-17",
                "staff_score": 4,
                "equipment_score": 4,
                "infrastructure_score": 5,
                "specialties": [
                    {"specialty": "NHI", "score": 3},
                    {"specialty": "HSCC", "score": 4},
                ],
            },
        )
        assert response.status_code == 201, response.json()
        assert response.json()["overall_score"] == pytest.approx(4.3)
        bad = post(
            client,
            "/api/assessments/",
            {
                "facility": network.tien_du.uid,
                "assessor": network.bvdk.uid,
                "date": "2022-02-17",
                "staff_score": 4,
                "equipment_score": 4,
                "infrastructure_score": 5,
                "specialties": [{"specialty": "NHI", "score": 3}, {"specialty": "NHI", "score": 4}],
            },
        )
        assert bad.status_code == 400 and "specialties" in bad.json()
        assert Assessment.objects.count() == 1


def test_schema_documents_the_endpoints(users):
    client, _user = client_for(users, "admin")
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/surveys/",
        "/api/survey-responses/",
        "/api/survey-responses/{id}/submit/",
        "/api/needs/",
        "/api/assessments/",
        "/api/programmes/",
    ):
        assert path in schema["paths"], path
    needs = {p["name"] for p in schema["paths"]["/api/needs/"]["get"]["parameters"]}
    assert {"survey", "facility", "specialty", "kind", "priority", "status"} <= needs
