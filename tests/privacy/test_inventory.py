"""The inventory of personal fields: every declared field exists, and the page lists them
for system administrators and DOH officers."""

from django.urls import reverse

from doha.core import privacy
from tests.mixins import new_client


def test_every_declared_field_is_a_field_of_its_model():
    for declaration in privacy.REGISTRY:
        model = declaration.get_model()
        for f in declaration.fields:
            model._meta.get_field(f.name)
            assert f.category in privacy.CATEGORIES
        assert declaration.purpose and declaration.legal_basis and declaration.retention
        if declaration.retention_setting:
            assert declaration.retention_setting in privacy.RETENTION_DEFAULTS


def test_the_persons_personal_fields_are_declared():
    """A personal field added to a worker or a client must be declared (or this fails)."""
    declared = {d.model: {f.name for f in d.fields} for d in privacy.REGISTRY}
    assert {"full_name", "birth_date", "licence_number", "phone"} <= declared["people.HealthWorker"]
    assert {"full_name", "date_of_birth", "guardian_name", "phone", "address"} <= declared[
        "vaccines.Client"
    ]
    health = {f.name for d in privacy.REGISTRY for f in d.fields if f.category == privacy.SENSITIVE}
    assert {"screening_answers", "symptoms"} <= health


def test_inventory_page_for_officers(users):
    for user in (users.admin, users.doh):
        c = new_client()
        c.force_login(user)
        response = c.get(reverse("privacy:inventory"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "vaccines.Client" in body and "people.HealthWorker" in body
        assert "<code>guardian_name</code>" in body
        assert "Sensitive personal data (art. 2.4)" in body
        assert "DOHA_RETENTION_ACCESS_LOG_YEARS" in body and "5 years" in body


def test_retention_settings_override_the_defaults(settings):
    assert privacy.retention_years("DOHA_RETENTION_ACCESS_LOG_YEARS") == 5
    settings.DOHA_RETENTION_ACCESS_LOG_YEARS = 3
    assert privacy.retention_years("DOHA_RETENTION_ACCESS_LOG_YEARS") == 3
    settings.DOHA_RETENTION_ACCESS_LOG_YEARS = None
    assert privacy.retention_years("DOHA_RETENTION_ACCESS_LOG_YEARS") is None
