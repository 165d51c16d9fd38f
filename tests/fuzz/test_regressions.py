"""What the API fuzzing found, kept as plain tests (see test_api_schema.py).

Each test names the request that failed and asserts what a client now gets: a 400 naming
the field instead of a server error, or an answer that matches the published schema.
"""

import pytest

from tests.fuzz.conftest import build_schema
from tests.mixins import new_client

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def schema():
    return build_schema()


def component(schema, name):
    return schema["components"]["schemas"][name]


def get(fuzz_world, path, role="admin", **params):
    headers = fuzz_world.headers[role]
    return new_client().get(path, params, HTTP_AUTHORIZATION=headers["Authorization"])


@pytest.mark.parametrize("path", ["/api/surveys/", "/api/assessments/", "/api/programmes/"])
@pytest.mark.parametrize("year", ["4560466905273074", "0", "-3", "2025.5"])
def test_year_filter_out_of_range_is_refused_not_a_server_error(fuzz_world, db, path, year):
    # Was: GET /api/surveys/?year=4560466905273074.0 -> 500 (OverflowError in the year lookup).
    response = get(fuzz_world, path, year=year)
    assert response.status_code == 400
    assert "year" in response.json()


@pytest.mark.parametrize("path", ["/api/surveys/", "/api/assessments/", "/api/programmes/"])
def test_year_filter_still_filters(fuzz_world, db, path):
    response = get(fuzz_world, path, year="2025")
    assert response.status_code == 200


def test_expiring_within_too_many_days_is_refused(fuzz_world, db):
    # A number of days beyond the calendar overflowed the date arithmetic.
    response = get(fuzz_world, "/api/vaccine-stock/", expiring_within="10000000000")
    assert response.status_code == 400
    assert "expiring_within" in response.json()


def test_unit_without_parent_or_commune_has_null_names(fuzz_world, db, schema):
    # Was: "admin_unit_name" and "parent_name" left out of the answer although the schema
    # requires them; now present and null, and the schema says they may be null.
    moh = fuzz_world.network.moh
    response = get(fuzz_world, f"/api/facilities/{moh.uid}/")
    assert response.status_code == 200
    data = response.json()
    assert data["parent_name"] is None
    assert data["admin_unit_name"] is None
    properties = component(schema, "OrgUnit")["properties"]
    assert properties["parent_name"]["nullable"] is True
    assert properties["admin_unit_name"]["nullable"] is True


def test_province_has_a_null_parent_in_schema_and_answer(fuzz_world, db, schema):
    # Was: the schema said the parent of an administrative unit is always a string.
    response = get(fuzz_world, "/api/admin-units/", level="1", limit="5")
    assert response.status_code == 200
    assert {row["parent"] for row in response.json()["results"]} == {None}
    assert component(schema, "AdminUnit")["properties"]["parent"]["nullable"] is True


def test_worker_without_specialty_matches_schema(fuzz_world, db, schema):
    response = get(fuzz_world, "/api/workers/")
    assert response.status_code == 200
    assert None in {row["specialty"] for row in response.json()["results"]}
    assert component(schema, "WorkerList")["properties"]["specialty"]["nullable"] is True


def test_checklists_are_a_plain_list_as_documented(fuzz_world, db, schema):
    # Was: documented as a paginated page ({"count", "results"}) but answered a list.
    response = get(fuzz_world, "/api/vaccination-visits/checklists/")
    assert response.status_code == 200
    assert isinstance(response.json(), list)
    documented = schema["paths"]["/api/vaccination-visits/checklists/"]["get"]["responses"]
    assert documented["200"]["content"]["application/json"]["schema"]["type"] == "array"


def test_temperature_upload_without_a_file_names_the_field(fuzz_world, db, schema):
    # Was: a 400 documented as the upload report although a bad request answers field errors.
    headers = fuzz_world.headers["admin"]
    response = new_client().post(
        "/api/vaccine-temperatures/upload/",
        {"file": "not a file", "fridge": "nothing"},
        HTTP_AUTHORIZATION=headers["Authorization"],
    )
    assert response.status_code == 400
    assert "file" in response.json()
    documented = schema["paths"]["/api/vaccine-temperatures/upload/"]["post"]["responses"]
    assert documented["400"]["content"]["application/json"]["schema"]["type"] == "object"


@pytest.mark.parametrize(
    "params",
    [
        {"lastUpdatedDuration": "9999999999d"},
        {"lastUpdatedDuration": "99999999999999999999s"},
        {"lastUpdated": "0001-01-01T00:00:00"},
        {"limit": "-5"},
        {"startDate": "0001-01-01", "endDate": "9999-12-31"},
    ],
)
def test_data_value_set_export_with_extreme_parameters_is_not_a_server_error(
    fuzz_world, db, params
):
    response = get(fuzz_world, "/api/dataValueSets.json", orgUnit="BYT", children="true", **params)
    assert response.status_code in (200, 409), response.content[:300]


@pytest.mark.parametrize("reference", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    "period", ["LAST_12_MONTHS", "LAST_5_YEARS", "THIS_YEAR", "LAST_52_WEEKS", "LAST_4_QUARTERS"]
)
def test_relative_periods_at_the_ends_of_the_calendar(fuzz_world, db, reference, period):
    response = get(
        fuzz_world,
        "/api/analytics/",
        dimension=["pe:" + period, "ou:BYT"],
        relativePeriodDate=reference,
    )
    assert response.status_code in (200, 409), response.content[:300]


def test_null_character_in_a_field_is_refused_naming_it(fuzz_world, db):
    # Was: POST /api/consultations/ with participants=%00 -> 500 on PostgreSQL only
    # ("PostgreSQL text fields cannot contain NUL (0x00) bytes").
    headers = fuzz_world.headers["admin"]
    response = new_client().post(
        "/api/consultations/",
        {"participants": ["\x00"], "patient_summary": "Ho kéo dài"},
        HTTP_AUTHORIZATION=headers["Authorization"],
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {"participants": ["Null characters are not allowed."]}


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/workers/", {"facility": "\x00"}),
        ("/api/dataValueSets.json", {"orgUnit": "BYT\x00"}),
        ("/api/dataValues/", {"de": "\x00", "pe": "202401", "ou": "BYT"}),
    ],
)
def test_null_character_in_a_query_parameter_is_refused(fuzz_world, db, path, params):
    response = get(fuzz_world, path, **params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)[:1]
