"""``/api/analytics`` answers DHIS2's shape, for the requests of DHIS2's documentation."""

import base64
import csv
import io

import pytest
from django.test import Client

from doha.analytics.models import Indicator, IndicatorType
from doha.users.authentication import create_token
from tests.aggregate.factories import DataElementFactory
from tests.analytics.conftest import put
from tests.factories import PASSWORD, OrgUnitFactory

# The answer's headers, exactly as DHIS2 2.40 writes them.
HEADERS = [
    {
        "name": "dx",
        "column": "Data",
        "valueType": "TEXT",
        "type": "java.lang.String",
        "hidden": False,
        "meta": True,
    },
    {
        "name": "pe",
        "column": "Period",
        "valueType": "TEXT",
        "type": "java.lang.String",
        "hidden": False,
        "meta": True,
    },
    {
        "name": "ou",
        "column": "Organisation unit",
        "valueType": "TEXT",
        "type": "java.lang.String",
        "hidden": False,
        "meta": True,
    },
    {
        "name": "value",
        "column": "Value",
        "valueType": "NUMBER",
        "type": "java.lang.Double",
        "hidden": False,
        "meta": False,
    },
]


def basic(user):
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def sierra_leone(network, stats):
    """The objects of DHIS2's documentation example, with their UIDs, under Bắc Ninh."""
    country = OrgUnitFactory(
        uid="ImspTQPwCqd", code="SL", name="Sierra Leone", parent=network.syt_bn
    )
    bo = OrgUnitFactory(uid="O6uvpzGd5pu", code="SL-BO", name="Bo", parent=country)
    bombali = OrgUnitFactory(uid="fdc6uOvgoji", code="SL-BOMBALI", name="Bombali", parent=country)
    children = DataElementFactory(uid="FbKK4ofIv5R", name="Children under 1", code="U1")
    immunised = DataElementFactory(uid="eTDtyyaSA7f", name="Fully immunised", code="FI")
    percent = IndicatorType.objects.create(name="Percent", factor=100)
    coverage = Indicator.objects.create(
        uid="Uvn6LCg7dVU",
        name="Fully Immunized Coverage",
        code="FIC",
        indicator_type=percent,
        numerator="#{eTDtyyaSA7f}",
        numerator_description="FI",
        denominator="#{FbKK4ofIv5R}",
    )
    for unit, quarter, kids, done in [
        (bo, "2016Q1", 400, 300),
        (bo, "2016Q2", 400, 320),
        (bombali, "2016Q1", 100, 99),
        (bombali, "2016Q2", 200, 150),
    ]:
        put(children, unit, quarter, kids)
        put(immunised, unit, quarter, done)
    return country, bo, bombali, children, immunised, coverage


