"""Validation rules: every operator and missing-value strategy, on stored values and on
values typed in the form, and the validation analysis of a subtree."""

import pytest
from django.core.exceptions import PermissionDenied

from doha.aggregate.models import PeriodType
from doha.analytics.models import Importance, MissingValueStrategy, Operator, ValidationRule
from doha.analytics.validation import Violation, rules_for, run_rules, run_rules_for
from tests.aggregate.factories import DataSetFactory
from tests.analytics.conftest import put

SKIP_ALL = MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING
SKIP_ANY = MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
NEVER = MissingValueStrategy.NEVER_SKIP


def rule(left, operator, right, name="Quy tắc", **extra):
    return ValidationRule.objects.create(
        name=name,
        left_side=left,
        left_side_description=extra.pop("left_description", "Vế trái"),
        operator=operator,
        right_side=right,
        right_side_description=extra.pop("right_description", "Vế phải"),
        **extra,
    )


@pytest.fixture
def sides(stats):
    return f"#{{{stats.admissions.uid}}}", f"#{{{stats.opd.uid}}}"


@pytest.mark.parametrize(
    ("operator", "left", "right", "violated"),
    [
        (Operator.EQUAL_TO, 5, 5, False),
        (Operator.EQUAL_TO, 5, 6, True),
        (Operator.NOT_EQUAL_TO, 5, 5, True),
        (Operator.NOT_EQUAL_TO, 5, 6, False),
        (Operator.GREATER_THAN, 6, 5, False),
        (Operator.GREATER_THAN, 5, 5, True),
        (Operator.GREATER_THAN_OR_EQUAL_TO, 5, 5, False),
        (Operator.GREATER_THAN_OR_EQUAL_TO, 4, 5, True),
        (Operator.LESS_THAN, 4, 5, False),
        (Operator.LESS_THAN, 5, 5, True),
        (Operator.LESS_THAN_OR_EQUAL_TO, 5, 5, False),
        (Operator.LESS_THAN_OR_EQUAL_TO, 6, 5, True),
    ],
)
def test_each_comparison_operator(network, stats, sides, operator, left, right, violated):
    check = rule(*sides[:1], operator, sides[1])
    put(stats.admissions, network.bvdk, "202401", left)
    put(stats.opd, network.bvdk, "202401", right, coc=stats.male)
    violations = run_rules(network.bvdk, "202401", rules=[check])
    assert bool(violations) == violated
    if violated:
        assert (violations[0].left_value, violations[0].right_value) == (left, right)


@pytest.mark.parametrize(
    ("admissions", "opd", "violated"),
    [
        (5, None, True),  # one side without the other
        (None, 40, True),
        (5, 40, False),
        (None, None, False),
    ],
)
def test_compulsory_pair(network, stats, sides, admissions, opd, violated):
    check = rule(sides[0], Operator.COMPULSORY_PAIR, sides[1])
    if admissions is not None:
        put(stats.admissions, network.bvdk, "202401", admissions)
    if opd is not None:
        put(stats.opd, network.bvdk, "202401", opd, coc=stats.female)
    assert bool(run_rules(network.bvdk, "202401", rules=[check])) == violated


@pytest.mark.parametrize(
    ("admissions", "opd", "violated"),
    [(5, 40, True), (5, None, False), (None, 40, False), (None, None, False)],
)
def test_exclusive_pair(network, stats, sides, admissions, opd, violated):
    check = rule(sides[0], Operator.EXCLUSIVE_PAIR, sides[1])
    if admissions is not None:
        put(stats.admissions, network.bvdk, "202401", admissions)
    if opd is not None:
        put(stats.opd, network.bvdk, "202401", opd, coc=stats.female)
    assert bool(run_rules(network.bvdk, "202401", rules=[check])) == violated


def test_missing_value_strategies(network, stats):
    male, female = stats.male, stats.female
    both = f"#{{{stats.opd.uid}.{male.uid}}} + #{{{stats.opd.uid}.{female.uid}}}"
    put(stats.opd, network.bvdk, "202401", 30, coc=male)  # female not reported
    put(stats.admissions, network.bvdk, "202401", 50)
    admissions = f"#{{{stats.admissions.uid}}}"
    # Visits (30, female counted as 0) must be at least the admissions (50): broken.
    skip_all = rule(
        both,
        Operator.GREATER_THAN_OR_EQUAL_TO,
        admissions,
        name="A",
        left_missing_value_strategy=SKIP_ALL,
    )
    # The same rule skipped because one item of the left side is missing.
    skip_any = rule(
        both,
        Operator.GREATER_THAN_OR_EQUAL_TO,
        admissions,
        name="B",
        left_missing_value_strategy=SKIP_ANY,
    )
    # Referrals never reported count as 0 under NEVER_SKIP: 0 >= 1 is broken.
    referrals = f"#{{{stats.referrals.uid}}}"
    never = rule(
        referrals,
        Operator.GREATER_THAN_OR_EQUAL_TO,
        "1",
        name="C",
        left_missing_value_strategy=NEVER,
    )
    skipped = rule(referrals, Operator.GREATER_THAN_OR_EQUAL_TO, "1", name="D")
    violations = run_rules(network.bvdk, "202401", rules=[skip_all, skip_any, never, skipped])
    assert [(v.rule.name, v.left_value, v.right_value) for v in violations] == [
        ("A", 30.0, 50.0),
        ("C", 0.0, 1.0),
    ]


