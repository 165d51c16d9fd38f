"""The public certificate verification pages (no sign-in), mounted at /verify/."""

from django.urls import path

from doha.training import views

urlpatterns = [
    path("", views.VerifyFormView.as_view(), name="verify"),
    path("<str:code>/", views.VerifyCodeView.as_view(), name="verify-code"),
]
