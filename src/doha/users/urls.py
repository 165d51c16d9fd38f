from django.urls import path

from doha.users import views

app_name = "users"

urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("tokens/", views.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token-revoke"),
]
