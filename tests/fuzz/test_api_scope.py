"""No list of the API shows a record of another province.

Every collection of the OpenAPI schema (a GET without a path parameter) is read in full as
the data clerk of Tiên Du (Bắc Ninh) and as the DOH officer of Thái Nguyên; neither answer
may name a facility or health worker of the other province (by UID, code or name).
Reference data without an owner (administrative units, catalogue, vaccines) names no unit
of the network, so the check holds for every collection.
"""

import pytest

from doha.people.models import HealthWorker
from tests.fuzz.conftest import build_schema
from tests.mixins import new_client

pytestmark = pytest.mark.usefixtures("shared_world")

BAC_NINH = ("syt_bn", "bvdk", "tien_du", "tyt_tien_du", "tu_son", "tyt_tu_son")
THAI_NGUYEN = ("syt_tn", "phu_binh", "tyt_phu_binh")


def collections():
    paths = build_schema()["paths"]
    return sorted(path for path, item in paths.items() if "{" not in path and "get" in item)


COLLECTIONS = collections()


def markers(network, keys):
    """What would betray a record of these units: their UIDs, codes and names, and the
    UIDs and names of their health workers."""
    units = [getattr(network, key) for key in keys]
    found = set()
    for unit in units:
        found |= {unit.uid, unit.code, unit.name}
    for worker in HealthWorker.objects.filter(facility__in=units):
        found |= {worker.uid, worker.full_name}
    return found


@pytest.fixture
def readers(db, fuzz_world):
    network = fuzz_world.network
    return {
        "clerk": (fuzz_world.headers["clerk"], markers(network, THAI_NGUYEN)),
        "doh_tn": (fuzz_world.headers["doh_tn"], markers(network, BAC_NINH)),
    }


def test_every_collection_is_checked():
    assert len(COLLECTIONS) > 50
    assert "/api/workers/" in COLLECTIONS
    assert "/api/facilities/" in COLLECTIONS


@pytest.mark.parametrize("path", COLLECTIONS)
def test_collection_stays_in_scope(path, readers):
    client = new_client()
    for role, (headers, foreign) in readers.items():
        response = client.get(path, {"limit": 1000}, HTTP_AUTHORIZATION=headers["Authorization"])
        assert response.status_code < 500, (role, path, response.status_code)
        body = response.content.decode()
        leaked = sorted(marker for marker in foreign if marker in body)
        assert not leaked, f"{path} as {role} shows {leaked}"


@pytest.mark.parametrize("path", ["/api/facilities/", "/api/workers/"])
def test_markers_are_seen_by_whom_may_see_them(path, fuzz_world, db):
    """The check above is not vacuous: the system administrator sees both provinces."""
    network = fuzz_world.network
    response = new_client().get(
        path, {"limit": 1000}, HTTP_AUTHORIZATION=fuzz_world.headers["admin"]["Authorization"]
    )
    body = response.content.decode()
    assert network.phu_binh.uid in body
    assert network.tien_du.uid in body
