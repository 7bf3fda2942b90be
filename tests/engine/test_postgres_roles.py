"""The roles script on a real PostgreSQL server: least privilege, passwords from the files, and the
move from the earlier layout (the app role as bootstrap superuser). Needs Debian's ``postgresql``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.postgres import PASSWORDS, Pod, Server, started

pytestmark = pytest.mark.engine


def _ok(result: object) -> str:
    assert getattr(result, "returncode", 1) == 0, getattr(result, "stderr", result)
    return str(getattr(result, "stdout", "")).strip()


def _refused(result: object, reason: str) -> None:
    assert getattr(result, "returncode", 0) != 0, getattr(result, "stdout", result)
    assert reason in str(getattr(result, "stderr", "")), getattr(result, "stderr", "")


def test_first_start_gives_the_app_its_database_and_nothing_more(fresh: tuple[Server, Pod]) -> None:
    server, pod = fresh
    # As the image's entrypoint runs it: POSTGRES_PASSWORD_FILE already read and unset.
    _ok(server.run([str(pod.script)], {**pod.env, "POSTGRES_PASSWORD_FILE": ""}))
    app = PASSWORDS["app"]
    # The app logs in over TCP with its own password, owns its database and can use it.
    _ok(
        server.psql(
            "CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1)",
            user="app",
            password=app,
            database="app",
        )
    )
    owner = _ok(
        server.psql(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'",
            user="app",
            password=app,
            database="app",
        )
    )
    assert owner == "app"
    # It is no superuser, cannot create roles or databases, and cannot become the superuser.
    flags = _ok(
        server.psql(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'app'",
            user="app",
            password=app,
            database="app",
        )
    )
    assert flags == "f|f|f"
    _refused(server.psql("SET ROLE postgres", user="app", password=app, database="app"), "permission denied")
    _refused(server.psql("CREATE DATABASE other", user="app", password=app, database="app"), "permission denied")
    # Nor reach the maintenance databases.
    for other in ("postgres", "template1"):
        _refused(server.psql("SELECT 1", user="app", password=app, database=other), "permission denied")
    # Loopback TCP (which the exporter's container shares) is not trusted: no password, no login.
    _refused(server.psql("SELECT 1", user="postgres"), "no password supplied")
    # Nor log in with the superuser's name and its own password.
    _refused(server.psql("SELECT 1", user="postgres", password=app, database="app"), "password authentication failed")


def test_backup_role_reads_every_row_and_writes_nothing(fresh: tuple[Server, Pod]) -> None:
    server, pod = fresh
    _ok(server.run([str(pod.script)], pod.env))
    _ok(
        server.psql(
            "CREATE TABLE items (id int); INSERT INTO items VALUES (1), (2)",
            user="app",
            password=PASSWORDS["app"],
            database="app",
        )
    )
    backup = PASSWORDS["backup"]
    assert _ok(server.psql("SELECT count(*) FROM items", user="backup", password=backup, database="app")) == "2"
    _refused(
        server.psql("INSERT INTO items VALUES (3)", user="backup", password=backup, database="app"), "permission denied"
    )
    _refused(server.psql("SELECT 1", user="backup", password=backup, database="postgres"), "permission denied")
    stats = "SELECT count(*) > 0 FROM pg_stat_activity WHERE query IS NOT NULL"
    assert _ok(server.psql(stats, user="metrics", password=PASSWORDS["metrics"], database="app")) == "t"
    _refused(
        server.psql("SELECT * FROM items", user="metrics", password=PASSWORDS["metrics"], database="app"),
        "permission denied",
    )


def test_every_start_applies_the_passwords_in_the_files(fresh: tuple[Server, Pod]) -> None:
    # A destroy and a new deployment generate new passwords into the adopted Secrets: the next
    # start must let the app in with the new one, and no longer with the old one.
    server, pod = fresh
    _ok(server.run([str(pod.script)], pod.env))
    pod.write("app", "Rotated0app")
    pod.write("superuser", "Rotated0super")
    _ok(server.run([str(pod.script), "--after-start"], pod.env))
    _ok(server.psql("SELECT 1", user="app", password="Rotated0app", database="app"))
    _refused(
        server.psql("SELECT 1", user="app", password=PASSWORDS["app"], database="app"), "password authentication failed"
    )
    _ok(server.psql("SELECT 1", user="postgres", password="Rotated0super"))


def test_switched_off_features_lose_their_login(fresh: tuple[Server, Pod]) -> None:
    server, pod = fresh
    _ok(server.run([str(pod.script)], pod.env))
    off = Pod(pod.root / "off", "postgres", backup=False, metrics=False)
    _ok(server.run([str(off.script), "--after-start"], off.env))
    _refused(
        server.psql("SELECT 1", user="backup", password=PASSWORDS["backup"], database="app"), "not permitted to log in"
    )
    _refused(
        server.psql("SELECT 1", user="metrics", password=PASSWORDS["metrics"], database="app"),
        "not permitted to log in",
    )


def test_running_twice_changes_nothing_and_logs_no_password(fresh: tuple[Server, Pod]) -> None:
    server, pod = fresh
    _ok(server.run([str(pod.script)], pod.env))
    before = _ok(
        server.psql("SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY 1", user="postgres", tcp=False)
    )
    second = server.run([str(pod.script), "--after-start"], pod.env)
    _ok(second)
    assert (
        _ok(server.psql("SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY 1", user="postgres", tcp=False))
        == before
    )
    output = second.stdout + second.stderr + server.log.read_text()
    for password in PASSWORDS.values():
        assert password not in output


def test_a_data_directory_of_the_earlier_layout_is_moved_to_the_new_roles(workdir: Path) -> None:
    # Earlier versions made the app role the bootstrap superuser (POSTGRES_USER=app).
    server = started(workdir, "app", PASSWORDS["app"])
    try:
        _ok(server.psql("CREATE DATABASE app", user="app", tcp=False))
        _ok(
            server.psql(
                "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('row')", user="app", database="app", tcp=False
            )
        )
        pod = Pod(workdir, "postgres")
        _ok(server.run([str(pod.script), "--after-start"], pod.env))
        app = PASSWORDS["app"]
        assert _ok(server.psql("SELECT v FROM kept", user="app", password=app, database="app")) == "row"
        assert (
            _ok(
                server.psql(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = 'app'", user="app", password=app, database="app"
                )
            )
            == "f"
        )
        assert (
            _ok(
                server.psql(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
                    user="postgres",
                    password=PASSWORDS["superuser"],
                )
            )
            == "t"
        )
    finally:
        server.stop()
