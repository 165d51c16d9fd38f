"""DHIS2's paths (``/api/dataValueSets``, ``/api/40/dataElements.json``, ...)."""

from doha.aggregate.api import datavalues, metadata

urlpatterns = [*metadata.urlpatterns, *datavalues.urlpatterns]
