#!/usr/bin/env bash
# Validates renovate.json with Renovate's own renovate-config-validator (--strict: a config that needs migrating
# fails too). The validator is installed from npm at a pinned version into the cache, never into the repository.
#   scripts/renovate-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest Renovate whose engines still include Node 20, the Node this project's machines run.
RENOVATE_VERSION=39.264.1

CACHE_ROOT="${WEBSTACK_CACHE:-${HOME}/.cache/webstack}"
PREFIX="${CACHE_ROOT}/npm/renovate-${RENOVATE_VERSION}"
VALIDATOR="${PREFIX}/node_modules/.bin/renovate-config-validator"

log() { printf '[renovate-check] %s\n' "$*" >&2; }

command -v npm >/dev/null || { log "npm not found: install Node.js 20 or newer"; exit 1; }
if [[ ! -x "$VALIDATOR" || ! -f "${PREFIX}/.complete" ]]; then
  log "installing renovate ${RENOVATE_VERSION} into ${PREFIX} (once; a few minutes)"
  rm -rf "${PREFIX}.tmp"
  mkdir -p "${PREFIX}.tmp"
  # --ignore-scripts: the validator needs no install-time build step (re2 falls back to the JS regex engine).
  npm install --prefix "${PREFIX}.tmp" --no-audit --no-fund --ignore-scripts --loglevel=error \
    "renovate@${RENOVATE_VERSION}" >&2
  touch "${PREFIX}.tmp/.complete"
  rm -rf "$PREFIX"
  mv "${PREFIX}.tmp" "$PREFIX"
fi
exec "$VALIDATOR" --strict renovate.json
