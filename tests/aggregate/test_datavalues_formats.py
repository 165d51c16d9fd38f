"""Data value sets in JSON, CSV and ADX: round trips, id schemes, and files that are wrong in
every way a user can get them wrong (each a conflict naming the object, nothing written)."""

import datetime
import json

import pytest

from doha.aggregate.datavalues import apply_values
from doha.aggregate.formats import (
    ExportError,
    ExportQuery,
    detect_format,
    export_values,
    import_file,
    parse_adx_period,
    render,
)
from doha.aggregate.models import DataValue, DataValueAudit
from doha.aggregate.periods import PeriodError, parse_period
from tests.aggregate.conftest import live_values, row, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(users, network, agg):
    """A year of varied values in Bắc Ninh, entered by the DOH officer."""
    rows = []
    for month in range(1, 4):
        pe = f"2024{month:02d}"
        rows += [
            row(agg.opd, pe, network.tien_du, str(1000 + month), comment='Số liệu "chốt", đủ'),
            row(agg.opd, pe, network.tyt_tien_du, str(200 + month)),
            row(agg.opd, pe, network.bvdk, str(9000 + month), follow_up=True),
            row(agg.ipd, pe, network.tien_du, str(40 + month), category_option_combo=agg.male),
            row(agg.ipd, pe, network.tien_du, str(50 + month), category_option_combo=agg.female),
            row(agg.bed_days, pe, network.tu_son, "1234,5"),
            row(agg.coverage, pe, network.tien_du, "77,5"),
            row(agg.hotline, pe, network.tien_du, "có"),
            row(agg.deaths, pe, network.bvdk, "0"),
            row(agg.note, pe, network.tien_du, 'Sốt xuất huyết <tăng> & "lan rộng"\nxã Tiên Du'),
        ]
    summary = apply_values(users.doh, rows)
    assert summary.status == "SUCCESS", summary.as_dict()
    return summary


def _export(user, fmt, agg, network, schemes=None, **kwargs):
    query = ExportQuery(
        data_sets=[agg.monthly],
        org_units=[network.syt_bn],
        children=True,
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2024, 12, 31),
        **kwargs,
    )
    return "".join(render(export_values(user, query), fmt, query, schemes))


def _comments():
    return sorted(
        DataValue.objects.filter(deleted=False).values_list(
            "data_element__code", "period", "org_unit__code", "comment", "follow_up"
        )
    )


@pytest.mark.parametrize("fmt", ["json", "csv", "adx"])
def test_round_trip_into_an_empty_database(seeded, users, network, agg, fmt):
    before, comments = live_values(), _comments()
    assert len(before) == 30
    text = _export(users.doh, fmt, agg, network)
    DataValueAudit.objects.all().delete()
    DataValue.objects.all().delete()
    summary = import_file(users.doh, text.encode(), fmt)
    assert summary.status == "SUCCESS", summary.as_dict()["conflicts"]
    assert summary.imported == 30
    assert live_values() == before
    if fmt != "adx":  # ADX carries no comments or follow-up flags
        assert _comments() == comments


@pytest.mark.parametrize("fmt", ["json", "csv", "adx"])
def test_reimporting_an_export_changes_nothing_and_says_so(seeded, users, network, agg, fmt):
    text = _export(users.doh, fmt, agg, network)
    audits = DataValueAudit.objects.count()
    summary = import_file(users.doh, text, fmt)
    assert summary.status == "SUCCESS"
    assert (summary.imported, summary.updated, summary.deleted, summary.ignored) == (0, 0, 0, 30)
    assert summary.nothing_changed
    assert DataValueAudit.objects.count() == audits


