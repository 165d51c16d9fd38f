"""Pages of service vaccination, mounted at /vaccines/ (app_name "vaccines").

The catalogue, stock and cold-chain pages are ``views``; clients and visits add theirs
from ``views_clients`` and ``views_visits``."""

from django.urls import path

from doha.vaccines import views, views_clients, views_visits

app_name = "vaccines"

urlpatterns = [
    # Catalogue
    path("catalogue/", views.VaccineListView.as_view(), name="vaccine-list"),
    path("catalogue/add/", views.VaccineCreateView.as_view(), name="vaccine-add"),
    path("catalogue/<str:uid>/", views.VaccineDetailView.as_view(), name="vaccine-detail"),
    path("catalogue/<str:uid>/edit/", views.VaccineEditView.as_view(), name="vaccine-edit"),
    path(
        "catalogue/<str:uid>/schedule/add/",
        views.ScheduleDoseCreateView.as_view(),
        name="schedule-add",
    ),
    path("schedule/<str:uid>/edit/", views.ScheduleDoseEditView.as_view(), name="schedule-edit"),
    path("antigens/", views.AntigenListView.as_view(), name="antigen-list"),
    path("antigens/add/", views.AntigenCreateView.as_view(), name="antigen-add"),
    path("antigens/<str:uid>/edit/", views.AntigenEditView.as_view(), name="antigen-edit"),
    # Stores, fridges, suppliers, lots
    path("stores/", views.StoreListView.as_view(), name="store-list"),
    path("stores/add/", views.StoreCreateView.as_view(), name="store-add"),
    path("stores/<str:uid>/", views.StoreDetailView.as_view(), name="store-detail"),
    path("stores/<str:uid>/edit/", views.StoreEditView.as_view(), name="store-edit"),
    path("fridges/add/", views.FridgeCreateView.as_view(), name="fridge-add"),
    path("fridges/<str:uid>/", views.FridgeDetailView.as_view(), name="fridge-detail"),
    path("fridges/<str:uid>/edit/", views.FridgeEditView.as_view(), name="fridge-edit"),
    path(
        "fridges/<str:uid>/readings/add/",
        views.ReadingCreateView.as_view(),
        name="reading-add",
    ),
    path(
        "fridges/<str:uid>/readings/upload/",
        views.ReadingUploadView.as_view(),
        name="reading-upload",
    ),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier-list"),
    path("suppliers/add/", views.SupplierCreateView.as_view(), name="supplier-add"),
    path("suppliers/<str:uid>/edit/", views.SupplierEditView.as_view(), name="supplier-edit"),
    path("lots/<str:uid>/", views.LotDetailView.as_view(), name="lot-detail"),
    # Stock
    path("stock/", views.BalanceListView.as_view(), name="stock"),
    path("stock/receive/", views.ReceiveView.as_view(), name="receive"),
    path("stock/issue/", views.IssueView.as_view(), name="issue"),
    path("stock/transfer/", views.TransferView.as_view(), name="transfer"),
    path("stock/return/", views.ReturnView.as_view(), name="return"),
    path("stock/adjust/", views.AdjustView.as_view(), name="adjust"),
    path("stock/fefo/", views.FefoView.as_view(), name="fefo"),
    path("stock/expiry/", views.ExpiryView.as_view(), name="expiry"),
    path("stock/ledger/", views.EntryListView.as_view(), name="entry-list"),
    path("stock/ledger/<str:uid>/", views.EntryDetailView.as_view(), name="entry-detail"),
    path("stock/ledger/<str:uid>/reverse/", views.EntryReverseView.as_view(), name="entry-reverse"),
    path("stock/counts/", views.CountListView.as_view(), name="count-list"),
    path("stock/counts/add/", views.CountFormView.as_view(), name="count-add"),
    path("stock/counts/<str:uid>/", views.CountDetailView.as_view(), name="count-detail"),
    path("stock/counts/<str:uid>/edit/", views.CountEditView.as_view(), name="count-edit"),
    path(
        "stock/counts/<str:uid>/reconcile/",
        views.CountReconcileView.as_view(),
        name="count-reconcile",
    ),
    # Cold chain
    path("coldchain/", views.ReadingListView.as_view(), name="reading-list"),
    path("coldchain/holds/", views.HoldListView.as_view(), name="hold-list"),
    path("coldchain/holds/add/", views.HoldCreateView.as_view(), name="hold-add"),
    path("coldchain/holds/<str:uid>/", views.HoldDetailView.as_view(), name="hold-detail"),
    path("coldchain/holds/<str:uid>/decide/", views.HoldDecideView.as_view(), name="hold-decide"),
    # Clients, visits, AEFI, reminders, revenue
    *views_clients.urlpatterns,
    *views_visits.urlpatterns,
]
