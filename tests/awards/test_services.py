"""The rules of awards (one recipient, one issuer, decision date, scope), the pages showing
them (programme, person), the export and the demo."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from doha.awards import services
from doha.awards.demo import load_demo_awards
from doha.awards.models import Award, AwardKind
from doha.orgunits.models import FacilityType
from doha.programmes.models import Programme, ProgrammeKind
from tests.awards.factories import make_award, make_worker
from tests.factories import OrgUnitFactory
from tests.mixins import new_client, table_from_export

D = datetime.date


def login(user):
    client = new_client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def award(network, **kwargs):
    values = {
        "kind": AwardKind.MERIT,
        "decision_number": "5/QĐ-SYT",
        "decision_date": D(2024, 5, 1),
        "issuer": network.syt_bn,
    }
    values.update(kwargs)
    return Award(**values)


def errors(exc):
    return exc.value.message_dict


def test_exactly_one_recipient(network):
    worker = make_worker(network.tien_du)
    with pytest.raises(ValidationError) as exc:
        services.save_award(award(network))
    assert errors(exc)["recipient_unit"] == [
        "Give either the recipient unit or the recipient person."
    ]
    with pytest.raises(ValidationError) as exc:
        services.save_award(award(network, recipient_unit=network.tien_du, recipient_person=worker))
    assert "recipient_unit" in errors(exc)
    saved = services.save_award(award(network, recipient_person=worker))
    assert saved.recipient_name == worker.full_name


def test_exactly_one_issuer(network):
    with pytest.raises(ValidationError) as exc:
        services.save_award(award(network, issuer=None, recipient_unit=network.tien_du))
    assert "issuer" in errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.save_award(
            award(network, issuer_name="UBND tỉnh Bắc Ninh", recipient_unit=network.tien_du)
        )
    assert "issuer" in errors(exc)
    outside = services.save_award(
        award(network, issuer=None, issuer_name="UBND tỉnh Bắc Ninh", recipient_unit=network.bvdk)
    )
    assert outside.issuer_display == "UBND tỉnh Bắc Ninh"


def test_decision_date_not_in_the_future_and_number_required(network):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.save_award(
            award(network, decision_date=tomorrow, decision_number=" ", recipient_unit=network.bvdk)
        )
    assert errors(exc)["decision_date"] == ["The decision date cannot be in the future."]
    assert "decision_number" in errors(exc)


def test_scope_of_the_parties(network, users):
    # Thái Nguyên's DOH cannot record an award between two Bắc Ninh units.
    with pytest.raises(ValidationError) as exc:
        services.save_award(award(network, recipient_unit=network.tien_du), user=users.doh_tn)
    assert errors(exc)["recipient_unit"] == [
        "Either the issuer or the recipient must be in your scope."
    ]
    # ...but may recognise one of its own units, whoever issues.
    services.save_award(award(network, recipient_unit=network.phu_binh), user=users.doh_tn)


def test_viewer_cannot_change(network, users):
    a = make_award(network.syt_bn, unit=network.tien_du)
    a.reason = "x"
    with pytest.raises(Exception) as exc:
        services.save_award(a, user=users.viewer)
    assert type(exc.value).__name__ == "PermissionDenied"
    response = login(users.viewer).post(reverse("awards:edit", args=[a.uid]), {"reason": "y"})
    assert response.status_code == 403


def test_form_errors_name_the_field(network, users):
    response = login(users.doh).post(
        reverse("awards:add"),
        {
            "kind": "merit",
            "decision_number": "7/QĐ-SYT",
            "decision_date": "2024-01-05",
            "issuer": network.syt_bn.pk,
        },
    )
    assert response.status_code == 400
    assert "Give either the recipient unit or the recipient person." in response.content.decode()


def test_api_error_and_schema(network, users):
    client = login(users.doh)
    response = client.post(
        "/api/awards/",
        {
            "kind": "merit",
            "decision_number": "9/QĐ",
            "decision_date": "2024-01-05",
            "issuer": network.syt_bn.uid,
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "recipient_unit" in response.json()
    schema = client.get("/api/schema/")
    assert b"/api/awards/" in schema.content


def test_export_xlsx_and_filters(network, users):
    worker = make_worker(network.tien_du, "Đỗ Thị Mai")
    make_award(network.syt_bn, person=worker, number="1/GK", kind=AwardKind.MERIT)
    make_award(network.syt_bn, unit=network.bvdk, number="2/BK", kind=AwardKind.COMMENDATION)
    client = login(users.doh)
    response = client.get(reverse("awards:list"), {"export": "xlsx", "kind": "merit"})
    header, rows = table_from_export(response)
    assert header[:4] == ["UID", "Kind", "Decision number", "Decision date"]
    assert [(r[2], r[5], r[6]) for r in rows] == [("1/GK", "Đỗ Thị Mai", network.tien_du.name)]
    response = client.get(reverse("awards:list"), {"q": "do thi mai"})
    assert response.context["total"] == 1


def test_blocks_on_programme_and_person_pages(network, users):
    programme = Programme.objects.create(
        title="Chương trình hợp tác",
        kind=ProgrammeKind.COOPERATION,
        start_date=D(2024, 1, 1),
        end_date=D(2026, 12, 31),
    )
    worker = make_worker(network.bvdk, "Vũ Văn Nam")
    a = make_award(network.syt_bn, person=worker, number="77/GK-SYT", programme=programme)
    client = login(users.admin)
    page = client.get(programme.get_absolute_url()).content.decode()
    assert "77/GK-SYT" in page and 'id="awards"' in page
    page = client.get(worker.get_absolute_url()).content.decode()
    assert "77/GK-SYT" in page and a.get_absolute_url() in page
    # Out of scope: Thái Nguyên's DOH sees the block without the award.
    assert "77/GK-SYT" not in login(users.doh_tn).get(reverse("awards:list")).content.decode()


def test_change_is_audited(network, users):
    a = make_award(network.syt_bn, unit=network.tien_du, number="55/QĐ")
    client = login(users.doh)
    data = {
        "kind": "merit",
        "decision_number": "55/QĐ",
        "decision_date": "2024-12-20",
        "issuer": network.syt_bn.pk,
        "recipient_unit": network.tien_du.pk,
        "reason": "Sửa lý do",
    }
    assert client.post(reverse("awards:edit", args=[a.uid]), data).status_code == 302
    page = client.get(a.get_absolute_url()).content.decode()
    assert "Sửa lý do" in page and "syt.bn" in page


def test_demo_awards(db, network):
    moh = network.moh
    syt_dn = OrgUnitFactory(
        code="DNO-SYT", name="Sở Y tế tỉnh Đắk Nông", parent=moh, facility_type=FacilityType.DOH
    )
    syt_hcm = OrgUnitFactory(
        code="HCM-SYT", name="Sở Y tế TP.HCM", parent=moh, facility_type=FacilityType.DOH
    )
    OrgUnitFactory(
        code="HCM-BVND2",
        name="Bệnh viện Nhi Đồng 2",
        parent=syt_hcm,
        facility_type=FacilityType.SPECIALTY_HOSPITAL,
    )
    programme = Programme.objects.create(
        number="544/CT-SYT",
        title="544",
        kind=ProgrammeKind.COOPERATION,
        start_date=D(2016, 5, 6),
        end_date=D(2020, 12, 31),
    )
    assert load_demo_awards() == 2
    assert load_demo_awards() == 0
    awards = list(Award.objects.order_by("decision_number"))
    assert [a.issuer for a in awards] == [syt_dn, syt_dn]
    assert {a.recipient_person.position for a in awards} == {
        "Trưởng phòng Chỉ đạo tuyến",
        "Trưởng khoa Hồi sức sơ sinh",
    }
    assert all(a.programme == programme and a.kind == AwardKind.MERIT for a in awards)
    assert all(a.decision_date == D(2017, 9, 30) for a in awards)
