"""The default data set of a provincial DOH, and the loader of DHIS2 metadata documents."""

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from doha.aggregate import metadata
from doha.aggregate.metadata import MetadataError, load_default_metadata, load_metadata
from doha.aggregate.models import (
    DEFAULT_CATEGORY_COMBO_UID,
    DEFAULT_OPTION_COMBO_UID,
    AggregationType,
    CategoryCombo,
    CategoryOptionCombo,
    DataElement,
    DataElementSource,
    DataSet,
    ValueType,
)
from doha.analytics.models import Importance, Indicator, IndicatorType, ValidationRule

pytestmark = pytest.mark.django_db

ENTERED = {
    "OPD_VISITS": ("Lượt khám bệnh", "CC_SEX_AGE", "SUM"),
    "IPD_ADMISSIONS": ("Lượt điều trị nội trú", "CC_SEX_AGE", "SUM"),
    "IPD_DAYS": ("Ngày điều trị nội trú", "default", "SUM"),
    "REFERRALS_OUT": ("Lượt chuyển tuyến đi", "CC_SEX", "SUM"),
    "REFERRALS_IN": ("Lượt tiếp nhận chuyển tuyến đến", "default", "SUM"),
    "SURGERIES": ("Ca phẫu thuật", "default", "SUM"),
    "DEATHS": ("Tử vong tại cơ sở", "CC_SEX", "SUM"),
    "TECHNIQUES_PERFORMED": ("Số kỹ thuật đã thực hiện", "default", "LAST"),
    "NEW_TECHNIQUES": ("Kỹ thuật mới thực hiện lần đầu", "default", "SUM"),
    "HEALTH_RECORDS": ("Hồ sơ sức khỏe cá nhân đã lập (lũy kế)", "default", "LAST"),
    "POPULATION": ("Dân số", "default", "LAST"),
    "CHILDREN_UNDER1": ("Trẻ em dưới 1 tuổi", "default", "LAST"),
    "CHILD_FULLY_IMMUNISED": ("Trẻ dưới 1 tuổi được tiêm chủng đầy đủ", "CC_SEX", "SUM"),
    "PREGNANT_VACCINATED": ("Phụ nữ có thai được tiêm vắc xin uốn ván", "default", "SUM"),
    "DENGUE_CASES": ("Ca mắc sốt xuất huyết", "CC_SEX", "SUM"),
    "FOOD_POISONING_EVENTS": ("Vụ ngộ độc thực phẩm", "default", "SUM"),
    "HOTLINE_CALLS": ("Cuộc gọi đường dây nóng tiếp nhận", "default", "SUM"),
    "HOTLINE_RESOLVED": ("Cuộc gọi đường dây nóng đã giải quyết", "default", "SUM"),
    "MEDICAL_INCIDENTS": ("Sự cố y khoa", "default", "SUM"),
}
COMPUTED = {
    "ACT_TRANSFERS_ACCEPTED": "transfers_accepted",
    "ACT_ROTATION_STAFF": "rotation_staff",
    "ACT_PEOPLE_TRAINED": "people_trained",
    "ACT_CONSULTATIONS": "consultations",
    "ACT_DONATION_VALUE": "donation_value",
}


def default_document():
    return metadata.read_metadata_file(metadata.DEFAULT_FILE)


def test_default_data_set_has_every_element_with_its_disaggregation():
    load_default_metadata()
    for code, (name, combo, aggregation) in ENTERED.items():
        element = DataElement.objects.select_related("category_combo").get(code=code)
        assert element.name == name
        assert (element.category_combo.code or "") == combo
        assert element.aggregation_type == aggregation
        assert element.value_type == ValueType.INTEGER_ZERO_OR_POSITIVE
        assert element.source == DataElementSource.ENTERED
    for code, key in COMPUTED.items():
        element = DataElement.objects.get(code=code)
        assert element.source == DataElementSource.COMPUTED
        assert element.computed_from == key
        assert element.aggregation_type == AggregationType.SUM
        assert element.category_combo.uid == DEFAULT_CATEGORY_COMBO_UID


