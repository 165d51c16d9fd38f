from rest_framework.routers import DefaultRouter

from doha.transfers.api.views import TransferViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("transfers", TransferViewSet, basename="transfer")

urlpatterns = router.urls
