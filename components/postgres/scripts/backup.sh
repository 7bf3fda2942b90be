# webstack: one pg_dump of the app's database into the backup volume (components/postgres/backup.py).
# POSIX sh (busybox or dash): the server image's shell. Environment: PGHOST, PGPORT, PGDATABASE,
# PGUSER (the read-only backup role), PGPASSWORD_FILE, BACKUP_DIR, RETENTION_DAYS; BACKUP_CONNECT_TRIES and
# BACKUP_CONNECT_PAUSE (default 30 tries, 2 s apart) bound the wait for the server.
set -eu
# The password goes from the mounted file into pg_dump's environment only, never into the pod spec.
PGPASSWORD="$(cat "${PGPASSWORD_FILE}")"
export PGPASSWORD
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="${BACKUP_DIR}/${PGDATABASE}-${stamp}.dump"
partial="${target}.partial"
# A half-written or unreadable dump never looks like a backup: it stays .partial, and is removed
# (at exit, or by the next run when this one was killed).
trap 'rm -f "${partial}"' EXIT
find "${BACKUP_DIR}" -maxdepth 1 -type f -name '*.partial' -mmin +1440 -exec rm -f {} +
# Wait, bounded, until the server accepts this pod: a NetworkPolicy enforcer may admit a new pod's address a
# moment after the pod starts (kube-router does), and the server may be restarting.
tries="${BACKUP_CONNECT_TRIES:-30}"
waited=0
until pg_isready --quiet --timeout=5; do
  waited=$((waited + 1))
  if [ "${waited}" -ge "${tries}" ]; then
    echo "backup: ${PGHOST:-the server}:${PGPORT:-5432} did not accept connections after ${tries} tries" >&2
    exit 1
  fi
  sleep "${BACKUP_CONNECT_PAUSE:-2}"
done
pg_dump --format=custom --no-password --file="${partial}"
# Verify before keeping: the table of contents (pg_restore --list), then every data block, read
# and decompressed into nothing.
entries="$(pg_restore --list "${partial}" | grep -c -v '^;' || true)"
pg_restore --file=/dev/null "${partial}"
mv "${partial}" "${target}"
echo "backup: ${target} written and verified (${entries} archive entries, $(wc -c < "${target}") bytes)"
# Retention: delete dumps last modified more than RETENTION_DAYS x 24 h ago, never the newest one
# (names sort by time), so that a clock gone wrong cannot leave the volume without a backup.
newest="$(ls -1 "${BACKUP_DIR}/${PGDATABASE}"-*.dump | sort | tail -n 1)"
find "${BACKUP_DIR}" -maxdepth 1 -type f -name "${PGDATABASE}-*.dump" -mmin "+$((RETENTION_DAYS * 1440))" \
  ! -path "${newest}" -print | while read -r old; do
  rm -f "${old}"
  echo "backup: ${old} deleted (older than ${RETENTION_DAYS} days)"
done
