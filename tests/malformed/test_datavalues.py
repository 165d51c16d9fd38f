"""Data value sets (JSON, CSV, ADX) through the import page: cut files, legacy encodings,
a file over the size cap, duplicate and out-of-range values, HTML and formulas in comments.
A refused file changes nothing; text is kept as typed, escaped on pages, and the CSV export
never hands Excel a formula."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doha.aggregate.formats import import_file
from doha.aggregate.models import DataValue
from tests.malformed.conftest import LEGACY_BYTES, unchanged_database
from tests.mixins import new_client

SCRIPT = '<script>alert("xss")</script>'
URL = "/statistics/import/"


@pytest.fixture
def clerk(users):
    client = new_client()
    client.force_login(users.clerk)
    return client


def json_file(agg, network, values, name="gia-tri.json"):
    doc = {
        "period": "202401",
        "orgUnit": network.tien_du.uid,
        "dataValues": [{"dataElement": agg.opd.uid, **v} for v in values],
    }
    return SimpleUploadedFile(name, json.dumps(doc, ensure_ascii=False).encode())


def adx_file(agg, network):
    text = (
        "<adx xmlns='urn:ihe:qrph:adx:2015'>"
        f"<group orgUnit='{network.tien_du.code}' period='2024-01-01/P1M' "
        f"dataSet='{agg.monthly.code}'>"
        f"<dataValue dataElement='{agg.opd.code}' value='12'/>"
        f"<dataValue dataElement='{agg.deaths.code}' value='0'/>"
        "</group></adx>"
    )
    return SimpleUploadedFile("gia-tri.xml", text.encode())


def csv_text(agg, network, comment="Tháng 1", period="202401", value="120"):
    return (
        "\ufeffdataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,"
        "storedby,lastupdated,comment\r\n"
        f"{agg.opd.uid},{period},{network.tien_du.uid},,,{value},,,{comment}\r\n"
    )


def post(client, upload, **extra):
    return client.post(URL, {"file": upload, "strategy": "CREATE_AND_UPDATE", **extra})


def conflicts(response) -> str:
    summary = response.context["summary"]
    form = response.context["form"]
    texts = [f"{c.object}: {c.value}" for c in summary.conflicts] if summary else []
    return " | ".join(
        texts
        + [str(e) for e in form.errors.get("__all__", [])]
        + [str(e) for e in form.errors.get("file", [])]
    )


def cut(upload: SimpleUploadedFile, keep: float):
    upload.seek(0)
    data = upload.read()
    return SimpleUploadedFile(upload.name, data[: int(len(data) * keep)])


@pytest.mark.parametrize("kind", ["json", "adx", "csv"])
def test_a_cut_file_is_refused_whole(clerk, agg, network, kind):
    whole = {
        "json": lambda: json_file(
            agg, network, [{"value": "1"}, {"value": "2", "period": "202402"}]
        ),
        "adx": lambda: adx_file(agg, network),
        "csv": lambda: SimpleUploadedFile(
            "gia-tri.csv",
            (
                csv_text(agg, network) + csv_text(agg, network, period="202402").split("\r\n", 1)[1]
            ).encode(),
        ),
    }[kind]()
    with unchanged_database():
        response = post(clerk, cut(whole, 0.8))
    assert response.status_code == 400
    assert conflicts(response)
    assert not DataValue.objects.exists()


@pytest.mark.parametrize("encoding", ["cp1258", "tcvn3", "vni"])
def test_a_legacy_encoding_is_refused_naming_utf8(clerk, agg, network, encoding):
    text = csv_text(agg, network, comment="@@").lstrip("\ufeff").encode()
    upload = SimpleUploadedFile("gia-tri.csv", text.replace(b"@@", LEGACY_BYTES[encoding]))
    with unchanged_database():
        response = post(clerk, upload)
    assert response.status_code == 400
    assert "not UTF-8" in conflicts(response)


def test_bom_and_semicolons_import(clerk, agg, network):
    text = csv_text(agg, network).replace(",", ";")
    response = post(clerk, SimpleUploadedFile("gia-tri.csv", text.encode()))
    assert response.status_code == 200, conflicts(response)
    value = DataValue.objects.get()
    assert (value.value, value.comment) == ("120", "Tháng 1")


def test_a_file_over_the_cap_is_refused_before_reading(clerk, agg, network, monkeypatch):
    from doha.aggregate.views import datavalues as views

    upload = json_file(agg, network, [{"value": "1"}])
    monkeypatch.setattr(views, "MAX_UPLOAD_BYTES", upload.size - 1)
    with unchanged_database():
        response = post(clerk, upload)
    assert response.status_code == 400
    assert "larger than" in conflicts(response)


@pytest.mark.parametrize(
    "value, period, words",
    [
        ("1e309", "202401", "too large"),
        ("99999999999999999999", "202401", "too large"),
        ("NaN", "202401", ""),
        ("12", "189912", "189912"),
        ("12", "299912", ""),
        ("=1+1", "202401", ""),
    ],
    ids=["overflow", "huge", "nan", "year_1899", "year_2999", "formula_as_number"],
)
def test_out_of_range_values_and_periods_are_conflicts(clerk, agg, network, value, period, words):
    upload = SimpleUploadedFile(
        "gia-tri.csv", csv_text(agg, network, value=value, period=period).encode()
    )
    with unchanged_database():
        response = post(clerk, upload)
    assert response.status_code == 400
    assert words in conflicts(response)


def test_duplicate_rows_in_one_file_keep_one_value(users, agg, network):
    text = csv_text(agg, network) + csv_text(agg, network).split("\r\n", 1)[1]
    summary = import_file(users.clerk, text.encode(), "csv")
    assert summary.ok, summary.as_dict()["conflicts"]
    assert DataValue.objects.count() == 1


def test_two_values_for_one_cell_in_one_file_last_one_wins_as_in_dhis2(users, agg, network):
    text = csv_text(agg, network) + csv_text(agg, network, value="130").split("\r\n", 1)[1]
    summary = import_file(users.clerk, text.encode(), "csv")
    assert summary.ok, summary.as_dict()["conflicts"]
    assert [v.value for v in DataValue.objects.all()] == ["130"]


@pytest.mark.parametrize(
    "comment",
    [SCRIPT, '=HYPERLINK("http://attacker.example","Bấm")', "@SUM(1)", "+1+cmd|x"],
    ids=["script", "hyperlink", "at", "plus"],
)
def test_html_and_formulas_in_comments_are_text(clerk, users, agg, network, comment):
    doc = json_file(agg, network, [{"value": "5", "comment": comment}])
    response = post(clerk, doc)
    assert response.status_code == 200, conflicts(response)
    value = DataValue.objects.get()
    assert value.comment == comment
    page = clerk.get(reverse("aggregate:datavalue_history", args=[value.pk])).content.decode()
    assert "<script>alert" not in page
    export = clerk.get(
        "/statistics/export/",
        {
            "data_set": agg.monthly.pk,
            "org_unit": network.tien_du.pk,
            "start_date": "2024-01-01",
            "end_date": "2024-01-31",
            "format": "csv",
        },
    )
    assert export.status_code == 200
    body = b"".join(export.streaming_content) if export.streaming else export.content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    cells = [c for r in rows[1:] for c in r]
    assert not any(c.startswith(("=", "+", "@")) for c in cells), cells
    if comment[0] in "=+@":
        assert "'" + comment in cells
