"""The backup job's script, run for real by /bin/sh with stand-ins for pg_dump and pg_restore."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from components.postgres import BACKUP_SCRIPT

PASSWORD = "Backup0secret"
DAY = 24 * 3600

# pg_dump writes a custom-format header (or fails on request); pg_restore accepts only files that
# start with it, like the real one rejecting anything that is not an archive.
FAKE_PG_DUMP = """#!/bin/sh
echo "pg_dump $*" >> "$FAKE_LOG"
[ "$PGPASSWORD" = "$EXPECTED_PASSWORD" ] || { echo "wrong password in the environment" >&2; exit 3; }
[ -z "${FAKE_DUMP_FAIL:-}" ] || { echo "pg_dump: error: connection refused" >&2; exit 1; }
for arg; do case "$arg" in --file=*) out="${arg#--file=}" ;; esac; done
printf '%s' "${FAKE_DUMP_CONTENT:-PGDMP archive}" > "$out"
"""
# pg_isready answers "no" FAKE_READY_AFTER times (default 0), then "yes", like a server that admits
# the job's pod a moment after it started.
FAKE_PG_ISREADY = """#!/bin/sh
echo "pg_isready $*" >> "$FAKE_LOG"
n=$(grep -c '^pg_isready' "$FAKE_LOG")
[ "$n" -gt "${FAKE_READY_AFTER:-0}" ]
"""
FAKE_PG_RESTORE = """#!/bin/sh
echo "pg_restore $*" >> "$FAKE_LOG"
for arg; do file="$arg"; done
case "$(head -c 5 "$file")" in
  PGDMP) ;;
  *) echo "pg_restore: error: input file does not appear to be a valid archive" >&2; exit 1 ;;
