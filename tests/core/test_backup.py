"""Backup and restore (manage.py backup / restore), and an import killed half-way.

Everything runs in subprocesses against databases of its own (SQLite files; on PostgreSQL,
databases created next to the test database when DATABASE_URL is postgres and pg_dump and
pg_restore are installed), the way an administrator runs the commands.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import dj_database_url
import pytest

from doha.core.backup import MANIFEST, sqlite_digests

REPO = Path(__file__).resolve().parents[2]
MANAGE = str(REPO / "manage.py")
SESSION_URL = os.environ.get("DATABASE_URL", "")
HAS_PG = SESSION_URL.startswith(("postgres://", "postgresql://")) and all(
    shutil.which(tool) for tool in ("pg_dump", "pg_restore")
)
ENGINES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not HAS_PG, reason="needs DATABASE_URL=postgres://... and pg_dump/pg_restore"
        ),
    ),
]

# A small world written through the application's own code: org units, users, an aggregate
# data set and values imported from a CSV file (with their audit trail), an access token, an
# uploaded file, Vietnamese text.
POPULATE = """
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from doha.aggregate.formats import import_file
from doha.core.permissions import Role
from doha.orgunits.models import FacilityType
from doha.users.authentication import create_token
from tests.aggregate.factories import DataElementFactory, DataSetFactory
from tests.factories import OrgUnitFactory, UserFactory

syt = OrgUnitFactory(code="BN-SYT", name="Sở Y tế tỉnh Bắc Ninh", facility_type=FacilityType.DOH)
units = [OrgUnitFactory(code=f"TYT-{i:02d}", name=f"Trạm Y tế xã số {i}", parent=syt)
         for i in range(5)]
elements = [DataElementFactory(code=f"DE{i}", name=f"Chỉ tiêu {i}") for i in range(4)]
DataSetFactory(code="BC_THANG", name="Báo cáo tháng", elements=elements, units=units)
officer = UserFactory(username="syt.bn", role=Role.DOH_OFFICER, org_unit=syt,
                      first_name="Lan", last_name="Nguyễn Thị")
UserFactory(username="admin", role=Role.SYSTEM_ADMIN, is_superuser=True, is_staff=True)
rows = ["dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,"
        "lastupdated,comment"]
for de in elements:
    for ou in units:
        for month in range(1, 7):
            rows.append(f"{de.code},2026{month:02d},{ou.code},,,{month * 7},,,ghi chú {month}")
summary = import_file(officer, "\\n".join(rows), "csv", id_schemes="CODE")
assert summary.status == "SUCCESS", summary.as_dict()
create_token(officer, "Đồng bộ DHIS2")
default_storage.save("uploads/bien-ban.txt", ContentFile("Biên bản bàn giao".encode()))
default_storage.save("uploads/anh/so-do.bin", ContentFile(bytes(range(256)) * 40))
print("populated", len(rows) - 1)
"""

DIGESTS = """
import json
import django
django.setup()
from doha.core.backup import live_digests
print(json.dumps({k: v.as_dict() for k, v in live_digests().items()}))
"""

# The crash test: one import of CSV_ROWS values; after its first batch is written (inside the
# import's transaction) the process says so and waits to be killed.
CRASH_WORLD = """
import django
django.setup()
from doha.core.permissions import Role
from doha.orgunits.models import FacilityType
from tests.aggregate.factories import DataElementFactory, DataSetFactory
from tests.factories import OrgUnitFactory, UserFactory

syt = OrgUnitFactory(code="BN-SYT", name="Sở Y tế tỉnh Bắc Ninh", facility_type=FacilityType.DOH)
units = [OrgUnitFactory(code=f"TYT-{i:03d}", parent=syt) for i in range(40)]
elements = [DataElementFactory(code=f"DE{i:02d}") for i in range(25)]
DataSetFactory(code="BC_THANG", elements=elements, units=units)
UserFactory(username="syt.bn", role=Role.DOH_OFFICER, org_unit=syt)
"""
CSV_ROWS = 40 * 25 * 12
CRASH_IMPORT = """
import re, sys, time
import django
django.setup()
from django.db import connection
from doha.aggregate import streaming
from doha.aggregate.formats import import_file
from doha.aggregate.models import DataValue
from doha.users.models import User

wait = sys.argv[1] == "wait"
if sys.argv[2] == "set-wise":
    streaming.eligible = lambda *args: False
state = {"reported": False}
INSERT = re.compile(r'INSERT INTO\\s+"?aggregate_datavalue"?\\s*\\(', re.IGNORECASE)

