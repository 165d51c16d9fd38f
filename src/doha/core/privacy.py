"""Personal data (Decree 13/2023/NĐ-CP on the protection of personal data).

One place declares, per model, which fields hold personal data, their category (basic or
sensitive, art. 2), why they are kept, on which legal basis and for how long. The same module
answers the questions every page asks about personal data:

* who needs a full value (``needs_full``) — everyone else sees it masked;
* record that someone opened or exported a person's data (``log_access``, ``log_export``);
  the log is django-auditlog's table, as ACCESS entries, read by ``access_entries``;
* everything stored about one person, for a data subject's request (``subject_data``);
* what the retention settings (``DOHA_RETENTION_*``) remove (``apply_retention``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.core.permissions import Role
from doha.core.scope import can, user_scope_path

BASIC = "basic"
SENSITIVE = "sensitive"
CATEGORIES = {
    BASIC: _("Basic personal data (art. 2.3)"),
    SENSITIVE: _("Sensitive personal data (art. 2.4)"),
}

# Who reads the inventory and the access log and answers a data subject's request: the
# controller's people (system administrators, Department of Health officers), in their scope.
PRIVACY_ROLES = {Role.SYSTEM_ADMIN, Role.DOH_OFFICER}

# Retention, in years (settings override the defaults; 0 or None switches a rule off).
RETENTION_DEFAULTS = {
    "DOHA_RETENTION_ACCESS_LOG_YEARS": 5,
    "DOHA_RETENTION_CLIENT_INACTIVE_YEARS": 10,
}

ANONYMOUS_NAME = "—"


def retention_years(name: str) -> int | None:
    """A DOHA_RETENTION_* setting (years), or None when the rule is off."""
    value = getattr(settings, name, RETENTION_DEFAULTS[name])
    return int(value) if value else None


@dataclass(frozen=True)
class PersonalField:
    name: str
    category: str = BASIC
    note: str = ""


@dataclass(frozen=True)
class Declaration:
    """The personal data one model keeps."""

    model: str  # "app_label.ModelName"
    subject: str  # whose data it is
    purpose: str
    legal_basis: str
    retention: str
    fields: tuple[PersonalField, ...] = field(default_factory=tuple)
    retention_setting: str = ""

    def get_model(self):
        from django.apps import apps

        return apps.get_model(self.model)

    def field_rows(self):
        model = self.get_model()
        for f in self.fields:
            yield {
                "name": f.name,
                "label": str(model._meta.get_field(f.name).verbose_name),
                "category": f.category,
                "category_label": str(CATEGORIES[f.category]),
                "note": str(f.note),
            }


WORKER_BASIS = _(
    "Art. 17.1.c of Decree 13 (performing the duties of a state body) and the Law on "
    "Medical Examination and Treatment 2023 (register of practitioners, CME)."
)
CLIENT_BASIS = _(
    "Consent of the client or guardian (art. 11) and the Law on Prevention and Control of "
    "Infectious Diseases (vaccination records, reminders, AEFI reporting)."
)

REGISTRY: tuple[Declaration, ...] = (
    Declaration(
        model="people.HealthWorker",
        subject=_("Health worker"),
        purpose=_("Staff register, practising licences, CME, rotations and training."),
        legal_basis=WORKER_BASIS,
        retention=_("While the person works in the network, then kept retired (not deleted)."),
        fields=(
            PersonalField("full_name"),
            PersonalField("birth_date", note=_("Lists and exports: year only.")),
            PersonalField("sex"),
            PersonalField("profession"),
            PersonalField("position"),
            PersonalField("title"),
            PersonalField("licence_number", note=_("Masked in lists, exports and API lists.")),
            PersonalField("licence_date"),
            PersonalField("phone", note=_("Masked in lists, exports and API lists.")),
        ),
    ),
    Declaration(
        model="people.CmeEntry",
        subject=_("Health worker"),
        purpose=_("Continuing medical education ledger (Circular 32/2023/TT-BYT)."),
        legal_basis=WORKER_BASIS,
        retention=_("With the worker's record."),
        fields=(
            PersonalField("hours"),
            PersonalField("description"),
            PersonalField("certificate_number"),
        ),
    ),
    Declaration(
        model="rotations.Rotation",
        subject=_("Health worker"),
        purpose=_("Rotations between facilities (Decision 585/QĐ-BYT)."),
        legal_basis=WORKER_BASIS,
        retention=_("With the worker's record."),
        fields=(PersonalField("start"), PersonalField("end"), PersonalField("purpose")),
    ),
    Declaration(
        model="training.Enrolment",
        subject=_("Health worker"),
        purpose=_("Course enrolments, results and certificates."),
        legal_basis=WORKER_BASIS,
        retention=_("With the worker's record."),
        fields=(
            PersonalField("attendance_percent"),
            PersonalField("result"),
            PersonalField("certificate_number"),
        ),
    ),
    Declaration(
        model="vaccines.Client",
        subject=_("Vaccination client"),
        purpose=_("Vaccination record, card, reminders of the next dose."),
        legal_basis=CLIENT_BASIS,
        retention=_(
            "Anonymised (name, guardian, phone, address) after "
            "DOHA_RETENTION_CLIENT_INACTIVE_YEARS years without a visit; dates of birth, sex "
            "and doses stay for the statistics."
        ),
        retention_setting="DOHA_RETENTION_CLIENT_INACTIVE_YEARS",
        fields=(
            PersonalField("full_name"),
            PersonalField("date_of_birth", note=_("Lists and exports: year only.")),
            PersonalField("sex"),
            PersonalField("guardian_name"),
            PersonalField("phone", note=_("Masked in lists, exports and API lists.")),
            PersonalField("commune"),
            PersonalField("address", note=_("Shown on the detail page only.")),
        ),
    ),
    Declaration(
        model="vaccines.VaccinationVisit",
        subject=_("Vaccination client"),
        purpose=_("Pre-vaccination screening and observation (Decree 104/2016/NĐ-CP)."),
        legal_basis=CLIENT_BASIS,
        retention=_("With the client's record."),
        fields=(
            PersonalField("screening_answers", SENSITIVE, _("Health status.")),
            PersonalField("temperature_c", SENSITIVE, _("Health status.")),
            PersonalField("weight_kg", SENSITIVE, _("Health status.")),
            PersonalField("screening_result", SENSITIVE, _("Health status.")),
            PersonalField("screening_note", SENSITIVE, _("Health status.")),
            PersonalField("observation_note", SENSITIVE, _("Health status.")),
        ),
    ),
    Declaration(
        model="vaccines.Dose",
        subject=_("Vaccination client"),
        purpose=_("Doses given, schedule forecasts, coverage statistics."),
        legal_basis=CLIENT_BASIS,
        retention=_("With the client's record."),
        fields=(
            PersonalField("vaccine", SENSITIVE, _("Health status.")),
            PersonalField("dose_number", SENSITIVE),
            PersonalField("given_at", SENSITIVE),
        ),
    ),
    Declaration(
        model="vaccines.Aefi",
        subject=_("Vaccination client"),
        purpose=_("Adverse events following immunisation, reported to the DOH."),
        legal_basis=CLIENT_BASIS,
        retention=_("With the client's record."),
        fields=(
            PersonalField("symptoms", SENSITIVE, _("Health status.")),
            PersonalField("treatment", SENSITIVE, _("Health status.")),
            PersonalField("outcome", SENSITIVE, _("Health status.")),
        ),
    ),
    Declaration(
        model="vaccines.Receipt",
        subject=_("Vaccination client"),
        purpose=_("Receipts of paid vaccination services."),
        legal_basis=_("Law on Accounting 2015 (accounting documents)."),
        retention=_("10 years as an accounting document; not anonymised with the client."),
        fields=(PersonalField("payer_name"),),
    ),
    Declaration(
        model="telehealth.Consultation",
        subject=_("Patient (de-identified)"),
        purpose=_("Remote consultations between facilities."),
        legal_basis=_("De-identified: no name, ID number, phone or address is stored."),
        retention=_("Kept; the patient cannot be identified."),
        fields=(
            PersonalField("patient_age"),
            PersonalField("patient_sex"),
            PersonalField("patient_summary", SENSITIVE, _("Checked for identifiers on save.")),
        ),
    ),
    Declaration(
        model="auditlog.LogEntry",
        subject=_("Users and the persons whose records they open"),
        purpose=_("Who opened, exported or changed which record (art. 27 Decree 13)."),
        legal_basis=_("Art. 17.1.c of Decree 13 and the security of the system."),
        retention=_("Access entries older than DOHA_RETENTION_ACCESS_LOG_YEARS years are deleted."),
        retention_setting="DOHA_RETENTION_ACCESS_LOG_YEARS",
        fields=(
            PersonalField("actor"),
            PersonalField("object_repr", note=_("The name of the person opened.")),
            PersonalField("remote_addr"),
        ),
    ),
)


def declaration_for(model) -> Declaration | None:
    label = model._meta.label
    return next((d for d in REGISTRY if d.model == label), None)


# --------------------------------------------------------------------------------------------
# Who sees what
# --------------------------------------------------------------------------------------------


def is_privacy_officer(user) -> bool:
    return bool(user and user.is_authenticated and user.role in PRIVACY_ROLES)


def needs_full(user, model) -> bool:
    """Whether ``user`` sees full identifiers (phone, licence number) on a detail page.

    Those who correct the record need them (and the controller's officers); a viewer or an
    officer who only reads (e.g. a line-direction officer on vaccination clients) sees them
    masked.
    """
    return is_privacy_officer(user) or can(user, model, "change")


# --------------------------------------------------------------------------------------------
# The access log (django-auditlog ACCESS entries)
# --------------------------------------------------------------------------------------------

# The persons whose openings and exports are logged, by model label, with the UID field.
SUBJECT_MODELS = {"people.HealthWorker": "worker", "vaccines.Client": "client"}


def _subject_models():
    from doha.people.models import HealthWorker
    from doha.vaccines.models import Client

    return {"worker": HealthWorker, "client": Client}


def _actor(user):
    return user if user is not None and user.is_authenticated else None


def log_access(obj, user, via: str = "page"):
    """Record that ``user`` opened the full record of ``obj`` (an ACCESS audit entry)."""
    from auditlog.models import LogEntry

    return LogEntry.objects.log_create(
        obj,
        action=LogEntry.Action.ACCESS,
        changes={},
        actor=_actor(user),
        serialized_data=None,
        additional_data={"via": via},
    )


def log_export(queryset, user, fmt: str, via: str = "export"):
    """Record an export: one ACCESS entry per export, listing the UIDs of the persons in it.

    One entry per export rather than per person: an export holds masked identifiers (it is
    not an opening of the full record, which stays one entry per person), and a list of
    10.000 clients writes one row, not 10.000. The entry is filed under the user who
    exported; the persons' UIDs are in ``additional_data["uids"]`` and, space-separated, in
    ``changes_text`` so that "who received this person's data" is one ``contains`` query on
    SQLite and PostgreSQL alike (``exports_of``).
    """
    from auditlog.models import LogEntry

    uids = list(queryset.order_by().values_list("uid", flat=True).distinct())
    model = queryset.model
    return LogEntry.objects.log_create(
        user,
        action=LogEntry.Action.ACCESS,
        changes={},
        changes_text=" " + " ".join(uids) + " ",
        actor=_actor(user),
        serialized_data=None,
        object_repr=f"{model._meta.label}: {len(uids)} (.{fmt})",
        additional_data={
            "via": via,
            "format": fmt,
            "model": model._meta.label,
            "count": len(uids),
            "uids": uids,
        },
    )


def _export_entries():
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(get_user_model()),
        action=LogEntry.Action.ACCESS,
        additional_data__via="export",
    )


def exports_of(obj):
    """The exports that contained the person ``obj``, newest first."""
    return (
        _export_entries()
        .filter(
            additional_data__model=type(obj)._meta.label,
            changes_text__contains=f" {obj.uid} ",
        )
        .select_related("actor")
        .order_by("-timestamp", "-pk")
    )


def access_entries(user):
    """The ACCESS entries about persons (workers, clients) in ``user``'s scope, newest first.

    Empty for a user who is not a privacy officer.
    """
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    if not is_privacy_officer(user):
        return LogEntry.objects.none()
    condition = Q()
    for model in _subject_models().values():
        content_type = ContentType.objects.get_for_model(model)
        in_scope = model.objects.restrict(user, "view").values("pk")
        condition |= Q(content_type=content_type, object_id__in=in_scope)
    # Exports: those made by users of the officer's scope (their persons are in it too).
    prefix = user_scope_path(user)
    exports = _export_entries()
    if prefix is None:
        exports = exports.none()
    elif prefix:
        exports = exports.filter(actor__org_unit__path__startswith=prefix)
    condition |= Q(pk__in=exports.values("pk"))
    return (
        LogEntry.objects.filter(condition, action=LogEntry.Action.ACCESS)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


def person_condition(uid: str):
    """The access entries about the worker or client with this UID (exports included)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    condition = Q(pk__in=[])
    for model in _subject_models().values():
        pks = list(model.objects.filter(uid=uid).values_list("pk", flat=True))
        if pks:
            content_type = ContentType.objects.get_for_model(model)
            condition |= Q(content_type=content_type, object_id__in=pks)
            condition |= Q(
                additional_data__model=model._meta.label, changes_text__contains=f" {uid} "
            )
    return condition


def subject_kind(entry) -> str:
    """ "worker" or "client": whose record the entry is about."""
    label = (entry.additional_data or {}).get("model") or (
        f"{entry.content_type.app_label}.{entry.content_type.model}"
    )
    for model_label, kind in SUBJECT_MODELS.items():
        if model_label.lower() == label.lower():
            return kind
    return ""


# --------------------------------------------------------------------------------------------
# A data subject's request: everything stored about one person
# --------------------------------------------------------------------------------------------


def _value(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def _record(obj, exclude=("search_text", "sort_name", "id")) -> dict:
    """Every concrete field of ``obj``: foreign keys as their text, choices as stored."""
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude:
            continue
        if f.is_relation:
            related = getattr(obj, f.name)
            out[f.name] = str(related) if related is not None else None
        else:
            out[f.name] = _value(getattr(obj, f.attname))
    return out


def worker_data(worker) -> dict:
    data = {"health_worker": _record(worker)}
    data["cme_entries"] = [_record(e) for e in worker.cme_entries.order_by("date", "pk")]
    data["rotations"] = [
        {**_record(r), "techniques": [str(t) for t in r.techniques.all()]}
        for r in worker.rotations.order_by("start", "pk")
    ]
    data["enrolments"] = [_record(e) for e in worker.enrolments.select_related("course")]
    data["consultations"] = [
        {"uid": c.uid, "requested_at": _value(c.requested_at), "role": "participant"}
        for c in worker.consultations.order_by("requested_at")
    ]
    return data


def client_data(client) -> dict:
    from doha.vaccines.models import Aefi, Dose

    data = {"client": _record(client)}
    visits = client.visits.select_related("store", "screened_by", "vaccinator").order_by(
        "visited_at", "pk"
    )
    data["visits"] = [_record(v) for v in visits]
    doses = (
        Dose.objects.filter(visit__client=client)
        .select_related("vaccine", "lot", "visit", "schedule_dose")
        .order_by("given_at", "pk")
    )
    data["doses"] = [_record(d) for d in doses]
    aefis = Aefi.objects.filter(dose__visit__client=client).select_related("dose", "reported_by")
    data["aefis"] = [_record(a) for a in aefis.order_by("onset_at", "pk")]
    data["receipts"] = [_record(r) for r in client.receipts.order_by("pk")]
    return data


def subject_data(obj) -> dict:
    """Everything stored about the person ``obj`` (a health worker or a vaccination client),
    and who opened or exported their record."""
    from doha.people.models import HealthWorker

    data = worker_data(obj) if isinstance(obj, HealthWorker) else client_data(obj)
    data["accesses"] = [
        {
            "timestamp": _value(e.timestamp),
            "by": e.actor.get_username() if e.actor else None,
            "via": (e.additional_data or {}).get("via", ""),
        }
        for e in accesses_of(obj)
    ]
    data["exports"] = [
        {
            "timestamp": _value(e.timestamp),
            "by": e.actor.get_username() if e.actor else None,
            "format": (e.additional_data or {}).get("format", ""),
            "persons_in_export": (e.additional_data or {}).get("count"),
        }
        for e in exports_of(obj)
    ]
    data["generated_at"] = _value(timezone.now())
    return data


def accesses_of(obj):
    """Who opened or exported the record of ``obj``, newest first."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)),
            object_pk=str(obj.pk),
            action=LogEntry.Action.ACCESS,
        )
        .select_related("actor")
        .order_by("-timestamp", "-pk")
    )


# --------------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------------

CLIENT_ANONYMISED_FIELDS = ("full_name", "guardian_name", "phone", "address")


def _years_before(now: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def expired_access_entries(now=None):
    from auditlog.models import LogEntry

    years = retention_years("DOHA_RETENTION_ACCESS_LOG_YEARS")
    if years is None:
        return LogEntry.objects.none()
    cutoff = _years_before(now or timezone.now(), years)
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS, timestamp__lt=cutoff)


def expired_clients(now=None):
    """Clients not yet anonymised with no visit (and no change) for the retention period."""
    from django.db.models import Max, Q

    from doha.vaccines.models import Client

    years = retention_years("DOHA_RETENTION_CLIENT_INACTIVE_YEARS")
    if years is None:
        return Client.objects.none()
    cutoff = _years_before(now or timezone.now(), years)
    return (
        Client.objects.exclude(full_name=ANONYMOUS_NAME)
        .filter(last_updated__lt=cutoff)
        .annotate(last_visit=Max("visits__visited_at"))
        .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=cutoff))
    )


def _scrub_history(model, pks, fields) -> None:
    """Blank the old values of ``fields`` and the name in the audit entries of the ``model``
    rows ``pks``: their text becomes "<verbose name> #<pk>"."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Value
    from django.db.models.functions import Concat

    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk__in=[str(pk) for pk in pks],
    )
    if fields:
        for entry in entries.exclude(changes__isnull=True).only("pk", "changes"):
            changes = entry.changes if isinstance(entry.changes, dict) else {}
            hidden = {name: ["***", "***"] for name in fields if name in changes}
            if hidden:
                entry.changes = {**changes, **hidden}
                entry.save(update_fields=["changes"])
    entries.update(
        object_repr=Concat(Value(f"{model._meta.verbose_name} #"), "object_pk"),
        serialized_data=None,
        changes_text="",
    )


def anonymise_client(client) -> None:
    """Remove what identifies ``client`` and keep what the statistics count (date of birth,
    sex, commune, visits, doses). The change is audited; the old values are scrubbed from
    the audit history too."""
    client.full_name = ANONYMOUS_NAME
    client.guardian_name = ""
    client.phone = ""
    client.address = ""
    client.active = False
    client.save()
    _scrub_history(type(client), [client.pk], CLIENT_ANONYMISED_FIELDS + ("search_text",))
    # A visit's audit entries are named after the client ("Nguyễn Văn An · 01/02/2020").
    from doha.vaccines.models import VaccinationVisit

    visits = list(client.visits.values_list("pk", flat=True))
    if visits:
        _scrub_history(VaccinationVisit, visits, ())


@dataclass
class RetentionReport:
    access_entries: int = 0
    clients: int = 0
    dry_run: bool = False


def apply_retention(dry_run: bool = False, now=None) -> RetentionReport:
    """Delete access entries and anonymise clients past their retention period."""
    report = RetentionReport(dry_run=dry_run)
    with transaction.atomic():
        clients = list(expired_clients(now))
        report.clients = len(clients)
        entries = expired_access_entries(now)
        report.access_entries = entries.count()
        if dry_run:
            return report
        for client in clients:
            anonymise_client(client)
        entries.delete()
        from doha.people.models import RetentionRun

        RetentionRun.objects.create(
            access_entries_deleted=report.access_entries,
            clients_anonymised=report.clients,
            settings_used={name: retention_years(name) for name in sorted(RETENTION_DEFAULTS)},
        )
    return report
