#!/usr/bin/env bash
# Toolchain group "pulumi": the Pulumi CLI, the Python language host and the resource plugins the program uses,
# all built from pinned Go modules (no release downloads are reachable here). The YAML language host is its own
# group (yaml.sh): only the examples need it, so a deploy does not wait for it.
#
# Usage: scripts/toolchain/pulumi.sh OUT_BIN_DIR      (normally run through scripts/toolchain.sh build)
#
# Where this differs from a normal install (README "Toolchain versions"): the module proxy reachable from this
# project's machines answers 403 "This module version is not available" for every version of the Python language
# host module, for every pulumi-kubernetes provider commit after v4.25.0 (the v4.26.0-v4.32.0 release commits and
# every master commit to July 2026 were tried) and for every version of github.com/pulumi/pulumi-random/provider/v4.
# So the host is our own (pulumi-language-python.go), the Kubernetes provider is v4.25.0, and random is a stand-in.
set -euo pipefail

# --- pins -----------------------------------------------------------------------------------------------------------
# Pulumi CLI (engine), and the sdk/v3 that our language host and random stand-in are built against (upstream ships
# the Python host with the CLI, at the CLI's version). Newest pkg/v3 the proxy serves; at least the PyPI `pulumi`
# pin in requirements.txt, which talks to it over gRPC.
PULUMI_VERSION=v3.276.0
# Kubernetes provider: the v4.25.0 release commit, the newest the proxy serves. No provider/ tags exist, hence the
# pseudo-version.
K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PROVIDER_PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
K8S_PROVIDER_VERSION=4.25.0
# The checksum database, as reached here, answers 404 for the provider pseudo-version and for some of its pulumi
# dependencies (pkg/v3 v3.215.0, cloud-ready-checks v1.3.0), so skip it for github.com/pulumi modules in that step
# only; the modules still come from the same proxy as everything else.
K8S_GONOSUMDB=github.com/pulumi
# ---------------------------------------------------------------------------------------------------------------------

readonly GROUP=pulumi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
STEP=setup

say() { printf '[toolchain:%s] %s\n' "$GROUP" "$*"; }
on_exit() {
  local rc=$?
  [[ -n "${K8S_RESOLVE_PID:-}" ]] && kill "$K8S_RESOLVE_PID" 2>/dev/null
  [[ -n "${WORK:-}" ]] && rm -rf "$WORK"
  ((rc == 0)) || say "FAILED at step: ${STEP}"
  exit "$rc"
}
step() { STEP="$1"; say "step: $1"; }
# quietly LOG CMD...: keep go's chatty resolution output in WORK/LOG.log, and show it only if the command fails.
quietly() {
  local log="${WORK}/$1.log"
  shift
  "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
}

