"""A small catalogue and capability register on the shared network.

Tiên Du (basic level) may perform T-A1, T-A2 (specialty 03) and T-B1 (specialty 10); T-A3 is
for specialised facilities only; T-B2 is retired from the catalogue. Tiên Du performs T-A1,
stopped T-A2 (a retired capability) and performs T-A3 above its level. Từ Sơn, in the same
ward, performs T-B1.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import translation

from doha.catalog.models import FacilityCapability, Specialty, Technique

D = datetime.date


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def technique(code, specialty, *levels, active=True):
    return Technique.objects.create(
        code=code,
        name=f"Kỹ thuật {code}",
        specialty=specialty,
        allowed_initial="initial" in levels,
        allowed_basic="basic" in levels,
        allowed_specialised="specialised" in levels,
        active=active,
    )


@pytest.fixture
def catalogue(network, ward_tien_du):
    a = Specialty.objects.create(code="03", name="Nhi khoa", order=3)
    b = Specialty.objects.create(code="10", name="Ngoại khoa", order=10)
    t = SimpleNamespace(
        a=a,
        b=b,
        a1=technique("T-A1", a, "basic", "specialised"),
        a2=technique("T-A2", a, "basic", "specialised"),
        a3=technique("T-A3", a, "specialised"),
        b1=technique("T-B1", b, "initial", "basic", "specialised"),
        b2=technique("T-B2", b, "basic", "specialised", active=False),
    )
    FacilityCapability.objects.create(facility=network.tien_du, technique=t.a1)
    FacilityCapability.objects.create(
        facility=network.tien_du, technique=t.a2, active=False, until=D(2024, 1, 1)
    )
    FacilityCapability.objects.create(facility=network.tien_du, technique=t.a3)
    network.tu_son.admin_unit = ward_tien_du
    network.tu_son.save()
    FacilityCapability.objects.create(facility=network.tu_son, technique=t.b1)
    FacilityCapability.objects.create(facility=network.bvdk, technique=t.a3)
    return t
