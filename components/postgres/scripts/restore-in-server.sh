# webstack: restore a pg_dump custom-format archive, read from stdin, into an empty database.
# Runs in the server container (scripts/restore.sh sends it with kubectl exec): psql and pg_restore
# reach the server on its local socket, which the image trusts, as the bootstrap superuser; the
# restored objects belong to the app's role. POSIX sh. Arguments: TARGET_DATABASE CREATE(true|false).
set -eu
target="$1"
create="$2"
port="${PGPORT:-5432}"
q() {
  psql --no-psqlrc --no-password --quiet --tuples-only --no-align --set=ON_ERROR_STOP=1 \
    --host=/var/run/postgresql --port="${port}" --username="${POSTGRES_USER}" "$@"
}
exists="$(echo "SELECT count(*) FROM pg_database WHERE datname = :'db';" | q --dbname=postgres --set=db="${target}")"
if [ "${create}" = true ]; then
  if [ "${exists}" != 0 ]; then
    echo "restore: database ${target} already exists; name a new one" >&2
    exit 1
  fi
  printf '%s\n' 'CREATE DATABASE :"db" OWNER :"owner";' 'REVOKE ALL ON DATABASE :"db" FROM PUBLIC;' |
    q --dbname=postgres --set=db="${target}" --set=owner="${DB_APP_USER}"
  # A failed restore leaves no half-filled database behind.
  trap 'if [ "$?" != 0 ]; then echo "DROP DATABASE IF EXISTS :\"db\";" | q --dbname=postgres --set=db="${target}"; fi' EXIT
elif [ "${exists}" = 0 ]; then
  echo "restore: database ${target} does not exist" >&2
  exit 1
fi
relations="$(q --dbname="${target}" <<'SQL'
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%';
SQL
)"
if [ "${relations}" != 0 ]; then
  echo "restore: database ${target} is not empty (${relations} relations); restore into a new one (--into NAME)" >&2
  exit 1
fi
# One transaction: an unreadable archive or any failing statement leaves the database as it was.
pg_restore --no-password --host=/var/run/postgresql --port="${port}" --username="${POSTGRES_USER}" \
  --dbname="${target}" --role="${DB_APP_USER}" --no-owner --single-transaction --exit-on-error
tables="$(echo "SELECT count(*) FROM pg_tables WHERE schemaname <> 'information_schema' AND schemaname NOT LIKE 'pg\_%';" | q --dbname="${target}")"
echo "restore: ${tables} tables restored into ${target}, owned by ${DB_APP_USER}"
