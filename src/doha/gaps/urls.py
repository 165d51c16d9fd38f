from django.urls import path

from doha.gaps import views

app_name = "gaps"

urlpatterns = [
    path("", views.MatrixView.as_view(), name="matrix"),
    path("export/", views.MatrixExportView.as_view(), name="matrix_export"),
    path("facility/<str:uid>/", views.FacilityGapView.as_view(), name="facility"),
    path("facility/<str:uid>/send/", views.SendToMatchingView.as_view(), name="send"),
]
