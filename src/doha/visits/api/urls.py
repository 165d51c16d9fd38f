from rest_framework.routers import DefaultRouter

from doha.visits.api.views import FollowUpActionViewSet, VisitViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("visits", VisitViewSet, basename="visit")
router.register("visit-actions", FollowUpActionViewSet, basename="visit-action")

urlpatterns = router.urls
