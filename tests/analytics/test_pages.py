"""The pivot table, its exports and charts, pinning, and the province dashboard."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from doha.aggregate.periods import period_containing
from doha.analytics.models import DashboardItem
from tests.analytics.conftest import put
from tests.mixins import table_from_export


@pytest.fixture(autouse=True)
def english_ui(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def months():
    """The last three complete months, oldest first."""
    last = period_containing(timezone.localdate(), "Monthly").previous()
    return [last.previous().previous(), last.previous(), last]


@pytest.fixture
def figures(stats, network, months):
    for i, month in enumerate(months):
        put(stats.referrals, network.tien_du, month.id, 10 + i)
        put(stats.opd, network.tien_du, month.id, 500, coc=stats.male)
        put(stats.opd, network.tien_du, month.id, 500, coc=stats.female)
        put(stats.referrals, network.tu_son, month.id, 4)
        put(stats.referrals, network.phu_binh, month.id, 99)
    return stats


def pivot_url(stats, network, **extra):
    params = {
        "dx": [f"de:{stats.referrals.uid}", f"in:{stats.referral_rate.uid}"],
        "relative": "LAST_3_MONTHS",
        "ou": network.syt_bn.uid,
        "level": "children",
        "boundaries": "current",
        "layout": "ou,dx|pe",
        **extra,
    }
    from urllib.parse import urlencode

    return reverse("analytics:pivot") + "?" + urlencode(params, doseq=True)


def test_pivot_shows_units_by_month_with_vietnamese_numbers(
    client, users, network, figures, months
):
    client.force_login(users.doh)
    response = client.get(pivot_url(figures, network, chart="line"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Trung tâm Y tế Tiên Du" in html and "Trung tâm Y tế Từ Sơn" in html
    # Referral rate of Tiên Du in the last month: 12 / 1.000 visits = 1,2%.
    assert "1,2" in html
    assert 'id="chart"' in html and "<svg" in html
    # Thái Nguyên's figures never appear to Bắc Ninh's officer.
    assert "Phú Bình" not in html and ">99<" not in html


def test_pivot_exports_the_table(client, users, network, figures, months):
    client.force_login(users.doh)
    response = client.get(pivot_url(figures, network) + "&export=xlsx")
    assert response.status_code == 200
    headers, rows = table_from_export(response)
    assert headers[:2] == ["Org unit", "Data"]
    tien_du = [r for r in rows if r[0] == "Trung tâm Y tế Tiên Du" and "Referral" not in r[1]]
    assert tien_du, rows
    csv = client.get(pivot_url(figures, network) + "&export=csv")
    assert csv["Content-Type"].startswith("text/csv")


def test_a_bad_period_is_named(client, users, network, figures):
    client.force_login(users.doh)
    response = client.get(pivot_url(figures, network, periods="2024Q5"))
    assert response.status_code == 400
    assert "2024Q5" in response.content.decode()


def test_clerk_cannot_pivot_another_province(client, users, network, figures):
    client.force_login(users.clerk)
    response = client.get(pivot_url(figures, network, ou=network.syt_tn.uid))
    # The unit is not even offered: the form refuses it.
    assert response.status_code == 400
    assert ">99<" not in response.content.decode()


def test_pin_to_dashboard_and_unpin(client, users, network, figures, months):
    client.force_login(users.doh)
    page = client.get(pivot_url(figures, network)).content.decode()
    assert 'id="pin-form"' in page
    query = {
        "dx": [figures.referrals.uid],
        "pe": ["LAST_3_MONTHS"],
        "ou": [network.syt_bn.uid],
        "layout": "ou,dx|pe",
    }
    response = client.post(
        reverse("analytics:pin"),
        {"title": "Chuyển tuyến 3 tháng", "kind": "bar", "query": json.dumps(query)},
    )
    assert response.status_code == 302
    item = DashboardItem.objects.get(user=users.doh)
    dashboard = client.get(reverse("analytics:dashboard")).content.decode()
    assert "Chuyển tuyến 3 tháng" in dashboard and "<svg" in dashboard
    # Another user's dashboard does not show it, and they cannot unpin it.
    client.force_login(users.viewer)
    assert "Chuyển tuyến 3 tháng" not in client.get(reverse("analytics:dashboard")).content.decode()
    assert client.post(reverse("analytics:unpin", args=[item.pk])).status_code == 404
    client.force_login(users.doh)
    client.post(reverse("analytics:unpin", args=[item.pk]))
    assert not DashboardItem.objects.exists()


def test_pin_refuses_a_query_without_data(client, users):
    client.force_login(users.doh)
    client.post(
        reverse("analytics:pin"),
        {"title": "x", "kind": "pivot", "query": json.dumps({"dx": [], "pe": [], "ou": []})},
    )
    assert not DashboardItem.objects.exists()


def test_dashboard_headline_compares_with_last_year(client, users, network, db):
    from doha.aggregate.metadata import load_default_metadata
    from doha.aggregate.models import DataElement
    from doha.aggregate.services import default_option_combo

    load_default_metadata()
    visits = DataElement.objects.get(code="OPD_VISITS")
    coc = visits.category_combo.option_combos.first()
    half = period_containing(timezone.localdate(), "SixMonthly").previous()
    before = half.same_period_last_year()
    put(visits, network.tien_du, half.months()[0].id, 1200, coc=coc)
    put(visits, network.tien_du, before.months()[0].id, 1000, coc=coc)
    assert default_option_combo()
    client.force_login(users.doh)
    html = client.get(reverse("analytics:dashboard")).content.decode()
    assert 'data-code="OPD_VISITS"' in html
    assert "1.200" in html and "1.000" in html and "+20,0%" in html


def test_dashboard_needs_sign_in(client):
    response = client.get(reverse("analytics:dashboard"))
    assert response.status_code == 302


def test_periods_older_than_relative_are_not_shown(client, users, network, figures):
    old = period_containing(timezone.localdate() - datetime.timedelta(days=400), "Monthly")
    put(figures.referrals, network.tien_du, old.id, 777)
    client.force_login(users.doh)
    assert ">777<" not in client.get(pivot_url(figures, network)).content.decode()
