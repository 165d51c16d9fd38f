"""The DHIS2 metadata API, called as DHIS2 clients call it (examples from DHIS2's Web API
documentation: fields, filter, rootJunction, paging and the pager, order, org-unit levels)."""

import base64

import pytest
from django.test import Client

from doha.aggregate.metadata import load_default_metadata
from doha.aggregate.models import DataElement, DataSet

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


@pytest.fixture(scope="module")
def default_metadata(shared_world, django_db_blocker):
    """The default data set, loaded once inside the module's shared transaction."""
    with django_db_blocker.unblock():
        load_default_metadata()


@pytest.fixture
def world(network, default_metadata):
    monthly = DataSet.objects.get(code="DS_MONTHLY")
    monthly.org_units.set([network.tien_du, network.tyt_tien_du, network.phu_binh, network.bvdk])
    return monthly


def api(user, password="test-pass-123"):
    token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


def get(user, path, **params):
    response = api(user).get(path, params)
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response


def test_list_has_pager_first_and_id_display_name_by_default(users, world):
    response = get(users.viewer, "/api/dataElements")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["pager", "dataElements"]
    assert body["pager"] == {"page": 1, "pageCount": 1, "total": 27, "pageSize": 50}
    assert all(set(item) == {"id", "displayName"} for item in body["dataElements"])
    names = [item["displayName"] for item in body["dataElements"]]
    assert "Lượt khám bệnh" in names


def test_paging_next_and_previous_pages(users, world):
    body = get(users.viewer, "/api/dataElements.json", page=2, pageSize=10).json()
    pager = body["pager"]
    assert (pager["page"], pager["pageCount"], pager["total"], pager["pageSize"]) == (2, 3, 27, 10)
    assert pager["nextPage"].startswith("http://testserver/api/dataElements.json?")
    assert "page=3" in pager["nextPage"] and "pageSize=10" in pager["nextPage"]
    assert "page=1" in pager["prevPage"]
    assert len(body["dataElements"]) == 10
    last = get(users.viewer, "/api/dataElements", page=3, pageSize=10).json()
    assert len(last["dataElements"]) == 7 and "nextPage" not in last["pager"]
    everything = get(users.viewer, "/api/dataElements", paging="false").json()
    assert "pager" not in everything and len(everything["dataElements"]) == 27


def test_fields_with_nested_objects_and_presets(users, world):
    opd = DataElement.objects.get(code="OPD_VISITS")
    body = get(
        users.viewer,
        "/api/dataElements",
        filter="code:eq:OPD_VISITS",
        fields="id,name,code,valueType,aggregationType,categoryCombo[id,name],"
        "dataSetElements[dataSet[id,name]]",
    ).json()
    assert body["dataElements"] == [
        {
            "id": opd.uid,
            "name": "Lượt khám bệnh",
            "code": "OPD_VISITS",
            "valueType": "INTEGER_ZERO_OR_POSITIVE",
            "aggregationType": "SUM",
            "categoryCombo": {"id": opd.category_combo.uid, "name": "Giới tính và nhóm tuổi"},
            "dataSetElements": [
                {"dataSet": {"id": world.uid, "name": "Báo cáo thống kê y tế hằng tháng"}}
            ],
        }
    ]
    # One object: all fields; a reference without sub-fields is {"id": ...}.
    one = get(users.viewer, f"/api/dataElements/{opd.uid}").json()
    assert one["categoryCombo"] == {"id": opd.category_combo.uid}
    assert one["displayName"] == "Lượt khám bệnh" and one["domainType"] == "AGGREGATE"
    owner = get(users.viewer, f"/api/dataElements/{opd.uid}", fields=":owner,!description").json()
    assert "displayName" not in owner and "description" not in owner and owner["code"]
    combos = get(
        users.viewer,
        "/api/categoryCombos",
        filter="code:eq:CC_SEX_AGE",
        fields="name,categories[code,categoryOptions[name]],categoryOptionCombos~size",
    ).json()["categoryCombos"][0]
    assert [c["code"] for c in combos["categories"]] == ["CAT_SEX", "CAT_AGE"]
    assert [o["name"] for o in combos["categories"][1]["categoryOptions"]] == [
        "Dưới 5 tuổi",
        "5–14 tuổi",
        "15–59 tuổi",
        "Từ 60 tuổi",
    ]


