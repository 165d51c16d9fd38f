"""Survey pages: open a survey, who answered, the answer page with its four formsets."""

import datetime

import pytest
from django.urls import reverse

from doha.orgunits.models import FacilityType
from doha.programmes import services
from doha.programmes.models import (
    EquipmentNeed,
    NeedsSurvey,
    ResponseStatus,
    SurveyResponse,
    SurveyStatus,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingNeed,
)
from tests.mixins import client_for
from tests.programmes.factories import SurveyFactory, today
from tests.programmes.helpers import NEED_PREFIXES, formset, post_data, sheets

DAY = datetime.timedelta(days=1)


@pytest.fixture
def survey(network):
    return SurveyFactory(
        title="Khảo sát nhu cầu Bắc Ninh 2026",
        organiser=network.syt_bn,
        facilities=[network.tien_du, network.tu_son, network.bvdk],
    )


def respond_url(survey, facility):
    return reverse("programmes:response_edit", args=[survey.uid, facility.uid])


class TestOpenSurveyPage:
    def test_open_for_the_centres_of_the_province(self, network, users):
        client, _user = client_for(users, "doh")
        assert client.get(reverse("programmes:survey_add")).status_code == 200
        response = client.post(
            reverse("programmes:survey_add"),
            {
                "title": "Khảo sát nhu cầu CGKT 2026",
                "organiser": network.syt_bn.pk,
                "framework": "line_direction",
                "opens_on": today().isoformat(),
                "deadline": (today() + 30 * DAY).isoformat(),
                "status": "open",
                "under": network.syt_bn.pk,
                "facility_types": [FacilityType.HEALTH_CENTRE],
                "facilities": [network.bvdk.pk],
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        survey = NeedsSurvey.objects.get()
        assert response["Location"] == survey.get_absolute_url()
        assert set(survey.facilities.all()) == {network.bvdk, network.tien_du, network.tu_son}

    def test_nobody_asked_is_refused_on_the_form(self, network, users):
        client, _user = client_for(users, "doh")
        response = client.post(
            reverse("programmes:survey_add"),
            {
                "title": "Khảo sát",
                "organiser": network.syt_bn.pk,
                "framework": "line_direction",
                "opens_on": today().isoformat(),
                "deadline": (today() + 30 * DAY).isoformat(),
                "status": "open",
            },
        )
        assert response.status_code == 400
        assert response.context["form"].errors["facilities"]
        assert not NeedsSurvey.objects.exists()

    def test_edit_asks_more_and_closes(self, survey, network, users):
        client, _user = client_for(users, "doh")
        response = client.post(
            reverse("programmes:survey_edit", args=[survey.uid]),
            {
                "title": survey.title,
                "framework": survey.framework,
                "opens_on": survey.opens_on.isoformat(),
                "deadline": (survey.deadline + 10 * DAY).isoformat(),
                "status": "open",
                "facilities": [network.tyt_tien_du.pk],
                "remove": [network.bvdk.pk],
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        survey.refresh_from_db()
        assert set(survey.facilities.all()) == {
            network.tien_du,
            network.tu_son,
            network.tyt_tien_du,
        }
        client.post(reverse("programmes:survey_close", args=[survey.uid]))
        survey.refresh_from_db()
        assert survey.status == SurveyStatus.CLOSED


class TestSurveyDetail:
    def test_who_answered_who_has_not(self, survey, network, users):
        r = services.save_response(survey, network.tien_du, contact="x")
        services.submit_response(r)
        services.save_response(survey, network.tu_son)
        client, _user = client_for(users, "doh")
        response = client.get(survey.get_absolute_url())
        assert response.status_code == 200
        ctx = response.context
        assert (ctx["n_asked"], ctx["n_submitted"], ctx["n_draft"], ctx["n_missing"]) == (
            3,
            1,
            1,
            1,
        )
        text = response.content.decode()
        assert network.bvdk.name in text and network.tu_son.name in text

    def test_a_facility_sees_only_its_own_line(self, survey, network, users):
        services.save_response(survey, network.tu_son)
        client, _user = client_for(users, "clerk")
        response = client.get(survey.get_absolute_url())
        assert response.status_code == 200
        text = response.content.decode()
        assert network.tien_du.name in text
        assert network.tu_son.name not in text and network.bvdk.name not in text
        assert respond_url(survey, network.tien_du) in text

    def test_export(self, survey, network, users, catalog):
        services.save_response(
            survey,
            network.tien_du,
            technique_needs=[TechniqueNeed(technique=catalog.umbilical)],
            training_needs=[
                TrainingNeed(kind="cme", topic="CME"),
                TrainingNeed(kind="cme", topic="B"),
            ],
        )
        client, _user = client_for(users, "doh")
        response = client.get(survey.get_absolute_url(), {"export": "xlsx"})
        assert response.status_code == 200
        rows = next(iter(sheets(response).values()))
        by_facility = {row[0]: row for row in rows[1:]}
        assert set(by_facility) == {network.tien_du.name, network.tu_son.name, network.bvdk.name}
        tien_du = by_facility[network.tien_du.name]
        assert tien_du[4:8] == [1, 2, 0, 0]


class TestAnswerPage:
    def test_register_needs_of_the_four_kinds(self, survey, network, users, catalog):
        client, _user = client_for(users, "clerk")
        url = respond_url(survey, network.tien_du)
        page = client.get(url)
        assert page.status_code == 200
        for prefix in NEED_PREFIXES:
            assert f'name="{prefix}-TOTAL_FORMS"' in page.content.decode()
        data = post_data(
            {"contact": "Phòng KHTH", "note": ""},
            NEED_PREFIXES,
            technique=[
                {"technique": catalog.umbilical.pk, "people_to_train": 3, "priority": 1},
                {"technique": "", "people_to_train": 1, "priority": 2},  # blank extra row
            ],
            training=[
                {"kind": "short_term", "topic": "Hồi sức sơ sinh", "people": 4, "priority": 2}
            ],
            teleconsult=[{"specialty": catalog.nhi.pk, "sessions_per_month": 2, "priority": 2}],
            equipment=[
                {
                    "item": "Máy thở sơ sinh",
                    "quantity": 2,
                    "unit": "máy",
                    "priority": 1,
                    "specialty": catalog.nhi.pk,
                    "estimated_value": 900000000,
                }
            ],
        )
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        answer = SurveyResponse.objects.get()
        assert response["Location"] == answer.get_absolute_url()
        assert answer.contact == "Phòng KHTH"
        assert answer.techniqueneeds.get().people_to_train == 3
        assert answer.trainingneeds.count() == answer.teleconsultneeds.count() == 1
        assert answer.equipmentneeds.get().estimated_value == 900_000_000

    def test_one_bad_row_saves_nothing(self, survey, network, users, catalog):
        client, _user = client_for(users, "clerk")
        data = post_data(
            {"contact": "x"},
            NEED_PREFIXES,
            technique=[{"technique": catalog.umbilical.pk, "people_to_train": 3, "priority": 1}],
            training=[{"kind": "short_term", "topic": "Hồi sức", "people": 4, "priority": 2}],
            equipment=[{"item": "Máy thở", "quantity": "-3", "priority": 1}],
        )
        response = client.post(respond_url(survey, network.tien_du), data)
        assert response.status_code == 400
        assert not SurveyResponse.objects.exists()
        assert not TechniqueNeed.objects.exists() and not TrainingNeed.objects.exists()

    def test_a_technique_twice_saves_nothing(self, survey, network, users, catalog):
        client, _user = client_for(users, "clerk")
        data = post_data(
            {"contact": "x"},
            NEED_PREFIXES,
            technique=[
                {"technique": catalog.umbilical.pk, "people_to_train": 1, "priority": 1},
                {"technique": catalog.umbilical.pk, "people_to_train": 2, "priority": 2},
            ],
        )
        response = client.post(respond_url(survey, network.tien_du), data)
        assert response.status_code == 400
        assert not SurveyResponse.objects.exists()

    def test_after_the_deadline_the_page_says_so(self, network, users, catalog):
        survey = SurveyFactory(
            organiser=network.syt_bn,
            facilities=[network.tien_du],
            opens_on=today() - 30 * DAY,
            deadline=today() + 2 * DAY,
        )
        NeedsSurvey.objects.filter(pk=survey.pk).update(deadline=today() - DAY)
        client, _user = client_for(users, "clerk")
        url = respond_url(survey, network.tien_du)
        page = client.get(url)
        assert "Đã quá hạn" in page.context["refusal"]
        data = post_data(
            {"contact": "x"},
            NEED_PREFIXES,
            technique=[{"technique": catalog.umbilical.pk, "people_to_train": 1, "priority": 1}],
        )
        response = client.post(url, data)
        assert response.status_code == 400
        errors = " ".join(response.context["form"].non_field_errors())
        assert "Đã quá hạn" in errors and (today() - DAY).strftime("%d/%m/%Y") in errors
        assert not SurveyResponse.objects.exists()

    def test_change_and_remove_rows(self, survey, network, users, catalog):
        answer = services.save_response(
            survey,
            network.tien_du,
            technique_needs=[
                TechniqueNeed(technique=catalog.umbilical),
                TechniqueNeed(technique=catalog.surfactant),
            ],
        )
        keep, drop = answer.techniqueneeds.order_by("technique__code")
        client, _user = client_for(users, "clerk")
        data = {"contact": "y", "note": ""}
        data.update(
            formset(
                "technique",
                [
                    {
                        "id": keep.pk,
                        "technique": keep.technique_id,
                        "people_to_train": 5,
                        "priority": 1,
                    },
                    {
                        "id": drop.pk,
                        "technique": drop.technique_id,
                        "people_to_train": 1,
                        "priority": 2,
                        "DELETE": "on",
                    },
                ],
                initial=2,
            )
        )
        for prefix in NEED_PREFIXES[1:]:
            data.update(formset(prefix, []))
        response = client.post(respond_url(survey, network.tien_du), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        assert [n.pk for n in answer.techniqueneeds.all()] == [keep.pk]
        assert answer.techniqueneeds.get().people_to_train == 5

    def test_more_rows(self, survey, network, users):
        client, _user = client_for(users, "clerk")
        data = post_data({"contact": ""}, NEED_PREFIXES, technique=[{}, {}])
        data["add_rows"] = "technique"
        response = client.post(respond_url(survey, network.tien_du), data)
        assert response.status_code == 200
        assert response.context["formsets"]["technique"].total_form_count() == 4
        assert not SurveyResponse.objects.exists()

    def test_only_facilities_asked_and_in_scope(self, survey, network, users):
        client, _user = client_for(users, "clerk")
        assert client.get(respond_url(survey, network.tyt_tien_du)).status_code == 404
        assert client.get(respond_url(survey, network.tu_son)).status_code == 404
        line, _user = client_for(users, "line")  # reads needs only
        assert line.get(respond_url(survey, network.bvdk)).status_code == 403

    def test_submit_then_reopen(self, survey, network, users):
        answer = services.save_response(survey, network.tien_du)
        client, _user = client_for(users, "clerk")
        page = client.get(answer.get_absolute_url())
        assert reverse("programmes:response_submit", args=[answer.pk]) in page.content.decode()
        client.post(reverse("programmes:response_submit", args=[answer.pk]))
        answer.refresh_from_db()
        assert answer.status == ResponseStatus.SUBMITTED
        # A submitted answer is not changed on the page ...
        page = client.get(respond_url(survey, network.tien_du))
        assert page.context["refusal"]
        client.post(reverse("programmes:response_reopen", args=[answer.pk]))
        answer.refresh_from_db()
        assert answer.status == ResponseStatus.DRAFT

    def test_answer_detail_lists_the_needs(self, survey, network, users, catalog):
        answer = services.save_response(
            survey,
            network.tien_du,
            technique_needs=[TechniqueNeed(technique=catalog.umbilical)],
            teleconsult_needs=[TeleconsultNeed(specialty=catalog.hscc)],
            equipment_needs=[EquipmentNeed(item="Lồng ấp sơ sinh", quantity=1)],
        )
        for role in ("clerk", "doh", "line", "viewer"):
            client, _user = client_for(users, role)
            text = client.get(answer.get_absolute_url()).content.decode()
            assert catalog.umbilical.name in text and "Lồng ấp sơ sinh" in text
        client, _user = client_for(users, "doh_tn")
        assert client.get(answer.get_absolute_url()).status_code == 404


class TestLookups:
    def test_techniques_without_accents(self, users, catalog):
        client, _user = client_for(users, "clerk")
        response = client.get(
            reverse("programmes:lookup_techniques"), {"technique__q": "dat catheter tinh mach ron"}
        )
        assert response.status_code == 200
        text = response.content.decode()
        assert catalog.umbilical.name in text and catalog.surfactant.name not in text
        response = client.get(reverse("programmes:lookup_techniques"), {"q": "NHI-L005"})
        assert catalog.surfactant.name in response.content.decode()

    def test_units_for_who_records_programmes(self, network, users):
        client, _user = client_for(users, "line")
        response = client.get(reverse("programmes:lookup_units"), {"q": "phu binh"})
        assert network.phu_binh.name in response.content.decode()
        clerk, _user = client_for(users, "clerk")
        assert clerk.get(reverse("programmes:lookup_units"), {"q": "x"}).status_code == 403
        anonymous, _user = client_for(users, "anonymous")
        assert anonymous.get(reverse("programmes:lookup_units")).status_code == 302
