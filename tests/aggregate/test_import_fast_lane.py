"""The fast lane of CSV and JSON imports (``Resolver.check_into``) against the general path
(``Resolver.rows`` + ``_Checker.check``): for files that mix good values with every kind of
refused one, under every strategy, both give the same import summary, the same values to write
(in the same order) and, written for real, the same stored values and audit trail."""

import json

import pytest

from doha.aggregate import datavalues, formats
from doha.aggregate.datavalues import InvalidValue, apply_values, clean_value
from doha.aggregate.formats import import_file
from doha.aggregate.models import DataValue, DataValueAudit, ValueType
from tests.aggregate.conftest import live_values, row

pytestmark = pytest.mark.django_db

CSV_HEADER = [
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
    "deleted",
]


def _mixed_values(agg, network):
    """Values as JSON objects: good ones of every value type and one of each refusal."""
    de, ou = agg, network
    default = agg.default_coc.uid

    def v(element, period, unit, value, **extra):
        item = {
            "dataElement": element if isinstance(element, str) else element.uid,
            "period": period,
            "orgUnit": unit if isinstance(unit, str) else unit.uid,
            "value": value,
        }
        item.update(extra)
        return item

    return [
        v(de.opd, "202401", ou.tien_du, "120"),
        v(de.opd, "202401", ou.tyt_tien_du, "0"),  # an insignificant zero
        v(de.deaths, "202401", ou.bvdk, "0"),  # a significant one
        v(de.deaths, "202402", ou.bvdk, "-3"),
        v(de.bed_days, "202401", ou.tu_son, "1.234,5"),
        v(de.coverage, "202401", ou.tien_du, "101"),  # E7619
        v(de.coverage, "202402", ou.tien_du, "99", categoryOptionCombo=default),
        v(de.hotline, "202401", ou.tien_du, "có"),
        v(de.note, "202401", ou.tien_du, "  Ghi chu\u0301 cuối  "),
        v(de.opd, "202401", ou.phu_binh, "5"),  # outside the user's scope: E7617
        v("XXXXXXXXXXX", "202401", ou.tien_du, "5"),  # E7610
        v(de.opd, "2024-13", ou.tien_du, "5"),  # E7611
        v(de.opd, "202401", "YYYYYYYYYYY", "5"),  # E7612
        v(de.ipd, "202401", ou.tien_du, "7", categoryOptionCombo=agg.male.uid),
        v(de.ipd, "202401", ou.tien_du, "8", categoryOptionCombo=default),  # E7634
        v(de.opd, "202402", ou.tien_du, "9", categoryOptionCombo=agg.male.uid),  # E7634
        v(de.opd, "202402", ou.bvdk, "9", attributeOptionCombo="ZZZZZZZZZZZ"),  # E7615
        v(de.opd, "202402", ou.tu_son, "9", attributeOptionCombo=default),
        v(de.orphan, "202401", ou.tien_du, "1"),  # E7636
        v(de.qtr, "202401", ou.tien_du, "1"),  # E7632
        v(de.qtr, "2024Q1", ou.tien_du, "3"),
        v(de.qtr, "2024Q1", ou.tu_son, "3"),  # E7636: Từ Sơn does not report it
        v(de.opd, "202401", ou.tien_du, "121"),  # the first value again: the last one kept
        v(de.opd, "202403", ou.tien_du, "5", deleted=True),
        v(de.opd, "202403", ou.tyt_tien_du, ""),
        v(de.opd, "202403", ou.bvdk, None, comment="chỉ ghi chú"),
        v(de.opd, "202404", ou.bvdk, None),  # E7618 (no value, no comment)
        v(de.opd, "202404", ou.tien_du, "4", comment="x" * 5001),  # E7620
        v(de.opd, "202405", ou.tien_du, "4", storedBy="  người nhập  "),
        v(de.opd, "202405", ou.tu_son, "4", storedBy="y" * 200, followup=True),
        v(de.opd, "202405", ou.bvdk, "1e3"),
        v(de.opd, "202406", ou.bvdk, "abc"),  # E7619
        v(de.opd, "202406", ou.tien_du, "1.234"),
        v(de.opd, "202406", ou.tu_son, "007"),
        v(de.bed_days, "202406", ou.tu_son, "12,5", comment="  bình thường "),
        v(de.deaths, "202406", ou.bvdk, "0000", comment="", followup=False),
    ]


def _json(values, **header):
    return json.dumps({**header, "dataValues": values}, ensure_ascii=False).encode()


