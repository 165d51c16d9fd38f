from rest_framework.routers import DefaultRouter

from doha.orgunits.api.views import AdminUnitViewSet, OrgUnitViewSet

router = DefaultRouter()
router.register("facilities", OrgUnitViewSet, basename="facility")
router.register("admin-units", AdminUnitViewSet, basename="adminunit")

urlpatterns = router.urls
