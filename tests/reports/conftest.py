"""Fixtures of the report tests: the default statistics metadata and six months of values
(and the same six months a year before) for the Bắc Ninh and Thái Nguyên facilities.

Reports are built inline (``REPORTS_RUN_INLINE``) and without PDF (``REPORTS_PDF``) unless a
test asks for it: a LibreOffice conversion takes seconds.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from doha.aggregate.metadata import load_default_metadata
from doha.aggregate.models import DataElement, DataValue
from doha.aggregate.signals import values_changed
from doha.orgunits.models import FacilityType
from doha.reports.models import Report
from doha.reports.periods import period_bounds
from tests.analytics.conftest import put
from tests.conftest import fetch_network
from tests.mixins import new_client

YEAR = 2026
MONTHS = [f"{YEAR}{m:02d}" for m in range(1, 7)]
MONTHS_BEFORE = [f"{YEAR - 1}{m:02d}" for m in range(1, 7)]


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.REPORTS_RUN_INLINE = True
    settings.REPORTS_PDF = False


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the msgids)."""
    with translation.override("en"):
        yield


def english_client():
    """A test client that reads pages in English (the msgids)."""
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _first_combo(element):
    return element.category_combo.option_combos.order_by("sort_order").first()


def _fill(elements, unit, months, scale, keys):
    """Values that differ by facility, month and year, big enough for thousands."""
    station = unit.facility_type == FacilityType.COMMUNE_STATION
    for index, month in enumerate(months):
        base = scale * (index + 1)
        figures = {
            "OPD_VISITS": 1200 * base,
            "IPD_ADMISSIONS": 0 if station else 130 * base,
            "REFERRALS_OUT": 40 * base,
            "DENGUE_CASES": 3 * base,
            "FOOD_POISONING_EVENTS": index % 2,
            "CHILD_FULLY_IMMUNISED": 20 * base,
            "PREGNANT_VACCINATED": 9 * base,
            "HOTLINE_CALLS": 10 * base,
            "HOTLINE_RESOLVED": 9 * base,
            "ACT_TRANSFERS_ACCEPTED": index % 3,
            "ACT_DONATION_VALUE": 750_000 * base,
        }
        if station:
            figures.update(
                {
                    "POPULATION": 10_000 * scale,
                    "HEALTH_RECORDS": 7_000 * scale + 100 * index,
                    "CHILDREN_UNDER1": 150 * scale,
                }
            )
        for code, value in figures.items():
            if value:
                element = elements[code]
                keys.add(
                    put(element, unit, month, int(value), coc=_first_combo(element), send=False)
                )


def load_stats(network):
    """The default metadata and the values above, announced to the rollups once."""
    load_default_metadata()
    elements = {e.code: e for e in DataElement.objects.all()}
    units = [
        (network.bvdk, 5),
        (network.tien_du, 3),
        (network.tyt_tien_du, 1),
        (network.tu_son, 2),
        (network.tyt_tu_son, 1),
        (network.phu_binh, 4),
        (network.tyt_phu_binh, 1),
    ]
    keys = set()
    for unit, scale in units:
        _fill(elements, unit, MONTHS, scale, keys)
        _fill(elements, unit, MONTHS_BEFORE, scale - 0.5 if scale > 1 else scale, keys)
    values_changed.send(sender=DataValue, keys=keys)
    return SimpleNamespace(elements=elements)


@pytest.fixture
def stats(request, network):
    """The statistics, loaded for the test (or once for a module: see ``shared_stats``)."""
    if "shared_stats" in request.fixturenames:
        return SimpleNamespace(elements={e.code: e for e in DataElement.objects.all()})
    return load_stats(network)


@pytest.fixture(scope="module")
def shared_stats(shared_world, django_db_blocker):
    """``stats`` once for a module that uses ``shared_world`` (rolled back with it)."""
    with django_db_blocker.unblock():
        load_stats(fetch_network())


def new_report(org_unit, **fields):
    start, end = period_bounds(fields.get("period_kind", "S1"), YEAR)
    values = {
        "kind": "semiannual",
        "org_unit": org_unit,
        "issuer": org_unit,
        "period_kind": "S1",
        "year": YEAR,
        "start_date": start,
        "end_date": end,
        "number": 5,
        "date": datetime.date(YEAR, 2, 5),
        "language": "en",
        "shortcomings": "Còn sự cố y khoa.\nQuản lý đấu thầu thuốc chưa chặt chẽ.",
        "next_tasks": "Phòng chống sốt xuất huyết.",
    }
    values.update(fields)
    return Report.objects.create(**values)


@pytest.fixture
def make_report(network, users):
    def _make(org_unit=None, **fields):
        return new_report(org_unit or network.syt_bn, **fields)

    return _make
