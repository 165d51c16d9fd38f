"""The catalogue, stock and cold-chain pages: what a clerk, the DOH and a viewer see and do."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from doha.vaccines import coldchain, stock
from doha.vaccines.models import (
    CountStatus,
    EntryKind,
    EntryReason,
    HoldDecision,
    Lot,
    LotHold,
    StockCount,
    StockEntry,
    Vaccine,
)
from tests.mixins import new_client, table_from_export
from tests.vaccines.factories import make_lot, stock_up

LIST_PAGES = [
    "vaccines:vaccine-list",
    "vaccines:antigen-list",
    "vaccines:store-list",
    "vaccines:supplier-list",
    "vaccines:stock",
    "vaccines:entry-list",
    "vaccines:expiry",
    "vaccines:count-list",
    "vaccines:reading-list",
    "vaccines:hold-list",
]


def login(user):
    client = new_client()
    client.force_login(user)
    return client


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def stocked(cdc):
    lot = make_lot(cdc.catalogue.vaxigrip, "FLU-01", days=200)
    stock_up(cdc, lot, 40)
    stock.issue(cdc.centre, cdc.point1, [stock.Line(lot, 10)])
    return lot


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_open_and_export(cdc, stocked, name):
    client = login(cdc.cdc_clerk)
    response = client.get(reverse(name))
    assert response.status_code == 200
    export = client.get(reverse(name), {"export": "xlsx"})
    assert export.status_code == 200
    assert export["Content-Disposition"].endswith('.xlsx"')
    header, _rows = table_from_export(export)
    assert header


def test_pages_need_sign_in(cdc):
    response = new_client().get(reverse("vaccines:stock"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_stock_page_shows_the_users_scope_only(cdc, stocked, users):
    point = login(cdc.point_clerk).get(reverse("vaccines:stock"))
    assert [r["key"].split("-")[0] for r in point.context["rows"]] == [cdc.point1.uid]
    assert point.context["total_doses"] == "10"
    centre = login(cdc.cdc_clerk).get(reverse("vaccines:stock"))
    assert {r["key"].split("-")[0] for r in centre.context["rows"]} == {
        cdc.centre.uid,
        cdc.point1.uid,
    }
    assert centre.context["total_doses"] == "40"
    other = login(cdc.tn_clerk).get(reverse("vaccines:stock"))
    assert other.context["rows"] == []
    assert "FLU-01" not in other.content.decode()
    # A store outside the scope does not exist for the user.
    assert login(cdc.point_clerk).get(cdc.centre.get_absolute_url()).status_code == 404
    assert login(users.doh).get(cdc.centre.get_absolute_url()).status_code == 200


def test_stock_export_follows_the_filters(cdc, stocked):
    client = login(cdc.cdc_clerk)
    response = client.get(reverse("vaccines:stock"), {"store": cdc.point1.uid, "export": "xlsx"})
    header, rows = table_from_export(response)
    assert header[0] == "Store"
    assert rows == [["Điểm tiêm số 1", "Vaxigrip Tetra", "FLU-01", rows[0][3], "200", "", "10"]]


def test_receive_page_records_new_lots(cdc):
    client = login(cdc.cdc_clerk)
    expiry = timezone.localdate() + datetime.timedelta(days=300)
    data = {
        "store": cdc.centre.uid,
        "supplier": cdc.supplier.pk,
        "reference": "HĐ 0001234",
        "occurred_at": "",
        "note": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-vaccine": cdc.catalogue.bcg.pk,
        "lines-0-lot_number": "BCG-2026",
        "lines-0-expiry_date": expiry.isoformat(),
        "lines-0-quantity": "100",
        "lines-1-vaccine": cdc.catalogue.vaxigrip.pk,
        "lines-1-lot_number": "U1234",
        "lines-1-expiry_date": expiry.isoformat(),
        "lines-1-quantity": "50",
    }
    response = client.post(reverse("vaccines:receive"), data)
    assert response.status_code == 302
    lot = Lot.objects.get(lot_number="BCG-2026")
    assert stock.on_hand(cdc.centre, lot) == 100
    entry = StockEntry.objects.get(lot=lot)
    assert (entry.reference, entry.supplier, entry.created_by) == (
        "HĐ 0001234",
        cdc.supplier,
        cdc.cdc_clerk,
    )
    # The same lot number with another expiry date is refused, nothing recorded.
    data["lines-0-expiry_date"] = (expiry + datetime.timedelta(days=1)).isoformat()
    data["reference"] = "HĐ 2"
    response = client.post(reverse("vaccines:receive"), data)
    assert response.status_code == 400
    assert "BCG-2026: Lot BCG-2026 of BCG (IVAC) is recorded with the expiry date" in (
        response.content.decode()
    )
    assert StockEntry.objects.count() == 2


def test_issue_page_refuses_more_than_on_hand(cdc, stocked):
    client = login(cdc.cdc_clerk)
    data = {
        "store": cdc.centre.uid,
        "counterpart": cdc.point2.uid,
        "occurred_at": "",
        "reference": "",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-lot": stocked.uid,
        "lines-0-quantity": "31",
    }
    response = client.post(reverse("vaccines:issue"), data)
    assert response.status_code == 400
    assert "Only 30 doses of lot FLU-01 are in stock at Kho vắc xin CDC" in (
        response.content.decode()
    )
    assert stock.on_hand(cdc.point2, stocked) == 0
    data["lines-0-quantity"] = "30"
    response = client.post(reverse("vaccines:issue"), data)
    assert response.status_code == 302
    assert stock.on_hand(cdc.point2, stocked) == 30


def test_point_clerk_cannot_issue_from_the_centre(cdc, stocked):
    response = login(cdc.point_clerk).get(reverse("vaccines:issue"))
    # The centre is not among the stores it may issue from.
    assert cdc.centre.uid not in [
        str(v) for v, _label in response.context["form"].fields["store"].choices
    ]
    response = login(cdc.point_clerk).post(
        reverse("vaccines:issue"),
        {
            "store": cdc.centre.uid,
            "counterpart": cdc.point1.uid,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-lot": stocked.uid,
            "lines-0-quantity": "1",
        },
    )
    assert response.status_code == 400
    assert stock.on_hand(cdc.centre, stocked) == 30


def test_viewer_cannot_open_movement_forms(cdc, users):
    client = login(users.viewer)
    for name in ("receive", "issue", "transfer", "return", "adjust", "count-add", "hold-add"):
        assert client.get(reverse(f"vaccines:{name}")).status_code == 403, name


def test_adjust_page_with_reason(cdc, stocked):
    client = login(cdc.point_clerk)
    response = client.post(
        reverse("vaccines:adjust"),
        {
            "store": cdc.point1.uid,
            "lot": stocked.uid,
            "quantity": "-1",
            "reason": EntryReason.BROKEN,
            "note": "Rơi vỡ khi chuẩn bị tiêm",
        },
    )
    assert response.status_code == 302
    entry = StockEntry.objects.get(kind=EntryKind.WASTAGE)
    assert (entry.store, entry.quantity, entry.reason) == (cdc.point1, -1, EntryReason.BROKEN)
    response = client.post(
        reverse("vaccines:adjust"),
        {"store": cdc.point1.uid, "lot": stocked.uid, "quantity": "2", "reason": "vvm3"},
    )
    assert response.status_code == 400
    assert "give a negative number" in response.content.decode()


def test_reverse_page_and_no_edit_of_the_ledger(cdc, stocked, users):
    entry = StockEntry.objects.get(kind=EntryKind.ISSUE)
    client = login(cdc.cdc_clerk)
    page = client.get(entry.get_absolute_url())
    assert page.context["can_reverse"]
    assert login(users.viewer).get(entry.get_absolute_url()).context["can_reverse"] is False
    url = reverse("vaccines:entry-reverse", args=[entry.uid])
    assert client.post(url, {"note": ""}).status_code == 400
    response = client.post(url, {"note": "Nhầm số lượng"})
    assert response.status_code == 302
    assert stock.on_hand(cdc.point1, stocked) == 0
    assert stock.on_hand(cdc.centre, stocked) == 40
    detail = client.get(entry.get_absolute_url())
    assert detail.context["reversed_by"] is not None and not detail.context["can_reverse"]
    assert login(users.viewer).post(url, {"note": "x"}).status_code == 403
    for suffix in ("edit/", "delete/"):
        assert client.get(entry.get_absolute_url() + suffix).status_code == 404


def test_catalogue_is_changed_by_the_doh_only(cdc, users):
    data = {
        "code": "GARDASIL9",
        "name": "Gardasil 9",
        "antigens": [cdc.catalogue.flu.pk],
        "manufacturer": "MSD",
        "doses_per_vial": "1",
        "open_vial_policy": "single_dose",
        "route": "im",
        "storage_min_c": "2",
        "storage_max_c": "8",
        "price": "2950000",
        "active": "on",
    }
    assert login(cdc.cdc_clerk).post(reverse("vaccines:vaccine-add"), data).status_code == 403
    assert not Vaccine.objects.filter(code="GARDASIL9").exists()
    bad = login(users.doh).post(reverse("vaccines:vaccine-add"), {**data, "storage_min_c": "9"})
    assert bad.status_code == 400
    response = login(users.doh).post(reverse("vaccines:vaccine-add"), data)
    assert response.status_code == 302
    vaccine = Vaccine.objects.get(code="GARDASIL9")
    assert vaccine.price == 2950000
    detail = login(cdc.cdc_clerk).get(vaccine.get_absolute_url())
    assert "2.950.000 đ" in detail.content.decode()
    assert not detail.context["can_edit"]
    schedule = login(users.doh).post(
        reverse("vaccines:schedule-add", args=[vaccine.uid]),
        {"dose_number": "2", "min_age_days": "3285", "min_interval_days": "150"},
    )
    assert schedule.status_code == 302
    assert vaccine.schedule.get().min_interval_days == 150
    duplicate = login(users.doh).post(
        reverse("vaccines:schedule-add", args=[vaccine.uid]),
        {"dose_number": "2", "min_age_days": "0"},
    )
    assert duplicate.status_code == 400


def test_store_pages_scope_and_points(cdc, users):
    client = login(cdc.cdc_clerk)
    response = client.get(reverse("vaccines:store-list"))
    assert {r["key"] for r in response.context["rows"]} == {
        cdc.centre.uid,
        cdc.point1.uid,
        cdc.point2.uid,
    }
    assert {
        r["key"] for r in login(cdc.point_clerk).get(reverse("vaccines:store-list")).context["rows"]
    } == {cdc.point1.uid}
    response = client.post(
        reverse("vaccines:store-add"),
        {
            "org_unit": cdc.point2_unit.pk,
            "name": "Điểm tiêm lưu động",
            "kind": "point",
            "supplied_by": "",
        },
    )
    assert response.status_code == 400
    assert "Name the centre store that supplies this point." in response.content.decode()
    response = client.post(
        reverse("vaccines:store-add"),
        {
            "org_unit": cdc.point2_unit.pk,
            "name": "Điểm tiêm lưu động",
            "kind": "point",
            "supplied_by": cdc.centre.uid,
        },
    )
    assert response.status_code == 302
    # A unit outside the scope is not offered.
    response = client.post(
        reverse("vaccines:store-add"),
        {"org_unit": cdc.tn_unit.pk, "name": "X", "kind": "centre"},
    )
    assert response.status_code == 400


def test_fefo_fragment(cdc, stocked):
    soon = make_lot(cdc.catalogue.vaxigrip, "FLU-00", days=35)
    stock_up(cdc, soon, 5)
    response = login(cdc.cdc_clerk).get(
        reverse("vaccines:fefo"),
        {"store": cdc.centre.uid, "vaccine": cdc.catalogue.vaxigrip.uid, "quantity": "8"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert [(s.lot.lot_number, s.take) for s in response.context["suggestions"]] == [
        ("FLU-00", 5),
        ("FLU-01", 3),
    ]


def test_expiry_page_groups(cdc, stocked):
    stock_up(cdc, make_lot(cdc.catalogue.bcg, "BCG-SOON", days=20), 10)
    stock_up(cdc, make_lot(cdc.catalogue.bcg, "BCG-LATER", days=75), 10)
    response = login(cdc.cdc_clerk).get(reverse("vaccines:expiry"))
    groups = {
        g["key"]: [w.balance.lot.lot_number for w in g["items"]] for g in response.context["groups"]
    }
    assert groups == {"expired": [], "30": ["BCG-SOON"], "60": [], "90": ["BCG-LATER"]}
    export = login(cdc.cdc_clerk).get(reverse("vaccines:expiry"), {"export": "xlsx"})
    _header, rows = table_from_export(export)
    assert [(r[0], r[3]) for r in rows] == [
        ("Within 30 days", "BCG-SOON"),
        ("Within 90 days", "BCG-LATER"),
    ]


def test_count_pages(cdc, stocked):
    client = login(cdc.cdc_clerk)
    start = client.get(reverse("vaccines:count-add"), {"store": cdc.centre.uid})
    assert [f.initial["lot"] for f in start.context["formset"].forms if f.initial] == [stocked]
    data = {
        "store": cdc.centre.uid,
        "counted_at": "",
        "note": "Kiểm kê cuối tháng",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-lot": stocked.uid,
        "lines-0-counted": "28",
        "lines-0-reason": "",
        "lines-0-note": "",
    }
    response = client.post(reverse("vaccines:count-add"), data)
    assert response.status_code == 302
    count = StockCount.objects.get()
    reconcile = reverse("vaccines:count-reconcile", args=[count.uid])
    refused = client.post(reconcile)
    assert refused.status_code == 400
    assert "counted 28, the ledger has 30: give the reason" in refused.content.decode()
    edit = client.post(
        reverse("vaccines:count-edit", args=[count.uid]),
        {**data, "lines-0-reason": EntryReason.VVM_4},
    )
    assert edit.status_code == 302
    assert client.post(reconcile).status_code == 302
    count.refresh_from_db()
    assert count.status == CountStatus.RECONCILED
    assert stock.on_hand(cdc.centre, stocked) == 28
    assert client.get(reverse("vaccines:count-edit", args=[count.uid])).status_code == 404


def test_cold_chain_pages(cdc, stocked):
    client = login(cdc.cdc_clerk)
    url = reverse("vaccines:reading-add", args=[cdc.centre_fridge.uid])
    moment = timezone.now() - datetime.timedelta(hours=1)
    response = client.post(url, {"recorded_at": local_input(moment), "temperature_c": "9,5"})
    assert response.status_code == 400  # the form reads a decimal point
    response = client.post(url, {"recorded_at": local_input(moment), "temperature_c": "9.5"})
    assert response.status_code == 302
    hold = LotHold.objects.get(store=cdc.centre)
    listing = client.get(reverse("vaccines:hold-list"), {"status": "open"})
    assert [r["key"] for r in listing.context["rows"]] == [hold.uid]
    readings = client.get(reverse("vaccines:reading-list"), {"excursion": "true"})
    assert len(readings.context["rows"]) == 1
    decide = reverse("vaccines:hold-decide", args=[hold.uid])
    assert client.post(decide, {"decision": "discard", "note": ""}).status_code == 400
    assert (
        client.post(decide, {"decision": "discard", "note": "Ngoài khoảng ổn định"}).status_code
        == 302
    )
    hold.refresh_from_db()
    assert hold.decision == HoldDecision.DISCARD
    assert stock.on_hand(cdc.centre, stocked) == 0
    # The point's clerk does not see the centre's fridge.
    assert login(cdc.point_clerk).get(cdc.centre_fridge.get_absolute_url()).status_code == 404


def test_upload_page_reports_rows(cdc, stocked):
    client = login(cdc.point_clerk)
    url = reverse("vaccines:reading-upload", args=[cdc.point1_fridge.uid])
    when = timezone.localtime(timezone.now() - datetime.timedelta(hours=2))
    bad = f"timestamp,temperature\n{when:%d/%m/%Y %H:%M},5\nhôm qua,6\n"
    response = client.post(url, {"file": SimpleUploadedFile("log.csv", bad.encode())})
    assert response.status_code == 400
    errors = [(e.row, e.field) for e in response.context["report"].errors]
    assert errors == [(3, "timestamp")]
    good = f"timestamp,temperature\n{when:%d/%m/%Y %H:%M},8.4\n"
    response = client.post(url, {"file": SimpleUploadedFile("log.csv", good.encode())})
    assert response.status_code == 200
    assert "1 lot put on hold." in response.content.decode()
    assert LotHold.objects.filter(store=cdc.point1, lot=stocked).exists()
    # Another point's fridge is out of its scope.
    assert (
        login(cdc.point_clerk)
        .get(reverse("vaccines:reading-upload", args=[cdc.centre_fridge.uid]))
        .status_code
        == 404
    )


def test_manual_hold_blocks_issue_page(cdc, stocked):
    client = login(cdc.cdc_clerk)
    response = client.post(
        reverse("vaccines:hold-add"),
        {"store": cdc.centre.uid, "lot": stocked.uid, "reason": "Thu hồi theo công văn 123/QLD"},
    )
    assert response.status_code == 302
    again = client.post(
        reverse("vaccines:hold-add"),
        {"store": cdc.centre.uid, "lot": stocked.uid, "reason": "again"},
    )
    assert again.status_code == 400
    issue = client.post(
        reverse("vaccines:issue"),
        {
            "store": cdc.centre.uid,
            "counterpart": cdc.point1.uid,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-lot": stocked.uid,
            "lines-0-quantity": "1",
        },
    )
    assert issue.status_code == 400
    assert "is on hold at Kho vắc xin CDC" in issue.content.decode()
    coldchain.decide_hold(LotHold.objects.get(), HoldDecision.USE, note="Đã xác minh")
    assert stock.suggest_lots(cdc.centre, cdc.catalogue.vaxigrip, 1)[0][0].lot == stocked


def test_lists_have_no_n_plus_one(cdc, stocked):
    from tests.mixins import assert_no_n_plus_one

    client = login(cdc.cdc_clerk)
    made = []

    def more_rows():
        for _ in range(3):
            n = len(made)
            made.append(n)
            lot = make_lot(cdc.catalogue.bcg, f"BCG-{n}")
            stock_up(cdc, lot, 10, store=cdc.point2)
            coldchain.record_reading(
                cdc.point1_fridge, timezone.now() - datetime.timedelta(hours=n + 1), 5
            )

    for name in ("vaccines:stock", "vaccines:entry-list", "vaccines:reading-list"):
        assert_no_n_plus_one(client, reverse(name), more_rows)
