#!/usr/bin/env bash
# The bundled local cluster: the kwok control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok-controller as plain processes) and one REAL node beside it: containerd + runc,
# the CNI bridge, kubelet, kube-proxy and CoreDNS (scripts/lib/node.sh), with a registry on loopback
# serving images built on this machine (scripts/images.sh). Containers really run: probes, limits,
# volumes, Services and DNS behave as on any cluster. Fake kwok nodes are added only on request
# (WEBSTACK_CLUSTER_FAKE_NODES), tainted so that real workloads never land on them.
#
# Usage: scripts/cluster.sh up|down|status|kubeconfig
#
#   up          create (or restart) the cluster and its node, wait until the node is Ready and DNS
#               answers; prints the kubeconfig path on stdout (progress on stderr)
#   down        delete the cluster, its node and everything they made (idempotent)
#   status      print component and node status; exit 0 if the API answers, 3 if not
#   kubeconfig  print the kubeconfig path (exit 1 if the cluster does not exist)
#   prepare     install the Debian packages the real node needs and build its images (up does both
#               too; this lets a test run or CI do the long part first, with its own progress)
#   restart C   restart the real node's containerd or kubelet (C), as after a crash or an upgrade;
#               their containers keep running, as on any node
#
# Environment:
#   WEBSTACK_CLUSTER_NAME        cluster name (default: webstack)
#   WEBSTACK_STATE_DIR           state directory (default: $HOME/.local/state/webstack); kwokctl's
#                                data in $WEBSTACK_STATE_DIR/kwok, the node's in .../node, the
#                                kubeconfig is $WEBSTACK_STATE_DIR/kubeconfig
#   WEBSTACK_CLUSTER_NODE        real (default; needs root) or fake (kwok nodes only: no container runs)
#   WEBSTACK_CLUSTER_FAKE_NODES  number of fake nodes (default: 0 with the real node, 3 without)
#   WEBSTACK_CLUSTER_BIN         directory with the control plane binaries (default: toolchain group cluster)
#   WEBSTACK_NODE_BIN            directory with containerd and coredns (default: toolchain group node)
#   WEBSTACK_CLUSTER_TIMEOUT     seconds to wait for readiness (default: 180)
#   WEBSTACK_NODE_VOLUMES        local volumes made for the real node's claims (default: 8; 1-100)
#   WEBSTACK_REGISTRY_PORT, WEBSTACK_KUBELET_PORT, WEBSTACK_NODE_SUBNET: see scripts/lib/node.sh
#
# Storage: with the real node, the default StorageClass "standard" binds claims to local volumes made
# ahead of time under the node's state directory (kubelet applies fsGroup to them, as the database's
# non-root UID needs). With fake nodes only, kube-controller-manager's hostPath provisioner makes
# empty directories /tmp/hostpath_pv/<uuid> (class "standard", Immediate binding); nothing is mounted.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER_NAME="${WEBSTACK_CLUSTER_NAME:-webstack}"
STATE_DIR="${WEBSTACK_STATE_DIR:-$HOME/.local/state/webstack}"
KWOK_DIR="$STATE_DIR/kwok"
KUBECONFIG_PATH="$STATE_DIR/kubeconfig"
NODE_MODE="${WEBSTACK_CLUSTER_NODE:-real}"
case "$NODE_MODE" in
  real) NODE_COUNT="${WEBSTACK_CLUSTER_FAKE_NODES:-0}" ;;
  fake) NODE_COUNT="${WEBSTACK_CLUSTER_FAKE_NODES:-3}" ;;
  *) printf '[cluster] error: WEBSTACK_CLUSTER_NODE: %q is not real or fake\n' "$NODE_MODE" >&2; exit 2 ;;
esac
[[ "$NODE_COUNT" =~ ^[0-9]+$ ]] || { printf '[cluster] error: WEBSTACK_CLUSTER_FAKE_NODES: %q is not a number\n' "$NODE_COUNT" >&2; exit 2; }
TIMEOUT="${WEBSTACK_CLUSTER_TIMEOUT:-180}"
ZONES=(zone-a zone-b zone-c)

