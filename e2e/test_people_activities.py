"""People's activities in a browser (issue 4): a rotation refused for overlapping another
one of the same worker, then saved with valid dates and shown on the timeline; a passed
course result that takes workers off (or lowers them on) the CME shortfall list.

Pages are read in Vietnamese (the default language). Data are built per test.
"""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from doha.people.models import CmeEntry, CmeSource
from doha.rotations.models import Rotation, RotationStatus
from doha.training.models import Enrolment, Result
from tests.people.factories import CmeEntryFactory, HealthWorkerFactory
from tests.rotations.factories import WorkerFactory, make_rotation
from tests.training.factories import make_course

pytestmark = pytest.mark.e2e

D = datetime.date


def exact(text):
    """The whole text, whitespace around it aside."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def field_error(page, input_id, name):
    """The errors of one form field, in the field's block next to its input."""
    return page.locator(f"div:has(> #{input_id}) > ul.errorlist[data-field='{name}']")


# ---------------------------------------------------------------- 1. rotation


def test_rotation_refused_when_overlapping_then_saved_and_on_the_timeline(
    page, sign_in, network, users
):
    worker = WorkerFactory(facility=network.bvdk, full_name="Nguyễn Hữu Tiến")
    existing = make_rotation(worker, network.tien_du, start=D(2025, 2, 1), end=D(2025, 5, 31))

    sign_in("syt.bn")
    page.goto("/rotations/add/")
    expect(page.locator("h1")).to_have_text("Thêm đợt luân phiên, biệt phái")
    expect(page.locator("main")).to_contain_text("không thể cùng lúc ở hai nơi")
    form = page.locator("form.stacked")
    form.locator("#id_kind").select_option(label="Luân phiên (Đề án 1816)")
    form.locator("#id_worker").select_option(label=f"{worker.full_name} ({network.bvdk.name})")
    form.locator("#id_to_facility").select_option(label=network.tu_son.name)
    form.locator("#id_start").fill("2025-04-01")
    form.locator("#id_end").fill("2025-07-31")
    form.locator("#id_purpose").fill("Hỗ trợ khám chữa bệnh tại TTYT Từ Sơn")
    form.get_by_role("button", name="Lưu", exact=True).click()

    # Refused: the reason next to the worker, the values kept, nothing saved.
    expect(page).to_have_url(re.compile(r"/rotations/add/$"))
    refusal = (
        f"{worker.full_name} đã ở {network.tien_du.name} từ 01/02/2025 đến 31/05/2025 "
        f"(đợt {existing.uid}): một người không thể cùng lúc ở hai nơi."
    )
    expect(field_error(page, "id_worker", "worker")).to_have_text(exact(refusal))
    expect(page.locator("ul.errorlist")).to_have_count(1)
    expect(form.locator("#id_start")).to_have_value("2025-04-01")
    expect(form.locator("#id_to_facility option:checked")).to_have_text(network.tu_son.name)
    assert Rotation.objects.filter(worker=worker).count() == 1

    # Four months right after the first rotation: saved.
    form.locator("#id_start").fill("2025-06-01")
    form.locator("#id_end").fill("2025-09-30")
    form.get_by_role("button", name="Lưu", exact=True).click()
    expect(page).to_have_url(re.compile(r"/rotations/[A-Za-z0-9]{11}/$"))
    rotation = Rotation.objects.exclude(pk=existing.pk).get(worker=worker)
    expect(page).to_have_url(re.compile(rf"/rotations/{rotation.uid}/$"))
    expect(page.locator(".messages")).to_contain_text(
        f"Đã ghi nhận đợt luân phiên, biệt phái: {worker.full_name}"
    )
    expect(page.locator("h1")).to_contain_text(worker.full_name)
    expect(page.locator("#status")).to_have_text("Đã lên kế hoạch")
    props = page.locator("dl.props")
    for text in (
        network.bvdk.name,
        network.tu_son.name,
        "01/06/2025 – 30/09/2025",
        "Hỗ trợ khám chữa bệnh tại TTYT Từ Sơn",
    ):
        expect(props).to_contain_text(text)
    assert (rotation.start, rotation.end, rotation.status) == (
        D(2025, 6, 1),
        D(2025, 9, 30),
        RotationStatus.PLANNED,
    )
    assert (rotation.from_facility, rotation.to_facility) == (network.bvdk, network.tu_son)

    # The timeline: in Từ Sơn's table from June to September, in Tiên Du's from February to May.
    page.goto("/rotations/timeline/?year=2025")
    expect(page.locator("h1")).to_have_text(re.compile(r"– 2025$"))
    tu_son = page.locator(f"table.tl[data-facility='{network.tu_son.uid}']")
    row = tu_son.locator(f"tr[data-uid='{rotation.uid}']")
    expect(row).to_contain_text(worker.full_name)
    expect(row).to_contain_text("01/06/2025 – 30/09/2025")
    expect(row.locator("td.m.on")).to_have_count(4)
    for month in range(1, 13):
        cell = row.locator(f"td.m[data-month='{month}']")
        if 6 <= month <= 9:
            expect(cell).to_have_class(re.compile(r"\bon\b"))
            expect(cell).to_have_attribute("title", worker.full_name)
        else:
            expect(cell).not_to_have_class(re.compile(r"\bon\b"))
    counts = tu_son.locator("tfoot td")
    expect(counts.nth(6)).to_have_text("1")  # June (the first cell spans the two labels)
    expect(counts.nth(1)).to_have_text("0")  # January
    tien_du = page.locator(f"table.tl[data-facility='{network.tien_du.uid}']")
    expect(tien_du.locator(f"tr[data-uid='{existing.uid}'] td.m.on")).to_have_count(4)
    expect(tien_du.locator(f"tr[data-uid='{rotation.uid}']")).to_have_count(0)


