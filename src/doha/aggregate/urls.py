from doha.aggregate.views import datavalues, entry, metadata

app_name = "aggregate"

urlpatterns = [*metadata.urlpatterns, *datavalues.urlpatterns, *entry.urlpatterns]
