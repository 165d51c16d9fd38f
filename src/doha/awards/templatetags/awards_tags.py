"""The awards block of a programme's and a person's page: ``{% load awards_tags %}`` then
``{% programme_awards object %}`` or ``{% person_awards object %}`` (the awards the user
sees, and the link to add one when they may)."""

from django import template
from django.urls import reverse

from doha.awards.models import Award
from doha.awards.services import awards_visible
from doha.core.scope import can

register = template.Library()


def _block(context, field, obj, param):
    request = context.get("request")
    user = getattr(request, "user", None)
    add_url = ""
    if can(user, Award, "add"):
        add_url = f"{reverse('awards:add')}?{param}={obj.pk}"
    return {"awards": list(awards_visible(user, **{field: obj})), "add_url": add_url}


@register.inclusion_tag("awards/_awards_block.html", takes_context=True)
def programme_awards(context, programme):
    return _block(context, "programme", programme, "programme")


@register.inclusion_tag("awards/_awards_block.html", takes_context=True)
def person_awards(context, worker):
    return _block(context, "recipient_person", worker, "recipient_person")
