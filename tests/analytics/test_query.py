"""The analytics query layer: periods rolled up, org units by level, subtree and the user's
own unit, old and new boundaries, each aggregation type, indicators, filters and scope."""

import datetime

import pytest

from doha.aggregate.models import AggregationType
from doha.analytics.query import QueryError, run_query
from doha.orgunits import services
from doha.orgunits.models import FacilityType
from tests.analytics.conftest import put
from tests.factories import OrgUnitFactory


def rows(result):
    return sorted(tuple(r) for r in result.rows)


@pytest.fixture
def admissions(network, stats):
    """Inpatient admissions: two facilities of Bắc Ninh, one of Thái Nguyên."""
    de = stats.admissions
    put(de, network.tyt_tien_du, "202401", 5)
    put(de, network.tyt_tien_du, "202402", 7)
    put(de, network.tyt_tien_du, "202404", 4)
    put(de, network.bvdk, "202401", 10)
    put(de, network.bvdk, "202407", 1)
    put(de, network.tyt_phu_binh, "202401", 100)
    return de


def test_months_roll_up_into_quarters_six_months_and_years(users, network, admissions):
    result = run_query(
        users.doh,
        dx=[admissions.uid],
        pe=["202401", "2024Q1", "2024S1", "2024"],
        ou=[network.syt_bn.uid],
    )
    assert [row[1:] for row in result.rows] == [
        ["202401", network.syt_bn.uid, 15.0],
        ["2024Q1", network.syt_bn.uid, 22.0],
        ["2024S1", network.syt_bn.uid, 26.0],
        ["2024", network.syt_bn.uid, 27.0],
    ]


def test_a_unit_counts_its_whole_subtree(users, network, admissions):
    result = run_query(
        users.doh,
        dx=[admissions.uid],
        pe=["2024"],
        ou=[network.tien_du.uid, network.tyt_tien_du.uid, network.bvdk.uid],
    )
    assert result.value(admissions.uid, "2024", network.tien_du.uid) == 16
    assert result.value(admissions.uid, "2024", network.tyt_tien_du.uid) == 16
    assert result.value(admissions.uid, "2024", network.bvdk.uid) == 11


def test_level_items_are_bounded_by_the_other_ou_items(users, network, admissions):
    result = run_query(
        users.admin, dx=[admissions.uid], pe=["2024Q1"], ou=["LEVEL-3", network.syt_bn.uid]
    )
    # Every level-3 unit of Bắc Ninh is an item (Từ Sơn has no data, so no row).
    assert result.dimension_items["ou"] == [
        network.bvdk.uid,
        network.tien_du.uid,
        network.tu_son.uid,
    ]
    assert rows(result) == sorted(
        [
            (admissions.uid, "2024Q1", network.bvdk.uid, 10.0),
            (admissions.uid, "2024Q1", network.tien_du.uid, 12.0),
        ]
    )


def test_level_without_a_boundary_is_bounded_by_the_users_scope(users, network, admissions):
    everything = run_query(users.admin, dx=[admissions.uid], pe=["2024Q1"], ou=["LEVEL-2"])
    assert everything.value(admissions.uid, "2024Q1", network.syt_bn.uid) == 22
    assert everything.value(admissions.uid, "2024Q1", network.syt_tn.uid) == 100
    mine = run_query(users.doh, dx=[admissions.uid], pe=["2024Q1"], ou=["LEVEL-2"])
    assert mine.dimension_items["ou"] == [network.syt_bn.uid]


def test_level_with_the_old_boundary_syntax(users, network, admissions):
    result = run_query(
        users.doh, dx=[admissions.uid], pe=["2024Q1"], ou=[f"LEVEL-4-{network.tien_du.uid}"]
    )
    assert rows(result) == [(admissions.uid, "2024Q1", network.tyt_tien_du.uid, 12.0)]


