from django.urls import path

from doha.gaps.api import views

urlpatterns = [
    path("gaps/matrix/", views.MatrixAPIView.as_view(), name="gaps-matrix"),
    path("gaps/facilities/<str:uid>/", views.FacilityGapAPIView.as_view(), name="gaps-facility"),
]
