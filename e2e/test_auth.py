"""Signing in and out, in Vietnamese."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_wrong_password_shows_vietnamese_error_then_right_password_lands_home(page, users):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    page.fill("#id_username", "syt.bn")
    page.fill("#id_password", "sai-mat-khau")
    page.click("form.stacked button[type=submit]")
    error = page.locator("form.stacked .errorlist")
    expect(error).to_contain_text("mật khẩu chính xác")
    expect(page).to_have_url(re.compile(r"/login/"))
    # The username is kept, the password is not.
    expect(page.locator("#id_username")).to_have_value("syt.bn")
    expect(page.locator("#id_password")).to_have_value("")

    page.fill("#id_password", users.password)
    page.click("form.stacked button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("form.stacked .errorlist")).to_have_count(0)
    expect(page.locator("header .user")).to_contain_text("syt.bn")
    expect(page.locator("header .user")).to_contain_text("SYT Bắc Ninh")
    expect(page.locator("main")).to_contain_text("Sở Y tế tỉnh Bắc Ninh")
    expect(page.locator("nav.menu a[href='/orgunits/']")).to_be_visible()


def test_sign_out_returns_to_login(page, sign_in):
    sign_in("syt.bn")
    page.click("header form[action='/logout/'] button")
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto("/orgunits/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/orgunits/$"))
