"""The REST API of the catalogue, stock ledger and cold chain."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from doha.vaccines import stock
from doha.vaccines.models import EntryKind, Lot, LotHold, StockEntry, Vaccine
from tests.mixins import new_client
from tests.vaccines.factories import make_lot, stock_up

JSON = "application/json"


def api(user):
    client = new_client()
    client.force_login(user)
    return client


@pytest.fixture
def stocked(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip, "FLU-01", days=200)
    stock_up(cdc, lot, 40)
    stock.issue(cdc.centre, cdc.point1, [stock.Line(lot, 10)])
    return lot


def post(user, url, data):
    return api(user).post(url, data, content_type=JSON)


def test_receipt_with_a_new_lot_then_issue(cdc):
    expiry = (timezone.localdate() + datetime.timedelta(days=365)).isoformat()
    response = post(
        cdc.cdc_clerk,
        "/api/vaccine-stock-movements/",
        {
            "kind": "receipt",
            "store": cdc.centre.uid,
            "supplier": cdc.supplier.uid,
            "reference": "HĐ 778",
            "lines": [
                {
                    "vaccine": cdc.catalogue.verorab.uid,
                    "lot_number": "R-2026-1",
                    "expiry_date": expiry,
                    "quantity": 60,
                }
            ],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(e["kind"], e["quantity"], e["store"]) for e in body["entries"]] == [
        ("receipt", 60, cdc.centre.uid)
    ]
    lot = Lot.objects.get(lot_number="R-2026-1")
    response = post(
        cdc.cdc_clerk,
        "/api/vaccine-stock-movements/",
        {
            "kind": "issue",
            "store": cdc.centre.uid,
            "counterpart": cdc.point2.uid,
            "lines": [{"lot": lot.uid, "quantity": 25}],
        },
    )
    assert response.status_code == 201
    assert {(e["store"], e["quantity"]) for e in response.json()["entries"]} == {
        (cdc.centre.uid, -25),
        (cdc.point2.uid, 25),
    }
    assert stock.on_hand(cdc.point2, lot) == 25


def test_refusals_name_the_field(cdc, stocked):
    url = "/api/vaccine-stock-movements/"
    response = post(
        cdc.cdc_clerk,
        url,
        {
            "kind": "issue",
            "store": cdc.centre.uid,
            "counterpart": cdc.point1.uid,
            "lines": [{"lot": stocked.uid, "quantity": 31}],
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "quantity": [
            "Only 30 doses of lot FLU-01 are in stock at Kho vắc xin CDC: 31 cannot be taken."
        ]
    }
    response = post(
        cdc.cdc_clerk,
        url,
        {
            "kind": "receipt",
            "store": cdc.centre.uid,
            "lines": [{"lot": stocked.uid, "quantity": 1}],
        },
    )
    assert set(response.json()) == {"supplier", "reference"}
    response = post(
        cdc.cdc_clerk,
        url,
        {
            "kind": "adjustment",
            "store": cdc.centre.uid,
            "reason": "broken",
            "lines": [{"lot": stocked.uid, "quantity": 2}],
        },
    )
    assert response.status_code == 400 and "quantity" in response.json()
    response = post(
        cdc.cdc_clerk,
        url,
        {"kind": "issue", "store": cdc.centre.uid, "lines": [{"lot": "nope", "quantity": 1}]},
    )
    assert response.json() == {"lines": ["Line 1: No lot has this UID."]}
    assert StockEntry.objects.count() == 3


def test_scope_of_the_stock_endpoints(cdc, stocked, users):
    point = api(cdc.point_clerk).get("/api/vaccine-stock/").json()
    assert [(b["store"], b["quantity"]) for b in point["results"]] == [(cdc.point1.uid, 10)]
    centre = api(cdc.cdc_clerk).get("/api/vaccine-stock/").json()
    assert centre["count"] == 2
    assert api(cdc.tn_clerk).get("/api/vaccine-stock/").json()["count"] == 0
    entries = api(cdc.point_clerk).get("/api/vaccine-stock-entries/").json()
    assert {e["store"] for e in entries["results"]} == {cdc.point1.uid}
    centre_entry = StockEntry.objects.get(kind=EntryKind.ISSUE)
    assert (
        api(cdc.point_clerk).get(f"/api/vaccine-stock-entries/{centre_entry.uid}/").status_code
        == 404
    )
    # The point's clerk may not take doses out of the centre.
    response = post(
        cdc.point_clerk,
        "/api/vaccine-stock-movements/",
        {
            "kind": "issue",
            "store": cdc.centre.uid,
            "counterpart": cdc.point1.uid,
            "lines": [{"lot": stocked.uid, "quantity": 1}],
        },
    )
    assert response.status_code == 400
    assert response.json() == {"store": ["No store in your scope has this UID."]}
    # ...but returns to its centre.
    response = post(
        cdc.point_clerk,
        "/api/vaccine-stock-movements/",
        {
            "kind": "return",
            "store": cdc.point1.uid,
            "reason": "expired",
            "lines": [{"lot": stocked.uid, "quantity": 2}],
        },
    )
    assert response.status_code == 201
    assert stock.on_hand(cdc.centre, stocked) == 32
    viewer = post(
        users.viewer,
        "/api/vaccine-stock-movements/",
        {"kind": "adjustment", "store": cdc.centre.uid, "lines": []},
    )
    assert viewer.status_code == 403
    assert new_client().get("/api/vaccine-stock/").status_code in (401, 403)


def test_ledger_is_read_only_and_reversed_by_action(cdc, stocked, users):
    entry = StockEntry.objects.get(kind=EntryKind.ISSUE)
    client = api(cdc.cdc_clerk)
    url = f"/api/vaccine-stock-entries/{entry.uid}/"
    assert client.patch(url, {"quantity": -1}, content_type=JSON).status_code == 405
    assert client.put(url, {"quantity": -1}, content_type=JSON).status_code == 405
    assert client.delete(url).status_code == 403  # a clerk retires nothing
    assert api(users.doh).delete(url).status_code == 405  # and nobody deletes an entry
    created = client.post("/api/vaccine-stock-entries/", {"kind": "receipt"}, content_type=JSON)
    assert created.status_code == 405
    assert StockEntry.objects.get(pk=entry.pk).quantity == -10
    assert post(users.viewer, url + "reverse/", {"note": "x"}).status_code == 403
    response = post(cdc.cdc_clerk, url + "reverse/", {"note": "Nhầm điểm"})
    assert response.status_code == 201
    assert sorted(e["quantity"] for e in response.json()) == [-10, 10]
    assert all(e["reverses"] for e in response.json())
    again = post(cdc.cdc_clerk, url + "reverse/", {"note": "again"})
    assert again.status_code == 400 and "reverses" in again.json()


def test_fefo_and_expiring(cdc, stocked):
    soon = make_lot(cdc.catalogue.vaxigrip, "FLU-00", days=25)
    stock_up(cdc, soon, 4)
    client = api(cdc.cdc_clerk)
    response = client.get(
        "/api/vaccine-stock/fefo/",
        {"store": cdc.centre.uid, "vaccine": cdc.catalogue.vaxigrip.uid, "quantity": 10},
    )
    assert response.status_code == 200
    body = response.json()
    assert [(lot["lot_number"], lot["take"]) for lot in body["lots"]] == [
        ("FLU-00", 4),
        ("FLU-01", 6),
    ]
    assert body["missing"] == 0
    bad = client.get("/api/vaccine-stock/fefo/", {"store": cdc.tn_store.uid, "quantity": 0})
    assert set(bad.json()) == {"store", "vaccine", "quantity"}
    expiring = client.get("/api/vaccine-stock/expiring/").json()
    assert [(w["lot_number"], w["horizon"]) for w in expiring] == [("FLU-00", 30)]


def test_temperature_endpoints(cdc, stocked):
    client = api(cdc.cdc_clerk)
    when = timezone.now() - datetime.timedelta(hours=1)
    response = client.post(
        "/api/vaccine-temperatures/",
        {"fridge": cdc.centre_fridge.uid, "recorded_at": when.isoformat(), "temperature_c": "10.2"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    assert response.json()["excursion"] is True
    holds = api(cdc.cdc_clerk).get("/api/vaccine-holds/", {"status": "open"}).json()
    assert [h["lot_number"] for h in holds["results"]] == ["FLU-01"]
    reading_url = f"/api/vaccine-temperatures/{response.json()['uid']}/"
    assert client.patch(reading_url, {"temperature_c": "5"}, content_type=JSON).status_code == 405
    text = "timestamp,temperature\n" + "".join(
        f"{timezone.localtime(when - datetime.timedelta(minutes=10 * i)):%d/%m/%Y %H:%M},{t}\n"
        for i, t in enumerate(["5", "x", "6"], start=1)
    )
    bad = client.post(
        "/api/vaccine-temperatures/upload/",
        {"fridge": cdc.point1_fridge.uid, "file": SimpleUploadedFile("t.csv", text.encode())},
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"row": 3, "column": "temperature", "message": "Not a temperature: x"}
    ]
    good = client.post(
        "/api/vaccine-temperatures/upload/",
        {
            "fridge": cdc.point1_fridge.uid,
            "file": SimpleUploadedFile("t.csv", text.replace(",x", ",5.5").encode()),
        },
    )
    assert good.status_code == 200
    assert good.json()["created"] == 3
    foreign = api(cdc.point_clerk).post(
        "/api/vaccine-temperatures/upload/",
        {"fridge": cdc.centre_fridge.uid, "file": SimpleUploadedFile("t.csv", text.encode())},
    )
    assert foreign.status_code == 400 and "fridge" in foreign.json()


def test_hold_decide_endpoint(cdc, stocked):
    client = api(cdc.cdc_clerk)
    response = client.post(
        "/api/vaccine-holds/",
        {"store": cdc.point1.uid, "lot": stocked.uid, "reason": "Thu hồi lô"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    uid = response.json()["uid"]
    assert response.json()["is_open"] is True
    refused = post(cdc.cdc_clerk, f"/api/vaccine-holds/{uid}/decide/", {"decision": "discard"})
    assert refused.status_code == 400 and "note" in refused.json()
    decided = post(
        cdc.cdc_clerk,
        f"/api/vaccine-holds/{uid}/decide/",
        {"decision": "discard", "note": "Theo công văn thu hồi"},
    )
    assert decided.status_code == 200
    assert decided.json()["decision"] == "discard" and decided.json()["is_open"] is False
    assert stock.on_hand(cdc.point1, stocked) == 0
    wastage = StockEntry.objects.get(kind=EntryKind.WASTAGE)
    assert (wastage.store, wastage.reason) == (cdc.point1, "recall")
    assert LotHold.objects.get(uid=uid).decided_by == cdc.cdc_clerk


def test_count_endpoints(cdc, stocked):
    client = api(cdc.cdc_clerk)
    response = client.post(
        "/api/vaccine-stock-counts/",
        {
            "store": cdc.centre.uid,
            "lines": [{"lot": stocked.uid, "counted": 31, "reason": "count"}],
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    uid = response.json()["uid"]
    result = client.post(f"/api/vaccine-stock-counts/{uid}/reconcile/")
    assert result.status_code == 200
    assert [(e["kind"], e["quantity"]) for e in result.json()] == [("adjustment", 1)]
    detail = client.get(f"/api/vaccine-stock-counts/{uid}/").json()
    assert detail["status"] == "reconciled"
    assert detail["lines"] == [
        {
            "lot": stocked.uid,
            "counted": 31,
            "reason": "count",
            "note": "",
            "expected": 30,
            "difference": 1,
        }
    ]


def test_catalogue_api(cdc, users):
    data = {
        "code": "HEXAXIM",
        "name": "Hexaxim",
        "antigens": ["FLU"],
        "manufacturer": "Sanofi",
        "doses_per_vial": 1,
        "storage_min_c": "2.0",
        "storage_max_c": "8.0",
        "price": 1015000,
    }
    assert post(cdc.cdc_clerk, "/api/vaccines/", data).status_code == 403
    bad = post(users.doh, "/api/vaccines/", {**data, "storage_min_c": "9.0"})
    assert bad.status_code == 400
    assert "storage" in str(bad.json()).lower() or "__all__" in bad.json()
    response = post(users.doh, "/api/vaccines/", data)
    assert response.status_code == 201, response.json()
    vaccine = Vaccine.objects.get(code="HEXAXIM")
    assert list(vaccine.antigens.values_list("code", flat=True)) == ["FLU"]
    dose = post(
        users.doh,
        "/api/vaccine-schedule-doses/",
        {"vaccine": vaccine.uid, "dose_number": 1, "min_age_days": 42},
    )
    assert dose.status_code == 201, dose.json()
    neither = post(users.doh, "/api/vaccine-schedule-doses/", {"dose_number": 1})
    assert neither.status_code == 400
    listed = api(cdc.point_clerk).get("/api/vaccines/", {"q": "hexa"}).json()
    assert [v["code"] for v in listed["results"]] == ["HEXAXIM"]
    assert listed["results"][0]["schedule"][0]["min_age_days"] == 42
    # Retired, not deleted.
    assert api(users.doh).delete(f"/api/vaccines/{vaccine.uid}/").status_code == 204
    vaccine.refresh_from_db()
    assert vaccine.active is False


def test_store_api_scope(cdc, users):
    client = api(cdc.point_clerk)
    listed = client.get("/api/vaccine-stores/").json()
    assert [s["uid"] for s in listed["results"]] == [cdc.point1.uid]
    assert client.get(f"/api/vaccine-stores/{cdc.centre.uid}/").status_code == 404
    response = post(
        cdc.point_clerk,
        "/api/vaccine-fridges/",
        {"store": cdc.centre.uid, "name": "Tủ mới"},
    )
    assert response.status_code == 400 and "store" in response.json()
    response = post(
        cdc.point_clerk,
        "/api/vaccine-fridges/",
        {"store": cdc.point1.uid, "name": "Tủ mới", "min_c": "8", "max_c": "2"},
    )
    assert response.status_code == 400
    response = post(
        cdc.point_clerk, "/api/vaccine-fridges/", {"store": cdc.point1.uid, "name": "Tủ mới"}
    )
    assert response.status_code == 201
    doh = api(users.doh).get("/api/vaccine-stores/").json()
    assert {s["uid"] for s in doh["results"]} == {cdc.centre.uid, cdc.point1.uid, cdc.point2.uid}


def test_schema_documents_the_endpoints(users):
    paths = api(users.admin).get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in [
        "/api/vaccines/",
        "/api/vaccine-stock/",
        "/api/vaccine-stock/fefo/",
        "/api/vaccine-stock/expiring/",
        "/api/vaccine-stock-movements/",
        "/api/vaccine-stock-entries/{uid}/reverse/",
        "/api/vaccine-stock-counts/{uid}/reconcile/",
        "/api/vaccine-temperatures/upload/",
        "/api/vaccine-holds/{uid}/decide/",
    ]:
        assert path in paths, path
    assert set(paths["/api/vaccine-stock-entries/"]) == {"get"}
    assert set(paths["/api/vaccine-stock-entries/{uid}/"]) == {"get"}