def test_typed_values_replace_the_stored_ones(network, stats, sides):
    rule(sides[0], Operator.LESS_THAN_OR_EQUAL_TO, sides[1])
    data_set = DataSetFactory(elements=[stats.admissions, stats.opd], units=[network.bvdk])
    put(stats.admissions, network.bvdk, "202401", 10)
    put(stats.opd, network.bvdk, "202401", 100, coc=stats.male)
    assert run_rules(network.bvdk, "202401", data_set=data_set) == []
    typed = {
        (stats.admissions.uid, stats.admissions.category_combo.option_combos.get().uid): 50,
        (stats.opd.uid, stats.female.uid): 20,
    }
    # The male visits were emptied in the form: only the 20 typed visits count.
    violations = run_rules(network.bvdk, "202401", data_set=data_set, values=typed)
    assert [(v.left_value, v.right_value) for v in violations] == [(50.0, 20.0)]


def test_rules_of_a_data_set_are_those_using_its_elements(network, stats, sides):
    mine = rule(sides[0], Operator.LESS_THAN_OR_EQUAL_TO, sides[1], name="Của bộ")
    rule(f"#{{{stats.referrals.uid}}}", Operator.LESS_THAN_OR_EQUAL_TO, "1000", name="Khác")
    rule(
        sides[0], Operator.LESS_THAN_OR_EQUAL_TO, "5", name="Quý", period_type=PeriodType.QUARTERLY
    )
    data_set = DataSetFactory(elements=[stats.admissions])
    assert rules_for(PeriodType.MONTHLY, data_set) == [mine]


def test_a_quarterly_rule_checks_the_sum_of_the_months(network, stats, sides):
    quarterly = rule(
        sides[0], Operator.LESS_THAN_OR_EQUAL_TO, "20", period_type=PeriodType.QUARTERLY
    )
    for month in ("202401", "202402", "202403"):
        put(stats.admissions, network.bvdk, month, 8)
    violations = run_rules(network.bvdk, "2024Q1")
    assert [v.rule for v in violations] == [quarterly]
    assert violations[0].left_value == 24


def test_a_violation_explains_itself(network, stats, sides):
    check = rule(
        sides[0],
        Operator.LESS_THAN_OR_EQUAL_TO,
        sides[1],
        name="Vào viện không quá lượt khám",
        importance=Importance.HIGH,
        left_description="Lượt vào viện",
        right_description="Lượt khám",
        instruction="Kiểm tra lại sổ vào viện.",
    )
    put(stats.admissions, network.bvdk, "202401", 1500)
    put(stats.opd, network.bvdk, "202401", 1200, coc=stats.male)
    violation = run_rules(network.bvdk, "202401", rules=[check])[0]
    assert isinstance(violation, Violation)
    assert violation.importance == Importance.HIGH
    assert str(violation) == (
        "“Vào viện không quá lượt khám”: Lượt vào viện (1.500) <= Lượt khám (1.200) "
        "is not true. Kiểm tra lại sổ vào viện."
    )
    pair = rule(
        sides[0],
        Operator.COMPULSORY_PAIR,
        f"#{{{stats.referrals.uid}}}",
        name="Cặp",
        left_description="Vào viện",
        right_description="Chuyển tuyến",
    )
    assert run_rules(network.bvdk, "202401", rules=[pair])[0].message == (
        "“Cặp”: Vào viện and Chuyển tuyến must be filled in together."
    )


def test_validation_analysis_of_a_subtree(users, network, stats, sides):
    check = rule(sides[0], Operator.LESS_THAN_OR_EQUAL_TO, sides[1])
    put(stats.admissions, network.bvdk, "202401", 9)  # no visits: skipped (SKIP_IF_ALL)
    put(stats.opd, network.bvdk, "202402", 1, coc=stats.male)
    put(stats.admissions, network.bvdk, "202402", 9)  # broken
    put(stats.opd, network.tyt_tien_du, "202403", 1, coc=stats.male)
    put(stats.admissions, network.tyt_tien_du, "202403", 2)  # broken
    put(stats.opd, network.tyt_phu_binh, "202403", 1, coc=stats.male)
    put(stats.admissions, network.tyt_phu_binh, "202403", 2)  # another province
    found = run_rules_for(users.doh, network.syt_bn, ["2024Q1"], rules=[check])
    assert [(v.org_unit, v.period.id) for v in found] == [
        (network.bvdk, "202402"),
        (network.tyt_tien_du, "202403"),
    ]
    mine = run_rules_for(users.clerk, network.tien_du, ["2024Q1"])
    assert [(v.org_unit, v.period.id) for v in mine] == [(network.tyt_tien_du, "202403")]
    with pytest.raises(PermissionDenied):
        run_rules_for(users.clerk, network.syt_tn, ["2024Q1"])
