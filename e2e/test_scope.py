"""Roles and scope as a user meets them: 404 outside the subtree, 403 for a refused action."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_district_clerk_gets_404_for_another_provinces_facility(page, sign_in, network):
    sign_in("ttyt.tiendu")
    response = page.goto(f"/orgunits/{network.tien_du.uid}/")
    assert response.status == 200
    expect(page.locator("h1")).to_contain_text("Trung tâm Y tế Tiên Du")

    for unit in (network.phu_binh, network.tyt_phu_binh, network.syt_tn):
        response = page.goto(f"/orgunits/{unit.uid}/")
        assert response.status == 404, unit.code
        expect(page.locator("body")).not_to_contain_text(unit.name)
    # Same province, but outside the clerk's health centre.
    assert page.goto(f"/orgunits/{network.tu_son.uid}/").status == 404
    # Nor does the list show them.
    page.goto("/orgunits/?q=phu+binh")
    expect(page.locator("#results")).not_to_contain_text("Phú Bình")


def test_viewer_has_no_add_button_and_gets_403_on_add(page, sign_in, network):
    sign_in("xem.bn")
    page.goto("/orgunits/")
    expect(page.locator("#results")).to_contain_text("Trung tâm Y tế Tiên Du")
    expect(page.locator("a[href='/orgunits/add/']")).to_have_count(0)
    expect(page.locator("a[href='/orgunits/import/']")).to_have_count(0)

    response = page.goto("/orgunits/add/")
    assert response.status == 403
    expect(page.locator("#id_code")).to_have_count(0)

    # A DOH officer of the same province does see the button.
    page.context.clear_cookies()
    sign_in("syt.bn")
    page.goto("/orgunits/")
    expect(page.locator("a[href='/orgunits/add/']")).to_be_visible()
