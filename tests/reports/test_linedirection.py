"""The line-direction report (báo cáo công tác chỉ đạo tuyến): figures from every activity app,
in the .docx and the .xlsx, within the user's scope and the report's period."""

import datetime
import io
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from doha.awards.models import Award, AwardKind
from doha.checklists.models import ChecklistFill, ChecklistTemplate, FillStatus, TemplateStatus
from doha.core.permissions import Role
from doha.orgunits.models import FacilityType
from doha.programmes.models import ContentArea, ItemStatus, ProgrammeItem
from doha.reports import services
from doha.reports.demo import load_line_direction_report_demo
from doha.reports.linedirection import collect, person_months
from doha.reports.models import Report, VersionStatus
from doha.reports.pdf import soffice_path
from doha.reports.periods import period_bounds
from doha.rotations.models import RotationKind
from doha.telehealth.models import Outcome
from doha.training.models import Result
from doha.training.services import enrol, record_result
from doha.transfers import services as transfer_services
from doha.transfers.models import TransferState
from doha.visits.models import ActionStatus, Finding, FollowUpAction, Visit, VisitKind
from tests.donations.factories import make_donation
from tests.factories import OrgUnitFactory, UserFactory
from tests.reports.conftest import english_client, new_report
from tests.rotations.factories import make_rotation
from tests.telehealth.factories import at, make_consultation
from tests.training.factories import make_course, make_worker
from tests.transfers.factories import advance, make_transfer, programme_between

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

D = datetime.date


def line_report(unit, **fields):
    kind, year = fields.get("period_kind", "S1"), fields.get("year", 2025)
    start, end = period_bounds(kind, year) if kind != "range" else (None, None)
    values = {
        "kind": "linedirection",
        "period_kind": kind,
        "year": year,
        "start_date": start,
        "end_date": end,
        "date": D(2025, 7, 15),
        "shortcomings": "Một số kỹ thuật chưa duy trì được sau chuyển giao.",
        "next_tasks": "Tiếp tục chuyển giao kỹ thuật cho TTYT Từ Sơn.",
    }
    values.update(fields)
    return new_report(unit, **values)


