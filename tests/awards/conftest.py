import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_ui(settings):
    """These tests read messages in English: pages (default language) and services alike."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