def report_first_insert(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if wait and not state["reported"] and INSERT.search(sql):
        state["reported"] = True
        # Seen from inside the import's transaction: the first rows are written.
        print("written", DataValue.objects.count(), "set-wise", flush=True)
        time.sleep(600)
    return result

connection.execute_wrappers.append(report_first_insert)
flush = streaming.StreamingWriter.flush

def report_first_streamed(self):
    flush(self)
    if wait and not state["reported"] and self.streamed:
        state["reported"] = True
        # Sent into the COPY of the streaming connection's open transaction.
        print("written", self.streamed, "streamed", flush=True)
        time.sleep(600)

streaming.StreamingWriter.flush = report_first_streamed
rows = ["dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value"]
for month in range(1, 13):
    for ou in range(40):
        for de in range(25):
            rows.append(f"DE{de:02d},2025{month:02d},TYT-{ou:03d},,,{ou * 100 + de + 1}")
summary = import_file(User.objects.get(username="syt.bn"), "\\n".join(rows), "csv",
                      id_schemes="CODE")
print("done", summary.status, DataValue.objects.count(), flush=True)
"""


def env_for(url: str, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MEDIA_ROOT"}}
    env.update(
        DJANGO_SETTINGS_MODULE="doha.settings",
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]),
        DATABASE_URL=url,
        DOHA_HOME=str(home),
        MEDIA_ROOT=str(home / "media"),
    )
    return env


def run(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


class Databases:
    """Fresh, empty databases of one engine; a migrated template is copied for speed."""

    def __init__(self, engine: str, root: Path):
        self.engine = engine
        self.root = root
        self.made: list[str] = []
        self.template = self.new()
        run(env_for(self.template, root / "template"), MANAGE, "migrate", "--noinput", "-v0")

    def new(self, template: str | None = None) -> str:
        name = f"bk_{uuid.uuid4().hex[:10]}"
        if self.engine == "sqlite":
            path = self.root / f"{name}.sqlite3"
            if template:
                shutil.copy(dj_database_url.parse(template)["NAME"], path)
            return f"sqlite:///{path}"
        copy_of = f' TEMPLATE "{self._name(template)}"' if template else ""
        self._admin_sql(f'CREATE DATABASE "{name}"{copy_of}')
        self.made.append(name)
        parts = dj_database_url.parse(SESSION_URL)
        auth = parts["USER"] + (f":{parts['PASSWORD']}" if parts["PASSWORD"] else "")
        return f"postgres://{auth}@{parts['HOST'] or '127.0.0.1'}:{parts['PORT'] or 5432}/{name}"

    def migrated(self) -> str:
        return self.new(template=self.template)

    @staticmethod
    def _name(url: str) -> str:
        return dj_database_url.parse(url)["NAME"]

    def _admin_sql(self, sql: str):
        import psycopg

        parts = dj_database_url.parse(SESSION_URL)
        with psycopg.connect(
            host=parts["HOST"] or "127.0.0.1",
            port=parts["PORT"] or 5432,
            user=parts["USER"],
            password=parts["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    def drop_all(self):
        for name in self.made:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=ENGINES)
def databases(request, tmp_path_factory):
    dbs = Databases(request.param, tmp_path_factory.mktemp(request.param))
    yield dbs
    if dbs.engine == "postgresql":
        dbs.drop_all()


def digests(url: str, home: Path) -> dict:
    if url.startswith("sqlite"):
        return {
            k: v.as_dict() for k, v in sqlite_digests(dj_database_url.parse(url)["NAME"]).items()
        }
    return json.loads(run(env_for(url, home), "-c", DIGESTS).stdout)


@pytest.fixture(scope="module")
def backed_up(databases, tmp_path_factory):
    """A populated instance and its backup."""
    home = tmp_path_factory.mktemp("source")
    url = databases.migrated()
    env = env_for(url, home)
    assert "populated 120" in run(env, "-c", POPULATE).stdout
    target = home / "backup"
    out = run(env, MANAGE, "backup", str(target)).stdout
    assert "Backup written" in out
    return {"url": url, "home": home, "env": env, "dir": target}


def test_backup_writes_database_media_and_manifest(databases, backed_up):
    target = backed_up["dir"]
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format"] == "doha-backup" and manifest["version"] == 1
    assert manifest["engine"] == databases.engine
    assert (target / manifest["database_file"]).is_file()
    assert set(manifest["media"]) == {"uploads/bien-ban.txt", "uploads/anh/so-do.bin"}
    assert (target / "media/uploads/bien-ban.txt").read_text(encoding="utf-8") == (
        "Biên bản bàn giao"
    )
    tables = manifest["tables"]
    assert tables["aggregate_datavalue"]["rows"] == 120
    assert tables["users_user"]["rows"] == 2
    assert tables["users_apitoken"]["rows"] == 1
    assert "django_migrations" in tables and "aggregate" in manifest["migrations"]
    # The manifest describes the source as it was.
    assert digests(backed_up["url"], backed_up["home"]) == tables


def test_restore_into_a_fresh_database_gives_every_table_back(databases, backed_up, tmp_path):
    url = databases.new()  # a new, empty database: no tables at all
    env = env_for(url, tmp_path)
    out = run(env, MANAGE, "restore", str(backed_up["dir"])).stdout
    assert "match the manifest" in out
    source = digests(backed_up["url"], backed_up["home"])
    restored = digests(url, tmp_path)
    assert restored == source  # every table: row count and checksum
    assert sum(t["rows"] for t in restored.values()) > 500
    assert (tmp_path / "media/uploads/anh/so-do.bin").read_bytes() == bytes(range(256)) * 40
    # The restored instance works: the token still signs in, migrations are all applied.
    check = run(env, MANAGE, "migrate", "--check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_restore_into_a_just_migrated_database(databases, backed_up, tmp_path):
    url = databases.migrated()
    run(env_for(url, tmp_path), MANAGE, "restore", str(backed_up["dir"]))
    assert digests(url, tmp_path) == digests(backed_up["url"], backed_up["home"])


def test_restore_refuses_a_database_with_data_unless_forced(databases, backed_up, tmp_path):
    url = databases.migrated()
    env = env_for(url, tmp_path)
    run(env, "-c", POPULATE.replace("syt.bn", "khac.bn").replace('"admin"', '"quan.tri"'))
    before = digests(url, tmp_path)
    refused = run(env, MANAGE, "restore", str(backed_up["dir"]), check=False)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert digests(url, tmp_path) == before
    run(env, MANAGE, "restore", str(backed_up["dir"]), "--force")
    assert digests(url, tmp_path) == digests(backed_up["url"], backed_up["home"])


def test_restore_refuses_a_damaged_backup_and_changes_nothing(databases, backed_up, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(backed_up["dir"], damaged)
    manifest = json.loads((damaged / MANIFEST).read_text(encoding="utf-8"))
    db_file = damaged / manifest["database_file"]
    data = bytearray(db_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    db_file.write_bytes(bytes(data))
    url = databases.migrated()
    env = env_for(url, tmp_path)
    before = digests(url, tmp_path)
    refused = run(env, MANAGE, "restore", str(damaged), check=False)
    assert refused.returncode != 0 and "damaged" in refused.stderr
    assert digests(url, tmp_path) == before

    (damaged / MANIFEST).write_text("{not json", encoding="utf-8")
    refused = run(env, MANAGE, "restore", str(damaged), check=False)
    assert refused.returncode != 0 and "not valid JSON" in refused.stderr


def test_backup_refuses_a_directory_that_is_not_empty(backed_up):
    refused = run(backed_up["env"], MANAGE, "backup", str(backed_up["dir"]), check=False)
    assert refused.returncode != 0 and "not empty" in refused.stderr


@pytest.mark.parametrize("path", ["set-wise", "streamed"])
def test_killed_import_leaves_no_partial_batch(databases, tmp_path, path):
    """Killed while its values are being written (by the set-wise INSERT, or streamed into
    a COPY on PostgreSQL: ``doha.aggregate.streaming``), an import leaves nothing."""
    if path == "streamed" and databases.engine != "postgresql":
        pytest.skip("values are streamed on PostgreSQL only")
    url = databases.migrated()
    env = env_for(url, tmp_path)
    run(env, "-c", CRASH_WORLD)
    before = digests(url, tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_IMPORT, "wait", path],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("written"), line + proc.stderr.read()
        written = int(line.split()[1])
        assert line.split()[2] == path
        print(f"killed the import after {written} of {CSV_ROWS} values were written")
        assert 0 < written <= CSV_ROWS  # rows of the batch are in the open transaction
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    after = digests(url, tmp_path)
    assert after["aggregate_datavalue"]["rows"] == 0
    assert after["aggregate_datavalueaudit"]["rows"] == 0
    assert after == before  # not a row of the batch, anywhere

    # The same file, not interrupted, imports completely: the kill is what stopped it.
    done = run(env, "-c", CRASH_IMPORT, "go", path).stdout.split()
    assert done == ["done", "SUCCESS", str(CSV_ROWS)]