# ---------------------------------------------------------------- 2. CME


def shortfall_row(page, worker):
    return page.locator("#shortfall-table tbody tr").filter(
        has=page.locator(f"a[href='/people/workers/{worker.uid}/cme/']")
    )


def test_passed_course_result_reduces_the_cme_shortfall(page, sign_in, network, users):
    near = HealthWorkerFactory(facility=network.tien_du, full_name="Trần Thị Gần Đủ")
    far = HealthWorkerFactory(facility=network.tien_du, full_name="Lê Văn Còn Thiếu")
    done = HealthWorkerFactory(facility=network.tien_du, full_name="Phạm Thị Đủ Giờ")
    CmeEntryFactory(worker=near, hours=100)
    CmeEntryFactory(worker=done, hours=130)
    course = make_course(network.bvdk, title="Cập nhật hồi sức sơ sinh", hours=Decimal("24"))

    sign_in("syt.bn")

    # Before: two workers fall short, 20 and 120 hours missing.
    page.goto("/people/cme/shortfall/")
    expect(page.locator("h1")).to_have_text("Thiếu giờ đào tạo liên tục (CME)")
    expect(page.locator("#shortfall-table tbody tr")).to_have_count(2)
    expect(page.locator("#shortfall-table")).not_to_contain_text(done.full_name)
    near_row = shortfall_row(page, near)
    expect(near_row.locator("td.num").nth(0)).to_have_text(re.compile(r"^100(,0)?$"))
    expect(near_row.locator("td.num").nth(1)).to_have_text(re.compile(r"^20(,0)?$"))
    far_row = shortfall_row(page, far)
    # Hours show as "100" on SQLite and "100,0" on PostgreSQL (the sum keeps the scale).
    expect(far_row.locator("td.num").nth(1)).to_have_text(re.compile(r"^120(,0)?$"))

    # Enrol both on the course page.
    page.goto(course.get_absolute_url())
    expect(page.locator("h1")).to_contain_text(course.title)
    expect(page.locator("#enrolments tbody tr")).to_have_count(1)
    for worker in (near, far):
        form = page.locator("#enrol-form")
        form.locator("#id_worker").select_option(label=f"{worker.full_name} · TTYT Tiên Du")
        form.get_by_role("button", name="Ghi danh").click()
        expect(page.locator(".messages")).to_contain_text(f"Đã ghi danh: {worker.full_name}")
    expect(page.locator("#enrolled")).to_have_text("2")
    rows = page.locator("#enrolments tbody tr")
    expect(rows).to_have_count(2)

    # Record a passed result for each (the course ended last week).
    for worker in (near, far):
        enrolment = Enrolment.objects.get(course=course, worker=worker)
        row = page.locator(f"#enrolments tr[data-id='{enrolment.pk}']")
        expect(row).to_contain_text(worker.full_name)
        expect(row.locator(".badge")).to_have_text("Đang chờ")
        row.get_by_role("link", name="Ghi nhận kết quả").click()
        expect(page).to_have_url(re.compile(rf"/training/enrolments/{enrolment.pk}/result/$"))
        expect(page.locator("h1")).to_have_text(f"Ghi nhận kết quả: {worker.full_name}")
        page.locator("#id_attendance_percent").fill("100")
        page.locator("#id_result").select_option(label="Đạt")
        page.get_by_role("button", name="Lưu", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/training/{course.uid}/$"))
        expect(page.locator(".messages")).to_contain_text(f"{worker.full_name}: Đạt")
        row = page.locator(f"#enrolments tr[data-id='{enrolment.pk}']")
        expect(row.locator(".badge")).to_have_text("Đạt")
        expect(row.locator("td").nth(4)).to_contain_text("(PDF)")
    for worker in (near, far):
        entry = CmeEntry.objects.get(worker=worker, source=CmeSource.COURSE)
        assert entry.hours == Decimal("24")

    # After: the worker with 100 h is no longer listed; the other misses 96 h.
    page.goto("/people/cme/shortfall/")
    expect(page.locator("#shortfall-table tbody tr")).to_have_count(1)
    expect(shortfall_row(page, near)).to_have_count(0)
    expect(page.locator("#shortfall-table")).not_to_contain_text(near.full_name)
    far_row = shortfall_row(page, far)
    expect(far_row.locator("td.num").nth(0)).to_have_text(re.compile(r"^24(,0)?$"))
    expect(far_row.locator("td.num").nth(1)).to_have_text(re.compile(r"^96(,0)?$"))
    assert Enrolment.objects.filter(course=course, result=Result.PASSED).count() == 2
