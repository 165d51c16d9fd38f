"""The programme report (.docx and .xlsx): activities and the outcome evaluation."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from docx import Document
from openpyxl import load_workbook

from doha.core.text import format_number
from doha.programmes.models import (
    ContentArea,
    ItemStatus,
    PartyRole,
    ProgrammeItem,
    ProgrammeParty,
    Side,
)
from doha.reports import services
from doha.reports.models import Report, VersionStatus
from doha.reports.programme import collect
from doha.training.models import Enrolment, Result
from doha.transfers.models import TransferState
from tests.analytics import test_evaluation as data
from tests.donations.factories import make_donation
from tests.programmes.factories import make_programme
from tests.rotations.factories import make_rotation
from tests.telehealth.factories import at, make_consultation
from tests.training.factories import make_course, make_worker
from tests.transfers.factories import advance, make_transfer

pytestmark = pytest.mark.usefixtures("shared_world")

# Synthetic statistics: 8 supported centres in Bắc Ninh whose referral rate falls by a
# quarter from January 2024, and 12 comparable centres (tests/analytics/test_evaluation.py).
synthetic = data.synthetic
world = data.world
D = datetime.date


@pytest.fixture
def programme(world):
    network, treated = world.network, world.treated
    programme = make_programme(
        network.bvdk,
        network.syt_bn,
        start_date=data.START,
        end_date=D(2025, 12, 31),
        number="12/CT-SYT",
    )
    for unit in treated:
        ProgrammeParty.objects.create(
            programme=programme, org_unit=unit, side=Side.RECIPIENT, role=PartyRole.IMPLEMENTER
        )
    for number, status, done in (
        (1, ItemStatus.DONE, D(2024, 6, 30)),
        (2, ItemStatus.PLANNED, None),
    ):
        ProgrammeItem.objects.create(
            programme=programme,
            number=number,
            area=ContentArea.TRAINING,
            title=f"Đào tạo đợt {number}",
            provider=network.bvdk,
            recipient=treated[0],
            planned_start=D(2024, 2, 1),
            planned_end=D(2024, 6, 30) if number == 1 else D(2024, 10, 31),
            status=status,
            done_on=done,
        )
    transfer = make_transfer(network.bvdk, treated[0], programme=programme)
    advance(transfer, TransferState.TRAINING)
    make_transfer(network.bvdk, treated[1], programme=programme)
    doctor = make_worker(network.bvdk, "Trần Thị Bình")
    make_rotation(doctor, treated[0], start=D(2024, 3, 1), programme=programme)
    course = make_course(
        network.bvdk, programme=programme, start_date=D(2024, 5, 6), end_date=D(2024, 5, 10)
    )
    for index, result in enumerate((Result.PASSED, Result.PASSED, Result.FAILED)):
        Enrolment.objects.create(
            course=course, worker=make_worker(treated[index], f"Học viên {index}"), result=result
        )
    make_consultation(treated[0], network.bvdk, requested_at=at(2024, 6, 3, 8, 0))
    make_donation(network.bvdk, treated[0], programme=programme, date=D(2024, 7, 24))
    return programme


@pytest.fixture
def report(world, programme):
    return Report.objects.create(
        kind="programme",
        programme=programme,
        org_unit=world.network.syt_bn,
        issuer=world.network.syt_bn,
        period_kind="range",
        start_date=D(2024, 1, 1),
        end_date=data.END,
        number=7,
        date=D(2025, 1, 10),
        language="en",
    )


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def test_figures(world, report):
    figures = collect(report, world.users.doh)
    assert figures.progress["total"] == 2 and figures.progress["done"] == 1
    assert dict(figures.transfers)["Training"] == 1
    assert dict(figures.transfers)["Planned"] == 1
    assert figures.rotations == 1 and figures.rotated_people == 1
    assert figures.courses == 1 and figures.trainees == 3 and figures.passed == 2
    assert figures.consultations == 1
    assert figures.donations == 1 and figures.donation_value == 750_000_000
    referral = figures.evaluations["referral_rate"]
    assert referral.verdict == "effect"
    assert referral.did.ci_low <= -0.25 <= referral.did.ci_high


def test_report_files(world, report):
    version = services.generate(report, world.users.doh)
    assert version.status == VersionStatus.DONE, version.error
    document = Document(io.BytesIO(bytes(version.docx)))
    text = _text(document)
    assert "SOCIALIST REPUBLIC OF VIETNAM" in text
    assert "Independence - Freedom - Happiness" in text
    assert "REPORT" in text
    assert "Results of programme 12/CT-SYT" in text
    assert "I. ITEMS OF THE PROGRAMME" in text
    assert "2 items planned: 1 done, 0 in progress, 1 not started, 0 cancelled" in text
    assert "II. TECHNIQUE TRANSFERS" in text
    assert "2 technique transfers under the programme." in text
    assert "courses with 3 trainees, 2 of whom passed" in text
    assert "1 donations worth 750.000.000 VND" in text
    assert "IV. OUTCOME EVALUATION" in text
    assert "The referral rate fell by " in text
    assert "compared with the comparison group" in text
    # The means table holds the evaluation's figures, written the Vietnamese way.
    referral = collect(report, world.users.doh).evaluations["referral_rate"]
    before, after = (format_number(v, 2) for v in list(referral.did.means["treated"].values())[:2])
    assert f"Supported facilities | {before} | {after} | " in text
    # Two charts (referral rate and admissions) are embedded.
    images = [r for r in document.part.rels.values() if "image" in r.reltype]
    assert len(images) == 2

    book = load_workbook(io.BytesIO(bytes(version.xlsx)))
    assert {"Items", "Transfers", "Activities", "Evaluation", "Comparison group"} <= set(
        book.sheetnames
    )
    activities = {
        row[0]: row[1] for row in book["Activities"].iter_rows(min_row=5, values_only=True)
    }
    assert activities["Value of donations (VND)"] == 750_000_000
    assert activities["Trainees who passed"] == 2
    evaluation = list(book["Evaluation"].iter_rows(min_row=5, values_only=True))
    assert evaluation[0][1] == "Effect"
    assert evaluation[0][3] <= -0.25 <= evaluation[0][4]
    comparison = list(book["Comparison group"].iter_rows(min_row=5, values_only=True))
    assert len(comparison) == 12
    assert all(row[3].startswith("same type (") for row in comparison)


def test_programme_outside_scope_is_refused(world, report):
    with pytest.raises(PermissionDenied):
        collect(report, world.users.doh_tn)
