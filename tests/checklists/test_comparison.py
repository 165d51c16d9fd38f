"""The previous fill: latest earlier submitted fill of the same code (any version), same
visit kind, same facility; the change per section and overall in score points."""

import datetime
from decimal import Decimal

from doha.checklists import services
from doha.visits.models import VisitKind
from tests.checklists.factories import make_fill, make_template, make_visit

D = datetime.date
GOOD = [True, 4, 90, 10, 5]  # 100 and 100
FAIR = [True, 2, 45, 10, 3]  # section 1: (1 + 1.5 + 0.5) / 5 = 60; section 2: 60
POOR = [False, 0, 0, 10, 1]  # 0 and 20


def test_comparison_picks_the_right_previous_fill(network):
    v1 = make_template(network.syt_bn)
    other_code = make_template(network.syt_bn, code="KHAC")
    fill = lambda template, host, date, answers, **kw: make_fill(  # noqa: E731
        template,
        make_visit(host, network.syt_bn, date, kw.pop("kind", "supervision")),
        answers,
        **kw,
    )

    oldest = fill(v1, network.tien_du, D(2023, 5, 1), POOR)
    previous = fill(v1, network.tien_du, D(2024, 5, 1), FAIR)
    # Not candidates: a draft, another facility, another kind, another code, a later one.
    fill(v1, network.tien_du, D(2024, 9, 1), GOOD, submit=False)
    fill(v1, network.tu_son, D(2024, 10, 1), GOOD)
    fill(v1, network.tien_du, D(2024, 11, 1), GOOD, kind=VisitKind.ASSESSMENT)
    fill(other_code, network.tien_du, D(2024, 12, 1), GOOD)
    later = fill(v1, network.tien_du, D(2026, 1, 1), POOR)

    # A new version of the same code still compares with fills of the earlier version.
    v2 = services.new_version(v1)
    services.publish(v2)
    now = fill(v2, network.tien_du, D(2025, 5, 1), GOOD)

    assert services.previous_fill(now) == previous
    assert services.previous_fill(previous) == oldest
    assert services.previous_fill(oldest) is None
    assert services.previous_fill(later) == now

    comparison = services.compare_with_previous(now)
    assert comparison.previous == previous
    assert (comparison.overall.previous, comparison.overall.now) == (Decimal("60.0"), 100)
    assert comparison.overall.delta == Decimal("40.0")
    assert [(c.title, c.delta) for c in comparison.sections] == [
        ("Kiểm soát nhiễm khuẩn", Decimal("40.0")),
        ("Hồ sơ bệnh án", Decimal("40.0")),
    ]


def test_same_day_fills_follow_the_order_of_recording(network):
    template = make_template(network.syt_bn)
    visit = make_visit(network.tien_du, network.syt_bn)
    first = make_fill(template, visit, FAIR)
    second = make_fill(template, visit, GOOD)
    assert services.previous_fill(second) == first
    assert services.previous_fill(first) is None


def test_comparison_shows_only_fills_the_user_may_see(network, users):
    """A fill by another visiting unit at the same facility is out of the visitor's scope."""
    template = make_template(network.syt_bn)
    mine = make_fill(template, make_visit(network.tien_du, network.syt_bn, D(2024, 1, 5)), FAIR)
    by_tn = make_fill(template, make_visit(network.tien_du, network.syt_tn, D(2025, 1, 5)), GOOD)
    assert services.previous_fill(by_tn) == mine
    assert services.previous_fill(by_tn, users.doh) == mine  # Tiên Du is in Bắc Ninh
    assert services.previous_fill(by_tn, users.doh_tn) is None  # Bắc Ninh's own fill
    assert services.compare_with_previous(by_tn, users.doh_tn) is None
