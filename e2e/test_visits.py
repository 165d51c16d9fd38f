"""Follow-up actions in a browser (issue 11): the facility's clerk opens an overdue action
from "my facility's actions", tries to close it without evidence (refused, the error under
the evidence field), closes it with evidence and sees it done and no longer overdue, on its
page and in the list.

Pages are read in Vietnamese (the default language): the checks use ids and classes.
"""

import datetime

import pytest
from playwright.sync_api import expect

from doha.visits.models import ActionStatus, FollowUpAction
from tests.visits.factories import make_action, make_visit

pytestmark = pytest.mark.e2e


def test_clerk_closes_an_overdue_action_with_evidence(page, sign_in, network, users):
    today = datetime.date.today()
    visit = make_visit(
        network.tien_du,
        network.syt_bn,
        title="Giám sát công tác chuyên môn tại TTYT Tiên Du",
        start_date=today - datetime.timedelta(days=60),
        end_date=today - datetime.timedelta(days=59),
    )
    overdue = make_action(
        visit,
        description="Thay và kiểm định bình chữa cháy tại khoa Dược",
        due=today - datetime.timedelta(days=10),
    )
    make_action(
        visit, description="Cập nhật quy trình chất thải", due=today + datetime.timedelta(days=20)
    )

    sign_in(users.clerk.username)
    page.goto("/visits/actions/mine/")
    row = page.locator(f"#action-table tr[data-uid='{overdue.uid}']")
    expect(row).to_have_class("overdue")
    expect(row.locator(".overdue-badge")).to_be_visible()
    expect(page.locator("#action-table tbody tr").first).to_have_attribute("data-uid", overdue.uid)

    row.locator("a", has_text="bình chữa cháy").click()
    expect(page.locator("#action-status .overdue-badge")).to_be_visible()

    # Without evidence: refused, the error under the evidence field.
    page.click("#close-button")
    expect(page.locator("#close-form ul.errorlist[data-field='evidence']")).to_be_visible()
    assert FollowUpAction.objects.get(pk=overdue.pk).status == ActionStatus.OPEN

    page.fill("#close-form textarea[name='evidence']", "Biên bản kiểm định bình chữa cháy")
    page.click("#close-button")
    expect(page.locator("#action-status .status-done")).to_be_visible()
    expect(page.locator("#action-status .overdue-badge")).to_have_count(0)
    expect(page.locator("#evidence")).to_contain_text("Biên bản kiểm định bình chữa cháy")
    expect(page.locator("#close-form")).to_have_count(0)

    action = FollowUpAction.objects.get(pk=overdue.pk)
    assert action.status == ActionStatus.DONE and action.closed_on == today
    assert not action.is_overdue and action.closed_on_time is False

    page.goto("/visits/actions/mine/")
    row = page.locator(f"#action-table tr[data-uid='{overdue.uid}']")
    expect(row.locator(".status-done")).to_be_visible()
    expect(row).not_to_have_class("overdue")
    expect(page.locator("#action-table tr.overdue")).to_have_count(0)
    expect(page.locator("#overdue-link")).to_contain_text("0")
