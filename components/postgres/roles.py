"""The database's roles: the app's own, least-privileged role, a read-only backup role and a
monitoring role, next to the bootstrap superuser that nothing outside the server's pod uses.

One idempotent script applies them. The image's entrypoint runs it once, on an empty data
directory, from ``/docker-entrypoint-initdb.d`` (so the first server already has the roles); the
server container's ``postStart`` hook runs it again at every start, once the server accepts TCP
connections, so that every role's password is the one in the mounted Secrets. That keeps the app
logging in to retained data whatever happened to the Secrets: a destroy and a new deployment that
generates new passwords, a rotated ``existing_secret``, or a data directory initialised by an
earlier version of this program (whose app role was the bootstrap superuser: it is demoted, and
the superuser role created, on its next start).

The script connects through the server's Unix socket, where the image trusts local connections
(``local all all trust``, the official image's ``pg_hba.conf``); passwords travel from the mounted
files into psql variables (backquoted ``\\set``), never through a command line, and the session
turns statement logging off, so that no password reaches ``ps`` or the server log.
"""

from __future__ import annotations

from typing import NamedTuple

import pulumi_kubernetes as k8s

from components.postgres.checks import check_pg_identifier
from components.postgres.pods import CREDENTIALS_MOUNT, PORT

DEFAULT_SUPERUSER = "postgres"
BACKUP_ROLE = "backup"
METRICS_ROLE = "metrics"
INITDB_DIR = "/docker-entrypoint-initdb.d"
INITDB_ARGS = "--auth-local=trust --auth-host=scram-sha-256"
SCRIPT_NAME = "10-webstack-roles.sh"
SOCKET_DIR = "/var/run/postgresql"
# How long the postStart hook waits for the server (the startup probe's budget: 90 x 10 s).
START_TIMEOUT_SECONDS = 900
# Keys of the admin credentials Secret, and the file names every container sees them under in
# ``pods.CREDENTIALS_MOUNT`` (the app's password is the file ``app-password``).
SUPERUSER_PASSWORD_KEY = "superuser-password"
BACKUP_PASSWORD_KEY = "backup-password"
METRICS_PASSWORD_KEY = "metrics-password"
APP_PASSWORD_PATH = "app-password"
SUPERUSER_PASSWORD_FILE = f"{CREDENTIALS_MOUNT}/{SUPERUSER_PASSWORD_KEY}"
APP_PASSWORD_FILE = f"{CREDENTIALS_MOUNT}/{APP_PASSWORD_PATH}"
BACKUP_PASSWORD_FILE = f"{CREDENTIALS_MOUNT}/{BACKUP_PASSWORD_KEY}"
METRICS_PASSWORD_FILE = f"{CREDENTIALS_MOUNT}/{METRICS_PASSWORD_KEY}"

