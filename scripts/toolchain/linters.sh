#!/usr/bin/env bash
# Toolchain group "linters": manifest and workflow linters used by CI and pre-commit checks.
#   kube-score, actionlint             built from pinned Go modules
#   checkov, kubernetes-validate       pinned PyPI packages in a private venv (OUT_BIN_DIR/../venv)
# kube-linter is not here: the module proxy reachable from this project's machines refuses every version of
# golang.stackrox.io/kube-linter (403 "This module version is not available"), and no registry ships it.
#
# Usage: scripts/toolchain/linters.sh OUT_BIN_DIR      (normally run through scripts/toolchain.sh build)
set -euo pipefail

# --- pins -----------------------------------------------------------------------------------------------------------
KUBE_SCORE_VERSION=v1.20.0  # github.com/zegl/kube-score (latest tag the proxy lists)
ACTIONLINT_VERSION=v1.7.12  # github.com/rhysd/actionlint (latest tag the proxy lists)
CHECKOV_VERSION=3.3.30
# 1.37.0 bundles schemas up to Kubernetes 1.37, so it validates the 1.36 API the project targets.
KUBERNETES_VALIDATE_VERSION=1.37.0
# ---------------------------------------------------------------------------------------------------------------------

readonly GROUP=linters
STEP=setup

say() { printf '[toolchain:%s] %s\n' "$GROUP" "$*"; }
on_exit() {
  local rc=$?
  [[ -n "${WORK:-}" ]] && rm -rf "$WORK"
  ((rc == 0)) || say "FAILED at step: ${STEP}"
  exit "$rc"
}
step() { STEP="$1"; say "$1"; }

(($# == 1)) || { echo "usage: $0 OUT_BIN_DIR" >&2; exit 2; }
OUT="$(cd "$1" && pwd)"
VENV="$(dirname "$OUT")/venv"
trap on_exit EXIT

for tool in go python3; do
  command -v "$tool" >/dev/null || { STEP="check $tool"; say "$tool not found"; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/webstack-toolchain-linters.XXXXXX")"
export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0
# go install needs no wrapper module here: neither module has replace lines. Run it from the temp dir so no
# surrounding go.mod is picked up.
cd "$WORK"

step "kube-score ${KUBE_SCORE_VERSION}"
GOBIN="$OUT" go install \
  -ldflags "-s -w -X main.version=${KUBE_SCORE_VERSION#v} -X main.commit=${KUBE_SCORE_VERSION}" \
  "github.com/zegl/kube-score/cmd/kube-score@${KUBE_SCORE_VERSION}"

step "actionlint ${ACTIONLINT_VERSION}"
GOBIN="$OUT" go install \
  -ldflags "-s -w -X github.com/rhysd/actionlint.version=${ACTIONLINT_VERSION#v}" \
  "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"

step "python venv: checkov ${CHECKOV_VERSION}, kubernetes-validate ${KUBERNETES_VALIDATE_VERSION}"
python3 -m venv "$VENV"
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  "checkov==${CHECKOV_VERSION}" "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}"

step "wrapper scripts"
# The driver builds in a temp dir and then moves it, which breaks the venv's absolute shebangs. Python still finds a
# moved venv from the pyvenv.cfg beside bin/python, so the wrappers hand the venv's script to that python.
for tool in checkov kubernetes-validate; do
  cat >"${OUT}/${tool}" <<EOF
#!/bin/sh
# ${tool} from the toolchain's private venv (scripts/toolchain/linters.sh).
venv=\$(dirname "\$(readlink -f "\$0")")/../venv
exec "\$venv/bin/python" "\$venv/bin/${tool}" "\$@"
EOF
  chmod 0755 "${OUT}/${tool}"
done

step "verify"
# Each tool must start and report its version (kube-score has a subcommand for it, not a flag).
check_version() {
  local tool="$1" out
  shift
  out="$("${OUT}/${tool}" "$@" 2>&1)" || { say "${tool} $* failed: ${out}"; return 1; }
  say "  ${tool}: $(head -n1 <<<"$out")"
}
check_version kube-score version
check_version actionlint --version
check_version checkov --version
check_version kubernetes-validate --version
say "done: $(find "$OUT" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')"
