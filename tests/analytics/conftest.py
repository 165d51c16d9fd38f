"""Fixtures of the analytics tests: statistics metadata and a way to store values.

Values are written as the aggregate app writes them (a DataValue row, then the
``values_changed`` signal with the changed cells), so the rollups are kept by the same
receiver as in production.
"""

from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from doha.aggregate.models import AggregationType, DataValue
from doha.aggregate.periods import parse_period
from doha.aggregate.services import default_option_combo
from doha.aggregate.signals import values_changed
from doha.analytics.models import Constant, Indicator, IndicatorType
from tests.aggregate.factories import DataElementFactory, sex_combo


def put(element, unit, period_id, value, coc=None, aoc=None, send=True):
    """Store (or overwrite) one value and announce it; None deletes it (the deleted flag)."""
    period = parse_period(period_id)
    default = default_option_combo()
    now = timezone.now()
    number = None if value is None else float(value)
    DataValue.objects.update_or_create(
        data_element=element,
        period=period.id,
        org_unit=unit,
        category_option_combo=coc or default,
        attribute_option_combo=aoc or default,
        defaults={
            "period_type": period.period_type,
            "start_date": period.start,
            "end_date": period.end,
            "value": "" if value is None else str(value),
            "numeric_value": number,
            "deleted": value is None,
            "created": now,
            "last_updated": now,
        },
    )
    key = (element.pk, unit.pk, period.start)
    if send:
        values_changed.send(sender=DataValue, keys={key})
    return key


@pytest.fixture(autouse=True)
def _english():
    """Messages and names are checked in English (the msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture
def stats(db):
    """Data elements of a provincial DOH's monthly report, and three indicators."""
    sex = sex_combo()
    male, female = list(sex.option_combos.order_by("sort_order"))
    opd = DataElementFactory(
        name="Lượt khám ngoại trú", short_name="Khám NT", code="OPD", category_combo=sex
    )
    admissions = DataElementFactory(name="Lượt vào viện", short_name="Vào viện", code="IPD")
    referrals = DataElementFactory(name="Chuyển tuyến đi", short_name="Chuyển đi", code="REF")
    population = DataElementFactory(
        name="Dân số", short_name="Dân số", code="POP", aggregation_type=AggregationType.LAST
    )
    records = DataElementFactory(
        name="Hồ sơ sức khỏe đã lập",
        short_name="Hồ sơ SK",
        code="EHR",
        aggregation_type=AggregationType.LAST,
    )
    beds = DataElementFactory(
        name="Giường bệnh",
        short_name="Giường",
        code="BEDS",
        aggregation_type=AggregationType.AVERAGE,
    )
    percent = IndicatorType.objects.create(name="Phần trăm", factor=100)
    per_thousand = IndicatorType.objects.create(name="Phần nghìn", factor=1000)
    coverage = Indicator.objects.create(
        name="Tỷ lệ lập hồ sơ sức khỏe",
        short_name="Tỷ lệ hồ sơ SK",
        code="EHR_COVERAGE",
        indicator_type=percent,
        numerator=f"#{{{records.uid}}}",
        numerator_description="Hồ sơ",
        denominator=f"#{{{population.uid}}}",
        decimals=1,
    )
    referral_rate = Indicator.objects.create(
        name="Tỷ lệ chuyển tuyến",
        code="REF_RATE",
        indicator_type=percent,
        numerator=f"#{{{referrals.uid}}}",
        numerator_description="Chuyển đi",
        denominator=f"#{{{opd.uid}}}",
    )
    target = Constant.objects.create(name="Mục tiêu", value=2.0)
    male_share = Indicator.objects.create(
        name="Lượt khám nam (phần nghìn, nhân hệ số)",
        code="MALE_SHARE",
        indicator_type=per_thousand,
        numerator=f"#{{{opd.uid}.{male.uid}}} * C{{{target.uid}}}",
        numerator_description="Nam",
        denominator=f"#{{{opd.uid}}}",
        decimals=0,
    )
    return SimpleNamespace(
        sex=sex,
        male=male,
        female=female,
        opd=opd,
        admissions=admissions,
        referrals=referrals,
        population=population,
        records=records,
        beds=beds,
        coverage=coverage,
        referral_rate=referral_rate,
        male_share=male_share,
        target=target,
    )
