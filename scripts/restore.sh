#!/usr/bin/env bash
# Restore a stack's database from a pg_dump archive (README: "Backups and restore").
#   scripts/restore.sh STACK --list                 the dumps on the stack's backup volume
#   scripts/restore.sh STACK --fetch DUMP           copy DUMP from the volume to ./DUMP (to ship it
#                                                   off the cluster)
#   scripts/restore.sh STACK DUMP [--into DATABASE] restore DUMP: a file name from --list, or a
#                                                   local file (e.g. one shipped off the cluster)
# Without --into, the target is the app's database, which must be empty (a new volume after a
# loss); --into restores into a new database beside it, owned by the app's role, to compare or
# switch. The archive goes to the server container over `kubectl exec` and is restored in one
# transaction by its superuser on the local socket: no password leaves the cluster. Needs kubectl
# pointed at the stack's cluster.
set -euo pipefail
origin="$PWD"  # local dumps and --fetch copies are relative to where the script was run
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/restore.sh STACK --list | STACK --fetch DUMP | STACK DUMP [--into DATABASE]" >&2
  exit 2
}
[ "$#" -ge 2 ] || usage
stack="$1"
dump="$2"
shift 2
into=""
fetch=""
if [ "$dump" = "--fetch" ]; then
  [ "$#" -eq 1 ] || usage
  fetch="$1"
  dump="$1"
  shift
fi
case "${1:-}" in
  "") ;;
  --into) [ "$#" -eq 2 ] && [ -z "$fetch" ] || usage; into="$2" ;;
  *) usage ;;
esac
if [ -n "$into" ] && ! [[ "$into" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
  echo "restore: --into '$into' is not a plain PostgreSQL name (lowercase letters, digits, '_')" >&2
  exit 2
fi
[ -f "Pulumi.${stack}.yaml" ] || { echo "restore: no stack file Pulumi.${stack}.yaml" >&2; exit 2; }

# The stack's fixed object names (webstack/stack.py: PostgresDatabase "postgres").
DEPLOYMENT=postgres
CONTAINER=postgres
CLAIM=postgres-backups
namespace="$(sed -n 's/^ *webstack:namespace: *//p' "Pulumi.${stack}.yaml" | tr -d "\"'")"
[ -n "$namespace" ] || { echo "restore: Pulumi.${stack}.yaml sets no webstack:namespace" >&2; exit 2; }
kube() { kubectl --namespace "$namespace" "$@"; }
template() { kube get deployment "$DEPLOYMENT" -o jsonpath="{.spec.template.spec$1}"; }

# A short-lived pod that mounts the backup volume read-only, as the server's user, under the
# namespace's restricted Pod Security.
fetcher=""
start_fetcher() {
  local image uid
  image="$(template "['containers'][?(@.name=='${CONTAINER}')].image")"
  uid="$(template ".securityContext.runAsUser")"
  # A random tail: the pod of a run a moment ago may still be terminating under the same second.
  fetcher="postgres-restore-$(date -u +%Y%m%d%H%M%S)-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  trap 'kube delete pod "$fetcher" --wait=false >/dev/null 2>&1 || true' EXIT
  kube run "$fetcher" --image="$image" --restart=Never --labels=app.kubernetes.io/part-of=webstack \
    --overrides="$(cat <<JSON
{"spec": {
  "automountServiceAccountToken": false, "enableServiceLinks": false,
  "securityContext": {"runAsNonRoot": true, "runAsUser": ${uid}, "runAsGroup": ${uid}, "fsGroup": ${uid},
                      "seccompProfile": {"type": "RuntimeDefault"}},
  "containers": [{"name": "fetch", "image": "${image}", "command": ["sleep", "900"],
    "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                        "capabilities": {"drop": ["ALL"]}},
    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}},
    "volumeMounts": [{"name": "backups", "mountPath": "/backups", "readOnly": true}]}],
  "volumes": [{"name": "backups", "persistentVolumeClaim": {"claimName": "${CLAIM}", "readOnly": true}}]}}
JSON
)" >/dev/null
  kube wait --for=condition=Ready "pod/$fetcher" --timeout=300s >/dev/null
}

if [ "$dump" = "--list" ]; then
  [ -z "$into" ] || usage
  start_fetcher
  kube exec "$fetcher" -- ls -l /backups
  exit 0
fi

file="$dump"
case "$file" in /*) ;; *) file="$origin/$file" ;; esac
if [ -n "$fetch" ] || [ ! -f "$file" ]; then
  # A dump on the backup volume: copy it out first (the volume is the backup job's).
  case "$dump" in */* | .* | "") echo "restore: '$dump' is neither a local file nor a dump name from --list" >&2; exit 2 ;; esac
  if [ -n "$fetch" ] && [ -e "$origin/$fetch" ]; then
    echo "restore: $origin/$fetch exists; not overwriting it" >&2
    exit 2
  fi
  start_fetcher
  if [ -n "$fetch" ]; then
    kube exec "$fetcher" -- cat "/backups/$dump" > "$origin/$fetch.partial"
    mv "$origin/$fetch.partial" "$origin/$fetch"
    echo "restore: copied $dump from $namespace/$CLAIM to $origin/$fetch ($(wc -c < "$origin/$fetch") bytes)"
    exit 0
  fi
  file="$(mktemp "${TMPDIR:-/tmp}/webstack-restore.XXXXXX")"
  trap 'rm -f "$file"; kube delete pod "$fetcher" --wait=false >/dev/null 2>&1 || true' EXIT
  kube exec "$fetcher" -- cat "/backups/$dump" > "$file"
  echo "restore: copied $dump from $namespace/$CLAIM ($(wc -c < "$file") bytes)"
fi

database="$(template "['containers'][?(@.name=='${CONTAINER}')].env[?(@.name=='POSTGRES_DB')].value")"
target="${into:-$database}"
create=false
[ -z "$into" ] || create=true
echo "restore: $file into database $target of $namespace/$DEPLOYMENT"
kube exec -i "deployment/$DEPLOYMENT" -c "$CONTAINER" -- \
  sh -c "$(cat components/postgres/scripts/restore-in-server.sh)" restore "$target" "$create" < "$file"
