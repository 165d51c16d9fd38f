import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_ui(settings):
    """Messages are asserted on their English text; Vietnamese as the default is covered by
    tests/web/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
