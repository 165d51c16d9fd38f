"""Clients of the vaccination points (đối tượng tiêm chủng), with the minimum personal data.

Decree 13/2023/NĐ-CP on personal data: a client is kept with a name, date of birth and sex;
a child's guardian and phone (to remind them of the next dose); an adult's phone only if
they give it. Lists and exports mask the phone; every opening of a client's record (page,
API, vaccination card) is written to the audit log as an access.

A client belongs to the org unit that registered them (a vaccination point or its centre):
the users of that unit and the units above it see them.
"""

from __future__ import annotations

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from doha.core.scope import can, in_scope, user_scope_path
from doha.core.text import fold, nfc, search_terms
from doha.orgunits.models import OrgUnit
from doha.people.models import Sex, mask
from doha.vaccines.models import Client, Store

# Luật Trẻ em 2016: a child is a person under 16; a child comes with a guardian.
ADULT_AGE_YEARS = 16
OLDEST_YEARS = 120
_PHONE_JUNK = re.compile(r"[\s.\-()/]")


# --------------------------------------------------------------------------------------------
# Ages
# --------------------------------------------------------------------------------------------


def age_parts(dob: datetime.date, on: datetime.date) -> tuple[int, int, int]:
    """(years, months, days) of a person born on ``dob``, on ``on``."""
    months = (on.year - dob.year) * 12 + (on.month - dob.month)
    if on.day < dob.day:
        months -= 1
    months = max(months, 0)
    year, month = divmod(dob.month - 1 + months, 12)
    anniversary_year = dob.year + year
    anniversary_month = month + 1
    day = min(dob.day, _month_days(anniversary_year, anniversary_month))
    last = datetime.date(anniversary_year, anniversary_month, day)
    return months // 12, months % 12, max((on - last).days, 0)


