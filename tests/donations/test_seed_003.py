"""Seed 003: BV Trung ương Thái Nguyên gives 500 boxes of medical gloves worth 750,000,000
VND to the Bắc Kạn Department of Health on 24/07/2024, under Project 1816."""

import datetime

from doha.donations.demo import load_demo_donations
from doha.donations.models import Donation
from doha.orgunits.models import FacilityType
from doha.programmes.models import Framework
from tests.factories import OrgUnitFactory
from tests.mixins import new_client
from tests.transfers.factories import programme_between


def test_the_gloves_donation(db, users):
    bvtw = OrgUnitFactory(
        code="BVTW-TN",
        name="Bệnh viện Trung ương Thái Nguyên",
        facility_type=FacilityType.CENTRAL_HOSPITAL,
    )
    syt_bk = OrgUnitFactory(
        code="BK-SYT", name="Sở Y tế tỉnh Bắc Kạn", facility_type=FacilityType.DOH
    )
    programme = programme_between(
        bvtw, syt_bk, title="Đề án 1816 Bắc Kạn", framework=Framework.PROJECT_1816
    )
    assert load_demo_donations() == 1
    assert load_demo_donations() == 0
    donation = Donation.objects.get()
    assert donation.date == datetime.date(2024, 7, 24)
    assert donation.programme == programme
    item = donation.items.get()
    assert (item.item, item.quantity, item.unit) == ("Găng tay y tế", 500, "thùng")
    assert donation.total_value == 750_000_000

    client = new_client()
    client.force_login(users.admin)
    page = client.get("/donations/").content.decode()
    assert "750.000.000 đ" in page
    detail = client.get(donation.get_absolute_url()).content.decode()
    assert "750.000.000 đ" in detail and "Găng tay y tế" in detail and "500" in detail
    body = client.get(f"/api/donations/{donation.uid}/").json()
    assert body["total_value"] == 750_000_000
    assert body["programme"] == programme.uid


def test_without_a_programme_the_donation_stands_alone(db):
    OrgUnitFactory(code="BVTW-TN", name="Bệnh viện Trung ương Thái Nguyên")
    OrgUnitFactory(code="BK-SYT", name="Sở Y tế tỉnh Bắc Kạn", facility_type=FacilityType.DOH)
    assert load_demo_donations() == 1
    assert Donation.objects.get().programme is None
