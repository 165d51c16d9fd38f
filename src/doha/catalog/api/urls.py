from rest_framework.routers import SimpleRouter

from doha.catalog.api.views import CapabilityViewSet, SpecialtyViewSet, TechniqueViewSet

# SimpleRouter: the API root page is the orgunits router's, under the same prefix.
router = SimpleRouter()
router.register("specialties", SpecialtyViewSet, basename="specialty")
router.register("techniques", TechniqueViewSet, basename="technique")
router.register("capabilities", CapabilityViewSet, basename="capability")

urlpatterns = router.urls
