"""Relative periods counted from a reference date, and which stored periods roll up into a
requested one."""

import datetime

import pytest

from doha.aggregate.models import PeriodType
from doha.aggregate.periods import parse_period
from doha.analytics.periods import (
    PeriodError,
    carries_into,
    contained_periods,
    relative_period_name,
    resolve_period,
    resolve_periods,
    rolls_into,
)

# A day in the middle of the third quarter of 2025.
DAY = datetime.date(2025, 8, 14)


def ids(periods):
    return [p.id for p in periods]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("THIS_MONTH", ["202508"]),
        ("LAST_MONTH", ["202507"]),
        ("LAST_3_MONTHS", ["202505", "202506", "202507"]),
        ("LAST_6_MONTHS", ["202502", "202503", "202504", "202505", "202506", "202507"]),
        ("THIS_QUARTER", ["2025Q3"]),
        ("LAST_QUARTER", ["2025Q2"]),
        ("LAST_4_QUARTERS", ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]),
        ("QUARTERS_THIS_YEAR", ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]),
        ("QUARTERS_LAST_YEAR", ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]),
        ("THIS_SIX_MONTH", ["2025S2"]),
        ("LAST_SIX_MONTH", ["2025S1"]),
        ("LAST_2_SIXMONTHS", ["2024S2", "2025S1"]),
        ("THIS_YEAR", ["2025"]),
        ("LAST_YEAR", ["2024"]),
        ("LAST_5_YEARS", ["2020", "2021", "2022", "2023", "2024"]),
        ("TODAY", ["20250814"]),
        ("YESTERDAY", ["20250813"]),
        ("LAST_3_DAYS", ["20250811", "20250812", "20250813"]),
        ("THIS_WEEK", ["2025W33"]),
        ("LAST_WEEK", ["2025W32"]),
        ("LAST_4_WEEKS", ["2025W29", "2025W30", "2025W31", "2025W32"]),
    ],
)
def test_relative_periods_count_back_from_the_reference_date(name, expected):
    assert ids(resolve_period(name, DAY)) == expected


def test_last_12_months_are_the_twelve_months_before_the_current_one():
    periods = resolve_period("LAST_12_MONTHS", datetime.date(2025, 1, 10))
    assert ids(periods) == [f"2024{m:02d}" for m in range(1, 13)]


def test_months_this_year_include_the_months_still_to_come():
    assert ids(resolve_period("MONTHS_THIS_YEAR", DAY)) == [f"2025{m:02d}" for m in range(1, 13)]


def test_weeks_this_year_follow_iso_week_numbering():
    weeks = resolve_period("WEEKS_THIS_YEAR", datetime.date(2026, 3, 1))
    assert weeks[0].id == "2026W1" and weeks[0].start == datetime.date(2025, 12, 29)
    assert weeks[-1].id == "2026W53"


def test_relative_period_names_are_lower_case_and_forgiving():
    assert ids(resolve_period("last_quarter", DAY)) == ["2025Q2"]
    assert relative_period_name("LAST_12_MONTHS") == "Last 12 months"


def test_resolve_periods_mixes_iso_and_relative_without_repeats():
    assert ids(resolve_periods(["2025Q2", "LAST_QUARTER", "202501"], DAY)) == ["2025Q2", "202501"]


def test_an_unknown_period_is_refused_by_name():
    with pytest.raises(PeriodError, match="2025Q5"):
        resolve_period("2025Q5", DAY)
    with pytest.raises(PeriodError, match="LAST_13_SEASONS"):
        resolve_period("LAST_13_SEASONS", DAY)


def test_months_roll_up_into_quarters_six_months_and_years():
    march = parse_period("202403")
    for longer in ("2024Q1", "2024S1", "2024"):
        assert rolls_into(march.period_type, march.start, parse_period(longer))
    assert not rolls_into(march.period_type, march.start, parse_period("2024Q2"))
    # A quarter never rolls into one of its months.
    quarter = parse_period("2024Q1")
    assert not rolls_into(quarter.period_type, quarter.start, march)


def test_a_week_belongs_to_the_month_it_starts_in():
    week = parse_period("2024W5")  # Monday 29 January to Sunday 4 February
    assert rolls_into(week.period_type, week.start, parse_period("202401"))
    assert not rolls_into(week.period_type, week.start, parse_period("202402"))


def test_a_yearly_value_carries_into_the_periods_it_covers():
    year = parse_period("2024")
    assert carries_into(year.period_type, year.start, year.end, parse_period("2024Q3"))
    assert not carries_into(year.period_type, year.start, year.end, parse_period("2025Q1"))


def test_contained_periods_list_the_stored_periods_of_a_requested_one():
    assert ids(contained_periods(parse_period("2024Q2"), PeriodType.MONTHLY)) == [
        "202404",
        "202405",
        "202406",
    ]
    assert ids(contained_periods(parse_period("2024S2"), PeriodType.QUARTERLY)) == [
        "2024Q3",
        "2024Q4",
    ]
    days = contained_periods(parse_period("202402"), PeriodType.DAILY)
    assert len(days) == 29 and days[0].id == "20240201"
    weeks = contained_periods(parse_period("202402"), PeriodType.WEEKLY)
    assert ids(weeks) == ["2024W6", "2024W7", "2024W8", "2024W9"]
    with pytest.raises(PeriodError):
        contained_periods(parse_period("202402"), PeriodType.YEARLY)
