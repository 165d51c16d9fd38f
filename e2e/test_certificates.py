"""A verifiable certificate in a browser (issue 11): anyone opening the link of its QR code
sees it valid; an officer of the organiser's side revokes it through the course page; the
same link then shows it revoked, with the reason; an altered link is refused.

Pages are read in Vietnamese (the default language): checks use the page's ids and the
verdict's status class, and the Vietnamese text where it matters.
"""

import datetime
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from doha.training import certificates, services, signing
from doha.training.models import Certificate, Result
from tests.training.factories import make_course, make_worker

pytestmark = pytest.mark.e2e

NAME = "Nguyễn Thị Hồng Nhung"
REASON = "Cấp nhầm: học viên chưa hoàn thành thực hành"


@pytest.fixture
def certificate_key(settings, tmp_path):
    """A temporary signing key (never the instance's var/ key) and a fresh rate counter."""
    path = tmp_path / "certificate_key.pem"
    signing.generate_key_file(path)
    settings.DOHA_CERTIFICATE_KEY = ""
    settings.DOHA_CERTIFICATE_KEY_FILE = str(path)
    settings.DOHA_PUBLIC_URL = ""
    cache.clear()
    yield path
    cache.clear()


@pytest.fixture
def certificate(network, certificate_key):
    course = make_course(network.bvdk, title="Hồi sức sơ sinh nâng cao")
    worker = make_worker(network.tien_du, NAME, birth_date=datetime.date(1990, 4, 2))
    enrolment = services.record_result(services.enrol(course, worker), result=Result.PASSED)
    return enrolment.certificates.get()


def qr_link(certificate, base_url):
    """The address the certificate's QR code carries (``render_certificate`` draws the QR
    of ``verification_url`` of the full code)."""
    _short, full = services.codes_of(certificate)
    return certificates.verification_url(full, base_url)


def test_verify_from_the_qr_link_then_refused_after_revocation(
    page, live_server, users, sign_in, certificate
):
    link = qr_link(certificate, live_server.url)
    assert link.startswith(f"{live_server.url}/verify/")

    # Anyone (not signed in) opens the link: valid, the holder's name masked.
    page.goto(link)
    verdict = page.locator("#verdict")
    expect(verdict).to_have_class("verdict valid")
    expect(verdict).to_contain_text("Hồi sức sơ sinh nâng cao")
    expect(page.locator("#holder")).not_to_contain_text(NAME)

    # An officer of the Department of Health revokes it from the course page.
    sign_in(users.doh.username)
    page.goto(certificate.enrolment.course.get_absolute_url())
    row = page.locator(f".certificate[data-serial='{certificate.serial}']")
    with page.expect_navigation():
        row.locator("a").click()
    page.fill("#id_reason", REASON)
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    expect(row.locator(".badge.off")).to_be_visible()
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None

    # The same link, opened by anyone: revoked, with the reason and the date.
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("#verdict")).to_have_class("verdict revoked")
    expect(page.locator("#revoked-reason")).to_have_text(REASON)
    expect(page.locator("#revoked-on")).to_have_text(re.compile(r"^\d{2}/\d{2}/\d{4}$"))
    expect(page.locator("#verdict")).not_to_have_class("verdict valid")

    # A link with one character changed is refused.
    code = link.rstrip("/").rsplit("/", 1)[1]
    altered = code[:10] + ("B" if code[10] != "B" else "C") + code[11:]
    response = page.goto(link.replace(code, altered))
    assert response.status == 404
    expect(page.locator("#verdict")).to_have_class("verdict altered")
    assert Certificate.objects.get(pk=certificate.pk).revoked_reason == REASON
