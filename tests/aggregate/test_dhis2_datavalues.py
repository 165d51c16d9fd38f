"""The DHIS2 data value API (``/api/dataValueSets``, ``/api/dataValues``), driven with the
payloads of DHIS2's own documentation (developer/web-api/data.md: "Sending data values",
"Sending bulks of data values", "CSV data value format", "ADX data format", "Sending,
reading and deleting individual data values"), on objects carrying the UIDs and codes those
examples use."""

import csv
import io
import json
from types import SimpleNamespace

import pytest

from doha.aggregate import services
from doha.aggregate.models import CompleteRegistration, DataValue, PeriodType
from tests.aggregate.conftest import basic_auth, live_values, stored, token_auth
from tests.aggregate.factories import (
    CategoryComboFactory,
    CategoryFactory,
    CategoryOptionFactory,
    DataElementFactory,
    DataSetFactory,
)
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db

URL = "/api/dataValueSets"


@pytest.fixture
def play(network, agg):
    """DHIS2 demo objects named in the documentation, placed under TTYT Tiên Du (the
    clerk's unit)."""
    ngelehun = OrgUnitFactory(
        uid="DiszpKrYNg8", code="OU_559", name="Ngelehun CHC", parent=network.tien_du
    )
    second = OrgUnitFactory(
        uid="FNnj3jKGS7i", code="OU_FNN", name="Trạm FNnj", parent=network.tien_du
    )
    measles = DataElementFactory(uid="f7n9E0hX8qk", code="MEASLES", name="Measles")
    dysentery = DataElementFactory(uid="Ix2HsbDMLea", code="DYSENTERY", name="Dysentery")
    cholera = DataElementFactory(uid="eY5ehpbEsB7", code="CHOLERA", name="Cholera")
    mortality = DataSetFactory(
        uid="pBOMPrpg1QX",
        code="MORT_U5",
        name="Mortality < 5 years",
        period_type=PeriodType.MONTHLY,
        elements=[measles, dysentery, cholera],
        units=[ngelehun, second],
    )
    # "CSV data value format": DUSpd8Jq3M7 with option combos Prlt0C1RF0s and V6L425pT3A0.
    fixed = CategoryFactory(
        name="Fixed/Outreach",
        code="FIXED_OUTREACH",
        options=[
            CategoryOptionFactory(name="Fixed", code="FIXED"),
            CategoryOptionFactory(name="Outreach", code="OUTREACH"),
        ],
    )
    location = CategoryComboFactory(name="Location Fixed/Outreach", code="LOC", categories=[fixed])
    fixed_coc, outreach_coc = services.generate_option_combos(location)
    fixed_coc.uid, outreach_coc.uid = "Prlt0C1RF0s", "V6L425pT3A0"
    fixed_coc.save()
    outreach_coc.save()
    bcg = DataElementFactory(
        uid="DUSpd8Jq3M7", code="BCG", name="BCG doses", category_combo=location
    )
    bombali_1 = OrgUnitFactory(
        uid="gP6hn503KUX", code="OU_GP6", name="Trạm gP6h", parent=network.tien_du
    )
    bombali_2 = OrgUnitFactory(
        uid="OjTS752GbZE", code="OU_OJT", name="Trạm OjTS", parent=network.tien_du
    )
    DataSetFactory(code="EPI", name="EPI", elements=[bcg], units=[bombali_1, bombali_2])
    # "ADX data format": (TB/HIV)VCCT by GENDER and HIV_AGE, all by code.
    gender = CategoryFactory(
        name="Gender",
        code="GENDER",
        options=[
            CategoryOptionFactory(name="Female", code="FMLE"),
            CategoryOptionFactory(name="Male", code="MLE"),
        ],
    )
    age = CategoryFactory(
        name="HIV age",
        code="HIV_AGE",
        options=[
            CategoryOptionFactory(name="0-14", code="AGE0-14"),
            CategoryOptionFactory(name="15-24", code="AGE15-24"),
        ],
    )
    gender_age = CategoryComboFactory(
        name="Gender and HIV age", code="GEN_AGE", categories=[gender, age]
    )
    vcct = [
        DataElementFactory(code=code, name=code, category_combo=gender_age)
        for code in ("VCCT_0", "VCCT_1", "VCCT_2", "PLHIV_TB_0", "PLHIV_TB_1")
    ]
    DataSetFactory(code="(TB/HIV)VCCT", name="TB/HIV VCCT", elements=vcct, units=[ngelehun])
    return SimpleNamespace(
        ngelehun=ngelehun,
        second=second,
        measles=measles,
        dysentery=dysentery,
        cholera=cholera,
        mortality=mortality,
        bcg=bcg,
        fixed=fixed_coc,
        outreach=outreach_coc,
        bombali_1=bombali_1,
        bombali_2=bombali_2,
        gender_age=gender_age,
    )


