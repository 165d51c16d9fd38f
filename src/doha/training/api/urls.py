from rest_framework.routers import DefaultRouter

from doha.training.api.certificates import CertificateViewSet
from doha.training.api.views import CourseViewSet, EnrolmentViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("courses", CourseViewSet, basename="course")
router.register("enrolments", EnrolmentViewSet, basename="enrolment")
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = router.urls