def _month_days(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def age_in_months(dob: datetime.date, on: datetime.date) -> int:
    years, months, _days = age_parts(dob, on)
    return years * 12 + months


def is_child(dob: datetime.date, on: datetime.date | None = None) -> bool:
    on = on or timezone.localdate()
    return age_parts(dob, on)[0] < ADULT_AGE_YEARS


def age_label(dob: datetime.date, on: datetime.date | None = None) -> str:
    """ "12 days", "7 months", "3 years"."""
    on = on or timezone.localdate()
    years, months, days = age_parts(dob, on)
    total_months = years * 12 + months
    if total_months == 0:
        n = (on - dob).days
        return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    if total_months < 24:
        return ngettext("%(n)s month", "%(n)s months", total_months) % {"n": total_months}
    return ngettext("%(n)s year", "%(n)s years", years) % {"n": years}


# --------------------------------------------------------------------------------------------
# Phones and masking
# --------------------------------------------------------------------------------------------


def normalize_phone(value: str) -> str:
    """ "+84 912.345.678" -> "0912345678"; "" stays ""."""
    digits = _PHONE_JUNK.sub("", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits


def phone_is_valid(value: str) -> bool:
    return bool(re.fullmatch(r"0\d{9,10}", value or ""))


def masked_phone(client: Client) -> str:
    """The last three digits only, for lists and exports."""
    return mask(client.phone, 3)


def format_phone(value: str) -> str:
    """ "0912345678" -> "0912 345 678"."""
    if len(value or "") == 10 and value.isdigit():
        return f"{value[:4]} {value[4:7]} {value[7:]}"
    return value or ""


# --------------------------------------------------------------------------------------------
# Where a user registers clients
# --------------------------------------------------------------------------------------------


def registration_units(user, action: str = "add"):
    """Active units in the user's scope that run a vaccine store (a centre or a point)."""
    prefix = user_scope_path(user)
    if prefix is None or not can(user, Client, action):
        return OrgUnit.objects.none()
    with_store = Store.objects.filter(active=True).values("org_unit_id")
    return OrgUnit.objects.filter(active=True, path__startswith=prefix, pk__in=with_store).order_by(
        "sort_name"
    )


# --------------------------------------------------------------------------------------------
# Registering and correcting
# --------------------------------------------------------------------------------------------


def _authorize(user, client: Client, action: str) -> None:
    if user is None:
        return
    if not can(user, Client, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    if client.registered_at_id and not in_scope(user, client.registered_at.path):
        raise ValidationError({"registered_at": _("This unit is outside your scope.")})


def validate_client(client: Client, today: datetime.date | None = None) -> None:
    """The rules of a client record, every problem at once, each on its field."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    client.full_name = nfc(client.full_name or "")
    client.guardian_name = nfc(client.guardian_name or "")
    client.phone = normalize_phone(client.phone)
    if not client.full_name:
        add("full_name", _("Give the client's full name."))
    if client.sex not in Sex.values:
        add("sex", _("Choose the sex."))
    dob = client.date_of_birth
    if dob is None:
        add("date_of_birth", _("Give the date of birth."))
    elif dob > today:
        add("date_of_birth", _("The date of birth cannot be in the future."))
    elif age_parts(dob, today)[0] >= OLDEST_YEARS:
        add(
            "date_of_birth",
            _("A date of birth more than %(n)s years ago is a typing mistake.")
            % {"n": OLDEST_YEARS},
        )
    if client.phone and not phone_is_valid(client.phone):
        add(
            "phone",
            _("Write a Vietnamese phone number: 10 or 11 digits starting with 0 (0912 345 678)."),
        )
    if dob is not None and dob <= today and is_child(dob, today):
        if not client.guardian_name:
            add(
                "guardian_name",
                _("A child under %(n)s comes with a guardian: give the guardian's name.")
                % {"n": ADULT_AGE_YEARS},
            )
        if not client.phone:
            add(
                "phone", _("Give the guardian's phone: it is used to remind them of the next dose.")
            )
    if client.registered_at_id is None:
        add("registered_at", _("Choose the unit that registers the client."))
    if errors:
        raise ValidationError(errors)


def duplicate_of(client: Client) -> Client | None:
    """A client already registered with the same name (accents and case aside), date of
    birth and phone."""
    folded = " " + fold(client.full_name) + " "
    candidates = Client.objects.filter(
        date_of_birth=client.date_of_birth, phone=client.phone, active=True
    ).exclude(pk=client.pk)
    for other in candidates:
        if f" {fold(other.full_name)} " == folded:
            return other
    return None


@transaction.atomic
def save_client(client: Client, user=None) -> Client:
    """Register a client or correct a client's record."""
    action = "change" if client.pk else "add"
    validate_client(client)
    _authorize(user, client, action)
    if action == "add" and not client.registered_at.active:
        raise ValidationError({"registered_at": _("This unit is closed.")})
    other = duplicate_of(client)
    if other is not None:
        raise ValidationError(
            {
                "full_name": _(
                    "Already registered: %(client)s, client %(uid)s. Open that record instead."
                )
                % {"client": other, "uid": other.uid}
            }
        )
    client.save()
    return client


def retire_client(client: Client, user=None) -> Client:
    """The client's record is no longer used (moved away, deceased); it is kept."""
    _authorize(user, client, "retire")
    if client.active:
        client.active = False
        client.save()
    return client


def reactivate_client(client: Client, user=None) -> Client:
    _authorize(user, client, "retire")
    if not client.active:
        client.active = True
        client.save()
    return client


# --------------------------------------------------------------------------------------------
# Finding clients and logging who opens them
# --------------------------------------------------------------------------------------------


def find(queryset, query: str):
    """Clients whose name or guardian's name contains every word of ``query`` (accents and
    case aside, from the start of a word: "nguyen van an" finds "Nguyễn Văn An"), or whose
    phone contains its digits when it is a number ("0912 345", "345678")."""
    query = (query or "").strip()
    if not query:
        return queryset
    compact = _PHONE_JUNK.sub("", query)
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    if compact.isdigit() and len(compact) >= 3:
        return queryset.filter(phone__contains=compact)
    for term in search_terms(query):
        # From the start of a word: "an" finds "An" and "Anh", not "Tuấn".
        queryset = queryset.filter(
            Q(search_text__startswith=term) | Q(search_text__contains=f" {term}")
        )
    return queryset


def log_access(client: Client, user, via: str = "page"):
    """Record that ``user`` opened the record of ``client`` (an ACCESS audit entry)."""
    from doha.core import privacy

    return privacy.log_access(client, user, via=via)


def access_log(client: Client):
    """Who opened this record, most recent first."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Client),
            object_pk=str(client.pk),
            action=LogEntry.Action.ACCESS,
        )
        .select_related("actor")
        .order_by("-timestamp")
    )


# --------------------------------------------------------------------------------------------
# The filterset shared by the client list and the API
# --------------------------------------------------------------------------------------------


def _scope_units(request):
    prefix = user_scope_path(getattr(request, "user", None))
    if prefix is None:
        return OrgUnit.objects.none()
    with_store = Store.objects.values("org_unit_id")
    return OrgUnit.objects.filter(path__startswith=prefix, pk__in=with_store).order_by("sort_name")


class ClientFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Name or phone"), method="filter_q")
    registered_at = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Registered at (and units below)"),
        queryset=_scope_units,
        to_field_name="uid",
        method="filter_unit",
    )
    sex = django_filters.ChoiceFilter(label=gettext_lazy("Sex"), choices=Sex.choices)
    born_from = django_filters.DateFilter(
        label=gettext_lazy("Born from"),
        field_name="date_of_birth",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    born_to = django_filters.DateFilter(
        label=gettext_lazy("Born until"),
        field_name="date_of_birth",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    active = django_filters.BooleanFilter(
        label=gettext_lazy("Status"),
        widget=forms.Select(
            choices=[
                ("", gettext_lazy("All")),
                ("true", gettext_lazy("Active")),
                ("false", gettext_lazy("Retired")),
            ]
        ),
    )

    class Meta:
        model = Client
        fields = ["q", "registered_at", "sex", "born_from", "born_to", "active"]

    def filter_q(self, queryset, name, value):
        return find(queryset, value)

    def filter_unit(self, queryset, name, value):
        return queryset.filter(registered_at__path__startswith=value.path)


CLIENT_EXPORT_COLUMNS = [
    gettext_lazy("UID"),
    gettext_lazy("Full name"),
    gettext_lazy("Year of birth"),
    gettext_lazy("Sex"),
    gettext_lazy("Guardian"),
    gettext_lazy("Phone (masked)"),
    gettext_lazy("Registered at"),
    gettext_lazy("Active"),
]


def client_export(queryset, fmt: str):
    from doha.core import tabular

    queryset = queryset.select_related("registered_at")

    def rows():
        for c in queryset:
            yield [
                c.uid,
                c.full_name,
                c.date_of_birth.year,
                c.get_sex_display(),
                c.guardian_name,
                masked_phone(c),
                c.registered_at.name,
                _("yes") if c.active else _("no"),
            ]

    return tabular.export_response(
        [str(c) for c in CLIENT_EXPORT_COLUMNS],
        rows(),
        fmt,
        "doi-tuong-tiem-chung",
        sheet_title=_("Clients"),
        widths=[14, 30, 10, 8, 30, 14, 36, 8],
    )
