#!/usr/bin/env bash
# Drift detection: does what runs in the cluster still match the stack's last deployment?
#   scripts/drift.sh STACK
#
# Runs a refresh preview (`pulumi refresh --preview-only`: every resource is read back from the cluster, nothing is
# written, neither to the cluster nor to the state) and exits
#   0  no drift
#   1  drift: one line per drifted resource (type, name, what happened) and one per field that differs
#   2  error: no such stack, cluster unreachable, credentials refused... the refresh could not tell
# (`pulumi preview --expect-no-changes` exits non-zero for drift and for errors alike, and says nothing of fields.)
#
# Backend: PULUMI_BACKEND_URL when set (a team's backend; the tracked stack file then carries its secrets provider),
# else the local file backend of scripts/deploy.sh under WEBSTACK_STATE_DIR. Cluster: KUBECONFIG when set, else the
# bundled local cluster's kubeconfig.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

usage() { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; }
fail() { printf 'drift: error: %s\n' "$*" >&2; exit 2; }

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "" | -*) usage; exit 2 ;;
esac
(($# == 1)) || { usage; exit 2; }
stack="$1"

STATE_DIR=${WEBSTACK_STATE_DIR:-$HOME/.local/state/webstack}
export WEBSTACK_STATE_DIR=$STATE_DIR
if [[ -z "${KUBECONFIG:-}" ]]; then
  [[ -f "$STATE_DIR/kubeconfig" ]] || fail "KUBECONFIG is not set and the bundled cluster has no kubeconfig ($STATE_DIR/kubeconfig)"
  export KUBECONFIG="$STATE_DIR/kubeconfig"
  # As scripts/deploy.sh runs the program for the bundled cluster.
  export WEBSTACK_LOCAL_CLUSTER=1
fi

# shellcheck source=scripts/lib/local-stack.sh
. scripts/lib/local-stack.sh
local_stack_use_pulumi >/dev/null || fail "no pulumi CLI (see scripts/toolchain.sh pulumi-env)"

if [[ -n "${PULUMI_BACKEND_URL:-}" ]]; then
  config_file="Pulumi.${stack}.yaml"
else
  local_stack_use_backend
  local_stack_exists "$stack" || fail "no stack '${stack}' in ${PULUMI_BACKEND_URL} (deploy it first: scripts/deploy.sh ${stack})"
  config_file=$(local_stack_config "$stack") || fail "could not prepare the config of stack '${stack}'"
fi
[[ -f "$config_file" ]] || fail "no stack file ${config_file}"

# A refresh does not run the program: the Kubernetes provider reads the cluster through the kubeconfig recorded in
# the state at the last deployment (the path KUBECONFIG named then). Refuse to report on another cluster than the
# one KUBECONFIG names now.
recorded="$(pulumi stack export --stack "$stack" --show-secrets 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("deployment", {}).get("resources") or []:
    value = (r.get("inputs") or {}).get("kubeconfig")
    if r.get("type") == "pulumi:providers:kubernetes" and isinstance(value, str) and value and "\n" not in value:
        print(value)
        break
')" || fail "could not read the state of stack '${stack}'"
if [[ -n "$recorded" && "$(readlink -f "$recorded")" != "$(readlink -f "$KUBECONFIG")" ]]; then
  fail "stack '${stack}' reads its cluster through ${recorded} (recorded at its last deployment), not KUBECONFIG=${KUBECONFIG}: run with KUBECONFIG=${recorded}, or deploy once with the new kubeconfig"
fi

out="$(mktemp)"
err="$(mktemp)"
trap 'rm -f "$out" "$err"' EXIT
printf 'drift: refreshing %s against %s (nothing is changed)\n' "$stack" "${KUBECONFIG}" >&2
rc=0
${LOCAL_STACK_SIGINT[@]+"${LOCAL_STACK_SIGINT[@]}"} pulumi refresh --preview-only --json --non-interactive --stack "$stack" --config-file "$config_file" >"$out" 2>"$err" ||
  rc=$?
python3 scripts/lib/drift_report.py "$out" "$err" "$rc"