def test_user_orgunit_of_a_district_clerk(users, network, admissions):
    result = run_query(
        users.clerk,
        dx=[admissions.uid],
        pe=["2024Q1"],
        ou=["USER_ORGUNIT", "USER_ORGUNIT_CHILDREN"],
    )
    assert rows(result) == sorted(
        [
            (admissions.uid, "2024Q1", network.tien_du.uid, 12.0),
            (admissions.uid, "2024Q1", network.tyt_tien_du.uid, 12.0),
        ]
    )


def test_a_line_officers_own_unit_is_the_department_they_work_for(users, network, admissions):
    result = run_query(users.line, dx=[admissions.uid], pe=["2024Q1"], ou=["USER_ORGUNIT"])
    assert rows(result) == [(admissions.uid, "2024Q1", network.syt_bn.uid, 22.0)]


def test_without_an_ou_dimension_the_users_units_are_a_filter(users, network, admissions):
    result = run_query(users.clerk, dx=[admissions.uid], pe=["2024Q1", "2024Q2"])
    assert result.dimensions == ["dx", "pe"]
    assert result.rows == [[admissions.uid, "2024Q1", 12.0], [admissions.uid, "2024Q2", 4.0]]


def test_relative_periods_resolve_against_the_reference_date(users, network, admissions):
    result = run_query(
        users.doh,
        dx=[admissions.uid],
        pe=["LAST_3_MONTHS"],
        ou=[network.syt_bn.uid],
        reference_date=datetime.date(2024, 3, 20),
    )
    assert result.dimension_items["pe"] == ["202312", "202401", "202402"]
    assert [row[1] for row in result.rows] == ["202401", "202402"]
    assert result.items["LAST_3_MONTHS"] == {"name": "Last 3 months"}


# ----------------------------------------------------------------------------- aggregation


def test_last_takes_each_units_latest_value_and_sums_the_units(users, network, stats):
    population = stats.population
    put(population, network.tyt_tien_du, "202401", 1000)
    put(population, network.tyt_tien_du, "202402", 1010)
    put(population, network.tyt_tu_son, "202401", 2000)  # no later value this quarter
    put(population, network.bvdk, "2024", 500)  # a yearly value holds for each quarter
    result = run_query(
        users.doh,
        dx=[population.uid],
        pe=["2024Q1", "202403", "2024"],
        ou=[network.syt_bn.uid, network.tien_du.uid],
    )
    assert result.value(population.uid, "2024Q1", network.syt_bn.uid) == 1010 + 2000 + 500
    assert result.value(population.uid, "2024Q1", network.tien_du.uid) == 1010
    # March has no monthly value anywhere: only the yearly one carries into it.
    assert result.value(population.uid, "202403", network.syt_bn.uid) == 500
    assert result.value(population.uid, "202403", network.tien_du.uid) is None
    assert result.value(population.uid, "2024", network.syt_bn.uid) == 3510


def test_last_by_the_old_boundaries_and_over_a_period_filter(users, network, stats):
    population = stats.population
    put(population, network.tyt_tien_du, "202401", 1000)
    put(population, network.tyt_tien_du, "202405", 1020)
    result = run_query(
        users.doh,
        dx=[population.uid],
        ou=[network.syt_bn.uid],
        filters={"pe": ["2024Q1", "2024Q2"]},
        boundaries="pre2025",
    )
    assert result.rows == [[population.uid, network.syt_bn.uid, 1020.0]]


def test_average_count_min_and_max(users, network, stats):
    beds = stats.beds  # AVERAGE
    put(beds, network.bvdk, "202401", 300)
    put(beds, network.bvdk, "202402", 320)
    put(beds, network.tyt_tien_du, "202401", 10)
    args = {"dx": [beds.uid], "pe": ["2024Q1"], "ou": [network.syt_bn.uid]}
    assert run_query(users.doh, **args).rows[0][-1] == 210.0
    for aggregation, expected in [
        (AggregationType.SUM, 630.0),
        (AggregationType.COUNT, 3.0),
        (AggregationType.MIN, 10.0),
        (AggregationType.MAX, 320.0),
        (AggregationType.AVERAGE_SUM_ORG_UNIT, 310.0 + 10.0),
    ]:
        result = run_query(users.doh, aggregation_type=aggregation, **args)
        assert result.rows[0][-1] == expected, aggregation