def test_filters_and_root_junction(users, world):
    def codes(**params):
        body = get(users.viewer, "/api/dataElements", fields="code", paging="false", **params)
        assert body.status_code == 200, body.json()
        return sorted(item["code"] for item in body.json()["dataElements"])

    assert codes(filter="code:in:[OPD_VISITS,POPULATION]") == ["OPD_VISITS", "POPULATION"]
    assert codes(filter="name:ilike:khám") == ["OPD_VISITS"]
    assert codes(filter="code:$like:HOTLINE") == ["HOTLINE_CALLS", "HOTLINE_RESOLVED"]
    assert codes(filter=["code:$like:HOTLINE", "code:like:CALLS"]) == ["HOTLINE_CALLS"]
    assert codes(filter=["code:eq:DEATHS", "code:eq:SURGERIES"]) == []
    assert codes(filter=["code:eq:DEATHS", "code:eq:SURGERIES"], rootJunction="OR") == [
        "DEATHS",
        "SURGERIES",
    ]
    activities = DataSet.objects.get(code="DS_ACTIVITIES")
    assert codes(filter=f"dataSetElements.dataSet.id:eq:{activities.uid}") == sorted(
        ["ACT_CONSULTATIONS", "ACT_DONATION_VALUE", "ACT_PEOPLE_TRAINED"]
        + ["ACT_ROTATION_STAFF", "ACT_TRANSFERS_ACCEPTED"]
    )
    assert len(codes(filter="categoryCombo.code:eq:CC_SEX")) == 4
    assert len(codes(filter="zeroIsSignificant:eq:true")) == 5  # with SVC_AEFI
    assert codes(filter="identifiable:token:dan so") == []  # DHIS2's token is accent-sensitive
    assert codes(query="dan so") == ["POPULATION"]  # query= ignores accents, as users type
    ordered = get(users.viewer, "/api/dataElements", fields="code", order="code:desc").json()
    assert ordered["dataElements"][0]["code"] == "TECHNIQUES_PERFORMED"


def test_bad_parameters_answer_a_dhis2_web_message(users, world):
    response = get(users.viewer, "/api/dataElements", filter="colour:eq:red")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "ERROR" and body["httpStatusCode"] == 400
    assert "colour" in body["message"]
    assert get(users.viewer, "/api/dataElements", filter="name:near:x").status_code == 400
    assert get(users.viewer, "/api/dataElements", pageSize="many").status_code == 400
    response = get(users.viewer, "/api/dataElements", fields="id,categoryCombo[id")
    assert response.status_code == 400 and "bracket" in response.json()["message"]
    missing = get(users.viewer, "/api/dataElements/Abcdefghijk")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E1005"
    xml = api(users.viewer).get("/api/dataElements.xml")
    assert xml.status_code == 406


def test_org_units_in_dhis2_shape(users, network, world):
    unit = get(
        users.doh,
        f"/api/organisationUnits/{network.tyt_tien_du.uid}",
        fields="id,name,level,path,parent[id,name],children[id]",
    ).json()
    assert unit == {
        "id": network.tyt_tien_du.uid,
        "name": "Trạm Y tế Xã Tiên Du",
        "level": 4,
        "path": f"/{network.moh.uid}/{network.syt_bn.uid}/{network.tien_du.uid}"
        f"/{network.tyt_tien_du.uid}",
        "parent": {"id": network.tien_du.uid, "name": "Trung tâm Y tế Tiên Du"},
        "children": [],
    }
    level3 = get(users.doh, "/api/organisationUnits", level=3, fields="name").json()
    assert sorted(u["name"] for u in level3["organisationUnits"]) == [
        "Bệnh viện Đa khoa tỉnh Bắc Ninh",
        "Trung tâm Y tế Tiên Du",
        "Trung tâm Y tế Từ Sơn",
    ]
    children = get(
        users.doh, f"/api/organisationUnits/{network.syt_bn.uid}", includeChildren="true"
    ).json()
    assert len(children["organisationUnits"]) == 4  # the DOH and its three units
    descendants = get(
        users.doh, f"/api/organisationUnits/{network.tien_du.uid}", includeDescendants="true"
    ).json()
    assert {u["id"] for u in descendants["organisationUnits"]} == {
        network.tien_du.uid,
        network.tyt_tien_du.uid,
    }
    by_path = get(
        users.doh, "/api/organisationUnits", filter=f"path:like:{network.tu_son.uid}", fields="id"
    ).json()
    assert len(by_path["organisationUnits"]) == 2


def test_a_clerk_sees_only_their_district(users, network, world):
    clerk = users.clerk  # TTYT Tiên Du
    body = get(clerk, "/api/organisationUnits", fields="id,name", paging="false").json()
    assert {u["id"] for u in body["organisationUnits"]} == {
        network.tien_du.uid,
        network.tyt_tien_du.uid,
    }
    for other in (network.tu_son, network.syt_bn, network.phu_binh):
        assert get(clerk, f"/api/organisationUnits/{other.uid}").status_code == 404
    # The parent (the DOH) shows its name, never the DOH's other districts.
    nested = get(
        clerk,
        f"/api/organisationUnits/{network.tien_du.uid}",
        fields="parent[id,name,children[id,name]],ancestors[name,children]",
    ).json()
    assert nested["parent"] == {"id": network.syt_bn.uid, "name": "Sở Y tế tỉnh Bắc Ninh"}
    assert "Từ Sơn" not in str(nested) and network.tu_son.uid not in str(nested)
    data_set = get(clerk, f"/api/dataSets/{world.uid}", fields="organisationUnits[id]").json()
    assert {u["id"] for u in data_set["organisationUnits"]} == {
        network.tien_du.uid,
        network.tyt_tien_du.uid,
    }
    mine = get(clerk, "/api/organisationUnits", userOnly="true", fields="id").json()
    assert mine["organisationUnits"] == [{"id": network.tien_du.uid}]
    search = get(clerk, "/api/organisationUnits", query="tu son", fields="id").json()
    assert search["organisationUnits"] == []


