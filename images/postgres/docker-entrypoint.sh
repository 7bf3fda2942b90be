#!/usr/bin/env bash
# Entrypoint of the bundled cluster's PostgreSQL image (Debian packages). It honours the official
# image's contract, so the stack's unchanged pod spec runs on it:
#   POSTGRES_PASSWORD / POSTGRES_PASSWORD_FILE  superuser password (required on first start, unless
#                                               POSTGRES_HOST_AUTH_METHOD=trust)
#   POSTGRES_USER (default postgres), POSTGRES_DB (default: the user), PGDATA, POSTGRES_INITDB_ARGS,
#   POSTGRES_INITDB_WALDIR, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256)
#   /docker-entrypoint-initdb.d/*.sh (sourced, or run when executable), *.sql, *.sql.gz, *.sql.xz:
#   run once, in name order, on an empty data directory, against POSTGRES_DB as POSTGRES_USER.
# Any UID works: one missing from /etc/passwd gets an nss_wrapper entry, since initdb needs a name.
set -Eeo pipefail

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by ${VAR}_FILE, never both.
file_env() {
  local var="$1" file_var="${1}_FILE" def="${2:-}" val
  if [ "${!var:-}" ] && [ "${!file_var:-}" ]; then
    printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
    exit 1
  fi
  val="$def"
  if [ "${!var:-}" ]; then
    val="${!var}"
  elif [ "${!file_var:-}" ]; then
    val="$(<"${!file_var}")"
  fi
  export "$var"="$val"
  unset "$file_var"
}

# As root, hand over to the postgres user, as the official image does.
if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "$1" != 'postgres' ]; then
  exec "$@"
fi
if [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

mkdir -p "$PGDATA"
chmod 00700 "$PGDATA" 2>/dev/null || true

if ! getent passwd "$(id -u)" >/dev/null; then
  wrapper=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so
  NSS_WRAPPER_PASSWD="$(mktemp)"
  NSS_WRAPPER_GROUP="$(mktemp)"
  printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$(id -u)" "$(id -g)" "$PGDATA" >"$NSS_WRAPPER_PASSWD"
  printf 'postgres:x:%s:\n' "$(id -g)" >"$NSS_WRAPPER_GROUP"
  export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
fi

# psql_init [DATABASE [PSQL ARGS...]]: runs stdin as the superuser, stopping at the first error.
psql_init() {
  local db="${1:-$POSTGRES_DB}"
  (($# > 0)) && shift
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname "$db" "$@"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
    cat >&2 <<'MSG'
error: the database is uninitialized and no superuser password is given.
       Set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (or POSTGRES_HOST_AUTH_METHOD=trust, never in production).
MSG
    exit 1
  fi
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    POSTGRES_INITDB_ARGS="--waldir $POSTGRES_INITDB_WALDIR $POSTGRES_INITDB_ARGS"
  fi
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of arguments, as in the official image
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  # A server on the socket only, for the init scripts.
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    printf 'CREATE DATABASE :"db";\n' | psql_init postgres -v db="$POSTGRES_DB" >/dev/null
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          printf '%s: running %s\n' "$0" "$f"
          "$f"
        else
          printf '%s: sourcing %s\n' "$0" "$f"
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql) printf '%s: running %s\n' "$0" "$f"; psql_init <"$f" ;;
      *.sql.gz) printf '%s: running %s\n' "$0" "$f"; gunzip -c "$f" | psql_init ;;
      *.sql.xz) printf '%s: running %s\n' "$0" "$f"; xz -dc "$f" | psql_init ;;
      *) printf '%s: ignoring %s\n' "$0" "$f" ;;
    esac
  done
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  printf '\nPostgreSQL init process complete; ready for start up.\n\n'
else
  printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
fi
unset POSTGRES_PASSWORD
exec "$@"
