import pytest
from django.utils import translation


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


@pytest.fixture(autouse=True)
def certificate_key(settings, tmp_path_factory):
    """A temporary signing key (never the instance's var/ key); a fresh verification rate
    counter for each test."""
    from django.core.cache import cache

    from doha.training import signing

    path = tmp_path_factory.mktemp("keys") / "certificate_key.pem"
    signing.generate_key_file(path)
    settings.DOHA_CERTIFICATE_KEY = ""
    settings.DOHA_CERTIFICATE_KEY_FILE = str(path)
    cache.clear()
    yield path
    cache.clear()
