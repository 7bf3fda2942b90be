#!/usr/bin/env bash
# Builds and caches the project's pinned toolchain (Pulumi CLI + plugins, linters, local control plane...).
#
# Each group is a script scripts/toolchain/<group>.sh that builds its binaries into the directory given as its
# only argument. This driver only knows that contract: it finds the groups, keys a cache directory on everything
# that can change their output, and hands out PATH/env lines for the built tools.
#
# Usage: scripts/toolchain.sh {build|bin-path|env} [group ...]   (see --help)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly GROUP_DIR="${SCRIPT_DIR}/toolchain"
readonly CACHE_ROOT="${WEBSTACK_CACHE:-${HOME}/.cache/webstack}"
readonly TOOLCHAIN_CACHE="${CACHE_ROOT}/toolchain"

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  cat <<EOF
Usage: scripts/toolchain.sh COMMAND [group ...]

Commands:
  build [group ...]     Build the groups (default: every scripts/toolchain/*.sh) unless already cached.
  bin-path [group ...]  Print the colon-joined bin directories of built groups.
  env [group ...]       Print export lines (PATH, PULUMI_*) for: eval "\$(scripts/toolchain.sh env)"
  list                  Print the available groups.
  -h, --help            Show this help.

Groups found: $(list_groups | tr '\n' ' ')
Cache: \${WEBSTACK_CACHE:-\$HOME/.cache/webstack}/toolchain/<group>-<key>  (now: ${TOOLCHAIN_CACHE})
The key hashes the group script, its scripts/toolchain/<group>-* templates and 'go version', so editing a pin
rebuilds that group only. Remove the cache directory to force a rebuild.
EOF
}

list_groups() {
  local f
  for f in "${GROUP_DIR}"/*.sh; do
    [[ -e "$f" ]] || continue
    basename "$f" .sh
  done
}

# Sets SELECTED to the groups named on the command line, or to all of them. (Not run in a subshell, so an unknown
# group name stops the script here.)
SELECTED=()
select_groups() {
  local g
  if (($# == 0)); then
    mapfile -t SELECTED < <(list_groups)
    ((${#SELECTED[@]} > 0)) || die "no groups found in ${GROUP_DIR}"
    return
  fi
  for g in "$@"; do
    [[ -f "${GROUP_DIR}/${g}.sh" ]] || die "unknown group '${g}' (have: $(list_groups | tr '\n' ' '))"
  done
  SELECTED=("$@")
}

# First 12 hex of sha256 over the group script, its templates (sorted, with their names so a rename counts)
# and the Go toolchain version (a new Go means new binaries).
group_key() {
  local group="$1" f
  {
    cat "${GROUP_DIR}/${group}.sh"
    for f in "${GROUP_DIR}/${group}"-*; do
      [[ -f "$f" ]] || continue
      printf '\n--- %s\n' "$(basename "$f")"
      cat "$f"
    done
    printf '\n--- go\n'
    go version
  } | sha256sum | cut -c1-12
}

group_dir() { printf '%s/%s-%s\n' "${TOOLCHAIN_CACHE}" "$1" "$(group_key "$1")"; }

build_group() {
  local group="$1" dir tmp start rc
  dir="$(group_dir "$group")"
  if [[ -f "${dir}/bin/.complete" ]]; then
    log "${group}: cached (${dir})"
    return 0
  fi
  tmp="${dir}.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "${tmp}/bin"
  log "${group}: building into ${dir}"
  start=$SECONDS
  rc=0
  bash "${GROUP_DIR}/${group}.sh" "${tmp}/bin" || rc=$?
  if ((rc != 0)); then
    rm -rf "$tmp"
    log "${group}: FAILED (exit ${rc}) after $((SECONDS - start))s"
    return "$rc"
  fi
  date -u +%Y-%m-%dT%H:%M:%SZ >"${tmp}/bin/.complete"
  # A leftover without .complete (e.g. removed by hand) would make mv fail: it is garbage, drop it.
  [[ -e "$dir" && ! -f "${dir}/bin/.complete" ]] && rm -rf "$dir"
  # Another build of the same key may have finished meanwhile: keep the first, drop ours.
  if ! mv -T "$tmp" "$dir" 2>/dev/null; then
    [[ -f "${dir}/bin/.complete" ]] || die "${group}: could not move ${tmp} to ${dir}"
    rm -rf "$tmp"
  fi
  log "${group}: built in $((SECONDS - start))s"
}

cmd_build() {
  local group failed=()
  select_groups "$@"
  mkdir -p "${TOOLCHAIN_CACHE}"
  for group in "${SELECTED[@]}"; do
    build_group "$group" || failed+=("$group")
  done
  if ((${#failed[@]} > 0)); then
    die "build failed for group(s): ${failed[*]}"
  fi
}

bin_path() {
  local group dir paths=()
  select_groups "$@"
  for group in "${SELECTED[@]}"; do
    dir="$(group_dir "$group")"
    [[ -f "${dir}/bin/.complete" ]] ||
      die "group '${group}' is not built for its current pins (run: scripts/toolchain.sh build ${group})"
    paths+=("${dir}/bin")
  done
  local IFS=:
  printf '%s\n' "${paths[*]}"
}

cmd_env() {
  local path
  path="$(bin_path "$@")"
  # %q quoting keeps odd cache paths (spaces) safe under eval; $PATH is expanded by the caller's shell.
  # shellcheck disable=SC2016
  printf 'export PATH=%q:"${PATH}"\n' "$path"
  # Plugins come only from PATH: no update checks, no downloads, and no state under ~/.pulumi.
  printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
  printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
  printf 'export PULUMI_HOME=%q\n' "${CACHE_ROOT}/pulumi-home"
}

main() {
  local cmd="${1:-}"
  (($# > 0)) && shift
  case "$cmd" in
    build) cmd_build "$@" ;;
    bin-path) bin_path "$@" ;;
    env) cmd_env "$@" ;;
    list) list_groups ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) log "unknown command '${cmd}'"; usage >&2; exit 2 ;;
  esac
}

main "$@"
