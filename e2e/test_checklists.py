"""Checklists in a browser (issue 11): the facility's clerk opens a supervision visit's
checklist form, is told which required question is missing, answers it, submits, and sees
the score of each section, the overall score and the change since the previous visit.

Pages are read in Vietnamese (the default language). Data are built per test.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from doha.checklists.models import ChecklistFill, FillStatus
from tests.checklists.factories import make_fill, make_template, make_visit, questions

pytestmark = pytest.mark.e2e


def test_fill_a_checklist_on_a_visit_and_see_the_scores(page, sign_in, network, users):
    template = make_template(network.syt_bn)
    earlier = make_visit(network.tien_du, network.syt_bn, datetime.date(2024, 3, 4))
    make_fill(template, earlier, [True, 2, 45, 10, 3])  # 60,0
    visit = make_visit(network.tien_du, network.syt_bn, datetime.date(2025, 3, 10))
    q = questions(template)

    sign_in("ttyt.tiendu")
    page.goto(f"/checklists/visit/{visit.uid}/fill/")
    page.locator("#id_template").select_option(value=template.uid)
    page.locator("#choose-template button[type=submit]").click()
    form = page.locator("#fill-form")
    expect(form.locator("fieldset.checklist-section")).to_have_count(2)
    expect(form.locator("fieldset.checklist-section legend").first).to_contain_text(
        "Kiểm soát nhiễm khuẩn"
    )
    expect(form.locator("#id_date")).to_have_value("2025-03-10")

    # The required first question left out: refused, naming it; the answers are kept.
    form.locator(f"#id_q_{q[1].pk}").fill("4")
    form.locator(f"#id_q_{q[2].pk}").fill("90")
    form.locator(f"#id_q_{q[4].pk}").fill("4")
    form.locator(f"#id_q_{q[5].pk}").fill("Hồ sơ ghi chép tốt hơn lần trước")
    form.locator("#submit-fill").click()
    expect(page.locator(f"ul.errorlist[data-field='q_{q[0].pk}']")).to_contain_text(
        "Phân loại chất thải đúng"
    )
    expect(page.locator(f"#id_q_{q[1].pk}")).to_have_value("4")
    assert not ChecklistFill.objects.filter(visit=visit).exists()

    page.locator(f"input[name='q_{q[0].pk}'][value='yes']").check()
    page.locator("#submit-fill").click()
    expect(page).to_have_url(re.compile(r"/checklists/fills/[A-Za-z0-9]{11}/$"))
    fill = ChecklistFill.objects.get(visit=visit)
    assert fill.status == FillStatus.SUBMITTED

    # Section 1: (1 + 3 + 1) / 5 = 100; section 2: 4 of 5 = 80; overall (2×100 + 80) / 3.
    scores = page.locator("#section-scores td.section-score")
    expect(scores).to_have_text(["100,0", "80,0"])
    expect(page.locator("#overall-score")).to_have_text("93,3")
    expect(page.locator("#comparison")).to_contain_text("60,0")
    expect(page.locator("#comparison")).to_contain_text("93,3")
    expect(page.locator("#overall-change")).to_have_text("+33,3")
    expect(page.locator("#section-scores td.section-change")).to_have_text(["+40,0", "+20,0"])
