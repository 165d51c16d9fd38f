"""The data-entry form: what a clerk types is checked, saved, completed; scope and periods."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from doha.aggregate.models import CompleteRegistration, DataValue, DataValueAudit
from doha.aggregate.periods import period_containing
from doha.analytics.models import Importance, Operator, ValidationRule
from tests.aggregate.factories import DataElementFactory, DataSetFactory, sex_combo


@pytest.fixture(autouse=True)
def english_ui(settings):
    """Messages are asserted in English; Vietnamese is covered by tests/web/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(network, users):
    combo = sex_combo()
    visits = DataElementFactory(code="VISITS", name="Outpatient visits", category_combo=combo)
    referrals = DataElementFactory(code="REFERRALS", name="Referrals out")
    data_set = DataSetFactory(
        code="MONTHLY",
        name="Monthly report",
        elements=[visits, referrals],
        units=[network.tien_du, network.tyt_tien_du, network.tu_son, network.phu_binh],
    )
    male, female = list(combo.option_combos.order_by("sort_order"))
    period = period_containing(timezone.localdate(), "Monthly").previous()
    ValidationRule.objects.create(
        name="Referrals cannot exceed visits",
        code="VR_REF",
        left_side="#{" + referrals.uid + "}",
        left_side_description="Referrals",
        operator=Operator.LESS_THAN_OR_EQUAL_TO,
        right_side="#{" + visits.uid + "}",
        right_side_description="Visits",
        importance=Importance.HIGH,
    )
    return {
        "ds": data_set,
        "visits": visits,
        "referrals": referrals,
        "male": male,
        "female": female,
        "period": period,
    }


def cell(de, coc):
    return f"v:{de.uid}:{coc.uid}"


def entry_url(world, unit):
    return (
        reverse("aggregate:entry") + f"?ds={world['ds'].uid}&ou={unit.uid}&pe={world['period'].id}"
    )


def post_values(client, world, unit, values, action="save"):
    from doha.aggregate.services import default_option_combo

    data = {
        "ds": world["ds"].uid,
        "ou": unit.uid,
        "pe": world["period"].id,
        "action": action,
    }
    default = default_option_combo()
    for (de, coc), value in values.items():
        data[cell(de, coc or default)] = value
    return client.post(reverse("aggregate:entry"), data)


def test_clerk_sees_the_grid_with_disaggregation_columns(client, network, users, world):
    client.force_login(users.clerk)
    response = client.get(entry_url(world, network.tien_du))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Outpatient visits" in html
    assert cell(world["visits"], world["male"]) in html
    assert cell(world["visits"], world["female"]) in html


def test_vietnamese_numbers_are_saved_and_audited(client, network, users, world):
    client.force_login(users.clerk)
    response = post_values(
        client,
        world,
        network.tien_du,
        {(world["visits"], world["male"]): "1.234", (world["visits"], world["female"]): "987"},
    )
    assert response.status_code == 302
    stored = {
        v.category_option_combo_id: v.value
        for v in DataValue.objects.filter(org_unit=network.tien_du, deleted=False)
    }
    assert stored == {world["male"].pk: "1234", world["female"].pk: "987"}
    assert DataValueAudit.objects.filter(org_unit=network.tien_du).count() == 2
    page = client.get(entry_url(world, network.tien_du)).content.decode()
    assert 'value="1234"' in page


def test_a_bad_cell_saves_nothing_and_is_named(client, network, users, world):
    client.force_login(users.clerk)
    response = post_values(
        client,
        world,
        network.tien_du,
        {(world["visits"], world["male"]): "12", (world["visits"], world["female"]): "mười"},
    )
    assert response.status_code == 400
    assert DataValue.objects.filter(org_unit=network.tien_du).count() == 0
    html = response.content.decode()
    assert "cell-error" in html
    assert "Nothing was saved" in html


