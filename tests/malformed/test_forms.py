"""Main forms fed HTML/JS and out-of-range values: HTML is saved as the text typed and shown
escaped; an out-of-range value is refused on its field and nothing is saved."""

import datetime

import pytest
from django.forms import BoundField

from doha.catalog.models import Technique
from doha.orgunits.models import OrgUnit
from tests.catalog.factories import SpecialtyFactory, TechniqueFactory
from tests.malformed.conftest import unchanged_database
from tests.mixins import new_client

SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def signed_in(user):
    client = new_client()
    client.force_login(user)
    return client


def form_data(client, url) -> dict:
    """What the edit form at ``url`` would post unchanged."""
    form = client.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = BoundField(form, form.fields[name], name).value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, datetime.date):
            data[name] = value.strftime("%Y-%m-%d")
        else:
            data[name] = str(getattr(value, "pk", value))
    return data


def no_live_markup(page: str):
    assert "<script>alert" not in page
    assert "<img src=x" not in page


def test_facility_form_keeps_html_as_text(users, network):
    client = signed_in(users.doh)
    unit = network.tyt_tien_du
    url = f"/orgunits/{unit.uid}/edit/"
    data = form_data(client, url)
    data["name"] = SCRIPT
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    unit.refresh_from_db()
    assert unit.name == SCRIPT
    for page in (f"/orgunits/{unit.uid}/", "/orgunits/", f"/orgunits/{unit.parent.uid}/"):
        no_live_markup(client.get(page).content.decode())


@pytest.mark.parametrize(
    "field, value",
    [
        ("opening_date", "1800-01-01"),
        ("opening_date", "2999-01-01"),
        ("opening_date", "2024-02-31"),
        ("name", "x" * 1000),
        ("name", ""),
    ],
    ids=["date_1800", "date_2999", "no_such_day", "too_long", "empty"],
)
def test_facility_form_refuses_out_of_range_on_the_field(users, network, field, value):
    client = signed_in(users.doh)
    url = f"/orgunits/{network.tyt_tien_du.uid}/edit/"
    data = form_data(client, url)
    data[field] = value
    with unchanged_database():
        response = client.post(url, data)
    assert response.status_code in (200, 400)
    assert field in response.context["form"].errors
    no_live_markup(response.content.decode())


@pytest.fixture
def technique(db):
    return TechniqueFactory(specialty=SpecialtyFactory(code="03", name="Nhi khoa", order=3))


def test_technique_form_keeps_html_as_text(users, technique):
    client = signed_in(users.admin)
    url = f"/catalog/techniques/{technique.pk}/edit/"
    data = form_data(client, url)
    data["name"] = SCRIPT
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert Technique.objects.get(pk=technique.pk).name == SCRIPT
    for page in (f"/catalog/techniques/{technique.pk}/", "/catalog/"):
        no_live_markup(client.get(page).content.decode())


def test_html_in_a_search_box_is_echoed_escaped(users):
    client = signed_in(users.doh)
    for url in ("/orgunits/", "/catalog/", "/people/"):
        response = client.get(url, {"q": SCRIPT})
        assert response.status_code == 200, url
        no_live_markup(response.content.decode())


def test_an_error_message_repeating_the_value_escapes_it(users, network):
    """The facility form names a wrong parent by what was typed: escaped too."""
    client = signed_in(users.doh)
    url = f"/orgunits/{network.tyt_tien_du.uid}/edit/"
    data = form_data(client, url)
    data["parent"] = SCRIPT
    data["opening_date"] = SCRIPT
    with unchanged_database():
        response = client.post(url, data)
    assert response.status_code in (200, 400)
    no_live_markup(response.content.decode())
    assert OrgUnit.objects.filter(name=SCRIPT).count() == 0