(($# == 1)) || { echo "usage: $0 OUT_BIN_DIR" >&2; exit 2; }
OUT="$(cd "$1" && pwd)"
trap on_exit EXIT

for tool in go python3; do
  command -v "$tool" >/dev/null || { STEP="check $tool"; say "$tool not found"; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/webstack-toolchain-pulumi.XXXXXX")"
# -buildvcs=false: the wrappers live in a temp dir, outside any VCS checkout worth stamping.
export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0

# new_wrapper DIR NAME: a throwaway main module (go install refuses modules whose go.mod has replace lines).
new_wrapper() {
  mkdir -p "$1"
  (cd "$1" && go mod init "local/$2" >/dev/null 2>&1)
}

# copy_published_replaces WRAPPER MODULE@VERSION: apply the module's own replace lines that point at published
# module versions (our wrapper is the main module, so the dependency's replaces would otherwise be ignored).
# Local-path replaces (=> ../sdk) are skipped: the wrapper requires those sibling modules at published versions.
copy_published_replaces() {
  local dir="$1" modver="$2" gomod
  gomod="$(cd "$dir" && go mod download -json "$modver" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  (cd "$dir" && go mod edit -json "$gomod") | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    new = r["New"]
    if new.get("Version"):  # a published module, not a local path
        old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
        print(old + "=" + new["Path"] + "@" + new["Version"])
' | while read -r rep; do
    say "  replace ${rep}"
    (cd "$dir" && go mod edit -replace "$rep")
  done
}

# build_sdk_program SOURCE NAME [LDFLAGS...]: one Go file of ours, as the main module of a wrapper, against the pinned
# sdk/v3; the binary is OUT/NAME.
build_sdk_program() {
  local src="$1" name="$2" dir="${WORK}/$2"
  shift 2
  new_wrapper "$dir" "$name"
  cp "${HERE}/${src}" "${dir}/main.go"
  (cd "$dir" && quietly "$name" go get "github.com/pulumi/pulumi/sdk/v3@${PULUMI_VERSION}")
  # -mod=mod: record the imports' requirements as selected by sdk/v3 (a tidy would also chase test-only modules).
  (cd "$dir" && quietly "$name" go build -mod=mod -ldflags "-s -w $*" -o "${OUT}/${name}" .)
}

# The two big modules graphs are fetched at once (network-bound, so it overlaps with the CLI's compile on 2 cores):
# the provider's resolution runs in the background from here and is waited for before its build.
resolve_k8s() {
  export GONOSUMDB="${K8S_GONOSUMDB}"
  new_wrapper "$K8S" pulumi-resource-kubernetes
  copy_published_replaces "$K8S" "${K8S_PROVIDER_MODULE}@${K8S_PROVIDER_PSEUDO}"
  local src
  src="$(cd "$K8S" && go mod download -json "${K8S_PROVIDER_MODULE}@${K8S_PROVIDER_PSEUDO}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  # main.go go:embeds two generated (gitignored upstream) files, so build a copy of the cmd dir with them added.
  local cmd="${K8S}/cmd/pulumi-resource-kubernetes"
  mkdir -p "$cmd"
  install -m 0644 "${src}/cmd/pulumi-resource-kubernetes/main.go" "${cmd}/main.go"
  python3 - "${src}/cmd/pulumi-resource-kubernetes/schema.json" "${cmd}/schema-embed.json" \
    "${K8S_PROVIDER_VERSION}" <<'PY'
import json, sys
src, dst, version = sys.argv[1:]
with open(src) as f:
    schema = json.load(f)
schema["version"] = version  # what upstream's generate.go does
with open(dst, "w") as f:
    json.dump(schema, f, separators=(",", ":"))
PY
  install -m 0644 "${src}/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "${cmd}/terraform-mapping-embed.json"
  (cd "$K8S" && quietly k8s-get go get "${K8S_PROVIDER_MODULE}@${K8S_PROVIDER_PSEUDO}")
  # Fetch every module the build needs now, while the CLI compiles.
  (cd "$K8S" && quietly k8s-download go list -mod=mod -deps ./cmd/pulumi-resource-kubernetes)
}

K8S="${WORK}/k8s"
say "kubernetes provider ${K8S_PROVIDER_VERSION}: resolving in the background"
(resolve_k8s) >"${WORK}/k8s-resolve.out" 2>&1 &
K8S_RESOLVE_PID=$!

# The small programs of ours go first: a compile error there shows in a minute, not after the CLI's ten.
# --- 1. Python language host + exec script + policy analyzer ---------------------------------------------------------
step "python language host (sdk ${PULUMI_VERSION}): build"
build_sdk_program pulumi-language-python.go pulumi-language-python "-X main.version=${PULUMI_VERSION#v}"
HOST="${WORK}/pulumi-language-python"

step "python exec shim, dynamic-provider and policy plugins: copy"
SDK_DIR="$(cd "$HOST" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
# The host runs this script from its own directory (not via PATH); module-cache files are read-only, hence install.
install -m 0755 "${SDK_DIR}/python/cmd/pulumi-language-python-exec" "${OUT}/pulumi-language-python-exec"
# Plugin for Python dynamic providers (pulumi.dynamic.ResourceProvider); sdk/v3 ships it.
install -m 0755 "${SDK_DIR}/python/dist/pulumi-resource-pulumi-python" "${OUT}/pulumi-resource-pulumi-python"
install -m 0755 "${HERE}/pulumi-analyzer-policy-python" "${OUT}/pulumi-analyzer-policy-python"

# --- 2. random-password plugin (stand-in) ----------------------------------------------------------------------------
# pulumi-random: the proxy serves no version of its provider module, so a stand-in of ours for the one resource
# webstack uses (RandomPassword, and its twin RandomString; same type tokens, inputs and outputs), written in Go
# against the same sdk/v3 as the language host: its start is on the critical path of every preview and up, where a
# Python plugin's interpreter and gRPC imports cost about 0.2 s. See pulumi-resource-random.go.
step "random-password plugin stand-in (sdk ${PULUMI_VERSION}): build"
build_sdk_program pulumi-resource-random.go pulumi-resource-random

# --- 3. pulumi CLI ---------------------------------------------------------------------------------------------------
step "pulumi CLI ${PULUMI_VERSION}: resolve"
CLI="${WORK}/cli"
new_wrapper "$CLI" pulumi-cli
copy_published_replaces "$CLI" "github.com/pulumi/pulumi/pkg/v3@${PULUMI_VERSION}"
(cd "$CLI" && quietly cli go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@${PULUMI_VERSION}" \
  "github.com/pulumi/pulumi/sdk/v3@${PULUMI_VERSION}")
step "pulumi CLI ${PULUMI_VERSION}: build"
# Unstamped, `pulumi version` is empty and the Automation API's version check fails.
(cd "$CLI" && quietly cli go build -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_VERSION}" \
  -o "${OUT}/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)

# --- 4. Kubernetes provider ------------------------------------------------------------------------------------------
step "kubernetes provider ${K8S_PROVIDER_VERSION}: resolve"
rc=0
wait "$K8S_RESOLVE_PID" || rc=$?
K8S_RESOLVE_PID=
((rc == 0)) || { cat "${WORK}/k8s-resolve.out" >&2; exit "$rc"; }
step "kubernetes provider ${K8S_PROVIDER_VERSION}: build"
(cd "$K8S" && GONOSUMDB="${K8S_GONOSUMDB}" quietly k8s go build -mod=mod \
  -ldflags "-s -w -X ${K8S_PROVIDER_MODULE}/pkg/version.Version=${K8S_PROVIDER_VERSION}" \
  -o "${OUT}/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)

# --- 5. verify -------------------------------------------------------------------------------------------------------
step "verify"
got="$("${OUT}/pulumi" version)"
[[ "$got" == "${PULUMI_VERSION}" ]] || { say "pulumi version printed '${got}', want ${PULUMI_VERSION}"; exit 1; }
for f in pulumi pulumi-language-python pulumi-language-python-exec pulumi-analyzer-policy-python \
  pulumi-resource-pulumi-python pulumi-resource-kubernetes pulumi-resource-random; do
  [[ -x "${OUT}/${f}" ]] || { say "missing ${f}"; exit 1; }
done
say "done: $(find "$OUT" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')"
