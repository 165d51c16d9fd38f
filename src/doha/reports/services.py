"""Writing reports: saving what the officer chose, and generating versions in the background.

``generate(report, user)`` adds a queued ``ReportVersion`` and, once the transaction commits,
starts a daemon thread that runs the kind's builder (``BUILDERS``), converts the .docx to PDF
and stores the files, updating ``progress`` (0-100) and ``message`` as it goes; the report
page polls them. With ``settings.REPORTS_RUN_INLINE`` (tests) the version is built at once,
in the caller's thread. ``settings.REPORTS_PDF = False`` skips the PDF (tests that do not
look at it: a LibreOffice conversion takes seconds).

Builders are named by dotted path and imported only when a version of their kind is built,
so a kind whose module is not installed fails that version with a clear message instead
of breaking the app.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import threading
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import OperationalError, close_old_connections, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from doha.core.scope import can, in_scope
from doha.reports.models import Report, ReportVersion, VersionStatus
from doha.reports.pdf import PdfUnavailable, convert

logger = logging.getLogger(__name__)

# Kind -> "module.function" with the signature build(report, version, progress) -> BuiltReport
# (see doha.reports.document).
BUILDERS = {
    "semiannual": "doha.reports.semiannual.build",
    "programme": "doha.reports.programme.build",
    "linedirection": "doha.reports.linedirection.build",
}
# A version still queued or running after this long was lost (the server stopped).
STALE_AFTER = datetime.timedelta(minutes=20)


def builder_for(kind: str):
    path = BUILDERS.get(kind)
    if path is None:
        raise ImproperlyConfigured(_("No report builder for the kind “%(kind)s”.") % {"kind": kind})
    module_name, function = path.rsplit(".", 1)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ImproperlyConfigured(
            _("The builder of this kind of report (%(module)s) is not installed.")
            % {"module": module_name}
        ) from None
    return getattr(module, function)


def check_unit(user, unit, field: str = "org_unit"):
    if unit is None or not in_scope(user, unit.path):
        raise ValidationError({field: _("This unit is outside your scope.")})


def save_report(report: Report, *, user) -> Report:
    """Validate and save a report the user writes (new or edited)."""
    if not can(user, Report, "change" if report.pk else "add"):
        raise PermissionDenied(_("Your role does not allow this action."))
    check_unit(user, report.org_unit)
    if report.kind == "programme":
        from doha.programmes.models import Programme

        if report.programme_id is None:
            raise ValidationError({"programme": _("Choose the programme.")})
        if not Programme.objects.restrict(user, "view").filter(pk=report.programme_id).exists():
            raise ValidationError({"programme": _("This programme is outside your scope.")})
    if report.start_date and report.end_date and report.start_date > report.end_date:
        raise ValidationError({"end_date": _("The end comes before the start.")})
    if report.issuer_id is None:
        unit = getattr(user, "org_unit", None)
        report.issuer = (
            unit
            if unit is not None and report.org_unit.path.startswith(unit.path)
            else report.org_unit
        )
    report.full_clean()
    report.save()
    return report


def generate(report: Report, user) -> ReportVersion:
    """Queue a new version of ``report`` (earlier versions stay) and start building it."""
    if not can(user, Report, "change") or not in_scope(user, report.org_unit.path):
        raise PermissionDenied(_("Your role does not allow this action."))
    with transaction.atomic():
        Report.objects.select_for_update().filter(pk=report.pk).first()
        last = report.versions.aggregate(n=Max("number"))["n"] or 0
        version = ReportVersion.objects.create(
            report=report,
            number=last + 1,
            status=VersionStatus.QUEUED,
            created_by=user,
            message=_("Waiting to start"),
        )
    if getattr(settings, "REPORTS_RUN_INLINE", False):
        run_version(version.pk)
        version.refresh_from_db()
    else:
        transaction.on_commit(lambda: start_thread(version.pk))
    return version


def start_thread(version_pk: int) -> threading.Thread:
    thread = threading.Thread(
        target=_thread_main, args=(version_pk,), name=f"report-{version_pk}", daemon=True
    )
    thread.start()
    return thread


def _thread_main(version_pk: int) -> None:
    close_old_connections()
    try:
        run_version(version_pk)
    finally:
        connection.close()


def _progress(version_pk: int):
    def report_progress(percent: int, message: str = "") -> None:
        try:
            ReportVersion.objects.filter(pk=version_pk).update(
                progress=max(0, min(int(percent), 99)), message=str(message)[:300]
            )
        except OperationalError as exc:
            # A progress line is not worth the report: when the database is busy at that
            # instant (SQLite locks a table a page is reading), the line is skipped.
            logger.info("report version %s: progress not saved (%s)", version_pk, exc)

    return report_progress


def _save_finished(version: ReportVersion, **kwargs) -> None:
    """Save the finished version, trying again for a few seconds while the database is
    busy (SQLite) rather than leaving it running."""
    for attempt in range(_SAVE_ATTEMPTS):
        try:
            version.save(**kwargs)
            return
        except OperationalError:
            if attempt == _SAVE_ATTEMPTS - 1:
                raise
            time.sleep(0.25 * (attempt + 1))


_SAVE_ATTEMPTS = 8


def run_version(version_pk: int, pdf: bool | None = None) -> ReportVersion:
    """Build one queued version: the kind's builder, then the PDF (unless ``pdf`` is False
    or ``settings.REPORTS_PDF`` is); the files are stored."""
    version = ReportVersion.objects.select_related(
        "report", "report__org_unit", "report__issuer", "created_by"
    ).get(pk=version_pk)
    report = version.report
    progress = _progress(version_pk)
    with translation.override(report.language):
        ReportVersion.objects.filter(pk=version_pk).update(
            status=VersionStatus.RUNNING, progress=1, message=_("Started")
        )
        try:
            built = builder_for(report.kind)(report, version, progress)
            pdf_bytes, note = None, ""
            if pdf is None:
                pdf = getattr(settings, "REPORTS_PDF", True)
            if pdf:
                progress(95, _("Converting to PDF"))
                try:
                    pdf_bytes = convert(built.docx)
                except PdfUnavailable as exc:
                    note = str(exc)
            else:
                note = _("PDF conversion is turned off on this server.")
        except Exception as exc:  # the version records any failure; the page shows it
            logger.exception("report version %s failed", version_pk)
            version.status = VersionStatus.FAILED
            version.error = f"{type(exc).__name__}: {exc}"[:2000]
            version.message = _("Generation failed")
            version.finished = timezone.now()
            _save_finished(
                version, update_fields=["status", "error", "message", "finished", "last_updated"]
            )
            return version
        version.docx = built.docx
        version.xlsx = built.xlsx
        version.pdf = pdf_bytes
        version.pdf_note = note[:300]
        version.status = VersionStatus.DONE
        version.progress = 100
        version.message = _("Done")
        version.finished = timezone.now()
        _save_finished(version)
    return version


def is_stale(version: ReportVersion) -> bool:
    return version.is_pending and version.created < timezone.now() - STALE_AFTER
