"""PDF from .docx through LibreOffice headless (``soffice --headless --convert-to pdf``).

Each conversion runs with its own throw-away LibreOffice profile
(``-env:UserInstallation=file:///tmp/...``), so conversions in parallel threads and a user's
open LibreOffice never share one, and with a timeout. Without LibreOffice on the machine
``convert`` raises ``PdfUnavailable`` with the reason, which the report page shows.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 120


class PdfUnavailable(Exception):
    """No PDF could be made; the message says why."""


def soffice_path() -> str | None:
    configured = getattr(settings, "REPORTS_SOFFICE", None)
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(docx: bytes, timeout: int | None = None) -> bytes:
    binary = soffice_path()
    if binary is None:
        raise PdfUnavailable(_("LibreOffice is not installed on the server, so no PDF was made."))
    timeout = timeout or getattr(settings, "REPORTS_PDF_TIMEOUT", TIMEOUT_SECONDS)
    with tempfile.TemporaryDirectory(prefix="doha-pdf-") as work:
        folder = Path(work)
        source = folder / "report.docx"
        source.write_bytes(docx)
        profile = (folder / "profile").as_uri()
        command = [
            binary,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ]
        try:
            completed = subprocess.run(
                command,
                capture_output=True,
                timeout=timeout,
                check=False,
                cwd=folder,
                env={"HOME": work, "PATH": "/usr/bin:/bin:/usr/local/bin"},
            )
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(
                _("LibreOffice took longer than %(seconds)s seconds; no PDF was made.")
                % {"seconds": timeout}
            ) from None
        target = folder / "report.pdf"
        if completed.returncode != 0 or not target.exists():
            detail = (completed.stderr or completed.stdout or b"").decode("utf-8", "replace")
            raise PdfUnavailable(
                _("LibreOffice could not convert the document: %(detail)s")
                % {"detail": detail.strip()[:200] or completed.returncode}
            )
        return target.read_bytes()
