from rest_framework.routers import DefaultRouter

from doha.training.api.views import CourseViewSet, EnrolmentViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("courses", CourseViewSet, basename="course")
router.register("enrolments", EnrolmentViewSet, basename="enrolment")

urlpatterns = router.urls
