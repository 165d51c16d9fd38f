"""Rules of remote consultations and tele-education, through the service, the form and the
API; the figures; the refusal of identifiers in the patient summary."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from doha.telehealth import services
from doha.telehealth.models import (
    Consultation,
    Outcome,
    TeleEducationSession,
    looks_like_identifier,
)
from tests.factories import OrgUnitFactory
from tests.mixins import new_client
from tests.telehealth.factories import at, make_consultation

JSON = "application/json"


def api(user):
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


# ---------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    "text,kind",
    [
        ("Bệnh nhân CCCD 001203004567 nhập viện", "id"),
        ("CCCD: 001 203 004 567", "id"),
        ("Liên hệ người nhà 0912 345 678", "phone"),
        ("SĐT 0912.345.678", "phone"),
        ("gọi +84 912 345 678", "phone"),
        ("Huyết áp 160/110 mmHg, mạch 110, SpO2 92%, 38,5 độ", None),
        ("Bạch cầu 15.000/mm3, tiểu cầu 250.000", None),
        ("Vào viện lúc 22:15 ngày 03/10/2024", None),
    ],
)
def test_identifiers_are_recognised(text, kind):
    assert looks_like_identifier(text) == kind


def test_the_service_refuses_a_citizen_id_in_the_summary(network):
    with pytest.raises(ValidationError) as exc:
        make_consultation(
            network.tien_du, network.bvdk, patient_summary="Bệnh nhân số CCCD 001203004567."
        )
    assert "citizen ID" in exc.value.message_dict["patient_summary"][0]
    assert not Consultation.objects.exists()


def test_the_service_refuses_a_phone_number_in_the_summary(network):
    with pytest.raises(ValidationError) as exc:
        make_consultation(network.tien_du, network.bvdk, patient_summary="Gọi 0912345678.")
    assert "phone number" in exc.value.message_dict["patient_summary"][0]


# ---------------------------------------------------------------- rules


def test_the_hub_is_another_facility(network):
    with pytest.raises(ValidationError) as exc:
        make_consultation(network.bvdk, network.bvdk)
    assert "hub" in exc.value.message_dict


def test_the_answer_cannot_precede_the_request(network):
    with pytest.raises(ValidationError) as exc:
        make_consultation(network.tien_du, network.bvdk, hours=-1, outcome=Outcome.TREATED_LOCALLY)
    assert "answered_at" in exc.value.message_dict


def test_an_outcome_needs_an_answer(network):
    with pytest.raises(ValidationError) as exc:
        make_consultation(network.tien_du, network.bvdk, outcome=Outcome.REFERRED)
    assert "answered_at" in exc.value.message_dict


def test_a_valid_consultation_is_saved(network):
    c = make_consultation(network.tien_du, network.bvdk, hours=2.5, outcome=Outcome.TREATED_LOCALLY)
    assert c.response_hours == 2.5


def test_a_user_may_not_record_outside_their_scope(network, users):
    with pytest.raises(ValidationError) as exc:
        services.save_consultation(
            Consultation(
                requesting=network.phu_binh,
                hub=network.tyt_phu_binh,
                specialty=make_consultation(network.tien_du, network.bvdk).specialty,
                patient_age=3,
                patient_sex="female",
                patient_summary="Sốt cao.",
                requested_at=at(2025, 1, 1, 8),
            ),
            user=users.doh,
        )
    assert "requesting" in exc.value.message_dict


# ---------------------------------------------------------------- figures


def test_figures_median_mean_and_share_treated_locally(network):
    hours_outcomes = [
        (1, Outcome.TREATED_LOCALLY),
        (2, Outcome.TREATED_LOCALLY),
        (3, Outcome.REFERRED),
        (10, Outcome.TRANSFERRED),
        (None, Outcome.PENDING),
    ]
    for i, (hours, outcome) in enumerate(hours_outcomes):
        make_consultation(
            network.tien_du,
            network.bvdk,
            hours=hours,
            outcome=outcome,
            requested_at=at(2025, 3, 1 + i, 8),
        )
    make_consultation(
        network.tu_son,
        network.bvdk,
        hours=4,
        outcome=Outcome.TREATED_LOCALLY,
        requested_at=at(2024, 6, 1, 8),
    )
    result = services.figures(Consultation.objects.all())
    total = result["total"]
    assert total["count"] == 6
    assert total["answered"] == 5
    assert total["median_hours"] == 3.0  # 1, 2, 3, 4, 10
    assert total["mean_hours"] == 4.0
    assert total["decided"] == 5
    assert total["local_share"] == 60.0  # 3 of the 5 with an outcome
    rows = {(r["period"], r["unit"]): r for r in result["rows"]}
    assert rows[("2025", network.bvdk.name)]["median_hours"] == 2.5
    assert rows[("2025", network.bvdk.name)]["local_share"] == 50.0
    assert rows[("2024", network.bvdk.name)]["local_share"] == 100.0
    by_spoke = services.figures(Consultation.objects.all(), by="month", group="spoke")
    assert {r["unit"] for r in by_spoke["rows"]} == {network.tien_du.name, network.tu_son.name}
    assert [r["period"] for r in by_spoke["rows"]][0] == "06/2024"


def test_figures_page_counts_only_what_the_user_sees(network, users):
    bva_tn = OrgUnitFactory(code="TN-BVA", name="Bệnh viện A Thái Nguyên", parent=network.syt_tn)
    make_consultation(network.tien_du, network.bvdk, hours=2, outcome=Outcome.TREATED_LOCALLY)
    make_consultation(network.phu_binh, bva_tn, hours=30, outcome=Outcome.TRANSFERRED)
    response = api(users.clerk).get("/telehealth/figures/")
    assert response.status_code == 200
    total = response.context["figures"]["total"]
    assert total["count"] == 1 and total["median_hours"] == 2.0 and total["local_share"] == 100
    body = response.content.decode()
    assert "Bệnh viện A Thái Nguyên" not in body
    admin_total = api(users.admin).get("/telehealth/figures/").context["figures"]["total"]
    assert admin_total["count"] == 2 and admin_total["median_hours"] == 16.0


# ---------------------------------------------------------------- form


def _form_data(network, specialty, **kwargs):
    data = {
        "requesting": network.tien_du.pk,
        "hub": network.bvdk.pk,
        "specialty": specialty.pk,
        "urgency": "urgent",
        "patient_age": 40,
        "patient_sex": "female",
        "patient_summary": "Đau bụng hố chậu phải 12 giờ.",
        "requested_at": "2025-03-01T08:00",
        "answered_at": "2025-03-01T10:30",
        "outcome": "treated_locally",
        "conclusion": "Viêm ruột thừa: mổ tại chỗ.",
    }
    data.update(kwargs)
    return data


def test_the_form_refuses_what_the_service_refuses(network, users):
    specialty = make_consultation(network.tu_son, network.bvdk).specialty
    client = api(users.doh)
    for extra, field, text in [
        ({"patient_summary": "CCCD 001203004567"}, "patient_summary", "citizen ID"),
        ({"patient_summary": "SĐT 0987654321"}, "patient_summary", "phone number"),
        ({"hub": network.tien_du.pk}, "hub", "another facility"),
        ({"answered_at": "2025-03-01T07:00"}, "answered_at", "before the request"),
    ]:
        response = client.post("/telehealth/add/", _form_data(network, specialty, **extra))
        assert response.status_code == 400, extra
        errors = response.context["form"].errors
        assert field in errors and text in " ".join(errors[field]), errors
    assert Consultation.objects.filter(requesting=network.tien_du).count() == 0
    response = client.post("/telehealth/add/", _form_data(network, specialty))
    assert response.status_code == 302
    c = Consultation.objects.get(requesting=network.tien_du)
    assert c.response_hours == 2.5
    page = client.get(response["Location"])
    assert "Viêm ruột thừa" in page.content.decode()


# ---------------------------------------------------------------- API


def _api_data(network, **kwargs):
    data = {
        "requesting": network.tien_du.uid,
        "hub": network.bvdk.uid,
        "specialty": "02",
        "urgency": "emergency",
        "patient_age": 2,
        "patient_sex": "male",
        "patient_summary": "Trẻ sốt cao, co giật.",
        "requested_at": "2025-03-01T22:15:00+07:00",
        "answered_at": "2025-03-01T22:45:00+07:00",
        "outcome": "transferred",
    }
    data.update(kwargs)
    return data


def test_the_api_refuses_what_the_service_refuses(network, users):
    make_consultation(network.tu_son, network.bvdk)
    client = api(users.doh)
    for extra, field in [
        ({"patient_summary": "CCCD 001203004567"}, "patient_summary"),
        ({"patient_summary": "ĐT 0912 345 678"}, "patient_summary"),
        ({"hub": network.tien_du.uid}, "hub"),
        ({"answered_at": "2025-03-01T20:00:00+07:00"}, "answered_at"),
    ]:
        response = client.post(
            "/api/consultations/", _api_data(network, **extra), content_type=JSON
        )
        assert response.status_code == 400, (extra, response.json())
        assert field in response.json()
    response = client.post("/api/consultations/", _api_data(network), content_type=JSON)
    assert response.status_code == 201, response.json()
    assert response.json()["response_hours"] == 0.5
    uid = response.json()["uid"]
    response = client.patch(
        f"/api/consultations/{uid}/",
        {"answered_at": "2025-03-01T20:00:00+07:00"},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "answered_at" in response.json()


# ---------------------------------------------------------------- tele-education


def test_a_session_with_attendance(network, users):
    specialty = make_consultation(network.tu_son, network.bvdk).specialty
    session = services.save_session(
        TeleEducationSession(
            hub=network.bvdk,
            topic="Hồi sức sơ sinh",
            specialty=specialty,
            date=datetime.date(2025, 4, 22),
            duration_hours=Decimal("1.5"),
        ),
        [network.tien_du],
        [(network.tien_du, 12), (network.tu_son, 8)],
    )
    assert set(session.spokes.all()) == {network.tien_du, network.tu_son}
    assert sum(a.attendees for a in session.attendances.all()) == 20
    with pytest.raises(ValidationError) as exc:
        services.save_session(
            TeleEducationSession(
                hub=network.bvdk, topic="X", date=datetime.date(2025, 4, 22), duration_hours=0
            ),
            [network.bvdk],
        )
    assert {"spokes", "duration_hours"} <= set(exc.value.message_dict)
    response = api(users.doh).post(
        "/api/tele-education/",
        {
            "hub": network.bvdk.uid,
            "topic": "Đột quỵ não",
            "date": "2025-05-01",
            "duration_hours": "2.0",
            "attendances": [{"facility": network.tu_son.uid, "attendees": 7}],
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    assert response.json()["spokes"] == [network.tu_son.uid]
    page = api(users.clerk).get("/telehealth/sessions/", {"export": "xlsx"})
    assert page.status_code == 200


def test_the_pages_render(network, users):
    c = make_consultation(network.tien_du, network.bvdk, hours=3, outcome=Outcome.REFERRED)
    session = services.save_session(
        TeleEducationSession(
            hub=network.bvdk,
            topic="Sàng lọc sơ sinh",
            date=datetime.date(2025, 4, 22),
            duration_hours=Decimal("2"),
        ),
        [],
        [(network.tien_du, 11)],
    )
    client = api(users.clerk)
    for url in [
        "/telehealth/",
        "/telehealth/add/",
        f"/telehealth/{c.uid}/edit/",
        "/telehealth/figures/?by=month&group=spoke",
        "/telehealth/sessions/",
        "/telehealth/sessions/add/",
        f"/telehealth/sessions/{session.uid}/edit/",
    ]:
        assert client.get(url).status_code == 200, url
    detail = client.get(f"/telehealth/sessions/{session.uid}/").content.decode()
    assert "Sàng lọc sơ sinh" in detail and network.tien_du.name in detail
    response = client.post(
        f"/telehealth/sessions/{session.uid}/edit/",
        {
            "hub": network.bvdk.pk,
            "topic": "Sàng lọc sơ sinh",
            "date": "2025-04-22",
            "duration_hours": "2",
            "att-TOTAL_FORMS": "2",
            "att-INITIAL_FORMS": "0",
            "att-0-facility": network.tien_du.pk,
            "att-0-attendees": "14",
            "att-1-facility": network.tu_son.pk,
            "att-1-attendees": "6",
        },
    )
    assert response.status_code == 302
    assert sum(a.attendees for a in session.attendances.all()) == 20
