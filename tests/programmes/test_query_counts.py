"""Lists cost the same number of queries whatever the number of rows (no N+1)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from doha.programmes import services
from doha.programmes.models import (
    Assessment,
    ContentArea,
    EquipmentNeed,
    ProgrammeItem,
    SpecialtyCapacity,
    TechniqueNeed,
    TrainingNeed,
)
from tests.factories import OrgUnitFactory
from tests.mixins import client_for
from tests.programmes.factories import SurveyFactory, TechniqueFactory, make_programme

D = datetime.date


def add_rows(network, catalog, n):
    """``n`` more of everything: facilities answering with needs, assessments, programmes."""
    for i in range(n):
        unit = OrgUnitFactory(parent=network.tien_du, name=f"Trạm Y tế thêm {i} {id(catalog)}")
        survey = SurveyFactory(organiser=network.syt_bn, facilities=[unit, network.tu_son])
        services.save_response(
            survey,
            unit,
            technique_needs=[TechniqueNeed(technique=TechniqueFactory(specialty=catalog.nhi))],
            training_needs=[TrainingNeed(kind="cme", topic="CME", specialty=catalog.nhi)],
            equipment_needs=[EquipmentNeed(item="Máy", quantity=1, specialty=catalog.hscc)],
        )
        services.save_assessment(
            Assessment(
                facility=unit,
                assessor=network.bvdk,
                date=D(2024, 1, 1),
                staff_score=1,
                equipment_score=1,
                infrastructure_score=1,
            ),
            [SpecialtyCapacity(specialty=catalog.nhi, score=2)],
        )
        make_programme(
            network.bvdk,
            unit,
            number=f"{i}/KH",
            areas=[ContentArea.TRAINING],
            items=[
                ProgrammeItem(
                    number=1,
                    area="training",
                    title="A",
                    planned_start=D(2022, 1, 1),
                    planned_end=D(2022, 2, 1),
                    provider=network.bvdk,
                    recipient=unit,
                )
            ],
        )


URLS = [
    "/programmes/",
    "/programmes/?export=xlsx",
    "/programmes/surveys/",
    "/programmes/surveys/?export=xlsx",
    "/programmes/needs/",
    "/programmes/needs/?export=xlsx",
    "/programmes/assessments/",
    "/programmes/assessments/?export=xlsx",
    "/api/programmes/",
    "/api/surveys/",
    "/api/survey-responses/",
    "/api/needs/",
    "/api/assessments/",
]


@pytest.mark.parametrize("url", URLS)
def test_no_query_per_row(network, users, catalog, url):
    client, _user = client_for(users, "doh")
    add_rows(network, catalog, 1)
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_rows(network, catalog, 3)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"][:150] for q in many.captured_queries]
