from django.urls import path

from doha.orgunits import views

app_name = "orgunits"

urlpatterns = [
    path("", views.OrgUnitListView.as_view(), name="list"),
    path("tree/", views.OrgUnitTreeView.as_view(), name="tree"),
    path("add/", views.OrgUnitCreateView.as_view(), name="add"),
    path("import/", views.OrgUnitImportView.as_view(), name="import"),
    path("admin-units/", views.AdminUnitListView.as_view(), name="adminunit_list"),
    path("<str:uid>/", views.OrgUnitDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.OrgUnitEditView.as_view(), name="edit"),
    path("<str:uid>/move/", views.OrgUnitMoveView.as_view(), name="move"),
    path("<str:uid>/retire/", views.OrgUnitRetireView.as_view(), name="retire"),
]