def test_sex_and_age_combo_has_eight_named_cells_with_the_files_uids():
    load_default_metadata()
    combo = CategoryCombo.objects.get(code="CC_SEX_AGE")
    cells = list(combo.option_combos.order_by("sort_order"))
    assert len(cells) == 8
    assert [c.name for c in cells[:4]] == [
        "Nam, Dưới 5 tuổi",
        "Nam, 5–14 tuổi",
        "Nam, 15–59 tuổi",
        "Nam, Từ 60 tuổi",
    ]
    assert cells[4].name == "Nữ, Dưới 5 tuổi"
    in_file = {
        c["id"]
        for c in default_document()["categoryOptionCombos"]
        if c["categoryCombo"]["id"] == combo.uid
    }
    assert {c.uid for c in cells} == in_file
    assert CategoryCombo.objects.get(code="CC_SEX").option_combos.count() == 2
    # DHIS2's default combo is kept with its well-known UIDs.
    assert CategoryOptionCombo.objects.filter(uid=DEFAULT_OPTION_COMBO_UID).count() == 1


def test_data_sets_sections_indicators_and_rules():
    load_default_metadata()
    monthly = DataSet.objects.get(code="DS_MONTHLY")
    assert monthly.name == "Báo cáo thống kê y tế hằng tháng"
    assert monthly.period_type == "Monthly"
    rows = list(monthly.elements.select_related("data_element").order_by("sort_order"))
    assert {r.data_element.code for r in rows} == set(ENTERED)
    assert rows[0].section == "Khám chữa bệnh" and rows[0].data_element.code == "OPD_VISITS"
    assert [r.section for r in rows][-1] == "Đường dây nóng và sự cố"
    activities = DataSet.objects.get(code="DS_ACTIVITIES")
    assert set(activities.data_elements.values_list("code", flat=True)) == set(COMPUTED)
    assert monthly.org_units.count() == 0  # the demo loader assigns facilities

    percent = IndicatorType.objects.get(name="Phần trăm")
    assert percent.factor == 100
    assert IndicatorType.objects.get(name="Phần nghìn").factor == 1000
    referral = Indicator.objects.get(code="IND_REFERRAL_RATE")
    opd = DataElement.objects.get(code="OPD_VISITS")
    out = DataElement.objects.get(code="REFERRALS_OUT")
    assert referral.numerator == f"#{{{out.uid}}}"
    assert referral.denominator == f"#{{{opd.uid}}}"
    assert referral.indicator_type == percent
    stay = Indicator.objects.get(code="IND_AVG_LENGTH_OF_STAY")
    assert stay.factor == 1 and stay.decimals == 1
    assert Indicator.objects.get(code="IND_MORTALITY").factor == 1000
    assert Indicator.objects.filter(code__startswith="IND_").count() == 7

    rules = {r.code: r for r in ValidationRule.objects.all()}
    assert len(rules) == 6 and all(code.startswith("VR_") for code in rules)
    deaths = rules["VR_DEATHS_LE_TREATED"]
    assert deaths.importance == Importance.HIGH
    assert deaths.operator == "less_than_or_equal_to"
    ipd = DataElement.objects.get(code="IPD_ADMISSIONS")
    assert ipd.uid in deaths.right_side and opd.uid in deaths.right_side
    assert rules["VR_ADMISSIONS_LE_VISITS"].importance == Importance.MEDIUM
    assert rules["VR_IMMUNISED_LE_UNDER1"].importance == Importance.LOW


def test_loading_twice_changes_nothing():
    first = load_default_metadata()
    assert first["dataElements"]["created"] == 27
    counts = {
        model: model.objects.count()
        for model in (DataElement, DataSet, CategoryOptionCombo, Indicator, ValidationRule)
    }
    second = load_default_metadata()
    assert all(c["created"] == 0 and c["updated"] == 0 for c in second.values()), second
    assert counts == {model: model.objects.count() for model in counts}


def test_a_changed_file_updates_by_uid_and_keeps_assignments(network):
    load_default_metadata()
    monthly = DataSet.objects.get(code="DS_MONTHLY")
    monthly.org_units.add(network.tien_du)
    document = default_document()
    document["dataElements"][0]["name"] = "Lượt khám bệnh (mọi khoa)"
    counts = load_metadata(document)
    assert counts["dataElements"] == {"created": 0, "updated": 1, "unchanged": 26}
    assert DataElement.objects.get(code="OPD_VISITS").name == "Lượt khám bệnh (mọi khoa)"
    assert list(monthly.org_units.all()) == [network.tien_du]


