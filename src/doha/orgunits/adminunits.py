"""Load Vietnam's administrative units from the ``vietnamadminunits`` package.

Both editions are loaded: the units in force until 2025-06-30 (63 provinces, districts,
communes/wards) and those from 2025-07-01 (34 provinces, communes/wards directly under them),
with official codes, coordinates and the old-to-new mapping the package ships. Everything
comes from files installed with the package: nothing is downloaded at run time.
"""

import json
from dataclasses import dataclass, field
from importlib import resources

from django.db import transaction
from vietnamadminunits.database import query

from doha.core.text import fold
from doha.orgunits.models import (
    REFORM_DATE,
    AdminEdition,
    AdminLevel,
    AdminUnit,
    AdminUnitMapping,
)

UPDATE_FIELDS = [
    "name",
    "short_name",
    "unit_type",
    "parent",
    "province_code",
    "latitude",
    "longitude",
    "valid_from",
    "valid_to",
    "search_text",
]


@dataclass
class LoadResult:
    counts: dict = field(default_factory=dict)
    mappings: int = 0


def _unit_type(name: str, short: str) -> str:
    return name[: len(name) - len(short)].strip() if short and name.endswith(short) else ""


def _converter():
    path = resources.files("vietnamadminunits") / "data" / "converter_2025.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _upsert(rows: list[AdminUnit]) -> dict[str, int]:
    if not rows:
        return {}
    AdminUnit.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["edition", "level", "code"],
        update_fields=UPDATE_FIELDS,
    )
    first = rows[0]
    return dict(
        AdminUnit.objects.filter(edition=first.edition, level=first.level).values_list("code", "id")
    )


def _unit(edition, level, code, name, short, parent_id, province_code, lat, lon):
    valid_from = REFORM_DATE if edition == AdminEdition.CURRENT else None
    valid_to = REFORM_DATE if edition == AdminEdition.LEGACY else None
    return AdminUnit(
        edition=edition,
        level=level,
        code=code,
        name=name,
        short_name=short,
        unit_type=_unit_type(name, short),
        parent_id=parent_id,
        province_code=province_code,
        latitude=lat,
        longitude=lon,
        valid_from=valid_from,
        valid_to=valid_to,
        search_text=" " + fold(name) + " ",
    )


@transaction.atomic
def load_admin_units(province_keys: list[str] | None = None) -> LoadResult:
    """Load (or refresh) both editions. ``province_keys`` limits the load to some post-2025
    provinces (e.g. ["bacninh", "thainguyen"]) and the old provinces merged into them."""
    converter = _converter()
    new_rows = query("SELECT * FROM admin_units ORDER BY provinceCode, wardCode")
    old_rows = query(
        "SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
    )
    if province_keys:
        wanted = {k.replace(" ", "").lower() for k in province_keys}
        new_rows = [
            r for r in new_rows if r["provinceShortKey"] in wanted or r["provinceKey"] in wanted
        ]
        new_keys = {r["provinceKey"] for r in new_rows}
        old_keys = {o for k in new_keys for o in converter["DICT_PROVINCE"].get(k, [])}
        old_rows = [r for r in old_rows if r["provinceKey"] in old_keys]

    result = LoadResult()
    cur, leg = AdminEdition.CURRENT, AdminEdition.LEGACY

    # Post-2025: provinces, then communes/wards directly under them.
    provinces = {}
    for r in new_rows:
        provinces.setdefault(r["provinceCode"], r)
    new_prov_ids = _upsert(
        [
            _unit(
                cur,
                AdminLevel.PROVINCE,
                c,
                r["province"],
                r["provinceShort"],
                None,
                c,
                r["provinceLat"],
                r["provinceLon"],
            )
            for c, r in provinces.items()
        ]
    )
    new_ward_ids = _upsert(
        [
            _unit(
                cur,
                AdminLevel.COMMUNE,
                r["wardCode"],
                r["ward"],
                r["wardShort"],
                new_prov_ids[r["provinceCode"]],
                r["provinceCode"],
                r["wardLat"],
                r["wardLon"],
            )
            for r in new_rows
        ]
    )

    # Pre-2025: provinces, districts, communes/wards.
    old_provinces, districts = {}, {}
    for r in old_rows:
        old_provinces.setdefault(r["provinceCode"], r)
        districts.setdefault(r["districtCode"], r)
    old_prov_ids = _upsert(
        [
            _unit(
                leg,
                AdminLevel.PROVINCE,
                c,
                r["province"],
                r["provinceShort"],
                None,
                c,
                r["provinceLat"],
                r["provinceLon"],
            )
            for c, r in old_provinces.items()
        ]
    )
    district_ids = _upsert(
        [
            _unit(
                leg,
                AdminLevel.DISTRICT,
                c,
                r["district"],
                r["districtShort"],
                old_prov_ids[r["provinceCode"]],
                r["provinceCode"],
                r["districtLat"],
                r["districtLon"],
            )
            for c, r in districts.items()
        ]
    )
    old_ward_ids = _upsert(
        [
            _unit(
                leg,
                AdminLevel.COMMUNE,
                r["wardCode"],
                r["ward"],
                r["wardShort"],
                district_ids[r["districtCode"]],
                r["provinceCode"],
                r["wardLat"],
                r["wardLon"],
            )
            for r in old_rows
            if r["wardCode"]
        ]
    )
    result.counts = {
        "provinces_2025": len(new_prov_ids),
        "communes_2025": len(new_ward_ids),
        "provinces_legacy": len(old_prov_ids),
        "districts_legacy": len(district_ids),
        "communes_legacy": len(old_ward_ids),
    }

    # Old-to-new mapping, from the converter tables the package ships.
    new_ward_by_key = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in new_rows}
    new_prov_by_key = {r["provinceKey"]: r["provinceCode"] for r in new_rows}
    old_by_key = {}
    for r in old_rows:
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        old_by_key[key] = (
            old_ward_ids.get(r["wardCode"]) if r["wardCode"] else district_ids[r["districtCode"]]
        )
    old_prov_by_key = {r["provinceKey"]: r["provinceCode"] for r in old_rows}
    pairs: dict[tuple[int, int], bool] = {}
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        if new_key not in new_prov_by_key:
            continue
        for old_key in old_keys:
            if old_key in old_prov_by_key:
                pairs[
                    (old_prov_ids[old_prov_by_key[old_key]], new_prov_ids[new_prov_by_key[new_key]])
                ] = True
    for prov_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward_key, old_keys in wards.items():
            code = new_ward_by_key.get((prov_key, new_ward_key))
            if code is None:
                continue
            for old_key in old_keys:
                if old_by_key.get(old_key):
                    pairs[(old_by_key[old_key], new_ward_ids[code])] = True
    for prov_key, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in divided.items():
            if not old_by_key.get(old_key):
                continue
            for target in targets:
                code = new_ward_by_key.get((prov_key, target["newWardKey"]))
                if code is not None:
                    pairs[(old_by_key[old_key], new_ward_ids[code])] = bool(
                        target["isDefaultNewWard"]
                    )
    AdminUnitMapping.objects.bulk_create(
        [AdminUnitMapping(old_id=o, new_id=n, is_default=d) for (o, n), d in pairs.items()],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["old", "new"],
        update_fields=["is_default"],
    )
    result.mappings = len(pairs)
    return result
