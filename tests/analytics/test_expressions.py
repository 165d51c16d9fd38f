"""DHIS2 indicator and validation-rule expressions: syntax, references, missing values,
division by zero, and the errors a metadata editor sees."""

import re

import pytest

from doha.analytics.expressions import (
    ExpressionError,
    ItemRef,
    constants_in,
    describe,
    evaluate,
    items,
    parse,
    validate,
)
from doha.analytics.models import Constant, MissingValueStrategy

DE1, DE2, DE3 = "aaaaaaaaaa1", "bbbbbbbbbb2", "ccccccccc3c"
COC, AOC = "Ccccccccoc1", "Aaaaaaaoc11"
SKIP_ALL = MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING
SKIP_ANY = MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
NEVER = MissingValueStrategy.NEVER_SKIP


def ev(expression, values=None, strategy=SKIP_ALL, constants=None, days=None):
    return evaluate(expression, values or {}, strategy, constants=constants or {}, days=days)


def test_items_list_each_reference_once_in_order():
    refs = items(
        f"#{{{DE1}}} + #{{{DE2}.{COC}}} * #{{{DE1}}} - #{{{DE3}.*.{AOC}}} + #{{{DE2}.{COC}.{AOC}}}"
    )
    assert refs == [
        ItemRef(DE1),
        ItemRef(DE2, COC),
        ItemRef(DE3, "*", AOC),
        ItemRef(DE2, COC, AOC),
    ]
    assert [r.key for r in refs] == [DE1, f"{DE2}.{COC}", f"{DE3}.*.{AOC}", f"{DE2}.{COC}.{AOC}"]
    assert ItemRef.from_key(f"{DE3}.*.{AOC}") == ItemRef(DE3, "*", AOC)


def test_spaces_inside_and_around_references_are_ignored():
    assert items(f"#{{ {DE1} . {COC} }}") == [ItemRef(DE1, COC)]
    assert ev(f"  #{{{DE1}}}  *  2 ", {DE1: 3}) == 6


def test_arithmetic_follows_the_usual_precedence():
    assert ev("2 + 3 * 4") == 14
    assert ev("(2 + 3) * 4") == 20
    assert ev("-2 ^ 2") == -4
    assert ev("2 ^ 3 ^ 2") == 512
    assert ev("10 % 4") == 2
    assert ev("7 / 2") == 3.5
    assert ev("1.5e2 + .5") == 150.5


def test_functions_and_logic():
    assert ev("if(3 > 2, 10, 20)") == 10
    assert ev("if(3 > 2 && 1 == 0, 10, 20)") == 20
    assert ev("if(not (1 > 2) or 0, 1, 2)") == 1
    assert ev("greatest(3, 9, 4) + least(3, 9, 4)") == 12
    assert ev("abs(-4) + log10(100)") == 6
    assert ev("log(8, 2)") == pytest.approx(3)


def test_constants_and_days():
    assert ev("C{Kkkkkkkkkk1} * [days]", constants={"Kkkkkkkkkk1": 2.5}, days=30) == 75


def test_constants_are_read_from_the_database_when_not_given(db):
    constant = Constant.objects.create(name="Hệ số", value=4)
    assert constants_in(f"C{{{constant.uid}}} + 1") == [constant.uid]
    assert evaluate(f"C{{{constant.uid}}} + 1", {}) == 5


def test_skip_if_all_values_missing_counts_a_missing_item_as_zero_only_when_another_has_data():
    expression = f"#{{{DE1}}} + #{{{DE2}}}"
    assert ev(expression, {DE1: 5}) == 5
    assert ev(expression, {}) is None


def test_skip_if_any_value_missing_needs_every_item():
    expression = f"#{{{DE1}}} + #{{{DE2}}}"
    assert ev(expression, {DE1: 5}, SKIP_ANY) is None
    assert ev(expression, {DE1: 5, DE2: 1}, SKIP_ANY) == 6


