from django.urls import path

from doha.telehealth import views

app_name = "telehealth"

urlpatterns = [
    path("", views.ConsultationListView.as_view(), name="list"),
    path("add/", views.ConsultationCreateView.as_view(), name="add"),
    path("import/", views.ConsultationImportView.as_view(), name="import"),
    path("figures/", views.FiguresView.as_view(), name="figures"),
    path("sessions/", views.SessionListView.as_view(), name="session_list"),
    path("sessions/add/", views.SessionCreateView.as_view(), name="session_add"),
    path("sessions/<str:uid>/", views.SessionDetailView.as_view(), name="session_detail"),
    path("sessions/<str:uid>/edit/", views.SessionEditView.as_view(), name="session_edit"),
    path("<str:uid>/", views.ConsultationDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.ConsultationEditView.as_view(), name="edit"),
]