@pytest.fixture
def activity(network):
    """Bắc Ninh: the provincial hospital supports Tiên Du and Từ Sơn in 2025; each kind of
    activity once or more inside the first half of 2025 and once just outside it.
    Thái Nguyên: one rotation and one donation of its own."""
    n = network
    programme = programme_between(n.bvdk, n.tien_du, number="15/CT-BVĐK", title="Hỗ trợ toàn diện")
    for number, status, done_on in (
        (1, ItemStatus.DONE, D(2025, 3, 31)),
        (2, ItemStatus.DONE, D(2024, 12, 20)),
        (3, ItemStatus.PLANNED, None),
        (4, ItemStatus.CANCELLED, None),
    ):
        ProgrammeItem.objects.create(
            programme=programme,
            number=number,
            area=ContentArea.TRAINING,
            title=f"Nội dung {number}",
            provider=n.bvdk,
            recipient=n.tien_du,
            planned_start=D(2024, 6, 1),
            planned_end=D(2025, 12, 31),
            status=status,
            done_on=done_on,
        )

    # Transfers: accepted, in training, cancelled in the period; planned in 2024 (still
    # planned on 30/06/2025); planned after the period (not counted).
    accepted = advance(make_transfer(n.bvdk, n.tien_du), TransferState.ACCEPTED)
    advance(make_transfer(n.bvdk, n.tu_son), TransferState.TRAINING)
    cancelled = make_transfer(n.bvdk, n.tien_du)
    transfer_services.transition(
        cancelled, TransferState.CANCELLED, date=D(2025, 3, 5), reason="Thiếu thiết bị"
    )
    make_transfer(n.bvdk, n.tu_son, date=D(2024, 6, 1))
    make_transfer(n.bvdk, n.tien_du, date=D(2025, 7, 2))

    # Rotations: 4.0 + 1.0 + 2.5 person-months inside the half year (one outside).
    doctor = make_worker(n.bvdk, "Trần Văn Bác")
    nurse = make_worker(n.bvdk, "Lê Thị Hoa")
    make_rotation(doctor, n.tien_du, start=D(2025, 3, 1), end=D(2025, 8, 31))
    make_rotation(nurse, n.tu_son, start=D(2024, 11, 1), end=D(2025, 1, 31))
    make_rotation(
        nurse, n.tien_du, start=D(2025, 4, 16), end=D(2025, 7, 15), kind=RotationKind.ROTATION
    )
    make_rotation(doctor, n.tu_son, start=D(2025, 9, 1), end=D(2025, 11, 30))

    # Training: a course with three trainees (two passed: 2 x 40 CME hours), one outside.
    course = make_course(n.bvdk, start_date=D(2025, 5, 5), end_date=D(2025, 5, 9))
    for index, result in enumerate((Result.PASSED, Result.PASSED, Result.FAILED)):
        worker = make_worker(n.tien_du, f"Học viên {index}")
        record_result(enrol(course, worker), result=result)
    make_course(n.bvdk, title="Khóa sau kỳ", start_date=D(2025, 7, 7), end_date=D(2025, 7, 11))

    # Remote consultations: two in the period, one on 01/07/2025 (outside).
    make_consultation(n.tien_du, n.bvdk, outcome=Outcome.TREATED_LOCALLY, hours=1)
    make_consultation(
        n.tu_son,
        n.bvdk,
        outcome=Outcome.REFERRED,
        hours=0.25,
        requested_at=at(2025, 6, 30, 23, 30),
    )
    make_consultation(n.tien_du, n.bvdk, requested_at=at(2025, 7, 1, 0, 30))

    # Visits, a checklist filled twice and four actions.
    visit = Visit.objects.create(
        kind=VisitKind.SUPERVISION,
        title="Giám sát TTYT Tiên Du",
        host=n.tien_du,
        visiting=n.bvdk,
        start_date=D(2025, 5, 10),
        end_date=D(2025, 5, 11),
        programme=programme,
    )
    Visit.objects.create(
        kind=VisitKind.WORKING,
        title="Làm việc sau kỳ",
        host=n.tu_son,
        visiting=n.bvdk,
        start_date=D(2025, 7, 3),
        end_date=D(2025, 7, 3),
    )
    finding = Finding.objects.create(visit=visit, text="Thiếu quy trình chống nhiễm khuẩn")
    for description, due, status, closed in (
        ("Ban hành quy trình", D(2025, 6, 1), ActionStatus.DONE, D(2025, 5, 30)),
        ("Tập huấn", D(2025, 5, 20), ActionStatus.DONE, D(2025, 6, 10)),
        ("Mua tủ sấy", D(2025, 6, 15), ActionStatus.OPEN, None),
        ("Kiểm tra lại", D(2025, 8, 1), ActionStatus.IN_PROGRESS, None),
    ):
        FollowUpAction.objects.create(
            visit=visit,
            finding=finding,
            description=description,
            owner_facility=n.tien_du,
            due_date=due,
            status=status,
            closed_on=closed,
        )
    template = ChecklistTemplate.objects.create(
        code="GS-TTYT",
        name="Giám sát TTYT",
        owner=n.syt_bn,
        status=TemplateStatus.PUBLISHED,
    )
    for day, score, on_visit in ((D(2024, 11, 10), "60.0", None), (D(2025, 5, 10), "72.5", visit)):
        ChecklistFill.objects.create(
            template=template,
            visit=on_visit,
            facility=n.tien_du,
            date=day,
            status=FillStatus.SUBMITTED,
            overall_score=Decimal(score),
        )

    # Donations: one in the period, one the day after it ends.
    make_donation(n.bvdk, n.tien_du, date=D(2025, 6, 30))
    make_donation(n.bvdk, n.tu_son, date=D(2025, 7, 1))

    # Awards: the DOH's certificate of merit to a Tiên Du doctor, one the year before.
    awarded = make_worker(n.tien_du, "Phạm Thị Lan")
    for number, day in (("245/QĐ-SYT", D(2025, 4, 2)), ("12/QĐ-SYT", D(2024, 12, 30))):
        Award.objects.create(
            kind=AwardKind.MERIT,
            decision_number=number,
            decision_date=day,
            issuer=n.syt_bn,
            recipient_person=awarded,
            reason="Có thành tích trong công tác chỉ đạo tuyến",
            programme=programme,
        )

    # Thái Nguyên's own activity.
    tn_worker = make_worker(n.phu_binh, "Hoàng Văn Nam")
    make_rotation(tn_worker, n.tyt_phu_binh, start=D(2025, 2, 1), end=D(2025, 4, 30))
    make_donation(n.syt_tn, n.phu_binh, date=D(2025, 2, 14))
    return {"programme": programme, "accepted": accepted, "visit": visit}


def generate(report, user):
    version = services.generate(report, user)
    assert version.status == VersionStatus.DONE, version.error
    return version