def test_min_and_max_by_the_old_boundaries(users, network, stats):
    put(stats.beds, network.bvdk, "202401", 300)
    put(stats.beds, network.tyt_tien_du, "202401", 10)
    result = run_query(
        users.doh,
        dx=[stats.beds.uid],
        pe=["202401"],
        ou=[network.syt_bn.uid],
        boundaries="pre2025",
        aggregation_type=AggregationType.MAX,
    )
    assert result.rows[0][-1] == 300


def test_operands_and_the_co_dimension(users, network, stats):
    opd = stats.opd
    put(opd, network.tyt_tien_du, "202401", 30, coc=stats.male)
    put(opd, network.tyt_tien_du, "202401", 45, coc=stats.female)
    put(opd, network.bvdk, "202402", 200, coc=stats.female)
    operand = f"{opd.uid}.{stats.male.uid}"
    result = run_query(users.doh, dx=[opd.uid, operand], pe=["2024Q1"], ou=[network.syt_bn.uid])
    assert result.value(opd.uid, "2024Q1", network.syt_bn.uid) == 275
    assert result.value(operand, "2024Q1", network.syt_bn.uid) == 30
    assert result.items[operand] == {"name": "Lượt khám ngoại trú (Nam)"}
    by_sex = run_query(users.doh, dx=[opd.uid], pe=["2024Q1"], ou=[network.syt_bn.uid], co=True)
    assert by_sex.dimensions == ["dx", "co", "pe", "ou"]
    assert by_sex.rows == [
        [opd.uid, stats.male.uid, "2024Q1", network.syt_bn.uid, 30.0],
        [opd.uid, stats.female.uid, "2024Q1", network.syt_bn.uid, 245.0],
    ]
    assert by_sex.dimension_items["co"] == [stats.male.uid, stats.female.uid]
    assert by_sex.value(opd.uid, "2024Q1", network.syt_bn.uid, co=stats.female.uid) == 245


def test_deleted_values_do_not_count(users, network, admissions):
    put(admissions, network.bvdk, "202401", None)
    result = run_query(users.doh, dx=[admissions.uid], pe=["202401"], ou=[network.syt_bn.uid])
    assert result.rows[0][-1] == 5


# ----------------------------------------------------------------------------- indicators


def test_an_indicator_is_computed_per_cell_with_its_factor_and_decimals(users, network, stats):
    put(stats.records, network.tyt_tien_du, "202401", 770)
    put(stats.population, network.tyt_tien_du, "202401", 1000)
    put(stats.records, network.tyt_tu_son, "202401", 1)
    put(stats.population, network.tyt_tu_son, "202401", 3)
    result = run_query(
        users.doh,
        dx=[stats.coverage.uid],
        pe=["202401"],
        ou=[network.syt_bn.uid, network.tien_du.uid, network.tu_son.uid],
    )
    assert result.value(stats.coverage.uid, "202401", network.tien_du.uid) == 77.0
    assert result.value(stats.coverage.uid, "202401", network.tu_son.uid) == 33.3
    # The province: (770 + 1) / (1000 + 3), not the mean of the two rates.
    assert result.value(stats.coverage.uid, "202401", network.syt_bn.uid) == 76.9


def test_an_indicator_without_a_denominator_or_dividing_by_zero_has_no_value(users, network, stats):
    put(stats.referrals, network.bvdk, "202401", 5)  # no outpatient visits recorded
    put(stats.referrals, network.tyt_tien_du, "202401", 2)
    put(stats.opd, network.tyt_tien_du, "202401", 0, coc=stats.male)
    put(stats.opd, network.tyt_tu_son, "202401", 40, coc=stats.male)
    put(stats.referrals, network.tyt_tu_son, "202401", 0)  # a zero reported: 0 %
    put(stats.opd, network.tyt_phu_binh, "202401", 40, coc=stats.male)  # nothing reported
    result = run_query(
        users.admin,
        dx=[stats.referral_rate.uid],
        pe=["202401"],
        ou=[network.bvdk.uid, network.tien_du.uid, network.tu_son.uid, network.phu_binh.uid],
    )
    assert rows(result) == [(stats.referral_rate.uid, "202401", network.tu_son.uid, 0.0)]


