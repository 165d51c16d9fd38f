"""Statistics in a browser: a facility clerk enters last month's report (a violated rule
shown on Check, then saved and marked complete; letters in a cell refused), and a DOH
officer builds a pivot table with a line chart and pins it to the dashboard.

Metadata are the default data set doha ships (``load_default_metadata``); values for the
pivot go through the one write path (``apply_values``). Pages are read in Vietnamese; the
assertions lean on ids, metadata names, numbers and user names rather than on interface
strings, whose translation is still in progress.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from doha.aggregate.datavalues import ValueRow, apply_values
from doha.aggregate.metadata import load_default_metadata
from doha.aggregate.models import CompleteRegistration, DataElement, DataSet, DataValue
from doha.aggregate.periods import period_containing
from doha.analytics.models import DashboardItem, Indicator

pytestmark = pytest.mark.e2e

HOTLINE_RULE = "Cuộc gọi đã giải quyết không vượt số cuộc gọi"


def exact(text):
    """The whole text, whitespace around it aside."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


@pytest.fixture
def stats(network):
    """The default metadata, DS_MONTHLY reported by the Bắc Ninh facilities."""
    load_default_metadata()
    data_set = DataSet.objects.get(code="DS_MONTHLY")
    data_set.org_units.add(network.bvdk, network.tien_du, network.tyt_tien_du, network.tu_son)
    elements = {d.code: d for d in DataElement.objects.all()}
    return data_set, elements


def last_month():
    return period_containing(timezone.localdate(), "Monthly").previous()


def option_combo(element, name):
    return element.category_combo.option_combos.get(name=name)


def cell_name(element, coc=None):
    coc = coc or element.category_combo.option_combos.get()
    return f"v:{element.uid}:{coc.uid}"


# ---------------------------------------------------------------- 1. data entry


def test_clerk_checks_saves_and_completes_last_months_report(page, sign_in, network, users, stats):
    data_set, de = stats
    period = last_month()
    opd_male_adult = cell_name(de["OPD_VISITS"], option_combo(de["OPD_VISITS"], "Nam, 15–59 tuổi"))
    calls = cell_name(de["HOTLINE_CALLS"])
    resolved = cell_name(de["HOTLINE_RESOLVED"])
    referrals_in = cell_name(de["REFERRALS_IN"])

    sign_in("ttyt.tiendu")
    url = f"/statistics/entry/?ds={data_set.uid}&ou={network.tien_du.uid}&pe={period.id}"
    page.goto(url)
    expect(page.locator("#entry-title")).to_have_text(
        exact(f"{data_set.name} · {network.tien_du.name} · {period.name}")
    )
    expect(page.locator("#completion-status .badge.off")).to_have_count(1)
    expect(page.locator("#btn-complete")).to_be_visible()
    form = page.locator("#entry-form")
    expect(form.locator("input[name^='v:']")).not_to_have_count(0)

    # Check: the Vietnamese-typed number is accepted, the hotline rule is violated.
    form.locator(f"input[name='{opd_male_adult}']").fill("1.234")
    form.locator(f"input[name='{calls}']").fill("10")
    form.locator(f"input[name='{resolved}']").fill("12")
    page.locator("#btn-check").click()
    violations = page.locator("#violations tbody tr")
    expect(violations).to_have_count(1)
    expect(violations.locator("td").nth(0)).to_contain_text(HOTLINE_RULE)
    expect(violations.locator("td.num").nth(0)).to_have_text("12")
    expect(violations.locator("td.num").nth(1)).to_have_text("10")
    expect(page.locator("td.cell-error")).to_have_count(0)
    # What was typed is kept on the page, nothing is stored or completed.
    expect(form.locator(f"input[name='{opd_male_adult}']")).to_have_value("1.234")
    expect(form.locator(f"input[name='{resolved}']")).to_have_value("12")
    expect(page.locator("#completion-status .badge.off")).to_have_count(1)
    assert not DataValue.objects.exists()
    assert not CompleteRegistration.objects.exists()

    # Corrected, saved and marked complete.
    form.locator(f"input[name='{resolved}']").fill("8")
    with page.expect_navigation():
        page.locator("#btn-complete").click()
    expect(page).to_have_url(re.compile(rf"/statistics/entry/\?.*pe={period.id}"))
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("#violations")).to_have_count(0)
    status = page.locator("#completion-status .badge")
    expect(status).not_to_have_class(re.compile(r"\boff\b"))
    expect(status).to_contain_text(users.clerk.username)
    expect(page.locator("#btn-complete")).to_have_count(0)
    expect(page.locator("#btn-incomplete")).to_be_visible()

    page.reload()
    form = page.locator("#entry-form")
    expect(form.locator(f"input[name='{opd_male_adult}']")).to_have_value("1234")
    expect(form.locator(f"input[name='{calls}']")).to_have_value("10")
    expect(form.locator(f"input[name='{resolved}']")).to_have_value("8")
    expect(page.locator("#completion-status .badge")).to_contain_text(users.clerk.username)
    stored = dict(
        DataValue.objects.filter(deleted=False).values_list("data_element__code", "value")
    )
    assert stored == {"OPD_VISITS": "1234", "HOTLINE_CALLS": "10", "HOTLINE_RESOLVED": "8"}
    assert CompleteRegistration.objects.filter(
        data_set=data_set, org_unit=network.tien_du, period=period.id, completed=True
    ).exists()

    # Letters in one cell: that cell turns red, and the other change is not saved either.
    form.locator(f"input[name='{referrals_in}']").fill("mười hai")
    form.locator(f"input[name='{calls}']").fill("11")
    page.locator("#btn-save").click()
    bad = page.locator("td.cell-error")
    expect(bad).to_have_count(1)
    expect(bad.locator(f"input[name='{referrals_in}']")).to_have_attribute("aria-invalid", "true")
    expect(bad.locator(".cell-message")).not_to_be_empty()
    expect(page.locator(".messages")).to_be_visible()
    expect(form.locator(f"input[name='{referrals_in}']")).to_have_value("mười hai")
    expect(form.locator(f"input[name='{calls}']")).to_have_value("11")
    page.goto(url)
    expect(page.locator(f"input[name='{calls}']")).to_have_value("10")
    expect(page.locator(f"input[name='{referrals_in}']")).to_have_value("")
    expect(page.locator("td.cell-error")).to_have_count(0)
    stored = dict(
        DataValue.objects.filter(deleted=False).values_list("data_element__code", "value")
    )
    assert stored == {"OPD_VISITS": "1234", "HOTLINE_CALLS": "10", "HOTLINE_RESOLVED": "8"}


