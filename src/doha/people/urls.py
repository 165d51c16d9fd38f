from django.urls import path

from doha.people import views

app_name = "people"

urlpatterns = [
    path("", views.WorkerListView.as_view(), name="worker_list"),
    path("import/", views.WorkerImportView.as_view(), name="worker_import"),
    path("workers/add/", views.WorkerCreateView.as_view(), name="worker_add"),
    path("workers/<str:uid>/", views.WorkerDetailView.as_view(), name="worker_detail"),
    path("workers/<str:uid>/edit/", views.WorkerEditView.as_view(), name="worker_edit"),
    path("workers/<str:uid>/retire/", views.WorkerRetireView.as_view(), name="worker_retire"),
    path("workers/<str:uid>/cme/", views.CmeLedgerView.as_view(), name="worker_cme"),
    path("cme/shortfall/", views.CmeShortfallView.as_view(), name="cme_shortfall"),
    path("cme/<int:pk>/reverse/", views.CmeReverseView.as_view(), name="cme_reverse"),
]
