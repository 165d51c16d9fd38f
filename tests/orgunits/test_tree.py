"""The facility tree: the top of the user's scope, one level at a time, on any date."""

import datetime

import pytest

from doha.orgunits import services
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.usefixtures("shared_world")

TREE = "/orgunits/tree/"


def nodes(response):
    assert response.status_code == 200
    return [(n.code, n.child_count) for n in response.context["nodes"]]


@pytest.mark.parametrize(
    ("role", "roots"),
    [
        ("admin", [("BYT", 2)]),
        ("doh", [("BN-SYT", 3)]),
        ("line", [("BN-SYT", 3)]),
        ("viewer", [("BN-SYT", 3)]),
        ("clerk", [("BN-TTYT-TIENDU", 1)]),
        ("doh_tn", [("TN-SYT", 1)]),
    ],
)
def test_the_tree_opens_on_the_top_of_the_users_scope(client, users, role, roots):
    client.force_login(getattr(users, role))
    response = client.get(TREE)
    assert nodes(response) == roots
    assert "<html" in response.content.decode()


def test_the_tree_shows_nothing_outside_the_scope(client, users, network):
    client.force_login(users.doh_tn)
    page = client.get(TREE).content.decode()
    assert "Sở Y tế tỉnh Thái Nguyên" in page
    for name in ("Bộ Y tế</a>", "Sở Y tế tỉnh Bắc Ninh", "Trung tâm Y tế Tiên Du"):
        assert name not in page


def test_opening_a_node_returns_its_children_in_vietnamese_order(client, users, network):
    client.force_login(users.doh)
    response = client.get(TREE, {"parent": network.syt_bn.uid}, HTTP_HX_REQUEST="true")
    assert nodes(response) == [("BN-BVDK", 0), ("BN-TTYT-TIENDU", 1), ("BN-TTYT-TUSON", 1)]
    html = response.content.decode()
    assert "<html" not in html  # an htmx partial, not a page
    assert f"parent={network.tien_du.uid}" in html  # the next level loads on demand
    assert f"parent={network.bvdk.uid}" not in html  # a leaf has nothing to load


def test_a_node_outside_the_scope_cannot_be_opened(client, users, network):
    client.force_login(users.doh)
    assert client.get(TREE, {"parent": network.syt_tn.uid}).status_code == 404
    assert client.get(TREE, {"parent": "NOSUCHUNIT1"}).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, network):
    response = client.get(TREE, {"parent": network.syt_bn.uid})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_retired_units_are_hidden_unless_asked_for(client, users, network):
    services.retire_org_unit(network.tyt_tu_son, datetime.date(2025, 12, 31))
    client.force_login(users.doh)
    assert nodes(client.get(TREE, {"parent": network.tu_son.uid})) == []
    assert nodes(client.get(TREE, {"parent": network.syt_bn.uid}))[2] == ("BN-TTYT-TUSON", 0)
    shown = client.get(TREE, {"parent": network.tu_son.uid, "retired": "1"})
    assert nodes(shown) == [("TYT-TUSON", 0)]


@pytest.fixture
def moved(network):
    """Từ Sơn's station moved under Tiên Du on 2025-09-01."""
    services.move_org_unit(network.tyt_tu_son, network.tien_du, datetime.date(2025, 9, 1))
    return network


def children_on(client, parent, date):
    return nodes(client.get(TREE, {"parent": parent.uid, "date": date}))


def test_the_tree_as_of_a_date_shows_the_places_of_that_day(client, users, moved):
    client.force_login(users.doh)
    assert children_on(client, moved.tu_son, "2025-08-31") == [("TYT-TUSON", 0)]
    assert children_on(client, moved.tien_du, "2025-08-31") == [("TYT-09319", 0)]
    assert children_on(client, moved.tu_son, "2025-09-01") == []
    assert children_on(client, moved.tien_du, "2025-09-01") == [("TYT-TUSON", 0), ("TYT-09319", 0)]
    # Today, without a date, as on the move date.
    assert nodes(client.get(TREE, {"parent": moved.tien_du.uid})) == [
        ("TYT-TUSON", 0),
        ("TYT-09319", 0),
    ]


def test_child_counts_follow_the_date(client, users, moved):
    client.force_login(users.doh)
    before = dict(children_on(client, moved.syt_bn, "2025-08-31"))
    after = dict(children_on(client, moved.syt_bn, "2025-09-01"))
    assert (before["BN-TTYT-TIENDU"], before["BN-TTYT-TUSON"]) == (1, 1)
    assert (after["BN-TTYT-TIENDU"], after["BN-TTYT-TUSON"]) == (2, 0)


def test_the_roots_as_of_a_date_are_the_top_of_the_scope(client, users, moved):
    client.force_login(users.doh)
    response = client.get(TREE, {"date": "2025-08-31"})
    assert nodes(response) == [("BN-SYT", 3)]
    assert "31/08/2025" in response.content.decode()


def test_units_not_yet_open_or_already_closed_are_not_in_the_tree_of_that_day(
    client, users, network
):
    OrgUnitFactory(
        code="TYT-MOI",
        name="Trạm Y tế mở năm 2026",
        parent=network.tien_du,
        opening_date=datetime.date(2026, 1, 1),
    )
    services.retire_org_unit(network.tyt_tien_du, datetime.date(2025, 12, 31))
    client.force_login(users.doh)
    assert children_on(client, network.tien_du, "2025-12-30") == [("TYT-09319", 0)]
    assert children_on(client, network.tien_du, "2025-12-31") == []
    assert children_on(client, network.tien_du, "2026-01-01") == [("TYT-MOI", 0)]
