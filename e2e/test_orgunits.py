"""The facility registry in a browser: search, create, tree."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from doha.orgunits.models import OrgUnit

pytestmark = pytest.mark.e2e


def query(url):
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def test_search_is_accent_insensitive_as_you_type_and_on_submit(page, sign_in, network):
    sign_in("syt.bn")
    page.goto("/orgunits/")
    results = page.locator("#results")
    expect(results).to_contain_text("Trung tâm Y tế Từ Sơn")
    expect(results).not_to_contain_text("Phú Bình")  # Thái Nguyên is outside the scope

    # As you type: htmx asks for the rows only and swaps them in, the page stays.
    def rows_for_tien_du(response):
        q = query(response.url)
        return q.get("partial") == "rows" and q.get("q") == "tien du"

    with page.expect_response(rows_for_tien_du):
        page.locator("#id_q").press_sequentially("tien du", delay=30)
    expect(results).to_contain_text("Trung tâm Y tế Tiên Du")
    expect(results).to_contain_text("Trạm Y tế Xã Tiên Du")
    expect(results).not_to_contain_text("Từ Sơn")
    expect(results).not_to_contain_text("Bệnh viện Đa khoa")
    expect(page.locator("h1")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"[?&]q=tien(\+|%20)du"))  # hx-push-url

    # Submitting the form: a full page with the same filter.
    page.fill("#id_q", "TTYT Tien Du")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"q=TTYT\+Tien\+Du"))
    expect(page.locator("#id_q")).to_have_value("TTYT Tien Du")
    rows = page.locator("#orgunit-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Trung tâm Y tế Tiên Du")
    rows.first.get_by_role("link", name="Trung tâm Y tế Tiên Du").click()
    expect(page).to_have_url(re.compile(rf"/orgunits/{network.tien_du.uid}/$"))
    expect(page.locator("h1")).to_contain_text("Trung tâm Y tế Tiên Du")


def test_create_facility_shows_field_error_then_saves(page, sign_in, network):
    sign_in("syt.bn")
    page.goto("/orgunits/")
    page.click("a[href='/orgunits/add/']")
    expect(page).to_have_url(re.compile(r"/orgunits/add/$"))

    page.fill("#id_name", "Trạm Y tế Xã Liên Bão")
    page.select_option("#id_facility_type", "commune_station")
    page.select_option("#id_parent", str(network.tien_du.pk))
    page.select_option("#id_admin_unit", str(network.ward_tien_du.pk))
    page.fill("#id_opening_date", "2025-07-01")
    page.click("form.stacked button[type=submit]")

    # Missing code: the form comes back with the error next to the field, input kept.
    code_error = page.locator("ul.errorlist[data-field='code']")
    expect(code_error).to_have_text("Trường này là bắt buộc.")
    # In the code field's own block, next to its input.
    expect(page.locator("div.field:has(#id_code) ul.errorlist")).to_have_text(
        "Trường này là bắt buộc."
    )
    expect(page.locator("ul.errorlist[data-field='name']")).to_have_count(0)
    expect(page.locator("#id_name")).to_have_value("Trạm Y tế Xã Liên Bão")
    assert not OrgUnit.objects.filter(name="Trạm Y tế Xã Liên Bão").exists()

    page.fill("#id_code", "TYT-LIENBAO")
    page.click("form.stacked button[type=submit]")
    unit = OrgUnit.objects.get(code="TYT-LIENBAO")
    expect(page).to_have_url(re.compile(rf"/orgunits/{unit.uid}/$"))
    expect(page.locator("h1")).to_contain_text("Trạm Y tế Xã Liên Bão")
    expect(page.locator(".messages")).to_contain_text("Trạm Y tế Xã Liên Bão")
    expect(page.locator("dl.props")).to_contain_text("TYT-LIENBAO")
    expect(page.locator("dl.props")).to_contain_text("Trung tâm Y tế Tiên Du")
    assert unit.parent_id == network.tien_du.pk
    assert unit.path == network.tien_du.path + unit.uid + "/"


def _node(scope, name):
    """The <details> of the tree node whose own summary names ``name``."""
    return (
        scope.locator("details")
        .filter(has=scope.page.locator(":scope > summary", has_text=name))
        .first
    )


def test_tree_expands_a_node_with_htmx(page, sign_in, network):
    sign_in("admin")
    page.goto("/orgunits/tree/")
    tree = page.locator("#tree")
    root = _node(tree, "Bộ Y tế")
    expect(root).to_be_visible()
    expect(tree).not_to_contain_text("Trung tâm Y tế Tiên Du")  # one level at a time

    # The root may open by itself (a lone root does); otherwise open it.
    if root.get_attribute("open") is None:
        with page.expect_response(lambda r: f"parent={network.moh.uid}" in r.url):
            root.locator(":scope > summary").click(position={"x": 2, "y": 5})
    children = root.locator(":scope > .children")
    expect(children).to_contain_text("Sở Y tế tỉnh Bắc Ninh")
    expect(children).to_contain_text("Sở Y tế tỉnh Thái Nguyên")
    expect(children).not_to_contain_text("Trung tâm Y tế Tiên Du")

    # Opening a closed node asks the server for its children, once.
    syt_bn = _node(children, "Sở Y tế tỉnh Bắc Ninh")
    expect(syt_bn).not_to_have_attribute("open", "")
    with page.expect_response(lambda r: f"parent={network.syt_bn.uid}" in r.url):
        syt_bn.locator(":scope > summary").click(position={"x": 2, "y": 5})
    bn_children = syt_bn.locator(":scope > .children")
    expect(bn_children).to_contain_text("Trung tâm Y tế Tiên Du")
    expect(bn_children).to_contain_text("Bệnh viện Đa khoa tỉnh Bắc Ninh")
    expect(bn_children).not_to_contain_text("Trạm Y tế Xã Tiên Du")
    expect(_node(children, "Sở Y tế tỉnh Thái Nguyên")).not_to_contain_text("Phú Bình")

    # A node's name links to its page.
    bn_children.get_by_role("link", name="Trung tâm Y tế Tiên Du").click()
    expect(page).to_have_url(re.compile(rf"/orgunits/{network.tien_du.uid}/$"))