@pytest.mark.parametrize("scheme", ["CODE", "NAME"])
def test_round_trip_by_code_and_by_name(seeded, users, network, agg, scheme):
    before = live_values()
    text = _export(users.doh, "json", agg, network, schemes=scheme)
    doc = json.loads(text)
    assert doc["dataSet"] == (agg.monthly.code if scheme == "CODE" else agg.monthly.name)
    first = doc["dataValues"][0]
    assert first["orgUnit"] in (
        {network.tien_du.code, network.tyt_tien_du.code, network.bvdk.code, network.tu_son.code}
        if scheme == "CODE"
        else {
            network.tien_du.name,
            network.tyt_tien_du.name,
            network.bvdk.name,
            network.tu_son.name,
        }
    )
    DataValue.objects.all().delete()
    summary = import_file(users.doh, text, "json", id_schemes={"idScheme": scheme})
    assert summary.status == "SUCCESS", summary.as_dict()["conflicts"]
    assert live_values() == before


def test_json_export_shape(seeded, users, network, agg):
    doc = json.loads(_export(users.doh, "json", agg, network))
    assert doc["dataSet"] == agg.monthly.uid
    value = next(
        v
        for v in doc["dataValues"]
        if v["dataElement"] == agg.opd.uid and v["orgUnit"] == network.bvdk.uid
    )
    assert set(value) == {
        "dataElement",
        "period",
        "orgUnit",
        "categoryOptionCombo",
        "attributeOptionCombo",
        "value",
        "storedBy",
        "created",
        "lastUpdated",
        "comment",
        "followup",
    }
    assert value["followup"] is True
    assert value["storedBy"] == users.doh.username
    assert value["categoryOptionCombo"] == agg.default_coc.uid == "HllvX50cXC0"


def test_csv_export_has_dhis2_columns(seeded, users, network, agg):
    lines = _export(users.doh, "csv", agg, network).splitlines()
    assert lines[0] == (
        "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,"
        "lastupdated,comment,followup,deleted"
    )


def test_adx_export_explodes_categories_by_code(seeded, users, network, agg):
    text = _export(users.doh, "adx", agg, network)
    assert 'xmlns="urn:ihe:qrph:adx:2015"' in text
    assert 'period="2024-01-01/P1M"' in text
    assert f'orgUnit="{network.tien_du.code}"' in text
    assert 'dataSet="BC_THANG"' in text
    assert '<dataValue dataElement="IPD" CAT_SEX="SEX_M" value="41"/>' in text
    # Text goes in an annotation, escaped.
    assert "<annotation>Sốt xuất huyết &lt;tăng&gt; &amp;" in text


def test_deleted_values_are_exported_only_when_asked(seeded, users, network, agg):
    apply_values(users.doh, [row(agg.opd, "202401", network.tien_du, "")])
    text = _export(users.doh, "json", agg, network)
    assert len(json.loads(text)["dataValues"]) == 29
    text = _export(users.doh, "json", agg, network, include_deleted=True)
    values = json.loads(text)["dataValues"]
    assert len(values) == 30
    assert sum(1 for v in values if v["deleted"]) == 1


def test_export_stays_in_the_users_scope(seeded, users, network, agg):
    query = ExportQuery(
        data_sets=[agg.monthly],
        org_units=[network.tien_du],
        children=True,
        periods=[parse_period("202401")],
    )
    values = export_values(users.clerk, query)
    assert {v.org_unit_id for v in values} == {network.tien_du.pk, network.tyt_tien_du.pk}
    with pytest.raises(ExportError) as exc:
        export_values(
            users.clerk,
            ExportQuery(
                data_sets=[agg.monthly], org_units=[network.bvdk], periods=[parse_period("202401")]
            ),
        )
    assert exc.value.code == "E2012"


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"data_sets": []}, "E2013"),
        ({"periods": None}, "E2002"),
        ({"org_units": []}, "E2006"),
        ({"start_date": datetime.date(2024, 1, 1), "end_date": datetime.date(2024, 2, 1)}, "E2003"),
    ],
)
def test_export_queries_dhis2_refuses(users, network, agg, kwargs, code):
    base = {
        "data_sets": [agg.monthly],
        "org_units": [network.tien_du],
        "periods": [parse_period("202401")],
    }
    base.update(kwargs)
    with pytest.raises(ExportError) as exc:
        export_values(users.doh, ExportQuery(**base))
    assert exc.value.code == code