def docx_text(data) -> str:
    document = Document(io.BytesIO(bytes(data)))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def summary(data) -> dict:
    book = load_workbook(io.BytesIO(bytes(data)))
    sheet = book.worksheets[0]
    return {row[0]: row[2] for row in sheet.iter_rows(min_row=5, values_only=True)}


def test_person_months_count_each_month_by_its_days():
    assert person_months(D(2025, 3, 1), D(2025, 5, 31)) == 3.0
    assert person_months(D(2025, 4, 16), D(2025, 4, 30)) == 0.5
    assert person_months(D(2025, 2, 1), D(2025, 1, 31)) == 0.0


def test_a_doh_report_counts_each_kind_of_activity(network, users, activity):
    report = line_report(network.syt_bn, number=12)
    figures = collect(report, users.doh)
    assert [p["title"] for p in figures.programmes] == ["Hỗ trợ toàn diện"]
    programme = figures.programmes[0]
    assert (programme["planned"], programme["done"], programme["done_in_period"]) == (3, 2, 1)
    states = {row["state"]: row["total"] for row in figures.transfer_states}
    assert states == {
        "planned": 1,
        "contracted": 0,
        "training": 1,
        "supervised": 0,
        "independent": 0,
        "accepted": 1,
        "sustained": 0,
        "cancelled": 1,
    }
    assert figures.transfer_events == {
        "planned": 3,
        "contracted": 2,
        "training": 2,
        "supervised": 1,
        "independent": 1,
        "accepted": 1,
        "cancelled": 1,
    }
    assert [t["state"] for t in figures.techniques] == ["Accepted (nghiệm thu)"]
    assert figures.sustainment == {
        "total": 1,
        "sustained_12": 0,
        "sustained_6": 0,
        "silent": 0,
        "too_early": 1,
        "no_data": 0,
    }
    assert (figures.rotation_count, figures.rotated_people, figures.person_months) == (3, 2, 7.5)
    assert (figures.course_count, figures.trainees, figures.passed) == (1, 3, 2)
    assert figures.course_cme_hours == Decimal("80")
    assert figures.staff_cme_hours == Decimal("80")
    assert figures.consultations == 2
    assert dict(figures.consultation_outcomes)["Referred"] == 1
    assert len(figures.visits) == 1
    assert figures.visits[0]["findings"] == 1 and figures.visits[0]["actions"] == 4
    assert [(f["score"], f["previous"]) for f in figures.checklist_fills] == [
        (Decimal("72.5"), Decimal("60.0"))
    ]
    actions = figures.actions
    assert (actions["total"], actions["overdue"], actions["due"], actions["on_time"]) == (
        4,
        1,
        3,
        1,
    )
    assert round(actions["on_time_percent"], 1) == 33.3
    assert (len(figures.donations), figures.donation_value) == (1, 750_000_000)
    assert [(a["number"], a["recipient"]) for a in figures.awards] == [
        ("245/QĐ-SYT", "Phạm Thị Lan")
    ]


def test_the_files_carry_the_figures(network, users, activity):
    report = line_report(network.syt_bn, number=12)
    version = generate(report, users.doh)
    text = docx_text(version.docx)
    assert "REPORT" in text
    assert "Line-direction work of Sở Y tế tỉnh Bắc Ninh in the first six months of 2025" in text
    assert "No.: 12/" in text
    assert "I. COOPERATION PROGRAMMES IN FORCE" in text
    assert "15/CT-BVĐK Hỗ trợ toàn diện" in text
    assert "4 technique transfers at the end of the period" in text
    assert "1 were accepted and 1 were cancelled" in text
    assert "Sustainment of the 1 accepted transfers" in text
    assert "3 rotations and secondments of 2 health workers, 7,5 person-months" in text
    assert "1 courses with 3 trainees, 2 of whom passed" in text
    assert "2 remote consultations" in text
    assert "1 visits in the period" in text
    assert "72,5 | 60 | +12,5" in text
    assert "4 follow-up actions" in text and "1 overdue on 30/06/2025" in text
    assert "3 actions due in the period, 1 were done on time (33,3%)" in text
    assert "Mua tủ sấy | TTYT Tiên Du | 15/06/2025 | 15" in text
    assert "750.000.000" in text
    assert "VI. COMMENDATIONS AND AWARDS" in text
    assert f"245/QĐ-SYT (02/04/2025) | {AwardKind.MERIT.label} | Sở Y tế tỉnh Bắc Ninh" in text
    assert "12/QĐ-SYT" not in text
    assert "VII. SHORTCOMINGS AND DIFFICULTIES" in text
    assert "Một số kỹ thuật chưa duy trì được sau chuyển giao." in text
    assert "Tiếp tục chuyển giao kỹ thuật cho TTYT Từ Sơn." in text
    # Nothing of Thái Nguyên.
    assert "Phú Bình" not in text

    figures = summary(version.xlsx)
    assert figures["transfers"] == 4
    assert figures["transfers_accepted"] == 1
    assert figures["person_months"] == 7.5
    assert figures["staff_cme_hours"] == 80
    assert figures["donation_value"] == 750_000_000
    assert figures["actions_on_time_percent"] == 33.3
    assert figures["sustainment_too_early"] == 1
    assert figures["awards"] == 1
    book = load_workbook(io.BytesIO(bytes(version.xlsx)))
    rows = list(book["Rotations"].iter_rows(min_row=5, values_only=True))
    assert sorted((r[1], r[4], r[5]) for r in rows) == [
        ("TTYT Tiên Du", 1, 2.5),
        ("TTYT Tiên Du", 1, 4),
        ("TTYT Từ Sơn", 1, 1),
    ]
    donation = next(book["Donations"].iter_rows(min_row=5, values_only=True))
    assert isinstance(donation[4], int) and donation[4] == 750_000_000
    assert donation[0] == datetime.datetime(2025, 6, 30)


