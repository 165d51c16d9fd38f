"""Consistent backup and restore of the database and the uploaded files.

A backup is a directory:

    manifest.json   what is in it: format version, time, database engine, applied migrations,
                    row count and checksum of every table, size and SHA-256 of every file
    db.sqlite3      SQLite: a copy made with SQLite's online backup API (one snapshot, taken
                    while the application keeps running)
    db.dump         PostgreSQL: ``pg_dump --format=custom`` run inside an exported snapshot,
                    the same snapshot the row counts and checksums are computed in
    media/          a copy of MEDIA_ROOT (uploaded files)

The checksum of a table is independent of row order: the sum, modulo 2**256, of the SHA-256 of
every row (its values serialised as JSON). Restoring verifies the files against the manifest
first, then the restored tables against the manifest, and says which table differs.

Uploaded files are copied after the database snapshot. Files are only ever added under new
names (Django's storage never overwrites), so every file the snapshot refers to is in the copy;
a file uploaded during the copy may be in the copy without a row referring to it, which is
harmless.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "doha-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "db.sqlite3"
PG_FILE = "db.dump"
MEDIA_DIR = "media"
MODULUS = 2**256
CHUNK = 2000


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass
class TableDigest:
    rows: int
    checksum: str

    def as_dict(self):
        return {"rows": self.rows, "checksum": self.checksum}


# --- checksums -------------------------------------------------------------------------------


def _plain(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def _digest_rows(cursor) -> TableDigest:
    total = 0
    rows = 0
    while True:
        batch = cursor.fetchmany(CHUNK)
        if not batch:
            break
        for row in batch:
            text = json.dumps([_plain(v) for v in row], ensure_ascii=False, separators=(",", ":"))
            total = (total + int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")) % (
                MODULUS
            )
        rows += len(batch)
    return TableDigest(rows=rows, checksum=f"{total:064x}")


def _sqlite_connect(name) -> sqlite3.Connection:
    """Plain sqlite3 on a database file or a ``file:...`` URI (the test runner's in-memory
    database), without Django's type converters, so that values read the same every time."""
    name = str(name)
    return sqlite3.connect(name, uri=name.startswith("file:"))


def sqlite_digests(path) -> dict[str, TableDigest]:
    """Row counts and checksums of every table of a SQLite database, read with plain sqlite3."""
    conn = _sqlite_connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        found = {}
        for name in names:
            cursor = conn.execute(f'SELECT * FROM "{name}"')  # noqa: S608 (a table name)
            found[name] = _digest_rows(cursor)
        return found
    finally:
        conn.close()


def pg_digests(conn) -> dict[str, TableDigest]:
    """Row counts and checksums of every table in the public schema, on ``conn`` (Django)."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
        names = [r[0] for r in cursor.fetchall()]
    found = {}
    for name in names:
        with conn.chunked_cursor() as cursor:
            cursor.execute(f"SELECT * FROM {conn.ops.quote_name(name)}")  # noqa: S608
            found[name] = _digest_rows(cursor)
    return found


def live_digests(alias: str = "default") -> dict[str, TableDigest]:
    """Counts and checksums of the running database (used to check a restore)."""
    conn = connections[alias]
    if conn.vendor == "sqlite":
        return sqlite_digests(conn.settings_dict["NAME"])
    if conn.vendor == "postgresql":
        with conn.cursor():
            pass
        return pg_digests(conn)
    raise BackupError(f"Unsupported database engine: {conn.vendor}")


# --- files -----------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_tree(source: Path, target: Path) -> dict[str, dict]:
    files = {}
    if not source.is_dir():
        return files
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source).as_posix()
        dest = target / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        files[relative] = {"size": dest.stat().st_size, "sha256": file_sha256(dest)}
    return files


# --- PostgreSQL helpers ----------------------------------------------------------------------


def _pg_env(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    mapping = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
    }
    env.update({k: str(v) for k, v in mapping.items() if v})
    return env


def _run(args: list[str], env: dict[str, str]):
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed (PostgreSQL client tools are needed).")
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


# --- backup ----------------------------------------------------------------------------------


def _migrations(alias: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def backup(target: Path | str, *, alias: str = "default", media: bool = True) -> dict:
    """Write a backup into ``target`` (a new or empty directory); return the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; back up into a new directory.")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)  # the backup holds personal data: readable by its owner only
    conn = connections[alias]
    started = datetime.datetime.now(datetime.UTC)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created": started.isoformat(timespec="seconds"),
        "engine": conn.vendor,
        "migrations": _migrations(alias),
    }
    if conn.vendor == "sqlite":
        dest = target / SQLITE_FILE
        source = _sqlite_connect(conn.settings_dict["NAME"])
        copy = sqlite3.connect(dest)
        try:
            source.backup(copy)  # online backup API: one consistent snapshot
        finally:
            copy.close()
            source.close()
        tables = sqlite_digests(dest)
        manifest["database_file"] = SQLITE_FILE
    elif conn.vendor == "postgresql":
        dest = target / PG_FILE
        tables = _pg_backup(conn, dest)
        manifest["database_file"] = PG_FILE
    else:
        raise BackupError(f"Unsupported database engine: {conn.vendor}")
    manifest["database_sha256"] = file_sha256(dest)
    manifest["tables"] = {name: d.as_dict() for name, d in tables.items()}
    manifest["media"] = _copy_tree(Path(settings.MEDIA_ROOT), target / MEDIA_DIR) if media else None
    manifest["seconds"] = round((datetime.datetime.now(datetime.UTC) - started).total_seconds(), 3)
    # Written last: a directory without a manifest is an unfinished backup, and restore refuses it.
    (target / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return manifest


def _pg_backup(conn, dest: Path) -> dict[str, TableDigest]:
    """pg_dump and the checksums in one snapshot: a REPEATABLE READ transaction exports its
    snapshot, pg_dump --snapshot reads the same one, the checksums are computed in it."""
    snapshot_conn = connections.create_connection(conn.alias)
    try:
        snapshot_conn.ensure_connection()
        raw = snapshot_conn.connection
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-owner",
                "--no-privileges",
                f"--file={dest}",
            ],
            _pg_env(conn.settings_dict),
        )
        tables = pg_digests(snapshot_conn)  # still inside the exported snapshot
        raw.rollback()
        return tables
    finally:
        snapshot_conn.close()