# --- reading what users write -----------------------------------------------------------------


def test_csv_without_header_is_read_by_position(users, network, agg):
    text = (
        f"{agg.opd.uid},202401,{network.tien_du.uid},,,120\n"
        f"{agg.ipd.uid},202401,{network.tien_du.uid},{agg.male.uid},,7,,,ghi chú,true\n"
    )
    summary = import_file(users.clerk, text, "csv")
    assert summary.status == "SUCCESS", summary.as_dict()["conflicts"]
    assert stored(agg.opd, "202401", network.tien_du) == "120"
    value = DataValue.objects.get(data_element=agg.ipd)
    assert (value.value, value.comment, value.follow_up) == ("7", "ghi chú", True)


def test_excel_csv_with_bom_semicolons_and_columns_in_any_order(users, network, agg):
    text = (
        "\ufeffPeriod;Org unit;Data element;Value;Comment\r\n"
        f"202401;{network.tien_du.code};{agg.opd.code};1.234;Tháng 1\r\n"
        f"202402;{network.tien_du.code};{agg.bed_days.code};1.234,5;\r\n"
    )
    summary = import_file(users.clerk, text.encode("utf-8"), id_schemes="CODE")
    assert summary.status == "SUCCESS", summary.as_dict()["conflicts"]
    assert stored(agg.opd, "202401", network.tien_du) == "1234"
    assert stored(agg.bed_days, "202402", network.tien_du) == "1234.5"


def test_json_numbers_and_booleans_unquoted(users, network, agg):
    doc = {
        "period": "202401",
        "orgUnit": network.tien_du.uid,
        "dataValues": [
            {"dataElement": agg.opd.uid, "value": 15},
            {"dataElement": agg.bed_days.uid, "value": 12.5},
            {"dataElement": agg.hotline.uid, "value": True, "followup": "true"},
        ],
    }
    summary = import_file(users.clerk, json.dumps(doc), "json")
    assert summary.imported == 3, summary.as_dict()["conflicts"]
    assert stored(agg.bed_days, "202401", network.tien_du) == "12.5"
    assert DataValue.objects.get(data_element=agg.hotline).follow_up is True


def _only_conflict(summary):
    assert summary.status == "ERROR"
    assert not DataValue.objects.exists()
    assert len(summary.conflicts) >= 1
    return summary.conflicts[0]


@pytest.mark.parametrize(
    "fmt, content, obj, words",
    [
        ("json", b'{"dataValues": [', "JSON", "not valid JSON"),
        ("json", b'"hello"', "JSON", "JSON object"),
        ("json", b'{"dataValues": {"a": 1}}', "dataValues", "list"),
        ("json", b'{"dataValues": [17]}', None, "JSON object"),
        ("csv", b"dataelement,period,orgunit,colour\nx,202401,y,red\n", "colour", "colour"),
        ("csv", b"dataelement,value\nx,1\n", "period", "period"),
        ("csv", b"abcdefghijk,202401\n", None, "at least"),
        ("csv", b"\xff\xfe\x00bad", None, "UTF-8"),
        ("adx", b"<adx xmlns='urn:ihe:qrph:adx:2015'><group>", "ADX", "line"),
        ("adx", b"<dataValueSet xmlns='http://dhis2.org/schema/dxf/2.0'/>", "ADX", "namespace"),
    ],
)
def test_malformed_files_are_conflicts_never_errors(users, agg, fmt, content, obj, words):
    summary = import_file(users.clerk, content, fmt)
    conflict = _only_conflict(summary)
    if obj is not None:
        assert conflict.object == obj
    assert words in conflict.value


def test_xml_entities_are_refused(users, agg):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
        b"<adx xmlns='urn:ihe:qrph:adx:2015'><group orgUnit='&lol2;' period='202401'/></adx>"
    )
    conflict = _only_conflict(import_file(users.clerk, bomb, "adx"))
    assert "not allowed" in conflict.value