# kwokctl keeps clusters, pki, logs and its download cache under KWOK_WORKDIR.
export KWOK_WORKDIR="$KWOK_DIR"
CLUSTER_DIR="$KWOK_DIR/clusters/$CLUSTER_NAME"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=scripts/lib/node.sh
source "$REPO_ROOT/scripts/lib/node.sh"

usage() {
  sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

resolve_bin() {
  if [[ -n "${WEBSTACK_CLUSTER_BIN:-}" ]]; then
    BIN="$WEBSTACK_CLUSTER_BIN"
  else
    [[ -x "$REPO_ROOT/scripts/toolchain.sh" ]] || die "scripts/toolchain.sh not found; set WEBSTACK_CLUSTER_BIN"
    BIN="$("$REPO_ROOT/scripts/toolchain.sh" bin-path cluster)" || die "scripts/toolchain.sh bin-path cluster failed"
  fi
  [[ -d "$BIN" ]] || die "binary directory $BIN does not exist"
  BIN="$(cd "$BIN" && pwd)"
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl kubelet kube-proxy; do
    [[ -x "$BIN/$b" ]] || die "$BIN/$b is missing (build the toolchain group 'cluster': scripts/toolchain.sh build cluster)"
  done
  CLUSTER_BIN="$BIN"
  if [[ "$NODE_MODE" == real ]]; then
    if [[ -n "${WEBSTACK_NODE_BIN:-}" ]]; then
      NODE_BIN="$WEBSTACK_NODE_BIN"
    else
      NODE_BIN="$("$REPO_ROOT/scripts/toolchain.sh" bin-path node)" || die "scripts/toolchain.sh bin-path node failed"
    fi
    for b in containerd containerd-shim-runc-v2 ctr coredns kube-router; do
      [[ -x "$NODE_BIN/$b" ]] || die "$NODE_BIN/$b is missing (build the toolchain group 'node': scripts/toolchain.sh build node)"
    done
    # containerd finds its shim on PATH.
    export PATH="$NODE_BIN:$PATH"
  fi
  # kwokctl looks up kubectl on PATH before it would try to download one.
  export PATH="$BIN:$PATH"
}

kwokctl() { "$BIN/kwokctl" "$@"; }
# kwokctl rejects an empty --kubeconfig on delete; point it at our own kubeconfig (it only removes
# the cluster's context from it, and the file is deleted afterwards anyway).
kwok_delete() { kwokctl delete cluster --name "$CLUSTER_NAME" --kubeconfig "$KUBECONFIG_PATH" >&2; }
kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

cluster_exists() { [[ -f "$CLUSTER_DIR/kwok.yaml" ]]; }

write_kubeconfig() {
  local tmp
  mkdir -p "$STATE_DIR"
  tmp="$(mktemp "$STATE_DIR/.kubeconfig.XXXXXX")"
  chmod 600 "$tmp"
  if ! kwokctl get kubeconfig --name "$CLUSTER_NAME" >"$tmp" 2>/dev/null || [[ ! -s "$tmp" ]]; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$KUBECONFIG_PATH"
}

api_ready() {
  [[ -s "$KUBECONFIG_PATH" ]] && kc get --raw=/readyz --request-timeout=5s >/dev/null 2>&1
}

wait_for() { # wait_for DESCRIPTION COMMAND...
  local what="$1"
  shift
  local deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${TIMEOUT}s waiting for $what"
      return 1
    fi
    sleep 1
  done
}

write_kwokctl_config() {
  local cfg="$1" kube_version etcd_version
  kube_version="$("$BIN/kube-apiserver" --version | awk '{print $2}')"
  etcd_version="$("$BIN/etcd" --version | awk '/^etcd Version:/ {print $3}')"
  cat >"$cfg" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  # every component listens on loopback only (kwokctl wires them to each other on 127.0.0.1); the
  # real node's kubelet, kube-proxy and CoreDNS run on this machine and reach the API server there
  bindAddress: 127.0.0.1
  kubeVersion: $kube_version
  etcdVersion: v${etcd_version}
  securePort: true
  kubeAuthorization: true
  # kwokctl passes --admission-control= (all plugins off) unless this is true; with it the
  # apiserver runs its default plugin set, which includes PodSecurity.
  kubeAdmission: true
  kubeApiserverBinary: $BIN/kube-apiserver
  kubeControllerManagerBinary: $BIN/kube-controller-manager
  kubeSchedulerBinary: $BIN/kube-scheduler
  kwokControllerBinary: $BIN/kwok
  etcdBinary: $BIN/etcd
  kubectlBinary: $BIN/kubectl
  cacheDir: $KWOK_DIR/cache
componentsPatches:
- name: kube-controller-manager
  extraArgs:
  # built-in dynamic provisioner for StorageClass provisioner kubernetes.io/host-path
  - key: enable-hostpath-provisioner
    value: "true"
# kwok-controller fakes the status of the nodes (and their pods) it manages: only the fake ones.
- name: kwok-controller
  extraArgs:
  - key: manage-all-nodes
    value: "false"
  - key: manage-nodes-with-annotation-selector
    value: kwok.x-k8s.io/node=fake
EOF
  if [[ "$NODE_MODE" == real ]]; then
    cat >>"$cfg" <<EOF
- name: kube-apiserver
  extraArgs:
  - key: service-cluster-ip-range
    value: $SERVICE_CIDR
  # logs, exec and port-forward reach kubelet at the node's address, with a client certificate of the cluster CA
  - key: kubelet-preferred-address-types
    value: InternalIP
  - key: kubelet-client-certificate
    value: $CLUSTER_DIR/pki/admin.crt
  - key: kubelet-client-key
    value: $CLUSTER_DIR/pki/admin.key
EOF
  fi
}

bootstrap_manifests() {
  local i zone taints=""
  # Beside the real node, only pods that ask for a fake node land on one (tests that need several nodes); without
  # it (WEBSTACK_CLUSTER_NODE=fake) the fake nodes are the cluster, and every pod must be able to land there.
  if [[ "$NODE_MODE" == real ]]; then
    taints=$'  taints:\n  - key: kwok.x-k8s.io/node\n    value: fake\n    effect: NoSchedule'
  fi
  for ((i = 0; i < NODE_COUNT; i++)); do
    zone="${ZONES[$((i % ${#ZONES[@]}))]}"
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    node.kubernetes.io/instance-type: kwok
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: $zone
    type: kwok
spec:
  podCIDR: 10.244.$i.0/24
  podCIDRs:
  - 10.244.$i.0/24
${taints}
status:
  addresses:
  # TEST-NET-2: nothing ever connects to a fake node's kubelet.
  - address: 198.51.100.$((i + 10))
    type: InternalIP
  - address: kwok-node-$i
    type: Hostname
  allocatable: &res
    cpu: "16"
    memory: 64Gi
    ephemeral-storage: 200Gi
    pods: "110"
  capacity: *res
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
EOF
  done
  [[ "$NODE_MODE" == real ]] && return 0
  echo "---"
  default_storage_class kubernetes.io/host-path Immediate Delete
}

nodes_ready() {
  local ready
  ready="$(kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)"
  [[ "$ready" -ge "$NODE_COUNT" ]]
}

cmd_up() {
  resolve_bin
  mkdir -p "$KWOK_DIR"
  [[ "$NODE_MODE" == real ]] && node_up

  if cluster_exists; then
    write_kubeconfig || true
    if api_ready; then
      log "cluster '$CLUSTER_NAME' is already running"
    else
      log "cluster '$CLUSTER_NAME' exists but is not running: starting it"
      if ! { kwokctl start cluster --name "$CLUSTER_NAME" >&2 && write_kubeconfig &&
        wait_for "the API server" api_ready; }; then
        log "could not start cluster '$CLUSTER_NAME' (binaries moved?): recreating it"
        kwok_delete || true
        rm -rf "$CLUSTER_DIR"
      fi
    fi
  fi

  if ! cluster_exists; then
    local cfg="$KWOK_DIR/webstack-$CLUSTER_NAME.yaml"
    write_kwokctl_config "$cfg"
    log "creating cluster '$CLUSTER_NAME' (binaries from $BIN, state in $KWOK_DIR)"
    kwokctl --config "$cfg" create cluster \
      --name "$CLUSTER_NAME" \
      --runtime binary \
      --kube-apiserver-binary "$BIN/kube-apiserver" \
      --kube-controller-manager-binary "$BIN/kube-controller-manager" \
      --kube-scheduler-binary "$BIN/kube-scheduler" \
      --kwok-controller-binary "$BIN/kwok" \
      --etcd-binary "$BIN/etcd" \
      --kube-admission=true \
      --kubeconfig "" \
      --timeout "${TIMEOUT}s" >&2
    write_kubeconfig || die "could not write the kubeconfig"
  fi

  if ! wait_for "the API server" api_ready; then
    tail -5 "$CLUSTER_DIR/logs/kube-apiserver.log" >&2 2>/dev/null || true
    die "API server not ready (logs: $CLUSTER_DIR/logs)"
  fi
  if [[ "$NODE_MODE" == real ]]; then
    node_join
  fi
  if [[ "$NODE_COUNT" -gt 0 || "$NODE_MODE" == fake ]]; then
    log "applying $NODE_COUNT fake nodes${NODE_MODE/real/}"
    bootstrap_manifests | kc apply -f - >&2
    wait_for "$NODE_COUNT ready fake nodes" nodes_ready || die "nodes not ready"
  fi
  # Pods are rejected until the service account controller has created the namespace's
  # default ServiceAccount.
  wait_for "the default ServiceAccount" kc get serviceaccount default -n default || die "no default ServiceAccount"
  log "cluster '$CLUSTER_NAME' is ready: Kubernetes $(kc version -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1)"
  echo "$KUBECONFIG_PATH"
}

cmd_down() {
  resolve_bin
  if [[ "$NODE_MODE" == real ]]; then
    write_kubeconfig 2>/dev/null || true
    node_down
  fi
  if cluster_exists; then
    # Remove the directories of dynamically provisioned hostPath PVs first (kube-controller-manager
    # created them on this machine and only deletes them together with their PVC).
    if write_kubeconfig && api_ready; then
      kc get pv -o jsonpath='{range .items[*]}{.spec.hostPath.path}{"\n"}{end}' 2>/dev/null |
        grep '^/tmp/hostpath_pv/' | while read -r p; do rm -rf -- "$p"; done || true
    fi
    log "deleting cluster '$CLUSTER_NAME'"
    kwok_delete
  else
    log "cluster '$CLUSTER_NAME' does not exist"
  fi
  rm -rf "$CLUSTER_DIR"
  rm -f "$KUBECONFIG_PATH" "$KWOK_DIR/webstack-$CLUSTER_NAME.yaml"
}

cmd_status() {
  resolve_bin
  if ! cluster_exists; then
    echo "cluster '$CLUSTER_NAME': absent"
    return 3
  fi
  [[ -s "$KUBECONFIG_PATH" ]] || write_kubeconfig || true
  if api_ready; then
    echo "cluster '$CLUSTER_NAME': running ($(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}'))"
    echo "kubeconfig: $KUBECONFIG_PATH"
    kwokctl get components --name "$CLUSTER_NAME" 2>/dev/null || true
    kc get nodes -L topology.kubernetes.io/zone
    return 0
  fi
  echo "cluster '$CLUSTER_NAME': stopped (run: scripts/cluster.sh up)"
  return 3
}

cmd_kubeconfig() {
  if [[ ! -s "$KUBECONFIG_PATH" ]]; then
    cluster_exists || die "cluster '$CLUSTER_NAME' does not exist (run: scripts/cluster.sh up)"
    resolve_bin
    write_kubeconfig || die "could not write the kubeconfig"
  fi
  echo "$KUBECONFIG_PATH"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kubeconfig) cmd_kubeconfig ;;
  prepare)
    [[ "$NODE_MODE" == real ]] || die "prepare is for the real node"
    node_paths
    mkdir -p "$STATE_DIR"
    node_ensure_debs
    "$REPO_ROOT/scripts/images.sh" build || die "an image build failed (see above); fix it and run again"
    ;;
  restart)
    [[ "$NODE_MODE" == real ]] || die "restart needs the real node"
    resolve_bin
    node_restart "${2:-}"
    ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
