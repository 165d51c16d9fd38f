"""The pages: upload a data value set (/statistics/import/), download one
(/statistics/export/), and read a value's history (/statistics/values/<pk>/history/)."""

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doha.aggregate.datavalues import apply_values
from doha.aggregate.models import DataValue
from tests.aggregate.conftest import row, stored

pytestmark = pytest.mark.django_db

IMPORT = reverse("aggregate:datavalue_import")
EXPORT = reverse("aggregate:datavalue_export")


def _csv(agg, unit, value="1.234"):
    return (
        "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,"
        "lastupdated,comment\n"
        f"{agg.opd.code},202401,{unit.code},,,{value},,,Tháng 1\n"
        f"{agg.ipd.code},202401,{unit.code},{agg.male.uid},,12,,,\n"
    )


def _upload(client, text, name="thang1.csv", **fields):
    data = {"file": SimpleUploadedFile(name, text.encode("utf-8")), "strategy": "CREATE_AND_UPDATE"}
    data.update(fields)
    return client.post(IMPORT, data)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(IMPORT)
    assert response.status_code == 302 and "login" in response["Location"]


def test_viewer_may_not_import(client, users, network, agg):
    client.force_login(users.viewer)
    assert client.get(IMPORT).status_code == 403
    response = _upload(client, _csv(agg, network.tien_du), id_scheme="CODE")
    assert response.status_code == 403
    assert not DataValue.objects.exists()


def test_clerk_imports_a_csv_file(english, users, network, agg):
    client = english
    client.force_login(users.clerk)
    assert client.get(IMPORT).status_code == 200
    response = _upload(client, _csv(agg, network.tien_du), id_scheme="CODE")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Import done." in page
    assert 'id="count-imported">2<' in page
    assert stored(agg.opd, "202401", network.tien_du) == "1234"
    assert DataValue.objects.get(data_element=agg.opd).comment == "Tháng 1"
    # The same file again: nothing changes, and the page says so.
    response = _upload(client, _csv(agg, network.tien_du), id_scheme="CODE")
    page = response.content.decode()
    assert "Nothing changed: every value in the file was already stored." in page
    assert 'id="count-ignored">2<' in page


def test_clerk_cannot_import_into_another_facility(english, users, network, agg):
    client = english
    client.force_login(users.clerk)
    response = _upload(client, _csv(agg, network.tu_son), id_scheme="CODE")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert network.tu_son.uid in page and users.clerk.username in page
    assert "E7617" in page
    assert not DataValue.objects.exists()


def test_partial_import_and_dry_run(english, users, network, agg):
    client = english
    client.force_login(users.clerk)
    text = _csv(agg, network.tien_du, value="mười")
    response = _upload(client, text, id_scheme="CODE", dry_run="on")
    assert response.status_code == 400
    assert not DataValue.objects.exists()
    response = _upload(client, text, id_scheme="CODE", partial="on", dry_run="on")
    assert response.status_code == 200
    assert "nothing was saved (check only)" in response.content.decode()
    assert not DataValue.objects.exists()
    response = _upload(client, text, id_scheme="CODE", partial="on")
    assert response.status_code == 200
    page = response.content.decode()
    assert "The valid values were saved; 1 value was refused." in page
    assert "mười" in page
    assert DataValue.objects.count() == 1


def test_json_file_is_detected_and_broken_files_are_reported(english, users, network, agg):
    client = english
    client.force_login(users.clerk)
    doc = {
        "period": "202401",
        "orgUnit": network.tien_du.uid,
        "dataValues": [{"dataElement": agg.opd.uid, "value": "12,0"}],
    }
    response = _upload(client, json.dumps(doc), name="du-lieu.json")
    assert response.status_code == 200
    assert stored(agg.opd, "202401", network.tien_du) == "12"
    response = _upload(client, "<adx xmlns='urn:ihe:qrph:adx:2015'><group", name="du-lieu.xml")
    assert response.status_code == 400
    assert "not well formed" in response.content.decode()


def test_export_page_downloads_the_data_set(client, users, network, agg):
    apply_values(users.doh, [row(agg.opd, "202401", network.tien_du, "15")])
    client.force_login(users.viewer)
    page = client.get(EXPORT)
    assert page.status_code == 200
    response = client.get(
        EXPORT,
        {
            "data_set": agg.monthly.pk,
            "org_unit": network.syt_bn.pk,
            "children": "on",
            "start_date": "2024-01-01",
            "end_date": "2024-12-31",
            "format": "csv",
            "id_scheme": "CODE",
        },
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "du-lieu-BC_THANG-20240101-20241231.csv" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    assert f"OPD,202401,{network.tien_du.code}" in body


def test_export_page_offers_only_units_in_scope(client, users, network, agg):
    client.force_login(users.clerk)
    response = client.get(
        EXPORT,
        {
            "data_set": agg.monthly.pk,
            "org_unit": network.tu_son.pk,
            "start_date": "2024-01-01",
            "end_date": "2024-12-31",
            "format": "json",
        },
    )
    assert response.status_code == 400
    assert 'data-field="org_unit"' in response.content.decode()


def test_history_of_a_value(english, users, network, agg):
    apply_values(users.clerk, [row(agg.bed_days, "202401", network.tien_du, "100")])
    apply_values(users.doh, [row(agg.bed_days, "202401", network.tien_du, "1.234,5")])
    value = DataValue.objects.get()
    client = english
    client.force_login(users.clerk)
    response = client.get(reverse("aggregate:datavalue_history", args=[value.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1.234,5" in page  # shown the Vietnamese way
    assert "Created" in page and "Updated" in page
    assert users.clerk.username in page and users.doh.username in page
    other = apply_values(users.doh, [row(agg.opd, "202401", network.tu_son, "5")])
    assert other.imported == 1
    foreign = DataValue.objects.get(org_unit=network.tu_son)
    response = client.get(reverse("aggregate:datavalue_history", args=[foreign.pk]))
    assert response.status_code == 404
