"""Outliers: a typed value far from the same cell's last 12 periods is flagged before
submit, with the z-score and the usual range."""

import pytest

from doha.aggregate.periods import parse_period
from doha.analytics.outliers import outliers, usual_range
from tests.analytics.conftest import put

HISTORY = [100, 110, 90, 105, 95, 100, 102, 98, 100, 104, 96, 100]  # 2023-01 .. 2023-12


@pytest.fixture
def history(network, stats):
    for month, value in enumerate(HISTORY, start=1):
        put(stats.admissions, network.bvdk, f"2023{month:02d}", value)
    return stats.admissions


def coc(element):
    return element.category_combo.option_combos.get()


def test_a_usual_value_is_not_flagged(network, history):
    assert outliers(network.bvdk, history, coc(history), "202401", 112) is None


def test_a_far_value_is_flagged_with_its_z_score(network, history):
    flag = outliers(network.bvdk, history, coc(history), parse_period("202401"), 250)
    assert flag
    mean = sum(HISTORY) / 12
    assert flag.mean == pytest.approx(mean)
    assert flag.z_score == pytest.approx((250 - mean) / flag.std_dev)
    assert flag.z_score > 3 and flag.method == "z_score" and flag.history == 12
    assert flag.low == pytest.approx(mean - 3 * flag.std_dev)
    assert str(flag) == (
        "Unusual value: 250 is outside 85,3–114,7 (mean 100 of the 12 previous periods, "
        "z-score 30,5)."
    )


def test_far_below_is_flagged_too_and_the_range_never_goes_below_zero(network, history):
    flag = outliers(network.bvdk, history, coc(history), "202401", 3)
    assert flag and flag.z_score < -3
    _low, _high, mean, std_dev, _method = usual_range([1, 2, 30])
    assert mean - 3 * std_dev < 0
    put(history, network.tyt_tien_du, "202310", 1)
    put(history, network.tyt_tien_du, "202311", 2)
    put(history, network.tyt_tien_du, "202312", 30)
    wild = outliers(network.tyt_tien_du, history, coc(history), "202401", 500)
    assert wild.low == 0


def test_only_the_previous_twelve_months_of_the_same_cell_count(network, stats, history):
    # A year later the 2023 history is out of the window: only 2024-01..03 count.
    for month, value in [("202401", 10), ("202402", 11), ("202403", 12)]:
        put(history, network.bvdk, month, value)
    assert outliers(network.bvdk, history, coc(history), "202401", 100) is None
    # In January 2025 the window is 2024: about 11 a month, so 100 stands out.
    assert outliers(network.bvdk, history, coc(history), "202501", 100)
    assert outliers(network.bvdk, history, coc(history), "202501", 12) is None
    # Another facility's history is not this one's.
    assert outliers(network.tu_son, history, coc(history), "202401", 250) is None


def test_too_short_a_history_judges_nothing(network, stats):
    put(stats.admissions, network.bvdk, "202311", 5)
    put(stats.admissions, network.bvdk, "202312", 5)
    assert outliers(network.bvdk, stats.admissions, coc(stats.admissions), "202401", 5000) is None


def test_a_constant_history_uses_a_min_max_range(network, stats):
    for month in ("202310", "202311", "202312"):
        put(stats.admissions, network.bvdk, month, 40)
    cell = coc(stats.admissions)
    assert outliers(network.bvdk, stats.admissions, cell, "202401", 55) is None
    flag = outliers(network.bvdk, stats.admissions, cell, "202401", 61)
    assert flag.method == "min_max" and flag.z_score is None
    assert (flag.low, flag.high) == (20, 60)
    assert str(flag) == ("Unusual value: 61 is outside 20–60 (the 3 previous periods all held 40).")


def test_disaggregations_have_their_own_history(network, stats):
    for month in ("202310", "202311", "202312"):
        put(stats.opd, network.bvdk, month, 100, coc=stats.male)
        put(stats.opd, network.bvdk, month, 10, coc=stats.female)
    assert outliers(network.bvdk, stats.opd, stats.male, "202401", 100) is None
    assert outliers(network.bvdk, stats.opd, stats.female, "202401", 100)


def test_blank_or_text_is_not_judged(network, history):
    assert outliers(network.bvdk, history, coc(history), "202401", "") is None
    assert outliers(network.bvdk, history, coc(history), "202401", "abc") is None


def test_a_whole_form_is_judged_in_one_query_with_each_cell_on_its_own_history(
    network, stats, history, django_assert_max_num_queries
):
    """The data-entry form asks for all its cells at once: one history query, and each
    cell judged against its own history only (a constant history elsewhere, no history,
    text that is not a number)."""
    from doha.analytics.outliers import outliers_of_cells

    for month in ("202310", "202311", "202312"):
        put(stats.admissions, network.tu_son, month, 40)
    cell = coc(history)
    cells = [(history, cell, 250), (history, cell, 101), (history, cell, ""), (history, cell, "x")]
    with django_assert_max_num_queries(2):
        flags = outliers_of_cells(network.bvdk, cells, "202401")
    assert [bool(f) for f in flags] == [True, False, False, False]
    assert flags[0].history == 12
    # Tu Son's constant history of 40 is not BVĐK's.
    assert outliers_of_cells(network.tu_son, [(history, cell, 250)], "202401")[0].method == (
        "min_max"
    )
