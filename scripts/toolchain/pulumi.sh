#!/usr/bin/env bash
# Toolchain group "pulumi": the Pulumi CLI, the Python and YAML language hosts and the resource plugins the program
# uses, all built from pinned Go modules (no release downloads are reachable here).
#
# Usage: scripts/toolchain/pulumi.sh OUT_BIN_DIR      (normally run through scripts/toolchain.sh build)
#
# Why these pins and not the ones matching the PyPI SDKs exactly (pulumi 3.243.0, pulumi-kubernetes 4.32.0,
# pulumi-random 4.21.4): the module proxy reachable from this project's machines answers 403 "This module version is
# not available" for github.com/pulumi/pulumi/pkg/v3 v3.233.0-v3.244.0 (v3.243.0: only .info/.mod, the zip is
# refused; v3.232.0 is served in full), for every version of the Python language host module, for the pulumi-kubernetes provider's v4.32.0
# commit, and for every version of github.com/pulumi/pulumi-random/provider/v4. Each pin below is the closest version
# the proxy does serve; see the report in the commit that added this file.
set -euo pipefail

# --- pins -----------------------------------------------------------------------------------------------------------
# Pulumi CLI (engine): the served pkg/v3 tag closest to the Python SDK 3.243.0, which talks to it over gRPC.
PULUMI_PKG_VERSION=v3.232.0
# sdk/v3 for our language host, the random-password stand-in and pulumi-language-python-exec; same as the PyPI
# `pulumi` pin.
PULUMI_SDK_VERSION=v3.243.0
# Kubernetes provider: the commit behind PyPI pulumi-kubernetes 4.25.0a1768448096 (2026-01-15, just before 4.25.0).
# No provider/ tags exist, hence the pseudo-version.
K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PROVIDER_PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
K8S_PROVIDER_VERSION=4.25.0-alpha.1768448096+f47bc2d6
# YAML language host (`runtime: yaml`, used by examples/yaml-webapp): the proxy refuses the module's version list and
# many versions (v1.23.1, v1.24.0, v1.26.0, v1.27.0, v1.29.0, v1.31.0, v1.33.0 answer 403) but serves v1.32.0, the
# newest one found. It is built with the pkg/v3 it requires (v3.230.0): it does not compile against v3.232.0, whose
# pcl.Resource no longer has the Token field its code generator reads.
YAML_MODULE=github.com/pulumi/pulumi-yaml
YAML_VERSION=v1.32.0
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
  [[ -n "${WORK:-}" ]] && rm -rf "$WORK"
  ((rc == 0)) || say "FAILED at step: ${STEP}"
  exit "$rc"
}
step() { STEP="$1"; say "$1"; }
# quietly CMD...: keep go's chatty resolution output in a log, and show it only if the command fails.
quietly() {
  "$@" >"${WORK}/cmd.log" 2>&1 || { cat "${WORK}/cmd.log" >&2; return 1; }
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
  (cd "$dir" && quietly go get "github.com/pulumi/pulumi/sdk/v3@${PULUMI_SDK_VERSION}")
  # -mod=mod: record the imports' requirements as selected by sdk/v3 (a tidy would also chase test-only modules).
  (cd "$dir" && quietly go build -mod=mod -ldflags "-s -w $*" -o "${OUT}/${name}" .)
}

# --- 1. pulumi CLI ---------------------------------------------------------------------------------------------------
step "pulumi CLI ${PULUMI_PKG_VERSION}: resolve"
CLI="${WORK}/cli"
new_wrapper "$CLI" pulumi-cli
copy_published_replaces "$CLI" "github.com/pulumi/pulumi/pkg/v3@${PULUMI_PKG_VERSION}"
(cd "$CLI" && quietly go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@${PULUMI_PKG_VERSION}" \
  "github.com/pulumi/pulumi/sdk/v3@${PULUMI_PKG_VERSION}")
step "pulumi CLI ${PULUMI_PKG_VERSION}: build"
# Unstamped, `pulumi version` is empty and the Automation API's version check fails.
(cd "$CLI" && go build -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_PKG_VERSION}" \
  -o "${OUT}/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)

# --- 2. Python language host + exec script + policy analyzer ---------------------------------------------------------
step "python language host (sdk ${PULUMI_SDK_VERSION}): build"
build_sdk_program pulumi-language-python.go pulumi-language-python "-X main.version=${PULUMI_SDK_VERSION#v}"
HOST="${WORK}/pulumi-language-python"

