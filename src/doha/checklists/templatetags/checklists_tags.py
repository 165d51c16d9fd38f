"""``{% load checklists_tags %}{% visit_checklists visit %}`` on a visit's page: the
checklists filled on it (those the user may see) and a "Fill a checklist" link."""

from django import template

from doha.checklists.models import ChecklistFill
from doha.core.scope import can

register = template.Library()


@register.inclusion_tag("checklists/_visit_checklists.html", takes_context=True)
def visit_checklists(context, visit):
    request = context.get("request")
    user = getattr(request, "user", None)
    fills = (
        ChecklistFill.objects.restrict(user, "view")
        .filter(visit=visit)
        .select_related("template")
        .order_by("date", "pk")
    )
    return {
        "visit": visit,
        "fills": list(fills),
        "can_fill": can(user, ChecklistFill, "add"),
        "request": request,
    }
