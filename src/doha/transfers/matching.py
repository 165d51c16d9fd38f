"""Matching: for a requested technique (a ``TechniqueNeed``), which facilities could transfer it.

A provider is proposed when it performs the technique (an active ``FacilityCapability``),
is an active facility other than the recipient, is not already transferring this technique
to the recipient, and its technical level is at least the level needed: the higher of the
lowest level the catalogue allows for the technique and the recipient's own level.

Each proposal carries its score components so a page can show why it ranks where it does::

    score = level + network + geography + load + programme

    level       specialised 60, basic 30, initial 0   (an upper-level facility teaches)
    network     0..20: 20 x (upper units of the recipient that the provider shares) /
                (upper units of the recipient), from the stored org-unit paths, so the
                recipient's parent or a sibling under the same DOH gets 20, a hospital of
                another province under the same ministry fewer
    geography   0..10: 10 x (1 - km / 300) between the administrative units' coordinates,
                0 beyond 300 km; 5 (neutral) when either has no coordinates
    load        -5 per transfer the provider has committed and not finished
                (planned ... performing independently), at most -25
    programme   +15 when a programme in force has the provider (or a unit above it) on the
                supporting side and the recipient (or a unit above it) on the receiving side

Ranked by score, then technical level, then distance, then name. The capability register
is read across the whole network here (a province's needs are often met by central
hospitals outside its scope); only the provider's name, level and capability are shown.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from doha.catalog.models import LEVEL_ORDER, FacilityCapability
from doha.orgunits.models import FacilityType, OrgUnit, TechnicalLevel
from doha.programmes.models import (
    NeedStatus,
    ProgrammeParty,
    ProgrammeStatus,
    Side,
    TechniqueNeed,
)
from doha.transfers import services
from doha.transfers.models import LIVE_STATES, TechniqueTransfer, TransferState

LEVEL_POINTS = {TechnicalLevel.INITIAL: 0, TechnicalLevel.BASIC: 30, TechnicalLevel.SPECIALISED: 60}
NETWORK_POINTS = 20
GEO_POINTS = 10
GEO_RANGE_KM = 300
GEO_UNKNOWN = 5
LOAD_PER_TRANSFER = 5
LOAD_MAX = 25
PROGRAMME_POINTS = 15
NOT_PROVIDERS = {FacilityType.MINISTRY, FacilityType.DOH}


@dataclass
class Proposal:
    need: TechniqueNeed
    provider: OrgUnit
    capability: FacilityCapability
    level_points: int
    network_points: int
    common_unit: OrgUnit | None
    tree_steps: int
    distance_km: float | None
    geo_points: float
    open_transfers: int
    load_points: int
    programmes: list = field(default_factory=list)
    programme_points: int = 0

    @property
    def score(self) -> float:
        return round(
            self.level_points
            + self.network_points
            + self.geo_points
            + self.load_points
            + self.programme_points,
            1,
        )

    @property
    def components(self) -> dict:
        return {
            "level": self.level_points,
            "network": self.network_points,
            "geography": self.geo_points,
            "load": self.load_points,
            "programme": self.programme_points,
        }

    def reasons(self) -> list[str]:
        """Why the proposal ranks where it does, one line per component."""
        lines = [
            _("Technical level: %(level)s (+%(points)d)")
            % {
                "level": self.provider.get_technical_level_display(),
                "points": self.level_points,
            }
        ]
        if self.common_unit is not None:
            lines.append(
                _("Network: %(steps)d steps apart, closest common unit %(unit)s (+%(points)d)")
                % {
                    "steps": self.tree_steps,
                    "unit": self.common_unit,
                    "points": self.network_points,
                }
            )
        else:
            lines.append(_("Network: no common upper unit (+0)"))
        if self.distance_km is None:
            lines.append(
                _("Distance unknown: no coordinates (+%(points)d)") % {"points": GEO_UNKNOWN}
            )
        else:
            lines.append(
                _("Distance: about %(km)d km (+%(points)s)")
                % {"km": round(self.distance_km), "points": _num(self.geo_points)}
            )
        if self.open_transfers:
            lines.append(
                ngettext(
                    "Load: %(n)d transfer in progress (%(points)d)",
                    "Load: %(n)d transfers in progress (%(points)d)",
                    self.open_transfers,
                )
                % {"n": self.open_transfers, "points": self.load_points}
            )
        else:
            lines.append(_("Load: no transfer in progress (0)"))
        if self.programmes:
            lines.append(
                _("Programme in force between them: %(titles)s (+%(points)d)")
                % {
                    "titles": "; ".join(str(p) for p in self.programmes),
                    "points": self.programme_points,
                }
            )
        else:
            lines.append(_("No programme in force between them (0)"))
        return lines

    def as_dict(self) -> dict:
        return {
            "provider": {
                "uid": self.provider.uid,
                "code": self.provider.code,
                "name": self.provider.name,
                "technical_level": self.provider.technical_level,
            },
            "capability": {
                "since": self.capability.since,
                "acquisition": self.capability.acquisition,
            },
            "score": self.score,
            "components": self.components,
            "common_unit": self.common_unit.name if self.common_unit else None,
            "tree_steps": self.tree_steps,
            "distance_km": round(self.distance_km, 1) if self.distance_km is not None else None,
            "open_transfers": self.open_transfers,
            "programmes": [
                {"uid": p.uid, "number": p.number, "title": p.title} for p in self.programmes
            ],
            "reasons": self.reasons(),
        }


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _coordinates(unit: OrgUnit):
    au = unit.admin_unit if unit.admin_unit_id else None
    if au is None or au.latitude is None or au.longitude is None:
        return None
    return au.latitude, au.longitude


def level_needed(technique, recipient) -> str:
    """The lowest technical level a provider must have for this technique and recipient."""
    allowed = technique.allowed_levels or [TechnicalLevel.SPECIALISED]
    needed = allowed[0]
    if LEVEL_ORDER.get(recipient.technical_level, 0) > LEVEL_ORDER[needed]:
        needed = recipient.technical_level
    return needed


class Matcher:
    """Computes proposals for many needs with a fixed number of queries."""

    def __init__(self, today: datetime.date | None = None):
        self.today = today or timezone.localdate()

    def propose_many(self, needs) -> dict[int, list[Proposal]]:
        needs = [n for n in needs]
        if not needs:
            return {}
        technique_ids = {n.technique_id for n in needs}
        recipients = {n.response.facility_id: n.response.facility for n in needs}

        by_technique = defaultdict(list)
        capabilities = FacilityCapability.objects.filter(
            technique_id__in=technique_ids,
            active=True,
            facility__active=True,
        ).select_related("facility__admin_unit")
        for cap in capabilities:
            if cap.facility.facility_type in NOT_PROVIDERS or not cap.facility.technical_level:
                continue
            by_technique[cap.technique_id].append(cap)
        provider_ids = {c.facility_id for caps in by_technique.values() for c in caps}

        load = dict(
            TechniqueTransfer.objects.filter(provider_id__in=provider_ids, state__in=LIVE_STATES)
            .values("provider")
            .annotate(n=Count("pk"))
            .values_list("provider", "n")
        )
        taken = set(
            TechniqueTransfer.objects.filter(
                technique_id__in=technique_ids,
                recipient_id__in=recipients.keys(),
                state__in=[*LIVE_STATES, TransferState.ACCEPTED, TransferState.SUSTAINED],
            ).values_list("technique_id", "provider_id", "recipient_id")
        )
        providers = {c.facility_id: c.facility for caps in by_technique.values() for c in caps}
        programmes = self._programmes([*providers.values(), *recipients.values()])
        names = self._units_by_uid([*providers.values(), *recipients.values()])

        result = {}
        for need in needs:
            recipient = need.response.facility
            needed = LEVEL_ORDER[level_needed(need.technique, recipient)]
            proposals = []
            for cap in by_technique.get(need.technique_id, []):
                provider = cap.facility
                if provider.pk == recipient.pk:
                    continue
                if LEVEL_ORDER.get(provider.technical_level, 0) < needed:
                    continue
                if (need.technique_id, provider.pk, recipient.pk) in taken:
                    continue
                proposals.append(self._proposal(need, cap, recipient, load, programmes, names))
            proposals.sort(
                key=lambda p: (
                    -p.score,
                    -LEVEL_ORDER.get(p.provider.technical_level, 0),
                    p.distance_km if p.distance_km is not None else math.inf,
                    p.provider.sort_name,
                )
            )
            result[need.pk] = proposals
        return result

    def propose(self, need) -> list[Proposal]:
        return self.propose_many([need]).get(need.pk, [])

    # ---------------------------------------------------------------- parts

    def _proposal(self, need, cap, recipient, load, programmes, names) -> Proposal:
        provider = cap.facility
        r_segments = _segments(recipient.path)
        p_segments = _segments(provider.path)
        r_ancestors = r_segments[:-1]
        shared = _common_prefix(r_ancestors, p_segments)
        network = round(NETWORK_POINTS * shared / len(r_ancestors)) if r_ancestors else 0
        common = _common_prefix(r_segments, p_segments)
        steps = (len(r_segments) - common) + (len(p_segments) - common)
        common_unit = names.get(r_ancestors[shared - 1]) if shared else None

        a, b = _coordinates(provider), _coordinates(recipient)
        if a and b:
            km = haversine_km(*a, *b)
            geo = round(GEO_POINTS * max(0.0, 1 - km / GEO_RANGE_KM), 1)
        else:
            km, geo = None, GEO_UNKNOWN

        open_transfers = load.get(provider.pk, 0)
        together = [
            programme
            for programme, sides in programmes
            if _covers(sides[Side.PROVIDER], provider) and _covers(sides[Side.RECIPIENT], recipient)
        ]
        return Proposal(
            need=need,
            provider=provider,
            capability=cap,
            level_points=LEVEL_POINTS.get(provider.technical_level, 0),
            network_points=network,
            common_unit=common_unit,
            tree_steps=steps,
            distance_km=km,
            geo_points=geo,
            open_transfers=open_transfers,
            load_points=-min(LOAD_MAX, LOAD_PER_TRANSFER * open_transfers),
            programmes=together,
            programme_points=PROGRAMME_POINTS if together else 0,
        )

    def _programmes(self, units):
        """Programmes in force whose parties include any of ``units`` or a unit above them:
        a list of (programme, {side: [party paths]})."""
        uids = {s for u in units for s in _segments(u.path)}
        parties = (
            ProgrammeParty.objects.filter(
                org_unit__uid__in=uids,
                programme__status=ProgrammeStatus.ACTIVE,
                programme__end_date__gte=self.today,
            )
            .select_related("programme", "org_unit")
            .order_by("programme__start_date", "programme_id")
        )
        found = {}
        for party in parties:
            entry = found.setdefault(
                party.programme_id, (party.programme, {Side.PROVIDER: [], Side.RECIPIENT: []})
            )
            entry[1].setdefault(party.side, []).append(party.org_unit.path)
        return list(found.values())

    def _units_by_uid(self, units):
        uids = {s for u in units for s in _segments(u.path)}
        return {u.uid: u for u in OrgUnit.objects.filter(uid__in=uids).only("uid", "name")}


def _covers(paths, unit) -> bool:
    return any(unit.path.startswith(p) for p in paths)


def propose(need) -> list[Proposal]:
    return Matcher().propose(need)


def accept_proposal(
    need: TechniqueNeed,
    provider: OrgUnit,
    programme,
    *,
    user=None,
    date: datetime.date | None = None,
    level_exception_reason: str = "",
    level_exception_decision: str = "",
    responsible: str = "",
    note: str = "",
) -> TechniqueTransfer:
    """Turn a proposal into a planned transfer of ``programme``; the need becomes planned."""
    errors = {}
    if need.status != NeedStatus.OPEN:
        errors["need"] = _("This need is no longer open.")
    if programme is None:
        errors["programme"] = _("Choose the programme the transfer belongs to.")
    if errors:
        raise ValidationError(errors)
    if not any(p.provider.pk == provider.pk for p in propose(need)):
        raise ValidationError(
            {
                "provider": _("%(provider)s is not among the proposals for this need.")
                % {"provider": provider}
            }
        )
    reason = (level_exception_reason or "").strip()
    transfer = TechniqueTransfer(
        technique=need.technique,
        provider=provider,
        recipient=need.response.facility,
        programme=programme,
        need=need,
        state_date=date or timezone.localdate(),
        level_exception=bool(reason),
        level_exception_reason=reason,
        level_exception_decision=level_exception_decision or "",
    )
    return services.create_transfer(transfer, user=user, responsible=responsible, note=note)
