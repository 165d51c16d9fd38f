from django.urls import path

from doha.training import views, views_certificates

app_name = "training"

urlpatterns = [
    path("", views.CourseListView.as_view(), name="list"),
    path("add/", views.CourseCreateView.as_view(), name="add"),
    path("import/", views.CourseImportView.as_view(), name="import"),
    path("import/enrolments/", views.EnrolmentImportView.as_view(), name="import_enrolments"),
    path("enrolments/<int:pk>/result/", views.ResultView.as_view(), name="result"),
    path("enrolments/<int:pk>/certificate/", views.CertificateView.as_view(), name="certificate"),
    path(
        "certificates/",
        views_certificates.CertificateListView.as_view(),
        name="certificate_list",
    ),
    path("certificates/<int:pk>/revoke/", views.RevokeView.as_view(), name="revoke"),
    path("<str:uid>/", views.CourseDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.CourseEditView.as_view(), name="edit"),
    path("<str:uid>/enrol/", views.EnrolView.as_view(), name="enrol"),
]
