from django.core.exceptions import ValidationError

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.telehealth import services
from doha.telehealth.api.serializers import ConsultationSerializer, SessionSerializer
from doha.telehealth.filters import ConsultationFilterSet, SessionFilterSet
from doha.telehealth.models import Consultation, TeleEducationSession


class ConsultationViewSet(ScopedModelViewSet):
    """Remote consultations (hội chẩn từ xa). The patient summary is de-identified: a text
    holding a citizen ID or a phone number is refused. Never deleted."""

    queryset = (
        Consultation.objects.select_related("requesting", "hub", "specialty")
        .prefetch_related("participants")
        .order_by("-requested_at", "-pk")
    )
    serializer_class = ConsultationSerializer
    filterset_class = ConsultationFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        participants = data.pop("participants", None)
        consultation = instance or Consultation()
        for key, value in data.items():
            setattr(consultation, key, value)
        try:
            serializer.instance = services.save_consultation(
                consultation, participants, user=self.request.user
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


class SessionViewSet(ScopedModelViewSet):
    """Tele-education sessions (hub and spoke, as in Project ECHO) with their attendance."""

    queryset = (
        TeleEducationSession.objects.select_related("hub", "specialty")
        .prefetch_related("spokes", "attendances__facility")
        .order_by("-date", "-pk")
    )
    serializer_class = SessionSerializer
    filterset_class = SessionFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        spokes = data.pop("spokes", None)
        attendances = data.pop("attendances", None)
        session = instance or TeleEducationSession()
        for key, value in data.items():
            setattr(session, key, value)
        if instance is not None:
            if spokes is None:
                spokes = list(instance.spokes.all())
            if attendances is None:
                pairs = [(a.facility, a.attendees) for a in instance.attendances.all()]
            else:
                pairs = [(a["facility"], a["attendees"]) for a in attendances]
        else:
            pairs = [(a["facility"], a["attendees"]) for a in attendances or []]
        try:
            serializer.instance = services.save_session(
                session, spokes, pairs, user=self.request.user
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)
