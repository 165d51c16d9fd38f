from django.urls import path

from doha.donations import views

app_name = "donations"

urlpatterns = [
    path("", views.DonationListView.as_view(), name="list"),
    path("add/", views.DonationCreateView.as_view(), name="add"),
    path("import/", views.DonationImportView.as_view(), name="import"),
    path("<str:uid>/", views.DonationDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.DonationEditView.as_view(), name="edit"),
]
