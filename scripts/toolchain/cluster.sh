#!/usr/bin/env bash
# Toolchain group "cluster": a local Kubernetes control plane built from pinned Go modules.
#
# Usage: scripts/toolchain/cluster.sh OUT_BIN_DIR
#
# Produces in OUT_BIN_DIR:
#   kube-apiserver kube-controller-manager kube-scheduler kubectl   (k8s.io/kubernetes)
#   kubelet kube-proxy                                              (k8s.io/kubernetes: the real node)
#   etcd                                                            (go.etcd.io/etcd/server/v3)
#   kwok kwokctl                                                    (sigs.k8s.io/kwok)
#
# Everything is built from the Go module proxy in throwaway wrapper modules inside a mktemp dir;
# nothing is written into the repository. Called by scripts/toolchain.sh, which caches OUT_BIN_DIR
# keyed on a hash of this file: changing a pin below rebuilds the group.

# ---- pins -----------------------------------------------------------------------------------------
# Kubernetes: the newest v1.36 patch the module proxy serves *and* the checksum database verifies
# (v1.36.5+ were not yet resolvable when this was pinned). Staging modules k8s.io/* use v0.<minor>.<patch>.
K8S_VERSION="v1.36.4"
# etcd: kwok v0.8.0 pairs Kubernetes 1.34-1.36 with etcd 3.6.10
# (pkg/kwokctl/components/etcd_version.go); its main package is the root of go.etcd.io/etcd/server/v3.
ETCD_VERSION="v3.6.10"
# kwok / kwokctl
KWOK_VERSION="v0.8.0"
# ---------------------------------------------------------------------------------------------------

set -euo pipefail

LOG_PREFIX="[toolchain:cluster]"
STEP="init"
log() { printf '%s %s\n' "$LOG_PREFIX" "$*"; }
step() { STEP="$1"; log "step: $1"; }
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    printf '%s FAILED at step: %s\n' "$LOG_PREFIX" "$STEP" >&2
  fi
  if [[ -n "${WORK:-}" && -d "$WORK" ]]; then
    chmod -R u+w "$WORK" 2>/dev/null || true
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap on_exit EXIT

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_BIN_DIR" >&2
  exit 2
fi

