"""Keeping the rollup tables exact: after every change of data values, and after org-unit
moves.

Three ways in, one result:

- ``values_changed`` with a few keys (a form, an API call, a small import): the cells are
  re-aggregated from the data values in the same transaction and the difference is added
  to every ancestor's subtree row (``apply_changes``).
- ``values_changed`` with many keys (a large import): the (data element, period start)
  pairs are written to ``RollupBacklog`` in the same transaction, and the next analytics
  query rebuilds those slices before it reads (``apply_pending``), so an import of a million
  values does not pay for the rollup row by row.
- an org unit moved under another parent: its subtree's totals leave the old ancestors and
  join the new ones (``move_subtree``).

``refresh_all()`` rebuilds everything from the data values; ``refresh(pairs)`` rebuilds
some (data element, period start) slices. Both run bottom-up: each unit's subtree row is
its own values plus its children's subtree rows, one SQL statement per tree level.

Units without children (most of them: commune stations) have no subtree rows: their subtree
is the unit itself, and the query reads ``UnitRollup`` for them. Rows a unit kept from when
it had children are not read nor kept up to date; when a unit gets its first child (a new
unit, a move), its subtree rows are rebuilt from its own values first (``_become_parent``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from doha.aggregate.models import DataValue
from doha.aggregate.signals import values_changed
from doha.analytics.rollup_models import RollupBacklog, SubtreeRollup, UnitRollup
from doha.orgunits.models import OrgUnit, OrgUnitHierarchy

__all__ = [
    "DELTA_LIMIT",
    "apply_changes",
    "apply_pending",
    "mark_backlog",
    "move_subtree",
    "refresh",
    "refresh_all",
]

# Above this many changed cells, the slices are queued and rebuilt set-wise on next read.
DELTA_LIMIT = 2000

UID_LENGTH = 11


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _tables():
    return (
        _q(UnitRollup._meta.db_table),
        _q(SubtreeRollup._meta.db_table),
        _q(OrgUnit._meta.db_table),
        _q(DataValue._meta.db_table),
    )


def ancestor_uids(path: str) -> list[str]:
    """The UIDs of a stored path ("/a/b/c/"), root first, the unit itself last."""
    return [uid for uid in (path or "").strip("/").split("/") if uid]


# ----------------------------------------------------------------------------- receivers


@receiver(values_changed, dispatch_uid="analytics-rollup-values-changed")
def _on_values_changed(sender, keys=None, **kwargs):
    keys = set(keys or ())
    if not keys:
        return
    if len(keys) > DELTA_LIMIT:
        mark_backlog(keys)
    else:
        apply_changes(keys)


@receiver(post_save, sender=OrgUnit, dispatch_uid="analytics-rollup-new-unit")
def _follow_new_unit(sender, instance, created, raw=False, **kwargs):
    """A new unit under a unit that had no children: the parent's subtree rows start."""
    if raw or not created or not instance.parent_id:
        return
    if not OrgUnit.objects.filter(parent_id=instance.parent_id).exclude(pk=instance.pk).exists():
        _become_parent(instance.parent_id)


