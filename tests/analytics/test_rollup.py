"""The rollups stay exact: after values are entered, changed and deleted one by one, after a
large import, after a facility moves, and they always equal a rebuild from scratch."""

import datetime

import pytest

from doha.aggregate.datavalues import ValueRow, apply_values
from doha.aggregate.models import DataValue
from doha.aggregate.periods import parse_period
from doha.aggregate.signals import values_changed
from doha.analytics import rollup
from doha.analytics.query import run_query
from doha.analytics.rollup_models import RollupBacklog, SubtreeRollup, UnitRollup
from doha.orgunits import services
from tests.aggregate.factories import DataSetFactory
from tests.analytics.conftest import put
from tests.factories import OrgUnitFactory


def snapshot():
    units = sorted(
        UnitRollup.objects.values_list(
            "data_element_id",
            "org_unit_id",
            "period_type",
            "start_date",
            "end_date",
            "total",
            "count",
            "min_value",
            "max_value",
        )
    )
    subtrees = sorted(
        SubtreeRollup.objects.values_list(
            "data_element_id",
            "org_unit_id",
            "depth",
            "period_type",
            "start_date",
            "end_date",
            "total",
            "count",
        )
    )
    return units, subtrees


def assert_exact():
    """What was kept incrementally equals a rebuild from the data values."""
    kept = snapshot()
    rollup.refresh_all()
    assert kept == snapshot()


def province_total(user, network, element, period="2024"):
    result = run_query(user, dx=[element.uid], pe=[period], ou=[network.syt_bn.uid])
    return result.value(element.uid, period, network.syt_bn.uid)


def test_each_entered_value_reaches_every_ancestor(users, network, stats):
    put(stats.admissions, network.tyt_tien_du, "202401", 5)
    put(stats.admissions, network.tyt_tien_du, "202402", 7)
    row = SubtreeRollup.objects.get(
        data_element=stats.admissions, org_unit=network.moh, start_date="2024-01-01"
    )
    assert (row.depth, row.total, row.count) == (1, 5.0, 1)
    # Ministry, DOH and health centre; the commune station has no sub-units: its subtree is
    # its own values, read from the unit rollup.
    assert SubtreeRollup.objects.filter(data_element=stats.admissions).count() == 6
    assert not SubtreeRollup.objects.filter(org_unit=network.tyt_tien_du).exists()
    result = run_query(
        users.doh, dx=[stats.admissions.uid], pe=["2024Q1"], ou=[network.tyt_tien_du.uid]
    )
    assert result.value(stats.admissions.uid, "2024Q1", network.tyt_tien_du.uid) == 12
    assert_exact()


def test_a_unit_getting_its_first_and_losing_its_last_sub_unit_keeps_its_totals(
    users, network, stats
):
    centre = OrgUnitFactory(code="BN-TTYT-MOI", name="Trung tâm Y tế Mới", parent=network.syt_bn)
    put(stats.admissions, centre, "202401", 4)
    put(stats.admissions, network.tyt_tu_son, "202401", 2)
    assert not SubtreeRollup.objects.filter(org_unit=centre).exists()
    # Từ Sơn's station moves under the new centre: its first sub-unit.
    services.move_org_unit(network.tyt_tu_son, centre, datetime.date(2025, 7, 1))
    result = run_query(users.doh, dx=[stats.admissions.uid], pe=["2024"], ou=[centre.uid])
    assert result.value(stats.admissions.uid, "2024", centre.uid) == 6
    assert province_total(users.doh, network, stats.admissions) == 6
    assert_exact()
    # And away again to Từ Sơn's centre: the new centre is left with its own value.
    network.tyt_tu_son.refresh_from_db()
    services.move_org_unit(network.tyt_tu_son, network.tu_son, datetime.date(2025, 7, 1))
    result = run_query(
        users.doh, dx=[stats.admissions.uid], pe=["2024"], ou=[centre.uid, network.tu_son.uid]
    )
    assert result.value(stats.admissions.uid, "2024", centre.uid) == 4
    assert result.value(stats.admissions.uid, "2024", network.tu_son.uid) == 2
    assert_exact()
    # A unit created under a unit without sub-units: the parent's totals stay its own.
    OrgUnitFactory(code="TYT-MOI", name="Trạm Y tế Mới", parent=centre)
    result = run_query(users.doh, dx=[stats.admissions.uid], pe=["2024"], ou=[centre.uid])
    assert result.value(stats.admissions.uid, "2024", centre.uid) == 4
    put(stats.admissions, centre, "202402", 1)
    assert province_total(users.doh, network, stats.admissions) == 7
    assert_exact()


def test_changes_and_deletions_are_followed(users, network, stats):
    put(stats.admissions, network.tyt_tien_du, "202401", 5)
    put(stats.admissions, network.bvdk, "202401", 10)
    assert province_total(users.doh, network, stats.admissions) == 15
    put(stats.admissions, network.tyt_tien_du, "202401", 8)
    assert province_total(users.doh, network, stats.admissions) == 18
    put(stats.admissions, network.bvdk, "202401", None)
    assert province_total(users.doh, network, stats.admissions) == 8
    put(stats.admissions, network.tyt_tien_du, "202401", None)
    assert province_total(users.doh, network, stats.admissions) is None
    # Nothing is left behind for a cell without values.
    assert not SubtreeRollup.objects.filter(data_element=stats.admissions).exists()
    assert_exact()


