"""The one write path of data values (``apply_values``): value types, checks, strategies,
all-or-nothing and partial imports, zeros, audit rows and the values_changed signal."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from doha.aggregate import datavalues
from doha.aggregate.datavalues import (
    ImportSummary,
    InvalidValue,
    ValueRow,
    apply_values,
    clean_value,
    parse_number,
)
from doha.aggregate.models import DataValue, DataValueAudit, ValueType
from doha.aggregate.signals import values_changed
from tests.aggregate.conftest import audit_trail, row, stored

pytestmark = pytest.mark.django_db


# --- numbers and value types ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, integer, expected",
    [
        ("1234", True, 1234),
        ("1.234", True, 1234),  # Vietnamese thousands
        ("1.234.567", False, 1234567),
        ("1.234,5", False, Decimal("1234.5")),  # Vietnamese decimal comma
        ("12,5", False, Decimal("12.5")),
        ("1234.5", False, Decimal("1234.5")),  # DHIS2 / English
        ("1,234.5", False, Decimal("1234.5")),
        ("1,234,567", True, 1234567),
        (" 917 405 ", True, 917405),
        ("-3", True, -3),
        ("12.0", True, 12),
        ("1e3", False, 1000),
        ("0.125", False, Decimal("0.125")),
    ],
)
def test_numbers_in_vietnamese_and_dhis2_formats(text, integer, expected):
    assert parse_number(text, integer=integer) == expected


@pytest.mark.parametrize("text", ["abc", "1.2.3,4", "12,34,5", "1..2", "", "--1", "1,2.3.4"])
def test_not_numbers(text):
    with pytest.raises(InvalidValue):
        parse_number(text)


@pytest.mark.parametrize(
    "value_type, text, stored_text",
    [
        (ValueType.INTEGER_ZERO_OR_POSITIVE, "1.234", "1234"),
        (ValueType.NUMBER, "1.234,5", "1234.5"),
        (ValueType.NUMBER, "12,50", "12.5"),
        (ValueType.PERCENTAGE, "77,5", "77.5"),
        (ValueType.UNIT_INTERVAL, "0,25", "0.25"),
        (ValueType.BOOLEAN, "có", "true"),
        (ValueType.BOOLEAN, "Không", "false"),
        (ValueType.BOOLEAN, "FALSE", "false"),
        (ValueType.BOOLEAN, "1", "true"),
        (ValueType.TRUE_ONLY, "true", "true"),
        (ValueType.DATE, "15/01/2024", "2024-01-15"),
        (ValueType.DATE, "2024-01-15", "2024-01-15"),
        (ValueType.TEXT, "  Tiên Du  ", "Tiên Du"),
    ],
)
def test_values_are_stored_in_canonical_form(value_type, text, stored_text):
    assert clean_value(value_type, text)[0] == stored_text


@pytest.mark.parametrize(
    "value_type, text",
    [
        (ValueType.INTEGER, "12,5"),
        (ValueType.INTEGER_POSITIVE, "0"),
        (ValueType.INTEGER_ZERO_OR_POSITIVE, "-1"),
        (ValueType.INTEGER_NEGATIVE, "4"),
        (ValueType.PERCENTAGE, "100,5"),
        (ValueType.UNIT_INTERVAL, "2"),
        (ValueType.BOOLEAN, "maybe"),
        (ValueType.TRUE_ONLY, "false"),
        (ValueType.DATE, "31/02/2024"),
        (ValueType.TEXT, "x" * 50001),
    ],
)
def test_values_that_do_not_fit_their_type_are_refused(value_type, text):
    with pytest.raises(InvalidValue):
        clean_value(value_type, text)


# --- writing ----------------------------------------------------------------------------------


def test_new_values_are_created_with_numbers_periods_and_audit(users, network, agg):
    summary = apply_values(
        users.clerk,
        [
            row(agg.opd, "202401", network.tien_du, "1.234"),
            row(agg.bed_days, "202401", network.tien_du, "1.234,5"),
            row(agg.ipd, "202401", network.tien_du, "12", category_option_combo=agg.male),
        ],
    )
    assert summary.status == "SUCCESS"
    assert (summary.imported, summary.updated, summary.ignored, summary.deleted) == (3, 0, 0, 0)
    opd = DataValue.objects.get(data_element=agg.opd)
    assert opd.value == "1234" and opd.numeric_value == 1234.0
    assert (opd.period_type, opd.start_date, opd.end_date) == (
        "Monthly",
        datetime.date(2024, 1, 1),
        datetime.date(2024, 1, 31),
    )
    assert opd.stored_by == users.clerk.username
    assert opd.category_option_combo == agg.default_coc
    assert opd.attribute_option_combo == agg.default_coc
    assert stored(agg.bed_days, "202401", network.tien_du) == "1234.5"
    assert audit_trail(agg.opd, "202401", network.tien_du) == [
        ("CREATE", None, "1234", users.clerk.username)
    ]


def test_update_keeps_the_previous_value_in_the_audit(users, network, agg):
    apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "100")])
    summary = apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "120")])
    assert (summary.imported, summary.updated) == (0, 1)
    assert stored(agg.opd, "202401", network.tien_du) == "120"
    assert audit_trail(agg.opd, "202401", network.tien_du) == [
        ("CREATE", None, "100", users.clerk.username),
        ("UPDATE", "100", "120", users.clerk.username),
    ]


def test_same_values_again_change_nothing_and_say_so(users, network, agg):
    rows = [
        row(agg.opd, "202401", network.tien_du, "100", comment="đủ"),
        row(agg.opd, "202402", network.tien_du, "110"),
    ]
    apply_values(users.clerk, rows)
    audits = DataValueAudit.objects.count()
    again = apply_values(
        users.clerk,
        [
            row(agg.opd, "202401", network.tien_du, "100", comment="đủ"),
            row(agg.opd, "202402", network.tien_du, "110,0"),  # same number, other spelling
        ],
    )
    assert again.status == "SUCCESS"
    assert (again.imported, again.updated, again.deleted, again.ignored) == (0, 0, 0, 2)
    assert again.nothing_changed
    assert DataValueAudit.objects.count() == audits


def test_a_comment_change_alone_is_an_update(users, network, agg):
    apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "100")])
    summary = apply_values(
        users.clerk, [row(agg.opd, "202401", network.tien_du, None, comment="Số liệu ước tính")]
    )
    assert summary.updated == 1
    value = DataValue.objects.get(data_element=agg.opd)
    assert (value.value, value.comment) == ("100", "Số liệu ước tính")


def test_empty_value_deletes_softly(users, network, agg):
    apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "100")])
    summary = apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "")])
    assert summary.deleted == 1
    value = DataValue.objects.get(data_element=agg.opd)
    assert value.deleted and value.value == "100"
    assert audit_trail(agg.opd, "202401", network.tien_du)[-1][:3] == ("DELETE", "100", None)
    # Entering it again revives it (counted as imported, as DHIS2 does).
    summary = apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "90")])
    assert summary.imported == 1
    value.refresh_from_db()
    assert (value.deleted, value.value) == (False, "90")
    assert DataValue.objects.count() == 1


def test_empty_value_for_a_missing_value_is_ignored(users, network, agg):
    summary = apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "")])
    assert (summary.status, summary.ignored, summary.deleted) == ("SUCCESS", 1, 0)
    assert not DataValue.objects.exists()


def test_insignificant_zero_is_not_stored_and_deletes_a_stored_value(users, network, agg):
    summary = apply_values(
        users.clerk,
        [
            row(agg.opd, "202401", network.tien_du, "0"),
            row(agg.deaths, "202401", network.tien_du, "0"),  # zero is significant here
        ],
    )
    assert (summary.imported, summary.ignored) == (1, 1)
    assert stored(agg.opd, "202401", network.tien_du) is None
    assert stored(agg.deaths, "202401", network.tien_du) == "0"
    apply_values(users.clerk, [row(agg.opd, "202402", network.tien_du, "15")])
    summary = apply_values(users.clerk, [row(agg.opd, "202402", network.tien_du, "0")])
    assert summary.deleted == 1
    assert stored(agg.opd, "202402", network.tien_du) is None


def test_the_last_of_duplicate_values_wins(users, network, agg):
    summary = apply_values(
        users.clerk,
        [
            row(agg.opd, "202401", network.tien_du, "1"),
            row(agg.opd, "202401", network.tien_du, "2"),
        ],
    )
    assert (summary.imported, summary.ignored) == (1, 1)
    assert stored(agg.opd, "202401", network.tien_du) == "2"


# --- strategies -------------------------------------------------------------------------------


@pytest.fixture
def existing(users, network, agg):
    apply_values(
        users.clerk,
        [
            row(agg.opd, "202401", network.tien_du, "100"),
            row(agg.opd, "202402", network.tien_du, "200"),
        ],
    )


def _mixed(agg, network):
    return [
        row(agg.opd, "202401", network.tien_du, "101"),  # exists
        row(agg.opd, "202402", network.tien_du, "200"),  # exists, same
        row(agg.opd, "202403", network.tien_du, "300"),  # new
    ]


def test_create_and_update(existing, users, network, agg):
    s = apply_values(users.clerk, _mixed(agg, network), strategy="CREATE_AND_UPDATE")
    assert (s.imported, s.updated, s.ignored, s.deleted) == (1, 1, 1, 0)
    assert stored(agg.opd, "202401", network.tien_du) == "101"
    assert stored(agg.opd, "202403", network.tien_du) == "300"


@pytest.mark.parametrize("probe", [1, 1000])
def test_a_file_starting_with_new_values_classifies_the_stored_ones_too(
    probe, existing, users, network, agg, monkeypatch
):
    # PostgreSQL looks up the file's first values to choose between inserting first and
    # classifying first: either way every value is counted and written once.
    monkeypatch.setattr(datavalues, "_PROBE_ROWS", probe)
    apply_values(users.clerk, [row(agg.opd, "202402", network.tien_du, "")])  # deleted
    s = apply_values(
        users.clerk,
        [
            row(agg.opd, "202403", network.tien_du, "300"),  # new
            row(agg.opd, "202401", network.tien_du, "101"),  # exists, changed
            row(agg.opd, "202402", network.tien_du, "222"),  # deleted before: created again
            row(agg.opd, "202404", network.tien_du, "400"),  # new
        ],
    )
    assert (s.imported, s.updated, s.ignored, s.deleted) == (3, 1, 0, 0)
    assert [stored(agg.opd, p, network.tien_du) for p in ("202401", "202402", "202403")] == [
        "101",
        "222",
        "300",
    ]
    assert audit_trail(agg.opd, "202402", network.tien_du)[-1][:3] == ("CREATE", None, "222")
    assert audit_trail(agg.opd, "202401", network.tien_du)[-1][:3] == ("UPDATE", "100", "101")
    again = apply_values(
        users.clerk,
        [
            row(agg.opd, "202403", network.tien_du, "300"),
            row(agg.opd, "202401", network.tien_du, "101"),
        ],
    )
    assert (again.imported, again.updated, again.ignored) == (0, 0, 2)


def test_create_only_leaves_existing_values(existing, users, network, agg):
    s = apply_values(users.clerk, _mixed(agg, network), strategy="CREATE")
    assert (s.imported, s.updated, s.ignored, s.deleted) == (1, 0, 2, 0)
    assert stored(agg.opd, "202401", network.tien_du) == "100"
    assert stored(agg.opd, "202403", network.tien_du) == "300"


def test_update_only_ignores_missing_values(existing, users, network, agg):
    s = apply_values(users.clerk, _mixed(agg, network), strategy="UPDATE")
    assert (s.imported, s.updated, s.ignored, s.deleted) == (0, 1, 2, 0)
    assert stored(agg.opd, "202401", network.tien_du) == "101"
    assert stored(agg.opd, "202403", network.tien_du) is None


def test_delete_soft_deletes_existing_values(existing, users, network, agg):
    s = apply_values(users.clerk, _mixed(agg, network), strategy="DELETE")
    assert (s.imported, s.updated, s.ignored, s.deleted) == (0, 0, 1, 2)
    assert stored(agg.opd, "202401", network.tien_du) is None
    assert stored(agg.opd, "202401", network.tien_du, deleted=True) == "100"
    assert DataValue.objects.filter(deleted=False).count() == 0
    assert [a[0] for a in audit_trail(agg.opd, "202402", network.tien_du)] == ["CREATE", "DELETE"]


def test_old_dhis2_strategy_names_and_unknown_strategies(users, network, agg):
    s = apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "1")], strategy="NEW")
    assert s.strategy == "CREATE" and s.imported == 1
    with pytest.raises(ValueError, match="CREATE_AND_UPDATE"):
        apply_values(users.clerk, [], strategy="MERGE")


def test_dry_run_counts_but_writes_nothing(existing, users, network, agg):
    audits = DataValueAudit.objects.count()
    s = apply_values(users.clerk, _mixed(agg, network), dry_run=True)
    assert (s.imported, s.updated, s.ignored) == (1, 1, 1)
    assert s.dry_run and s.as_dict()["importOptions"]["dryRun"] is True
    assert stored(agg.opd, "202401", network.tien_du) == "100"
    assert stored(agg.opd, "202403", network.tien_du) is None
    assert DataValueAudit.objects.count() == audits


# --- conflicts --------------------------------------------------------------------------------


def _codes(summary):
    return [c.error_code for c in summary.conflicts]


def test_value_not_matching_its_type_is_a_conflict_naming_it(users, network, agg):
    s = apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "mười")])
    assert s.status == "ERROR" and _codes(s) == ["E7619"]
    conflict = s.conflicts[0].as_dict()
    assert conflict["object"] == agg.opd.uid
    assert conflict["property"] == "value"
    assert "mười" in conflict["value"]
    assert conflict["indexes"] == [0]


def test_all_or_nothing_by_default(users, network, agg):
    s = apply_values(
        users.clerk,
        [
            row(agg.opd, "202401", network.tien_du, "10"),
            row(agg.opd, "202402", network.tien_du, "-5"),
            row(agg.opd, "202403", network.tien_du, "30"),
        ],
    )
    assert s.status == "ERROR"
    assert (s.imported, s.updated, s.deleted, s.ignored) == (0, 0, 0, 3)
    assert s.as_dict()["rejectedIndexes"] == [1]
    assert not DataValue.objects.exists()
    assert not DataValueAudit.objects.exists()


def test_partial_import_writes_the_valid_values(users, network, agg):
    s = apply_values(
        users.clerk,
        [
            row(agg.opd, "202401", network.tien_du, "10"),
            row(agg.opd, "202402", network.tien_du, "-5"),
            row(agg.opd, "202403", network.tien_du, "30"),
        ],
        atomic=False,
    )
    assert s.status == "WARNING"
    assert (s.imported, s.ignored) == (2, 1)
    assert s.http_status == 409
    assert stored(agg.opd, "202401", network.tien_du) == "10"
    assert stored(agg.opd, "202402", network.tien_du) is None


def test_clerk_cannot_write_to_another_facility(users, network, agg):
    s = apply_values(
        users.clerk,
        [
            row(agg.opd, "202401", network.tyt_tien_du, "10"),  # below the clerk's unit
            row(agg.opd, "202401", network.tu_son, "20"),  # a sibling health centre
            row(agg.opd, "202401", network.phu_binh, "30"),  # another province
        ],
    )
    assert s.status == "ERROR"
    assert _codes(s) == ["E7617", "E7617"]
    assert {c.object for c in s.conflicts} == {network.tu_son.uid, network.phu_binh.uid}
    assert users.clerk.username in s.conflicts[0].value
    assert not DataValue.objects.exists()


def test_role_without_the_action_is_refused_before_anything(users, network, agg):
    with pytest.raises(PermissionDenied):
        apply_values(users.viewer, [row(agg.opd, "202401", network.tien_du, "10")])
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(
    "build, code",
    [
        (lambda a, n: row(a.orphan, "202401", n.tien_du, "1"), "E7636"),
        (lambda a, n: row(a.opd, "202401", n.tyt_tu_son, "1"), "E7636"),
        (lambda a, n: row(a.opd, "2024Q1", n.tien_du, "1"), "E7632"),
        (lambda a, n: row(a.qtr, "202401", n.tien_du, "1"), "E7632"),
        (lambda a, n: row(a.ipd, "202401", n.tien_du, "1"), "E7630"),
        (lambda a, n: row(a.opd, "202401", n.tien_du, "1", category_option_combo=a.male), "E7634"),
        (
            lambda a, n: row(a.opd, "202401", n.tien_du, "1", attribute_option_combo=a.male),
            "E7635",
        ),
        (lambda a, n: row(a.opd, "202401", n.tien_du, None), "E7618"),
        (lambda a, n: row(a.opd, "202401", n.tien_du, "1", comment="x" * 5001), "E7620"),
        (lambda a, n: row(a.qtr, "2024Q1", n.tien_du, "1", data_set=a.monthly), "E7633"),
        (lambda a, n: ValueRow(a.opd, None, n.tien_du, value="1"), "E7611"),
    ],
)
def test_every_conflict_kind(users, network, agg, build, code):
    # The DOH officer's scope holds every Bắc Ninh unit, assigned to the data set or not.
    s = apply_values(users.doh, [build(agg, network)])
    assert s.status == "ERROR"
    assert _codes(s) == [code]
    assert not DataValue.objects.exists()


def test_quarterly_data_set_takes_quarterly_periods(users, network, agg):
    s = apply_values(users.clerk, [row(agg.qtr, "2024Q1", network.tien_du, "4")])
    assert s.status == "SUCCESS" and s.imported == 1


def test_the_same_conflict_is_listed_once_with_every_row(users, network, agg):
    s = apply_values(
        users.clerk,
        [row(agg.opd, f"2024{m:02d}", network.phu_binh, "1") for m in range(1, 7)],
    )
    assert len(s.conflicts) == 1
    assert s.conflicts[0].indexes == [0, 1, 2, 3, 4, 5]
    assert s.total_conflicts == 6


def test_conflicts_speak_the_page_language(users, network, agg):
    from django.utils import translation

    with translation.override("en"):
        s = apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "abc")])
    assert s.conflicts[0].value.startswith("Value must match data element's")


# --- summary shape, signal ----------------------------------------------------------------------


def test_summary_renders_dhis2_import_summary(users, network, agg):
    s = apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "10")])
    message = s.as_web_message()
    assert message["httpStatus"] == "OK" and message["httpStatusCode"] == 200
    assert message["status"] == "OK" and message["message"] == "Import was successful."
    response = message["response"]
    assert response["responseType"] == "ImportSummary"
    assert response["status"] == "SUCCESS"
    assert response["importCount"] == {"imported": 1, "updated": 0, "ignored": 0, "deleted": 0}
    assert response["conflicts"] == [] and response["rejectedIndexes"] == []
    assert response["dataSetComplete"] == "false"
    assert response["importOptions"]["importStrategy"] == "CREATE_AND_UPDATE"


def test_error_summary_envelope():
    s = ImportSummary()
    s.total = 1
    s.reject("E7610", {"dataElement": "nope"}, index=0)
    s.abort()
    message = s.as_web_message()
    assert (message["httpStatus"], message["httpStatusCode"], message["status"]) == (
        "Conflict",
        409,
        "ERROR",
    )
    assert message["message"] == "An error occurred, please check import summary."
    assert message["response"]["conflicts"][0]["objects"] == {"dataElement": "nope"}


def test_values_changed_signal_names_the_changed_cells(users, network, agg):
    received = []

    def handler(sender, keys, **kwargs):
        received.append(set(keys))

    values_changed.connect(handler)
    try:
        apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "1")])
        apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "1")])  # unchanged
        apply_values(users.clerk, [row(agg.opd, "202401", network.tien_du, "1")], dry_run=True)
    finally:
        values_changed.disconnect(handler)
    assert received == [{(agg.opd.pk, network.tien_du.pk, datetime.date(2024, 1, 1))}]


def test_doh_officer_writes_the_whole_province(users, network, agg):
    s = apply_values(
        users.doh,
        [
            row(agg.opd, "202401", network.tyt_tien_du, "1"),
            row(agg.opd, "202401", network.bvdk, "2"),
        ],
        action="change",
    )
    assert s.imported == 2
    s = apply_values(users.doh, [row(agg.opd, "202401", network.phu_binh, "3")])
    assert s.status == "ERROR"
