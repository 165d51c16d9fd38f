from django.urls import path

from doha.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportListView.as_view(), name="list"),
    path("new/", views.ReportCreateView.as_view(), name="add"),
    path("new/programme/", views.ProgrammeReportCreateView.as_view(), name="add_programme"),
    path(
        "new/line-direction/",
        views.LineDirectionReportCreateView.as_view(),
        name="add_linedirection",
    ),
    path("letterhead/", views.LetterheadEditView.as_view(), name="letterhead"),
    path("letterhead/<str:uid>/", views.LetterheadEditView.as_view(), name="letterhead_unit"),
    path("<str:uid>/", views.ReportDetailView.as_view(), name="detail"),
    path("<str:uid>/edit/", views.ReportEditView.as_view(), name="edit"),
    path("<str:uid>/regenerate/", views.ReportRegenerateView.as_view(), name="regenerate"),
    path(
        "<str:uid>/v<int:number>.<str:fmt>",
        views.VersionDownloadView.as_view(),
        name="download",
    ),
]
