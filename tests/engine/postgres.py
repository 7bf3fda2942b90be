"""A throwaway PostgreSQL server (Debian's packages) for testing the database's shell scripts for real.

The server listens on 127.0.0.1 and on a socket in ``/var/run/postgresql`` (where the roles script
looks, as in the image) on a free port of its own, with the image's ``pg_hba.conf`` rules: local
connections trusted, TCP ones by password. Run as root, the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from components.postgres import ROLES_SCRIPT
from components.postgres.roles import INITDB_ARGS

SOCKET_DIR = Path("/var/run/postgresql")
INSTALL_HINT = "install Debian's `postgresql` package (scripts/test.sh does: apt-get install postgresql)"


def server_bin_dir() -> Path | None:
    """The newest installed server's bin directory (``/usr/lib/postgresql/<major>/bin``)."""
    root = Path("/usr/lib/postgresql")
    found = sorted(
        (d for d in root.glob("*/bin") if (d / "postgres").exists() and d.parent.name.isdigit()),
        key=lambda d: int(d.parent.name),
    )
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    bin_dir: Path
    data: Path
    port: int
    superuser: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def _as_server_user(self, argv: Sequence[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)

    def start(self) -> None:
        pg_ctl = str(self.bin_dir / "pg_ctl")
        options = f"-c listen_addresses=127.0.0.1 -c unix_socket_directories={SOCKET_DIR} -p {self.port}"
        subprocess.run(
            self._as_server_user([pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        pg_ctl = str(self.bin_dir / "pg_ctl")
        subprocess.run(
            self._as_server_user([pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            check=False,
            capture_output=True,
            timeout=60,
        )

    def psql(
        self, sql: str, *, user: str, password: str | None = None, database: str = "postgres", tcp: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``sql`` as ``user``: over TCP with ``password`` (as the app would), or on the socket."""
        env = {**os.environ, "PGCONNECT_TIMEOUT": "5"}
        env.pop("PGPASSWORD", None)
        if password is not None:
            env["PGPASSWORD"] = password
        host = "127.0.0.1" if tcp else str(SOCKET_DIR)
        argv = ["psql", "--no-psqlrc", "-X", "-At", "-v", "ON_ERROR_STOP=1", f"--host={host}", f"--port={self.port}"]
        return subprocess.run(
            [*argv, f"--username={user}", f"--dbname={database}", "--no-password", "--command", sql],
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A script, with the server's port in PGPORT as the image sets it."""
        full = {**os.environ, **self.env, **env, "PGPORT": str(self.port)}
        return subprocess.run(list(argv), env=full, check=False, capture_output=True, text=True, timeout=120, cwd=cwd)


def init_server(workdir: Path, superuser: str, password_file: Path) -> Server:
    """A new, stopped cluster in ``workdir/data`` whose bootstrap superuser is ``superuser``."""
    bin_dir = server_bin_dir()
    if bin_dir is None or shutil.which("psql") is None:
        raise RuntimeError(f"no PostgreSQL server found: {INSTALL_HINT}")
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    log = workdir / "server.log"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
        shutil.chown(password_file, "postgres", "postgres")
    server = Server(bin_dir=bin_dir, data=data, port=_free_port(), superuser=superuser, log=log)
    subprocess.run(
        server._as_server_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                f"--username={superuser}",
                f"--pwfile={password_file}",
                # What the server container's POSTGRES_INITDB_ARGS asks for (roles.INITDB_ARGS).
                *INITDB_ARGS.split(),
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return server


PASSWORDS = {"superuser": "Super0secret", "app": "App0secret", "backup": "Backup0secret", "metrics": "Metrics0secret"}


class Pod:
    """What the server container sees: the password files, the script and its environment."""

    def __init__(self, root: Path, superuser: str, backup: bool = True, metrics: bool = True) -> None:
        self.root = root
        self.files = root / "secrets"
        self.files.mkdir(parents=True)
        for role, password in PASSWORDS.items():
            self.write(role, password)
        self.script = root / "10-webstack-roles.sh"
        self.script.write_text(ROLES_SCRIPT)
        self.script.chmod(0o555)
        self.env = {
            "POSTGRES_USER": superuser,
            "POSTGRES_DB": "app",
            "POSTGRES_PASSWORD_FILE": str(self.files / "superuser"),
            "DB_APP_USER": "app",
            "DB_APP_PASSWORD_FILE": str(self.files / "app"),
            "DB_BACKUP_USER": "backup",
            "DB_BACKUP_PASSWORD_FILE": str(self.files / "backup"),
            "DB_BACKUP_ENABLED": str(backup).lower(),
            "DB_METRICS_USER": "metrics",
            "DB_METRICS_PASSWORD_FILE": str(self.files / "metrics"),
            "DB_METRICS_ENABLED": str(metrics).lower(),
        }

    def write(self, role: str, password: str) -> None:
        # As Kubernetes writes a Secret key: the value, no trailing newline.
        (self.files / role).write_text(password)


def started(workdir: Path, superuser: str, password: str) -> Server:
    pwfile = workdir / "initdb-password"
    pwfile.write_text(password)
    server = init_server(workdir / "pg", superuser, pwfile)
    server.start()
    return server