# "Sending data values", JSON, as in the documentation.
DOCS_JSON = """{
  "dataSet": "pBOMPrpg1QX",
  "completeDate": "2014-02-03",
  "period": "201401",
  "orgUnit": "DiszpKrYNg8",
  "dataValues": [
    {
      "dataElement": "f7n9E0hX8qk",
      "value": "1"
    },
    {
      "dataElement": "Ix2HsbDMLea",
      "value": "2"
    },
    {
      "dataElement": "eY5ehpbEsB7",
      "value": "3"
    }
  ]
}"""

# "Sending bulks of data values", JSON: the last value names an org unit that does not exist.
DOCS_BULK_JSON = """{
  "dataValues": [
    {
      "dataElement": "f7n9E0hX8qk",
      "period": "201401",
      "orgUnit": "DiszpKrYNg8",
      "value": "12"
    },
    {
      "dataElement": "f7n9E0hX8qk",
      "period": "201401",
      "orgUnit": "FNnj3jKGS7i",
      "value": "14"
    },
    {
      "dataElement": "f7n9E0hX8qk",
      "period": "201402",
      "orgUnit": "DiszpKrYNg8",
      "value": "16"
    },
    {
      "dataElement": "f7n9E0hX8qk",
      "period": "201402",
      "orgUnit": "Jkhdsf8sdf4",
      "value": "18"
    }
  ]
}"""

# "CSV data value format", as in the documentation.
DOCS_CSV = """"dataelement","period","orgunit","catoptcombo","attroptcombo","value","storedby","timestamp"
"DUSpd8Jq3M7","201202","gP6hn503KUX","Prlt0C1RF0s",,"7","bombali","2010-04-17"
"DUSpd8Jq3M7","201202","gP6hn503KUX","V6L425pT3A0",,"10","bombali","2010-04-17"
"DUSpd8Jq3M7","201202","OjTS752GbZE","V6L425pT3A0",,"9","bombali","2010-04-06"
"""  # noqa: E501

# "ADX data format", as in the documentation.
DOCS_ADX = """<adx xmlns="urn:ihe:qrph:adx:2015" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="urn:ihe:qrph:adx:2015 ../schema/adx_loose.xsd"
  exported="2015-02-08T19:30:00Z">
  <group orgUnit="OU_559" period="2015-06-01/P1M"
    completeDate="2015-07-01" dataSet="(TB/HIV)VCCT">
    <dataValue dataElement="VCCT_0" GENDER="FMLE" HIV_AGE="AGE0-14" value="32"/>
    <dataValue dataElement="VCCT_1" GENDER="FMLE" HIV_AGE="AGE0-14" value="20"/>
    <dataValue dataElement="VCCT_2" GENDER="FMLE" HIV_AGE="AGE0-14" value="10"/>
    <dataValue dataElement="PLHIV_TB_0" GENDER="FMLE" HIV_AGE="AGE0-14" value="10"/>
    <dataValue dataElement="PLHIV_TB_1" GENDER="FMLE" HIV_AGE="AGE0-14" value="10"/>

    <dataValue dataElement="VCCT_0" GENDER="MLE" HIV_AGE="AGE0-14" value="32"/>
    <dataValue dataElement="VCCT_1" GENDER="MLE" HIV_AGE="AGE0-14" value="20"/>
    <dataValue dataElement="VCCT_2" GENDER="MLE" HIV_AGE="AGE0-14" value="10"/>
    <dataValue dataElement="PLHIV_TB_0" GENDER="MLE" HIV_AGE="AGE0-14" value="10"/>
    <dataValue dataElement="PLHIV_TB_1" GENDER="MLE" HIV_AGE="AGE0-14" value="10"/>

    <dataValue dataElement="VCCT_0" GENDER="FMLE" HIV_AGE="AGE15-24" value="32"/>
    <dataValue dataElement="VCCT_1" GENDER="FMLE" HIV_AGE="AGE15-24" value="20"/>
    <dataValue dataElement="VCCT_2" GENDER="FMLE" HIV_AGE="AGE15-24" value="10"/>
    <dataValue dataElement="PLHIV_TB_0" GENDER="FMLE" HIV_AGE="AGE15-24" value="10"/>
    <dataValue dataElement="PLHIV_TB_1" GENDER="FMLE" HIV_AGE="AGE15-24" value="10"/>

    <dataValue dataElement="VCCT_0" GENDER="MLE" HIV_AGE="AGE15-24" value="32"/>
    <dataValue dataElement="VCCT_1" GENDER="MLE" HIV_AGE="AGE15-24" value="20"/>
    <dataValue dataElement="VCCT_2" GENDER="MLE" HIV_AGE="AGE15-24" value="10"/>
    <dataValue dataElement="PLHIV_TB_0" GENDER="MLE" HIV_AGE="AGE15-24" value="10"/>
    <dataValue dataElement="PLHIV_TB_1" GENDER="MLE" HIV_AGE="AGE15-24" value="10"/>
  </group>
</adx>
"""