def test_an_indicator_with_an_operand_and_a_constant(users, network, stats):
    put(stats.opd, network.bvdk, "202401", 30, coc=stats.male)
    put(stats.opd, network.bvdk, "202401", 70, coc=stats.female)
    result = run_query(users.doh, dx=[stats.male_share.uid], pe=["202401"], ou=[network.bvdk.uid])
    # 30 × 2 / 100 × 1000, no decimals.
    assert result.rows == [[stats.male_share.uid, "202401", network.bvdk.uid, 600.0]]


def test_filters_collapse_periods_and_units(users, network, admissions):
    result = run_query(
        users.admin,
        dx=[admissions.uid],
        filters={"pe": ["2024Q1", "2024Q3"], "ou": [network.tien_du.uid, network.bvdk.uid]},
    )
    assert result.dimensions == ["dx"]
    assert result.rows == [[admissions.uid, 12.0 + 10.0 + 1.0]]
    assert result.dimension_items["ou"] == [network.tien_du.uid, network.bvdk.uid]


def test_a_dx_filter_adds_up_its_data_elements(users, network, stats, admissions):
    put(stats.referrals, network.bvdk, "202401", 3)
    result = run_query(
        users.doh,
        pe=["202401"],
        ou=[network.bvdk.uid],
        filters={"dx": [admissions.uid, stats.referrals.uid]},
    )
    assert result.dimensions == ["pe", "ou"]
    assert result.rows == [["202401", network.bvdk.uid, 13.0]]


# ----------------------------------------------------------------------------- boundaries


@pytest.fixture
def reform(network, stats):
    """Bắc Giang's DOH and a health centre that moved under Bắc Ninh's DOH on 2025-07-01."""
    syt_bg = OrgUnitFactory(
        code="BG-SYT",
        name="Sở Y tế tỉnh Bắc Giang",
        facility_type=FacilityType.DOH,
        parent=network.moh,
    )
    lang_giang = OrgUnitFactory(
        code="BG-TTYT-LG",
        name="Trung tâm Y tế Lạng Giang",
        facility_type=FacilityType.HEALTH_CENTRE,
        parent=syt_bg,
    )
    station = OrgUnitFactory(code="TYT-LG", name="Trạm Y tế Xã Tân Dĩnh", parent=lang_giang)
    put(stats.admissions, station, "202506", 40)
    put(stats.admissions, station, "202508", 50)
    put(stats.admissions, network.bvdk, "202508", 7)
    services.move_org_unit(lang_giang, network.syt_bn, datetime.date(2025, 7, 1))
    return syt_bg, lang_giang, station


def test_current_boundaries_count_moved_units_under_their_new_parent(users, network, stats, reform):
    syt_bg, lang_giang, _station = reform
    result = run_query(users.admin, dx=[stats.admissions.uid], pe=["2025"], ou=["LEVEL-2"])
    assert result.value(stats.admissions.uid, "2025", network.syt_bn.uid) == 97
    assert result.value(stats.admissions.uid, "2025", syt_bg.uid) is None
    level3 = run_query(
        users.doh, dx=[stats.admissions.uid], pe=["2025"], ou=["LEVEL-3", network.syt_bn.uid]
    )
    assert lang_giang.uid in level3.dimension_items["ou"]