@receiver(pre_save, sender=OrgUnitHierarchy, dispatch_uid="analytics-rollup-old-place")
def _remember_old_place(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and "path" not in update_fields:
        return
    instance._rollup_old_place = (
        OrgUnitHierarchy.objects.filter(pk=instance.pk).values_list("parent_id", "path").first()
    )


@receiver(post_save, sender=OrgUnitHierarchy, dispatch_uid="analytics-rollup-follow-move")
def _follow_move(sender, instance, created, raw=False, **kwargs):
    """A new place in the tree whose parent differs from the place before is a move of the
    unit's whole subtree (its descendants get new places too, with unchanged parents)."""
    if raw:
        return
    if created:
        previous = (
            OrgUnitHierarchy.objects.filter(
                org_unit_id=instance.org_unit_id, valid_to=instance.valid_from
            )
            .exclude(pk=instance.pk)
            .values_list("parent_id", "path")
            .first()
        )
    else:
        previous = getattr(instance, "_rollup_old_place", None)
        instance._rollup_old_place = None
    if previous is None:
        return
    old_parent_id, old_path = previous
    if old_parent_id == instance.parent_id or old_path == instance.path:
        return
    move_subtree(instance.org_unit_id, old_path, instance.path)


# ----------------------------------------------------------------------------- deltas


def _upsert_subtree(rows: list[tuple]) -> None:
    """Add (data_element_id, org_unit_id, depth, period_type, start, end, total, count)
    to the subtree rows, creating those that do not exist; drop the ones left empty."""
    if not rows:
        return
    _unit, subtree, _ou, _dv = _tables()
    sql = (
        f"INSERT INTO {subtree} (data_element_id, org_unit_id, depth, period_type, "
        f"start_date, end_date, total, {_q('count')}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (data_element_id, org_unit_id, period_type, start_date) DO UPDATE SET "
        f"total = {subtree}.total + excluded.total, "
        f"{_q('count')} = {subtree}.{_q('count')} + excluded.{_q('count')}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    elements = {row[0] for row in rows}
    units = {row[1] for row in rows}
    starts = {row[4] for row in rows}
    SubtreeRollup.objects.filter(
        data_element_id__in=elements, org_unit_id__in=units, start_date__in=starts, count__lte=0
    ).delete()


def with_children(unit_ids: Iterable[int]) -> set[int]:
    """Those of ``unit_ids`` that have child units (and so subtree rows)."""
    unit_ids = set(unit_ids)
    found = set()
    ids = sorted(unit_ids)
    for start in range(0, len(ids), 500):
        found.update(
            OrgUnit.objects.filter(parent_id__in=ids[start : start + 500])
            .values_list("parent_id", flat=True)
            .distinct()
        )
    return found


def _ancestors_of(unit_ids: Iterable[int]) -> dict[int, list[tuple[int, int]]]:
    """For each unit id: [(ancestor id, ancestor depth)] from the root down to the unit,
    the unit itself only when it has children (the units that keep subtree rows)."""
    paths = dict(OrgUnit.objects.filter(id__in=set(unit_ids)).values_list("id", "path"))
    uids = {uid for path in paths.values() for uid in ancestor_uids(path)}
    found = {
        uid: (pk, depth)
        for uid, pk, depth in OrgUnit.objects.filter(uid__in=uids).values_list("uid", "id", "depth")
    }
    parents = with_children(paths)
    return {
        unit_id: [
            found[uid]
            for uid in ancestor_uids(path)
            if uid in found and (found[uid][0] != unit_id or unit_id in parents)
        ]
        for unit_id, path in paths.items()
    }


def _become_parent(unit_id: int) -> None:
    """Start the subtree rows of a unit that is getting its first child: its own values
    (rows left from an earlier time with children are stale and go)."""
    unit, subtree, ou, _dv = _tables()
    count = _q("count")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {subtree} WHERE org_unit_id = %s", [unit_id])
        cursor.execute(
            f"INSERT INTO {subtree} (data_element_id, org_unit_id, depth, period_type, "
            f"start_date, end_date, total, {count}) "
            f"SELECT v.data_element_id, v.org_unit_id, o.depth, v.period_type, v.start_date, "
            f"v.end_date, v.total, v.{count} FROM {unit} v JOIN {ou} o ON o.id = v.org_unit_id "
            f"WHERE v.org_unit_id = %s",
            [unit_id],
        )


@transaction.atomic
def apply_changes(keys: Iterable[tuple[int, int, datetime.date]]) -> None:
    """Bring the cells ``(data_element_id, org_unit_id, period start)`` up to date and pass
    the difference up the tree."""
    keys = {(int(de), int(ou), _as_date(start)) for de, ou, start in keys}
    if not keys:
        return
    elements = {k[0] for k in keys}
    units = {k[1] for k in keys}
    starts = {k[2] for k in keys}
    fresh = {}
    for row in (
        DataValue.objects.filter(
            data_element_id__in=elements,
            org_unit_id__in=units,
            start_date__in=starts,
            deleted=False,
            numeric_value__isnull=False,
        )
        .values("data_element_id", "org_unit_id", "period_type", "start_date")
        .annotate(
            end=Max("end_date"),
            total=Sum("numeric_value"),
            n=Count("id"),
            low=Min("numeric_value"),
            high=Max("numeric_value"),
        )
        .order_by()
    ):
        key = (row["data_element_id"], row["org_unit_id"], row["start_date"])
        if key in keys:
            fresh[(*key, row["period_type"])] = row
    stored = {
        (r.data_element_id, r.org_unit_id, r.start_date, r.period_type): r
        for r in UnitRollup.objects.select_for_update().filter(
            data_element_id__in=elements, org_unit_id__in=units, start_date__in=starts
        )
        if (r.data_element_id, r.org_unit_id, r.start_date) in keys
    }
    deltas = []  # (de, ou, period_type, start, end, d_total, d_count)
    upserts, removed = [], []
    for cell in set(fresh) | set(stored):
        de, ou, start, period_type = cell
        new, old = fresh.get(cell), stored.get(cell)
        new_total, new_count = (new["total"], new["n"]) if new else (0.0, 0)
        old_total, old_count = (old.total, old.count) if old else (0.0, 0)
        end = new["end"] if new else old.end_date
        if new is None:
            removed.append(old.pk)
        elif old is None or (
            old.total,
            old.count,
            old.min_value,
            old.max_value,
            old.end_date,
        ) != (new["total"], new["n"], new["low"], new["high"], new["end"]):
            upserts.append(
                UnitRollup(
                    data_element_id=de,
                    org_unit_id=ou,
                    period_type=period_type,
                    start_date=start,
                    end_date=new["end"],
                    total=new["total"],
                    count=new["n"],
                    min_value=new["low"],
                    max_value=new["high"],
                )
            )
        if new_total != old_total or new_count != old_count:
            deltas.append(
                (de, ou, period_type, start, end, new_total - old_total, new_count - old_count)
            )
    if removed:
        UnitRollup.objects.filter(pk__in=removed).delete()
    if upserts:
        UnitRollup.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["data_element", "org_unit", "period_type", "start_date"],
            update_fields=["end_date", "total", "count", "min_value", "max_value"],
        )
    if not deltas:
        return
    ancestors = _ancestors_of(d[1] for d in deltas)
    combined: dict[tuple, list] = {}
    for de, ou, period_type, start, end, d_total, d_count in deltas:
        for ancestor_id, depth in ancestors.get(ou, []):
            key = (de, ancestor_id, depth, period_type, start, end)
            slot = combined.setdefault(key, [0.0, 0])
            slot[0] += d_total
            slot[1] += d_count
    _upsert_subtree([(*key, total, count) for key, (total, count) in combined.items()])


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


# ----------------------------------------------------------------------------- moves


@transaction.atomic
def move_subtree(unit_id: int, old_path: str, new_path: str) -> None:
    """Move the totals of ``unit_id``'s subtree from the ancestors of ``old_path`` to the
    ancestors of ``new_path``; the subtree's own rows keep their totals, at their new depth."""
    old = ancestor_uids(old_path)[:-1]
    new = ancestor_uids(new_path)[:-1]
    common = set(old) & set(new)
    leaving = [uid for uid in old if uid not in common]
    joining = [uid for uid in new if uid not in common]
    places = dict(
        (uid, (pk, depth))
        for uid, pk, depth in OrgUnit.objects.filter(uid__in=leaving + joining).values_list(
            "uid", "id", "depth"
        )
    )
    # The moved unit's subtree: its subtree rows, or its own values when it has no children.
    source = SubtreeRollup if with_children([unit_id]) else UnitRollup
    totals = list(
        source.objects.filter(org_unit_id=unit_id).values_list(
            "data_element_id", "period_type", "start_date", "end_date", "total", "count"
        )
    )
    parent_ids = dict(
        OrgUnit.objects.filter(uid__in=[*old[-1:], *new[-1:]]).values_list("uid", "id")
    )
    new_parent_id = parent_ids.get(new[-1]) if new else None
    if new_parent_id is not None and not (
        OrgUnit.objects.filter(parent_id=new_parent_id).exclude(pk=unit_id).exists()
    ):
        _become_parent(new_parent_id)
    rows = []
    for uids, sign in ((leaving, -1), (joining, 1)):
        for uid in uids:
            if uid not in places:
                continue
            pk, depth = places[uid]
            for de, period_type, start, end, total, count in totals:
                rows.append((de, pk, depth, period_type, start, end, sign * total, sign * count))
    _upsert_subtree(rows)
    old_parent_id = parent_ids.get(old[-1]) if old else None
    if old_parent_id is not None and not with_children([old_parent_id]):
        # Its last child left: the query reads its own values now.
        SubtreeRollup.objects.filter(org_unit_id=old_parent_id).delete()
    shift = (len(new) + 1) - (len(old) + 1)
    if shift:
        _unit, subtree, ou, _dv = _tables()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {subtree} SET depth = depth + %s WHERE org_unit_id IN "
                f"(SELECT id FROM {ou} WHERE SUBSTR(path, 1, %s) = %s)",
                [shift, len(new_path), new_path],
            )


