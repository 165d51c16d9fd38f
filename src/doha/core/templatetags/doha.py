from django import template

from doha.core.text import format_number, format_percent

register = template.Library()


@register.filter
def vn_number(value, decimals=0):
    """917405|vn_number -> "917.405"."""
    return format_number(value, int(decimals))


@register.filter
def vn_percent(value, decimals=1):
    return format_percent(value, int(decimals))


@register.filter
def vn_date(value):
    return value.strftime("%d/%m/%Y") if value else ""
