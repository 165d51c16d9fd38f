from doha.analytics import views

app_name = "analytics"

urlpatterns = [*views.urlpatterns]
