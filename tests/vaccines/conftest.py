"""Fixtures of the service-vaccination tests: a provincial CDC with two vaccination points
(see ``factories.build_cdc``), its clerks, and the catalogue."""

import pytest
from django.utils import translation

from doha.core import permissions
from doha.core.permissions import Action, Role
from tests.vaccines.factories import build_catalogue, build_cdc

# The grants the lead adds to core/permissions.MATRIX with the app (see the app's README in
# the report): the vaccine catalogue is reference data the DOH changes; a clerk keeps stock
# (and uploads logger files), records visits and receipts.
VACCINE_GRANTS = {
    Role.LINE_OFFICER: {"vaccine": permissions.READ},
    Role.DATA_CLERK: {
        "vaccine": permissions.READ,
        "vaccinestock": permissions.READ | {Action.ADD, Action.CHANGE, Action.IMPORT},
    },
    Role.VIEWER: {"vaccine": permissions.READ},
}


@pytest.fixture(autouse=True)
def vaccine_grants(monkeypatch):
    """Until the lead writes them into the matrix (then this changes nothing)."""
    for role, grants in VACCINE_GRANTS.items():
        for resource, actions in grants.items():
            if resource not in permissions.MATRIX[role]:
                monkeypatch.setitem(permissions.MATRIX[role], resource, set(actions))


@pytest.fixture(autouse=True)
def english_ui(settings):
    """Messages are asserted on their English text."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def cdc(network, users, catalogue):
    """CDC Bắc Ninh (centre store, two points), a store in Thái Nguyên, clerks, a supplier."""
    return build_cdc(network, catalogue)