def _csv(values):
    lines = [",".join(CSV_HEADER)]
    for item in values:
        cells = [
            item["dataElement"],
            item["period"],
            item["orgUnit"],
            item.get("categoryOptionCombo", ""),
            item.get("attributeOptionCombo", ""),
            item.get("value") or "",
            item.get("storedBy", ""),
            "",
            item.get("comment", ""),
            {True: "true", False: "false"}.get(item.get("followup"), ""),
            "true" if item.get("deleted") else "",
        ]
        lines.append(",".join('"' + str(c).replace('"', '""') + '"' for c in cells))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def recorded(monkeypatch):
    """The values each import hands to the writer, which writes nothing."""
    calls = []

    def fake_write(prepared, strategy, dry_run, now, username):
        calls.append(list(prepared.items()))
        counts = dict.fromkeys("CRUDIA", 0)
        counts["C"] = len(prepared)
        return counts, set()

    monkeypatch.setattr(datavalues, "_write_generic", fake_write)
    monkeypatch.setattr(datavalues, "_write_postgresql", fake_write)
    return calls


def _both_ways(monkeypatch, user, data, fmt, **kwargs):
    """(fast lane summary, general path summary)."""
    fast = import_file(user, data, fmt, **kwargs)
    with monkeypatch.context() as patch:
        patch.delattr(formats._FileRows, "check_into")
        general = import_file(user, data, fmt, **kwargs)
    return fast, general