step "prepare"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
command -v go >/dev/null || { log "go not found on PATH"; exit 1; }
command -v python3 >/dev/null || { log "python3 not found on PATH"; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/webstack-cluster-build.XXXXXX")"

export CGO_ENABLED=0
export GOFLAGS="-trimpath"
export GOTOOLCHAIN=local
export GO111MODULE=on
# GOWORK must not pick up some go.work around the temp dir.
export GOWORK=off

BUILD_DATE="$(date -u ${SOURCE_DATE_EPOCH:+--date=@${SOURCE_DATE_EPOCH}} +%Y-%m-%dT%H:%M:%SZ)"
T0=$SECONDS
log "go: $(go version)"
log "pins: kubernetes=$K8S_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION"
log "out: $OUT  work: $WORK"

# Prints one field of `go mod download -json MODULE@VERSION` (fails on an Error field).
# Fields: GoMod (path of the module's go.mod in the cache), Dir, Origin.Hash (may be empty).
mod_field() {
  local mod="$1" field="$2"
  go mod download -json "$mod" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if d.get("Error"):
    sys.exit("go mod download %s: %s" % (sys.argv[2], d["Error"]))
v = d
for part in sys.argv[1].split("."):
    v = v.get(part) if isinstance(v, dict) else None
print(v or "")
' "$field" "$mod"
}

# Prints the replace directives of a go.mod file as lines "OLDPATH OLDVERSION NEWPATH NEWVERSION"
# ("-" for an empty version).
mod_replaces() {
  go mod edit -json "$1" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    o, n = r["Old"], r["New"]
    print(o["Path"], o.get("Version") or "-", n["Path"], n.get("Version") or "-")
'
}

# ================================== Kubernetes control plane ======================================
step "kubernetes: resolve $K8S_VERSION"
if [[ ! "$K8S_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  log "K8S_VERSION must look like v1.MINOR.PATCH"; exit 1
fi
K8S_MINOR="${BASH_REMATCH[1]}"
STAGING_VERSION="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
K8S_GOMOD="$(mod_field "k8s.io/kubernetes@$K8S_VERSION" GoMod)"
K8S_COMMIT="$(mod_field "k8s.io/kubernetes@$K8S_VERSION" Origin.Hash)"
log "kubernetes go.mod: $K8S_GOMOD (commit: ${K8S_COMMIT:-unknown}); staging modules at $STAGING_VERSION"

step "kubernetes: wrapper module"
KW="$WORK/kubernetes"
mkdir -p "$KW"
cd "$KW"
go mod init local/webstack-cluster-kubernetes >/dev/null 2>&1
K8S_GO="$(go mod edit -json "$K8S_GOMOD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Go"])')"
go mod edit -go="$K8S_GO"
# Keep the GODEBUG defaults Kubernetes builds with (godebug lines only apply in the main module).
go mod edit -json "$K8S_GOMOD" | python3 -c '
import json, sys
for g in json.load(sys.stdin).get("Godebug") or []:
    print("%s=%s" % (g["Key"], g["Value"]))
' | while read -r kv; do go mod edit -godebug="$kv"; done
go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
n_staging=0
n_other=0
while read -r old oldv new newv; do
  old_spec="$old"
  [[ "$oldv" != "-" ]] && old_spec="$old@$oldv"
  case "$new" in
    ./staging/src/*)
      # ./staging/src/k8s.io/api -> the published k8s.io/api at the staging version
      pub="${new#./staging/src/}"
      go mod edit -replace="$old_spec=$pub@$STAGING_VERSION"
      n_staging=$((n_staging + 1))
      ;;
    ./* | ../* | /*)
      log "unexpected local replace in k8s.io/kubernetes go.mod: $old => $new"
      exit 1
      ;;
    *)
      go mod edit -replace="$old_spec=$new@$newv"
      n_other=$((n_other + 1))
      ;;
  esac
done < <(mod_replaces "$K8S_GOMOD")
log "replaces: $n_staging staging -> $STAGING_VERSION, $n_other other published"
if [[ $n_staging -eq 0 ]]; then
  log "no staging replaces found: the go.mod format changed?"; exit 1
fi

K8S_PKGS=(
  k8s.io/kubernetes/cmd/kube-apiserver
  k8s.io/kubernetes/cmd/kube-controller-manager
  k8s.io/kubernetes/cmd/kube-scheduler
  k8s.io/kubernetes/cmd/kubectl
  k8s.io/kubernetes/cmd/kubelet
  k8s.io/kubernetes/cmd/kube-proxy
)
step "kubernetes: download modules"
t=$SECONDS
go get "${K8S_PKGS[@]/%/@$K8S_VERSION}"
# go get may add requirements; make sure it did not move Kubernetes itself.
got="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
[[ "$got" == "$K8S_VERSION" ]] || { log "k8s.io/kubernetes resolved to $got"; exit 1; }
log "modules ready in $((SECONDS - t))s"

step "kubernetes: build ${K8S_PKGS[*]##*/}"
t=$SECONDS
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  K8S_LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION"
  K8S_LDFLAGS+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR"
  K8S_LDFLAGS+=" -X $pkg.gitTreeState=clean"
  K8S_LDFLAGS+=" -X $pkg.buildDate=$BUILD_DATE"
  [[ -n "$K8S_COMMIT" ]] && K8S_LDFLAGS+=" -X $pkg.gitCommit=$K8S_COMMIT"
done
go build -ldflags "$K8S_LDFLAGS" -o "$OUT/" "${K8S_PKGS[@]}"
log "kubernetes built in $((SECONDS - t))s"

step "kubernetes: verify versions"
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
  v="$("$OUT/$b" --version)"
  log "$b --version: $v"
  [[ "$v" == "Kubernetes $K8S_VERSION" ]] || { log "unexpected version from $b"; exit 1; }
done
v="$("$OUT/kubectl" version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')"
log "kubectl client gitVersion: $v"
[[ "$v" == "$K8S_VERSION" ]] || { log "unexpected kubectl version"; exit 1; }

# ============================================ etcd ================================================
step "etcd: wrapper module"
EW="$WORK/etcd"
mkdir -p "$EW"
cd "$EW"
go mod init local/webstack-cluster-etcd >/dev/null 2>&1
ETCD_SERVER_MOD="go.etcd.io/etcd/server/v3"
ETCD_GOMOD="$(mod_field "$ETCD_SERVER_MOD@$ETCD_VERSION" GoMod)"
ETCD_COMMIT="$(mod_field "$ETCD_SERVER_MOD@$ETCD_VERSION" Origin.Hash)"
ETCD_GO="$(go mod edit -json "$ETCD_GOMOD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Go"])')"
go mod edit -go="$ETCD_GO"
ETCD_REQS=("$ETCD_SERVER_MOD@$ETCD_VERSION")
while read -r old oldv new newv; do
  case "$new" in
    ./FORBIDDEN_DEPENDENCY) ;;  # guard rails against bad imports, not needed outside the repo
    ./* | ../*)
      # a sibling module of the etcd repo: require it at the same release
      ETCD_REQS+=("$old@$ETCD_VERSION")
      ;;
    /*) log "unexpected absolute replace in etcd server go.mod: $old => $new"; exit 1 ;;
    *)
      old_spec="$old"
      [[ "$oldv" != "-" ]] && old_spec="$old@$oldv"
      go mod edit -replace="$old_spec=$new@$newv"
      ;;
  esac
done < <(mod_replaces "$ETCD_GOMOD")
log "etcd modules: ${ETCD_REQS[*]}"

step "etcd: download modules"
go get "${ETCD_REQS[@]}"

step "etcd: build"
t=$SECONDS
ETCD_LDFLAGS="-s -w"
[[ -n "$ETCD_COMMIT" ]] && ETCD_LDFLAGS+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_COMMIT:0:10}"
go build -ldflags "$ETCD_LDFLAGS" -o "$OUT/etcd" "$ETCD_SERVER_MOD"
log "etcd built in $((SECONDS - t))s"

step "etcd: verify version"
v="$("$OUT/etcd" --version)"
printf '%s\n' "$v" | sed "s/^/$LOG_PREFIX etcd --version: /"
grep -q "^etcd Version: ${ETCD_VERSION#v}\$" <<<"$v" || { log "unexpected etcd version"; exit 1; }

# ============================================ kwok ================================================
# sigs.k8s.io/kwok has no replace directives, so `go install pkg@version` works without a wrapper.
# consts.Version already defaults to the release; KubeVersion is what kwokctl assumes when it is
# not given binaries (kept in line with the Kubernetes pin above).
step "kwok: build"
t=$SECONDS
cd "$WORK"
KWOK_LDFLAGS="-s -w"
KWOK_LDFLAGS+=" -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
KWOK_LDFLAGS+=" -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION#v}"
KWOK_LDFLAGS+=" -X sigs.k8s.io/kwok/pkg/consts.PreRelease=GA"
GOBIN="$OUT" go install -ldflags "$KWOK_LDFLAGS" \
  "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
log "kwok built in $((SECONDS - t))s"

step "kwok: verify version"
for b in kwok kwokctl; do
  v="$("$OUT/$b" --version)"
  log "$b --version: $v"
  grep -q "${KWOK_VERSION#v}" <<<"$v" || { log "unexpected $b version"; exit 1; }
done

step "done"
log "built $(cd "$OUT" && echo *) in $((SECONDS - T0))s"
