from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from doha.web import views as web_views

urlpatterns = [
    path("", web_views.HomeView.as_view(), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", web_views.AuditLogView.as_view(), name="audit-log"),
    path("account/", include("doha.users.urls")),
    path("orgunits/", include("doha.orgunits.urls")),
    path("catalog/", include("doha.catalog.urls")),
    path("programmes/", include("doha.programmes.urls")),
    path("transfers/", include("doha.transfers.urls")),
    path("people/", include("doha.people.urls")),
    path("rotations/", include("doha.rotations.urls")),
    path("training/", include("doha.training.urls")),
    path("verify/", include("doha.training.verify_urls")),
    path("telehealth/", include("doha.telehealth.urls")),
    path("donations/", include("doha.donations.urls")),
    path("vaccines/", include("doha.vaccines.urls")),
    path("statistics/", include("doha.aggregate.urls")),
    path("analytics/", include("doha.analytics.urls")),
    path("reports/", include("doha.reports.urls")),
    path("visits/", include("doha.visits.urls")),
    path("checklists/", include("doha.checklists.urls")),
    path("gaps/", include("doha.gaps.urls")),
    path("awards/", include("doha.awards.urls")),
    path("privacy/", include("doha.people.privacy_views")),
    path("api/", include("doha.orgunits.api.urls")),
    path("api/", include("doha.programmes.api.urls")),
    path("api/", include("doha.catalog.api.urls")),
    path("api/", include("doha.transfers.api.urls")),
    path("api/", include("doha.people.api.urls")),
    path("api/", include("doha.rotations.api.urls")),
    path("api/", include("doha.training.api.urls")),
    path("api/", include("doha.telehealth.api.urls")),
    path("api/", include("doha.donations.api.urls")),
    path("api/", include("doha.vaccines.api.urls")),
    path("api/", include("doha.aggregate.api.urls")),
    path("api/", include("doha.analytics.api.urls")),
    path("api/", include("doha.visits.api.urls")),
    path("api/", include("doha.checklists.api.urls")),
    path("api/", include("doha.gaps.api.urls")),
    path("api/", include("doha.awards.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script: CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