def test_pre_2025_boundaries_use_the_tree_of_2025_06_30(users, network, stats, reform):
    syt_bg, lang_giang, station = reform
    result = run_query(
        users.admin, dx=[stats.admissions.uid], pe=["2025"], ou=["LEVEL-2"], boundaries="pre2025"
    )
    assert result.value(stats.admissions.uid, "2025", network.syt_bn.uid) == 7
    assert result.value(stats.admissions.uid, "2025", syt_bg.uid) == 90
    level3 = run_query(
        users.admin,
        dx=[stats.admissions.uid],
        pe=["2025"],
        ou=["LEVEL-3", network.syt_bn.uid],
        boundaries="pre2025",
    )
    assert lang_giang.uid not in level3.dimension_items["ou"]
    # The hierarchy shown is the old one too.
    old = run_query(
        users.admin,
        dx=[stats.admissions.uid],
        pe=["2025"],
        ou=[station.uid],
        boundaries="pre2025",
        hierarchy_meta=True,
    )
    assert old.meta["ouHierarchy"][station.uid] == (
        f"/{network.moh.uid}/{syt_bg.uid}/{lang_giang.uid}"
    )
    assert old.items[syt_bg.uid] == {"name": "Sở Y tế tỉnh Bắc Giang"}


def test_the_bac_ninh_officer_sees_moved_units_by_either_tree(users, network, stats, reform):
    syt_bg, lang_giang, _station = reform
    old = run_query(
        users.doh,
        dx=[stats.admissions.uid],
        pe=["202508"],
        ou=[lang_giang.uid],
        boundaries="pre2025",
    )
    assert old.rows[0][-1] == 50
    with pytest.raises(QueryError) as refused:
        run_query(
            users.doh,
            dx=[stats.admissions.uid],
            pe=["2025"],
            ou=[syt_bg.uid],
            boundaries="pre2025",
        )
    assert refused.value.code == "E7120"


def test_boundaries_must_be_named_or_dated(users, network, admissions):
    with pytest.raises(QueryError, match="“yesterday”"):
        run_query(users.doh, dx=[admissions.uid], pe=["2024"], boundaries="yesterday")
    result = run_query(
        users.doh,
        dx=[admissions.uid],
        pe=["2024"],
        ou=[network.syt_bn.uid],
        boundaries="2024-12-31",
    )
    assert result.rows[0][-1] == 27


# ----------------------------------------------------------------------------- scope


def test_a_clerk_cannot_ask_for_another_province(users, network, admissions):
    with pytest.raises(QueryError) as refused:
        run_query(users.clerk, dx=[admissions.uid], pe=["2024"], ou=[network.syt_tn.uid])
    assert refused.value.code == "E7120"
    assert network.syt_tn.uid in refused.value.message
    with pytest.raises(QueryError):
        run_query(users.clerk, dx=[admissions.uid], pe=["2024"], ou=[network.syt_bn.uid])


def test_a_clerk_sees_only_their_own_subtree_in_totals(users, network, admissions):
    result = run_query(users.clerk, dx=[admissions.uid], pe=["2024"], ou=["USER_ORGUNIT"])
    assert result.rows == [[admissions.uid, "2024", network.tien_du.uid, 16.0]]


def test_another_provinces_officer_sees_only_their_province(users, network, admissions):
    result = run_query(users.doh_tn, dx=[admissions.uid], pe=["2024"], ou=["LEVEL-2"])
    assert result.rows == [[admissions.uid, "2024", network.syt_tn.uid, 100.0]]


def test_anonymous_users_read_nothing(network, admissions):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(QueryError) as refused:
        run_query(AnonymousUser(), dx=[admissions.uid], pe=["2024"])
    assert refused.value.code == "E7121"


# ----------------------------------------------------------------------------- requests


