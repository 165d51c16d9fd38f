"""Shared fixtures of the aggregate tests: a small monthly data set reported by the Bắc Ninh
network (and one Thái Nguyên unit), with a sex disaggregation and one element of each value
type that data values are checked against."""

import base64
from types import SimpleNamespace

import pytest

from doha.aggregate import services
from doha.aggregate.datavalues import ValueRow
from doha.aggregate.models import (
    DataValue,
    DataValueAudit,
    PeriodType,
    ValueType,
)
from doha.aggregate.periods import parse_period
from doha.users.authentication import create_token
from tests.aggregate.factories import (
    CategoryComboFactory,
    CategoryFactory,
    CategoryOptionFactory,
    DataElementFactory,
    DataSetFactory,
    sex_combo,
)


@pytest.fixture
def agg(network):
    """Metadata: data set BC_THANG (monthly) with

    - OPD: outpatient visits (zero or positive integer, default combo)
    - IPD: inpatient admissions by sex (Nam/Nữ, codes SEX_M/SEX_F of category CAT_SEX)
    - DEATHS: deaths (integer, zero is significant)
    - BED_DAYS: inpatient days (number)
    - COVERAGE: health-record coverage (percentage)
    - HOTLINE_OK: hotline working (yes/no)
    - NOTE: remarks (text)

    reported by TTYT Tiên Du, its commune station, TTYT Từ Sơn, the provincial hospital and
    TTYT Phú Bình (Thái Nguyên). Data set BC_QUY (quarterly) holds QTR_SURVEYS for TTYT Tiên
    Du only (element ``qtr``); ORPHAN is in no data set.
    """
    default_combo = services.default_combo()
    default_coc = services.default_option_combo()
    sex = sex_combo()
    male, female = services.generate_option_combos(sex)
    elements = SimpleNamespace(
        opd=DataElementFactory(code="OPD", name="Lượt khám ngoại trú"),
        ipd=DataElementFactory(code="IPD", name="Lượt điều trị nội trú", category_combo=sex),
        deaths=DataElementFactory(
            code="DEATHS",
            name="Số ca tử vong",
            value_type=ValueType.INTEGER,
            zero_is_significant=True,
        ),
        bed_days=DataElementFactory(
            code="BED_DAYS", name="Ngày điều trị nội trú", value_type=ValueType.NUMBER
        ),
        coverage=DataElementFactory(
            code="COVERAGE", name="Tỷ lệ lập hồ sơ sức khỏe", value_type=ValueType.PERCENTAGE
        ),
        hotline=DataElementFactory(
            code="HOTLINE_OK", name="Đường dây nóng hoạt động", value_type=ValueType.BOOLEAN
        ),
        note=DataElementFactory(code="NOTE", name="Ghi chú", value_type=ValueType.LONG_TEXT),
        qtr=DataElementFactory(code="QTR_SURVEYS", name="Số cuộc khảo sát"),
        orphan=DataElementFactory(code="ORPHAN", name="Chỉ tiêu không thuộc bộ nào"),
    )
    units = [network.tien_du, network.tyt_tien_du, network.tu_son, network.bvdk, network.phu_binh]
    monthly = DataSetFactory(
        code="BC_THANG",
        name="Báo cáo tháng",
        period_type=PeriodType.MONTHLY,
        elements=[
            elements.opd,
            elements.ipd,
            elements.deaths,
            elements.bed_days,
            elements.coverage,
            elements.hotline,
            elements.note,
        ],
        units=units,
    )
    quarterly = DataSetFactory(
        code="BC_QUY",
        name="Báo cáo quý",
        period_type=PeriodType.QUARTERLY,
        elements=[elements.qtr],
        units=[network.tien_du],
    )
    return SimpleNamespace(
        default_combo=default_combo,
        default_coc=default_coc,
        sex=sex,
        male=male,
        female=female,
        monthly=monthly,
        quarterly=quarterly,
        **vars(elements),
    )


def row(de, period, ou, value=None, **kwargs) -> ValueRow:
    """A ValueRow with the period given by its DHIS2 id."""
    return ValueRow(de, parse_period(period), ou, value=value, **kwargs)


def stored(de, period, ou, coc=None, *, deleted=False):
    """The stored value (text) of one cell, or None."""
    qs = DataValue.objects.filter(data_element=de, period=period, org_unit=ou, deleted=deleted)
    if coc is not None:
        qs = qs.filter(category_option_combo=coc)
    found = list(qs.values_list("value", flat=True))
    assert len(found) <= 1
    return found[0] if found else None


def live_values():
    """Every stored, not deleted value as (element code, period, unit code, coc, value)."""
    return sorted(
        DataValue.objects.filter(deleted=False).values_list(
            "data_element__code",
            "period",
            "org_unit__code",
            "category_option_combo__uid",
            "attribute_option_combo__uid",
            "value",
        )
    )


def audit_trail(de, period, ou):
    return list(
        DataValueAudit.objects.filter(data_element=de, period=period, org_unit=ou)
        .order_by("id")
        .values_list("audit_type", "previous_value", "value", "modified_by")
    )


def basic_auth(user, password) -> dict:
    token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def token_auth(user) -> dict:
    _token, secret = create_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"ApiToken {secret}"}


@pytest.fixture
def combo_factory():
    """Build extra combos in a test: (name, code, [(category code, [option codes])])."""

    def build(name, code, categories):
        cats = []
        for cat_code, option_codes in categories:
            options = [CategoryOptionFactory(name=c, code=c) for c in option_codes]
            cats.append(CategoryFactory(name=cat_code, code=cat_code, options=options))
        return CategoryComboFactory(name=name, code=code, categories=cats)

    return build


@pytest.fixture(autouse=True)
def english_ui(settings):
    """Messages are asserted on their English text (the msgids), pages and API alike;
    Vietnamese as the default is covered by tests/web/test_i18n.py."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