esac
[ "$1" != --list ] || printf ';\\n; Archive\\n1; 2615 2200 SCHEMA - public\\n2; 1259 16385 TABLE public items app\\n'
"""


class Job:
    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        for name, text in (("pg_dump", FAKE_PG_DUMP), ("pg_restore", FAKE_PG_RESTORE), ("pg_isready", FAKE_PG_ISREADY)):
            (self.bin / name).write_text(text)
            (self.bin / name).chmod(0o755)
        self.dir = root / "backups"
        self.dir.mkdir()
        self.log = root / "calls.log"
        self.log.touch()
        self.password_file = root / "backup-password"
        self.password_file.write_text(PASSWORD)

    def run(self, retention_days: int = 7, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "PGDATABASE": "app",
            "PGPASSWORD_FILE": str(self.password_file),
            "BACKUP_DIR": str(self.dir),
            "RETENTION_DAYS": str(retention_days),
            "FAKE_LOG": str(self.log),
            "EXPECTED_PASSWORD": PASSWORD,
            "BACKUP_CONNECT_PAUSE": "0",
            **extra,
        }
        argv = ["/bin/sh", "-c", BACKUP_SCRIPT]
        return subprocess.run(argv, env=env, check=False, capture_output=True, text=True, timeout=60)

    def dumps(self) -> list[str]:
        return sorted(p.name for p in self.dir.iterdir())

    def old_dump(self, name: str, age_seconds: float) -> Path:
        path = self.dir / name
        path.write_text("PGDMP old")
        stamp = time.time() - age_seconds
        os.utime(path, (stamp, stamp))
        return path


@pytest.fixture
def job(tmp_path: Path) -> Job:
    return Job(tmp_path)


def test_a_run_keeps_one_verified_dump_named_by_database_and_utc_time(job: Job) -> None:
    result = job.run()
    assert result.returncode == 0, result.stderr
    (dump,) = job.dumps()
    assert dump.startswith("app-")
    assert dump.endswith("Z.dump")
    calls = job.log.read_text().splitlines()
    assert calls[0] == "pg_isready --quiet --timeout=5"  # the server answers at once here
    assert calls[1] == f"pg_dump --format=custom --no-password --file={job.dir}/{dump}.partial"
    # Verified before it was kept: the table of contents, then all of its data.
    assert calls[2] == f"pg_restore --list {job.dir}/{dump}.partial"
    assert calls[3] == f"pg_restore --file=/dev/null {job.dir}/{dump}.partial"
    assert "written and verified (2 archive entries" in result.stdout


def test_the_password_reaches_pg_dump_only_through_its_environment(job: Job) -> None:
    assert job.run().returncode == 0
    assert PASSWORD not in job.log.read_text()


def test_a_dump_pg_restore_cannot_read_fails_the_job_and_is_not_kept(job: Job) -> None:
    kept = job.old_dump("app-20200101T000000Z.dump", 30 * DAY)
    result = job.run(FAKE_DUMP_CONTENT="garbage")
    assert result.returncode != 0
    assert "does not appear to be a valid archive" in result.stderr
    # Nothing kept from this run, nothing pruned by it.
    assert job.dumps() == [kept.name]


def test_a_failed_pg_dump_fails_the_job_and_prunes_nothing(job: Job) -> None:
    kept = job.old_dump("app-20200101T000000Z.dump", 30 * DAY)
    result = job.run(FAKE_DUMP_FAIL="1")
    assert result.returncode != 0
    assert job.dumps() == [kept.name]


def test_retention_deletes_only_dumps_older_than_the_setting(job: Job) -> None:
    older = job.old_dump("app-20200101T000000Z.dump", 7 * DAY + 3600)
    younger = job.old_dump("app-20200102T000000Z.dump", 7 * DAY - 3600)
    other_database = job.old_dump("shop-20200101T000000Z.dump", 30 * DAY)
    result = job.run(retention_days=7)
    assert result.returncode == 0, result.stderr
    names = job.dumps()
    assert older.name not in names
    assert younger.name in names
    assert other_database.name in names, "another database's dumps are not this job's"
    assert len(names) == 3
    assert f"{older} deleted (older than 7 days)" in result.stdout


def test_retention_never_deletes_the_newest_dump(job: Job) -> None:
    # A clock gone wrong: the dump just written carries an old modification time (the stand-in
    # backdates it); it is still the newest by name, and it stays.
    stale_clock = "touch -d '2000-01-01' \"$out\""
    fake = FAKE_PG_DUMP + stale_clock + "\n"
    (job.bin / "pg_dump").write_text(fake)
    old = job.old_dump("app-20000101T000000Z.dump", 30 * DAY)
    result = job.run(retention_days=1)
    assert result.returncode == 0, result.stderr
    names = job.dumps()
    assert old.name not in names
    assert len(names) == 1
    assert names[0] > old.name


def test_a_partial_file_left_by_a_killed_run_is_cleaned_up_after_a_day(job: Job) -> None:
    stale = job.old_dump("app-20200101T000000Z.dump.partial", DAY + 60)
    fresh = job.old_dump("app-20200102T000000Z.dump.partial", 60)
    assert job.run().returncode == 0
    names = job.dumps()
    assert stale.name not in names
    assert fresh.name in names, "a partial file of a run that may still be going is left alone"


def test_the_job_waits_for_the_server_to_accept_it_then_dumps(job: Job) -> None:
    done = job.run(FAKE_READY_AFTER="2")
    assert done.returncode == 0, done.stderr
    calls = job.log.read_text().splitlines()
    assert [c.split()[0] for c in calls[:4]] == ["pg_isready", "pg_isready", "pg_isready", "pg_dump"], calls
    assert len(job.dumps()) == 1


def test_a_server_that_never_accepts_fails_the_job_after_its_tries_without_a_dump(job: Job) -> None:
    done = job.run(FAKE_READY_AFTER="99", BACKUP_CONNECT_TRIES="4")
    assert done.returncode == 1
    assert "did not accept connections after 4 tries" in done.stderr
    calls = job.log.read_text().splitlines()
    assert calls == ["pg_isready --quiet --timeout=5"] * 4, calls
    assert job.dumps() == []
