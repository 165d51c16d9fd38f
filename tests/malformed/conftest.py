"""Malformed input: shared files and the database fingerprint.

``db_state()`` takes, for every table Django knows, the row count and a checksum of every
row; ``unchanged_database()`` asserts that a refused import or form left it exactly as it
was. Files are built in memory: good rows, then cut, re-encoded or filled with formulas.
"""

import contextlib
import csv
import hashlib
import io

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from openpyxl import Workbook

from tests.aggregate.conftest import agg  # noqa: F401 - fixture
from tests.vaccines.conftest import catalogue, cdc, vaccine_grants  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def english_ui(settings):
    """Messages are asserted on their English text."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def db_state() -> dict[str, tuple[int, str]]:
    """Table name -> (row count, sha256 of every row in primary-key order)."""
    state = {}
    existing = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table not in existing or model._meta.proxy or not model._meta.managed:
            continue
        digest = hashlib.sha256()
        count = 0
        for row in model._base_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
            count += 1
        state[table] = (count, digest.hexdigest())
    return state


@contextlib.contextmanager
def unchanged_database():
    """Assert that the block changes no row of any table (counts and checksums)."""
    before = db_state()
    yield
    after = db_state()
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    assert not changed, f"the database changed: {sorted(changed)}"


def csv_upload(rows, name="nhap.csv", *, encoding="utf-8", bom=True, delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data)


def xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_upload(rows, name="nhap.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows))


def cut(upload, fraction=0.6):
    """The same file cut off part way, as a failed copy or upload leaves it."""
    upload.seek(0)
    data = upload.read()
    return SimpleUploadedFile(upload.name, data[: int(len(data) * fraction)])


# "Trạm Y tế Thị trấn Lim" in the legacy encodings of Vietnamese offices. Windows-1258
# writes tones as combining bytes after the letter; TCVN3 (ABC, the .Vn fonts) uses single
# high bytes; VNI a base letter followed by a tone byte. None of them is valid UTF-8.
LEGACY_NAME = "Trạm Y tế Thị trấn Lim"
LEGACY_BYTES = {
    "cp1258": b"Tra\xf2m Y t\xea\xec Thi\xf2 tr\xe2\xecn Lim",
    "tcvn3": b"Tr\xb9m Y t\xd5 Th\xfb tr\xa5n Lim",
    "vni": b"Tra\xefm Y te\xe1 Th\xf8 tra\xe0n Lim",
}


def legacy_csv(header, row, name_index: int, encoding: str, name="nhap.csv"):
    """A CSV file whose ``name_index`` cell is "Trạm Y tế Thị trấn Lim" in a legacy encoding
    (cp1258, tcvn3 or vni) and whose other cells are ASCII."""
    lines = [b",".join(str(c).encode("ascii") for c in header)]
    cells = [str(c).encode("ascii") for c in row]
    cells[name_index] = LEGACY_BYTES[encoding]
    lines.append(b",".join(cells))
    return SimpleUploadedFile(name, b"\r\n".join(lines) + b"\r\n")
