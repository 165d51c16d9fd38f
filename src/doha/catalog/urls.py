from django.urls import path

from doha.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.TechniqueListView.as_view(), name="technique_list"),
    path("techniques/add/", views.TechniqueCreateView.as_view(), name="technique_add"),
    path("techniques/import/", views.TechniqueImportView.as_view(), name="technique_import"),
    path("techniques/options/", views.TechniqueOptionsView.as_view(), name="technique_options"),
    path("techniques/<int:pk>/", views.TechniqueDetailView.as_view(), name="technique_detail"),
    path("techniques/<int:pk>/edit/", views.TechniqueEditView.as_view(), name="technique_edit"),
    path("specialties/", views.SpecialtyListView.as_view(), name="specialty_list"),
    path("capabilities/", views.CapabilityListView.as_view(), name="capability_list"),
    path("capabilities/add/", views.CapabilityCreateView.as_view(), name="capability_add"),
    path("capabilities/<int:pk>/", views.CapabilityDetailView.as_view(), name="capability_detail"),
    path("capabilities/<int:pk>/edit/", views.CapabilityEditView.as_view(), name="capability_edit"),
    path(
        "capabilities/<int:pk>/retire/",
        views.CapabilityRetireView.as_view(),
        name="capability_retire",
    ),
    path(
        "capabilities/<int:pk>/reactivate/",
        views.CapabilityReactivateView.as_view(),
        name="capability_reactivate",
    ),
    path(
        "capabilities/<int:pk>/volumes/",
        views.VolumeRecordView.as_view(),
        name="capability_volume",
    ),
    path(
        "facilities/<str:uid>/",
        views.FacilityCapabilityView.as_view(),
        name="facility_capabilities",
    ),
]
