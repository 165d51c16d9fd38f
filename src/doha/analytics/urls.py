from doha.analytics import views, views_evaluation

app_name = "analytics"

urlpatterns = [*views.urlpatterns, *views_evaluation.urlpatterns]
