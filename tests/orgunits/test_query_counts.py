"""Pages and endpoints cost the same number of queries for 3 rows or 30."""

import pytest

from doha.orgunits.models import FacilityType
from tests.factories import OrgUnitFactory
from tests.mixins import assert_no_n_plus_one

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture
def more_units(network, ward_tien_du):
    """Twelve more stations under Tiên Du, half of them with an administrative unit."""

    def add():
        for i in range(12):
            OrgUnitFactory(
                code=f"TD-{i:02d}",
                name=f"Trạm Y tế số {i}",
                facility_type=FacilityType.COMMUNE_STATION,
                parent=network.tien_du if i % 2 else network.tyt_tien_du,
                admin_unit=ward_tien_du if i % 2 else None,
            )

    return add


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/orgunits/", {}),
        ("/orgunits/", {"q": "tram y te"}),
        ("/orgunits/", {"export": "xlsx"}),
        ("/orgunits/", {"export": "csv"}),
        ("/api/facilities/", {}),
        ("/orgunits/tree/", {"parent": "TIEN_DU"}),
        ("/orgunits/tree/", {"parent": "TIEN_DU", "date": "2030-01-01"}),
        ("DETAIL", {}),
    ],
    ids=["list", "search", "xlsx", "csv", "api", "tree", "tree-as-of", "detail"],
)
def test_query_count_does_not_grow_with_rows(client, users, network, more_units, url, data):
    client.force_login(users.doh)
    if url == "DETAIL":
        url = network.tien_du.get_absolute_url()
    data = {k: network.tien_du.uid if v == "TIEN_DU" else v for k, v in data.items()}
    assert_no_n_plus_one(client, url, more_units, data)
