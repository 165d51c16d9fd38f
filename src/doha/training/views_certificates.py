"""The register of issued certificates: a filtered list, its .xlsx export and (in api/)
the same list over REST. Names are shown in full, as in the people register; exports are
logged as access to the holders' personal data (Decree 13/2023/NĐ-CP)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.core import privacy
from doha.core.views import ColumnExportMixin, ObjectListView
from doha.people.models import HealthWorker
from doha.training import services, signing
from doha.training.certificates import verification_url
from doha.training.filters import CertificateFilterSet
from doha.training.models import Certificate

COLUMNS = [
    (gettext_lazy("Serial"), 9),
    (gettext_lazy("Certificate number"), 18),
    (gettext_lazy("Holder"), 30),
    (gettext_lazy("Facility"), 35),
    (gettext_lazy("Course"), 40),
    (gettext_lazy("Credit hours"), 10),
    (gettext_lazy("Issued on"), 12),
    (gettext_lazy("Status"), 10),
    (gettext_lazy("Revoked on"), 12),
    (gettext_lazy("Reason for revocation"), 35),
    (gettext_lazy("Verification code"), 30),
]


def register_queryset(queryset):
    return queryset.select_related(
        "enrolment__course", "enrolment__worker__facility", "revoked_by"
    ).order_by("-issued_on", "-serial")


def short_code(certificate: Certificate) -> str:
    """The short public code, grouped as printed on the certificate."""
    return signing.group(services.codes_of(certificate)[0])


def status_label(certificate: Certificate) -> str:
    return _("revoked") if certificate.revoked else _("valid")


def _row(c: Certificate) -> list:
    revoked_on = timezone.localtime(c.revoked_at).date() if c.revoked else None
    return [
        c.serial,
        c.enrolment.certificate_number,
        c.enrolment.worker.full_name,
        c.enrolment.worker.facility.name,
        c.enrolment.course.title,
        float(c.hours),
        c.issued_on.strftime("%d/%m/%Y"),
        status_label(c),
        revoked_on.strftime("%d/%m/%Y") if revoked_on else "",
        c.revoked_reason,
        short_code(c),
    ]


class CertificateListView(ColumnExportMixin, ObjectListView):
    model = Certificate
    filterset_class = CertificateFilterSet
    template_name = "training/certificate_list.html"

    def get_queryset(self, action=None):
        return register_queryset(super().get_queryset(action))

    columns = COLUMNS
    export_filename = "chung-chi"
    sheet_title = gettext_lazy("Certificates")

    def export_row(self, certificate):
        return _row(certificate)

    def export(self, queryset, fmt):
        privacy.log_export(
            HealthWorker.objects.filter(pk__in=queryset.values("enrolment__worker")),
            self.request.user,
            fmt,
        )
        return super().export(queryset, fmt)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = []
        for c in ctx["object_list"]:
            code = services.codes_of(c)[0]
            rows.append(
                {
                    "object": c,
                    "code": signing.group(code),
                    "verify_url": verification_url(code),
                }
            )
        ctx.update(rows=rows, active_nav="certificates")
        return ctx
