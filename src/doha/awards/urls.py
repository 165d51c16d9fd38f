from django.urls import path

from doha.awards import views

app_name = "awards"

urlpatterns = [
    path("", views.AwardListView.as_view(), name="list"),
    path("add/", views.AwardCreateView.as_view(), name="add"),
    path("<str:uid>/", views.AwardDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.AwardEditView.as_view(), name="edit"),
]
