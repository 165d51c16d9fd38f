"""The certificate PDF keeps its Vietnamese diacritics: text extracted back, and the page
rendered to an image (poppler-utils)."""

import shutil
import subprocess

import pytest

from doha.training import certificates, services
from doha.training.certificates import CertificateFontMissing, render_certificate
from doha.training.models import Result
from tests.mixins import new_client
from tests.training.factories import make_course, make_worker

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="poppler-utils (pdftotext, pdftoppm) is not installed: apt-get install poppler-utils",
)


@pytest.fixture
def passed(network):
    course = make_course(network.bvdk, title="Hồi sức sơ sinh nâng cao")
    worker = make_worker(network.tien_du, "Nguyễn Thị Hồng Nhung")
    return services.record_result(services.enrol(course, worker), result=Result.PASSED)


def test_pdf_embeds_a_font(passed):
    pdf = render_certificate(passed)
    assert pdf.startswith(b"%PDF")
    assert b"FontFile2" in pdf  # the TrueType font is embedded


@needs_poppler
def test_text_survives_with_diacritics(passed, tmp_path):
    path = tmp_path / "cert.pdf"
    path.write_bytes(render_certificate(passed))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in [
        "GIẤY CHỨNG NHẬN",
        "Nguyễn Thị Hồng Nhung",
        "Bệnh viện Đa khoa tỉnh Bắc Ninh",
        "Hồi sức sơ sinh nâng cao",
        "Trung tâm Y tế Tiên Du",
        passed.certificate_number,
        "Số giờ tín chỉ: 40 giờ",
        passed.course.start_date.strftime("%d/%m/%Y"),
    ]:
        assert expected in text, expected


@needs_poppler
def test_renders_to_an_image_with_ink(passed, tmp_path):
    from PIL import Image

    path = tmp_path / "cert.pdf"
    path.write_bytes(render_certificate(passed))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    image = Image.open(tmp_path / "page.png").convert("L")
    assert image.width > image.height  # landscape
    dark = sum(image.histogram()[:128])
    assert dark > 500


def test_missing_font_is_a_clear_error(passed, settings, tmp_path):
    settings.DOHA_CERTIFICATE_FONT_DIR = str(tmp_path)
    with pytest.raises(CertificateFontMissing, match="fonts-dejavu-core"):
        render_certificate(passed)
    assert certificates.font_files()[0].name == "DejaVuSans.ttf"


def test_download_page_and_api(passed, users):
    client = new_client()
    client.force_login(users.clerk)  # Tiên Du sees its worker's certificate
    response = client.get(f"/training/enrolments/{passed.pk}/certificate/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    response = client.get(f"/api/enrolments/{passed.pk}/certificate/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    other = new_client()
    other.force_login(users.doh_tn)
    assert other.get(f"/training/enrolments/{passed.pk}/certificate/").status_code == 404
    assert other.get(f"/api/enrolments/{passed.pk}/certificate/").status_code == 404


def test_no_certificate_before_a_pass(network, users):
    course = make_course(network.bvdk)
    enrolment = services.enrol(course, make_worker(network.tien_du))
    client = new_client()
    client.force_login(users.doh)
    assert client.get(f"/training/enrolments/{enrolment.pk}/certificate/").status_code == 404
