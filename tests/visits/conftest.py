import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Evidence files go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted on their English text, whatever the catalogue translates."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def english_ui(settings):
    """These tests read messages in English: pages (default language) and services alike.
    Vietnamese as the default is covered by tests/web/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
