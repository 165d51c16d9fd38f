"""Line direction in a browser (issue 3): a health centre registers its needs in a survey,
the DOH accepts a matching proposal into a programme, the line-direction office takes the
transfer to acceptance (refused with too few independent cases, then allowed).

Data are built per test: a small catalogue with the seeds' neonatal techniques, an open
survey of SYT Bắc Ninh asking the two health centres, and upper-level programmes.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from doha.catalog.models import Acquisition, FacilityCapability
from doha.core.permissions import Role
from doha.programmes import services as programme_services
from doha.programmes.models import (
    ContentArea,
    NeedStatus,
    ProgrammeKind,
    ResponseStatus,
    SurveyResponse,
    TechniqueNeed,
    TrainingKind,
    TrainingNeed,
)
from doha.transfers.models import CaseKind, TechniqueTransfer, TransferState
from tests.catalog.factories import CapabilityFactory, SpecialtyFactory, TechniqueFactory
from tests.factories import UserFactory
from tests.programmes.factories import SurveyFactory, make_programme
from tests.transfers.factories import make_transfer

pytestmark = pytest.mark.e2e

D = datetime.date


def exact(text):
    """The whole text, whitespace around it aside."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


@pytest.fixture
def staff(users, network):
    """Besides ``users``: the clerk of another district's health centre and the
    line-direction officer of the provincial hospital (whose scope is the province)."""
    users.clerk_tu_son = UserFactory(
        username="ttyt.tuson", role=Role.DATA_CLERK, org_unit=network.tu_son
    )
    users.line = UserFactory(username="cdt.bvdk", role=Role.LINE_OFFICER, org_unit=network.bvdk)
    return users


@pytest.fixture
def catalogue(transactional_db):
    """Two specialties and the seeds' techniques, allowed at the basic and specialised
    levels (a health centre of the basic level may receive them without an exception)."""
    nhi = SpecialtyFactory(code="NHI", name="Nhi khoa", order=1)
    hscc = SpecialtyFactory(code="HSCC", name="Hồi sức cấp cứu và chống độc", order=2)
    return {
        "uvc": TechniqueFactory(
            code="NHI.L001", name="Đặt catheter tĩnh mạch rốn ở trẻ sơ sinh", specialty=nhi
        ),
        "uac": TechniqueFactory(
            code="NHI.L002", name="Đặt catheter động mạch rốn ở trẻ sơ sinh", specialty=nhi
        ),
        "exchange": TechniqueFactory(code="NHI.L003", name="Thay máu ở trẻ sơ sinh", specialty=nhi),
        "ibp": TechniqueFactory(
            code="HSCC.L001", name="Theo dõi huyết áp động mạch xâm lấn", specialty=hscc
        ),
        "nhi": nhi,
        "hscc": hscc,
    }


@pytest.fixture
def survey(network):
    """Open until 30 days from today; asks the two health centres of Bắc Ninh."""
    return SurveyFactory(
        title="Khảo sát nhu cầu chuyển giao kỹ thuật tuyến huyện",
        organiser=network.syt_bn,
        facilities=[network.tien_du, network.tu_son],
    )


def programme(provider, recipient, number, title):
    """A support plan in force (2025-2030) with ``provider`` supporting ``recipient``."""
    return make_programme(
        provider,
        recipient,
        number=number,
        title=title,
        kind=ProgrammeKind.SUPPORT_PLAN,
        areas=(ContentArea.TECHNIQUE_TRANSFER, ContentArea.TRAINING),
        start_date=D(2025, 1, 1),
        end_date=D(2030, 12, 31),
    )


def field_error(page, input_id, name):
    """The errors of one form field, shown next to its input: inside the field's block, or
    right after it (a <ul> cannot sit inside a <p>: the browser closes the paragraph
    before the list, so a list written inside <p> ends up just after it)."""
    error = f"ul.errorlist[data-field='{name}']"
    return page.locator(
        f"div:has(> #{input_id}) > {error}, p:has(> #{input_id}) > {error}, "
        f"p:has(> #{input_id}) + {error}"
    )


def switch_user(page, sign_in, username):
    page.context.clear_cookies()
    return sign_in(username)


# ---------------------------------------------------------------- 1. register a need


