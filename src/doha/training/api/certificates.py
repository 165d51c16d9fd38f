"""The certificate register over REST: read-only, scoped like the list page."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from doha.core.api.viewsets import ScopedModelViewSet
from doha.training import services, signing
from doha.training.certificates import verification_url
from doha.training.filters import CertificateFilterSet
from doha.training.models import Certificate
from doha.training.views_certificates import register_queryset


class CertificateSerializer(serializers.ModelSerializer):
    certificate_number = serializers.CharField(source="enrolment.certificate_number")
    holder = serializers.CharField(source="enrolment.worker.uid", help_text=_("UID of the worker."))
    holder_name = serializers.CharField(source="enrolment.worker.full_name")
    facility = serializers.CharField(source="enrolment.worker.facility.uid")
    facility_name = serializers.CharField(source="enrolment.worker.facility.name")
    course = serializers.CharField(source="enrolment.course.uid")
    course_title = serializers.CharField(source="enrolment.course.title")
    revoked = serializers.BooleanField()
    code = serializers.SerializerMethodField(help_text=_("The short public code, grouped."))
    verify_url = serializers.SerializerMethodField(help_text=_("The public verification page."))

    class Meta:
        model = Certificate
        fields = [
            "serial",
            "certificate_number",
            "holder",
            "holder_name",
            "facility",
            "facility_name",
            "course",
            "course_title",
            "hours",
            "issued_on",
            "revoked",
            "revoked_at",
            "revoked_reason",
            "code",
            "verify_url",
        ]
        read_only_fields = fields

    def _code(self, obj: Certificate) -> str:
        cache = self.context.setdefault("codes", {})
        if obj.pk not in cache:
            cache[obj.pk] = services.codes_of(obj)[0]
        return cache[obj.pk]

    def get_code(self, obj: Certificate) -> str:
        return signing.group(self._code(obj))

    def get_verify_url(self, obj: Certificate) -> str:
        return verification_url(self._code(obj))


class CertificateViewSet(ScopedModelViewSet):
    """Issued certificates, newest first; retrieve one by its serial. Read-only: a
    certificate is revoked on the course page, never changed or deleted."""

    queryset = register_queryset(Certificate.objects.all())
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilterSet
    lookup_field = "serial"
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "head", "options"]
