"""REST endpoints of service vaccination, mounted at /api/: the catalogue, stock and cold
chain (``stock``), and clients, visits, AEFI and revenue (``clients``)."""

from doha.vaccines.api import clients, stock

urlpatterns = [*stock.urlpatterns, *clients.urlpatterns]
