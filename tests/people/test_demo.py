"""The demo staff: created through the services, idempotent, some falling short."""

import pytest

from doha.people.demo import PER_FACILITY, load_demo_people
from doha.people.models import HealthWorker
from doha.people.services import cme_shortfall

pytestmark = pytest.mark.usefixtures("shared_world")


def test_load_demo_people(network):
    # The test network has two of the demo facilities (BN-BVDK, BN-TTYT-TIENDU).
    assert load_demo_people() == 2 * PER_FACILITY
    demo = HealthWorker.objects.filter(licence_number__startswith="DEMO-")
    assert demo.count() == 2 * PER_FACILITY
    assert set(demo.values_list("facility__code", flat=True)) == {"BN-BVDK", "BN-TTYT-TIENDU"}
    short = cme_shortfall(demo)
    assert 0 < len(short) < demo.count()
    # Again: nothing new.
    assert load_demo_people() == 0
    assert demo.count() == 2 * PER_FACILITY
