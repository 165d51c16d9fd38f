"""Big new-value files on PostgreSQL: values written while the file is still being read.

A month's file of new values (the common big import: every facility's figures of a month
nobody has reported yet) spends its time in two places, about equally: Python reading and
checking the values, and the server inserting them into the value table and its indexes.
``apply_values`` normally does one after the other. On a 2-core machine they can overlap:
``StreamingWriter`` sends each checked value to the server as soon as the checker has
taken it, through a binary ``COPY`` straight into the value table on a second connection,
so the server inserts on one core while Python reads on the other.

It only ever does what the set-wise path of ``datavalues._write_postgresql`` would have
done; whenever it is not sure of that, it steps aside and that path runs instead, from
the values already checked (nothing is read twice):

- It starts once the file has given ``START_AFTER`` values, and only if none of them is
  stored already (deleted or not): a re-import or a correction goes the classified way.
- Every value must create one: an empty value, a deletion or a comment alone, or the same
  key twice in the file, stops it (those are classified).
- A key stored already further in the file, or by someone else meanwhile, makes the
  ``COPY`` fail on the unique key at its end; the second connection's transaction is then
  rolled back and the set-wise path writes the file.
- A conflict in an all-or-nothing import rolls the transaction back: nothing is written.

The values, their audit rows (one per value, CREATE) and nothing else are written in the
second connection's one transaction, which is committed only when the whole file has been
checked and the ``COPY`` has succeeded. It runs only when the caller is not inside a
transaction of its own (an atomic block, or autocommit turned off): inside one, values
written on another connection would escape the caller's rollback, so the set-wise path is
used.

The analytics rollups learn of the new values (``values_changed``) both before the commit
(queued, so a crash right after the commit cannot leave them stale) and after it (so a
query that catches up in between cannot either).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connection

from doha.aggregate.models import DataValue, DataValueAudit

logger = logging.getLogger(__name__)

# Values checked before the writer decides (and between two hand-overs to the server).
START_AFTER = 5000
CHUNK = 5000

# The value table's columns, as a COPY into it names them (the benchmarks' too).
VALUE_COLUMNS = (
    "data_element_id",
    "period",
    "period_type",
    "start_date",
    "end_date",
    "org_unit_id",
    "category_option_combo_id",
    "attribute_option_combo_id",
    "value",
    "numeric_value",
    "stored_by",
    "comment",
    "follow_up",
    "deleted",
    "created",
    "last_updated",
)
_VALUE_TYPES = (
    "int8",
    "varchar",
    "varchar",
    "date",
    "date",
    "int8",
    "int8",
    "int8",
    "varchar",
    "float8",
    "varchar",
    "varchar",
    "bool",
    "bool",
    "timestamptz",
    "timestamptz",
)
_AUDIT_COLUMNS = (
    "data_element_id",
    "period",
    "org_unit_id",
    "category_option_combo_id",
    "attribute_option_combo_id",
    "previous_value",
    "value",
    "modified_by",
    "created",
    "audit_type",
)
_AUDIT_TYPES = (
    "int8",
    "varchar",
    "int8",
    "int8",
    "int8",
    "varchar",
    "varchar",
    "varchar",
    "timestamptz",
    "varchar",
)


def eligible(strategy: str, dry_run: bool) -> bool:
    """Whether a file import with these options may stream (see the module docstring)."""
    from doha.aggregate.datavalues import CREATE, CREATE_AND_UPDATE

    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()
        and not dry_run
        and strategy in (CREATE_AND_UPDATE, CREATE)
    )


def chunked(rows: Iterable, flush, size: int | None = None) -> Iterator:
    """``rows`` as they are, with ``flush()`` called after every ``size`` (``CHUNK``) of
    them have been taken (and after the last): the checker's loop stays as it is."""
    size = size or CHUNK
    it = iter(rows)
    while True:
        chunk = list(islice(it, size))
        if not chunk:
            break
        yield from chunk
        flush()


