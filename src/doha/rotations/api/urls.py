from rest_framework.routers import DefaultRouter

from doha.rotations.api.views import RotationViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("rotations", RotationViewSet, basename="rotation")

urlpatterns = router.urls