def test_a_hospital_report_splits_what_it_gave_and_received(network, users, activity):
    report = line_report(network.bvdk)
    figures = collect(report, users.line)
    given = sum(row["given"] for row in figures.transfer_states)
    received = sum(row["received"] for row in figures.transfer_states)
    assert (given, received) == (4, 0)
    assert figures.person_months_sent == 7.5 and figures.person_months_received == 0
    assert figures.consultations_as_hub == 2 and figures.consultations_requested == 0
    assert figures.donation_value_given == 750_000_000
    # The trainees belong to Tiên Du; the hospital organised the course.
    assert figures.trainees == 3 and figures.staff_cme_hours == 0

    centre = collect(line_report(network.tu_son), users.doh)
    assert centre.rotation_count == 1 and centre.person_months == 1.0
    assert centre.consultations_requested == 1 and not centre.programmes


def test_scope_another_province_sees_nothing_of_this_one(network, users, activity):
    tn = collect(line_report(network.syt_tn), users.doh_tn)
    assert (tn.rotation_count, tn.person_months) == (1, 3.0)
    assert len(tn.donations) == 1 and tn.transfer_total == 0 and not tn.visits
    assert not tn.awards and not tn.checklist_fills and not tn.actions["total"]
    # Bắc Ninh's units are out of this user's reach, in the service and in the builder.
    with pytest.raises(PermissionDenied):
        collect(line_report(network.syt_bn), users.doh_tn)
    with pytest.raises(ValidationError):
        services.save_report(
            Report(
                kind="linedirection",
                org_unit=network.syt_bn,
                period_kind="S1",
                year=2025,
                start_date=D(2025, 1, 1),
                end_date=D(2025, 6, 30),
            ),
            user=users.doh_tn,
        )
    with pytest.raises(PermissionDenied):
        services.generate(line_report(network.syt_bn), users.doh_tn)
    # The national view (the ministry) with a Bắc Ninh user: only Bắc Ninh's records.
    national = collect(line_report(network.moh), users.admin)
    mine = collect(line_report(network.syt_bn), users.doh)
    assert national.rotation_count == mine.rotation_count + 1


def test_period_boundaries(network, users, activity):
    # The second half of 2025 takes what the first half left out.
    second = collect(line_report(network.syt_bn, period_kind="S2"), users.doh)
    assert second.consultations == 1
    assert len(second.donations) == 1 and second.donations[0]["date"] == D(2025, 7, 1)
    assert [v["title"] for v in second.visits] == ["Làm việc sau kỳ"]
    assert second.transfer_total == 5
    assert second.transfer_events == {"planned": 1}
    # A range of single days: 30/06/2025 only.
    day = collect(
        line_report(
            network.syt_bn, period_kind="range", start_date=D(2025, 6, 30), end_date=D(2025, 6, 30)
        ),
        users.doh,
    )
    assert day.consultations == 1 and len(day.donations) == 1
    assert day.person_months == round(1 / 30 * 2, 1)


