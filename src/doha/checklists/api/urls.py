from rest_framework.routers import DefaultRouter

from doha.checklists.api.views import ChecklistFillViewSet, ChecklistTemplateViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("checklist-templates", ChecklistTemplateViewSet, basename="checklisttemplate")
router.register("checklist-fills", ChecklistFillViewSet, basename="checklistfill")

urlpatterns = router.urls
