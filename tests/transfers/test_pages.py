"""The transfer pages: list with filters and export, detail with its forms, evidence
downloads, the create form, and the matching page."""

import datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doha.catalog.models import Acquisition, FacilityCapability, Specialty
from doha.orgunits.models import FacilityType, TechnicalLevel
from doha.programmes.models import NeedStatus
from doha.transfers import services
from doha.transfers.models import CaseKind, StepEvidence, TechniqueTransfer, TransferState
from tests.factories import OrgUnitFactory
from tests.mixins import new_client, table_from_export
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


def login(user, english=True):
    client = new_client()
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def transfer(network):
    return make_transfer(
        network.bvdk,
        network.tien_du,
        TechniqueFactory(name="Đặt catheter tĩnh mạch rốn", code="NHI.0001"),
    )


# ---------------------------------------------------------------- list and export


def test_list_filters(network, users):
    pediatrics = Specialty.objects.create(code="NHI-X", name="Nhi")
    surgery = Specialty.objects.create(code="NGOAI", name="Ngoại khoa")
    a = make_transfer(network.bvdk, network.tien_du, TechniqueFactory(specialty=pediatrics))
    b = make_transfer(network.bvdk, network.tu_son, TechniqueFactory(specialty=surgery))
    programme = programme_between(network.bvdk, network.tu_son)
    c = make_transfer(network.tu_son, network.tyt_tu_son, TechniqueFactory(allowed_initial=True))
    b.programme = programme
    services.update_transfer(b)
    advance(a, S.CONTRACTED)
    client = login(users.doh)
    url = reverse("transfers:list")

    def shown(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {t.uid for t in response.context["object_list"]}

    assert shown() == {a.uid, b.uid, c.uid}
    assert shown(state="contracted") == {a.uid}
    assert shown(state=["contracted", "planned"]) == {a.uid, b.uid, c.uid}
    assert shown(provider=network.tu_son.uid) == {c.uid}
    assert shown(recipient=network.tu_son.uid) == {b.uid}
    assert shown(technique=a.technique.code) == {a.uid}
    assert shown(programme=programme.uid) == {b.uid}
    assert shown(specialty="NGOAI") == {b.uid}
    assert shown(q="tu son") == {b.uid, c.uid}


def test_export_xlsx_has_the_case_totals(transfer, users):
    transfer = advance(transfer, S.INDEPENDENT)
    services.record_cases(transfer, date=D(2025, 2, 1), kind=CaseKind.INDEPENDENT, count=3)
    response = login(users.doh).get(reverse("transfers:list"), {"export": "xlsx"})
    header, rows = table_from_export(response)
    assert header[0] == "UID"
    row = dict(zip(header, rows[0], strict=True))
    assert row["Independent cases"] == "3"
    assert row["Independent cases needed"] == "5"
    assert row["State"] == "Performing independently"


def test_list_queries_do_not_grow_with_rows(network, users, django_assert_max_num_queries):
    for i in range(12):
        unit = OrgUnitFactory(parent=network.tien_du, name=f"Trạm {i}")
        make_transfer(network.bvdk, unit, TechniqueFactory(allowed_initial=True))
    client = login(users.doh)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("transfers:list"))
    assert response.context["total"] == 12


# ---------------------------------------------------------------- detail


def test_detail_shows_the_timeline_and_the_forms_a_role_may_use(transfer, users):
    transfer = advance(transfer, S.TRAINING)
    services.record_cases(transfer, date=D(2025, 1, 20), kind=CaseKind.SUPERVISED, count=2)
    response = login(users.line).get(transfer.get_absolute_url())
    text = response.content.decode()
    assert response.status_code == 200
    for state in ["Planned", "Contracted", "Training"]:
        assert state in text
    assert 'id="transition-form"' in text and 'id="case-form"' in text
    assert 'id="cancel-form"' in text
    assert response.context["progress"] == {
        "supervised": 2,
        "independent": 0,
        "needed": 5,
        "missing": 5,
        "ready": False,
    }
    clerk = login(users.clerk).get(transfer.get_absolute_url()).content.decode()
    assert 'id="case-form"' in clerk
    assert 'id="transition-form"' not in clerk and 'id="cancel-form"' not in clerk
    viewer = login(users.viewer).get(transfer.get_absolute_url()).content.decode()
    assert 'id="case-form"' not in viewer and 'id="transition-form"' not in viewer


def test_detail_in_vietnamese_by_default(transfer, users):
    response = login(users.line, english=False).get(transfer.get_absolute_url())
    assert response.status_code == 200
    assert '<html lang="vi">' in response.content.decode()