ROLES_SCRIPT = f"""#!/usr/bin/env bash
# webstack: create and align the database's roles (components/postgres/roles.py). Idempotent.
#   no argument    run by the image's entrypoint on first start (temporary, socket-only server)
#   --after-start  run by the postStart hook: wait for the server, then align
set -Eeuo pipefail
port="${{PGPORT:-{PORT}}}"
if [ "${{1:-}}" = "--after-start" ]; then
  # The server that runs the init scripts listens on the socket only; the final one on TCP too.
  deadline=$((SECONDS + {START_TIMEOUT_SECONDS}))
  # An explicit user: the container's UID may have no passwd entry for libpq to default to.
  until pg_isready --quiet --host=127.0.0.1 --port="$port" --username="$POSTGRES_USER" --dbname=postgres; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "webstack roles: the server did not accept connections within {START_TIMEOUT_SECONDS}s" >&2
      exit 1
    fi
    sleep 2
  done
fi
sql() {{
  psql --no-psqlrc --no-password --quiet --set=ON_ERROR_STOP=1 --host={SOCKET_DIR} --port="$port" \\
    --dbname=postgres "$@"
}}
login() {{ if [ "$1" = "true" ]; then echo LOGIN; else echo NOLOGIN; fi; }}
if ! sql --username="$POSTGRES_USER" --command="SELECT 1" >/dev/null 2>&1; then
  # A data directory initialised when the app role was the bootstrap superuser: create the
  # superuser through it; the app role is demoted below, by the new superuser.
  sql --username="$DB_APP_USER" --set=superuser="$POSTGRES_USER" <<'SQL'
SELECT format('CREATE ROLE %I', :'superuser') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'superuser')
\\gexec
ALTER ROLE :"superuser" WITH SUPERUSER LOGIN;
SQL
fi
# The image's entrypoint reads POSTGRES_PASSWORD_FILE and unsets it before the init scripts, having
# just given the superuser that password; the postStart hook sees the container's own env.
if [ -n "${{POSTGRES_PASSWORD_FILE:-}}" ]; then superuser_file=true; else superuser_file=false; fi
sql --username="$POSTGRES_USER" --set=superuser_file="$superuser_file" \\
  --set=superuser="$POSTGRES_USER" --set=database="$POSTGRES_DB" --set=app_user="$DB_APP_USER" \\
  --set=backup_user="$DB_BACKUP_USER" --set=backup_login="$(login "$DB_BACKUP_ENABLED")" \\
  --set=metrics_user="$DB_METRICS_USER" --set=metrics_login="$(login "$DB_METRICS_ENABLED")" <<'SQL'
-- Never write a statement of this session (they carry passwords) to the server log.
SET log_statement = 'none';
SET log_min_error_statement = 'panic';
SET client_min_messages = 'warning';
\\set app_password `cat "$DB_APP_PASSWORD_FILE"`
\\set backup_password `cat "$DB_BACKUP_PASSWORD_FILE"`
\\set metrics_password `cat "$DB_METRICS_PASSWORD_FILE"`
ALTER ROLE :"superuser" WITH SUPERUSER LOGIN;
\\if :superuser_file
\\set superuser_password `cat "$POSTGRES_PASSWORD_FILE"`
ALTER ROLE :"superuser" WITH PASSWORD :'superuser_password';
\\endif
SELECT format('CREATE ROLE %I', role) FROM unnest(ARRAY[:'app_user', :'backup_user', :'metrics_user']) AS role
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role) \\gexec
-- The app: its own database, nothing else.
ALTER ROLE :"app_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';
-- Backups: reads every row (pg_read_all_data, PostgreSQL 14+; BYPASSRLS so that pg_dump sees
-- rows that row-level security hides), writes nothing.
ALTER ROLE :"backup_user" WITH :backup_login NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS
  PASSWORD :'backup_password';
GRANT pg_read_all_data TO :"backup_user";
-- The exporter: statistics only.
ALTER ROLE :"metrics_user" WITH :metrics_login NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'metrics_password';
GRANT pg_monitor TO :"metrics_user";
-- The app's database belongs to the app role (and with it the public schema, PostgreSQL 15+);
-- only the app, backup and monitoring roles may connect to it, and nobody but superusers to the
-- maintenance databases.
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'app_user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \\gexec
ALTER DATABASE :"database" OWNER TO :"app_user";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"backup_user", :"metrics_user";
REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC;
SQL
echo "webstack roles: ${{DB_APP_USER}}, ${{DB_BACKUP_USER}} ($(login "$DB_BACKUP_ENABLED")), \\
${{DB_METRICS_USER}} ($(login "$DB_METRICS_ENABLED")) aligned with the mounted Secrets"
"""


class Roles(NamedTuple):
    superuser: str
    app: str
    backup_enabled: bool
    metrics_enabled: bool


def roles_env(roles: Roles) -> list[k8s.core.v1.EnvVarArgs]:
    """What the script reads, besides the image's own ``POSTGRES_*`` variables."""
    values = {
        "DB_APP_USER": roles.app,
        "DB_APP_PASSWORD_FILE": APP_PASSWORD_FILE,
        "DB_BACKUP_USER": BACKUP_ROLE,
        "DB_BACKUP_PASSWORD_FILE": BACKUP_PASSWORD_FILE,
        "DB_BACKUP_ENABLED": str(roles.backup_enabled).lower(),
        "DB_METRICS_USER": METRICS_ROLE,
        "DB_METRICS_PASSWORD_FILE": METRICS_PASSWORD_FILE,
        "DB_METRICS_ENABLED": str(roles.metrics_enabled).lower(),
    }
    return [k8s.core.v1.EnvVarArgs(name=name, value=value) for name, value in values.items()]


def check_distinct_roles(superuser: str, app: str) -> None:
    """The four roles must be four: one name for two would merge their rights."""
    names = {"superuser": superuser, "user": app, "backup role": BACKUP_ROLE, "monitoring role": METRICS_ROLE}
    seen: dict[str, str] = {}
    for what, name in names.items():
        if name in seen:
            raise ValueError(
                f"PostgresDatabase {what}: {name!r} is already the {seen[name]}'s name; the superuser, the app "
                f"user and the reserved '{BACKUP_ROLE}' and '{METRICS_ROLE}' roles need four different names"
            )
        seen[name] = what


def check_app_role(value: str, what: str) -> str:
    """The app's role name: a plain PostgreSQL name that is none of the roles the server keeps."""
    check_pg_identifier(value, what)
    reserved = (DEFAULT_SUPERUSER, BACKUP_ROLE, METRICS_ROLE)
    if value in reserved:
        raise ValueError(
            f"{what}: {value!r} is reserved ({', '.join(repr(r) for r in reserved)} are the superuser, backup "
            "and monitoring roles); give the app a role of its own, e.g. 'app'"
        )
    return value