def test_check_shows_the_violated_rule_before_saving(client, network, users, world):
    client.force_login(users.clerk)
    response = post_values(
        client,
        world,
        network.tien_du,
        {(world["visits"], world["male"]): "10", (world["referrals"], None): "50"},
        action="check",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Referrals cannot exceed visits" in html
    assert DataValue.objects.filter(org_unit=network.tien_du).count() == 0


def test_complete_and_reopen(client, network, users, world):
    client.force_login(users.clerk)
    response = post_values(
        client, world, network.tien_du, {(world["referrals"], None): "3"}, action="complete"
    )
    assert response.status_code == 302
    registration = CompleteRegistration.objects.get(
        org_unit=network.tien_du, period=world["period"].id
    )
    assert registration.completed and registration.stored_by == users.clerk.username
    post_values(
        client, world, network.tien_du, {(world["referrals"], None): "3"}, action="incomplete"
    )
    registration.refresh_from_db()
    assert not registration.completed


def test_clearing_a_cell_deletes_the_value(client, network, users, world):
    client.force_login(users.clerk)
    post_values(client, world, network.tien_du, {(world["referrals"], None): "3"})
    post_values(client, world, network.tien_du, {(world["referrals"], None): ""})
    assert not DataValue.objects.filter(org_unit=network.tien_du, deleted=False).exists()


def test_clerk_cannot_open_or_write_another_district(client, network, users, world):
    client.force_login(users.clerk)
    response = client.get(entry_url(world, network.tu_son))
    assert "Choose a facility in your area" in response.content.decode()
    response = post_values(client, world, network.phu_binh, {(world["referrals"], None): "3"})
    assert response.status_code == 400
    assert not DataValue.objects.filter(org_unit=network.phu_binh).exists()


def test_viewer_sees_read_only_and_cannot_post(client, network, users, world):
    client.force_login(users.viewer)
    page = client.get(entry_url(world, network.tien_du)).content.decode()
    assert "readonly" in page and 'value="save"' not in page
    response = post_values(client, world, network.tien_du, {(world["referrals"], None): "3"})
    assert response.status_code == 403
    assert not DataValue.objects.exists()


def test_future_period_is_closed(client, network, users, world):
    client.force_login(users.clerk)
    future = period_containing(timezone.localdate() + datetime.timedelta(days=40), "Monthly")
    response = client.post(
        reverse("aggregate:entry"),
        {
            "ds": world["ds"].uid,
            "ou": network.tien_du.uid,
            "pe": future.id,
            "action": "save",
            cell(world["referrals"], world["male"]): "1",
        },
    )
    assert response.status_code == 400
    assert "not open for entry yet" in response.content.decode()


def test_completeness_and_timeliness(client, network, users, world):
    period = world["period"]
    late = timezone.make_aware(
        datetime.datetime.combine(period.end + datetime.timedelta(days=40), datetime.time(9))
    )
    on_time = timezone.make_aware(
        datetime.datetime.combine(period.end + datetime.timedelta(days=3), datetime.time(9))
    )
    from doha.aggregate.services import default_option_combo

    aoc = default_option_combo()
    CompleteRegistration.objects.create(
        data_set=world["ds"],
        org_unit=network.tien_du,
        period=period.id,
        attribute_option_combo=aoc,
        date=on_time,
        stored_by="x",
    )
    CompleteRegistration.objects.create(
        data_set=world["ds"],
        org_unit=network.tyt_tien_du,
        period=period.id,
        attribute_option_combo=aoc,
        date=late,
        stored_by="x",
    )
    client.force_login(users.doh)
    response = client.get(
        reverse("aggregate:completeness")
        + f"?ds={world['ds'].uid}&start={period.id}&end={period.id}"
    )
    html = response.content.decode()
    # Bắc Ninh reports: Tiên Du centre + its station + Từ Sơn = 3 expected; 2 done, 1 on time.
    assert "2 of 3 expected reports (66,7%), on time: 33,3%" in html
    # Thái Nguyên's Phú Bình is not counted for Bắc Ninh's officer.
    assert "Phú Bình" not in html