def post(client, auth, body, content_type="application/json", query=""):
    return client.post(URL + query, data=body, content_type=content_type, **auth)


# --- authentication -------------------------------------------------------------------------


def test_anonymous_gets_401_with_a_basic_challenge(client, play):
    response = client.get(URL + ".json?dataSet=pBOMPrpg1QX&period=201401&orgUnit=DiszpKrYNg8")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    response = client.post(URL, data=DOCS_JSON, content_type="application/json")
    assert response.status_code == 401
    assert not DataValue.objects.exists()


def test_wrong_password_is_401(client, users, play):
    response = post(client, basic_auth(users.clerk, "wrong"), DOCS_JSON)
    assert response.status_code == 401


def test_docs_json_with_basic_auth(client, users, play):
    response = post(client, basic_auth(users.clerk, users.password), DOCS_JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["httpStatus"], body["httpStatusCode"], body["status"]) == ("OK", 200, "OK")
    assert body["message"] == "Import was successful."
    summary = body["response"]
    assert summary["responseType"] == "ImportSummary"
    assert summary["status"] == "SUCCESS"
    assert summary["importCount"] == {"imported": 3, "updated": 0, "ignored": 0, "deleted": 0}
    assert summary["conflicts"] == []
    assert summary["dataSetComplete"] == "2014-02-03"
    assert stored(play.measles, "201401", play.ngelehun) == "1"
    assert stored(play.cholera, "201401", play.ngelehun) == "3"
    assert CompleteRegistration.objects.filter(
        data_set=play.mortality, period="201401", org_unit=play.ngelehun
    ).exists()


def test_docs_bulk_as_partial_import_counts_like_the_docs(client, users, play):
    auth = basic_auth(users.clerk, users.password)
    post(client, auth, DOCS_JSON)
    response = post(client, auth, DOCS_BULK_JSON, query="?atomicMode=NONE")
    # DHIS2 2.40 answers a summary with conflicts with 409 and status WARNING.
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "WARNING"
    assert body["message"] == "One more conflicts encountered, please check import summary."
    summary = body["response"]
    assert summary["status"] == "WARNING"
    # "3 data values were imported, 1 data value was updated ... ignored ... caused by the last
    # data value having an invalid reference to org unit."
    assert summary["importCount"] == {"imported": 2, "updated": 1, "ignored": 1, "deleted": 0}
    assert summary["conflicts"] == [
        {
            "object": "Jkhdsf8sdf4",
            "objects": {"organisationUnit": "Jkhdsf8sdf4"},
            "value": "Organisation unit not found or not accessible: `Jkhdsf8sdf4`",
            "errorCode": "E7612",
            "property": "orgUnit",
            "indexes": [3],
        }
    ]
    assert summary["rejectedIndexes"] == [3]
    assert stored(play.measles, "201401", play.ngelehun) == "12"
    assert stored(play.measles, "201402", play.ngelehun) == "16"


