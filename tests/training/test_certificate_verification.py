"""Signed certificates anyone can verify: the public page (valid, revoked, altered, never
issued, another key), the holder's name masked, revocation by the organiser's side, the
offline check with the public key only, and the QR code printed on the PDF."""

import datetime
import shutil
import subprocess
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.utils import timezone

from doha.training import certificates, services, signing
from doha.training.certificates import render_certificate
from doha.training.models import Certificate, Result
from tests.mixins import new_client
from tests.training.factories import make_course, make_worker

NAME = "Nguyễn Thị Hồng Nhung"

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="poppler-utils (pdftotext, pdftoppm) is not installed: apt-get install poppler-utils",
)


@pytest.fixture
def passed(network):
    course = make_course(network.bvdk, title="Hồi sức sơ sinh nâng cao")
    worker = make_worker(network.tien_du, NAME, birth_date=datetime.date(1990, 4, 2))
    return services.record_result(services.enrol(course, worker), result=Result.PASSED)


@pytest.fixture
def certificate(passed):
    return passed.certificates.get()


def codes(certificate):
    return services.codes_of(certificate)


def check(code, client=None):
    return (client or new_client()).get(f"/verify/{code}/")


def alter(code: str, index: int) -> str:
    """The code with one character changed to another base32 character."""
    replacement = "B" if code[index] != "B" else "C"
    return code[:index] + replacement + code[index + 1 :]


# ---------------------------------------------------------------- issuing


def test_a_pass_issues_one_signed_certificate(passed, certificate):
    assert certificate.hours == Decimal("40")
    assert certificate.issued_on == passed.result_date
    assert certificate.revoked_at is None
    short, full = codes(certificate)
    assert len(short) == 32 and len(full) == 127
    assert set(short + full) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert signing.check_code(full).serial == certificate.serial
    assert signing.check_code(signing.group(short).lower()).serial == certificate.serial


def test_serials_increase_and_are_not_reused(network, certificate):
    course = make_course(network.bvdk, title="Khóa thứ hai")
    other = services.record_result(
        services.enrol(course, make_worker(network.tien_du, "Trần Văn Bình")),
        result=Result.PASSED,
    )
    assert other.certificates.get().serial == certificate.serial + 1


# ---------------------------------------------------------------- the public page


@pytest.mark.parametrize("form", ["short", "full"])
def test_a_valid_code_verifies_without_signing_in(certificate, form):
    short, full = codes(certificate)
    response = check(short if form == "short" else full)
    assert response.status_code == 200
    text = response.content.decode()
    assert "This certificate is genuine and valid." in text
    assert "Bệnh viện Đa khoa tỉnh Bắc Ninh" in text  # the issuer
    assert "Hồi sức sơ sinh nâng cao" in text
    assert "Nguyễn T*** H*** N***" in text
    assert certificate.issued_on.strftime("%d/%m/%Y") in text


def test_the_public_page_shows_no_full_name_nor_other_personal_data(passed, certificate):
    text = check(codes(certificate)[1]).content.decode()
    assert NAME not in text
    for part in ("Thị", "Hồng", "Nhung"):
        assert part not in text
    assert "02/04/1990" not in text  # birth date
    assert "Trung tâm Y tế Tiên Du" not in text  # the holder's workplace


@pytest.mark.parametrize("form", ["short", "full"])
@pytest.mark.parametrize("where", ["payload", "signature"])
def test_one_altered_character_is_refused(certificate, form, where):
    code = codes(certificate)[0 if form == "short" else 1]
    altered = alter(code, 5 if where == "payload" else len(code) - 3)
    response = check(altered)
    assert response.status_code == 404
    text = response.content.decode()
    assert "This code is not genuine: it was altered or mistyped." in text
    assert "Hồi sức sơ sinh nâng cao" not in text
    assert services.verify_code(altered).status == "altered"


