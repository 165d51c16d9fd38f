"""Service revenue: receipts of the eleven sources at the centre's prices, cancellation,
revenue by source and month, and the monthly figures the facility statistics read."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from doha.vaccines import revenue
from doha.vaccines.models import Receipt, ServicePrice
from tests.mixins import new_client, table_from_export
from tests.vaccines.test_visits_setup import screened, service, vaccinate

D = datetime.date


@pytest.fixture
def prices(cdc):
    sources = revenue.ensure_sources()
    start = timezone.localdate() - datetime.timedelta(days=400)
    lab = ServicePrice.objects.create(
        org_unit=cdc.cdc_unit,
        source=sources["laboratory"],
        code="XN-HBSAG",
        name="Xét nghiệm HBsAg",
        price=90_000,
        valid_from=start,
    )
    water = ServicePrice.objects.create(
        org_unit=cdc.cdc_unit,
        source=sources["food_water"],
        code="KN-NUOC",
        name="Kiểm nghiệm mẫu nước sinh hoạt",
        price=1_250_000,
        valid_from=start,
    )
    return sources, lab, water


@pytest.mark.django_db
def test_eleven_sources_vaccination_first():
    sources = revenue.ensure_sources()
    assert len(sources) == 11
    assert list(
        revenue.RevenueSource.objects.order_by("sort_order").values_list("code", flat=True)
    )[:3] == [
        "vaccination",
        "clinic",
        "laboratory",
    ]
    assert revenue.ensure_sources().keys() == sources.keys()  # idempotent


def test_receipt_at_the_price_numbered_in_sequence(cdc, prices):
    sources, lab, _water = prices
    today = timezone.localdate()
    first = revenue.record_receipt(
        cdc.point1_unit,  # a point charges its centre's prices
        sources["laboratory"],
        [revenue.ReceiptLine(3, price=lab)],
        payer_name="Công ty May Bắc Ninh",
        user=cdc.point_clerk,
    )
    assert first.amount == 270_000 and first.amount_display == "270.000 đ"
    assert first.number == f"DV{today.year}-000001"
    assert first.created_by == cdc.point_clerk
    second = revenue.record_receipt(
        cdc.point1_unit,
        sources["clinic"],
        [revenue.ReceiptLine(1, description="Khám nội tổng quát", unit_price=150_000)],
    )
    assert second.number == f"DV{today.year}-000002"
    other_unit = revenue.record_receipt(
        cdc.cdc_unit, sources["laboratory"], [revenue.ReceiptLine(1, price=lab)]
    )
    assert other_unit.number == f"DV{today.year}-000001"  # each unit its own sequence


def test_bad_lines_are_refused_whole(cdc, prices):
    sources, lab, water = prices
    with pytest.raises(ValidationError) as exc:
        revenue.record_receipt(
            cdc.cdc_unit,
            sources["laboratory"],
            [
                revenue.ReceiptLine(1, price=lab),
                revenue.ReceiptLine(0, price=lab),
                revenue.ReceiptLine(1, price=water),
                revenue.ReceiptLine(1, description="", unit_price=5),
                revenue.ReceiptLine(1, description="Phí", unit_price=-5),
            ],
        )
    problems = exc.value.message_dict["items"]
    assert problems == [
        "Line 2: The quantity is a whole number, 1 or more.",
        "Line 3: Kiểm nghiệm mẫu nước sinh hoạt belongs to Kiểm nghiệm nước, thực phẩm.",
        "Line 4: Choose a service or describe the line.",
        "Line 5: The unit price is a whole number of đồng, 0 or more.",
    ]
    assert not Receipt.objects.exists()
    with pytest.raises(ValidationError) as exc:
        revenue.record_receipt(
            cdc.tn_unit, sources["laboratory"], [revenue.ReceiptLine(1, price=lab)]
        )
    assert "is a price of" in exc.value.message_dict["items"][0]
    with pytest.raises(ValidationError) as exc:
        revenue.record_receipt(
            cdc.cdc_unit,
            sources["laboratory"],
            [revenue.ReceiptLine(1, price=lab)],
            date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert exc.value.message_dict["date"] == ["A receipt cannot be dated in the future."]


def test_receipt_scope_and_role(cdc, prices, users):
    sources, lab, _water = prices
    with pytest.raises(ValidationError) as exc:
        revenue.record_receipt(
            cdc.cdc_unit,
            sources["laboratory"],
            [revenue.ReceiptLine(1, price=lab)],
            user=cdc.point_clerk,
        )
    assert exc.value.message_dict["org_unit"] == ["This unit is outside your scope."]
    with pytest.raises(PermissionDenied):
        revenue.record_receipt(
            cdc.cdc_unit,
            sources["laboratory"],
            [revenue.ReceiptLine(1, price=lab)],
            user=users.viewer,
        )


def test_cancelled_receipt_counts_nowhere(cdc, prices):
    sources, lab, _water = prices
    receipt = revenue.record_receipt(
        cdc.cdc_unit, sources["laboratory"], [revenue.ReceiptLine(2, price=lab)]
    )
    month = receipt.date
    assert revenue.monthly_revenue(cdc.cdc_unit, month)["laboratory"] == 180_000
    with pytest.raises(ValidationError) as exc:
        revenue.cancel_receipt(receipt, "  ")
    assert exc.value.message_dict["cancel_reason"] == ["Say why the receipt is cancelled."]
    revenue.cancel_receipt(receipt, "Thu nhầm đơn vị", cdc.cdc_clerk)
    receipt.refresh_from_db()
    assert receipt.cancelled_at is not None and receipt.amount == 180_000
    assert revenue.monthly_revenue(cdc.cdc_unit, month)["laboratory"] == 0
    with pytest.raises(ValidationError):
        revenue.cancel_receipt(receipt, "Lần hai")


def test_new_price_ends_the_previous_one(cdc, prices):
    sources, lab, _water = prices
    today = timezone.localdate()
    new = revenue.set_price(
        ServicePrice(
            org_unit=cdc.cdc_unit,
            source=sources["laboratory"],
            code="XN-HBSAG",
            name="Xét nghiệm HBsAg",
            price=95_000,
            valid_from=today,
        )
    )
    lab.refresh_from_db()
    assert lab.valid_to == today - datetime.timedelta(days=1)
    on_day = {p.code: p.price for p in revenue.prices_on(cdc.point1_unit, today)}
    assert on_day["XN-HBSAG"] == 95_000 == new.price
    before = {
        p.code: p.price
        for p in revenue.prices_on(cdc.point1_unit, today - datetime.timedelta(days=2))
    }
    assert before["XN-HBSAG"] == 90_000
    with pytest.raises(ValidationError) as exc:
        revenue.set_price(
            ServicePrice(
                org_unit=cdc.cdc_unit,
                source=sources["laboratory"],
                code="XN-HBSAG",
                name="Xét nghiệm HBsAg",
                price=99_000,
                valid_from=today,
            )
        )
    assert "a new price starts at least two days later" in exc.value.message_dict["valid_from"][0]


def test_vaccine_price_nearest_unit_then_catalogue(cdc):
    svc = service(cdc)
    today = timezone.localdate()
    assert revenue.price_for_vaccine(cdc.catalogue.vaxigrip, cdc.point1_unit, today)[0] == 350_000
    ServicePrice.objects.create(
        org_unit=cdc.point1_unit,
        source=revenue.ensure_sources()["vaccination"],
        code="VX-VAXIGRIP-P1",
        name="Vaxigrip tại điểm 1",
        vaccine=cdc.catalogue.vaxigrip,
        price=340_000,
        valid_from=today,
    )
    amount, price = revenue.price_for_vaccine(cdc.catalogue.vaxigrip, cdc.point1_unit, today)
    assert (amount, price.org_unit) == (340_000, cdc.point1_unit)
    assert revenue.price_for_vaccine(cdc.catalogue.verorab, cdc.point1_unit, today) == (
        325_000,
        None,
    )
    assert svc.soon  # the world is there


def test_monthly_figures_for_the_statistics(cdc, prices):
    sources, lab, _water = prices
    svc = service(cdc)
    dose = vaccinate(cdc, svc, screened(cdc, svc))
    revenue.record_receipt(cdc.cdc_unit, sources["laboratory"], [revenue.ReceiptLine(1, price=lab)])
    month = timezone.localdate(dose.given_at)
    at_point = revenue.monthly_revenue(cdc.point1_unit, month)
    assert at_point["vaccination"] == 350_000 and at_point["laboratory"] == 0
    assert len(at_point) == 11  # every source, zero when nothing was received
    centre = revenue.monthly_revenue(cdc.cdc_unit, f"{month:%Y%m}")
    assert (centre["vaccination"], centre["laboratory"]) == (0, 90_000)
    whole = revenue.monthly_revenue(cdc.cdc_unit, f"{month:%Y-%m}", include_descendants=True)
    assert (whole["vaccination"], whole["laboratory"]) == (350_000, 90_000)
    assert revenue.doses_by_antigen(cdc.point1_unit, month) == {"FLU": 1}
    assert revenue.doses_by_antigen(cdc.cdc_unit, month) == {}
    assert revenue.doses_by_antigen(cdc.cdc_unit, month, include_descendants=True) == {"FLU": 1}
    previous = month.replace(day=1) - datetime.timedelta(days=1)
    assert revenue.doses_by_antigen(cdc.point1_unit, previous) == {}
    with pytest.raises(ValueError):
        revenue.month_bounds("2025-13")


def test_month_bounds():
    assert revenue.month_bounds("202512") == (D(2025, 12, 1), D(2026, 1, 1))
    assert revenue.month_bounds(D(2024, 2, 29)) == (D(2024, 2, 1), D(2024, 3, 1))


# ---------------------------------------------------------------- pages and API


def test_revenue_page_by_source_and_month_and_export(cdc, prices):
    sources, lab, water = prices
    today = timezone.localdate()
    revenue.record_receipt(cdc.cdc_unit, sources["laboratory"], [revenue.ReceiptLine(2, price=lab)])
    revenue.record_receipt(
        cdc.point1_unit, sources["food_water"], [revenue.ReceiptLine(1, price=water)]
    )
    cancelled = revenue.record_receipt(
        cdc.cdc_unit, sources["laboratory"], [revenue.ReceiptLine(5, price=lab)]
    )
    revenue.cancel_receipt(cancelled, "Sai")
    browser = new_client()
    browser.force_login(cdc.cdc_clerk)
    page = browser.get(reverse("vaccines:revenue-summary"), {"year": today.year}).content.decode()
    assert 'id="revenue-total">1.430.000<' in page
    assert 'data-source="laboratory"' in page
    export = browser.get(
        reverse("vaccines:revenue-summary"), {"year": today.year, "export": "xlsx"}
    )
    header, rows = table_from_export(export)
    assert header[0] == "Revenue source" and header[-1] == "Total"
    by_source = {row[0]: row for row in rows}
    assert by_source["Xét nghiệm"][today.month] == "180000"
    assert by_source["Total"][-1] == "1430000"
    # A point's clerk sees its own point only.
    point = new_client()
    point.force_login(cdc.point_clerk)
    page = point.get(reverse("vaccines:revenue-summary")).content.decode()
    assert 'id="revenue-total">1.250.000<' in page


def test_receipt_pages(cdc, prices):
    sources, lab, _water = prices
    browser = new_client()
    browser.force_login(cdc.cdc_clerk)
    response = browser.post(
        reverse("vaccines:receipt-add"),
        {
            "org_unit": cdc.cdc_unit.pk,
            "source": sources["laboratory"].pk,
            "service": lab.pk,
            "quantity": 2,
            "date": timezone.localdate().isoformat(),
            "payer_name": "Nguyễn Thị Lan",
            "payment_method": "cash",
        },
    )
    receipt = Receipt.objects.get()
    assert response.status_code == 302 and response["Location"] == receipt.get_absolute_url()
    assert receipt.amount == 180_000
    listed = browser.get(
        reverse("vaccines:receipt-list"), {"source": "laboratory"}
    ).content.decode()
    assert receipt.number in listed
    response = browser.post(receipt.get_absolute_url(), {"cancel_reason": "Trùng phiếu"})
    assert response.status_code == 302
    detail = browser.get(receipt.get_absolute_url()).content.decode()
    assert 'id="cancel-reason">Trùng phiếu<' in detail
    export = browser.get(reverse("vaccines:receipt-list"), {"export": "csv", "cancelled": "true"})
    _header, rows = table_from_export(export)
    assert rows[0][0] == receipt.number and rows[0][-1] == "Trùng phiếu"


def test_api_receipts_and_monthly_figures(cdc, prices, users):
    sources, lab, _water = prices
    browser = new_client()
    browser.force_login(cdc.cdc_clerk)
    response = browser.post(
        "/api/service-receipts/",
        {
            "org_unit": cdc.cdc_unit.uid,
            "source": "laboratory",
            "lines": [
                {"service": lab.uid, "quantity": 4},
                {"description": "Phí lấy mẫu", "unit_price": 20000},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == 380_000 and len(body["items"]) == 2
    bad = browser.post(
        "/api/service-receipts/",
        {"org_unit": cdc.cdc_unit.uid, "source": "laboratory", "lines": [{"quantity": 1}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "lines" in bad.json()
    cancel = browser.post(
        f"/api/service-receipts/{body['uid']}/cancel/",
        {"reason": ""},
        content_type="application/json",
    )
    assert cancel.status_code == 400
    period = timezone.localdate().strftime("%Y%m")
    figures = browser.get(
        "/api/vaccination-monthly-figures/", {"org_unit": cdc.cdc_unit.uid, "period": period}
    ).json()
    assert figures["revenue"]["laboratory"] == 380_000
    assert figures["doses_by_antigen"] == {} and figures["aefi"] == {"common": 0, "serious": 0}
    out = browser.get(
        "/api/vaccination-monthly-figures/", {"org_unit": cdc.tn_unit.uid, "period": "2025"}
    )
    assert out.status_code == 400 and set(out.json()) == {"org_unit", "period"}
    sources_listed = browser.get("/api/revenue-sources/").json()
    assert sources_listed["count"] == 11


def test_price_page_and_a_receipt_form_without_a_line(cdc, prices):
    sources, lab, _water = prices
    browser = new_client()
    browser.force_login(cdc.cdc_clerk)
    today = timezone.localdate()
    response = browser.post(
        reverse("vaccines:price-add"),
        {
            "org_unit": cdc.cdc_unit.pk,
            "source": sources["laboratory"].pk,
            "code": "XN-HBSAG",
            "name": "Xét nghiệm HBsAg nhanh",
            "price": 100000,
            "valid_from": today.isoformat(),
        },
    )
    assert response.status_code == 302
    lab.refresh_from_db()
    assert lab.valid_to == today - datetime.timedelta(days=1)
    listed = browser.get(reverse("vaccines:price-list"), {"current": "true"}).content.decode()
    assert "Xét nghiệm HBsAg nhanh" in listed and "100.000" in listed
    response = browser.post(
        reverse("vaccines:receipt-add"),
        {
            "org_unit": cdc.cdc_unit.pk,
            "source": sources["clinic"].pk,
            "quantity": 1,
            "date": today.isoformat(),
            "payment_method": "cash",
        },
    )
    assert response.status_code == 400
    assert "Line 1: Choose a service or describe the line." in response.content.decode()
    assert not Receipt.objects.exists()