def test_unknown_identifiers_and_periods_name_the_object(users, network, agg):
    doc = {
        "dataValues": [
            {
                "dataElement": "nOSuchDe001",
                "period": "202401",
                "orgUnit": network.tien_du.uid,
                "value": "1",
            },
            {
                "dataElement": agg.opd.uid,
                "period": "2024-13",
                "orgUnit": network.tien_du.uid,
                "value": "1",
            },
            {
                "dataElement": agg.opd.uid,
                "period": "202401",
                "orgUnit": "nOSuchOu001",
                "value": "1",
            },
            {
                "dataElement": agg.ipd.uid,
                "period": "202401",
                "orgUnit": network.tien_du.uid,
                "categoryOptionCombo": "nOSuchCoc01",
                "value": "1",
            },
            {
                "dataElement": agg.opd.uid,
                "period": "202401",
                "orgUnit": network.tien_du.uid,
                "attributeOptionCombo": "nOSuchAoc01",
                "value": "1",
            },
            {
                "dataElement": agg.opd.uid,
                "period": "202402",
                "orgUnit": network.tien_du.uid,
                "value": "2",
            },
        ]
    }
    summary = import_file(users.clerk, json.dumps(doc), "json")
    found = {(c.error_code, c.object, tuple(c.indexes)) for c in summary.conflicts}
    assert found == {
        ("E7610", "nOSuchDe001", (0,)),
        ("E7611", "2024-13", (1,)),
        ("E7612", "nOSuchOu001", (2,)),
        ("E7613", "nOSuchCoc01", (3,)),
        ("E7615", "nOSuchAoc01", (4,)),
    }
    assert summary.status == "ERROR"
    assert (summary.imported, summary.ignored) == (0, 6)
    assert not DataValue.objects.exists()
    # The same file as a partial import keeps the one good value.
    summary = import_file(users.clerk, json.dumps(doc), "json", atomic=False)
    assert (summary.status, summary.imported, summary.ignored) == ("WARNING", 1, 5)
    assert stored(agg.opd, "202402", network.tien_du) == "2"


def test_unknown_data_set_in_the_header_stops_the_import(users, network, agg):
    doc = {
        "dataSet": "nOSuchDs001",
        "period": "202401",
        "orgUnit": network.tien_du.uid,
        "dataValues": [{"dataElement": agg.opd.uid, "value": "1"}],
    }
    summary = import_file(users.clerk, json.dumps(doc), "json", atomic=False)
    assert summary.status == "ERROR"
    assert [c.error_code for c in summary.conflicts] == ["E7600"]
    assert summary.ignored == 1
    assert not DataValue.objects.exists()


def test_header_data_set_checks_its_elements(users, network, agg):
    doc = {
        "dataSet": agg.quarterly.uid,
        "period": "202401",
        "orgUnit": network.tien_du.uid,
        "dataValues": [{"dataElement": agg.opd.uid, "value": "1"}],
    }
    summary = import_file(users.clerk, json.dumps(doc), "json")
    assert [c.error_code for c in summary.conflicts] == ["E7633"]


def test_payload_id_schemes_win_over_parameters(users, network, agg):
    doc = {
        "orgUnitIdScheme": "CODE",
        "dataElementIdScheme": "CODE",
        "dataValues": [
            {
                "dataElement": "OPD",
                "period": "202401",
                "orgUnit": network.tien_du.code,
                "value": "5",
            }
        ],
    }
    summary = import_file(users.clerk, json.dumps(doc), "json", id_schemes="UID")
    assert summary.imported == 1, summary.as_dict()["conflicts"]
    assert summary.as_dict()["importOptions"]["idSchemes"]["orgUnitIdScheme"] == {"type": "CODE"}