def test_the_documentation_example_with_an_ou_filter(users, sierra_leone):
    country, bo, bombali, children, immunised, coverage = sierra_leone
    response = basic(users.doh).get(
        "/api/analytics.json",
        {
            "dimension": ["dx:eTDtyyaSA7f;FbKK4ofIv5R", "pe:2016Q1;2016Q2"],
            "filter": "ou:ImspTQPwCqd",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["headers"] == [HEADERS[0], HEADERS[1], HEADERS[3]]
    assert body["rows"] == [
        ["eTDtyyaSA7f", "2016Q1", "399.0"],
        ["eTDtyyaSA7f", "2016Q2", "470.0"],
        ["FbKK4ofIv5R", "2016Q1", "500.0"],
        ["FbKK4ofIv5R", "2016Q2", "600.0"],
    ]
    assert (body["height"], body["width"], body["headerWidth"]) == (4, 3, 3)
    assert body["metaData"]["dimensions"] == {
        "dx": ["eTDtyyaSA7f", "FbKK4ofIv5R"],
        "pe": ["2016Q1", "2016Q2"],
        "ou": ["ImspTQPwCqd"],
        "co": [],
    }
    items = body["metaData"]["items"]
    assert items["ImspTQPwCqd"] == {"name": "Sierra Leone"}
    assert items["eTDtyyaSA7f"] == {"name": "Fully immunised"}
    assert items["2016Q1"] == {"name": "Quarter 1/2016"}
    assert items["dx"] == {"name": "Data"}


def test_indicators_by_relative_period_and_units(users, sierra_leone):
    country, bo, bombali, *_rest = sierra_leone
    response = basic(users.doh).get(
        "/api/40/analytics",
        {
            "dimension": [
                "dx:Uvn6LCg7dVU",
                "pe:LAST_4_QUARTERS",
                f"ou:{bo.uid};{bombali.uid};{country.uid}",
            ],
            "relativePeriodDate": "2016-08-01",
        },
    )
    body = response.json()
    assert body["headers"] == HEADERS
    assert body["metaData"]["dimensions"]["pe"] == ["2015Q3", "2015Q4", "2016Q1", "2016Q2"]
    assert body["metaData"]["items"]["LAST_4_QUARTERS"] == {"name": "Last 4 quarters"}
    assert body["rows"] == [
        ["Uvn6LCg7dVU", "2016Q1", bo.uid, "75.0"],
        ["Uvn6LCg7dVU", "2016Q1", bombali.uid, "99.0"],
        ["Uvn6LCg7dVU", "2016Q1", country.uid, "79.8"],
        ["Uvn6LCg7dVU", "2016Q2", bo.uid, "80.0"],
        ["Uvn6LCg7dVU", "2016Q2", bombali.uid, "75.0"],
        ["Uvn6LCg7dVU", "2016Q2", country.uid, "78.33"],
    ]
    assert body["rowContext"] == {}


def test_levels_user_orgunit_and_the_co_dimension(users, network, stats):
    put(stats.opd, network.tyt_tien_du, "202401", 30, coc=stats.male)
    put(stats.opd, network.bvdk, "202401", 20, coc=stats.female)
    response = basic(users.doh).get(
        "/api/analytics",
        {
            "dimension": [f"dx:{stats.opd.uid}", "co", "pe:202401", "ou:LEVEL-3;USER_ORGUNIT"],
            "displayProperty": "SHORTNAME",
        },
    )
    body = response.json()
    assert [h["name"] for h in body["headers"]] == ["dx", "co", "pe", "ou", "value"]
    assert body["headers"][1]["column"] == "Category option combo"
    assert body["rows"] == [
        [stats.opd.uid, stats.male.uid, "202401", network.tien_du.uid, "30.0"],
        [stats.opd.uid, stats.female.uid, "202401", network.bvdk.uid, "20.0"],
    ]
    assert body["metaData"]["items"][network.tien_du.uid] == {"name": "TTYT Tiên Du"}
    assert body["metaData"]["dimensions"]["co"] == [stats.male.uid, stats.female.uid]


def test_csv_answer(users, sierra_leone):
    response = basic(users.doh).get(
        "/api/analytics.csv",
        {"dimension": ["dx:FbKK4ofIv5R", "pe:2016Q1", "ou:ImspTQPwCqd"]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table == [
        ["Data", "Period", "Organisation unit", "Value"],
        ["FbKK4ofIv5R", "2016Q1", "ImspTQPwCqd", "500.0"],
    ]


def test_xlsx_answer_uses_names(users, sierra_leone):
    from openpyxl import load_workbook

    response = basic(users.doh).get(
        "/api/analytics.xlsx", {"dimension": ["dx:FbKK4ofIv5R", "pe:2016Q1", "ou:ImspTQPwCqd"]}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Data", "Period", "Org unit", "Value"],
        ["Children under 1", "Quarter 1/2016", "Sierra Leone", 500],
    ]


def test_output_id_schemes_and_skip_meta(users, sierra_leone):
    client = basic(users.doh)
    query = {"dimension": ["dx:FbKK4ofIv5R", "pe:2016Q1", "ou:ImspTQPwCqd"]}
    by_code = client.get("/api/analytics.json", {**query, "outputIdScheme": "CODE"}).json()
    assert by_code["rows"] == [["U1", "2016Q1", "SL", "500.0"]]
    assert "SL" in by_code["metaData"]["items"]
    by_name = client.get("/api/analytics.json", {**query, "outputIdScheme": "NAME"}).json()
    assert by_name["rows"] == [["Children under 1", "2016Q1", "Sierra Leone", "500.0"]]
    bare = client.get("/api/analytics.json", {**query, "skipMeta": "true"}).json()
    assert "metaData" not in bare and bare["rows"]
    no_data = client.get("/api/analytics.json", {**query, "skipData": "true"}).json()
    assert no_data["rows"] == [] and no_data["height"] == 0


def test_boundaries_parameter(users, network, stats):
    put(stats.admissions, network.tyt_tien_du, "202401", 5)
    response = basic(users.doh).get(
        "/api/analytics",
        {
            "dimension": [f"dx:{stats.admissions.uid}", "pe:2024", "ou:USER_ORGUNIT"],
            "boundaries": "pre2025",
        },
    )
    assert response.json()["rows"] == [[stats.admissions.uid, "2024", network.syt_bn.uid, "5.0"]]


@pytest.mark.parametrize(
    ("query", "code", "fragment"),
    [
        ({"dimension": ["dx:Nooooooone1", "pe:2016Q1"]}, "E7124", "Nooooooone1"),
        ({"dimension": ["dx:FbKK4ofIv5R", "pe:2016Q9"]}, "E7124", "2016Q9"),
        ({"dimension": ["dx:FbKK4ofIv5R"]}, "E7104", "period"),
        ({"dimension": ["pe:2016Q1"]}, "E7102", "data dimension"),
        ({}, "E7101", "At least one dimension"),
        ({"dimension": ["dx:FbKK4ofIv5R", "dx:eTDtyyaSA7f", "pe:2016"]}, "E7111", "dx"),
        ({"dimension": ["dx:FbKK4ofIv5R", "pe:2016"], "filter": "pe:2015"}, "E7103", "pe"),
        (
            {"dimension": ["dx:FbKK4ofIv5R", "pe:2016", "Bpx0589u8y0:oRVt7g429ZO"]},
            "E7125",
            "Bpx0589u8y0",
        ),
        ({"dimension": ["dx:FbKK4ofIv5R", "pe:2016"], "filter": "co"}, "E7110", "filter"),
        ({"dimension": ["dx:FbKK4ofIv5R", "pe:"]}, "E7124", "pe"),
        (
            {"dimension": ["dx:FbKK4ofIv5R", "pe:2016"], "outputIdScheme": "ATTRIBUTE:x"},
            None,
            "outputIdScheme",
        ),
        (
            {"dimension": ["dx:FbKK4ofIv5R", "pe:2016"], "relativePeriodDate": "hôm qua"},
            None,
            "relativePeriodDate",
        ),
    ],
)
def test_bad_parameters_answer_409_naming_the_item(users, sierra_leone, query, code, fragment):
    response = basic(users.doh).get("/api/analytics", query)
    assert response.status_code == 409
    body = response.json()
    assert body["httpStatus"] == "Conflict"
    assert body["httpStatusCode"] == 409
    assert body["status"] == "ERROR"
    assert fragment in body["message"]
    assert body.get("errorCode") == code


def test_a_unit_outside_the_users_scope_is_refused(users, network, stats):
    response = basic(users.clerk).get(
        "/api/analytics",
        {"dimension": [f"dx:{stats.admissions.uid}", "pe:2024", f"ou:{network.syt_tn.uid}"]},
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "E7120"
    assert network.syt_tn.name in response.json()["message"]


def test_sign_in_with_a_token_or_not_at_all(users, network, stats):
    put(stats.admissions, network.tyt_tien_du, "202401", 5)
    query = {"dimension": [f"dx:{stats.admissions.uid}", "pe:2024", "ou:USER_ORGUNIT"]}
    anonymous = Client().get("/api/analytics", query)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Basic")
    _token, secret = create_token(users.clerk, "script")
    response = Client(HTTP_AUTHORIZATION=f"ApiToken {secret}").get("/api/analytics", query)
    assert response.status_code == 200
    assert response.json()["rows"] == [[stats.admissions.uid, "2024", network.tien_du.uid, "5.0"]]


def test_messages_follow_the_clients_language(users, network, stats):
    from django.utils import translation

    with translation.override("vi"):
        client = basic(users.doh)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "vi"
        response = client.get("/api/analytics", {"dimension": ["dx:Nooooooone1", "pe:2016"]})
    assert response.status_code == 409
    assert "Nooooooone1" in response.json()["message"]
