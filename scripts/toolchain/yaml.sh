#!/usr/bin/env bash
# Toolchain group "yaml": the Pulumi YAML language host (`runtime: yaml`), which only examples/yaml-webapp and its
# engine test need; a deploy does not build it.
#
# Usage: scripts/toolchain/yaml.sh OUT_BIN_DIR      (normally run through scripts/toolchain.sh build)
set -euo pipefail

# --- pins -----------------------------------------------------------------------------------------------------------
# The proxy refuses the module's version list and many versions (v1.33.0-v1.36.0, v1.38.2, v1.39.0, v1.40.0 answer
# 403); v1.38.1 is the newest it serves. Built with the pkg/v3 it requires (v3.255.0): a newer pkg/v3 is not what its
# code generator was written against.
YAML_MODULE=github.com/pulumi/pulumi-yaml
YAML_VERSION=v1.38.1
# ---------------------------------------------------------------------------------------------------------------------

readonly GROUP=yaml
STEP=setup

say() { printf '[toolchain:%s] %s\n' "$GROUP" "$*"; }
on_exit() {
  local rc=$?
  [[ -n "${WORK:-}" ]] && rm -rf "$WORK"
  ((rc == 0)) || say "FAILED at step: ${STEP}"
  exit "$rc"
}
step() { STEP="$1"; say "step: $1"; }
quietly() {
  "$@" >"${WORK}/cmd.log" 2>&1 || { cat "${WORK}/cmd.log" >&2; return 1; }
}

(($# == 1)) || { echo "usage: $0 OUT_BIN_DIR" >&2; exit 2; }
OUT="$(cd "$1" && pwd)"
trap on_exit EXIT
command -v go >/dev/null || { STEP="check go"; say "go not found"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/webstack-toolchain-yaml.XXXXXX")"
export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0

step "yaml language host ${YAML_VERSION}: resolve"
(cd "$WORK" && go mod init local/pulumi-language-yaml >/dev/null 2>&1)
# The module's own published replaces (our wrapper is the main module, so they would otherwise be ignored).
gomod="$(cd "$WORK" && go mod download -json "${YAML_MODULE}@${YAML_VERSION}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
(cd "$WORK" && go mod edit -json "$gomod") | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"].get("Version"):
        old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
        print(old + "=" + r["New"]["Path"] + "@" + r["New"]["Version"])
' | while read -r rep; do
  say "  replace ${rep}"
  (cd "$WORK" && go mod edit -replace "$rep")
done
(cd "$WORK" && quietly go get "${YAML_MODULE}/cmd/pulumi-language-yaml@${YAML_VERSION}")
step "yaml language host ${YAML_VERSION}: build"
(cd "$WORK" && quietly go build -mod=mod -ldflags "-s -w -X ${YAML_MODULE}/pkg/version.Version=${YAML_VERSION}" \
  -o "${OUT}/pulumi-language-yaml" "${YAML_MODULE}/cmd/pulumi-language-yaml")
[[ -x "${OUT}/pulumi-language-yaml" ]] || { say "missing pulumi-language-yaml"; exit 1; }
say "done: pulumi-language-yaml ${YAML_VERSION}"
