"""Big new-value files on PostgreSQL are written while they are read (``streaming``): what
ends up stored, in the audit trail and in the import summary is what the set-wise path
writes, and whenever streaming cannot be sure of that it steps aside without a trace.

The writer starts after ``START_AFTER`` values; the tests lower it to 3 (and the chunk to 2)
so that small files exercise every turn. They need real commits (a second connection), hence
``transaction=True``."""

import json

import pytest
from django.db import connection, transaction

from doha.aggregate import datavalues, streaming
from doha.aggregate.formats import import_file
from doha.aggregate.models import DataValue, DataValueAudit
from tests.aggregate.conftest import live_values

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="streaming writes are PostgreSQL's"
    ),
    pytest.mark.usefixtures("restore_admin_units"),
]


@pytest.fixture
def writers(monkeypatch):
    """Small thresholds, and every writer made (with how it ended)."""
    monkeypatch.setattr(streaming, "START_AFTER", 3)
    monkeypatch.setattr(streaming, "CHUNK", 2)
    made = []

    class Recorded(streaming.StreamingWriter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(streaming, "StreamingWriter", Recorded)
    return made


def _value(element, period, unit, value, **extra):
    return {
        "dataElement": element.uid,
        "period": period,
        "orgUnit": unit.uid,
        "value": value,
        **extra,
    }


def _month(agg, network, period="202401", start=10):
    """Eight new values of one month: OPD, IPD by sex and deaths at two facilities."""
    values = []
    for n, unit in enumerate((network.tien_du, network.bvdk)):
        values += [
            _value(agg.opd, period, unit, str(start + n)),
            _value(agg.ipd, period, unit, str(start + n + 1), categoryOptionCombo=agg.male.uid),
            _value(agg.ipd, period, unit, str(start + n + 2), categoryOptionCombo=agg.female.uid),
            _value(agg.deaths, period, unit, "0"),
        ]
    return values


def _json(values):
    return json.dumps({"dataValues": values}).encode()


def _trail():
    return sorted(
        DataValueAudit.objects.values_list(
            "data_element__code",
            "period",
            "org_unit__code",
            "category_option_combo__uid",
            "audit_type",
            "previous_value",
            "value",
            "modified_by",
        )
    )


def _import_both_ways(monkeypatch, user, data, **kwargs):
    """(streamed summary, its stored values and trail, set-wise summary, same), each from an
    empty value table."""
    streamed = import_file(user, data, "json", **kwargs)
    streamed_state = (live_values(), _trail())
    DataValue.objects.all().delete()
    DataValueAudit.objects.all().delete()
    with monkeypatch.context() as patch:
        patch.setattr(streaming, "eligible", lambda *args: False)
        setwise = import_file(user, data, "json", **kwargs)
    return streamed, streamed_state, setwise, (live_values(), _trail())


def _comparable(summary):
    return summary.as_dict()


def test_a_new_month_is_streamed_and_equals_the_set_wise_write(
    monkeypatch, writers, users, agg, network
):
    data = _json(_month(agg, network))
    streamed, streamed_state, setwise, setwise_state = _import_both_ways(
        monkeypatch, users.doh, data
    )
    assert [w.state for w in writers] == ["finished"]
    assert streamed.imported == 8 and streamed.status == "SUCCESS"
    assert _comparable(streamed) == _comparable(setwise)
    assert streamed_state == setwise_state
    values, trail = streamed_state
    assert len(values) == 8
    assert {t[4] for t in trail} == {"CREATE"} and len(trail) == 8
    assert {t[7] for t in trail} == {users.doh.username}


def test_the_same_file_again_is_not_streamed_and_changes_nothing(writers, users, agg, network):
    data = _json(_month(agg, network))
    import_file(users.doh, data, "json")
    again = import_file(users.doh, data, "json")
    assert writers[-1].state == "off" and writers[-1].reason == "values stored already"
    assert again.imported == 0 and again.ignored == 8 and again.updated == 0
    assert DataValue.objects.count() == 8 and DataValueAudit.objects.count() == 8


def test_a_stored_value_further_in_the_file_falls_back_to_the_set_wise_path(
    monkeypatch, writers, users, agg, network
):
    """The first values are new (streaming starts); the last one is stored: the COPY fails
    on the unique key and the set-wise path writes the file: 7 created, 1 updated."""
    import_file(users.doh, _json([_value(agg.deaths, "202401", network.bvdk, "4")]), "json")
    data = _json(_month(agg, network))
    summary = import_file(users.doh, data, "json")
    assert writers[-1].state == "off" and writers[-1].reason == "a value stored already"
    assert (summary.imported, summary.updated, summary.ignored) == (7, 1, 0)
    assert DataValue.objects.filter(deleted=False).count() == 8
    updated = DataValueAudit.objects.get(audit_type="UPDATE")
    assert (updated.previous_value, updated.value) == ("4", "0")
    assert DataValueAudit.objects.filter(audit_type="CREATE").count() == 1 + 7


@pytest.mark.parametrize(
    "extra, reason",
    [
        ("twice", "the same value twice in the file"),
        ("deleted", "a deletion, an empty value or a comment alone"),
        ("comment", "a deletion, an empty value or a comment alone"),
    ],
)
def test_what_streaming_cannot_write_goes_the_set_wise_way(
    monkeypatch, writers, users, agg, network, extra, reason
):
    values = _month(agg, network)
    if extra == "twice":
        values.append(_value(agg.opd, "202401", network.tien_du, "99"))  # the last one kept
    elif extra == "deleted":
        values.append(_value(agg.opd, "202402", network.tien_du, "1", deleted=True))
    else:
        values.append({**_value(agg.opd, "202402", network.bvdk, None), "comment": "chỉ ghi chú"})
    streamed, streamed_state, setwise, setwise_state = _import_both_ways(
        monkeypatch, users.doh, _json(values)
    )
    assert writers[0].reason == reason
    assert _comparable(streamed) == _comparable(setwise)
    assert streamed_state == setwise_state
    if extra == "twice":
        key = ("OPD", "202401", network.tien_du.code)
        assert [v[5] for v in streamed_state[0] if v[:3] == key] == ["99"]


def test_a_conflict_after_streaming_started_writes_nothing(writers, users, agg, network):
    values = _month(agg, network)
    values.append(_value(agg.opd, "202402", network.phu_binh, "5"))  # outside the scope
    summary = import_file(users.doh, _json(values), "json")
    assert writers[0].state == "off" and writers[0].streamed >= 4
    assert summary.status == "ERROR" and summary.imported == 0
    assert [c.error_code for c in summary.conflicts] == ["E7617"]
    assert DataValue.objects.count() == 0 and DataValueAudit.objects.count() == 0


def test_a_partial_import_streams_the_good_values(writers, users, agg, network):
    values = _month(agg, network)
    values.insert(5, _value(agg.opd, "202402", network.phu_binh, "5"))
    summary = import_file(users.doh, _json(values), "json", atomic=False)
    assert writers[0].state == "finished"
    assert summary.status == "WARNING" and summary.imported == 8
    assert [c.error_code for c in summary.conflicts] == ["E7617"]
    assert DataValue.objects.count() == 8 and DataValueAudit.objects.count() == 8


def test_a_failure_while_reading_rolls_the_streamed_values_back(
    monkeypatch, writers, users, agg, network
):
    original = datavalues._Checker.check
    calls = []

    def failing_check(self, row, index):
        calls.append(index)
        raise RuntimeError("disk full")

    monkeypatch.setattr(datavalues._Checker, "check", failing_check)
    values = _month(agg, network)
    values.append(_value(agg.opd, "202402", network.tien_du, "abc"))  # goes through check
    with pytest.raises(RuntimeError):
        import_file(users.doh, _json(values), "json")
    monkeypatch.setattr(datavalues._Checker, "check", original)
    assert calls and writers[0].state == "off"
    assert DataValue.objects.count() == 0 and DataValueAudit.objects.count() == 0


def test_inside_a_transaction_the_set_wise_path_writes(writers, users, agg, network):
    """Values written on another connection would escape the caller's rollback."""
    with transaction.atomic():
        summary = import_file(users.doh, _json(_month(agg, network)), "json")
        assert summary.imported == 8
        transaction.set_rollback(True)
    assert writers == []
    assert DataValue.objects.count() == 0


def test_a_dry_run_and_update_only_imports_do_not_stream(writers, users, agg, network):
    data = _json(_month(agg, network))
    assert import_file(users.doh, data, "json", dry_run=True).imported == 8
    assert import_file(users.doh, data, "json", strategy="UPDATE").ignored == 8
    assert writers == [] and DataValue.objects.count() == 0


def test_streamed_values_reach_the_analytics_rollups(writers, users, agg, network):
    from doha.analytics.query import run_query

    import_file(users.doh, _json(_month(agg, network)), "json")
    assert writers[0].state == "finished"
    result = run_query(users.doh, dx=[agg.opd.uid], pe=["202401"], ou=[network.tien_du.uid])
    assert result.value(agg.opd.uid, "202401", network.tien_du.uid) == 10


def test_a_small_file_is_not_streamed(monkeypatch, writers, users, agg, network):
    monkeypatch.setattr(streaming, "START_AFTER", 100)
    summary = import_file(users.doh, _json(_month(agg, network)), "json")
    assert summary.imported == 8 and writers[0].state == "waiting"
    assert DataValueAudit.objects.count() == 8


def test_without_a_second_connection_the_set_wise_path_writes(
    monkeypatch, writers, users, agg, network
):
    """The server refuses another connection (its limit reached): the import still works."""

    def refuse(**params):
        raise connection.Database.OperationalError("too many clients already")

    monkeypatch.setattr(connection.Database, "connect", refuse)
    summary = import_file(users.doh, _json(_month(agg, network)), "json")
    assert writers[0].state == "off" and writers[0].reason == "no second connection"
    assert summary.status == "SUCCESS" and summary.imported == 8
    assert DataValue.objects.count() == 8 and DataValueAudit.objects.count() == 8
