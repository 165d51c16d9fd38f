"""The table parser behind tests/mixins.py: a typo in a matrix must not silently skip tests."""

import pytest

from tests.mixins import Row, parse_matrix


def test_a_table_becomes_one_row_per_cell_and_dashes_are_skipped():
    rows = parse_matrix(
        """
                 list  add
        viewer   ok    403
        admin    ok    -
        """
    )
    assert rows == [
        Row("viewer", "list", "ok"),
        Row("viewer", "add", "403"),
        Row("admin", "list", "ok"),
    ]


def test_several_tables_are_joined():
    rows = parse_matrix(("  list\n doh ok", "  add\n doh 404"))
    assert rows == [Row("doh", "list", "ok"), Row("doh", "add", "404")]


@pytest.mark.parametrize(
    "table",
    ["list add\n doh ok", "list\n doh okay", "list\n doh 500"],
    ids=["missing-cell", "unknown-word", "unknown-status"],
)
def test_a_malformed_table_is_an_error(table):
    with pytest.raises(ValueError):
        parse_matrix(table)
