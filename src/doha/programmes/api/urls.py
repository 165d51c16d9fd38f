from rest_framework.routers import DefaultRouter

from doha.programmes.api.views import (
    AssessmentViewSet,
    NeedViewSet,
    ProgrammeViewSet,
    ResponseViewSet,
    SurveyViewSet,
)

router = DefaultRouter()
router.include_root_view = False  # the orgunits router serves /api/
router.register("surveys", SurveyViewSet, basename="survey")
router.register("survey-responses", ResponseViewSet, basename="surveyresponse")
router.register("needs", NeedViewSet, basename="need")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("programmes", ProgrammeViewSet, basename="programme")

urlpatterns = router.urls