def test_clerk_registers_needs_that_the_doh_sees_and_another_district_does_not(
    page, sign_in, network, staff, catalogue, survey
):
    uvc, uac, ibp, nhi = catalogue["uvc"], catalogue["uac"], catalogue["ibp"], catalogue["nhi"]
    sign_in("ttyt.tiendu")

    # The survey list, then the survey: the clerk sees only the own health centre's row.
    page.goto("/programmes/surveys/")
    expect(page.locator("h1")).to_have_text("Khảo sát nhu cầu")
    page.locator("#survey-table").get_by_role("link", name=survey.title).click()
    expect(page).to_have_url(re.compile(rf"/programmes/surveys/{survey.uid}/$"))
    rows = page.locator("#facility-table tbody tr")
    expect(rows).to_have_count(1)
    own = page.locator(f"#facility-table tr[data-facility='{network.tien_du.code}']")
    expect(own).to_contain_text("Trung tâm Y tế Tiên Du")
    expect(own).to_contain_text("Chưa trả lời")
    own.get_by_role("link", name="Đăng ký nhu cầu").click()
    expect(page).to_have_url(
        re.compile(rf"/programmes/surveys/{survey.uid}/respond/{network.tien_du.uid}/$")
    )
    expect(page.locator("h1")).to_have_text("Nhu cầu của Trung tâm Y tế Tiên Du")
    page.fill("#id_contact", "BS. Nguyễn Văn An, Khoa Nhi")

    # A technique from the catalogue: typing (accents left out) loads the matches.
    section = page.locator("#formset-technique")
    expect(section.locator("h2")).to_have_text("Kỹ thuật cần nhận chuyển giao")
    search = section.locator("input[name='technique-0-technique__q']")
    expect(search).to_have_attribute("placeholder", "Mã hoặc tên…")

    def lookup_done(response):
        return (
            "/programmes/lookup/techniques/" in response.url
            and "catheter+ron" in response.url.replace("%20", "+")
        )

    with page.expect_response(lookup_done):
        search.press_sequentially("catheter ron", delay=20)
    select = section.locator("#id_technique-0-technique")
    options = select.locator("option")
    expect(options).to_have_count(2)
    expect(select).to_contain_text(uvc.name)
    expect(select).to_contain_text(uac.name)
    expect(select).not_to_contain_text(ibp.name)
    select.select_option(label=f"{uvc.code} {uvc.name} (Nhi khoa)")
    section.locator("#id_technique-0-people_to_train").fill("2")
    section.locator("#id_technique-0-priority").select_option(label="Cao")

    # A training need.
    training = page.locator("#formset-training")
    expect(training.locator("h2")).to_have_text("Đào tạo")
    training.locator("#id_training-0-kind").select_option(label="Đào tạo ngắn hạn")
    training.locator("#id_training-0-topic").fill("Hồi sức sơ sinh tại phòng sinh")
    training.locator("#id_training-0-specialty").select_option(label="Nhi khoa")
    training.locator("#id_training-0-people").fill("4")

    page.locator("#response-form").get_by_role("button", name="Lưu", exact=True).click()
    response = SurveyResponse.objects.get(survey=survey, facility=network.tien_du)
    expect(page).to_have_url(re.compile(rf"/programmes/responses/{response.pk}/$"))
    expect(page.locator(".messages")).to_contain_text("Đã lưu nhu cầu của Trung tâm Y tế Tiên Du.")
    expect(page.locator("h1 .badge")).to_have_text("Đang điền")
    technique_rows = page.locator("#technique-needs tbody tr")
    expect(technique_rows).to_have_count(1)
    for text in (uvc.code, uvc.name, "Nhi khoa", "2", "Cao", "Chưa xử lý"):
        expect(technique_rows.first).to_contain_text(text)
    training_rows = page.locator("#training-needs tbody tr")
    expect(training_rows).to_have_count(1)
    for text in ("Đào tạo ngắn hạn", "Hồi sức sơ sinh tại phòng sinh", "Nhi khoa", "4"):
        expect(training_rows.first).to_contain_text(text)

    # Submitted: the answer is complete.
    page.locator("#submit-response").click()
    expect(page.locator(".messages")).to_contain_text(
        "Đã gửi phiếu trả lời của Trung tâm Y tế Tiên Du."
    )
    expect(page.locator("h1 .badge")).to_have_text("Đã gửi")
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.contact == "BS. Nguyễn Văn An, Khoa Nhi"
    need = TechniqueNeed.objects.get(response=response)
    assert (need.technique, need.people_to_train, need.priority) == (uvc, 2, 1)
    training_need = TrainingNeed.objects.get(response=response)
    assert (training_need.kind, training_need.specialty, training_need.people) == (
        TrainingKind.SHORT_TERM,
        nhi,
        4,
    )

    # The DOH officer sees both needs in the province table.
    switch_user(page, sign_in, "syt.bn")
    page.goto("/programmes/needs/")
    expect(page.locator("h1")).to_have_text("Nhu cầu của các cơ sở")
    table = page.locator("#need-table")
    technique_row = table.locator("tbody tr.kind-technique")
    expect(technique_row).to_have_count(1)
    for text in (
        "Trung tâm Y tế Tiên Du",
        "Chuyển giao kỹ thuật",
        f"{uvc.code} {uvc.name}",
        "Nhi khoa",
        "2 người",
        "Cao",
        "Chưa xử lý",
        "Đã gửi",
        survey.title,
    ):
        expect(technique_row).to_contain_text(text)
    training_row = table.locator("tbody tr.kind-training")
    expect(training_row).to_have_count(1)
    expect(training_row).to_contain_text("Đào tạo ngắn hạn: Hồi sức sơ sinh tại phòng sinh")
    expect(training_row).to_contain_text("4 người")
    expect(page.locator("#need-counts .card .n").first).to_have_text("2")

    # The clerk of Từ Sơn (another district) sees neither the needs nor the answer.
    switch_user(page, sign_in, "ttyt.tuson")
    page.goto("/programmes/needs/")
    rows = page.locator("#need-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text(exact("Không có nhu cầu nào phù hợp."))
    expect(page.locator("#need-table")).not_to_contain_text("Tiên Du")
    page.goto(f"/programmes/surveys/{survey.uid}/")
    expect(page.locator("#facility-table tbody tr")).to_have_count(1)
    expect(page.locator("#facility-table")).to_contain_text("Trung tâm Y tế Từ Sơn")
    expect(page.locator("#facility-table")).not_to_contain_text("Tiên Du")
    assert page.goto(f"/programmes/responses/{response.pk}/").status == 404
    assert (
        page.goto(f"/programmes/surveys/{survey.uid}/respond/{network.tien_du.uid}/").status == 404
    )


# ---------------------------------------------------------------- 2. accept a proposal


def test_doh_accepts_the_first_matching_proposal_into_a_programme(
    page, sign_in, network, users, catalogue, survey
):
    ibp = catalogue["ibp"]
    need = TechniqueNeed(technique=ibp, people_to_train=3, priority=1)
    response = programme_services.save_response(
        survey, network.tien_du, contact="Phòng KHTH", technique_needs=[need]
    )
    programme_services.submit_response(response)
    CapabilityFactory(facility=network.bvdk, technique=ibp, since=D(2015, 3, 1))
    CapabilityFactory(facility=network.tu_son, technique=ibp, since=D(2021, 6, 1))
    plan = programme(
        network.bvdk, network.tien_du, "15/KH-BVĐK", "Kế hoạch hỗ trợ toàn diện TTYT Tiên Du"
    )
    other = programme(network.bvdk, network.tu_son, "16/KH-BVĐK", "Kế hoạch hỗ trợ TTYT Từ Sơn")

    sign_in("syt.bn")
    page.goto("/transfers/matching/")
    expect(page.locator("h1")).to_have_text("Ghép nối nhu cầu với cơ sở chuyển giao")
    section = page.locator(f"#need-{need.pk}")
    expect(section.locator("h2")).to_contain_text(ibp.name)
    expect(section).to_contain_text("Trung tâm Y tế Tiên Du")
    expect(section).to_contain_text("Chưa xử lý")

    # Ranked: the specialised provincial hospital first (and with a programme in force
    # with the health centre), the basic-level health centre of Từ Sơn second.
    proposals = section.locator("table.proposals tbody tr")
    expect(proposals).to_have_count(2)
    first, second = proposals.nth(0), proposals.nth(1)
    expect(first).to_have_attribute("data-provider", network.bvdk.uid)
    expect(second).to_have_attribute("data-provider", network.tu_son.uid)
    expect(first).to_contain_text("Bệnh viện Đa khoa tỉnh Bắc Ninh")
    expect(first.locator("td.num")).to_have_text("100,0")
    expect(second.locator("td.num")).to_have_text("55,0")
    reasons = first.locator("ul.reasons li")
    expect(reasons).to_have_count(5)
    expect(reasons.nth(0)).to_have_text("Cấp chuyên môn kỹ thuật: Cấp chuyên sâu (+60)")
    expect(reasons.nth(1)).to_contain_text("Sở Y tế tỉnh Bắc Ninh (+20)")
    expect(reasons.nth(4)).to_have_text(f"Chương trình đang có hiệu lực giữa hai bên: {plan} (+15)")
    second_reasons = second.locator("ul.reasons li")
    expect(second_reasons.nth(0)).to_have_text("Cấp chuyên môn kỹ thuật: Cấp cơ bản (+30)")
    expect(second_reasons.nth(4)).to_have_text(
        "Không có chương trình nào đang có hiệu lực giữa hai bên (0)"
    )

    # Accept the first proposal into the health centre's support plan.
    form = first.locator("form.accept-form")
    choice = form.locator("select[name=programme]")
    expect(choice).to_have_value(str(plan.pk))  # the programme between them comes first
    expect(choice.locator("option")).to_have_count(3)  # "—", the two programmes
    choice.select_option(label=str(other))
    choice.select_option(label=f"★ {plan}")
    form.get_by_role("button", name="Chấp nhận").click()

    expect(page).to_have_url(re.compile(r"/transfers/[A-Za-z0-9]{11}/$"))
    transfer = TechniqueTransfer.objects.get(need=need)
    expect(page).to_have_url(re.compile(rf"/transfers/{transfer.uid}/$"))
    expect(page.locator(".messages")).to_contain_text("Đã tạo chuyển giao theo kế hoạch:")
    expect(page.locator("#state")).to_have_text("Đã lên kế hoạch")
    props = page.locator("dl.props")
    expect(props).to_contain_text("Bệnh viện Đa khoa tỉnh Bắc Ninh")
    expect(props).to_contain_text("Trung tâm Y tế Tiên Du")
    expect(props).to_contain_text(str(plan))
    assert transfer.state == TransferState.PLANNED
    assert (transfer.provider, transfer.recipient, transfer.programme) == (
        network.bvdk,
        network.tien_du,
        plan,
    )
    need.refresh_from_db()
    assert need.status == NeedStatus.PLANNED

    # Matched needs leave the open list; with every status, the need shows as planned.
    page.goto("/transfers/matching/")
    expect(page.locator(f"#need-{need.pk}")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Không có nhu cầu kỹ thuật nào phù hợp.")
    page.locator("#id_status").select_option(label="Tất cả")
    page.locator("#matching-filters").get_by_role("button", name="Xem").click()
    expect(page).to_have_url(re.compile(r"[?&]status=all"))
    section = page.locator(f"#need-{need.pk}")
    expect(section.locator("p .badge").first).to_have_text("Đã lên kế hoạch")
    expect(section.locator("table.proposals")).to_have_count(0)
    link = section.get_by_role("link", name="Bệnh viện Đa khoa tỉnh Bắc Ninh (Đã lên kế hoạch)")
    expect(link).to_have_attribute("href", f"/transfers/{transfer.uid}/")

    # And in the province needs table.
    page.goto("/programmes/needs/")
    row = page.locator("#need-table tbody tr.kind-technique")
    expect(row).to_contain_text(ibp.name)
    expect(row).to_contain_text("Đã lên kế hoạch")


# ---------------------------------------------------------------- 3. transfer to acceptance


def record_step(page, code, label, date):
    form = page.locator("#transition-form")
    expect(page.locator("h3")).to_have_text(f"Bước tiếp theo: {label}")
    expect(form.locator("#move_state")).to_have_value(code)
    form.locator("#move_date").fill(date.isoformat())
    form.locator("#move_responsible").fill("ThS.BS Trần Thị Bình (BVĐK), BS Lê Văn Cường")
    form.get_by_role("button", name="Ghi nhận bước").click()
    expect(page.locator(".messages")).to_contain_text(f"Chuyển giao hiện ở trạng thái: {label}")
    expect(page.locator("#state")).to_have_text(label)


def record_cases(page, kind_label, count, date):
    form = page.locator("#case-form")
    form.locator("#case_date").fill(date.isoformat())
    form.locator("#case_kind").select_option(label=kind_label)
    form.locator("#case_count").fill(str(count))
    form.get_by_role("button", name="Ghi số ca").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Đã ghi: {count} {kind_label} {date:%d/%m/%Y}"
    )


def test_line_officer_takes_a_transfer_to_acceptance_only_with_enough_cases(
    page, sign_in, network, staff, catalogue
):
    exchange = catalogue["exchange"]
    plan = programme(
        network.bvdk, network.tien_du, "15/KH-BVĐK", "Kế hoạch hỗ trợ toàn diện TTYT Tiên Du"
    )
    transfer = make_transfer(
        network.bvdk, network.tien_du, technique=exchange, date=D(2025, 1, 2), programme=plan
    )
    assert transfer.min_independent_cases == 5

    sign_in("cdt.bvdk")
    page.goto("/transfers/")
    page.locator(f"#transfer-table tr[data-uid='{transfer.uid}']").get_by_role(
        "link", name=exchange.name
    ).click()
    expect(page).to_have_url(re.compile(rf"/transfers/{transfer.uid}/$"))
    expect(page.locator("#state")).to_have_text("Đã lên kế hoạch")

    record_step(page, "contracted", "Đã ký hợp đồng", D(2025, 1, 9))
    record_step(page, "training", "Đào tạo", D(2025, 1, 16))
    record_step(page, "supervised", "Thực hành có giám sát", D(2025, 1, 23))
    record_cases(page, "Có giám sát", 3, D(2025, 1, 25))
    record_step(page, "independent", "Tự thực hiện", D(2025, 1, 30))
    record_cases(page, "Tự thực hiện", 4, D(2025, 2, 5))
    totals = page.locator("#case-totals .card")
    expect(totals.nth(0).locator(".n")).to_have_text("3")
    expect(totals.nth(1).locator(".n")).to_have_text("4 / 5")
    expect(totals.nth(2)).to_contain_text("ca tự thực hiện còn thiếu")
    expect(totals.nth(2).locator(".n")).to_have_text("1")

    # Four independent cases: acceptance is refused, the reason under the step field.
    expect(page.locator("main")).to_contain_text("Nghiệm thu cần 5 ca tự thực hiện; đã ghi 4 ca.")
    form = page.locator("#transition-form")
    expect(form.locator("#move_state")).to_have_value("accepted")
    form.locator("#move_date").fill("2025-02-10")
    form.get_by_role("button", name="Ghi nhận bước").click()
    expect(page).to_have_url(re.compile(rf"/transfers/{transfer.uid}/transition/$"))
    expect(page.locator("h1")).to_have_text("Chuyển sang bước tiếp theo")
    refusal = "Nghiệm thu cần ít nhất 5 ca tự thực hiện; đến ngày 10/02/2025 mới ghi được 4 ca."
    expect(field_error(page, "id_state", "state")).to_have_text(exact(refusal))
    expect(page.locator("ul.errorlist")).to_have_count(1)
    expect(page.locator("#id_date")).to_have_value("2025-02-10")
    transfer.refresh_from_db()
    assert transfer.state == TransferState.INDEPENDENT
    assert not FacilityCapability.objects.filter(facility=network.tien_du).exists()

    # One more independent case, then acceptance goes through.
    page.locator(f"main a[href='/transfers/{transfer.uid}/']").first.click()
    expect(page).to_have_url(re.compile(rf"/transfers/{transfer.uid}/$"))
    record_cases(page, "Tự thực hiện", 1, D(2025, 2, 8))
    expect(totals.nth(1).locator(".n")).to_have_text("5 / 5")
    expect(totals.nth(2)).to_contain_text("đủ để nghiệm thu")
    record_step(page, "accepted", "Đã nghiệm thu", D(2025, 2, 10))
    expect(page.locator("#transition-form")).to_have_count(0)
    expect(page.locator("#case-form")).to_have_count(0)
    expect(page.locator("#timeline tbody tr")).to_have_count(6)
    expect(page.locator("#capability")).to_contain_text("Nhận chuyển giao kỹ thuật")
    expect(page.locator("#capability")).to_contain_text("10/02/2025")
    transfer.refresh_from_db()
    assert transfer.state == TransferState.ACCEPTED
    assert transfer.cases(CaseKind.INDEPENDENT) == 5

    # The recipient's capability register lists the technique, received by transfer.
    page.goto(f"/catalog/facilities/{network.tien_du.uid}/")
    expect(page.locator("h1")).to_have_text("Kỹ thuật thực hiện tại Trung tâm Y tế Tiên Du")
    rows = page.locator("#capability-table tbody tr")
    expect(rows).to_have_count(1)
    for text in (exchange.code, exchange.name, "Nhi khoa", "10/02/2025"):
        expect(rows.first).to_contain_text(text)
    expect(rows.first).to_contain_text("Nhận chuyển giao kỹ thuật")
    capability = FacilityCapability.objects.get(facility=network.tien_du, technique=exchange)
    assert (capability.acquisition, capability.since) == (Acquisition.TRANSFER_IN, D(2025, 2, 10))
