"""The statistics metadata pages: who may add and edit, search, export, and the rules a
user runs into (option combos generated, expressions checked, facilities by subtree)."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from doha.aggregate.metadata import load_default_metadata
from doha.aggregate.models import (
    Category,
    CategoryCombo,
    CategoryOptionCombo,
    DataElement,
    DataSet,
    DataValue,
)
from doha.analytics.models import Indicator, ValidationRule
from tests.mixins import new_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


@pytest.fixture(scope="module")
def default_metadata(shared_world, django_db_blocker):
    """The default data set, loaded once inside the module's shared transaction."""
    with django_db_blocker.unblock():
        load_default_metadata()


@pytest.fixture
def world(network, default_metadata):
    return DataSet.objects.get(code="DS_MONTHLY")


def signed_in(user):
    client = new_client()
    client.force_login(user)
    return client


LISTS = [
    "/statistics/metadata/",
    "/statistics/data-elements/",
    "/statistics/data-sets/",
    "/statistics/categories/",
    "/statistics/category-combos/",
    "/statistics/indicators/",
    "/statistics/validation-rules/",
]
ADDS = [
    "/statistics/data-elements/add/",
    "/statistics/data-sets/add/",
    "/statistics/categories/add/",
    "/statistics/category-combos/add/",
    "/statistics/indicators/add/",
    "/statistics/validation-rules/add/",
]


@pytest.mark.parametrize("role", ["viewer", "clerk", "line"])
def test_readers_see_everything_but_cannot_add_or_edit(users, world, role):
    client = signed_in(getattr(users, role))
    for url in LISTS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'id="add-link"' not in response.content.decode()
    opd = DataElement.objects.get(code="OPD_VISITS")
    detail = client.get(f"/statistics/data-elements/{opd.uid}/")
    assert detail.status_code == 200 and 'id="edit-link"' not in detail.content.decode()
    for url in ADDS:
        assert client.get(url).status_code == 403, url
    response = client.post(f"/statistics/data-elements/{opd.uid}/edit/", {"name": "Hacked"})
    assert response.status_code == 403
    assert DataElement.objects.get(pk=opd.pk).name == "Lượt khám bệnh"
    units = client.post(
        f"/statistics/data-sets/{world.uid}/units/", {"org_unit": "x", "operation": "assign"}
    )
    assert units.status_code == 403