def test_option_combos_by_name_are_found_within_the_elements_combo(users, network, agg):
    from tests.aggregate.factories import CategoryComboFactory

    # A second combo over the same category: its option combos are also named "Nam", "Nữ".
    CategoryComboFactory(
        name="Giới tính (bản 2)", code="CC_SEX2", categories=agg.sex.ordered_categories()
    )
    text = f"OPD,202401,{network.tien_du.code},,,3\nIPD,202401,{network.tien_du.code},Nam,,4\n"
    schemes = {
        "dataElementIdScheme": "CODE",
        "orgUnitIdScheme": "CODE",
        "categoryOptionComboIdScheme": "NAME",
    }
    summary = import_file(users.clerk, text, "csv", id_schemes=schemes)
    assert summary.status == "SUCCESS", summary.as_dict()["conflicts"]
    assert stored(agg.ipd, "202401", network.tien_du, agg.male) == "4"


def test_adx_with_missing_category_names_the_reason(users, network, agg):
    text = (
        "<adx xmlns='urn:ihe:qrph:adx:2015'>"
        f"<group orgUnit='{network.tien_du.code}' period='2024-01-01/P1M' dataSet='BC_THANG'>"
        "<dataValue dataElement='IPD' value='4'/>"
        "<dataValue dataElement='IPD' CAT_SEX='SEX_X' value='4'/>"
        "</group></adx>"
    )
    summary = import_file(users.clerk, text, "adx")
    reasons = [c.value for c in summary.conflicts]
    assert any("CAT_SEX" in r and "missing" in r for r in reasons)
    assert any("SEX_X" in r for r in reasons)
    assert not DataValue.objects.exists()


def test_adx_periods():
    assert parse_adx_period("2024-01-01/P1M").id == "202401"
    assert parse_adx_period("2024-04-01/P3M").id == "2024Q2"
    assert parse_adx_period("2024-07-01/P6M").id == "2024S2"
    assert parse_adx_period("2024-01-01/P1Y").id == "2024"
    assert parse_adx_period("2024-01-15/P1D").id == "20240115"
    assert parse_adx_period("2024-01-29/P7D").id == "2024W5"
    for bad in ("2024-01-15/P1M", "2024-02-01/P3M", "2024-01-01/P2X", "yesterday/P1M"):
        with pytest.raises(PeriodError):
            parse_adx_period(bad)


def test_adx_bad_period_is_a_conflict(users, network, agg):
    text = (
        "<adx xmlns='urn:ihe:qrph:adx:2015'>"
        f"<group orgUnit='{network.tien_du.code}' period='2024-01-15/P1M' dataSet='BC_THANG'>"
        "<dataValue dataElement='OPD' value='4'/></group></adx>"
    )
    conflict = _only_conflict(import_file(users.clerk, text, "adx"))
    assert conflict.error_code == "E7611"
    assert conflict.object == "2024-01-15/P1M"


def test_detect_format():
    assert detect_format(b'{"dataValues": []}') == "json"
    assert detect_format(b"\xef\xbb\xbf<adx/>") == "adx"
    assert detect_format(b"dataelement,period") == "csv"
    assert detect_format(b"", "values.CSV") == "csv"
    assert detect_format(b"", None, "application/adx+xml; charset=utf-8") == "adx"


def test_complete_date_marks_the_form_complete(users, network, agg):
    from doha.aggregate.models import CompleteRegistration

    doc = {
        "dataSet": agg.monthly.uid,
        "completeDate": "2024-02-03",
        "period": "202401",
        "orgUnit": network.tien_du.uid,
        "dataValues": [{"dataElement": agg.opd.uid, "value": "5"}],
    }
    summary = import_file(users.clerk, json.dumps(doc), "json")
    assert summary.data_set_complete == "2024-02-03"
    registration = CompleteRegistration.objects.get()
    assert (registration.data_set, registration.period, registration.org_unit) == (
        agg.monthly,
        "202401",
        network.tien_du,
    )


