#!/usr/bin/env bash
# The main job: set up, then `pulumi up` a stack (default: dev) with a local file backend.
# With no KUBECONFIG in the environment, it deploys onto the bundled local cluster: the kwok control
# plane and a real node (containerd, kubelet) on which the stack's containers really run, with the
# project's demo app (demo/) in place of the stack file's public app image.
#   scripts/deploy.sh [stack]       deploy (default stack: dev)
#   scripts/deploy.sh --down        delete the bundled local cluster (the stack's state stays; the
#                                   next deploy onto a new local cluster refreshes it first)
set -euo pipefail
cd "$(dirname "$0")/.."

STATE_DIR=${WEBSTACK_STATE_DIR:-$HOME/.local/state/webstack}
export WEBSTACK_STATE_DIR=$STATE_DIR

# The bundled cluster's real node runs containerd, kubelet and iptables, so it needs root. Without root (unless
# WEBSTACK_CLUSTER_NODE=real asks for the node and its refusal), or with WEBSTACK_CLUSTER_NODE=fake, the cluster has
# simulated nodes only: the API server and controllers are real, no container runs, and neither the node's runtime
# nor its images are built.
if [ -z "${KUBECONFIG:-}" ] && [ -z "${WEBSTACK_CLUSTER_NODE:-}" ] && [ "$(id -u)" != 0 ]; then
  export WEBSTACK_CLUSTER_NODE=fake
  [ "${1:-}" = "--down" ] ||
    echo "deploy: not root, so the bundled cluster gets simulated nodes (no container runs); run as root for the real node"
fi

if [ "${1:-}" = "--down" ]; then
  exec scripts/cluster.sh down
fi
stack=${1:-dev}

step() { printf '\n==> %s\n' "$*"; }

ALONGSIDE_LOG_DIR="$STATE_DIR/logs"
# shellcheck source=scripts/lib/alongside.sh
. scripts/lib/alongside.sh

local_cluster=
real_node=
if [ -z "${KUBECONFIG:-}" ]; then
  local_cluster=1
  [ "${WEBSTACK_CLUSTER_NODE:-real}" = real ] && real_node=1
fi

step "setup (python packages${real_node:+; Debian packages and images for the node})"
alongside setup scripts/setup.sh
[ -n "$real_node" ] && alongside node-prepare scripts/cluster.sh prepare

# shellcheck source=scripts/lib/local-stack.sh
. scripts/lib/local-stack.sh

step "pulumi CLI"
local_stack_use_pulumi
local_stack_toolchain_notice

up_flags=()
if [ -n "$local_cluster" ]; then
  step "toolchain (local control plane${real_node:+, node runtime})"
  scripts/toolchain.sh build cluster ${real_node:+node}
  step "local cluster (control plane${real_node:+ and a real node; images built on this machine})"
  [ -n "$real_node" ] && joined node-prepare
  scripts/cluster.sh up
  export KUBECONFIG="$STATE_DIR/kubeconfig"
  # The bundled cluster has no internet: the add-on charts come from the project's local charts, and
  # the app is the project's demo app from the node's registry.
  export WEBSTACK_LOCAL_CLUSTER=1
  WEBSTACK_LOCAL_APP_IMAGE="$(scripts/images.sh ref demo-1.0.0 "127.0.0.1:${WEBSTACK_REGISTRY_PORT:-5000}")"
  export WEBSTACK_LOCAL_APP_IMAGE
  # The state outlives the cluster (`--down` deletes the cluster, not the stack): read what the
  # cluster really holds first, so that objects missing from a new cluster are created again.
  up_flags+=(--refresh)
fi

joined setup
# Nothing here writes into the repository: the stack's salt and config copy live in the state dir.
local_stack_use_backend
config_file=$(local_stack_config "$stack")

step "pulumi up --stack $stack (backend $PULUMI_BACKEND_URL, cluster ${KUBECONFIG})"
local_stack_pulumi up --stack "$stack" --config-file "$config_file" --yes --non-interactive ${up_flags[@]+"${up_flags[@]}"}
pulumi stack output --stack "$stack"

if [ -n "$local_cluster" ] && [ -z "$real_node" ]; then
  echo
  echo "The stack is on the bundled cluster's simulated nodes: its objects are real, its containers do not run."
  echo "Remove the cluster with: scripts/deploy.sh --down"
elif [ -n "$local_cluster" ]; then
  namespace=$(pulumi stack output --stack "$stack" namespace)
  service=$(pulumi stack output --stack "$stack" service_name)
  kubectl_bin="$(scripts/toolchain.sh bin-path cluster)/kubectl"
  cat <<EOF

The app runs on the bundled cluster. Reach it through its Service:
  $kubectl_bin --kubeconfig $KUBECONFIG -n $namespace port-forward service/$service 8080:80 &
  curl -s http://127.0.0.1:8080/ready; curl -s -X POST -d hello http://127.0.0.1:8080/rows; curl -s http://127.0.0.1:8080/rows
Remove the cluster with: scripts/deploy.sh --down
EOF
fi
