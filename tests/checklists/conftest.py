import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_ui(settings):
    """These tests read messages in English: pages (default language) and services alike.
    Vietnamese as the default is covered by tests/web/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
