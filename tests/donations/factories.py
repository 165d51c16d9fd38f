import datetime

from doha.donations import services
from doha.donations.models import Donation, DonationItem


def make_donation(donor, recipient, *, items=None, **kwargs):
    defaults = {"date": datetime.date(2024, 7, 24)}
    defaults.update(kwargs)
    if items is None:
        items = [
            DonationItem(item="Găng tay y tế", quantity=500, unit="thùng", total_value=750_000_000)
        ]
    return services.save_donation(Donation(donor=donor, recipient=recipient, **defaults), items)