def test_changed_trailing_bits_are_refused(certificate):
    full = codes(certificate)[1]
    # The last character carries 2 bits of data and 3 unused ones: another character with
    # the same data bits would decode to the same bytes, and is refused all the same.
    last = signing._encode(signing._decode(full))[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    twin = alphabet[alphabet.index(last) ^ 1]
    assert services.verify_code(full[:-1] + twin).status == "altered"


def test_a_signed_code_never_issued_is_refused(certificate):
    never = signing.Payload(
        serial=certificate.serial + 100,
        issued_on=certificate.issued_on,
        hours=Decimal("40"),
        holder_digest=bytes.fromhex(certificate.holder_digest),
    )
    for code in (signing.full_code(never), signing.short_code(never)):
        response = check(code)
        assert response.status_code == 404
        assert "No certificate was issued with this code." in response.content.decode()
    # Genuinely signed, on an issued serial, but saying more hours than were issued.
    inflated = signing.Payload(
        certificate.serial,
        certificate.issued_on,
        Decimal("400"),
        bytes.fromhex(certificate.holder_digest),
    )
    assert services.verify_code(signing.full_code(inflated)).status == "unknown"


def test_a_code_signed_by_another_key_is_refused(certificate):
    other = Ed25519PrivateKey.generate()
    payload = services.payload_of(certificate)
    for code in (signing.full_code(payload, other), signing.short_code(payload, other)):
        response = check(code)
        assert response.status_code == 404
        assert "altered or mistyped" in response.content.decode()


def test_garbage_is_refused_clearly(db):
    for code in ("HELLO", "0" * 32, "A" * 127, "<script>"):
        response = new_client().get("/verify/", {"code": code}, follow=True)
        assert response.status_code == 404
        assert "This code is not genuine" in response.content.decode()


def test_the_form_sends_a_typed_code_to_its_page(certificate):
    short = codes(certificate)[0]
    client = new_client()
    assert client.get("/verify/").status_code == 200
    response = client.get("/verify/", {"code": f" {signing.group(short).lower()} "})
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{short}/"
    response = client.get("/verify/", {"code": " - "})
    assert response.status_code == 400
    assert "Type the code printed on the certificate." in response.content.decode()
    response = client.get("/verify/", {"code": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_the_public_page_is_rate_limited(certificate, settings):
    settings.DOHA_VERIFY_RATE = 2
    short = codes(certificate)[0]
    client = new_client()
    assert check(short, client).status_code == 200
    assert check(short, client).status_code == 200
    response = check(short, client)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many checks" in response.content.decode()
    other_address = new_client(REMOTE_ADDR="10.0.0.9")
    assert check(short, other_address).status_code == 200


def test_the_public_page_is_not_cached_nor_indexed(certificate):
    response = check(codes(certificate)[0])
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]


# ---------------------------------------------------------------- revocation


def test_an_officer_revokes_with_a_reason_and_the_page_shows_it(certificate, users):
    url = f"/training/certificates/{certificate.pk}/revoke/"
    client = new_client()
    client.force_login(users.doh)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"reason": "Hồ sơ dự học không hợp lệ"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_by == users.doh and certificate.revoked_at is not None
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Certificate),
        object_pk=str(certificate.pk),
        actor=users.doh,
    )
    assert entry.exists()

    for code in codes(certificate):
        response = check(code)
        assert response.status_code == 200
        text = response.content.decode()
        assert "This certificate was issued, then revoked." in text
        assert "Hồ sơ dự học không hợp lệ" in text
        assert timezone.localtime(certificate.revoked_at).strftime("%d/%m/%Y") in text
        assert "genuine and valid" not in text
    # Revoked once: the page refuses a second time, and the PDF is no longer given out.
    response = client.post(url, {"reason": "again"})
    assert response.status_code == 400
    assert "already revoked" in response.content.decode()
    assert (
        client.get(f"/training/enrolments/{certificate.enrolment_id}/certificate/").status_code
        == 404
    )


def test_only_the_organisers_side_revokes(certificate, users):
    url = f"/training/certificates/{certificate.pk}/revoke/"
    clerk = new_client()
    clerk.force_login(users.clerk)  # the holder's facility sees it but does not manage
    assert clerk.post(url, {"reason": "x"}).status_code == 403
    stranger = new_client()
    stranger.force_login(users.doh_tn)
    assert stranger.post(url, {"reason": "x"}).status_code == 404
    anonymous = new_client()
    assert anonymous.post(url, {"reason": "x"}).status_code == 302  # to sign in
    certificate.refresh_from_db()
    assert certificate.revoked_at is None


def test_changing_a_passed_result_revokes_the_certificate(passed, certificate):
    services.record_result(passed, result=Result.FAILED, reason="Thi lại không đạt")
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    assert certificate.revoked_reason == "Thi lại không đạt"
    assert services.verify_code(codes(certificate)[0]).status == "revoked"
    # Passing again issues a new certificate with a new serial; the old code stays revoked.
    services.record_result(passed, result=Result.PASSED)
    new = services.current_certificate(passed)
    assert new.serial == certificate.serial + 1
    assert services.verify_code(codes(new)[0]).ok


def test_the_course_page_links_revocation_for_managers(passed, certificate, users):
    client = new_client()
    client.force_login(users.doh)
    text = client.get(passed.course.get_absolute_url()).content.decode()
    assert f"/training/certificates/{certificate.pk}/revoke/" in text
    clerk = new_client()
    clerk.force_login(users.clerk)
    text = clerk.get(passed.course.get_absolute_url()).content.decode()
    assert f"/training/certificates/{certificate.pk}/revoke/" not in text


# ---------------------------------------------------------------- offline


