"""Demo donation of seed 003: on 24/07/2024 BV Trung ương Thái Nguyên gives 500 boxes of
medical gloves worth 750,000,000 VND to the Bắc Kạn Department of Health. Idempotent."""

import datetime

from doha.donations import services
from doha.donations.models import Donation, DonationItem
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme

SEED_003_DATE = datetime.date(2024, 7, 24)
SEED_003_ITEM = "Găng tay y tế"


def project_1816_programme(donor, recipient):
    """The programme between the two units (both among its parties), Project 1816 first."""
    programmes = (
        Programme.objects.filter(parties__org_unit=donor)
        .filter(parties__org_unit=recipient)
        .distinct()
        .order_by("-start_date")
    )
    return programmes.filter(framework="project_1816").first() or programmes.first()


def load_demo_donations() -> int:
    """Create the seed-003 donation when missing; returns how many were created."""
    donor = OrgUnit.objects.filter(code="BVTW-TN").first()
    recipient = OrgUnit.objects.filter(code="BK-SYT").first()
    if donor is None or recipient is None:
        return 0
    existing = Donation.objects.filter(
        donor=donor, recipient=recipient, date=SEED_003_DATE, items__item=SEED_003_ITEM
    ).first()
    programme = project_1816_programme(donor, recipient)
    if existing is not None:
        if existing.programme_id is None and programme is not None:
            existing.programme = programme
            existing.save(update_fields=["programme", "last_updated"])
        return 0
    services.save_donation(
        Donation(
            donor=donor,
            recipient=recipient,
            date=SEED_003_DATE,
            programme=programme,
            description="Nhân dịp khảo sát nhu cầu đào tạo, chuyển giao kỹ thuật theo Đề án "
            "1816, Bệnh viện Trung ương Thái Nguyên trao tặng 500 thùng găng tay y tế trị giá "
            "750 triệu đồng cho Sở Y tế Bắc Kạn.",
        ),
        [DonationItem(item=SEED_003_ITEM, quantity=500, unit="thùng", total_value=750_000_000)],
    )
    return 1