def test_a_bad_document_changes_nothing_and_names_object_field_and_reason():
    document = default_document()
    bad = copy.deepcopy(document)
    bad["dataElements"][1]["valueType"] = "MONEY"
    bad["indicators"][0]["numerator"] = "#{Abcdefghijk} * 2"
    bad["dataSets"][0]["dataSetElements"].append({"dataElement": {"id": "Zzzzzzzzzzz"}})
    with pytest.raises(MetadataError) as info:
        load_metadata(bad)
    text = "\n".join(info.value.errors)
    assert "dataElements[1] (IPD_ADMISSIONS), valueType: MONEY is not one of" in text
    assert "indicators[0] (IND_REFERRAL_RATE), numerator" in text
    assert "Abcdefghijk" in text
    assert "Zzzzzzzzzzz" in text
    assert not DataElement.objects.filter(code="OPD_VISITS").exists()
    assert not CategoryCombo.objects.filter(code="CC_SEX").exists()


def test_a_duplicate_name_under_another_uid_is_refused():
    load_default_metadata()
    document = {
        "dataElements": [
            {
                "id": "Qwertyuiop1",
                "code": "OPD_COPY",
                "name": "Lượt khám bệnh",
                "shortName": "Copy",
                "valueType": "NUMBER",
                "aggregationType": "SUM",
            }
        ]
    }
    with pytest.raises(MetadataError) as info:
        load_metadata(document)
    assert info.value.errors[0].startswith("dataElements[0] (OPD_COPY), name:")


def test_command_loads_the_default_file_and_reports_counts(tmp_path):
    out = io.StringIO()
    call_command("load_metadata", stdout=out)
    assert "dataElements: created 27, updated 0, unchanged 0" in out.getvalue()
    out = io.StringIO()
    call_command("load_metadata", stdout=out)
    assert "dataElements: created 0, updated 0, unchanged 27" in out.getvalue()

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"dataElements": [{"id": "bad", "name": "X"}]}))
    with pytest.raises(CommandError, match="dataElements\\[0\\].*id"):
        call_command("load_metadata", str(broken))
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("load_metadata", str(broken))


def test_a_dhis2_export_loads_with_its_defaults_and_extra_properties():
    """The shape DHIS2 exports (GET /api/metadata): defaults included, sharing, translations,
    attribute values and collections doha does not keep."""
    document = {
        "system": {"id": "eed3d451-4ff5-4193-b951-ffcc68954299", "version": "2.40.3"},
        "categoryOptions": [
            {"id": "xYerKDKCefk", "name": "default", "code": "default"},
            {"id": "jRbMi0aBjYn", "name": "Nam giới", "code": "MALE", "translations": []},
        ],
        "categories": [
            {
                "id": "GLevLNI9wkl",
                "name": "default",
                "categoryOptions": [{"id": "xYerKDKCefk"}],
            },
            {
                "id": "cX5k9anHEHd",
                "name": "Giới",
                "code": "GENDER",
                "dataDimensionType": "DISAGGREGATION",
                "categoryOptions": [{"id": "jRbMi0aBjYn"}],
                "sharing": {"public": "rw------"},
            },
        ],
        "categoryCombos": [
            {
                "id": "dPmavA0qloX",
                "name": "Giới (chỉ nam)",
                "code": "GENDER_ONLY",
                "dataDimensionType": "DISAGGREGATION",
                "skipTotal": False,
                "categories": [{"id": "cX5k9anHEHd"}],
            }
        ],
        "dataElements": [
            {
                "id": "fbfJHSPpUQD",
                "name": "ANC 1st visit",
                "shortName": "ANC 1st visit",
                "code": "DE_359596",
                "domainType": "AGGREGATE",
                "valueType": "NUMBER",
                "aggregationType": "SUM",
                "zeroIsSignificant": False,
                "categoryCombo": {"id": "dPmavA0qloX"},
                "legendSets": [],
                "attributeValues": [],
                "translations": [],
                "lastUpdated": "2024-01-10T10:00:00.000",
            }
        ],
        "organisationUnits": [{"id": "ImspTQPwCqd", "name": "Sierra Leone"}],
    }
    counts = load_metadata(document)
    assert counts["dataElements"]["created"] == 1
    assert counts["categoryOptionCombos"]["created"] == 1  # generated: "Nam giới"
    element = DataElement.objects.get(uid="fbfJHSPpUQD")
    assert element.category_combo.option_combos.get().name == "Nam giới"
    assert CategoryCombo.objects.filter(uid=DEFAULT_CATEGORY_COMBO_UID).get().name == "default"
    again = load_metadata(document)
    assert all(c["created"] == c["updated"] == 0 for c in again.values())