def test_never_skip_counts_missing_items_as_zero():
    assert ev(f"#{{{DE1}}} + #{{{DE2}}}", {}, NEVER) == 0
    assert ev(f"#{{{DE1}}}", {}, NEVER) == 0


def test_an_expression_without_items_always_has_a_value():
    assert ev("1", {}, SKIP_ANY) == 1


def test_division_by_zero_has_no_value():
    assert ev(f"#{{{DE1}}} / #{{{DE2}}}", {DE1: 5, DE2: 0}) is None
    # A missing denominator counts as 0 here, so the division has no value either.
    assert ev(f"#{{{DE1}}} / #{{{DE2}}}", {DE1: 5}) is None
    assert ev("1 % 0") is None
    assert ev("log(0)") is None


def test_null_functions_see_missing_items_as_missing():
    assert ev(f"isNull(#{{{DE1}}})", {}, NEVER) == 1
    assert ev(f"isNotNull(#{{{DE1}}})", {DE1: 0}) == 1
    assert ev(f"firstNonNull(#{{{DE1}}}, #{{{DE2}}}, 7)", {DE2: 4}) == 4
    assert ev(f"if(isNull(#{{{DE1}}}), -1, #{{{DE1}}})", {}, NEVER) == -1
    # The strategy comes first: with no item at all there is nothing to test for null.
    assert ev(f"isNull(#{{{DE1}}})", {}) is None


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("", "empty"),
        ("1 +", "end of the expression"),
        ("(1 + 2", "“)” expected"),
        ("#{abc}", "not a data element reference"),
        ("#{aaaaaaaaaa1.b.c.d}", "not a data element reference"),
        ("C{x}", "not a constant reference"),
        ("1 $ 2", "Unexpected character “$” at position 3"),
        ("eval(1)", "Unknown function “eval”"),
        ("__import__('os')", "Unexpected character"),
        ("if(1, 2)", "takes 3 arguments, not 2"),
        ("1 2", "Unexpected text at position 3"),
    ],
)
def test_syntax_errors_name_the_place(expression, fragment):
    with pytest.raises(ExpressionError, match=re.escape(fragment)):
        parse(expression)


def test_validate_names_unknown_uids(db, stats):
    opd, male = stats.opd, stats.male
    good = f"#{{{opd.uid}.{male.uid}}} / #{{{stats.admissions.uid}}} * C{{{stats.target.uid}}}"
    assert validate(good) == []
    errors = validate(
        f"#{{{DE1}}} + #{{{opd.uid}.{COC}}} + #{{{stats.admissions.uid}.{male.uid}}}"
        " + C{Kkkkkkkkkk1}"
    )
    assert errors == [
        f"Data element {DE1} does not exist.",
        f"Category option combo {COC} does not exist.",
        f"Category option combo “Nam” ({male.uid}) is not a disaggregation of data element "
        f"“{stats.admissions.name}”.",
        "Constant Kkkkkkkkkk1 does not exist.",
    ]
    assert validate("1 +") == [
        "A number, a #{…} item or a function expected at the end of the expression."
    ]


def test_validate_refuses_text_data_elements(db):
    from tests.aggregate.factories import DataElementFactory

    note = DataElementFactory(name="Ghi chú", value_type="TEXT")
    assert validate(f"#{{{note.uid}}}") == [
        f"Data element “Ghi chú” ({note.uid}) holds text, not numbers."
    ]


def test_describe_shows_names_instead_of_uids(db, stats):
    text = describe(
        f"(#{{{stats.opd.uid}.{stats.male.uid}}} + #{{{stats.admissions.uid}}})"
        f" * C{{{stats.target.uid}}} / [days]"
    )
    assert text == "(Lượt khám ngoại trú (Nam) + Lượt vào viện) * Mục tiêu / [days]"
    short = describe(f"#{{{stats.opd.uid}}}", display_property="SHORTNAME")
    assert short == "Khám NT"
    # Unknown references stay as they are; a broken expression is shown unchanged.
    assert describe(f"#{{{DE1}}} + 1") == f"{DE1} + 1"
    assert describe("1 +") == "1 +"
