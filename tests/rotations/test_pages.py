"""List filters, the .xlsx export, the detail page, the timeline and the demo loader."""

import datetime
import re

import pytest
from django.urls import reverse

from doha.orgunits.models import FacilityType
from doha.programmes.models import Framework, ProgrammeKind
from doha.rotations.demo import load_demo_rotations
from doha.rotations.models import Rotation, RotationKind, RotationStatus
from tests.factories import OrgUnitFactory
from tests.mixins import new_client, table_from_export
from tests.rotations.factories import (
    TechniqueFactory,
    WorkerFactory,
    make_rotation,
    programme_between,
)

D = datetime.date


@pytest.fixture
def rotations(network):
    a = WorkerFactory(facility=network.bvdk, full_name="Nguyễn Hữu Tiến")
    b = WorkerFactory(facility=network.bvdk, full_name="Phạm Thị Hằng")
    plan = programme_between(network.bvdk, network.tien_du, title="Kế hoạch hỗ trợ Tiên Du")
    technique = TechniqueFactory(name="Nội soi ổ bụng", code="NS.01")
    r1 = make_rotation(
        a,
        network.tien_du,
        start=D(2024, 2, 1),
        end=D(2024, 7, 31),
        programme=plan,
        techniques=[technique],
        kind=RotationKind.SECONDMENT,
    )
    r2 = make_rotation(
        b, network.tu_son, start=D(2024, 11, 1), end=D(2025, 2, 28), kind=RotationKind.ROTATION
    )
    return r1, r2


@pytest.fixture
def line_client(users):
    client = new_client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users.line)
    return client


def listed(response):
    return {r.uid for r in response.context["page_obj"].object_list}


def test_list_filters(rotations, network, line_client):
    r1, r2 = rotations
    url = reverse("rotations:list")
    assert listed(line_client.get(url)) == {r1.uid, r2.uid}
    assert listed(line_client.get(url, {"kind": "rotation"})) == {r2.uid}
    assert listed(line_client.get(url, {"worker": "hang"})) == {r2.uid}  # accents ignored
    assert listed(line_client.get(url, {"to_facility": network.tien_du.uid})) == {r1.uid}
    assert listed(line_client.get(url, {"from_facility": network.bvdk.uid})) == {r1.uid, r2.uid}
    assert listed(line_client.get(url, {"programme": r1.programme.uid})) == {r1.uid}
    assert listed(line_client.get(url, {"status": "planned"})) == {r1.uid, r2.uid}
    assert listed(line_client.get(url, {"period_from": "2025-01-01"})) == {r2.uid}
    period = {"period_from": "2024-03-01", "period_to": "2024-04-30"}
    assert listed(line_client.get(url, period)) == {r1.uid}