# --- restore ---------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} has no {MANIFEST}: not a doha backup.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a doha backup manifest.")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"Backup format version {manifest.get('version')} is not supported "
            f"(this program reads version {VERSION})."
        )
    return manifest


def verify_files(source: Path, manifest: dict) -> None:
    """The database file and every media file exist and match their recorded SHA-256."""
    db_file = source / manifest["database_file"]
    if not db_file.is_file():
        raise BackupError(f"{db_file} is missing.")
    if file_sha256(db_file) != manifest["database_sha256"]:
        raise BackupError(f"{db_file} does not match its checksum in the manifest (damaged).")
    for relative, info in (manifest.get("media") or {}).items():
        path = source / MEDIA_DIR / relative
        if not path.is_file():
            raise BackupError(f"Uploaded file {relative} is missing from the backup.")
        if file_sha256(path) != info["sha256"]:
            raise BackupError(f"Uploaded file {relative} does not match its checksum (damaged).")


def data_held(alias: str = "default") -> dict[str, int]:
    """What makes this instance not empty: its user accounts and audit-log entries.

    Everything people enter is made by a user account and leaves an audit entry; a database
    with neither holds only what `migrate` and the reference loaders (administrative units,
    catalogue) wrote, which a restore may replace. Returns {table: rows} of those that hold rows.
    """
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model

    conn = connections[alias]
    existing = set(conn.introspection.table_names())
    found = {}
    with conn.cursor() as cursor:
        for model in (get_user_model(), LogEntry):
            table = model._meta.db_table
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")  # noqa: S608
                count = cursor.fetchone()[0]
                if count:
                    found[table] = count
    return found


def compare(expected: dict, actual: dict[str, TableDigest]) -> list[str]:
    """Differences between the manifest's tables and a database, one line each."""
    problems = []
    for name, info in sorted(expected.items()):
        got = actual.get(name)
        if got is None:
            problems.append(f"{name}: missing")
        elif got.rows != info["rows"]:
            problems.append(f"{name}: {got.rows} rows, expected {info['rows']}")
        elif got.checksum != info["checksum"]:
            problems.append(f"{name}: same row count, different content")
    for name in sorted(set(actual) - set(expected)):
        if actual[name].rows:
            problems.append(f"{name}: {actual[name].rows} rows not in the backup")
    return problems


def restore(source: Path | str, *, alias: str = "default", force: bool = False) -> dict:
    """Restore a backup into this instance's database and MEDIA_ROOT; return the manifest.

    Refuses a database that holds data (see ``data_held``), or a MEDIA_ROOT that holds files,
    unless ``force``. The database's whole content is replaced (SQLite backup API;
    pg_restore --clean in one transaction), so a failure leaves it as it was.
    Verifies the files before touching anything and the tables after.
    """
    source = Path(source)
    manifest = read_manifest(source)
    conn = connections[alias]
    if manifest["engine"] != conn.vendor:
        raise BackupError(
            f"The backup is of a {manifest['engine']} database; this instance uses "
            f"{conn.vendor}. Restore into the same engine."
        )
    verify_files(source, manifest)
    media_root = Path(settings.MEDIA_ROOT)
    if not force:
        held = data_held(alias)
        if held:
            shown = ", ".join(f"{table}: {rows} rows" for table, rows in held.items())
            raise BackupError(
                f"The database is not empty ({shown}). Restore into an empty database "
                "(new, or just migrated), or pass --force to replace its content."
            )
        if manifest.get("media") and media_root.is_dir() and any(media_root.rglob("*")):
            raise BackupError(
                f"{media_root} already holds files. Restore into an empty MEDIA_ROOT, "
                "or pass --force to add the backup's files to it."
            )
    db_file = source / manifest["database_file"]
    if conn.vendor == "sqlite":
        _sqlite_restore(conn, db_file)
    else:
        _pg_restore(conn, db_file)
    if manifest.get("media"):
        for relative in manifest["media"]:
            dest = media_root / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / MEDIA_DIR / relative, dest)
    problems = compare(manifest["tables"], live_digests(alias))
    if problems:
        raise BackupError("The restored database differs from the backup: " + "; ".join(problems))
    return manifest


def _sqlite_restore(conn, db_file: Path) -> None:
    conn.close()
    source = sqlite3.connect(db_file)
    target = _sqlite_connect(conn.settings_dict["NAME"])
    try:
        source.backup(target)  # replaces the whole content of the target, atomically
    finally:
        target.close()
        source.close()


def _pg_restore(conn, db_file: Path) -> None:
    conn.close()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conn.settings_dict['NAME']}",
            str(db_file),
        ],
        _pg_env(conn.settings_dict),
    )
