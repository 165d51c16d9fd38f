from rest_framework.routers import DefaultRouter

from doha.telehealth.api.views import ConsultationViewSet, SessionViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("consultations", ConsultationViewSet, basename="consultation")
router.register("tele-education", SessionViewSet, basename="tele-education")

urlpatterns = router.urls