def test_offline_verification_with_the_public_key_only(certificate, tmp_path, capsys, settings):
    public = tmp_path / "public.pem"
    call_command("certificate_key", public_out=str(public))
    assert "BEGIN PUBLIC KEY" in public.read_text()
    short, full = codes(certificate)
    # Offline: no private key at all.
    settings.DOHA_CERTIFICATE_KEY_FILE = str(tmp_path / "absent.pem")
    capsys.readouterr()
    call_command("verify_certificate", signing.group(full), public_key=str(public))
    out = capsys.readouterr().out
    assert f"VALID signature: serial {certificate.serial}" in out
    assert "40,0 credit hours" in out
    call_command(
        "verify_certificate",
        full,
        public_key=str(public),
        holder=f"  {NAME} ",
        course=certificate.enrolment.course.uid,
    )
    assert "holder and course match" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not issued to this person"):
        call_command(
            "verify_certificate",
            full,
            public_key=str(public),
            holder="Nguyễn Văn An",
            course=certificate.enrolment.course.uid,
        )
    with pytest.raises(CommandError, match="altered or signed by another key"):
        call_command("verify_certificate", alter(full, 40), public_key=str(public))
    with pytest.raises(CommandError, match="short code is checked only online"):
        call_command("verify_certificate", short, public_key=str(public))


def test_offline_check_refuses_another_instances_key(certificate, tmp_path):
    other = tmp_path / "other.pem"
    other.write_text(signing.public_pem(Ed25519PrivateKey.generate()))
    with pytest.raises(CommandError, match="altered or signed by another key"):
        call_command("verify_certificate", codes(certificate)[1], public_key=str(other))
    with pytest.raises(CommandError, match="--public-key: no such file"):
        call_command("verify_certificate", "X", public_key=str(tmp_path / "none.pem"))


def test_the_key_command_never_replaces_a_key(tmp_path, settings, capsys):
    path = tmp_path / "var" / "certificate_key.pem"
    settings.DOHA_CERTIFICATE_KEY_FILE = str(path)
    call_command("certificate_key")
    first = capsys.readouterr().out
    assert path.stat().st_mode & 0o077 == 0  # private to its owner
    call_command("certificate_key")
    assert capsys.readouterr().out == first


def test_a_missing_key_is_a_clear_error(certificate, settings, tmp_path):
    settings.DOHA_CERTIFICATE_KEY_FILE = str(tmp_path / "absent.pem")
    with pytest.raises(signing.CertificateKeyMissing, match="manage.py certificate_key"):
        codes(certificate)


def test_the_name_mask():
    assert signing.mask_name("Nguyễn Văn An") == "Nguyễn V*** A***"
    assert signing.mask_name("Lò Văn Páo") == "Lò V*** P***"
    assert signing.mask_name("Hùng") == "H***"
    assert signing.mask_name("") == ""


# ---------------------------------------------------------------- the PDF and its QR code


def _page(pdf: bytes, tmp_path, dpi: int):
    from PIL import Image

    path = tmp_path / "cert.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    return Image.open(tmp_path / "page.png").convert("L")


@needs_poppler
def test_the_printed_qr_code_is_the_verification_url(passed, certificate, tmp_path):
    """The page is rendered to pixels and every module of the printed QR code is compared
    with segno's encoding of the verification URL (no QR decoder is installed)."""
    full = codes(certificate)[1]
    url = f"http://testserver/verify/{full}/"
    assert certificates.verification_url(full, "http://testserver/") == url
    dpi = 300
    image = _page(render_certificate(passed, base_url="http://testserver/"), tmp_path, dpi)
    expected = [list(row) for row in certificates.qr_for(url).matrix_iter(border=4)]
    scale = dpi / 72
    page_height_pt = image.height / scale
    module = certificates.QR_SIZE / len(expected)
    left = certificates.QR_X
    top = page_height_pt - certificates.QR_Y - certificates.QR_SIZE
    printed = [
        [
            image.getpixel(
                (int((left + (c + 0.5) * module) * scale), int((top + (r + 0.5) * module) * scale))
            )
            < 128
            for c in range(len(expected))
        ]
        for r in range(len(expected))
    ]
    assert printed == [[bool(v) for v in row] for row in expected]
    # The URL is the page that says the certificate is valid.
    response = new_client().get(url.removeprefix("http://testserver"))
    assert "This certificate is genuine and valid." in response.content.decode()


@needs_poppler
def test_the_pdf_prints_the_codes(passed, certificate, tmp_path):
    short, full = codes(certificate)
    path = tmp_path / "cert.pdf"
    path.write_bytes(render_certificate(passed, base_url="https://doha.example.vn/"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert signing.group(short) in text
    assert "https://doha.example.vn/verify/" in text
    assert f"Số hiệu: {certificate.serial}" in text
    printed_full = "".join(text.split("(Ed25519):")[1].split("\n")[0].split())
    assert signing.normalize(printed_full) == full


def test_the_download_carries_the_request_address(passed, certificate, users):
    client = new_client()
    client.force_login(users.clerk)
    response = client.get(f"/training/enrolments/{passed.pk}/certificate/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.get(f"/api/enrolments/{passed.pk}/certificate/").status_code == 200
