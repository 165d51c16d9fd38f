"""Who opened or exported which person's record: every export writes one entry per exported
person (sharing an export id), and officers read the log of the persons in their scope."""

from auditlog.models import LogEntry
from django.urls import reverse

from doha.core import privacy
from doha.vaccines import clients
from doha.vaccines.models import Client
from tests.mixins import assert_login_redirect, new_client
from tests.vaccines.test_visits_setup import make_client, screened, service


def logged_in(user):
    c = new_client()
    c.force_login(user)
    return c


def vias(person):
    """Openings of the full record (one entry per opening)."""
    return [
        (e.actor.username if e.actor else None, (e.additional_data or {}).get("via"))
        for e in privacy.accesses_of(person)
    ]


def exports(person):
    return [(e.actor.username, e.additional_data["format"]) for e in privacy.exports_of(person)]


def test_client_export_is_one_entry_listing_the_exported_clients(cdc, person):
    other = make_client(cdc.point2_unit, full_name="Phạm Thị Hai", phone="0977222333")
    response = logged_in(cdc.cdc_clerk).get(reverse("vaccines:client-list"), {"export": "csv"})
    assert response.status_code == 200
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, additional_data__via="export")
    assert entry.actor == cdc.cdc_clerk
    assert sorted(entry.additional_data["uids"]) == sorted([person.uid, other.uid])
    assert entry.additional_data["count"] == 2
    assert entry.additional_data["model"] == "vaccines.Client"
    assert exports(person) == [("cdc.bn", "csv")]
    assert exports(other) == [("cdc.bn", "csv")]
    # An export (masked identifiers) is not an opening of the full record.
    assert vias(person) == []


def test_filtered_export_lists_only_the_exported_persons(cdc, person):
    other = make_client(cdc.point1_unit, full_name="Phạm Thị Hai", phone="0977222333")
    logged_in(cdc.point_clerk).get(reverse("vaccines:client-list"), {"export": "xlsx", "q": "Phạm"})
    assert exports(other) == [("diem1.bn", "xlsx")]
    assert exports(person) == []


def test_worker_exports_are_logged(users, worker, outsider_worker):
    logged_in(users.doh).get(reverse("people:worker_list"), {"export": "xlsx"})
    assert exports(worker) == [("syt.bn", "xlsx")]
    assert exports(outsider_worker) == []  # another province: not exported, not logged
    logged_in(users.doh).get(reverse("people:cme_shortfall"), {"export": "csv"})
    assert exports(worker) == [("syt.bn", "csv"), ("syt.bn", "xlsx")]


def test_visit_export_logs_the_clients_it_names(cdc):
    svc = service(cdc)
    screened(cdc, svc, minutes_ago=30)
    response = logged_in(cdc.point_clerk).get(reverse("vaccines:visit-list"), {"export": "csv"})
    assert response.status_code == 200
    assert exports(svc.child) == [("diem1.bn", "csv")]
    assert exports(svc.adult) == []


def test_opening_page_api_and_card_are_logged(cdc, person):
    c = logged_in(cdc.point_clerk)
    c.get(person.get_absolute_url())
    c.get(f"/api/vaccination-clients/{person.uid}/")
    assert [v for _u, v in vias(person)] == ["api", "page"]
    assert list(clients.access_log(person)) == list(privacy.accesses_of(person))


def test_access_log_page_is_scoped(cdc, users, person, tn_person, worker):
    logged_in(cdc.point_clerk).get(person.get_absolute_url())
    logged_in(cdc.tn_clerk).get(tn_person.get_absolute_url())
    logged_in(cdc.tn_clerk).get(reverse("vaccines:client-list"), {"export": "csv"})
    logged_in(users.clerk).get(worker.get_absolute_url())
    url = reverse("privacy:access-log")

    bn = logged_in(users.doh).get(url)
    assert bn.status_code == 200
    body = bn.content.decode()
    assert "Nguyễn Văn An" in body and "Trần Văn Bảo" in body
    assert "Lò Văn Xa" not in body

    assert "cdc.tn" not in body  # nor the exports made in Thái Nguyên

    tn = logged_in(users.doh_tn).get(url).content.decode()
    assert "Lò Văn Xa" in tn and "Nguyễn Văn An" not in tn
    assert "cdc.tn" in tn

    everyone = logged_in(users.admin).get(url).content.decode()
    assert "Lò Văn Xa" in everyone and "Nguyễn Văn An" in everyone


def test_access_log_filters_by_person_user_and_kind(cdc, users, person, worker):
    logged_in(cdc.point_clerk).get(person.get_absolute_url())
    logged_in(users.clerk).get(worker.get_absolute_url())
    c = logged_in(users.doh)
    url = reverse("privacy:access-log")
    by_person = c.get(url, {"person": person.uid}).content.decode()
    assert "Nguyễn Văn An" in by_person and "Trần Văn Bảo" not in by_person
    by_user = c.get(url, {"user": "ttyt.tiendu"}).content.decode()
    assert "Trần Văn Bảo" in by_user and "Nguyễn Văn An" not in by_user
    assert "No entry matches." in c.get(url, {"kind": "export"}).content.decode()
    logged_in(cdc.point_clerk).get(reverse("vaccines:client-list"), {"export": "csv"})
    exported = c.get(url, {"kind": "export", "person": person.uid}).content.decode()
    assert "diem1.bn" in exported and "1 person" in exported
    assert c.get(url, {"since": "not a date"}).status_code == 200


def test_access_log_and_inventory_are_refused_to_other_roles(users, cdc):
    for page in ("privacy:access-log", "privacy:inventory"):
        url = reverse(page)
        for user in (users.clerk, users.viewer, users.line, cdc.point_clerk):
            assert logged_in(user).get(url).status_code == 403, (page, user)
        assert_login_redirect(new_client().get(url))


def test_client_model_is_logged_under_its_content_type(cdc, person, worker):
    """A worker and a client with the same primary key are not mixed up."""
    privacy.log_access(person, cdc.point_clerk)
    assert privacy.subject_kind(privacy.accesses_of(person).get()) == "client"
    assert isinstance(person, Client)