# ----------------------------------------------------------------------------- rebuilds


def _pairs_condition(alias: str, pairs) -> str:
    """SQL restricting ``alias`` to the (data element id, start date) pairs; "1=1" for all.
    Ids and dates are formatted here from ints and dates, never from user text."""
    if pairs is None:
        return "1=1"
    by_element = defaultdict(set)
    for de, start in pairs:
        by_element[int(de)].add(_as_date(start).isoformat())
    if not by_element:
        return "1=0"
    parts = [
        f"({alias}.data_element_id = {de} AND {alias}.start_date IN "
        f"({', '.join(repr(s) for s in sorted(starts))}))"
        for de, starts in sorted(by_element.items())
    ]
    return "(" + " OR ".join(parts) + ")"


@transaction.atomic
def refresh(pairs=None) -> None:
    """Rebuild the rollups of the (data element id, period start) ``pairs``; everything
    when None."""
    unit, subtree, ou, dv = _tables()
    count = _q("count")
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # Sorts and hashes of a rebuild fit in memory (this transaction only).
            cursor.execute("SET LOCAL work_mem = '256MB'")
        if pairs is None and postgresql:
            cursor.execute(f"TRUNCATE {subtree}, {unit}")
        else:
            cursor.execute(f"DELETE FROM {subtree} WHERE {_pairs_condition(subtree, pairs)}")
            cursor.execute(f"DELETE FROM {unit} WHERE {_pairs_condition(unit, pairs)}")
        cursor.execute(
            f"INSERT INTO {unit} (data_element_id, org_unit_id, period_type, start_date, "
            f"end_date, total, {count}, min_value, max_value) "
            f"SELECT v.data_element_id, v.org_unit_id, v.period_type, v.start_date, "
            f"MAX(v.end_date), SUM(v.numeric_value), COUNT(*), MIN(v.numeric_value), "
            f"MAX(v.numeric_value) FROM {dv} v "
            f"WHERE v.deleted = %s AND v.numeric_value IS NOT NULL "
            f"AND {_pairs_condition('v', pairs)} "
            f"GROUP BY v.data_element_id, v.org_unit_id, v.period_type, v.start_date "
            # In index order: the rows are appended to the index instead of scattered.
            f"ORDER BY v.data_element_id, v.start_date, v.org_unit_id, v.period_type",
            [False],
        )
        cursor.execute(f"SELECT MAX(depth) FROM {ou}")
        deepest = cursor.fetchone()[0] or 0
        has_children = f"EXISTS (SELECT 1 FROM {ou} c WHERE c.parent_id = o.id)"
        for level in range(deepest - 1, 0, -1):
            # A unit with children: its own values, its children's subtree rows, and the
            # own values of its children that have no children (and no subtree rows).
            cursor.execute(
                f"INSERT INTO {subtree} (data_element_id, org_unit_id, depth, period_type, "
                f"start_date, end_date, total, {count}) "
                f"SELECT x.de, x.ou, {int(level)}, x.pt, x.st, MAX(x.en), SUM(x.tot), SUM(x.cnt) "
                f"FROM ("
                f"  SELECT v.data_element_id AS de, v.org_unit_id AS ou, v.period_type AS pt,"
                f"   v.start_date AS st, v.end_date AS en, v.total AS tot, v.{count} AS cnt"
                f"  FROM {unit} v JOIN {ou} o ON o.id = v.org_unit_id"
                f"  WHERE o.depth = {int(level)} AND {has_children}"
                f"  AND {_pairs_condition('v', pairs)}"
                f"  UNION ALL"
                f"  SELECT t.data_element_id, o.parent_id, t.period_type, t.start_date,"
                f"   t.end_date, t.total, t.{count}"
                f"  FROM {subtree} t JOIN {ou} o ON o.id = t.org_unit_id"
                f"  WHERE t.depth = {int(level) + 1} AND o.parent_id IS NOT NULL"
                f"  AND {has_children} AND {_pairs_condition('t', pairs)}"
                f"  UNION ALL"
                f"  SELECT v.data_element_id, o.parent_id, v.period_type, v.start_date,"
                f"   v.end_date, v.total, v.{count}"
                f"  FROM {unit} v JOIN {ou} o ON o.id = v.org_unit_id"
                f"  WHERE o.depth = {int(level) + 1} AND o.parent_id IS NOT NULL"
                f"  AND NOT {has_children} AND {_pairs_condition('v', pairs)}"
                f") x GROUP BY x.de, x.ou, x.pt, x.st ORDER BY x.de, x.ou, x.pt, x.st"
            )


def refresh_all() -> None:
    """Rebuild every rollup from the data values (after a restore, or to check them)."""
    with transaction.atomic():
        RollupBacklog.objects.all().delete()
        refresh(None)


def mark_backlog(keys: Iterable[tuple]) -> None:
    """Queue the (data element, period start) slices of ``keys`` for the next query."""
    pairs = {(int(k[0]), _as_date(k[2])) for k in keys}
    RollupBacklog.objects.bulk_create(
        [RollupBacklog(data_element_id=de, start_date=start) for de, start in pairs],
        ignore_conflicts=True,
        batch_size=2000,
    )


def apply_pending() -> int:
    """Rebuild the queued slices (if any) before a query reads; the number rebuilt."""
    if not RollupBacklog.objects.exists():
        return 0
    with transaction.atomic():
        pending = list(
            RollupBacklog.objects.select_for_update().values_list(
                "pk", "data_element_id", "start_date"
            )
        )
        if not pending:
            return 0
        refresh([(de, start) for _pk, de, start in pending])
        RollupBacklog.objects.filter(pk__in=[p[0] for p in pending]).delete()
    return len(pending)