step "python exec shim, dynamic-provider and policy plugins: copy"
SDK_DIR="$(cd "$HOST" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
# The host runs this script from its own directory (not via PATH); module-cache files are read-only, hence install.
install -m 0755 "${SDK_DIR}/python/cmd/pulumi-language-python-exec" "${OUT}/pulumi-language-python-exec"
# Plugin for Python dynamic providers (pulumi.dynamic.ResourceProvider); sdk/v3 ships it.
install -m 0755 "${SDK_DIR}/python/dist/pulumi-resource-pulumi-python" "${OUT}/pulumi-resource-pulumi-python"
install -m 0755 "${HERE}/pulumi-analyzer-policy-python" "${OUT}/pulumi-analyzer-policy-python"

# --- 3. random-password plugin (stand-in) ----------------------------------------------------------------------------
# pulumi-random: the proxy serves no version of its provider module, so a stand-in of ours for the one resource
# webstack uses (RandomPassword, and its twin RandomString; same type tokens, inputs and outputs), written in Go
# against the same sdk/v3 as the language host: its start is on the critical path of every preview and up, where a
# Python plugin's interpreter and gRPC imports cost about 0.2 s. See pulumi-resource-random.go.
step "random-password plugin stand-in (sdk ${PULUMI_SDK_VERSION}): build"
build_sdk_program pulumi-resource-random.go pulumi-resource-random

# --- 4. YAML language host -------------------------------------------------------------------------------------------
step "yaml language host ${YAML_VERSION}: resolve"
YAML="${WORK}/yaml"
new_wrapper "$YAML" pulumi-language-yaml
copy_published_replaces "$YAML" "${YAML_MODULE}@${YAML_VERSION}"
(cd "$YAML" && quietly go get "${YAML_MODULE}/cmd/pulumi-language-yaml@${YAML_VERSION}")
step "yaml language host ${YAML_VERSION}: build"
(cd "$YAML" && quietly go build -mod=mod -ldflags "-s -w -X ${YAML_MODULE}/pkg/version.Version=${YAML_VERSION}" \
  -o "${OUT}/pulumi-language-yaml" "${YAML_MODULE}/cmd/pulumi-language-yaml")

# --- 5. Kubernetes provider ------------------------------------------------------------------------------------------
step "kubernetes provider ${K8S_PROVIDER_VERSION}: resolve"
K8S="${WORK}/k8s"
new_wrapper "$K8S" pulumi-resource-kubernetes
export GONOSUMDB="${K8S_GONOSUMDB}"
copy_published_replaces "$K8S" "${K8S_PROVIDER_MODULE}@${K8S_PROVIDER_PSEUDO}"
K8S_DIR="$(cd "$K8S" && go mod download -json "${K8S_PROVIDER_MODULE}@${K8S_PROVIDER_PSEUDO}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
# main.go go:embeds two generated (gitignored upstream) files, so build a copy of the cmd dir with them added.
K8S_CMD="${K8S}/cmd/pulumi-resource-kubernetes"
mkdir -p "$K8S_CMD"
install -m 0644 "${K8S_DIR}/cmd/pulumi-resource-kubernetes/main.go" "${K8S_CMD}/main.go"
python3 - "${K8S_DIR}/cmd/pulumi-resource-kubernetes/schema.json" "${K8S_CMD}/schema-embed.json" \
  "${K8S_PROVIDER_VERSION}" <<'PY'
import json, sys
src, dst, version = sys.argv[1:]
with open(src) as f:
    schema = json.load(f)
schema["version"] = version  # what upstream's generate.go does
with open(dst, "w") as f:
    json.dump(schema, f, separators=(",", ":"))
PY
install -m 0644 "${K8S_DIR}/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "${K8S_CMD}/terraform-mapping-embed.json"
(cd "$K8S" && quietly go get "${K8S_PROVIDER_MODULE}@${K8S_PROVIDER_PSEUDO}")
step "kubernetes provider ${K8S_PROVIDER_VERSION}: build"
(cd "$K8S" && quietly go build -mod=mod \
  -ldflags "-s -w -X ${K8S_PROVIDER_MODULE}/pkg/version.Version=${K8S_PROVIDER_VERSION}" \
  -o "${OUT}/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)
unset GONOSUMDB

# --- 6. verify -------------------------------------------------------------------------------------------------------
step "verify"
got="$("${OUT}/pulumi" version)"
[[ "$got" == "${PULUMI_PKG_VERSION}" ]] || { say "pulumi version printed '${got}', want ${PULUMI_PKG_VERSION}"; exit 1; }
for f in pulumi pulumi-language-python pulumi-language-python-exec pulumi-analyzer-policy-python \
  pulumi-language-yaml pulumi-resource-pulumi-python pulumi-resource-kubernetes pulumi-resource-random; do
  [[ -x "${OUT}/${f}" ]] || { say "missing ${f}"; exit 1; }
done
say "done: $(find "$OUT" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')"
