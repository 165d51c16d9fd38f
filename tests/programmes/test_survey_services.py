"""The rules of needs surveys and answers (services)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from doha.orgunits.models import FacilityType
from doha.programmes import services
from doha.programmes.models import (
    EquipmentNeed,
    NeedsSurvey,
    NeedStatus,
    ResponseStatus,
    SurveyStatus,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingKind,
    TrainingNeed,
)
from tests.factories import OrgUnitFactory
from tests.programmes.factories import SurveyFactory, TechniqueFactory, today

DAY = datetime.timedelta(days=1)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def new_survey(organiser, **kwargs):
    fields = {
        "title": "Khảo sát nhu cầu đào tạo 2026",
        "organiser": organiser,
        "opens_on": today(),
        "deadline": today() + 20 * DAY,
    }
    fields.update(kwargs)
    return NeedsSurvey(**fields)


class TestOpenSurvey:
    def test_facilities_under_a_unit_of_some_types(self, network):
        centres = services.facilities_under(network.syt_bn, [FacilityType.HEALTH_CENTRE])
        assert set(centres) == {network.tien_du, network.tu_son}
        everything = services.facilities_under(network.tien_du)
        assert set(everything) == {network.tyt_tien_du}

    def test_retired_facilities_are_not_asked(self, network):
        network.tyt_tu_son.active = False
        network.tyt_tu_son.save()
        stations = services.facilities_under(network.syt_bn, [FacilityType.COMMUNE_STATION])
        assert set(stations) == {network.tyt_tien_du}

    def test_open_for_a_province_subtree(self, network, users):
        survey = services.open_survey(
            new_survey(network.syt_bn),
            under=network.syt_bn,
            facility_types=[FacilityType.HEALTH_CENTRE, FacilityType.PROVINCIAL_HOSPITAL],
            user=users.doh,
        )
        assert set(survey.facilities.all()) == {network.bvdk, network.tien_du, network.tu_son}

    def test_open_for_chosen_facilities_and_a_subtree(self, network, users):
        survey = services.open_survey(
            new_survey(network.syt_bn),
            [network.bvdk],
            under=network.tien_du,
            user=users.doh,
        )
        assert set(survey.facilities.all()) == {network.bvdk, network.tyt_tien_du}

    def test_a_survey_asks_someone(self, network, users):
        with pytest.raises(ValidationError) as excinfo:
            services.open_survey(new_survey(network.syt_bn), [], user=users.doh)
        assert "facilities" in errors_of(excinfo)
        assert not NeedsSurvey.objects.exists()

    def test_deadline_not_before_opening(self, network):
        survey = new_survey(network.syt_bn, deadline=today() - 5 * DAY, opens_on=today())
        with pytest.raises(ValidationError) as excinfo:
            services.open_survey(survey, [network.tien_du])
        assert "deadline" in errors_of(excinfo)

    def test_an_open_survey_with_a_past_deadline_is_refused(self, network):
        survey = new_survey(network.syt_bn, opens_on=today() - 30 * DAY, deadline=today() - DAY)
        with pytest.raises(ValidationError) as excinfo:
            services.open_survey(survey, [network.tien_du])
        assert "deadline" in errors_of(excinfo)
        # ... but a past survey can be recorded as closed, or as it was on its dates.
        survey.status = SurveyStatus.CLOSED
        services.open_survey(survey, [network.tien_du])
        past = new_survey(network.syt_bn, opens_on=datetime.date(2024, 7, 24))
        past.deadline = datetime.date(2024, 8, 31)
        services.open_survey(past, [network.tien_du], today=datetime.date(2024, 7, 24))

    def test_organiser_or_every_facility_in_scope(self, network, users):
        # A DOH officer of Thái Nguyên cannot run a survey of Bắc Ninh for Bắc Ninh ...
        with pytest.raises(ValidationError) as excinfo:
            services.open_survey(new_survey(network.syt_bn), [network.tien_du], user=users.doh_tn)
        assert "organiser" in errors_of(excinfo)
        # ... but a Bắc Ninh officer may record a survey a Thái Nguyên unit runs in Bắc Ninh,
        services.open_survey(new_survey(network.syt_tn), [network.tien_du], user=users.doh)
        # and a Thái Nguyên unit may ask facilities elsewhere (central hospitals do).
        services.open_survey(new_survey(network.syt_tn), [network.tien_du], user=users.doh_tn)

    def test_the_role_must_allow_it(self, network, users):
        with pytest.raises(ValidationError):
            services.open_survey(
                new_survey(network.tien_du), [network.tyt_tien_du], user=users.clerk
            )

    def test_update_keeps_facilities_that_answered(self, network, users):
        survey = SurveyFactory(
            organiser=network.syt_bn, facilities=[network.tien_du, network.tu_son]
        )
        services.save_response(survey, network.tien_du, contact="KHTH")
        with pytest.raises(ValidationError) as excinfo:
            services.update_survey(survey, remove=[network.tien_du], user=users.doh)
        assert "remove" in errors_of(excinfo)
        services.update_survey(survey, remove=[network.tu_son], add=[network.bvdk], user=users.doh)
        assert set(survey.facilities.all()) == {network.tien_du, network.bvdk}


@pytest.fixture
def survey(network):
    return SurveyFactory(
        organiser=network.syt_bn, facilities=[network.tien_du, network.tu_son, network.bvdk]
    )


class TestResponses:
    def test_register_needs_of_the_four_kinds(self, survey, network, users, catalog):
        response = services.save_response(
            survey,
            network.tien_du,
            contact="Phòng KHTH",
            technique_needs=[TechniqueNeed(technique=catalog.umbilical, people_to_train=3)],
            training_needs=[
                TrainingNeed(kind=TrainingKind.SHORT_TERM, topic="Hồi sức sơ sinh", people=4),
                TrainingNeed(kind=TrainingKind.LONG_TERM, topic="Bác sĩ CKI Nhi", people=1),
            ],
            teleconsult_needs=[TeleconsultNeed(specialty=catalog.nhi, sessions_per_month=4)],
            equipment_needs=[EquipmentNeed(item="Máy thở sơ sinh", quantity=2, unit="máy")],
            user=users.clerk,
        )
        assert response.status == ResponseStatus.DRAFT
        assert response.techniqueneeds.get().technique == catalog.umbilical
        assert response.trainingneeds.count() == 2
        assert response.teleconsultneeds.get().sessions_per_month == 4
        assert response.equipmentneeds.get().quantity == 2

    def test_update_replaces_the_needs_of_a_kind(self, survey, network, catalog):
        response = services.save_response(
            survey,
            network.tien_du,
            technique_needs=[
                TechniqueNeed(technique=catalog.umbilical),
                TechniqueNeed(technique=catalog.surfactant),
            ],
            training_needs=[TrainingNeed(kind=TrainingKind.CME, topic="CME Nhi")],
        )
        kept = response.techniqueneeds.get(technique=catalog.umbilical)
        kept.priority = 1
        services.save_response(
            survey,
            network.tien_du,
            technique_needs=[kept, TechniqueNeed(technique=catalog.exchange)],
        )
        assert {n.technique for n in response.techniqueneeds.all()} == {
            catalog.umbilical,
            catalog.exchange,
        }
        assert response.techniqueneeds.get(technique=catalog.umbilical).priority == 1
        assert response.trainingneeds.count() == 1  # not given: unchanged

    def test_only_facilities_asked(self, survey, network):
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(survey, network.tyt_tien_du, contact="x")
        assert "facility" in errors_of(excinfo)

    def test_only_before_the_deadline(self, network):
        survey = SurveyFactory(
            organiser=network.syt_bn,
            facilities=[network.tien_du],
            opens_on=today() - 20 * DAY,
            deadline=today() + DAY,
        )
        services.save_response(survey, network.tien_du, contact="x")  # still open
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(survey, network.tien_du, contact="late", today=today() + 2 * DAY)
        message = errors_of(excinfo)["survey"][0]
        assert "has passed" in message and survey.deadline.strftime("%d/%m/%Y") in message
        assert survey.responses.get().contact == "x"

    def test_only_while_open(self, survey, network):
        services.close_survey(survey)
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(survey, network.tien_du, contact="x")
        assert "closed" in errors_of(excinfo)["survey"][0]

    def test_not_before_it_opens(self, network):
        survey = SurveyFactory(
            organiser=network.syt_bn,
            facilities=[network.tien_du],
            opens_on=today() + 5 * DAY,
            deadline=today() + 30 * DAY,
        )
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(survey, network.tien_du)
        assert "opens on" in errors_of(excinfo)["survey"][0]

    def test_submitted_answers_are_reopened_before_changes(self, survey, network, users):
        response = services.save_response(survey, network.tien_du, contact="x")
        services.submit_response(response, user=users.clerk)
        response.refresh_from_db()
        assert response.status == ResponseStatus.SUBMITTED and response.submitted_at
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(survey, network.tien_du, contact="y")
        assert "status" in errors_of(excinfo)
        with pytest.raises(ValidationError):
            services.submit_response(response)
        services.reopen_response(response, user=users.clerk)
        services.save_response(survey, network.tien_du, contact="y")
        response.refresh_from_db()
        assert response.status == ResponseStatus.DRAFT and response.contact == "y"

    def test_no_submitting_after_the_deadline(self, survey, network):
        response = services.save_response(survey, network.tien_du)
        with pytest.raises(ValidationError) as excinfo:
            services.submit_response(response, today=survey.deadline + DAY)
        assert "survey" in errors_of(excinfo)

    def test_a_technique_once_per_answer(self, survey, network, catalog):
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(
                survey,
                network.tien_du,
                technique_needs=[
                    TechniqueNeed(technique=catalog.umbilical),
                    TechniqueNeed(technique=catalog.umbilical),
                ],
            )
        assert "technique_needs" in errors_of(excinfo)
        assert not survey.responses.exists()

    def test_retired_techniques_are_not_asked_for(self, survey, network):
        retired = TechniqueFactory(active=False)
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(
                survey, network.tien_du, technique_needs=[TechniqueNeed(technique=retired)]
            )
        assert "retired" in errors_of(excinfo)["technique_needs"][0]

    def test_a_bad_row_saves_nothing(self, survey, network, catalog):
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(
                survey,
                network.tien_du,
                contact="x",
                technique_needs=[TechniqueNeed(technique=catalog.umbilical)],
                equipment_needs=[EquipmentNeed(item="", quantity=1)],
            )
        assert "equipment_needs" in errors_of(excinfo)
        assert not survey.responses.exists()
        assert not TechniqueNeed.objects.exists()

    def test_planned_needs_stay(self, survey, network, catalog):
        response = services.save_response(
            survey, network.tien_du, technique_needs=[TechniqueNeed(technique=catalog.umbilical)]
        )
        response.techniqueneeds.update(status=NeedStatus.PLANNED)
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(survey, network.tien_du, technique_needs=[])
        assert "cannot be removed" in errors_of(excinfo)["technique_needs"][0]

    def test_scope_of_the_clerk(self, survey, network, users):
        # The clerk of Tiên Du answers for Tiên Du, not for Từ Sơn.
        services.save_response(survey, network.tien_du, user=users.clerk)
        with pytest.raises(ValidationError) as excinfo:
            services.save_response(survey, network.tu_son, user=users.clerk)
        assert "facility" in errors_of(excinfo)

    def test_organiser_side_may_record_answers(self, survey, network, users):
        # A DOH officer of the organiser records what a facility said at a meeting.
        services.save_response(survey, network.tu_son, contact="họp", user=users.doh)
        # A line officer only reads needs.
        with pytest.raises(ValidationError):
            services.save_response(survey, network.bvdk, user=users.line)

    def test_another_province_cannot_answer(self, network, users):
        other = OrgUnitFactory(code="TN-BV", name="Bệnh viện X", parent=network.syt_tn)
        survey = SurveyFactory(organiser=network.syt_tn, facilities=[other])
        with pytest.raises(ValidationError):
            services.save_response(survey, other, user=users.clerk)