class StreamingWriter:
    """Sends a checker's values to the server as they are checked (module docstring).

    The checker appends every value it takes to ``pending`` (its ``prepared`` dict keeps
    them by key as always); ``flush`` hands the pending ones over; ``finish`` ends the
    ``COPY`` and tells whether everything is written (then ``commit``) or the set-wise path
    must write ``prepared`` (``abandon`` has then been called)."""

    def __init__(self, checker, now):
        self.checker = checker
        self.prepared = checker.prepared
        self.pending: list[tuple] = []
        checker.pending = self.pending
        checker.flush = self.flush
        self.now = now
        self.state = "waiting"  # then "streaming", "finished", or "off"
        self.reason = ""
        self.streamed = 0
        self._conn = None
        self._copy_cm = None
        self._copy = None

    # -- while the file is read ---------------------------------------------------------

    def flush(self) -> None:
        pending = self.pending
        if self.state == "waiting":
            if len(pending) < START_AFTER:
                return
            self._start()
        if self.state != "streaming":
            pending.clear()
            return
        if len(self.prepared) != self.streamed + len(pending):
            # A key came twice: the later value replaced one that may be sent already.
            self.abandon("the same value twice in the file")
            pending.clear()
            return
        now = self.now
        write = self._copy.write_row
        for r in pending:
            if r[8] != "V":
                self.abandon("a deletion, an empty value or a comment alone")
                pending.clear()
                return
            write(
                (
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[9],
                    r[10],
                    r[13],
                    r[11] or "",
                    r[12] or False,
                    False,
                    now,
                    now,
                )
            )
        self.streamed += len(pending)
        pending.clear()

    def _start(self) -> None:
        """Begin when none of the values checked so far is stored; else step aside."""
        if self._any_stored(self.pending):
            self.state, self.reason = "off", "values stored already"
            return
        # A connection of its own, with the same parameters (not from a pool: it is
        # closed when the import ends). Without one (the server's connection limit, say)
        # the set-wise path writes the file on the request's own connection.
        try:
            conn = connection.Database.connect(**connection.get_connection_params())
        except connection.Database.OperationalError as exc:
            logger.warning("Streaming import not started: no second connection (%s)", exc)
            self.state, self.reason = "off", "no second connection"
            return
        try:
            conn.autocommit = False
            cursor = conn.cursor()
            self._copy_cm = cursor.copy(
                f"COPY {DataValue._meta.db_table} ({', '.join(VALUE_COLUMNS)}) "
                "FROM STDIN (FORMAT BINARY)"
            )
            self._copy = self._copy_cm.__enter__()
            self._copy.set_types(_VALUE_TYPES)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self.state = "streaming"

    @staticmethod
    def _any_stored(rows: list[tuple]) -> bool:
        """Whether any key of ``rows`` is stored (one look-up per key in the unique index)."""
        columns = ([], [], [], [], [])
        for r in rows:
            for i, position in enumerate((0, 1, 5, 6, 7)):
                columns[i].append(r[position])
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT EXISTS (
                    SELECT 1 FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[],
                        %s::bigint[], %s::bigint[]) AS t(de, pe, ou, coc, aoc)
                    JOIN {DataValue._meta.db_table} d ON d.data_element_id = t.de
                        AND d.period = t.pe AND d.org_unit_id = t.ou
                        AND d.category_option_combo_id = t.coc
                        AND d.attribute_option_combo_id = t.aoc
                )""",
                list(columns),
            )
            return cursor.fetchone()[0]

    # -- once the whole file is checked -------------------------------------------------

    def finish(self, username: str) -> bool:
        """End the ``COPY`` and write the audit rows. True: every value of ``prepared`` is
        written (in the open transaction: ``commit`` it); False: nothing is, the set-wise
        path must write them."""
        self.flush()
        if self.state != "streaming":
            return False
        if self.streamed != len(self.prepared):
            self.abandon("values left unsent")
            return False
        import psycopg

        try:
            self._copy_cm.__exit__(None, None, None)
        except psycopg.errors.UniqueViolation:
            # A key of the file was stored after all (further in the file than the first
            # values, or by someone else meanwhile).
            self.abandon("a value stored already")
            return False
        except BaseException:
            self.abandon("the COPY failed")
            raise
        self._copy_cm = self._copy = None
        try:
            now = self.now
            with self._conn.cursor().copy(
                f"COPY {DataValueAudit._meta.db_table} ({', '.join(_AUDIT_COLUMNS)}) "
                "FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_AUDIT_TYPES)
                write = copy.write_row
                for r in self.prepared.values():
                    write((r[0], r[1], r[5], r[6], r[7], None, r[9], username, now, "CREATE"))
        except BaseException:
            self.abandon("the audit rows could not be written")
            raise
        self.state = "finished"
        return True

    def commit(self) -> None:
        try:
            self._conn.commit()
        finally:
            self._close()

    def abandon(self, reason: str = "") -> None:
        """Roll back whatever was sent; the set-wise path takes over (or nothing is
        written, for an import that fails)."""
        if self.state == "streaming" or self.state == "finished":
            logger.info("Streaming import stopped: %s", reason)
        self.state, self.reason = "off", reason or self.reason
        self.checker.pending = None
        if self._copy_cm is not None:
            try:
                self._copy_cm.__exit__(RuntimeError, RuntimeError(reason or "abandoned"), None)
            except Exception:  # the COPY is being given up: its own error does not matter
                pass
            self._copy_cm = self._copy = None
        if self._conn is not None:
            try:
                self._conn.rollback()
            finally:
                self._close()

    def _close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()