def test_an_empty_period_says_so(network, users, activity):
    report = line_report(network.syt_bn, period_kind="S1", year=2023)
    version = generate(report, users.doh)
    text = docx_text(version.docx)
    assert "No line-direction activity of Sở Y tế tỉnh Bắc Ninh was recorded" in text
    assert "No cooperation programme was in force in the period." in text
    figures = summary(version.xlsx)
    assert figures["transfers"] == 0 and figures["donation_value"] == 0


def test_the_page_writes_a_report_for_any_dates(network, users, activity):
    client = english_client()
    client.force_login(users.doh)
    page = client.get(reverse("reports:list"))
    assert reverse("reports:add_linedirection") in page.content.decode()
    response = client.post(
        reverse("reports:add_linedirection"),
        {
            "org_unit": network.syt_bn.pk,
            "period_kind": "range",
            "year": "",
            "start_date": "2025-05-10",
            "end_date": "2025-06-30",
            "number": "3",
            "date": "2025-07-05",
            "title": "",
            "language": "en",
            "shortcomings": "",
            "next_tasks": "",
        },
    )
    assert response.status_code == 302
    report = Report.objects.get(kind="linedirection")
    assert report.display_title() == (
        "Line-direction work of Sở Y tế tỉnh Bắc Ninh in the period from 10/05/2025 to 30/06/2025"
    )
    version = report.latest_version()
    assert version.status == VersionStatus.DONE, version.error
    download = client.get(reverse("reports:download", args=[report.uid, 1, "docx"]))
    assert download.status_code == 200
    assert "1 visits in the period" in docx_text(download.content)

    # The hospital's line-direction office writes its own, for the first six months.
    hospital = english_client()
    hospital.force_login(users.line)
    data = {"org_unit": network.bvdk.pk, "period_kind": "S1", "year": "2025"}
    data.update(date="2025-07-05", language="en")
    assert hospital.post(reverse("reports:add_linedirection"), data).status_code == 302
    own = Report.objects.get(kind="linedirection", org_unit=network.bvdk)
    assert (own.start_date, own.end_date) == (D(2025, 1, 1), D(2025, 6, 30))
    assert "2 remote consultations: 2 answered" in docx_text(own.latest_version().docx)

    # Another province's officer cannot choose Bắc Ninh.
    other = english_client()
    other.force_login(users.doh_tn)
    refused = other.post(
        reverse("reports:add_linedirection"),
        {"org_unit": network.syt_bn.pk, "period_kind": "S1", "year": "2025", "date": "2025-07-05"},
    )
    assert refused.status_code == 400
    assert Report.objects.filter(kind="linedirection").count() == 2


def test_demo_report_of_the_central_hospital(network):
    hospital = OrgUnitFactory(
        code="BVTW-TN",
        name="Bệnh viện Trung ương Thái Nguyên",
        short_name="BVTW Thái Nguyên",
        facility_type=FacilityType.CENTRAL_HOSPITAL,
        parent=network.moh,
    )
    UserFactory(username="cdt.bvtwthainguyen", role=Role.LINE_OFFICER, org_unit=hospital)
    worker = make_worker(hospital, "Đỗ Văn Tuyến")
    make_rotation(worker, network.phu_binh, start=D(2024, 9, 1), end=D(2024, 11, 30))
    report = load_line_direction_report_demo()
    version = report.versions.get()
    assert version.status == VersionStatus.DONE, version.error
    text = docx_text(version.docx)
    assert "BỆNH VIỆN TRUNG ƯƠNG THÁI NGUYÊN" in text and "BÁO CÁO" in text
    assert summary(version.xlsx)["person_months"] == 3
    # Loading again changes nothing.
    assert load_line_direction_report_demo() == report
    assert report.versions.count() == 1


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="poppler-utils (pdftoppm, pdftotext) is not installed",
)
def test_pdf_of_the_report(network, users, activity, settings, tmp_path):
    """Set ``DOHA_REPORT_PNG=/some/dir`` to keep the PDF and its first page for a look."""
    settings.REPORTS_PDF = True
    version = generate(line_report(network.syt_bn, number=12), users.doh)
    assert bytes(version.pdf)[:5] == b"%PDF-" and version.pdf_note == ""
    pdf = tmp_path / "line-direction.pdf"
    pdf.write_bytes(bytes(version.pdf))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    for expected in ("REPORT", "No.: 12/BC", "750.000.000", "7,5 person-months"):
        assert expected in text, expected
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("DOHA_REPORT_PNG")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / "line-direction-page-1.png")
        shutil.copy(pdf, Path(keep) / "line-direction.pdf")
