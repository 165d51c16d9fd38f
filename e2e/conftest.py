"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Every test gets its own data (the live server runs on a transactional database, whose
tables are emptied after each test), its own browser context, and, when it fails, a
screenshot and the page's HTML in e2e/artifacts/ (or in $E2E_ARTIFACTS).
"""

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

# Playwright's sync API keeps an asyncio loop in the main thread; the ORM calls the tests
# make to set up data would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import sync_playwright  # noqa: E402

from doha.core.permissions import Role  # noqa: E402
from doha.orgunits.adminunits import load_admin_units  # noqa: E402
from doha.orgunits.models import (  # noqa: E402
    AdminEdition,
    AdminLevel,
    AdminUnit,
    FacilityType,
    TechnicalLevel,
)
from tests.factories import PASSWORD, OrgUnitFactory, UserFactory  # noqa: E402

CHROMIUM = os.environ.get("DOHA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS") or Path(__file__).resolve().parent / "artifacts")
TIMEOUT_MS = 15_000


def pytest_configure(config):
    # WhiteNoise warns once that STATIC_ROOT (var/static) was never collected; the live
    # server serves static files through the finders, so that is expected here.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        extra_http_headers={"Accept-Language": "vi"},
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and report.when in {"setup", "call"}:
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None and not page.is_closed():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
            path = ARTIFACTS / f"{name}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
            except Exception as exc:  # a dead page must not hide the real failure
                report.sections.append(("e2e screenshot", f"not saved: {exc}"))
            else:
                report.sections.append(("e2e screenshot", f"{path} (url {page.url})"))
    return report


@pytest.fixture
def network(transactional_db):
    """Bộ Y tế > SYT Bắc Ninh > (BVĐK tỉnh, TTYT Tiên Du > TYT, TTYT Từ Sơn);
    Bộ Y tế > SYT Thái Nguyên > TTYT Phú Bình > TYT."""
    load_admin_units(["bacninh"])
    bn = AdminUnit.objects.get(
        edition=AdminEdition.CURRENT, level=AdminLevel.PROVINCE, short_name="Bắc Ninh"
    )
    ward_tien_du = AdminUnit.objects.get(edition=AdminEdition.CURRENT, code="09319")
    t = FacilityType
    moh = OrgUnitFactory(code="BYT", name="Bộ Y tế", short_name="BYT", facility_type=t.MINISTRY)
    syt_bn = OrgUnitFactory(
        code="BN-SYT",
        name="Sở Y tế tỉnh Bắc Ninh",
        short_name="SYT Bắc Ninh",
        facility_type=t.DOH,
        parent=moh,
        admin_unit=bn,
    )
    bvdk = OrgUnitFactory(
        code="BN-BVDK",
        name="Bệnh viện Đa khoa tỉnh Bắc Ninh",
        short_name="BVĐK tỉnh Bắc Ninh",
        facility_type=t.PROVINCIAL_HOSPITAL,
        parent=syt_bn,
        technical_level=TechnicalLevel.SPECIALISED,
    )
    tien_du = OrgUnitFactory(
        code="BN-TTYT-TIENDU",
        name="Trung tâm Y tế Tiên Du",
        short_name="TTYT Tiên Du",
        facility_type=t.HEALTH_CENTRE,
        parent=syt_bn,
        admin_unit=ward_tien_du,
        technical_level=TechnicalLevel.BASIC,
    )
    tyt_tien_du = OrgUnitFactory(
        code="TYT-09319", name="Trạm Y tế Xã Tiên Du", parent=tien_du, admin_unit=ward_tien_du
    )
    tu_son = OrgUnitFactory(
        code="BN-TTYT-TUSON",
        name="Trung tâm Y tế Từ Sơn",
        short_name="TTYT Từ Sơn",
        facility_type=t.HEALTH_CENTRE,
        parent=syt_bn,
        technical_level=TechnicalLevel.BASIC,
    )
    syt_tn = OrgUnitFactory(
        code="TN-SYT", name="Sở Y tế tỉnh Thái Nguyên", facility_type=t.DOH, parent=moh
    )
    phu_binh = OrgUnitFactory(
        code="TN-TTYT-PHUBINH",
        name="Trung tâm Y tế Phú Bình",
        facility_type=t.HEALTH_CENTRE,
        parent=syt_tn,
    )
    tyt_phu_binh = OrgUnitFactory(code="TYT-PHUBINH", name="Trạm Y tế Xã Phú Bình", parent=phu_binh)
    return SimpleNamespace(
        ward_tien_du=ward_tien_du,
        moh=moh,
        syt_bn=syt_bn,
        bvdk=bvdk,
        tien_du=tien_du,
        tyt_tien_du=tyt_tien_du,
        tu_son=tu_son,
        syt_tn=syt_tn,
        phu_binh=phu_binh,
        tyt_phu_binh=tyt_phu_binh,
    )


@pytest.fixture
def users(network):
    """One user per role; all but the administrator work in Bắc Ninh."""
    return SimpleNamespace(
        admin=UserFactory(
            username="admin", role=Role.SYSTEM_ADMIN, is_superuser=True, is_staff=True
        ),
        doh=UserFactory(username="syt.bn", role=Role.DOH_OFFICER, org_unit=network.syt_bn),
        clerk=UserFactory(username="ttyt.tiendu", role=Role.DATA_CLERK, org_unit=network.tien_du),
        viewer=UserFactory(username="xem.bn", role=Role.VIEWER, org_unit=network.syt_bn),
        password=PASSWORD,
    )


@pytest.fixture
def sign_in(page, users):
    """Sign in through the login form as one of ``users``; returns the page on the home."""

    def _sign_in(username, password=PASSWORD):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("form.stacked button[type=submit]")
        if "/login/" in page.url:
            raise AssertionError(f"could not sign in as {username}")
        return page

    return _sign_in
