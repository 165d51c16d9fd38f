"""Fixtures of the personal-data tests: the vaccination CDC of tests/vaccines (its grants,
catalogue and clerks), English messages, and a few persons."""

import pytest

from doha.vaccines.models import Client
from tests.people.factories import HealthWorkerFactory
from tests.vaccines.conftest import english_ui, vaccine_grants  # noqa: F401 (autouse)
from tests.vaccines.factories import build_catalogue, build_cdc
from tests.vaccines.test_visits_setup import make_client


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def cdc(network, users, catalogue):
    """CDC Bắc Ninh (centre, two points), a store in Thái Nguyên, their clerks."""
    return build_cdc(network, catalogue)


@pytest.fixture
def worker(network):
    return HealthWorkerFactory(
        facility=network.tyt_tien_du,
        full_name="Trần Văn Bảo",
        licence_number="001234/BN-CCHN",
        phone="0987654321",
    )


@pytest.fixture
def outsider_worker(network):
    return HealthWorkerFactory(
        facility=network.tyt_phu_binh,
        full_name="Hoàng Thị Ngoài",
        licence_number="009999/TN-CCHN",
        phone="0977000111",
    )


@pytest.fixture
def person(cdc) -> Client:
    """A child at point 1 of CDC Bắc Ninh, guardian and phone given."""
    return make_client(cdc.point1_unit, full_name="Nguyễn Văn An", phone="0912345678")


@pytest.fixture
def tn_person(cdc) -> Client:
    """A client registered in Thái Nguyên (outside the Bắc Ninh users' scope)."""
    return make_client(
        cdc.tn_unit, full_name="Lò Văn Xa", phone="0933111222", guardian_name="Lò Thị Mẹ"
    )