def test_officers_see_add_and_edit_and_anonymous_must_sign_in(users, world):
    client = signed_in(users.doh)
    for url in ADDS:
        assert client.get(url).status_code == 200, url
    assert 'id="add-link"' in client.get("/statistics/data-elements/").content.decode()
    opd = DataElement.objects.get(code="OPD_VISITS")
    assert 'id="edit-link"' in client.get(f"/statistics/data-elements/{opd.uid}/").content.decode()
    anonymous = new_client().get("/statistics/data-elements/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_search_ignores_accents_and_export_follows_the_filter(users, world):
    client = signed_in(users.viewer)
    html = client.get("/statistics/data-elements/", {"q": "kham benh"}).content.decode()
    assert "Lượt khám bệnh" in html and "Dân số" not in html
    html = client.get("/statistics/data-elements/", {"q": "DUONG DAY NONG"}).content.decode()
    assert "Cuộc gọi đường dây nóng tiếp nhận" in html and "Lượt khám bệnh" not in html
    response = client.get("/statistics/data-elements/", {"source": "computed", "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 9  # header, the five activity and three service elements
    codes = {row[2] for row in rows[1:]}
    assert "ACT_DONATION_VALUE" in codes and "OPD_VISITS" not in codes
    csv = client.get("/statistics/indicators/", {"q": "chuyen tuyen", "export": "csv"})
    text = csv.content.decode("utf-8-sig")
    assert "Tỷ lệ chuyển tuyến (%)" in text and "Tỷ lệ nhập viện" not in text


def test_add_a_data_element_with_errors_named_by_field(users, world):
    client = signed_in(users.doh)
    default = CategoryCombo.objects.get(code="default")
    data = {
        "name": "Lượt khám y học cổ truyền",
        "short_name": "Khám YHCT",
        "code": "OPD_TRADITIONAL",
        "value_type": "INTEGER_ZERO_OR_POSITIVE",
        "aggregation_type": "SUM",
        "category_combo": default.pk,
        "source": "computed",
        "computed_from": "",
    }
    response = client.post("/statistics/data-elements/add/", data)
    assert response.status_code == 400
    assert 'data-field="computed_from"' in response.content.decode()
    data["source"] = "entered"
    response = client.post("/statistics/data-elements/add/", data)
    assert response.status_code == 302
    element = DataElement.objects.get(code="OPD_TRADITIONAL")
    assert response["Location"] == f"/statistics/data-elements/{element.uid}/"
    duplicate = client.post("/statistics/data-elements/add/", {**data, "code": "OTHER"})
    assert duplicate.status_code == 400 and 'data-field="name"' in duplicate.content.decode()


def test_disaggregation_of_an_element_with_data_cannot_change(users, network, world):
    opd = DataElement.objects.get(code="OPD_VISITS")
    coc = opd.category_combo.option_combos.first()
    now = timezone.now()
    DataValue.objects.create(
        data_element=opd,
        period="202401",
        period_type="Monthly",
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2024, 1, 31),
        org_unit=network.tien_du,
        category_option_combo=coc,
        attribute_option_combo=CategoryOptionCombo.objects.get(code="default"),
        value="12",
        numeric_value=12,
        created=now,
        last_updated=now,
    )
    client = signed_in(users.doh)
    response = client.post(
        f"/statistics/data-elements/{opd.uid}/edit/",
        {
            "name": opd.name,
            "short_name": opd.short_name,
            "code": opd.code,
            "value_type": opd.value_type,
            "aggregation_type": opd.aggregation_type,
            "category_combo": CategoryCombo.objects.get(code="CC_SEX").pk,
            "source": "entered",
        },
    )
    assert response.status_code == 400
    assert 'data-field="category_combo"' in response.content.decode()
    assert DataElement.objects.get(pk=opd.pk).category_combo.code == "CC_SEX_AGE"


def test_a_new_category_and_combination_generate_their_option_combos(users, world):
    client = signed_in(users.doh)
    response = client.post(
        "/statistics/categories/add/",
        {
            "name": "Nơi cư trú",
            "code": "CAT_RESIDENCE",
            "data_dimension_type": "DISAGGREGATION",
            "new_options": "RES_IN | Trong tỉnh\nRES_OUT | Ngoài tỉnh\nNước ngoài",
        },
    )
    assert response.status_code == 302
    residence = Category.objects.get(code="CAT_RESIDENCE")
    assert [o.name for o in residence.ordered_options()] == [
        "Trong tỉnh",
        "Ngoài tỉnh",
        "Nước ngoài",
    ]
    sex = Category.objects.get(code="CAT_SEX")
    response = client.post(
        "/statistics/category-combos/add/",
        {
            "name": "Giới tính và nơi cư trú",
            "code": "CC_SEX_RESIDENCE",
            "data_dimension_type": "DISAGGREGATION",
            "categories": [sex.pk, residence.pk],
        },
    )
    assert response.status_code == 302
    combo = CategoryCombo.objects.get(code="CC_SEX_RESIDENCE")
    names = list(combo.option_combos.order_by("sort_order").values_list("name", flat=True))
    assert len(names) == 6 and names[0] == "Nam, Trong tỉnh" and names[-1] == "Nữ, Nước ngoài"
    page = client.get(f"/statistics/category-combos/{combo.uid}/").content.decode()
    assert "Nữ, Ngoài tỉnh" in page
    # A fourth option later: the combination gains its cells, the old ones keep their UIDs.
    before = set(combo.option_combos.values_list("uid", flat=True))
    options = [o.pk for o in residence.ordered_options()]
    response = client.post(
        f"/statistics/categories/{residence.uid}/edit/",
        {
            "name": "Nơi cư trú",
            "code": "CAT_RESIDENCE",
            "data_dimension_type": "DISAGGREGATION",
            "options": options,
            "new_options": "Không rõ",
        },
    )
    assert response.status_code == 302
    after = set(combo.option_combos.values_list("uid", flat=True))
    assert before < after and len(after) == 8
    empty = client.post(
        "/statistics/categories/add/",
        {"name": "Trống", "data_dimension_type": "DISAGGREGATION"},
    )
    assert empty.status_code == 400 and 'data-field="options"' in empty.content.decode()


def test_indicator_expressions_are_checked(users, world):
    client = signed_in(users.doh)
    opd = DataElement.objects.get(code="OPD_VISITS")
    surgeries = DataElement.objects.get(code="SURGERIES")
    percent = Indicator.objects.get(code="IND_REFERRAL_RATE").indicator_type
    data = {
        "name": "Tỷ lệ phẫu thuật (%)",
        "code": "IND_SURGERY_RATE",
        "indicator_type": percent.pk,
        "numerator": "#{Abcdefghijk}",
        "numerator_description": "Ca phẫu thuật",
        "denominator": f"#{{{opd.uid}}}",
        "denominator_description": "Lượt khám bệnh",
    }
    response = client.post("/statistics/indicators/add/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="numerator"' in html and "Abcdefghijk" in html
    data["numerator"] = f"#{{{surgeries.uid}}}"
    response = client.post("/statistics/indicators/add/", data)
    assert response.status_code == 302
    indicator = Indicator.objects.get(code="IND_SURGERY_RATE")
    page = client.get(f"/statistics/indicators/{indicator.uid}/").content.decode()
    assert "Ca phẫu thuật" in page and "Lượt khám bệnh" in page


def test_validation_rule_form(users, world):
    client = signed_in(users.doh)
    surgeries = DataElement.objects.get(code="SURGERIES")
    ipd = DataElement.objects.get(code="IPD_ADMISSIONS")
    data = {
        "name": "Phẫu thuật không vượt lượt nội trú",
        "code": "VR_SURGERIES_LE_IPD",
        "importance": "MEDIUM",
        "period_type": "Monthly",
        "left_side": f"#{{{surgeries.uid}}} +",
        "left_side_description": "Ca phẫu thuật",
        "left_missing_value_strategy": "SKIP_IF_ALL_VALUES_MISSING",
        "operator": "less_than_or_equal_to",
        "right_side": f"#{{{ipd.uid}}}",
        "right_side_description": "Lượt điều trị nội trú",
        "right_missing_value_strategy": "SKIP_IF_ALL_VALUES_MISSING",
    }
    response = client.post("/statistics/validation-rules/add/", data)
    assert response.status_code == 400 and 'data-field="left_side"' in response.content.decode()
    data["left_side"] = f"#{{{surgeries.uid}}}"
    assert client.post("/statistics/validation-rules/add/", data).status_code == 302
    assert ValidationRule.objects.filter(code="VR_SURGERIES_LE_IPD").exists()


def test_data_set_elements_and_facilities_by_subtree(users, network, world):
    client = signed_in(users.doh)
    activities = DataSet.objects.get(code="DS_ACTIVITIES")
    kept = list(activities.data_elements.values_list("pk", flat=True))
    surgeries = DataElement.objects.get(code="SURGERIES")
    response = client.post(
        f"/statistics/data-sets/{activities.uid}/edit/",
        {
            "name": activities.name,
            "short_name": activities.short_name,
            "code": activities.code,
            "period_type": "Monthly",
            "category_combo": activities.category_combo.pk,
            "open_future_periods": 0,
            "expiry_days": 0,
            "timely_days": 15,
            "elements": [*kept, surgeries.pk],
        },
    )
    assert response.status_code == 302
    rows = list(activities.elements.order_by("sort_order"))
    assert len(rows) == 6 and rows[-1].data_element == surgeries

    units_url = f"/statistics/data-sets/{world.uid}/units/"
    response = client.post(
        units_url,
        {"org_unit": network.tien_du.uid, "include_below": "on", "operation": "assign"},
    )
    assert response.status_code == 302
    assert set(world.org_units.all()) == {network.tien_du, network.tyt_tien_du}
    client.post(
        units_url,
        {
            "org_unit": network.syt_bn.uid,
            "include_below": "on",
            "facility_types": ["commune_station"],
            "operation": "assign",
        },
    )
    assert network.tyt_tu_son in world.org_units.all()
    assert network.tu_son not in world.org_units.all()
    page = client.get(units_url).content.decode()
    assert "Trạm Y tế Phường Từ Sơn" in page

    # Thái Nguyên's officer can neither pick nor see Bắc Ninh's units.
    other = signed_in(users.doh_tn)
    refused = other.post(
        units_url, {"org_unit": network.tien_du.uid, "include_below": "on", "operation": "remove"}
    )
    assert refused.status_code == 400 and 'data-field="org_unit"' in refused.content.decode()
    assert "Trạm Y tế Xã Tiên Du" not in other.get(units_url).content.decode()
    other.post(
        units_url,
        {"org_unit": network.syt_tn.uid, "include_below": "on", "operation": "assign"},
    )
    assert network.phu_binh in world.org_units.all()
    client.post(
        units_url,
        {"org_unit": network.tien_du.uid, "include_below": "on", "operation": "remove"},
    )
    assert network.tien_du not in world.org_units.all()
    assert network.phu_binh in world.org_units.all()  # out of Bắc Ninh's scope: untouched
