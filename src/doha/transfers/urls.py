from django.urls import path

from doha.transfers import views, views_sustainment

app_name = "transfers"

urlpatterns = [
    path("", views.TransferListView.as_view(), name="list"),
    path("add/", views.TransferCreateView.as_view(), name="add"),
    path("matching/", views.MatchingView.as_view(), name="matching"),
    path("matching/<int:pk>/", views.NeedProposalsView.as_view(), name="need_proposals"),
    path("sustainment/", views_sustainment.SustainmentListView.as_view(), name="sustainment_list"),
    path("evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence"),
    path("<str:uid>/", views.TransferDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.TransferEditView.as_view(), name="edit"),
    path("<str:uid>/transition/", views.TransitionView.as_view(), name="transition"),
    path("<str:uid>/cancel/", views.CancelView.as_view(), name="cancel"),
    path("<str:uid>/cases/", views.CaseView.as_view(), name="cases"),
    path("<str:uid>/sustainment/", views.SustainmentView.as_view(), name="sustainment"),
    path(
        "<str:uid>/sustainment/counts/",
        views_sustainment.SustainmentCountsView.as_view(),
        name="sustainment_counts",
    ),
]
