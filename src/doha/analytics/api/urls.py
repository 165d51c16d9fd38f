from doha.analytics.api import views

urlpatterns = [*views.urlpatterns]
