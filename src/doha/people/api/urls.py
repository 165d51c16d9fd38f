from rest_framework.routers import SimpleRouter

from doha.people.api.views import CmeEntryViewSet, WorkerViewSet

# SimpleRouter: the API root page is the orgunits router's, under the same prefix.
router = SimpleRouter()
router.register("workers", WorkerViewSet, basename="worker")
router.register("cme-entries", CmeEntryViewSet, basename="cme-entry")

urlpatterns = router.urls
