from django.urls import path

from doha.rotations import views

app_name = "rotations"

urlpatterns = [
    path("", views.RotationListView.as_view(), name="list"),
    path("add/", views.RotationCreateView.as_view(), name="add"),
    path("import/", views.RotationImportView.as_view(), name="import"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("<str:uid>/", views.RotationDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.RotationEditView.as_view(), name="edit"),
    path("<str:uid>/cancel/", views.CancelView.as_view(), name="cancel"),
    path("<str:uid>/outputs/", views.OutputsView.as_view(), name="outputs"),
]
