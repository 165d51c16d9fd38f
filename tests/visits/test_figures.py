"""The monthly share of follow-up actions closed on time, in the aggregate layer: two computed
data elements per owner facility and month of the due date, an indicator dividing them, the
``compute_actions`` command and the recompute after every saved action."""

import io

import pytest
from django.core.management import call_command

from doha.aggregate.models import DataElement, DataSet, DataValue
from doha.analytics.models import Indicator
from doha.analytics.query import run_query
from doha.visits import figures, services
from tests.visits.factories import D, make_action, make_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def values(code, unit) -> dict[str, str]:
    qs = DataValue.objects.filter(data_element__code=code, org_unit=unit, deleted=False)
    return dict(qs.values_list("period", "value"))


@pytest.fixture
def april(network):
    """Five actions of Tiên Du due in April 2026: two done on time, one late, one open, one
    dropped; one of Từ Sơn due in May, still open."""
    visit = make_visit(network.tien_du, network.syt_bn)
    close = services.CLOSE
    a = {
        "on_time": make_action(visit, due=D(2026, 4, 10)),
        "late": make_action(visit, due=D(2026, 4, 20)),
        "open": make_action(visit, due=D(2026, 4, 25)),
        "due_day": make_action(visit, due=D(2026, 4, 28)),
        "dropped": make_action(visit, due=D(2026, 4, 15)),
    }
    services.change_status(a["on_time"], close, evidence="x", on=D(2026, 4, 8))
    services.change_status(a["late"], close, evidence="x", on=D(2026, 4, 30))
    services.change_status(a["due_day"], close, evidence="x", on=D(2026, 4, 28))
    services.change_status(a["dropped"], services.DROP, reason="Không còn phù hợp")
    other = make_visit(network.tu_son, network.syt_bn)
    a["tu_son"] = make_action(other, due=D(2026, 5, 5))
    return a


def test_figures_of_a_month(network, april):
    found = figures.figures(D(2026, 4, 1), D(2026, 5, 31))
    assert found[figures.FOLLOWUP_DUE] == {
        (network.tien_du.pk, D(2026, 4, 1)): 4,
        (network.tu_son.pk, D(2026, 5, 1)): 1,
    }
    assert found[figures.FOLLOWUP_ON_TIME] == {
        (network.tien_du.pk, D(2026, 4, 1)): 2,
        (network.tu_son.pk, D(2026, 5, 1)): 0,
    }
    assert figures.on_time_share(network.tien_du, D(2026, 4, 1)) == 50.0
    assert figures.on_time_share(network.tien_du, D(2026, 5, 1)) is None


def test_compute_writes_the_values_and_the_indicator_reads_them(network, users, april):
    summary = figures.compute_actions("202604", "202605")
    assert not summary.conflicts
    assert values("ACT_FOLLOWUP_DUE", network.tien_du) == {"202604": "4"}
    assert values("ACT_FOLLOWUP_ON_TIME", network.tien_du) == {"202604": "2"}
    # A month with actions due keeps its zero: "none on time" is information.
    assert values("ACT_FOLLOWUP_ON_TIME", network.tu_son) == {"202605": "0"}
    assert (
        DataSet.objects.get(code="DS_VISIT_ACTIONS")
        .org_units.filter(pk=network.tien_du.pk)
        .exists()
    )
    indicator = Indicator.objects.get(code="IND_FOLLOWUP_ON_TIME")
    result = run_query(users.doh, dx=[indicator.uid], pe=["202604"], ou=[network.tien_du.uid])
    assert result.value(indicator.uid, "202604", network.tien_du.uid) == 50
    # The province: 2 on time of 4 due in April.
    due = DataElement.objects.get(code="ACT_FOLLOWUP_DUE")
    result = run_query(users.doh, dx=[due.uid], pe=["202604"], ou=[network.syt_bn.uid])
    assert result.value(due.uid, "202604", network.syt_bn.uid) == 4

    again = figures.compute_actions("202604", "202605")
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == 4


def test_the_command_computes_and_a_dry_run_writes_nothing(network, april):
    out = io.StringIO()
    call_command("compute_actions", "--start", "202604", "--end", "202605", "--dry-run", stdout=out)
    assert "would be created" in out.getvalue()
    assert values("ACT_FOLLOWUP_DUE", network.tien_du) == {}
    out = io.StringIO()
    call_command(
        "compute_actions",
        "--start",
        "202604",
        "--end",
        "202605",
        "--org-unit",
        network.tien_du.code,
        stdout=out,
    )
    assert "2 values were created" in out.getvalue()
    assert values("ACT_FOLLOWUP_DUE", network.tien_du) == {"202604": "4"}
    assert values("ACT_FOLLOWUP_DUE", network.tu_son) == {}


def test_a_saved_action_recomputes_its_owners_month(network, april, committed):
    figures.compute_actions("202604", "202604")
    committed(services.change_status, april["open"], services.DROP, reason="Đã thay thiết bị")
    assert values("ACT_FOLLOWUP_DUE", network.tien_du) == {"202604": "3"}
    assert values("ACT_FOLLOWUP_ON_TIME", network.tien_du) == {"202604": "2"}

    # Moving an open action to another owner and month recomputes both.
    visit = april["late"].visit
    action = make_action(visit, due=D(2026, 4, 12))
    committed(services.change_status, action, services.START)
    assert values("ACT_FOLLOWUP_DUE", network.tien_du) == {"202604": "4"}
    action.refresh_from_db()
    action.owner_facility = network.tu_son
    action.due_date = D(2026, 5, 10)
    committed(services.save_action, action)
    assert values("ACT_FOLLOWUP_DUE", network.tien_du) == {"202604": "3"}
    assert values("ACT_FOLLOWUP_ON_TIME", network.tien_du) == {"202604": "2"}
    assert values("ACT_FOLLOWUP_DUE", network.tu_son) == {"202605": "2"}
    assert values("ACT_FOLLOWUP_ON_TIME", network.tu_son) == {"202605": "0"}


def test_an_action_due_in_a_future_month_writes_no_value_yet(network, committed):
    visit = make_visit(network.tien_du, network.syt_bn)
    committed(make_action, visit, due=D(2099, 1, 31))
    assert values("ACT_FOLLOWUP_DUE", network.tien_du) == {}
