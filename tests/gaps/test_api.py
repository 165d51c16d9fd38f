"""REST: facility gap and matrix, scoped, in the OpenAPI schema."""

from tests.mixins import new_client


def api(user=None):
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_facility_gap_api(network, catalogue, users):
    body = api(users.clerk).get(f"/api/gaps/facilities/{network.tien_du.uid}/").json()
    assert body["facility"]["code"] == "BN-TTYT-TIENDU"
    assert (body["allowed"], body["performed"], body["gap"]) == (3, 1, 2)
    by_code = {s["code"]: s for s in body["specialties"]}
    assert by_code["03"] == {
        "code": "03",
        "name": "Nhi khoa",
        "allowed": 2,
        "performed": 1,
        "gap": 1,
        "missing": ["T-A2"],
    }
    first = body["ranked"][0]
    assert set(first["components"]) == {"referrals", "requests", "nearby"}
    assert first["score"] == sum(first["components"].values())
    assert first["why"]


def test_matrix_api_equals_the_facility_api(network, catalogue, users):
    client = api(users.doh)
    body = client.get("/api/gaps/matrix/").json()
    assert body["root"]["code"] == "BN-SYT"
    rows = {f["code"]: f for f in body["facilities"]}
    assert "TN-TTYT-PHUBINH" not in rows
    for code in ("BN-TTYT-TIENDU", "BN-BVDK"):
        row = rows[code]
        page = client.get(f"/api/gaps/facilities/{row['uid']}/").json()
        assert {
            s["code"]: {"allowed": s["allowed"], "performed": s["performed"], "gap": s["gap"]}
            for s in page["specialties"]
        } == row["cells"]


def test_api_scope(network, catalogue, users):
    assert api(users.clerk).get(f"/api/gaps/facilities/{network.tu_son.uid}/").status_code == 404
    assert (
        api(users.doh_tn).get("/api/gaps/matrix/", {"root": network.syt_bn.uid}).status_code == 404
    )
    # A root above the clerk's own unit is outside the scope too.
    assert (
        api(users.clerk).get("/api/gaps/matrix/", {"root": network.syt_bn.uid}).status_code == 404
    )
    clerk = api(users.clerk).get("/api/gaps/matrix/").json()
    assert {f["code"] for f in clerk["facilities"]} == {"BN-TTYT-TIENDU", "TYT-09319"}
    assert api().get("/api/gaps/matrix/").status_code in (401, 403)
    # Read-only.
    assert api(users.doh).post("/api/gaps/matrix/", {}).status_code == 405


def test_openapi_has_the_endpoints(db, users):
    schema = api(users.admin).get("/api/schema/", {"format": "json"}).json()
    assert "/api/gaps/matrix/" in schema["paths"]
    assert "/api/gaps/facilities/{uid}/" in schema["paths"]
    ranked = schema["components"]["schemas"]["RankedGap"]
    assert "components" in ranked["properties"]