def test_xlsx_export(rotations, line_client):
    r1, r2 = rotations
    response = line_client.get(reverse("rotations:list"), {"export": "xlsx", "kind": "secondment"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    header, rows = table_from_export(response)
    assert len(header) == 16 and header[0] == "UID"
    assert [r[0] for r in rows] == [r1.uid]
    row = rows[0]
    assert row[2] == "Nguyễn Hữu Tiến"
    assert row[3] == "Bệnh viện Đa khoa tỉnh Bắc Ninh" and row[4] == "Trung tâm Y tế Tiên Du"
    assert row[5:7] == ["01/02/2024", "31/07/2024"]
    assert row[7] == str(r1.programme)
    assert row[10] == "Nội soi ổ bụng"


def test_detail_and_cancel_page(rotations, line_client):
    r1, _r2 = rotations
    text = line_client.get(reverse("rotations:detail", args=[r1.uid])).content.decode()
    assert "Nguyễn Hữu Tiến" in text and "Nội soi ổ bụng" in text
    assert reverse("rotations:outputs", args=[r1.uid]) in text
    response = line_client.post(reverse("rotations:cancel", args=[r1.uid]), {"cancel_reason": ""})
    assert response.status_code == 400  # the reason is required
    response = line_client.post(
        reverse("rotations:cancel", args=[r1.uid]), {"cancel_reason": "Bệnh viện thiếu người"}
    )
    assert response.status_code == 302
    assert Rotation.objects.get(pk=r1.pk).status == RotationStatus.CANCELLED


def _cells(html, uid):
    row = re.search(rf'<tr data-uid="{uid}">(.*?)</tr>', html, re.S).group(1)
    return [("on" in c) for c in re.findall(r'<td class="m([^"]*)"', row)]


def test_timeline_shows_who_is_where_each_month(rotations, network, line_client):
    r1, r2 = rotations
    url = reverse("rotations:timeline")
    html = line_client.get(url, {"year": 2024}).content.decode()
    # One table per receiving facility, each worker in the facility's table.
    assert html.index("Trung tâm Y tế Tiên Du") < html.index("Nguyễn Hữu Tiến")
    assert html.index("Trung tâm Y tế Từ Sơn") < html.index("Phạm Thị Hằng")
    assert _cells(html, r1.uid) == [False] + [True] * 6 + [False] * 5  # Feb-Jul
    assert _cells(html, r2.uid) == [False] * 10 + [True] * 2  # Nov-Dec
    html = line_client.get(url, {"year": 2025}).content.decode()
    assert r1.uid not in html
    assert _cells(html, r2.uid) == [True] * 2 + [False] * 10
    html = line_client.get(url, {"year": 2024, "facility": network.tien_du.uid}).content.decode()
    assert r1.uid in html and r2.uid not in html
    html = line_client.get(url, {"year": 2020}).content.decode()
    assert 'id="timeline-empty"' in html


def test_timeline_leaves_out_cancelled(rotations, line_client):
    from doha.rotations import services

    r1, _r2 = rotations
    services.cancel_rotation(r1, reason="Đổi kế hoạch")
    html = line_client.get(reverse("rotations:timeline"), {"year": 2024}).content.decode()
    assert r1.uid not in html


def test_demo_is_idempotent(network):
    plan = programme_between(
        network.bvdk,
        network.tien_du,
        kind=ProgrammeKind.SUPPORT_PLAN,
        start_date=D(2022, 1, 1),
        end_date=D(2023, 12, 31),
    )
    bvtw = OrgUnitFactory(
        code="BVTW-TN",
        name="Bệnh viện Trung ương Thái Nguyên",
        facility_type=FacilityType.CENTRAL_HOSPITAL
        if hasattr(FacilityType, "CENTRAL_HOSPITAL")
        else FacilityType.PROVINCIAL_HOSPITAL,
        parent=network.moh,
    )
    syt_bk = OrgUnitFactory(
        code="BK-SYT", name="Sở Y tế Bắc Kạn", facility_type=FacilityType.DOH, parent=network.moh
    )
    OrgUnitFactory(
        code="BK-TTYT-CHOMOI",
        name="Trung tâm Y tế Chợ Mới",
        facility_type=FacilityType.HEALTH_CENTRE,
        parent=syt_bk,
    )
    programme_between(bvtw, syt_bk, framework=Framework.PROJECT_1816, start_date=D(2024, 9, 1))
    created = load_demo_rotations()
    assert created == 8
    assert load_demo_rotations() == 0
    tien_du = Rotation.objects.filter(to_facility=network.tien_du)
    assert tien_du.count() == 5
    assert set(tien_du.values_list("programme", flat=True)) == {plan.pk}
    assert set(tien_du.values_list("kind", flat=True)) == {"rotation", "secondment"}
    assert all(r.has_outputs for r in Rotation.objects.all())
    bk = Rotation.objects.filter(to_facility__code__startswith="BK-TTYT-")
    assert bk.count() == 3 and all(r.from_facility == bvtw for r in bk)