@pytest.mark.parametrize(
    ("kwargs", "code", "fragment"),
    [
        ({"dx": ["Nooooooone1"], "pe": ["2024"]}, "E7124", "Nooooooone1"),
        ({"dx": ["ADMISSIONS"], "pe": ["2024Q7"]}, "E7124", "2024Q7"),
        ({"dx": ["ADMISSIONS"], "pe": ["2024"], "ou": ["Nooooooone1"]}, "E7124", "Nooooooone1"),
        ({"dx": ["ADMISSIONS"], "pe": ["2024"], "ou": ["LEVEL-x"]}, "E7124", "LEVEL-x"),
        ({"dx": ["ADMISSIONS"], "pe": ["2024"], "ou": ["OU_GROUP-abc"]}, "E7124", "OU_GROUP"),
        ({"dx": ["ADMISSIONS"]}, "E7104", "period"),
        ({"pe": ["2024"]}, "E7102", "data dimension"),
        (
            {"dx": ["ADMISSIONS"], "pe": ["2024"], "filters": {"pe": ["2023"]}},
            "E7103",
            "pe",
        ),
        ({"dx": ["ADMISSIONS"], "pe": ["2024"], "filters": {"xx": ["a"]}}, "E7125", "xx"),
        (
            {"dx": ["ADMISSIONS.Nooooooone1"], "pe": ["2024"]},
            "E7124",
            "Nooooooone1",
        ),
        ({"dx": ["NOTE"], "pe": ["2024"]}, "E7115", "Ghi chú"),
        ({"dx": ["COVERAGE"], "pe": ["2024"], "co": True}, "E7114", "co"),
        (
            {"dx": ["ADMISSIONS"], "filters": {"dx": ["COVERAGE", "REF_RATE"]}, "pe": ["2024"]},
            "E7108",
            "single indicator",
        ),
    ],
)
def test_bad_requests_name_what_is_wrong(users, network, stats, kwargs, code, fragment):
    from tests.aggregate.factories import DataElementFactory

    note = DataElementFactory(name="Ghi chú", value_type="TEXT")
    names = {
        "ADMISSIONS": stats.admissions.uid,
        "COVERAGE": stats.coverage.uid,
        "REF_RATE": stats.referral_rate.uid,
        "NOTE": note.uid,
    }

    def swap(items):
        return [".".join(names.get(part, part) for part in item.split(".")) for item in items]

    if "dx" in kwargs:
        kwargs["dx"] = swap(kwargs["dx"])
    if "filters" in kwargs and "dx" in kwargs["filters"]:
        kwargs["filters"] = {"dx": swap(kwargs["filters"]["dx"])}
        kwargs.pop("dx")
    with pytest.raises(QueryError) as refused:
        run_query(users.doh, **kwargs)
    assert refused.value.code == code
    assert fragment in refused.value.message


def test_names_codes_and_tables(users, network, stats, admissions):
    result = run_query(
        users.doh,
        dx=[admissions.uid],
        pe=["2024Q1"],
        ou=[network.tien_du.uid],
        display_property="SHORTNAME",
    )
    assert result.items[admissions.uid] == {"name": "Vào viện"}
    assert result.items[network.tien_du.uid] == {"name": "TTYT Tiên Du"}
    headers, table = result.as_table()
    assert headers == ["Data", "Period", "Org unit", "Value"]
    assert table == [["Vào viện", "Quarter 1/2024", "TTYT Tiên Du", 12.0]]
    by_code = result.as_dhis2(output_id_scheme="CODE")
    assert by_code["rows"] == [["IPD", "2024Q1", "BN-TTYT-TIENDU", "12.0"]]
    assert by_code["metaData"]["dimensions"]["ou"] == ["BN-TTYT-TIENDU"]
    by_name = result.as_dhis2(output_id_scheme="NAME")
    assert by_name["rows"] == [["Vào viện", "2024Q1", "TTYT Tiên Du", "12.0"]]
    by_input_code = run_query(
        users.doh, dx=["IPD"], pe=["2024Q1"], ou=["BN-TTYT-TIENDU"], input_id_scheme="CODE"
    )
    assert by_input_code.rows == [["IPD", "2024Q1", "BN-TTYT-TIENDU", 12.0]] or (
        by_input_code.rows == [[admissions.uid, "2024Q1", network.tien_du.uid, 12.0]]
    )