def test_acceptance_refused_then_allowed_on_the_page(transfer, users):
    transfer = advance(transfer, S.INDEPENDENT)
    services.record_cases(transfer, date=D(2025, 2, 1), kind=CaseKind.INDEPENDENT, count=4)
    client = login(users.line)
    url = reverse("transfers:transition", args=[transfer.uid])
    response = client.post(url, {"state": "accepted", "date": "2025-02-20"})
    assert response.status_code == 400
    errors = response.context["form"].errors["state"]
    assert "at least 5 independent cases; 4 are recorded" in errors[0]
    response = client.post(
        reverse("transfers:cases", args=[transfer.uid]),
        {"date": "2025-02-10", "kind": "independent", "count": 1},
    )
    assert response.status_code == 302
    response = client.post(url, {"state": "accepted", "date": "2025-02-20"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == S.ACCEPTED
    assert FacilityCapability.objects.get(
        facility=transfer.recipient, technique=transfer.technique
    ).acquisition == (Acquisition.TRANSFER_IN)


def test_a_backwards_date_is_shown_on_the_date_field(transfer, users):
    response = login(users.line).post(
        reverse("transfers:transition", args=[transfer.uid]),
        {"state": "contracted", "date": "2024-12-31"},
    )
    assert response.status_code == 400
    assert "02/01/2025" in response.context["form"].errors["date"][0]


def test_cancel_without_a_reason_is_refused(transfer, users):
    response = login(users.line).post(
        reverse("transfers:cancel", args=[transfer.uid]), {"date": "2025-01-05"}
    )
    assert response.status_code == 400
    assert "cancel_reason" in response.context["form"].errors
    transfer.refresh_from_db()
    assert transfer.state == S.PLANNED


def test_sustainment_on_the_page(transfer, users):
    transfer = advance(transfer, S.ACCEPTED)  # 28/02/2025
    client = login(users.doh)
    url = reverse("transfers:sustainment", args=[transfer.uid])
    data = {"months_after": 6, "checked_on": "2025-08-01", "still_performed": "yes"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "28/08/2025" in response.context["form"].errors["checked_on"][0]
    response = client.post(url, {**data, "checked_on": "2025-09-01", "cases_in_period": 12})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == S.SUSTAINED
    page = client.get(transfer.get_absolute_url())
    assert 'id="sustainment"' in page.content.decode()


# ---------------------------------------------------------------- evidence


def test_evidence_is_uploaded_and_served_only_within_scope(transfer, users):
    client = login(users.line)
    upload = SimpleUploadedFile("bien-ban-hop-dong.pdf", b"%PDF-1.4 ...", "application/pdf")
    photo = SimpleUploadedFile("anh.jpg", b"\xff\xd8\xff", "image/jpeg")
    response = client.post(
        reverse("transfers:transition", args=[transfer.uid]),
        {"state": "contracted", "date": "2025-01-10", "files": [upload, photo]},
    )
    assert response.status_code == 302, response.content[:500]
    evidence = StepEvidence.objects.get(description="bien-ban-hop-dong.pdf")
    assert StepEvidence.objects.count() == 2
    url = reverse("transfers:evidence", args=[evidence.pk])
    assert url in client.get(transfer.get_absolute_url()).content.decode()

    response = login(users.clerk).get(url)  # the recipient
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 ..."
    assert "attachment" in response["Content-Disposition"]
    assert "bien-ban-hop-dong.pdf" in response["Content-Disposition"]

    assert login(users.doh_tn).get(url).status_code == 404
    anonymous = new_client().get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    # Never a public media URL.
    assert settings.MEDIA_URL not in client.get(transfer.get_absolute_url()).content.decode()


def test_a_file_of_another_kind_is_refused_on_the_page(transfer, users):
    bad = SimpleUploadedFile("script.sh", b"#!/bin/sh", "text/x-sh")
    response = login(users.line).post(
        reverse("transfers:transition", args=[transfer.uid]),
        {"state": "contracted", "date": "2025-01-10", "files": [bad]},
    )
    assert response.status_code == 400
    assert "files" in response.context["form"].errors
    assert not StepEvidence.objects.exists()


# ---------------------------------------------------------------- create


def test_create_from_a_need_and_a_programme(network, users):
    technique = TechniqueFactory(name="Bơm Surfactant")
    need = need_for(network.tien_du, technique)
    programme = programme_between(network.bvdk, network.tien_du)
    client = login(users.line)
    url = reverse("transfers:add")
    form = client.get(url, {"need": need.pk, "programme": programme.uid}).context["form"]
    assert form.initial["technique"] == technique.pk
    assert form.initial["recipient"] == network.tien_du.pk
    assert form.initial["programme"] == programme.pk
    response = client.post(
        url,
        {
            "technique": technique.pk,
            "provider": network.bvdk.pk,
            "recipient": network.tien_du.pk,
            "programme": programme.pk,
            "need": need.pk,
            "state_date": "2025-03-01",
            "min_independent_cases": 6,
            "team": "Kíp Nhi: BS. A, ĐD. B",
            "responsible": "Phòng Chỉ đạo tuyến",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    transfer = TechniqueTransfer.objects.get()
    assert (transfer.programme, transfer.need, transfer.min_independent_cases) == (
        programme,
        need,
        6,
    )
    assert transfer.steps.get().responsible == "Phòng Chỉ đạo tuyến"
    need.refresh_from_db()
    assert need.status == NeedStatus.PLANNED


def test_create_refuses_a_technique_above_the_level_without_exception(network, users):
    technique = TechniqueFactory(allowed_basic=False)
    client = login(users.line)
    data = {
        "technique": technique.pk,
        "provider": network.bvdk.pk,
        "recipient": network.tien_du.pk,
        "state_date": "2025-03-01",
        "min_independent_cases": 5,
    }
    response = client.post(reverse("transfers:add"), data)
    assert response.status_code == 400
    assert "level_exception" in response.context["form"].errors
    data.update(level_exception="on", level_exception_reason="Đủ điều kiện theo thẩm định")
    response = client.post(reverse("transfers:add"), data)
    assert response.status_code == 302
    assert TechniqueTransfer.objects.get().level_exception


# ---------------------------------------------------------------- matching


@pytest.fixture
def matching_world(network):
    central = OrgUnitFactory(
        code="BVTW-TN",
        name="Bệnh viện Trung ương Thái Nguyên",
        facility_type=FacilityType.CENTRAL_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=network.moh,
    )
    technique = TechniqueFactory(name="Lập đường truyền trong xương")
    for unit in (network.bvdk, central, network.tu_son):
        CapabilityFactory(facility=unit, technique=technique)
    need = need_for(network.tien_du, technique)
    programme = programme_between(network.bvdk, network.tien_du, title="Hỗ trợ toàn diện")
    return central, technique, need, programme


def test_matching_page_lists_needs_with_ranked_proposals(network, users, matching_world):
    central, technique, need, programme = matching_world
    response = login(users.line).get(reverse("transfers:matching"))
    assert response.status_code == 200
    rows = response.context["needs"]
    assert [n.pk for n in rows] == [need.pk]
    assert [p.provider for p in rows[0].proposals] == [network.bvdk, central, network.tu_son]
    text = response.content.decode()
    assert "Technical level" in text and "closest common unit" in text
    assert 'class="accept-form"' in text
    assert "★ " + str(programme) in text  # the programme between the two, offered first
    # Survey filter.
    other = login(users.line).get(
        reverse("transfers:matching"), {"survey": need.response.survey.uid}
    )
    assert [n.pk for n in other.context["needs"]] == [need.pk]


def test_viewer_sees_proposals_without_accept(users, matching_world):
    response = login(users.viewer).get(reverse("transfers:matching"))
    assert response.status_code == 200
    assert 'class="accept-form"' not in response.content.decode()
    assert response.context["needs"][0].proposals


def test_accept_a_proposal_on_the_page(network, users, matching_world):
    central, technique, need, programme = matching_world
    url = reverse("transfers:need_proposals", args=[need.pk])
    client = login(users.line)
    response = client.post(
        url, {"provider": network.bvdk.uid, "programme": programme.pk, "date": "2025-03-01"}
    )
    assert response.status_code == 302
    transfer = TechniqueTransfer.objects.get()
    assert response["Location"] == transfer.get_absolute_url()
    assert (transfer.provider, transfer.programme, transfer.need) == (
        network.bvdk,
        programme,
        need,
    )
    need.refresh_from_db()
    assert need.status == NeedStatus.PLANNED
    # The need now shows its transfer instead of proposals.
    page = client.get(url)
    assert page.context["proposals"] == []
    assert list(page.context["transfers"]) == [transfer]


def test_accept_refused_for_clerks_and_out_of_scope(users, network, matching_world):
    central, technique, need, programme = matching_world
    url = reverse("transfers:need_proposals", args=[need.pk])
    data = {"provider": network.bvdk.uid, "programme": programme.pk, "date": "2025-03-01"}
    assert login(users.clerk).post(url, data).status_code == 403
    assert login(users.doh_tn).post(url, data).status_code == 404
    assert login(users.doh_tn).get(url).status_code == 404
    assert not TechniqueTransfer.objects.exists()


def test_accept_errors_come_back_on_the_page(users, network, matching_world):
    central, technique, need, programme = matching_world
    url = reverse("transfers:need_proposals", args=[need.pk])
    response = login(users.line).post(
        url, {"provider": network.tyt_tu_son.uid, "programme": programme.pk, "date": "2025-03-01"}
    )
    assert response.status_code == 400
    assert "not among the proposals" in response.content.decode()