def test_disaggregated_values_are_summed_in_the_rollup(users, network, stats):
    put(stats.opd, network.bvdk, "202401", 30, coc=stats.male)
    put(stats.opd, network.bvdk, "202401", 45, coc=stats.female)
    cell = UnitRollup.objects.get(data_element=stats.opd, org_unit=network.bvdk)
    assert (cell.total, cell.count, cell.min_value, cell.max_value) == (75.0, 2, 30.0, 45.0)
    put(stats.opd, network.bvdk, "202401", 50, coc=stats.male)
    cell.refresh_from_db()
    assert (cell.total, cell.count, cell.min_value, cell.max_value) == (95.0, 2, 45.0, 50.0)
    assert_exact()


def test_a_large_import_is_queued_and_brought_up_to_date_by_the_next_query(
    users, network, stats, monkeypatch
):
    monkeypatch.setattr(rollup, "DELTA_LIMIT", 2)
    put(stats.admissions, network.bvdk, "202401", 1)  # one cell: applied at once
    assert province_total(users.doh, network, stats.admissions) == 1
    keys = {
        put(stats.admissions, unit, period, value, send=False)
        for unit, period, value in [
            (network.bvdk, "202401", 10),
            (network.tyt_tien_du, "202401", 5),
            (network.tyt_tien_du, "202402", 7),
            (network.tyt_tu_son, "202403", 3),
        ]
    }
    values_changed.send(sender=DataValue, keys=keys)
    assert RollupBacklog.objects.count() == 3  # (element, month start) slices
    # Stale until read: the query rebuilds the queued slices first.
    assert province_total(users.doh, network, stats.admissions) == 25
    assert not RollupBacklog.objects.exists()
    assert_exact()


def test_values_written_by_the_import_path_are_rolled_up(users, network, stats):
    data_set = DataSetFactory(
        elements=[stats.admissions], units=[network.bvdk, network.tyt_tien_du]
    )
    january = parse_period("202401")
    summary = apply_values(
        users.doh,
        [
            ValueRow(stats.admissions, january, network.bvdk, value="12", data_set=data_set),
            ValueRow(stats.admissions, january, network.tyt_tien_du, value="3", data_set=data_set),
        ],
    )
    assert summary.imported == 2, summary
    assert province_total(users.doh, network, stats.admissions, "202401") == 15
    apply_values(
        users.doh,
        [ValueRow(stats.admissions, january, network.bvdk, value="20", data_set=data_set)],
    )
    assert province_total(users.doh, network, stats.admissions, "202401") == 23
    assert_exact()


def test_a_dry_run_changes_no_rollup(users, network, stats):
    data_set = DataSetFactory(elements=[stats.admissions], units=[network.bvdk])
    before = snapshot()
    apply_values(
        users.doh,
        [
            ValueRow(
                stats.admissions, parse_period("202401"), network.bvdk, value="9", data_set=data_set
            )
        ],
        dry_run=True,
    )
    assert snapshot() == before


def test_a_moved_facility_takes_its_totals_to_its_new_parent(users, network, stats):
    put(stats.admissions, network.tyt_tien_du, "202401", 5)
    put(stats.admissions, network.tyt_tu_son, "202401", 2)
    put(stats.admissions, network.tyt_phu_binh, "202401", 100)
    # Tiên Du's health centre (with its station) moves to Thái Nguyên's DOH.
    services.move_org_unit(network.tien_du, network.syt_tn, datetime.date(2025, 7, 1))
    assert province_total(users.admin, network, stats.admissions) == 2
    result = run_query(users.admin, dx=[stats.admissions.uid], pe=["2024"], ou=[network.syt_tn.uid])
    assert result.rows[0][-1] == 105
    assert_exact()
    # And back again, on the same day: the place of that day is rewritten in place.
    network.tien_du.refresh_from_db()
    services.move_org_unit(network.tien_du, network.syt_bn, datetime.date(2025, 7, 1))
    assert province_total(users.admin, network, stats.admissions) == 7
    assert_exact()


def test_a_move_to_another_depth_keeps_levels_right(users, network, stats):
    put(stats.admissions, network.tyt_tien_du, "202401", 5)
    # The commune station moves directly under the DOH: from level 4 to level 3.
    services.move_org_unit(network.tyt_tien_du, network.syt_bn, datetime.date(2025, 7, 1))
    result = run_query(
        users.doh, dx=[stats.admissions.uid], pe=["2024"], ou=["LEVEL-3", network.syt_bn.uid]
    )
    assert result.value(stats.admissions.uid, "2024", network.tyt_tien_du.uid) == 5
    assert result.value(stats.admissions.uid, "2024", network.tien_du.uid) is None
    assert_exact()


def test_refresh_all_rebuilds_from_the_data_values(users, network, stats):
    keys = {
        put(stats.admissions, network.bvdk, "202401", 10, send=False),
        put(stats.population, network.tyt_tien_du, "2024", 1000, send=False),
    }
    assert not keys & set(
        UnitRollup.objects.values_list("data_element_id", "org_unit_id", "start_date")
    )
    rollup.refresh_all()
    assert province_total(users.doh, network, stats.admissions) == 10
    assert province_total(users.doh, network, stats.population) == 1000
    assert_exact()


@pytest.mark.parametrize("value", [0.1, 1e-7, 123456789.25])
def test_decimal_values_do_not_drift(users, network, stats, value):
    for _ in range(3):
        put(stats.beds, network.bvdk, "202401", value)
        put(stats.beds, network.bvdk, "202401", value * 2)
    row = SubtreeRollup.objects.get(data_element=stats.beds, org_unit=network.syt_bn)
    assert row.total == pytest.approx(value * 2, rel=1e-12)
