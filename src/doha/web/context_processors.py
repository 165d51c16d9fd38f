from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.scope import can


def navigation(request):
    """The menu, showing only what the signed-in user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    from doha.orgunits.models import OrgUnit

    items = [
        {"label": _("Home"), "url": reverse("home"), "key": "home"},
        {"label": _("Facility tree"), "url": reverse("orgunits:tree"), "key": "tree"},
        {"label": _("Facilities"), "url": reverse("orgunits:list"), "key": "orgunits"},
        {
            "label": _("Administrative units"),
            "url": reverse("orgunits:adminunit_list"),
            "key": "adminunits",
        },
    ]
    items += _line_direction_items(user)
    if can(user, OrgUnit, "import"):
        items.append({"label": _("Import"), "url": reverse("orgunits:import"), "key": "import"})
    items.append({"label": _("API"), "url": reverse("api-docs"), "key": "api"})
    if user.is_superuser:
        items.append({"label": _("Audit log"), "url": reverse("audit-log"), "key": "audit"})
    return {"nav_items": items}


def _line_direction_items(user):
    """Menu entries of the line-direction apps, each shown when the role may view it."""
    from doha.catalog.models import FacilityCapability, Technique
    from doha.programmes.models import NeedsSurvey, Programme, TechniqueNeed
    from doha.transfers.models import TechniqueTransfer

    entries = [
        (Technique, _("Technique catalogue"), "catalog:technique_list", "catalog"),
        (FacilityCapability, _("Capabilities"), "catalog:capability_list", "capabilities"),
        (NeedsSurvey, _("Needs surveys"), "programmes:survey_list", "surveys"),
        (TechniqueNeed, _("Needs"), "programmes:need_list", "needs"),
        (Programme, _("Programmes"), "programmes:programme_list", "programmes"),
        (TechniqueTransfer, _("Transfers"), "transfers:list", "transfers"),
        (TechniqueTransfer, _("Matching"), "transfers:matching", "matching"),
    ]
    return [
        {"label": label, "url": reverse(name), "key": key}
        for model, label, name, key in entries
        if can(user, model, "view")
    ]
