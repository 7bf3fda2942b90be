#!/usr/bin/env bash
# The main job: set up, then `pulumi up` a stack (default: dev) with a local file backend.
# With no KUBECONFIG in the environment, it deploys onto the bundled local cluster (kwok).
#   scripts/deploy.sh [stack]       deploy (default stack: dev)
#   scripts/deploy.sh --down        delete the bundled local cluster (the stack's state stays; the
#                                   next deploy onto a new local cluster refreshes it first)
set -euo pipefail
cd "$(dirname "$0")/.."

STATE_DIR=${WEBSTACK_STATE_DIR:-$HOME/.local/state/webstack}
export WEBSTACK_STATE_DIR=$STATE_DIR

if [ "${1:-}" = "--down" ]; then
  exec scripts/cluster.sh down
fi
stack=${1:-dev}

step() { printf '\n==> %s\n' "$*"; }

step "setup"
scripts/setup.sh

up_flags=()
if [ -z "${KUBECONFIG:-}" ]; then
  step "toolchain (Pulumi engine and local control plane)"
  scripts/toolchain.sh build pulumi cluster
  step "local cluster"
  scripts/cluster.sh up
  export KUBECONFIG="$STATE_DIR/kubeconfig"
  # The bundled cluster has no internet: the add-on charts come from the project's local charts.
  export WEBSTACK_LOCAL_CLUSTER=1
  # The state outlives the cluster (`--down` deletes the cluster, not the stack): read what the
  # cluster really holds first, so that objects missing from a new cluster are created again.
  up_flags+=(--refresh)
else
  step "toolchain (Pulumi engine)"
  scripts/toolchain.sh build pulumi
fi
eval "$(scripts/toolchain.sh env pulumi)"

mkdir -p "$STATE_DIR/backend"
export PULUMI_BACKEND_URL="file://$STATE_DIR/backend"
# For the local file backend only: a real team sets its own passphrase or a KMS secrets provider.
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-webstack-dev-only}

step "pulumi up --stack $stack (backend $PULUMI_BACKEND_URL, cluster ${KUBECONFIG})"
pulumi stack select --create "$stack" --non-interactive
pulumi up --stack "$stack" --yes --non-interactive ${up_flags[@]+"${up_flags[@]}"}
pulumi stack output --stack "$stack"
