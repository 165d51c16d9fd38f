"""Spreadsheets for the import tests of rotations, training, telehealth and donations: a
header and rows (dicts keyed by header cell) as an uploaded .xlsx or .csv file."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from tests.mixins import new_client

FORMATS = ["xlsx", "csv"]


def sheet(header, rows, fmt="xlsx", name="nhap") -> SimpleUploadedFile:
    lines = [list(header), *([row.get(key, "") for key in header] for row in rows)]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(lines)
        return SimpleUploadedFile(f"{name}.csv", ("\ufeff" + out.getvalue()).encode("utf-8"))
    wb = Workbook()
    for line in lines:
        wb.active.append(line)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(f"{name}.xlsx", out.getvalue())


def upload(client, url, file, dry_run=False):
    data = {"file": file}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(url, data)


def refusals(response) -> list[tuple[int, str, str]]:
    """(row, column, reason) of each refusal in the import's report."""
    return [(e.row, e.field, e.message) for e in response.context["report"].errors]


def signed_in(user):
    client = new_client()
    client.force_login(user)
    return client


def assert_import_refused(user, list_url, url, file):
    """A role without "import": no link on the list; the page and the upload are refused."""
    client = signed_in(user)
    assert url not in client.get(list_url).content.decode()
    assert client.get(url).status_code == 403
    assert upload(client, url, file).status_code == 403