def test_a_file_naming_many_facilities(users, network, agg):
    """More facilities than the look-ups ask for one by one: they load them all at once."""
    from tests.factories import OrgUnitFactory

    stations = [
        OrgUnitFactory(code=f"TYT-TD-{i:02d}", name=f"Trạm Y tế số {i}", parent=network.tien_du)
        for i in range(60)
    ]
    agg.monthly.org_units.add(*stations)
    text = "".join(f"OPD,202401,{s.code},,,{i + 1}\n" for i, s in enumerate(stations))
    summary = import_file(users.clerk, text, "csv", id_schemes="CODE")
    assert summary.status == "SUCCESS", summary.as_dict()["conflicts"][:2]
    assert summary.imported == 60
    assert stored(agg.opd, "202401", stations[59]) == "60"


def test_a_name_shared_by_two_facilities_is_refused(users, network, agg):
    from tests.factories import OrgUnitFactory

    twins = [
        OrgUnitFactory(code=f"TWIN{i}", name="Trạm Y tế Trùng Tên", parent=network.tien_du)
        for i in range(2)
    ]
    agg.monthly.org_units.add(*twins)
    text = f"{agg.opd.uid},202401,Trạm Y tế Trùng Tên,,,5\n"
    summary = import_file(users.clerk, text, "csv", id_schemes={"orgUnitIdScheme": "NAME"})
    assert [c.error_code for c in summary.conflicts] == ["E7612"]
    assert not DataValue.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "csv", "adx"])
def test_attribute_option_combos_round_trip(users, network, agg, combo_factory, fmt):
    """A data set with an attribute combination (funding source): values carry it, ADX
    writes it as a category attribute of the group."""
    from doha.aggregate import services
    from tests.aggregate.factories import DataElementFactory, DataSetFactory

    funding = combo_factory("Nguồn kinh phí", "CC_FUND", [("FUND", ["NSNN", "BHYT"])])
    funding.data_dimension_type = "ATTRIBUTE"
    funding.save()
    state, insurance = services.generate_option_combos(funding)
    element = DataElementFactory(code="SPEND", name="Chi khám chữa bệnh")
    data_set = DataSetFactory(
        code="BC_CHI",
        name="Báo cáo chi",
        category_combo=funding,
        elements=[element],
        units=[network.tien_du],
    )
    rows = [
        row(element, "202401", network.tien_du, "100", attribute_option_combo=state),
        row(element, "202401", network.tien_du, "250", attribute_option_combo=insurance),
    ]
    assert apply_values(users.clerk, rows).imported == 2
    # The default attribute option combo is not one of this data set's.
    summary = apply_values(users.clerk, [row(element, "202402", network.tien_du, "1")])
    assert [c.error_code for c in summary.conflicts] == ["E7631"]
    before = live_values()
    query = ExportQuery(
        data_sets=[data_set], org_units=[network.tien_du], periods=[parse_period("202401")]
    )
    text = "".join(render(export_values(users.clerk, query), fmt, query))
    if fmt == "adx":
        assert 'FUND="NSNN"' in text and 'FUND="BHYT"' in text
    DataValue.objects.all().delete()
    summary = import_file(users.clerk, text, fmt)
    assert summary.status == "SUCCESS", summary.as_dict()["conflicts"]
    assert live_values() == before


def test_vietnamese_headers_and_a_skipped_unknown_header(users, network, agg):
    text = (
        "Mã chỉ tiêu,Kỳ báo cáo,Mã đơn vị,Giá trị,Ghi chú\n"
        f"OPD,202401,{network.tien_du.code},1.500,Ước tính\n"
    )
    summary = import_file(users.clerk, text, "csv", id_schemes="CODE")
    assert summary.imported == 1, summary.as_dict()["conflicts"]
    assert DataValue.objects.get().comment == "Ước tính"
    # firstRowIsHeader=true skips a first row whatever it says, then reads by position.
    text = f"A,B,C,D,E,F\nOPD,202402,{network.tien_du.code},,,7\n"
    summary = import_file(users.clerk, text, "csv", id_schemes="CODE", first_row_is_header=True)
    assert summary.imported == 1, summary.as_dict()["conflicts"]
    assert stored(agg.opd, "202402", network.tien_du) == "7"
