"""Signals of the aggregate app.

``values_changed`` is sent after data values were created, updated or deleted (inside the
same transaction), so that pre-aggregated analytics stay correct after every import and every
form. ``keys`` is a set of ``(data_element_id, org_unit_id, period_start_date)`` tuples.
"""

from django.dispatch import Signal

values_changed = Signal()