def test_docs_bulk_is_all_or_nothing_by_default(client, users, play):
    response = post(client, basic_auth(users.clerk, users.password), DOCS_BULK_JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "ERROR"
    assert body["message"] == "An error occurred, please check import summary."
    assert body["response"]["importCount"] == {
        "imported": 0,
        "updated": 0,
        "ignored": 4,
        "deleted": 0,
    }
    assert not DataValue.objects.exists()


def test_docs_csv_with_an_api_token(client, users, play):
    response = post(client, token_auth(users.clerk), DOCS_CSV, content_type="application/csv")
    assert response.status_code == 200, response.content
    assert response.json()["response"]["importCount"]["imported"] == 3
    value = DataValue.objects.get(org_unit=play.bombali_1, category_option_combo=play.outreach)
    assert (value.value, value.stored_by, value.period) == ("10", "bombali", "201202")


def test_docs_adx_by_code(client, users, play):
    response = post(
        client,
        token_auth(users.clerk),
        DOCS_ADX,
        content_type="application/adx+xml",
        query="?dataElementIdScheme=code&orgUnitIdScheme=code",
    )
    assert response.status_code == 200, response.content
    summary = response.json()["response"]
    assert summary["importCount"]["imported"] == 20
    values = DataValue.objects.filter(org_unit=play.ngelehun, period="201506")
    assert values.count() == 20
    female_young = next(c for c in play.gender_age.option_combos.all() if c.name == "Female, 0-14")
    assert values.get(data_element__code="VCCT_0", category_option_combo=female_young).value == "32"


def test_api_version_and_suffix_in_the_path(client, users, play):
    auth = basic_auth(users.clerk, users.password)
    response = client.post(
        "/api/40/dataValueSets.json", data=DOCS_JSON, content_type="application/json", **auth
    )
    assert response.status_code == 200
    # Before 2.38 DHIS2 answered the bare summary with 200, even for errors.
    response = client.post(
        "/api/37/dataValueSets", data=DOCS_BULK_JSON, content_type="application/json", **auth
    )
    assert response.status_code == 200
    assert response.json()["responseType"] == "ImportSummary"
    assert response.json()["status"] == "ERROR"


def test_dry_run_and_strategies_through_the_api(client, users, play):
    auth = basic_auth(users.clerk, users.password)
    response = post(client, auth, DOCS_JSON, query="?dryRun=true")
    assert response.status_code == 200
    assert response.json()["response"]["importCount"]["imported"] == 3
    assert response.json()["response"]["importOptions"]["dryRun"] is True
    assert not DataValue.objects.exists()
    post(client, auth, DOCS_JSON)
    response = post(client, auth, DOCS_JSON)
    assert response.json()["response"]["importCount"] == {
        "imported": 0,
        "updated": 0,
        "ignored": 3,
        "deleted": 0,
    }
    response = post(client, auth, DOCS_JSON, query="?importStrategy=DELETE")
    assert response.json()["response"]["importCount"]["deleted"] == 3
    assert not DataValue.objects.filter(deleted=False).exists()
    response = post(client, auth, DOCS_JSON, query="?importStrategy=MERGE")
    assert response.status_code == 409
    assert "CREATE_AND_UPDATE" in response.json()["message"]


def test_clerk_cannot_import_into_another_facility(client, users, network, agg):
    body = json.dumps(
        {
            "period": "202401",
            "dataValues": [
                {"dataElement": agg.opd.uid, "orgUnit": network.tien_du.uid, "value": "5"},
                {"dataElement": agg.opd.uid, "orgUnit": network.tu_son.uid, "value": "6"},
            ],
        }
    )
    response = post(client, basic_auth(users.clerk, users.password), body)
    assert response.status_code == 409
    summary = response.json()["response"]
    assert summary["status"] == "ERROR"
    assert [c["errorCode"] for c in summary["conflicts"]] == ["E7617"]
    assert summary["conflicts"][0]["object"] == network.tu_son.uid
    assert not DataValue.objects.exists()


def test_viewer_cannot_import(client, users, play):
    response = post(client, basic_auth(users.viewer, users.password), DOCS_JSON)
    assert response.status_code == 403
    assert response.json()["httpStatusCode"] == 403
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(
    "query, content_type, status, words",
    [
        ("?async=true", "application/json", 409, "async"),
        ("", "application/xml", 415, "DXF2"),
        ("?idScheme=attribute:abc", "application/json", 409, "id scheme"),
    ],
)
def test_requests_that_cannot_be_served(client, users, play, query, content_type, status, words):
    response = post(client, basic_auth(users.clerk, users.password), DOCS_JSON, content_type, query)
    assert response.status_code == status
    assert words in response.json()["message"]
    assert not DataValue.objects.exists()


def test_a_broken_file_is_a_conflict_not_a_server_error(client, users, play):
    response = post(client, basic_auth(users.clerk, users.password), '{"dataValues": [')
    assert response.status_code == 409
    assert response.json()["response"]["conflicts"][0]["object"] == "JSON"


# --- reading ---------------------------------------------------------------------------------


@pytest.fixture
def imported(client, users, play):
    auth = basic_auth(users.clerk, users.password)
    assert post(client, auth, DOCS_JSON).status_code == 200
    assert post(client, auth, DOCS_BULK_JSON, query="?atomicMode=NONE").status_code == 409
    return auth


def test_get_docs_query_as_json(client, play, imported):
    response = client.get(
        URL + ".json?dataSet=pBOMPrpg1QX&period=201401&orgUnit=DiszpKrYNg8", **imported
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    doc = json.loads(b"".join(response.streaming_content))
    assert doc["dataSet"] == "pBOMPrpg1QX"
    assert sorted((v["dataElement"], v["value"]) for v in doc["dataValues"]) == [
        ("Ix2HsbDMLea", "2"),
        ("eY5ehpbEsB7", "3"),
        ("f7n9E0hX8qk", "12"),
    ]
    first = doc["dataValues"][0]
    assert first["period"] == "201401" and first["orgUnit"] == "DiszpKrYNg8"
    assert first["categoryOptionCombo"] == "HllvX50cXC0"


def test_get_csv_with_dates_and_children(client, network, play, imported):
    response = client.get(
        URL + ".csv?dataSet=pBOMPrpg1QX&startDate=2014-01-01&endDate=2014-12-31"
        f"&orgUnit={network.tien_du.uid}&children=true",
        **imported,
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:6] == [
        "dataelement",
        "period",
        "orgunit",
        "categoryoptioncombo",
        "attributeoptioncombo",
        "value",
    ]
    assert len(rows) == 1 + 5
    assert {r[2] for r in rows[1:]} == {"DiszpKrYNg8", "FNnj3jKGS7i"}


def test_get_adx_by_accept_header(client, play, imported):
    response = client.get(
        URL + "?dataSet=pBOMPrpg1QX&period=201402&orgUnit=DiszpKrYNg8",
        HTTP_ACCEPT="application/adx+xml",
        **imported,
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert 'period="2014-02-01/P1M"' in text
    assert 'orgUnit="OU_559"' in text and 'dataElement="MEASLES"' in text and 'value="16"' in text


def test_round_trip_through_the_api(client, users, play, imported):
    before = live_values()
    response = client.get(
        URL + ".json?dataSet=pBOMPrpg1QX&startDate=2014-01-01&endDate=2014-12-31"
        f"&orgUnit={play.ngelehun.parent.uid}&children=true",
        **imported,
    )
    body = b"".join(response.streaming_content)
    DataValue.objects.all().delete()
    response = post(client, imported, body)
    assert response.status_code == 200
    assert live_values() == before


@pytest.mark.parametrize(
    "query, code",
    [
        ("?period=201401&orgUnit=DiszpKrYNg8", "E2013"),
        ("?dataSet=pBOMPrpg1QX&orgUnit=DiszpKrYNg8", "E2002"),
        ("?dataSet=pBOMPrpg1QX&period=201401", "E2006"),
        ("?dataSet=nOSuchDs001&period=201401&orgUnit=DiszpKrYNg8", "E1105"),
        ("?dataSet=pBOMPrpg1QX&period=2014-13&orgUnit=DiszpKrYNg8", "E1101"),
        ("?dataSet=pBOMPrpg1QX&period=201401&orgUnit=DiszpKrYNg8&lastUpdatedDuration=1y", None),
    ],
)
def test_get_queries_dhis2_refuses(client, play, imported, query, code):
    response = client.get(URL + ".json" + query, **imported)
    assert response.status_code in (200, 409)
    if code:
        assert response.status_code == 409
        assert response.json()["errorCode"] == code


def test_get_outside_the_clerks_scope(client, users, network, play, imported):
    response = client.get(
        URL + f".json?dataSet=pBOMPrpg1QX&period=201401&orgUnit={network.tu_son.uid}",
        **imported,
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "E2012"


def test_get_xml_is_not_offered(client, play, imported):
    response = client.get(
        URL + ".xml?dataSet=pBOMPrpg1QX&period=201401&orgUnit=DiszpKrYNg8", **imported
    )
    assert response.status_code == 406


# --- single values ---------------------------------------------------------------------------


def test_single_value_post_get_delete(client, users, play):
    auth = basic_auth(users.clerk, users.password)
    query = "de=f7n9E0hX8qk&pe=201401&ou=DiszpKrYNg8"
    response = client.post(f"/api/dataValues?{query}&value=12&comment=OK", **auth)
    assert response.status_code == 201
    response = client.get(f"/api/dataValues?{query}", **auth)
    assert (response.status_code, response.json()) == (200, ["12"])
    response = client.post(f"/api/dataValues?{query}&value=1.234", **auth)
    assert response.status_code == 201
    assert client.get(f"/api/dataValues?{query}", **auth).json() == ["1234"]
    response = client.delete(f"/api/dataValues?{query}", **auth)
    assert response.status_code == 204
    assert DataValue.objects.get(data_element=play.measles).deleted
    response = client.delete(f"/api/dataValues?{query}", **auth)
    assert response.status_code == 409
    response = client.get(f"/api/dataValues?{query}", **auth)
    assert response.status_code == 409
    assert response.json()["message"] == "Data value does not exist"


def test_single_value_as_json_payload(client, users, play):
    body = {
        "dataElement": "DUSpd8Jq3M7",
        "categoryOptionCombo": "Prlt0C1RF0s",
        "period": "202201",
        "orgUnit": "gP6hn503KUX",
        "value": "10",
        "comment": "OK",
    }
    response = client.post(
        "/api/dataValues",
        data=json.dumps(body),
        content_type="application/json",
        **token_auth(users.clerk),
    )
    assert response.status_code == 201, response.content
    value = DataValue.objects.get(category_option_combo=play.fixed)
    assert (value.value, value.comment, value.period) == ("10", "OK", "202201")


def test_single_value_conflicts(client, users, network, play):
    auth = basic_auth(users.clerk, users.password)
    response = client.post(
        "/api/dataValues?de=f7n9E0hX8qk&pe=201401&ou=DiszpKrYNg8&value=abc", **auth
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "E7619"
    response = client.post(
        "/api/dataValues?de=nOSuchDe001&pe=201401&ou=DiszpKrYNg8&value=1", **auth
    )
    assert (response.status_code, response.json()["errorCode"]) == (409, "E1100")
    response = client.post(
        f"/api/dataValues?de=f7n9E0hX8qk&pe=201401&ou={network.tu_son.uid}&value=1", **auth
    )
    assert (response.status_code, response.json()["errorCode"]) == (409, "E2020")
    response = client.get(
        f"/api/dataValues?de=f7n9E0hX8qk&pe=201401&ou={network.tu_son.uid}", **auth
    )
    assert (response.status_code, response.json()["errorCode"]) == (409, "E2020")
    response = client.post("/api/dataValues?de=f7n9E0hX8qk&pe=201401&value=1", **auth)
    assert response.status_code == 400
    assert not DataValue.objects.exists()


def test_single_value_viewer_reads_but_cannot_write(client, users, play):
    client.post(
        "/api/dataValues?de=f7n9E0hX8qk&pe=201401&ou=DiszpKrYNg8&value=7",
        **basic_auth(users.clerk, users.password),
    )
    auth = basic_auth(users.viewer, users.password)
    response = client.get("/api/dataValues?de=f7n9E0hX8qk&pe=201401&ou=DiszpKrYNg8", **auth)
    assert response.json() == ["7"]
    response = client.post(
        "/api/dataValues?de=f7n9E0hX8qk&pe=201401&ou=DiszpKrYNg8&value=8", **auth
    )
    assert response.status_code == 403
    assert stored(play.measles, "201401", play.ngelehun) == "7"
