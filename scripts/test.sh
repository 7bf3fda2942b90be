#!/usr/bin/env bash
# The test command: set up, lint, type-check and run every test tier that this machine can run.
#   scripts/test.sh            unit tests (mocks) + engine + e2e tiers
#   scripts/test.sh --unit     unit tests only (no toolchain needed)
set -euo pipefail
cd "$(dirname "$0")/.."

tier=all
case "${1:-}" in
  --unit) tier=unit ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--unit]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }

step "setup"
scripts/setup.sh

STATE_DIR=${WEBSTACK_STATE_DIR:-$HOME/.local/state/webstack}
ALONGSIDE_LOG_DIR="$STATE_DIR/logs/test"
# shellcheck source=scripts/lib/alongside.sh
. scripts/lib/alongside.sh

step "lint and type-check"
# Renovate's validator comes from npm (a download on a cold machine): it runs beside the lint and the unit tier.
alongside renovate-config scripts/renovate-check.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python scripts/gen_config.py --check

run_pytest() {
  # pytest exits 5 when it collected nothing: for us that is a failure, not a pass.
  local rc=0
  .venv/bin/python -m pytest "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests for: $*" >&2
    return 1
  fi
  return "$rc"
}

step "unit tests (Pulumi mocks)"
run_pytest -q -m "not engine and not e2e" tests

step "demo app (go vet, go test)"
(cd demo && go vet ./... && go test -count=1 ./...)
joined renovate-config
tail -n 3 "$ALONGSIDE_LOG_DIR/renovate-config.log"

if [ "$tier" = unit ]; then
  exit 0
fi
# Debian packages and the node's images (cached on their inputs): installs and downloads, run beside the toolchain.
packages_and_images() {
  if [ -d tests/engine ] && ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
    # The database's shell scripts (roles, backup, restore) are tested against a real server.
    echo "PostgreSQL server (Debian package) for the database scripts' tests"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql
  fi
  if [ -d tests/e2e ]; then
    echo "real node: Debian packages and images"
    scripts/cluster.sh prepare
  fi
}
step "Debian packages (PostgreSQL, the real node's) and the node's images"
alongside packages-and-images packages_and_images

if [ -d tests/engine ]; then
  step "toolchain"
  # An installed pulumi (new enough) is used as it is, with its own plugins; else the project's toolchain, with the
  # YAML language host the examples need (an installed pulumi bundles one).
  eval "$(scripts/toolchain.sh pulumi-env)"
  groups=(linters cluster node)
  if [ "$WEBSTACK_PULUMI" = built ]; then
    groups+=(yaml)
  fi
  scripts/toolchain.sh build "${groups[@]}"
  eval "$(scripts/toolchain.sh env "${groups[@]}")"
  joined packages-and-images
  step "engine tests (real pulumi preview/up in render mode, third-party linters)"
  run_pytest -q -m engine tests/engine
fi
if [ -d tests/e2e ]; then
  [ -n "${ALONGSIDE[packages-and-images]:-}" ] && joined packages-and-images
  step "e2e tests (local control plane and a real node: images, containers, traffic, data)"
  run_pytest -q -m e2e tests/e2e
fi