@pytest.mark.parametrize("strategy", ["CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_fast_lane_equals_the_general_path(
    monkeypatch, recorded, users, agg, network, fmt, strategy
):
    values = _mixed_values(agg, network)
    data = _csv(values) if fmt == "csv" else _json(values)
    fast, general = _both_ways(monkeypatch, users.doh, data, fmt, strategy=strategy, atomic=False)
    assert fast.as_dict() == general.as_dict()
    assert len(recorded) == 2 and recorded[0] == recorded[1]
    codes = {c.error_code for c in fast.conflicts}
    assert codes >= {"E7610", "E7611", "E7612", "E7617", "E7634", "E7636", "E7632"}
    if strategy != "DELETE":
        assert codes >= {"E7618", "E7619", "E7620"} - ({"E7618"} if fmt == "csv" else set())
    assert fast.status == "WARNING" and fast.imported > 10


def test_fast_lane_equals_the_general_path_all_or_nothing(
    monkeypatch, recorded, users, agg, network
):
    data = _json(_mixed_values(agg, network))
    fast, general = _both_ways(monkeypatch, users.doh, data, "json")
    assert fast.as_dict() == general.as_dict()
    assert fast.status == "ERROR" and recorded == []


def test_fast_lane_json_identifiers_that_are_not_text(monkeypatch, recorded, users, agg, network):
    """Numbers, booleans, lists and objects where DHIS2 expects identifiers or text: the
    general path decides (1 and True must not share a cached answer)."""
    opd, tien_du = agg.opd.uid, network.tien_du.uid
    base = {"dataElement": opd, "period": "202401", "orgUnit": tien_du}
    values = [
        dict(base, value="5"),
        dict(base, dataElement=1, value="5"),
        dict(base, dataElement=True, value="5"),
        dict(base, period=202402, value="5"),
        dict(base, period=True, value="5"),
        dict(base, orgUnit=1, value="5"),
        dict(base, orgUnit=True, value="5"),
        dict(base, orgUnit=["x"], value="5"),
        dict(base, dataElement={"id": opd}, value="5"),
        dict(base, categoryOptionCombo=["x"], value="5"),
        dict(base, period="202403", value=12),
        dict(base, period="202404", value=12.5),
        dict(base, period="202405", value=True),
        dict(base, period="202406", value="7", comment=42),
        dict(base, period="202407", value="7", storedBy=17),
        dict(base, period="202408", value="7", storedBy=True),
        dict(base, period="202409", value="7", storedBy=["a"]),
        dict(base, period="202410", value="7", followup="yes", deleted="false"),
    ]
    fast, general = _both_ways(monkeypatch, users.doh, _json(values), "json", atomic=False)
    assert fast.as_dict() == general.as_dict()
    assert recorded[0] == recorded[1]


def test_fast_lane_with_the_file_header_and_codes(monkeypatch, recorded, users, agg, network):
    """A JSON header's org unit, period and attribute combo apply to every value; CODE ids."""
    values = [
        {"dataElement": "OPD", "value": "10"},
        {"dataElement": "IPD", "categoryOptionCombo": agg.male.code or agg.male.uid, "value": "2"},
        {"dataElement": "DEATHS", "value": "0"},
        {"dataElement": "QTR_SURVEYS", "value": "1"},  # E7632: the header's period is monthly
    ]
    data = _json(
        values,
        orgUnit=network.tien_du.code,
        period="202401",
        attributeOptionCombo=agg.default_coc.uid,
        idScheme="CODE",
    )
    fast, general = _both_ways(monkeypatch, users.doh, data, "json", atomic=False)
    assert fast.as_dict() == general.as_dict()
    assert recorded[0] == recorded[1]
    assert fast.imported == 3
    # The header's org unit out of the user's scope: every value refused, both ways.
    data = _json(values, orgUnit=network.phu_binh.code, period="202401", idScheme="CODE")
    fast, general = _both_ways(monkeypatch, users.doh, data, "json", atomic=False)
    assert fast.as_dict() == general.as_dict()
    assert fast.imported == 0 and {c.error_code for c in fast.conflicts} == {"E7617"}


def test_clean_values_take_the_fast_lane(monkeypatch, users, agg, network):
    """A file without a problem never reaches ``_Checker.check``."""
    calls = []
    original = datavalues._Checker.check

    def counting(self, row, index):
        calls.append(index)
        return original(self, row, index)

    monkeypatch.setattr(datavalues._Checker, "check", counting)
    values = [
        {"dataElement": agg.opd.uid, "period": f"2024{m:02d}", "orgUnit": u.uid, "value": str(m)}
        for m in range(1, 13)
        for u in (network.tien_du, network.tyt_tien_du, network.tu_son, network.bvdk)
    ]
    summary = import_file(users.doh, _csv(values), "csv")
    assert summary.status == "SUCCESS" and summary.imported == 48
    assert calls == []
    values.append(dict(values[0], orgUnit=network.phu_binh.uid))  # outside the scope
    summary = import_file(users.doh, _json(values), "json", atomic=False)
    assert summary.ignored == 49 and calls == [48]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_fast_lane_writes_what_the_general_path_writes(monkeypatch, users, agg, network, fmt):
    """Written for real over stored values (creates, updates, deletes, revivals, values
    left alone): the same stored values and the same audit trail."""
    stored_before = [
        row(agg.opd, "202401", network.tien_du, "100"),
        row(agg.opd, "202401", network.tyt_tien_du, "7"),
        row(agg.deaths, "202401", network.bvdk, "2"),
        row(agg.opd, "202402", network.bvdk, "1", comment="cũ"),
        row(agg.opd, "202403", network.tien_du, "5"),
    ]

    def reset():
        DataValueAudit.objects.all().delete()
        DataValue.objects.all().delete()
        summary = apply_values(users.doh, stored_before)
        assert summary.status == "SUCCESS"
        DataValue.objects.filter(period="202403").update(deleted=True)

    def state():
        values = sorted(
            DataValue.objects.values_list(
                "data_element__code",
                "period",
                "org_unit__code",
                "category_option_combo__uid",
                "value",
                "numeric_value",
                "comment",
                "follow_up",
                "deleted",
                "stored_by",
            )
        )
        trail = sorted(
            DataValueAudit.objects.values_list(
                "data_element__code",
                "period",
                "org_unit__code",
                "audit_type",
                "previous_value",
                "value",
                "modified_by",
            )
        )
        return values, trail

    values = _mixed_values(agg, network)
    data = _csv(values) if fmt == "csv" else _json(values)
    reset()
    fast = import_file(users.doh, data, fmt, atomic=False)
    fast_state = state()
    reset()
    with monkeypatch.context() as patch:
        patch.delattr(formats._FileRows, "check_into")
        general = import_file(users.doh, data, fmt, atomic=False)
    assert fast.as_dict() == general.as_dict()
    assert fast_state == state()
    assert fast.imported and fast.updated and fast.deleted
    # The value given twice: the last one is kept.
    assert ("OPD", "202401", "BN-TTYT-TIENDU", agg.default_coc.uid, agg.default_coc.uid, "121") in (
        live_values()
    )


@pytest.mark.parametrize("value_type", sorted(datavalues.NUMERIC))
def test_digit_bounds_agree_with_clean_value(value_type):
    """What the fast lane takes as plain digits is exactly what ``clean_value`` takes."""
    bounds = datavalues._DIGITS_BOUNDS.get(value_type)
    for text in ("0", "1", "2", "7", "100", "101", "007", "999999999999999"):
        try:
            expected = clean_value(value_type, text)
        except InvalidValue:
            expected = None
        number = int(text)
        taken = bounds is not None and bounds[0] <= number <= bounds[1]
        assert taken == (expected is not None), (value_type, text)
        if taken:
            assert expected == (str(number), float(number))
    assert (value_type in datavalues._DIGITS_BOUNDS) == (value_type != ValueType.INTEGER_NEGATIVE)
