"""The demo's letterheads and Bắc Ninh's review."""

import datetime

import pytest

from doha.core.permissions import Role
from doha.reports.demo import load_reports_demo
from doha.reports.models import Letterhead, Report, VersionStatus
from tests.factories import UserFactory

# django_db: without a test asking for the database, pytest-django would leave the
# module fixtures on the development database.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def test_demo_letterhead_and_review(network):
    UserFactory(username="syt.bacninh", role=Role.DOH_OFFICER, org_unit=network.syt_bn)
    report = load_reports_demo(today=datetime.date(2026, 7, 28))
    letterhead = Letterhead.objects.get(org_unit=network.syt_bn)
    assert (letterhead.parent_body, letterhead.issuing_body) == ("UBND TỈNH BẮC NINH", "SỞ Y TẾ")
    assert (report.period_kind, report.year, report.org_unit) == ("S1", 2026, network.syt_bn)
    assert report.versions.get().status == VersionStatus.DONE
    # Loading again changes nothing.
    assert load_reports_demo(today=datetime.date(2026, 7, 28)) == report
    assert Report.objects.count() == 1 and Letterhead.objects.count() == 1
