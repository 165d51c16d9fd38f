from django.core.exceptions import ValidationError

from doha.awards import services
from doha.awards.api.serializers import AwardSerializer
from doha.awards.filters import AwardFilterSet
from doha.awards.models import Award
from doha.core.api.viewsets import ScopedModelViewSet, as_api_error


class AwardViewSet(ScopedModelViewSet):
    """Commendations and awards (bằng khen, giấy khen): exactly one recipient, a unit
    (``recipient_unit``) or a health worker (``recipient_person``); an issuer of the tree
    (``issuer``) or named outside it (``issuer_name``)."""

    queryset = Award.objects.select_related(
        "issuer", "recipient_unit", "recipient_person", "programme"
    ).order_by("-decision_date", "-pk")
    serializer_class = AwardSerializer
    filterset_class = AwardFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _save(self, serializer, instance=None):
        award = instance or Award()
        for key, value in serializer.validated_data.items():
            setattr(award, key, value)
        try:
            serializer.instance = services.save_award(award, user=self.request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)
