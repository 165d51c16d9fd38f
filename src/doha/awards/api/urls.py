from rest_framework.routers import DefaultRouter

from doha.awards.api.views import AwardViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("awards", AwardViewSet, basename="award")

urlpatterns = router.urls
