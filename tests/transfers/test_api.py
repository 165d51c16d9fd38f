"""REST API of transfers: the lifecycle actions, their errors, proposals and accepting them."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from doha.orgunits.models import FacilityType, TechnicalLevel
from doha.programmes.models import NeedStatus
from doha.transfers import services
from doha.transfers.models import CaseKind, StepEvidence, TechniqueTransfer, TransferState
from tests.factories import OrgUnitFactory
from tests.mixins import new_client
from tests.transfers.factories import (
    CapabilityFactory,
    TechniqueFactory,
    advance,
    make_transfer,
    need_for,
    programme_between,
)

D = datetime.date
S = TransferState
JSON = "application/json"


def api(user):
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def transfer(network):
    return make_transfer(
        network.bvdk, network.tien_du, TechniqueFactory(name="Bơm Surfactant", code="NHI.0005")
    )


def url(transfer, action=""):
    return f"/api/transfers/{transfer.uid}/{action + '/' if action else ''}"


def test_detail_has_steps_cases_and_totals(transfer, users):
    transfer = advance(transfer, S.TRAINING)
    services.record_cases(transfer, date=D(2025, 1, 20), kind=CaseKind.SUPERVISED, count=2)
    body = api(users.clerk).get(url(transfer)).json()
    assert body["technique"] == "NHI.0005"
    assert body["provider"] == transfer.provider.uid
    assert [s["state"] for s in body["steps"]] == ["planned", "contracted", "training"]
    assert body["cases"]["supervised"] == 2
    assert body["cases"]["needed"] == 5
    assert body["case_records"][0]["count"] == 2


def test_transition_errors_name_the_field(transfer, users):
    client = api(users.line)
    response = client.post(
        url(transfer, "transition"), {"state": "training", "date": "2025-01-10"}, content_type=JSON
    )
    assert response.status_code == 400
    assert "one step at a time" in response.json()["state"][0]
    response = client.post(
        url(transfer, "transition"),
        {"state": "contracted", "date": "2024-12-01"},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "backwards" in response.json()["date"][0]
    response = client.post(
        url(transfer, "transition"), {"state": "cancelled", "date": "2025-01-10"}, content_type=JSON
    )
    assert response.status_code == 400
    assert "cancel_reason" in response.json()
    response = client.post(
        url(transfer, "transition"),
        {"state": "cancelled", "date": "2025-01-10", "cancel_reason": "Không đủ nhân lực"},
        content_type=JSON,
    )
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["cancel_reason"] == "Không đủ nhân lực"


def test_errors_in_vietnamese_by_default(transfer, users):
    client = new_client()
    client.force_login(users.line)
    response = client.post(
        url(transfer, "transition"), {"state": "training", "date": "2025-01-10"}, content_type=JSON
    )
    assert response.status_code == 400
    assert response.json()["state"]  # a message (its language is the catalogue's)


def test_acceptance_through_the_api(transfer, users):
    transfer = advance(transfer, S.INDEPENDENT)
    client = api(users.line)
    response = client.post(
        url(transfer, "cases"),
        {"date": "2025-02-01", "kind": "independent", "count": 4},
        content_type=JSON,
    )
    assert response.status_code == 201
    response = client.post(
        url(transfer, "transition"), {"state": "accepted", "date": "2025-02-20"}, content_type=JSON
    )
    assert response.status_code == 400
    assert "at least 5 independent cases; 4 are recorded" in response.json()["state"][0]
    client.post(
        url(transfer, "cases"), {"date": "2025-02-02", "kind": "independent"}, content_type=JSON
    )
    response = client.post(
        url(transfer, "transition"), {"state": "accepted", "date": "2025-02-20"}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["cases"]["ready"]
    response = client.post(
        url(transfer, "sustainment"),
        {"months_after": 6, "checked_on": "2025-08-19", "still_performed": True},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "20/08/2025" in response.json()["checked_on"][0]
    response = client.post(
        url(transfer, "sustainment"),
        {"months_after": 6, "checked_on": "2025-08-20", "still_performed": True},
        content_type=JSON,
    )
    assert response.status_code == 201
    assert api(users.line).get(url(transfer)).json()["state"] == "sustained"


def test_transition_with_evidence_files(transfer, users):
    response = api(users.line).post(
        url(transfer, "transition"),
        {
            "state": "contracted",
            "date": "2025-01-10",
            "responsible": "GĐ BVĐK",
            "files": [SimpleUploadedFile("hop-dong.pdf", b"%PDF", "application/pdf")],
        },
    )
    assert response.status_code == 200, response.json()
    step = response.json()["steps"][-1]
    assert step["responsible"] == "GĐ BVĐK"
    assert step["evidence"][0]["name"] == "hop-dong.pdf"
    assert step["evidence"][0]["download"].endswith(
        f"/transfers/evidence/{StepEvidence.objects.get().pk}/"
    )


def test_create_refuses_level_without_exception(network, users):
    technique = TechniqueFactory(allowed_basic=False)
    data = {
        "technique": technique.code,
        "provider": network.bvdk.uid,
        "recipient": network.tien_du.uid,
        "state_date": "2025-03-01",
    }
    client = api(users.doh)
    response = client.post("/api/transfers/", data, content_type=JSON)
    assert response.status_code == 400
    assert "level_exception" in response.json()
    response = client.post(
        "/api/transfers/",
        {**data, "level_exception": True, "level_exception_reason": "Vệ tinh"},
        content_type=JSON,
    )
    assert response.status_code == 201
    assert response.json()["level_exception"] is True


def test_update_cannot_change_the_parties_or_the_state(transfer, users, network):
    client = api(users.line)
    response = client.patch(url(transfer), {"recipient": network.tu_son.uid}, content_type=JSON)
    assert response.status_code == 400
    assert "cannot be changed" in response.json()["recipient"][0]
    response = client.patch(
        url(transfer), {"state": "accepted", "team": "Kíp Nhi"}, content_type=JSON
    )
    assert response.status_code == 200
    transfer.refresh_from_db()
    assert (transfer.recipient, transfer.state, transfer.team) == (
        network.tien_du,
        S.PLANNED,
        "Kíp Nhi",
    )


def test_list_queries_do_not_grow_with_rows(network, users, django_assert_max_num_queries):
    for i in range(12):
        unit = OrgUnitFactory(parent=network.tien_du, name=f"Trạm {i}")
        advance(
            make_transfer(network.bvdk, unit, TechniqueFactory(allowed_initial=True)), S.TRAINING
        )
    client = api(users.doh)
    with django_assert_max_num_queries(12):
        body = client.get("/api/transfers/").json()
    assert body["count"] == 12
    assert body["results"][0]["cases"]["needed"] == 5


def test_no_delete(transfer, users):
    assert api(users.admin).delete(url(transfer)).status_code == 405
    assert TechniqueTransfer.objects.filter(pk=transfer.pk).exists()


def test_filters_on_the_api(transfer, users, network):
    other = make_transfer(network.bvdk, network.tu_son, TechniqueFactory())
    advance(transfer, S.CONTRACTED)
    body = api(users.doh).get("/api/transfers/", {"state": "contracted"}).json()
    assert [r["uid"] for r in body["results"]] == [transfer.uid]
    body = api(users.doh).get("/api/transfers/", {"recipient": network.tu_son.uid}).json()
    assert [r["uid"] for r in body["results"]] == [other.uid]


# ---------------------------------------------------------------- proposals


@pytest.fixture
def need_world(network):
    central = OrgUnitFactory(
        code="BVTW-TN",
        name="Bệnh viện Trung ương Thái Nguyên",
        facility_type=FacilityType.CENTRAL_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=network.moh,
    )
    technique = TechniqueFactory(name="Đo áp lực bàng quang")
    for unit in (network.bvdk, central, network.tu_son):
        CapabilityFactory(facility=unit, technique=technique)
    need = need_for(network.tien_du, technique)
    programme = programme_between(network.bvdk, network.tien_du)
    return central, need, programme


def test_proposals_for_a_need(users, network, need_world):
    central, need, programme = need_world
    response = api(users.line).get("/api/transfers/proposals/", {"need": need.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["level_needed"] == "basic"
    assert body["level_exception_needed"] is False
    codes = [p["provider"]["code"] for p in body["proposals"]]
    assert codes == ["BN-BVDK", "BVTW-TN", "BN-TTYT-TUSON"]
    first = body["proposals"][0]
    assert first["components"] == {
        "level": 60,
        "network": 20,
        "geography": 5,
        "load": 0,
        "programme": 15,
    }
    assert first["score"] == 100
    assert first["programmes"][0]["uid"] == programme.uid
    assert len(first["reasons"]) == 5


def test_proposals_need_a_visible_need(users, need_world):
    central, need, programme = need_world
    assert api(users.doh_tn).get("/api/transfers/proposals/", {"need": need.pk}).status_code == 404
    assert api(users.line).get("/api/transfers/proposals/").status_code == 400
    assert new_client().get("/api/transfers/proposals/", {"need": need.pk}).status_code in (
        401,
        403,
    )


def test_accept_a_proposal(users, network, need_world):
    central, need, programme = need_world
    data = {"need": need.pk, "provider": central.uid, "programme": programme.uid}
    assert (
        api(users.clerk)
        .post("/api/transfers/proposals/accept/", data, content_type=JSON)
        .status_code
        == 403
    )
    assert (
        api(users.viewer)
        .post("/api/transfers/proposals/accept/", data, content_type=JSON)
        .status_code
        == 403
    )
    response = api(users.line).post(
        "/api/transfers/proposals/accept/", {**data, "date": "2025-03-01"}, content_type=JSON
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "planned"
    assert body["provider"] == central.uid
    assert body["programme"] == programme.uid
    need.refresh_from_db()
    assert need.status == NeedStatus.PLANNED
    again = api(users.line).post("/api/transfers/proposals/accept/", data, content_type=JSON)
    assert again.status_code == 400
    assert "need" in again.json()


def test_the_schema_documents_the_actions(users):
    response = api(users.admin).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    for path in [
        "/api/transfers/",
        "/api/transfers/{uid}/transition/",
        "/api/transfers/{uid}/cases/",
        "/api/transfers/{uid}/sustainment/",
        "/api/transfers/proposals/",
        "/api/transfers/proposals/accept/",
    ]:
        assert path in paths
