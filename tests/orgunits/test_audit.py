"""Every change to a facility is logged with who made it and the values before and after,
and the facility's page shows that history."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from doha.orgunits.models import OrgUnit


def entries(unit):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(OrgUnit), object_pk=str(unit.pk)
    ).order_by("timestamp", "pk")


def history_html(client, unit) -> str:
    """The "change history" part of the facility page (after the tree-history table)."""
    page = client.get(unit.get_absolute_url()).content.decode()
    return page[page.index('id="hierarchy"') :].split("</table>", 1)[1]


@pytest.fixture
def doh(client, users):
    client.force_login(users.doh)
    return client


def test_creating_through_the_form_logs_the_actor_and_the_values(doh, users, network):
    response = doh.post(
        "/orgunits/add/",
        {
            "code": "BN-TYT-LIM",
            "name": "Trạm Y tế Thị trấn Lim",
            "facility_type": "commune_station",
            "parent": network.tien_du.pk,
        },
    )
    assert response.status_code == 302
    unit = OrgUnit.objects.get(code="BN-TYT-LIM")
    [entry] = entries(unit)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == users.doh
    assert entry.changes_dict["name"][1] == "Trạm Y tế Thị trấn Lim"
    assert entry.changes_dict["code"][1] == "BN-TYT-LIM"
    # Derived columns are not noise in the log.
    assert not {"path", "search_text", "sort_name"} & set(entry.changes_dict)
    history = history_html(doh, unit)
    assert "syt.bn" in history
    assert "Trạm Y tế Thị trấn Lim" in history


def test_editing_through_the_form_logs_before_and_after(doh, users, network):
    unit = network.tyt_tien_du
    response = doh.post(
        f"/orgunits/{unit.uid}/edit/",
        {
            "code": unit.code,
            "name": "Trạm Y tế Xã Tiên Du (sau sáp nhập)",
            "facility_type": unit.facility_type,
            "technical_level": unit.technical_level,
            "admin_unit": unit.admin_unit_id,
        },
    )
    assert response.status_code == 302
    entry = entries(unit).last()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == users.doh
    assert entry.changes_dict["name"] == [
        "Trạm Y tế Xã Tiên Du",
        "Trạm Y tế Xã Tiên Du (sau sáp nhập)",
    ]
    assert set(entry.changes_dict) == {"name"}

    history = history_html(doh, unit)
    assert "syt.bn" in history
    assert "Trạm Y tế Xã Tiên Du</td>" in history  # before
    assert "Trạm Y tế Xã Tiên Du (sau sáp nhập)</td>" in history  # after
    # Newest first.
    assert doh.get(unit.get_absolute_url()).context["changes"][0] == entry


def test_moving_and_retiring_are_logged(doh, users, network):
    unit = network.tyt_tu_son
    doh.post(f"/orgunits/{unit.uid}/move/", {"parent": network.tien_du.pk, "date": "2025-09-01"})
    doh.post(f"/orgunits/{unit.uid}/retire/", {"date": "2025-12-31"})
    move, retire = list(entries(unit))[-2:]
    assert move.actor == retire.actor == users.doh
    assert move.changes_dict["parent"] == [str(network.tu_son.pk), str(network.tien_du.pk)]
    assert retire.changes_dict["active"] == ["True", "False"]
    assert retire.changes_dict["closing_date"][1] == "2025-12-31"


def test_api_changes_name_the_api_caller(client, users, network):
    client.force_login(users.doh_tn)
    unit = network.tyt_phu_binh
    response = client.patch(
        f"/api/facilities/{unit.uid}/",
        {"short_name": "TYT Phú Bình"},
        content_type="application/json",
    )
    assert response.status_code == 200
    entry = entries(unit).last()
    assert entry.actor == users.doh_tn
    assert entry.changes_dict["short_name"] == ["", "TYT Phú Bình"]


def test_api_changes_over_basic_auth_name_the_caller(client, users, network):
    """HTTP Basic authenticates inside DRF, after the audit middleware has run."""
    import base64

    token = base64.b64encode(f"syt.bn:{users.password}".encode()).decode()
    unit = network.tyt_tien_du
    response = client.patch(
        f"/api/facilities/{unit.uid}/",
        {"short_name": "TYT Tiên Du"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {token}",
    )
    assert response.status_code == 200
    assert entries(unit).last().actor == users.doh


def test_a_refused_change_logs_nothing(client, users, network):
    client.force_login(users.viewer)
    unit = network.tyt_tien_du
    count = entries(unit).count()
    response = client.post(
        f"/orgunits/{unit.uid}/edit/",
        {"code": unit.code, "name": "Không được sửa", "facility_type": unit.facility_type},
    )
    assert response.status_code == 403
    assert entries(unit).count() == count


def test_the_audit_log_page_is_for_system_administrators(client, users, network):
    client.force_login(users.doh)
    client.post(
        f"/orgunits/{network.tyt_tien_du.uid}/edit/",
        {"code": "TYT-09319", "name": "Tên mới để kiểm tra", "facility_type": "commune_station"},
    )
    assert client.get("/audit/").status_code == 403
    client.force_login(users.admin)
    page = client.get("/audit/")
    assert page.status_code == 200
    assert "Tên mới để kiểm tra" in page.content.decode()
