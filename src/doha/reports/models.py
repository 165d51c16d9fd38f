"""Reports a DOH writes from doha's own data, in the administrative document format of
Decree 30/2020/NĐ-CP, and the letterhead each unit prints them on.

A ``Report`` holds what the officer chose and wrote (kind, unit, period, number, the free
text of shortcomings and next tasks); each generation makes a ``ReportVersion`` with its
files (.docx, .xlsx annex, .pdf). Earlier versions are kept. Files are stored in the
database (``BinaryField``): nothing to configure on a fresh machine, the same permission
and scope checks guard the downloads, and tests leave no files behind.
"""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.models import BaseModel
from doha.core.scope import RestrictedQuerySet
from doha.core.uid import generate_uid
from doha.orgunits.models import OrgUnit
from doha.programmes.models import Programme


class Letterhead(BaseModel):
    """The header and signature block a unit prints its documents with (Phụ lục I of
    Decree 30/2020/NĐ-CP): the governing body above, the issuing body, the symbol after the
    number, the place of the date line, who signs, and the usual recipients."""

    scope_path_field = "org_unit__path"
    permission_resource = "report"
    audit_exclude = ["template"]

    org_unit = models.OneToOneField(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="letterhead"
    )
    parent_body = models.CharField(
        _("governing body"),
        max_length=200,
        blank=True,
        help_text=_("The body above the issuer, e.g. UBND TỈNH QUẢNG NINH."),
    )
    issuing_body = models.CharField(_("issuing body"), max_length=200, help_text=_("e.g. SỞ Y TẾ"))
    symbol_suffix = models.CharField(
        _("symbol"),
        max_length=40,
        help_text=_("Written after the number: 05/BC-SYT."),
    )
    place_name = models.CharField(
        _("place"), max_length=100, help_text=_("For the date line: Quảng Ninh, ngày ...")
    )
    signer_authority = models.CharField(
        _("signing authority"),
        max_length=100,
        blank=True,
        help_text=_("e.g. KT. GIÁM ĐỐC (empty when the head signs)."),
    )
    signer_title = models.CharField(_("signer's title"), max_length=100)
    signer_name = models.CharField(_("signer's name"), max_length=100, blank=True)
    recipients = models.TextField(
        _("recipients"), blank=True, help_text=_("One recipient a line, without “- ” or “;”.")
    )
    template = models.BinaryField(_("base template"), null=True, blank=True, editable=False)
    template_name = models.CharField(_("template file"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("letterhead")
        verbose_name_plural = _("letterheads")

    def __str__(self):
        return f"{self.issuing_body} ({self.org_unit})"

    def recipient_list(self) -> list[str]:
        return [line.strip(" -;.") for line in self.recipients.splitlines() if line.strip(" -;.")]


class ReportKind(models.TextChoices):
    SEMIANNUAL = "semiannual", _("Semi-annual or annual review")
    PROGRAMME = "programme", _("Programme report")
    LINE_DIRECTION = "linedirection", _("Line-direction report")


class PeriodKind(models.TextChoices):
    FIRST_HALF = "S1", _("First six months")
    SECOND_HALF = "S2", _("Last six months")
    YEAR = "year", _("Whole year")
    RANGE = "range", _("Months from … to …")


class ReportQuerySet(RestrictedQuerySet):
    pass


class Report(BaseModel):
    scope_path_field = "org_unit__path"
    permission_resource = "report"

    uid = models.CharField(
        _("UID"), max_length=11, unique=True, default=generate_uid, editable=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="reports"
    )
    issuer = models.ForeignKey(
        OrgUnit,
        verbose_name=_("issuing unit"),
        on_delete=models.PROTECT,
        related_name="issued_reports",
        null=True,
        blank=True,
        help_text=_("Whose letterhead the report is printed on."),
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    period_kind = models.CharField(
        _("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.FIRST_HALF
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    number = models.PositiveIntegerField(
        _("number"), null=True, blank=True, help_text=_("Số: the register number, if known.")
    )
    date = models.DateField(_("document date"), default=datetime.date.today)
    title = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("Trích yếu; left empty, it is written from the period and the unit."),
    )
    shortcomings = models.TextField(_("shortcomings and difficulties"), blank=True)
    next_tasks = models.TextField(_("next tasks"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="vi"
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-date", "-pk"]

    def __str__(self):
        return self.display_title()

    def get_absolute_url(self):
        return reverse("reports:detail", args=[self.uid])

    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.kind == ReportKind.LINE_DIRECTION:
            from doha.reports.linedirection import default_summary
        else:
            from doha.reports.periods import default_summary
        return default_summary(self)

    def latest_version(self):
        return self.versions.order_by("-number").first()


class VersionStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Done")
    FAILED = "failed", _("Generation failed")


class ReportVersion(BaseModel):
    scope_path_field = "report__org_unit__path"
    permission_resource = "report"
    audit_exclude = ["docx", "xlsx", "pdf"]

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    pdf_note = models.CharField(
        _("PDF note"), max_length=300, blank=True, help_text=_("Why there is no PDF.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    docx = models.BinaryField(_(".docx file"), null=True, blank=True, editable=False)
    xlsx = models.BinaryField(_(".xlsx annex"), null=True, blank=True, editable=False)
    pdf = models.BinaryField(_("PDF file"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="reportversion_number")
        ]

    def __str__(self):
        return f"{self.report} v{self.number}"

    @property
    def is_pending(self) -> bool:
        return self.status in (VersionStatus.QUEUED, VersionStatus.RUNNING)