# ---------------------------------------------------------------- 2. pivot and dashboard


def test_officer_builds_a_pivot_with_a_chart_and_pins_it(page, sign_in, network, users, stats):
    data_set, de = stats
    opd, referrals = de["OPD_VISITS"], de["REFERRALS_OUT"]
    rate = Indicator.objects.get(code="IND_REFERRAL_RATE")
    month = last_month()
    before = month.previous()

    def rows(unit, period, visits, referred):
        """Visits split across two age/sex cells, referrals across the two sexes."""
        out = []
        for combo, share in (("Nam, 15–59 tuổi", 0.6), ("Nữ, 15–59 tuổi", 0.4)):
            out.append((opd, option_combo(opd, combo), round(visits * share)))
        for combo, share in (("Nam", 0.5), ("Nữ", 0.5)):
            out.append((referrals, option_combo(referrals, combo), round(referred * share)))
        return [
            ValueRow(e, period, unit, category_option_combo=coc, value=str(v), data_set=data_set)
            for e, coc, v in out
        ]

    summary = apply_values(
        users.doh,
        rows(network.tien_du, month, 1250, 30)  # 2,4%
        + rows(network.tien_du, before, 1000, 20)  # 2%
        + rows(network.tu_son, month, 800, 12),  # 1,5%
    )
    assert not summary.conflicts, summary.conflicts
    assert summary.imported == 12

    sign_in("syt.bn")
    page.goto("/analytics/")
    form = page.locator("#analytics-form")
    form.locator("select[name='dx']").select_option(label=[rate.name, opd.name])
    form.locator("select[name='relative']").select_option("LAST_12_MONTHS")
    form.locator("select[name='ou']").select_option(network.syt_bn.uid)
    form.locator("select[name='level']").select_option("children")
    form.locator("select[name='chart']").select_option("line")
    with page.expect_navigation():
        form.locator("#btn-update").click()
    expect(page.locator("#analytics-form .errorlist")).to_have_count(0)

    table = page.locator("#pivot-table")
    # One column per month with a value, oldest first.
    months = table.locator("thead th.num")
    expect(months).to_have_count(2)
    expect(months.first).to_have_text(exact(before.name))
    expect(months.last).to_have_text(exact(month.name))
    expect(table).to_contain_text(network.tien_du.name)
    expect(table).to_contain_text(network.tu_son.name)
    expect(table).not_to_contain_text(network.phu_binh.name)

    def row(unit, data):
        return table.locator("tbody tr").filter(has_text=unit.name).filter(has_text=data.name)

    tien_du_rate = row(network.tien_du, rate).locator("td.num")
    expect(tien_du_rate.last).to_have_text("2,4")
    expect(tien_du_rate.first).to_have_text("2")
    tien_du_visits = row(network.tien_du, opd).locator("td.num")
    expect(tien_du_visits.last).to_have_text("1.250")
    expect(tien_du_visits.first).to_have_text("1.000")
    expect(row(network.tu_son, rate).locator("td.num").last).to_have_text("1,5")
    expect(row(network.tu_son, rate).locator("td.num").first).to_have_text("")
    expect(row(network.tu_son, opd).locator("td.num").last).to_have_text("800")

    chart = page.locator("figure#chart")
    expect(chart.locator("svg")).to_have_count(1)
    expect(chart.locator("svg")).to_be_visible()
    expect(page.locator("#export-xlsx")).to_have_attribute("href", re.compile(r"export=xlsx"))

    # Pin it as a table, with a title.
    title = "Chuyển tuyến các TTYT Bắc Ninh, 12 tháng"
    pin = page.locator("#pin-form")
    pin.locator("#id_pin_title").fill(title)
    pin.locator("#id_pin_kind").select_option("pivot")
    with page.expect_navigation():
        pin.locator("#btn-pin").click()
    expect(page).to_have_url(re.compile(r"/analytics/dashboard/$"))
    expect(page.locator(".messages")).to_contain_text(title)
    expect(page.locator("#headline .card[data-code='IND_REFERRAL_RATE']")).to_have_count(1)
    expect(page.locator("#headline .card[data-code='OPD_VISITS']")).to_have_count(1)
    pinned = page.locator("section.pinned")
    expect(pinned).to_have_count(1)
    expect(pinned.locator("h3")).to_have_text(title)
    expect(page.locator("#no-pins")).to_have_count(0)
    pinned_table = pinned.locator("table.pivot")
    expect(pinned_table).to_contain_text(network.tien_du.name)
    expect(
        pinned_table.locator("tbody tr")
        .filter(has_text=network.tien_du.name)
        .filter(has_text=rate.name)
        .locator("td.num")
        .last
    ).to_have_text("2,4")
    item = DashboardItem.objects.get(user=users.doh)
    assert item.title == title
    assert item.query["pe"] == ["LAST_12_MONTHS"]
