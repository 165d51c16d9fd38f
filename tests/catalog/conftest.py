"""Fixtures of this package."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Service messages are asserted on their English text, whatever the catalogue says."""
    with translation.override("en"):
        yield
