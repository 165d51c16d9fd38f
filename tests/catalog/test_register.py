"""The capability register's rules (services) and its per-facility pages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from doha.catalog import services
from doha.catalog.models import Acquisition, CapabilityVolume, FacilityCapability
from tests.catalog.factories import CapabilityFactory, TechniqueFactory
from tests.mixins import client_for

pytestmark = pytest.mark.django_db
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def technique(db):
    return TechniqueFactory(code="03.0001", name="Bơm surfactant", allowed_basic=False)


def test_add_refuses_twins_authorities_and_retired_techniques(network, technique):
    capability = services.add_capability(network.tien_du, technique, datetime.date(2022, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.add_capability(network.tien_du, technique)
    assert "technique" in exc.value.message_dict
    services.retire_capability(capability, datetime.date(2024, 1, 1))
    with pytest.raises(ValidationError, match="stopped performing"):
        services.add_capability(network.tien_du, technique)
    with pytest.raises(ValidationError) as exc:
        services.add_capability(network.syt_bn, technique)
    assert "facility" in exc.value.message_dict
    retired = TechniqueFactory(active=False)
    with pytest.raises(ValidationError):
        services.add_capability(network.bvdk, retired)


def test_retire_and_perform_again(network, technique):
    capability = CapabilityFactory(facility=network.tien_du, technique=technique)
    services.retire_capability(capability, datetime.date(2024, 6, 30))
    assert (capability.active, capability.until) == (False, datetime.date(2024, 6, 30))
    with pytest.raises(ValidationError):
        services.retire_capability(capability)
    services.reactivate_capability(capability)
    assert capability.active and capability.until is None


def test_retire_date_cannot_precede_since(network, technique):
    capability = services.add_capability(network.tien_du, technique, datetime.date(2022, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.retire_capability(capability, datetime.date(2021, 1, 1))
    assert "until" in exc.value.message_dict


def test_yearly_volume_is_recorded_corrected_and_checked(network, technique):
    capability = services.add_capability(network.bvdk, technique, datetime.date(2019, 5, 1))
    volume, created = services.record_volume(capability, 2023, 40)
    assert created and volume.cases == 40
    volume, created = services.record_volume(capability, 2023, 42)
    assert not created and volume.cases == 42
    assert CapabilityVolume.objects.filter(capability=capability).count() == 1
    for year, field in [(THIS_YEAR + 1, "year"), (2018, "year"), (1980, "year")]:
        with pytest.raises(ValidationError) as exc:
            services.record_volume(capability, year, 3)
        assert field in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.record_volume(capability, 2022, -1)
    assert "cases" in exc.value.message_dict
    # Since cannot move after a year with recorded cases.
    capability.since = datetime.date(2024, 1, 1)
    with pytest.raises(ValidationError) as exc:
        services.update_capability(capability)
    assert "since" in exc.value.message_dict


def test_transfer_in_adds_or_revives_the_capability(network, technique):
    capability = services.record_transfer_in(network.tien_du, technique, datetime.date(2023, 1, 9))
    assert capability.acquisition == Acquisition.TRANSFER_IN
    assert services.record_transfer_in(network.tien_du, technique, datetime.date(2023, 5, 1)) == (
        capability
    )
    services.retire_capability(capability, datetime.date(2024, 1, 1))
    revived = services.record_transfer_in(network.tien_du, technique, datetime.date(2025, 2, 1))
    assert revived.active and revived.since == datetime.date(2025, 2, 1)


def test_above_level_flag(network, technique):
    at_basic = CapabilityFactory(facility=network.tien_du, technique=technique)
    at_specialised = CapabilityFactory(facility=network.bvdk, technique=technique)
    assert at_basic.above_level and not at_specialised.above_level


def test_facility_register_page_in_and_out_of_scope(network, users, technique):
    capability = CapabilityFactory(facility=network.tien_du, technique=technique)
    services.record_volume(capability, 2023, 12)
    CapabilityFactory(facility=network.phu_binh, technique=technique)
    client, _user = client_for(users, "clerk")
    page = client.get(reverse("catalog:facility_capabilities", args=[network.tien_du.uid]))
    assert page.status_code == 200
    assert [c.pk for c in page.context["current"]] == [capability.pk]
    assert page.context["years"] == [2023] and page.context["can_add"]
    other = client.get(reverse("catalog:facility_capabilities", args=[network.phu_binh.uid]))
    assert other.status_code == 404


def test_technique_page_lists_only_facilities_in_scope(network, users, technique):
    CapabilityFactory(facility=network.tien_du, technique=technique)
    CapabilityFactory(facility=network.bvdk, technique=technique)
    for role, expected in [("clerk", {"Trung tâm Y tế Tiên Du"}), ("doh_tn", set())]:
        client, _user = client_for(users, role)
        page = client.get(technique.get_absolute_url())
        assert {c.facility.name for c in page.context["capabilities"]} == expected
        assert "Bệnh viện Đa khoa tỉnh Bắc Ninh" not in page.content.decode()


def test_volume_form_for_clerk_refused_to_viewer(network, users, technique):
    capability = CapabilityFactory(facility=network.tyt_tien_du, technique=technique)
    url = reverse("catalog:capability_volume", args=[capability.pk])
    viewer, _user = client_for(users, "viewer")
    assert viewer.post(url, {"year": 2024, "cases": 5}).status_code == 403
    clerk, _user = client_for(users, "clerk")
    assert clerk.post(url, {"year": 2024, "cases": 5}).status_code == 302
    assert capability.volumes.get().cases == 5
    response = clerk.post(url, {"year": THIS_YEAR + 1, "cases": 5})
    assert response.status_code == 400
    assert response.context["volume_form"].errors["year"]
    api = clerk.post(
        f"/api/capabilities/{capability.pk}/volumes/",
        {"year": 2024, "cases": 7},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json() == {"year": 2024, "cases": 7}
    doh_tn, _user = client_for(users, "doh_tn")
    assert doh_tn.post(url, {"year": 2024, "cases": 1}).status_code == 404


def test_capability_list_filters_and_export(network, users, technique):
    other = TechniqueFactory(code="10.0001", name="Khâu vết thương phần mềm")
    CapabilityFactory(facility=network.tien_du, technique=technique)
    CapabilityFactory(facility=network.bvdk, technique=other)
    client, _user = client_for(users, "doh")
    response = client.get("/catalog/capabilities/", {"facility": network.bvdk.uid})
    assert [c.technique.code for c in response.context["object_list"]] == ["10.0001"]
    response = client.get("/catalog/capabilities/", {"q": "khau vet thuong"})
    assert response.context["total"] == 1
    response = client.get("/catalog/capabilities/", {"technique": "03.0001", "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    response = client.get("/api/capabilities/", {"specialty": technique.specialty.code})
    assert [c["technique"] for c in response.json()["results"]] == ["03.0001"]
    response = client.get("/api/capabilities/", {"within": network.tien_du.uid})
    assert response.json()["count"] == 1
    assert FacilityCapability.objects.count() == 2


def test_pages_render(network, users, technique):
    capability = CapabilityFactory(facility=network.tien_du, technique=technique)
    client, _user = client_for(users, "doh")
    for url in [
        reverse("catalog:capability_add") + f"?facility={network.tien_du.uid}&technique_q=surf",
        reverse("catalog:capability_detail", args=[capability.pk]),
        reverse("catalog:capability_edit", args=[capability.pk]),
        reverse("catalog:capability_retire", args=[capability.pk]),
        reverse("catalog:technique_edit", args=[technique.pk]),
        reverse("catalog:technique_options") + "?technique_q=surfactant",
        "/api/schema/",
    ]:
        assert client.get(url).status_code == 200, url
    options = client.get(reverse("catalog:technique_options") + "?technique_q=surfactant")
    assert b"03.0001" in options.content
    for url in ["/catalog/", "/catalog/capabilities/"]:
        rows = client.get(url, {"partial": "rows", "q": "surfactant"}, HTTP_HX_REQUEST="true")
        assert rows.status_code == 200 and b"<html" not in rows.content
        assert b"03.0001" in rows.content or "Bơm surfactant" in rows.content.decode()


def test_register_pages_make_no_query_per_row(network, users):
    """N+1 guard: more rows in the register do not mean more queries on its pages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, _user = client_for(users, "doh")
    shared = TechniqueFactory(code="99.0001")
    urls = [
        "/catalog/capabilities/",
        reverse("catalog:facility_capabilities", args=[network.tien_du.uid]),
        shared.get_absolute_url(),
        "/api/capabilities/",
    ]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    def add(facility, technique, year):
        services.record_volume(CapabilityFactory(facility=facility, technique=technique), year, 3)

    add(network.tien_du, shared, 2024)
    add(network.tien_du, TechniqueFactory(), 2023)
    before = counts()
    add(network.bvdk, shared, 2024)
    add(network.tu_son, shared, 2022)
    for _ in range(3):
        add(network.tien_du, TechniqueFactory(), 2022)
    assert counts() == before
