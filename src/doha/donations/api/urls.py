from rest_framework.routers import DefaultRouter

from doha.donations.api.views import DonationViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("donations", DonationViewSet, basename="donation")

urlpatterns = router.urls
