from django import template
from django.utils.translation import pgettext_lazy

from doha.core.text import format_number, format_percent

register = template.Library()


@register.filter
def vn_number(value, decimals=0):
    """917405|vn_number -> "917.405"."""
    return format_number(value, int(decimals))


@register.filter
def vn_hours(value):
    """Credit hours the same on every database: 100 -> "100", 100.5 -> "100,5"."""
    if value is None or value == "":
        return ""
    number = float(value)
    return format_number(number, 0 if number == int(number) else 1)


@register.filter
def vn_percent(value, decimals=1):
    return format_percent(value, int(decimals))


@register.filter
def vn_date(value):
    return value.strftime("%d/%m/%Y") if value else ""


AUDIT_ACTIONS = {
    0: pgettext_lazy("audit action", "created"),
    1: pgettext_lazy("audit action", "changed"),
    2: pgettext_lazy("audit action", "deleted"),
    3: pgettext_lazy("audit action", "opened"),
}


@register.filter
def audit_action(entry):
    """The audit entry's action in the user's language."""
    return AUDIT_ACTIONS.get(entry.action, entry.action)


@register.filter
def audit_value(value):
    """An audited value as a person reads it: nothing for "None"."""
    return "" if value in (None, "None", "") else value
