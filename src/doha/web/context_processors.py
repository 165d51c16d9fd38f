from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from doha.core.scope import can


def navigation(request):
    """The menu in groups, showing only what the signed-in user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_groups": []}
    from doha.aggregate.models import DataElement, DataValue
    from doha.awards.models import Award
    from doha.catalog.models import FacilityCapability, Technique
    from doha.checklists.models import ChecklistFill, ChecklistTemplate
    from doha.donations.models import Donation
    from doha.orgunits.models import AdminUnit, OrgUnit
    from doha.people.models import CmeEntry, HealthWorker
    from doha.programmes.models import NeedsSurvey, Programme, TechniqueNeed
    from doha.reports.models import Letterhead, Report
    from doha.rotations.models import Rotation
    from doha.telehealth.models import Consultation
    from doha.training.models import Course
    from doha.transfers.models import TechniqueTransfer
    from doha.vaccines.models import (
        Aefi,
        Client,
        LotHold,
        Receipt,
        StockBalance,
        StockEntry,
        Store,
        TemperatureReading,
        VaccinationVisit,
        Vaccine,
    )
    from doha.visits.models import FollowUpAction, Visit

    groups = [
        (
            _("Facilities"),
            [
                (OrgUnit, _("Facility tree"), "orgunits:tree", "tree"),
                (OrgUnit, _("Facility list"), "orgunits:list", "orgunits"),
                (AdminUnit, _("Administrative units"), "orgunits:adminunit_list", "adminunits"),
            ],
        ),
        (
            _("Clinical capacity"),
            [
                (Technique, _("Technique catalogue"), "catalog:technique_list", "catalog"),
                (FacilityCapability, _("Capabilities"), "catalog:capability_list", "capabilities"),
                (FacilityCapability, _("Technique gaps"), "gaps:matrix", "gap_matrix"),
            ],
        ),
        (
            _("Line direction"),
            [
                (NeedsSurvey, _("Needs surveys"), "programmes:survey_list", "surveys"),
                (TechniqueNeed, _("Needs"), "programmes:need_list", "needs"),
                (Programme, _("Programmes"), "programmes:programme_list", "programmes"),
                (TechniqueTransfer, _("Transfers"), "transfers:list", "transfers"),
                (TechniqueTransfer, _("Matching"), "transfers:matching", "matching"),
                (
                    TechniqueTransfer,
                    _("Sustainment of transferred techniques"),
                    "transfers:sustainment_list",
                    "sustainment",
                ),
                (Visit, _("Official visits"), "visits:list", "visits"),
                (FollowUpAction, _("Follow-up actions"), "visits:actions", "visit_actions"),
                (ChecklistFill, _("Filled checklists"), "checklists:fill_list", "checklist_fills"),
                (
                    ChecklistTemplate,
                    _("Checklist templates"),
                    "checklists:template_list",
                    "checklists",
                ),
                (Award, _("Commendations and awards"), "awards:list", "awards"),
            ],
        ),
        (
            _("People and activities"),
            [
                (HealthWorker, _("Health workers"), "people:worker_list", "people"),
                (CmeEntry, _("CME shortfall"), "people:cme_shortfall", "cme"),
                (Rotation, _("Rotations"), "rotations:list", "rotations"),
                (Rotation, _("Who is where"), "rotations:timeline", "timeline"),
                (Course, _("Training"), "training:list", "training"),
                (Course, _("Certificate register"), "training:certificate_list", "certificates"),
                (Consultation, _("Remote consultations"), "telehealth:list", "telehealth"),
                (Consultation, _("Consultation figures"), "telehealth:figures", "figures"),
                (Consultation, _("Tele-education"), "telehealth:session_list", "sessions"),
                (Donation, _("Donations"), "donations:list", "donations"),
            ],
        ),
        (
            _("Service vaccination"),
            [
                (Client, _("Vaccination clients"), "vaccines:client-list", "vaccination-clients"),
                (
                    VaccinationVisit,
                    _("Vaccination visits"),
                    "vaccines:visit-list",
                    "vaccination-visits",
                ),
                (Client, _("Reminders"), "vaccines:reminder-list", "vaccination-reminders"),
                (Aefi, _("Adverse events"), "vaccines:aefi-list", "vaccination-aefi"),
                (Receipt, _("Service revenue"), "vaccines:revenue-summary", "revenue"),
                (StockBalance, _("Vaccine stock"), "vaccines:stock", "vaccines"),
                (StockEntry, _("Stock ledger"), "vaccines:entry-list", "vaccine-ledger"),
                (TemperatureReading, _("Cold chain"), "vaccines:reading-list", "vaccine-coldchain"),
                (LotHold, _("Lots on hold"), "vaccines:hold-list", "vaccine-holds"),
                (Store, _("Stores and points"), "vaccines:store-list", "vaccine-stores"),
                (Vaccine, _("Vaccine catalogue"), "vaccines:vaccine-list", "vaccine-catalogue"),
            ],
        ),
        (
            _("Statistics"),
            [
                (DataValue, _("Dashboard"), "analytics:dashboard", "dashboard"),
                (DataValue, _("Pivot table and charts"), "analytics:pivot", "pivot"),
                (DataValue, _("Data entry"), "aggregate:entry", "entry"),
                (DataValue, _("Completeness"), "aggregate:completeness", "completeness"),
                (
                    DataValue,
                    _("Import and export"),
                    "aggregate:datavalue_import",
                    "datavalue_import",
                ),
                (
                    DataElement,
                    _("Data elements, data sets, indicators"),
                    "aggregate:metadata",
                    "metadata",
                ),
            ],
        ),
        (
            _("Reports"),
            [
                (Report, _("Reports"), "reports:list", "reports"),
                (Report, _("Programme evaluation"), "analytics:evaluation", "evaluation"),
                (Letterhead, _("Letterhead"), "reports:letterhead", "letterhead"),
            ],
        ),
    ]
    nav_groups = []
    for label, entries in groups:
        items = [
            {"label": text, "url": reverse(name), "key": key}
            for model, text, name, key in entries
            if can(user, model, "view")
        ]
        if items:
            nav_groups.append({"label": label, "items": items})
    tools = [
        {"label": _("API"), "url": reverse("api-docs"), "key": "api"},
        {"label": _("Access tokens"), "url": reverse("users:tokens"), "key": "tokens"},
    ]
    if user.is_system_admin:
        tools.append({"label": _("Audit log"), "url": reverse("audit-log"), "key": "audit"})
    nav_groups.append({"label": _("System"), "items": tools})
    return {"nav_groups": nav_groups}
