from types import SimpleNamespace

import pytest
from django.utils import translation

from tests.programmes.factories import SpecialtyFactory, TechniqueFactory


@pytest.fixture
def catalog(db):
    """Two specialties and the paediatric techniques of seed 002 (local codes)."""
    nhi = SpecialtyFactory(code="NHI", name="Nhi khoa", order=3)
    hstc = SpecialtyFactory(code="HSCC", name="Hồi sức cấp cứu và chống độc", order=1)
    names = {
        "umbilical": ("NHI-L001", "Đặt catheter tĩnh mạch rốn"),
        "arterial_bp": ("NHI-L002", "Đo huyết áp động mạch xâm lấn"),
        "intraosseous": ("NHI-L003", "Lập đường truyền trong xương"),
        "exchange": ("NHI-L004", "Thay máu sơ sinh"),
        "surfactant": ("NHI-L005", "Bơm Surfactant"),
        "bladder": ("NHI-L006", "Đo áp lực bàng quang"),
    }
    techniques = {
        key: TechniqueFactory(code=code, name=name, specialty=nhi)
        for key, (code, name) in names.items()
    }
    ventilation = TechniqueFactory(
        code="HSCC-L001", name="Thông khí nhân tạo xâm nhập", specialty=hstc
    )
    return SimpleNamespace(nhi=nhi, hscc=hstc, ventilation=ventilation, **techniques)


@pytest.fixture(autouse=True)
def english():
    """Service messages are asserted on their English text, whatever the catalogue says."""
    with translation.override("en"):
        yield
