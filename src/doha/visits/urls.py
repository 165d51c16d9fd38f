from django.urls import path

from doha.visits import views

app_name = "visits"

urlpatterns = [
    path("", views.VisitListView.as_view(), name="list"),
    path("add/", views.VisitCreateView.as_view(), name="add"),
    path("actions/", views.ActionListView.as_view(), name="actions"),
    path("actions/mine/", views.MyActionListView.as_view(), name="my_actions"),
    path("actions/<str:uid>/", views.ActionDetailView.as_view(), name="action_detail"),
    path("actions/<str:uid>/edit/", views.ActionEditView.as_view(), name="action_edit"),
    path("actions/<str:uid>/status/", views.ActionStatusView.as_view(), name="action_status"),
    path("actions/<str:uid>/evidence/", views.ActionEvidenceView.as_view(), name="action_evidence"),
    path("<str:uid>/", views.VisitDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.VisitEditView.as_view(), name="edit"),
    path("<str:uid>/actions/add/", views.ActionCreateView.as_view(), name="action_add"),
    path("<str:uid>/attachments/add/", views.AttachmentAddView.as_view(), name="attachment_add"),
    path(
        "<str:uid>/attachments/<int:pk>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment",
    ),
]
