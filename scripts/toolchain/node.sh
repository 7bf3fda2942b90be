#!/usr/bin/env bash
# Toolchain group "node": the container runtime and cluster DNS of the bundled cluster's real node, built from
# pinned Go modules. kubelet and kube-proxy come with the control plane (group "cluster", same Kubernetes pin);
# runc and the CNI plugins are Debian packages that scripts/cluster.sh installs.
#
# Usage: scripts/toolchain/node.sh OUT_BIN_DIR      (normally run through scripts/toolchain.sh build)
#
# Produces in OUT_BIN_DIR:
#   containerd containerd-shim-runc-v2 ctr     (github.com/containerd/containerd/v2)
#   coredns                                    (github.com/coredns/coredns: the plugins the node uses, node-coredns.go)
#   kube-router                                (github.com/cloudnativelabs/kube-router/v2: NetworkPolicy only)
set -euo pipefail

# --- pins -----------------------------------------------------------------------------------------------------------
# containerd v2: implements the CRI RuntimeConfig call that kubelet 1.36 asks for (Debian's 1.6 lacks it).
CONTAINERD_VERSION=v2.4.2
# CoreDNS: the cluster DNS; built with the plugins the node's Corefile uses (node-coredns.go), at this release.
COREDNS_VERSION=v1.15.0
# kube-router: the NetworkPolicy enforcer, run with its firewall controller only. Its published advisory
# (GHSA-v5mh-h5hx-7v92) is in the BGP routing controller (--run-router), which the node never starts.
# sigs.k8s.io/kube-network-policies, SIG Network's enforcer, needs the nftables queue statement, which the
# kernels of this project's machines lack (CONFIG_NFT_QUEUE not set).
KUBE_ROUTER_VERSION=v2.1.0
# ---------------------------------------------------------------------------------------------------------------------

readonly GROUP=node
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
STEP=setup
say() { printf '[toolchain:%s] %s\n' "$GROUP" "$*"; }
on_exit() {
  local rc=$?
  if [[ -n "${WORK:-}" && -d "$WORK" ]]; then
    chmod -R u+w "$WORK" 2>/dev/null || true
    rm -rf "$WORK"
  fi
  ((rc == 0)) || say "FAILED at step: ${STEP}"
  exit "$rc"
}
step() { STEP="$1"; say "step: $1"; }

(($# == 1)) || { echo "usage: $0 OUT_BIN_DIR" >&2; exit 2; }
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
trap on_exit EXIT
command -v go >/dev/null || { STEP="check go"; say "go not found on PATH"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/webstack-toolchain-node.XXXXXX")"
export CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" GOTOOLCHAIN=local GO111MODULE=on GOWORK=off
T0=$SECONDS
say "go: $(go version)"
say "pins: containerd=$CONTAINERD_VERSION coredns=$COREDNS_VERSION kube-router=$KUBE_ROUTER_VERSION"

# Both modules have no replace directives, so `go install module/cmd@version` builds them as released.
step "containerd: build containerd, containerd-shim-runc-v2, ctr"
t=$SECONDS
# no_btrfs: the btrfs snapshotter needs cgo and btrfs headers; the node uses overlayfs (or native).
(cd "$WORK" && GOBIN="$OUT" go install -tags no_btrfs \
  -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_VERSION}" \
  "github.com/containerd/containerd/v2/cmd/containerd@${CONTAINERD_VERSION}" \
  "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@${CONTAINERD_VERSION}" \
  "github.com/containerd/containerd/v2/cmd/ctr@${CONTAINERD_VERSION}")
say "containerd built in $((SECONDS - t))s"

step "coredns: build (plugins bind, errors, cache, kubernetes)"
t=$SECONDS
mkdir -p "$WORK/coredns"
cp "$HERE/node-coredns.go" "$WORK/coredns/main.go"
# The release has no replace directives: requiring it in a wrapper module gives its own dependency versions.
(cd "$WORK/coredns" && go mod init local/webstack-coredns >/dev/null 2>&1 &&
  go get "github.com/coredns/coredns@${COREDNS_VERSION}" &&
  go get "github.com/coredns/coredns/coremain@${COREDNS_VERSION}" \
    "github.com/coredns/coredns/plugin/bind@${COREDNS_VERSION}" "github.com/coredns/coredns/plugin/cache@${COREDNS_VERSION}" \
    "github.com/coredns/coredns/plugin/errors@${COREDNS_VERSION}" "github.com/coredns/coredns/plugin/kubernetes@${COREDNS_VERSION}" &&
  [[ "$(go list -m -f '{{.Version}}' github.com/coredns/coredns)" == "$COREDNS_VERSION" ]] &&
  go build -ldflags "-s -w" -o "$OUT/coredns" .)
say "coredns built in $((SECONDS - t))s"

step "kube-router: build"
t=$SECONDS
(cd "$WORK" && GOBIN="$OUT" go install \
  -ldflags "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_VERSION}" \
  "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@${KUBE_ROUTER_VERSION}")
say "kube-router built in $((SECONDS - t))s"

step "verify versions"
v="$("$OUT/containerd" --version)"
say "containerd --version: $v"
grep -q " ${CONTAINERD_VERSION} " <<<"$v " || { say "unexpected containerd version"; exit 1; }
v="$("$OUT/coredns" -version)"
v="${v%%$'\n'*}"
say "coredns -version: $v"
grep -q "CoreDNS-${COREDNS_VERSION#v}" <<<"$v" || { say "unexpected coredns version"; exit 1; }
v="$("$OUT/coredns" -plugins | tr -s ' \n' ' ')"
say "coredns plugins: $v"
for p in bind cache errors kubernetes; do
  grep -qw "$p" <<<"$v" || { say "coredns lacks the plugin $p that the node's Corefile uses"; exit 1; }
done

v="$("$OUT/kube-router" --version 2>&1)"
v="${v%%$'\n'*}"
say "kube-router --version: $v"
grep -q "version ${KUBE_ROUTER_VERSION}," <<<"$v" || { say "unexpected kube-router version"; exit 1; }

step "done"
say "built $(cd "$OUT" && echo *) in $((SECONDS - T0))s"
