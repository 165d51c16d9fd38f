"""Roles and actions, declared in code.

Every page, form, export and API endpoint asks one question: may this user perform this
action on records of this kind, and is the record inside the user's org-unit scope?
The matrix below answers the first half; ``scope.py`` answers the second.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    DOH_OFFICER = "doh_officer", _("Department of Health officer")
    LINE_OFFICER = "line_officer", _("Line-direction officer")
    DATA_CLERK = "data_clerk", _("Facility data clerk")
    VIEWER = "viewer", _("Viewer")


class Action(models.TextChoices):
    VIEW = "view", _("view")
    ADD = "add", _("add")
    CHANGE = "change", _("change")
    RETIRE = "retire", _("retire")
    IMPORT = "import", _("import")
    EXPORT = "export", _("export")


READ = {Action.VIEW, Action.EXPORT}
ALL = set(Action)

# Per role and per resource ("orgunit", ...): the actions granted within the user's scope.
# A resource that is not named falls back to "*".
# "dashboard" and "apitoken" are a user's own things: every role may keep them (views filter
# them by owner).
MATRIX: dict[str, dict[str, set[str]]] = {
    Role.SYSTEM_ADMIN: {"*": ALL},
    # The technique catalogue ("technique": specialties and techniques) is national
    # reference data: only system administrators and DOH officers change it.
    Role.DOH_OFFICER: {"*": ALL, "technique": ALL},
    # Aggregate metadata (data elements, data sets, indicators, validation rules) is
    # defined by system administrators and DOH officers; everyone else reads it.
    # A hospital's line-direction office runs programmes, surveys, assessments and
    # transfers; it reads the registry and the needs it answers.
    Role.LINE_OFFICER: {
        "*": ALL,
        "orgunit": READ,
        "need": READ,
        "technique": READ,
        "metadata": READ,
        "vaccine": READ,
        # Service vaccination is the preventive-medicine centres' own work.
        "vaccination": READ,
        "revenue": READ,
        # Checklist templates are written by the DOH; everyone else fills them.
        "checklisttemplate": READ,
    },
    # A facility's clerk registers its needs, capabilities and transfer cases.
    Role.DATA_CLERK: {
        "*": READ | {Action.ADD, Action.CHANGE},
        "orgunit": READ | {Action.CHANGE},
        "survey": READ,
        "programme": READ,
        "assessment": READ,
        "technique": READ,
        "metadata": READ,
        "checklisttemplate": READ,
        # The vaccine catalogue is reference data; a clerk moves stock at their stores.
        "vaccine": READ,
        "vaccinestock": READ | {Action.ADD, Action.CHANGE, Action.IMPORT},
        # Monthly figures: a clerk enters and imports them for the facilities in scope.
        "datavalue": READ | {Action.ADD, Action.CHANGE, Action.IMPORT},
        # Reports are written by DOH and line-direction officers; a clerk reads those of
        # the facilities in scope.
        "report": READ,
        "dashboard": ALL,
        "apitoken": ALL,
    },
    Role.VIEWER: {
        "*": READ,
        "technique": READ,
        "metadata": READ,
        "vaccine": READ,
        "dashboard": ALL,
        "apitoken": ALL,
    },
}


def role_allows(role: str | None, resource: str, action: str) -> bool:
    grants = MATRIX.get(role or "", {})
    return action in grants.get(resource, grants.get("*", set()))
