"""The backup job's script and the restore script on a real PostgreSQL server: a dump by the
read-only role, verified, restored into an empty database with every row. Needs ``postgresql``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from components.postgres import BACKUP_SCRIPT
from tests.engine.postgres import PASSWORDS, Pod, Server

pytestmark = pytest.mark.engine

RESTORE = Path(__file__).resolve().parents[2] / "components" / "postgres" / "scripts" / "restore-in-server.sh"
ROWS = 500
CHECKSUM = "SELECT count(*) || ':' || sum(id) || ':' || md5(string_agg(note, ',' ORDER BY id)) FROM items"


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def seeded(fresh: tuple[Server, Pod]) -> tuple[Server, Pod, str]:
    """Roles applied, and the app's table filled; returns its checksum."""
    server, pod = fresh
    _ok(server.run([str(pod.script)], pod.env))
    app = PASSWORDS["app"]
    seed = (
        "CREATE TABLE items (id int PRIMARY KEY, note text); "
        f"INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, {ROWS}) g"
    )
    _ok(server.psql(seed, user="app", password=app, database="app"))
    return server, pod, _ok(server.psql(CHECKSUM, user="app", password=app, database="app"))


def _backup(server: Server, pod: Pod) -> tuple[subprocess.CompletedProcess[str], Path]:
    backups = pod.root / "backups"
    backups.mkdir(exist_ok=True)
    env = {
        "PGHOST": "127.0.0.1",
        "PGDATABASE": "app",
        "PGUSER": "backup",
        "PGPASSWORD_FILE": str(pod.files / "backup"),
        "BACKUP_DIR": str(backups),
        "RETENTION_DAYS": "7",
    }
    return server.run(["/bin/sh", "-c", BACKUP_SCRIPT], env), backups


def _restore(server: Server, dump: Path, target: str, create: bool) -> subprocess.CompletedProcess[str]:
    env = {"POSTGRES_USER": "postgres", "DB_APP_USER": "app"}
    with dump.open("rb") as stdin:
        return subprocess.run(
            ["sh", "-c", RESTORE.read_text(), "restore", target, str(create).lower()],
            stdin=stdin,
            env={**os.environ, **env, "PGPORT": str(server.port)},
            capture_output=True,
            check=False,
            timeout=120,
        )


def test_the_backup_role_writes_a_dump_that_pg_restore_lists(seeded: tuple[Server, Pod, str]) -> None:
    server, pod, _ = seeded
    result, backups = _backup(server, pod)
    assert "written and verified" in _ok(result)
    (dump,) = backups.glob("app-*.dump")
    listing = _ok(subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=False))
    assert "TABLE public items app" in listing
    assert "TABLE DATA public items app" in listing


def test_a_dump_restores_into_a_new_database_with_every_row(seeded: tuple[Server, Pod, str]) -> None:
    server, pod, checksum = seeded
    _, backups = _backup(server, pod)
    (dump,) = backups.glob("app-*.dump")
    result = _restore(server, dump, "app_restored", create=True)
    assert result.returncode == 0, result.stderr
    assert b"1 tables restored into app_restored, owned by app" in result.stdout
    app = PASSWORDS["app"]
    assert _ok(server.psql(CHECKSUM, user="app", password=app, database="app_restored")) == checksum
    owner = "SELECT tableowner FROM pg_tables WHERE tablename = 'items'"
    assert _ok(server.psql(owner, user="app", password=app, database="app_restored")) == "app"


def test_a_dump_restores_into_the_empty_database_of_a_new_volume(seeded: tuple[Server, Pod, str]) -> None:
    server, pod, checksum = seeded
    _, backups = _backup(server, pod)
    (dump,) = backups.glob("app-*.dump")
    # A new volume: the app's database exists (the image and the roles script made it), empty.
    _ok(server.psql("DROP DATABASE app", user="postgres", tcp=False))
    _ok(server.run([str(pod.script), "--after-start"], pod.env))
    assert _restore(server, dump, "app", create=False).returncode == 0
    assert _ok(server.psql(CHECKSUM, user="app", password=PASSWORDS["app"], database="app")) == checksum


def test_restore_refuses_a_database_that_holds_data(seeded: tuple[Server, Pod, str]) -> None:
    server, pod, checksum = seeded
    _, backups = _backup(server, pod)
    (dump,) = backups.glob("app-*.dump")
    result = _restore(server, dump, "app", create=False)
    assert result.returncode != 0
    assert b"database app is not empty" in result.stderr
    assert _ok(server.psql(CHECKSUM, user="app", password=PASSWORDS["app"], database="app")) == checksum


def test_an_unreadable_archive_restores_nothing_and_leaves_no_database(seeded: tuple[Server, Pod, str]) -> None:
    server, pod, _ = seeded
    bad = pod.root / "bad.dump"
    bad.write_bytes(b"not an archive")
    result = _restore(server, bad, "app_restored", create=True)
    assert result.returncode != 0
    exists = "SELECT count(*) FROM pg_database WHERE datname = 'app_restored'"
    assert _ok(server.psql(exists, user="postgres", tcp=False)) == "0"
