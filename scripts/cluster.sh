#!/usr/bin/env bash
# Local Kubernetes control plane for webstack: kwok ("Kubernetes WithOut Kubelet") in its binary
# runtime, with etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok-controller
# running as plain processes on loopback. Nodes are fake (kwok maintains their status and marks
# scheduled pods Running/Ready); no container runtime is needed and no container ever runs.
#
# Usage: scripts/cluster.sh up|down|status|kubeconfig
#
#   up          create (or restart) the cluster, add fake nodes and a default StorageClass, wait
#               until the API is ready; prints the kubeconfig path on stdout (progress on stderr)
#   down        delete the cluster and its state (idempotent)
#   status      print component and node status; exit 0 if the API answers, 3 if not
#   kubeconfig  print the kubeconfig path (exit 1 if the cluster does not exist)
#
# Environment:
#   WEBSTACK_CLUSTER_NAME   cluster name (default: webstack)
#   WEBSTACK_STATE_DIR      state directory (default: $HOME/.local/state/webstack); kwokctl's own
#                           data lives in $WEBSTACK_STATE_DIR/kwok, the kubeconfig is
#                           $WEBSTACK_STATE_DIR/kubeconfig
#   WEBSTACK_CLUSTER_BIN    directory with the binaries (default: `scripts/toolchain.sh bin-path cluster`)
#   WEBSTACK_CLUSTER_NODES  number of fake nodes (default: 3)
#   WEBSTACK_CLUSTER_TIMEOUT  seconds to wait for readiness (default: 180)
#
# Storage: kube-controller-manager runs with its built-in hostPath provisioner
# (--enable-hostpath-provisioner) and `up` creates the default StorageClass "standard"
# (provisioner kubernetes.io/host-path, Immediate binding, volume expansion allowed), so a PVC is
# provisioned and Bound within seconds. The provisioner only creates an empty directory
# /tmp/hostpath_pv/<uuid> on this machine (removed again when the PVC is deleted: reclaimPolicy
# Delete); nothing is ever mounted, since no kubelet runs.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER_NAME="${WEBSTACK_CLUSTER_NAME:-webstack}"
STATE_DIR="${WEBSTACK_STATE_DIR:-$HOME/.local/state/webstack}"
KWOK_DIR="$STATE_DIR/kwok"
KUBECONFIG_PATH="$STATE_DIR/kubeconfig"
NODE_COUNT="${WEBSTACK_CLUSTER_NODES:-3}"
TIMEOUT="${WEBSTACK_CLUSTER_TIMEOUT:-180}"
ZONES=(zone-a zone-b zone-c)

# kwokctl keeps clusters, pki, logs and its download cache under KWOK_WORKDIR.
export KWOK_WORKDIR="$KWOK_DIR"
CLUSTER_DIR="$KWOK_DIR/clusters/$CLUSTER_NAME"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

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
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl; do
    [[ -x "$BIN/$b" ]] || die "$BIN/$b is missing (build the toolchain group 'cluster')"
  done
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
  # every component listens on loopback only
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
EOF
}

bootstrap_manifests() {
  local i zone
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
status:
  addresses:
  - address: 192.0.2.$((i + 10))
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
  cat <<'EOF'
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
# The API server refuses to grow a PVC of a class without this. The hostPath plugin cannot expand a
# volume, so a grown claim keeps its old status.capacity ("waiting for an external controller"); on
# this fake cluster that is enough to deploy a larger dbStorageSize in place.
allowVolumeExpansion: true
EOF
}

nodes_ready() {
  local ready
  ready="$(kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)"
  [[ "$ready" -ge "$NODE_COUNT" ]]
}

cmd_up() {
  resolve_bin
  mkdir -p "$KWOK_DIR"

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

  wait_for "the API server" api_ready || die "API server not ready"
  log "applying fake nodes and the default StorageClass"
  bootstrap_manifests | kc apply -f - >&2
  wait_for "$NODE_COUNT ready nodes" nodes_ready || die "nodes not ready"
  # Pods are rejected until the service account controller has created the namespace's
  # default ServiceAccount.
  wait_for "the default ServiceAccount" kc get serviceaccount default -n default || die "no default ServiceAccount"
  log "cluster '$CLUSTER_NAME' is ready: Kubernetes $(kc version -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1)"
  echo "$KUBECONFIG_PATH"
}

cmd_down() {
  resolve_bin
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
  -h | --help | help) usage ;;
  *) usage ;;
esac
