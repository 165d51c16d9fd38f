from django.core.exceptions import ValidationError

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.donations import services
from doha.donations.api.serializers import DonationSerializer
from doha.donations.filters import DonationFilterSet
from doha.donations.models import Donation, DonationItem


class DonationViewSet(ScopedModelViewSet):
    """Donations and equipment support with their items (values in whole VND).

    ``items`` replaces the donation's list when given; at least one is needed."""

    queryset = (
        Donation.objects.select_related("donor", "recipient", "programme")
        .prefetch_related("items")
        .order_by("-date", "-pk")
    )
    serializer_class = DonationSerializer
    filterset_class = DonationFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        items_data = data.pop("items", None)
        donation = instance or Donation()
        for key, value in data.items():
            setattr(donation, key, value)
        if items_data is None and instance is not None:
            items = [
                DonationItem(
                    item=i.item,
                    quantity=i.quantity,
                    unit=i.unit,
                    unit_value=i.unit_value,
                    total_value=i.total_value,
                )
                for i in instance.items.order_by("pk")
            ]
        else:
            items = [DonationItem(**i) for i in items_data or []]
        try:
            serializer.instance = services.save_donation(donation, items, user=self.request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)