def test_another_provinces_officer_sees_their_own_units_of_a_data_set(users, network, world):
    body = get(users.doh_tn, f"/api/dataSets/{world.uid}", fields="organisationUnits[name]")
    assert body.json()["organisationUnits"] == [{"name": "Trung tâm Y tế Phú Bình"}]
    admin = get(users.admin, "/api/organisationUnits", userOnly="true", fields="name").json()
    assert admin["organisationUnits"] == [{"name": "Bộ Y tế"}]


def test_data_sets_option_combos_and_indicators(users, world):
    ds = get(
        users.clerk,
        "/api/dataSets",
        filter="code:eq:DS_MONTHLY",
        fields="id,periodType,categoryCombo[name],dataSetElements[dataElement[code]]",
    ).json()["dataSets"][0]
    assert ds["periodType"] == "Monthly" and ds["categoryCombo"] == {"name": "default"}
    assert ds["dataSetElements"][0] == {"dataElement": {"code": "OPD_VISITS"}}
    assert len(ds["dataSetElements"]) == 19
    cocs = get(
        users.clerk,
        "/api/categoryOptionCombos",
        filter="categoryCombo.code:eq:CC_SEX_AGE",
        fields="name,categoryOptions[code]",
        paging="false",
    ).json()["categoryOptionCombos"]
    assert len(cocs) == 8
    last = {"name": "Nữ, Từ 60 tuổi", "categoryOptions": [{"code": "SEX_F"}, {"code": "AGE_60P"}]}
    assert last in cocs
    everything = get(users.clerk, "/api/categoryOptionCombos", paging="false").json()
    assert "default" in [c["displayName"] for c in everything["categoryOptionCombos"]]
    indicator = get(
        users.clerk,
        "/api/indicators",
        filter="code:eq:IND_REFERRAL_RATE",
        fields=":all,indicatorType[name,factor]",
    ).json()["indicators"][0]
    assert indicator["indicatorType"] == {"name": "Phần trăm", "factor": 100}
    assert indicator["numerator"].startswith("#{") and indicator["denominator"].startswith("#{")
    rules = get(
        users.clerk, "/api/validationRules", fields="code,importance,leftSide", paging="false"
    ).json()["validationRules"]
    assert len(rules) == 6 and set(rules[0]["leftSide"]) == {
        "expression",
        "description",
        "missingValueStrategy",
    }


def test_system_info_and_versioned_paths(users, world):
    info = get(users.viewer, "/api/40/system/info.json").json()
    assert info["version"].startswith("2.40")
    assert info["calendar"] == "iso8601" and info["dateFormat"] == "yyyy-mm-dd"
    assert info["contextPath"] == "http://testserver"
    assert info["systemName"] == "doha" and len(info["serverDate"]) == 23
    assert "databaseInfo" not in info
    assert "databaseInfo" in get(users.admin, "/api/system/info").json()


def test_me_names_the_user_their_units_and_authorities(users, network, world):
    me = get(users.clerk, "/api/me").json()
    assert me["username"] == "ttyt.tiendu"
    assert me["organisationUnits"] == [
        {"id": network.tien_du.uid, "name": "Trung tâm Y tế Tiên Du"}
    ]
    assert me["userRoles"][0]["id"] == "data_clerk"
    assert "F_DATAVALUE_ADD" in me["authorities"]
    assert "F_DATAELEMENT_PUBLIC_ADD" not in me["authorities"]
    assert me["dataSets"] == [world.uid]
    assert me["settings"]["keyUiLocale"] in {"vi", "en"}
    assert get(users.admin, "/api/me").json()["authorities"] == ["ALL"]
    assert "F_DATAELEMENT_PUBLIC_ADD" in get(users.doh, "/api/me").json()["authorities"]
    short = get(users.clerk, "/api/me", fields="id,username,organisationUnits[id]").json()
    assert short == {
        "id": str(users.clerk.pk),
        "username": "ttyt.tiendu",
        "organisationUnits": [{"id": network.tien_du.uid}],
    }


def test_anonymous_and_wrong_password_get_401_with_a_basic_challenge(users, world):
    response = Client().get("/api/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert api(users.clerk, password="wrong").get("/api/dataElements").status_code == 401


@pytest.mark.parametrize(
    "path, fields",
    [
        ("/api/dataElements", "*"),
        ("/api/dataSets", "id,dataSetElements[dataElement[id]],organisationUnits[id,name]"),
        ("/api/organisationUnits", "id,name,level,path,parent[id,name],children[id],leaf"),
        ("/api/categoryCombos", "id,categories[id,categoryOptions[id]],categoryOptionCombos[id]"),
        ("/api/indicators", ":all,indicatorType[name,factor]"),
    ],
)
def test_lists_cost_a_fixed_number_of_queries(
    users, world, django_assert_max_num_queries, path, fields
):
    client = api(users.doh)
    with django_assert_max_num_queries(12):
        response = client.get(path, {"fields": fields, "paging": "false"})
    assert response.status_code == 200
