"""Audit helpers on top of django-auditlog (one change table: who, when, before, after)."""

from auditlog.context import auditlog_value


def bind_actor(user) -> None:
    """Name the actor of the changes made in this request.

    The audit middleware knows the user only when the session authenticated them; the REST
    API authenticates later (HTTP Basic, tokens), inside the view, so viewsets call this.
    """
    if user is None or not user.is_authenticated:
        return
    context = auditlog_value.get(None)
    if context is not None and context.get("actor") is None:
        context["actor"] = user
