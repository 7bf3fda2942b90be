#!/usr/bin/env bash
# Builds and caches the project's pinned toolchain (Pulumi CLI + plugins, linters, local control plane...).
#
# Each group is a script scripts/toolchain/<group>.sh that builds its binaries into the directory given as its
# only argument. This driver only knows that contract: it finds the groups, keys a cache directory on everything
# that can change their output, and hands out PATH/env lines for the built tools.
#
# Usage: scripts/toolchain.sh {build|bin-path|env|pulumi-env|list} [group ...]   (see --help)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly GROUP_DIR="${SCRIPT_DIR}/toolchain"
readonly CACHE_ROOT="${WEBSTACK_CACHE:-${HOME}/.cache/webstack}"
readonly TOOLCHAIN_CACHE="${CACHE_ROOT}/toolchain"
readonly MIN_FREE_MIB="${WEBSTACK_MIN_FREE_MIB:-2048}"  # below it, a failed build names the disk

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  cat <<EOF
Usage: scripts/toolchain.sh COMMAND [group ...]

Commands:
  build [group ...]     Build the groups (default: every scripts/toolchain/*.sh) unless already cached.
  bin-path [group ...]  Print the colon-joined bin directories of built groups.
  env [group ...]       Print export lines (PATH, PULUMI_*) for: eval "\$(scripts/toolchain.sh env)"
  pulumi-env            Print export lines for a pulumi CLI: an installed one on PATH when it is at least the SDK
                        pin in requirements.txt, else the 'pulumi' group (built if needed). WEBSTACK_TOOLCHAIN=build
                        always uses the group; WEBSTACK_TOOLCHAIN=installed refuses to build.
  list                  Print the available groups.
  -h, --help            Show this help.

Groups found: $(list_groups | tr '\n' ' ')
Cache: \${WEBSTACK_CACHE:-\$HOME/.cache/webstack}/toolchain/<group>-<key>  (now: ${TOOLCHAIN_CACHE})
A failed build names each of its disks (cache, Go's caches, TMPDIR) with less than WEBSTACK_MIN_FREE_MIB
(default 2048) free: a full disk can stop a build before it writes any message.
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

# Measured cold-build times, one file per group ("SECONDS KEY DATE"), so that the next cold build of that group can
# say how long it should take.
readonly DURATIONS="${TOOLCHAIN_CACHE}/durations"

fmt_duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

last_build_seconds() {
  local f="${DURATIONS}/$1"
  [[ -f "$f" ]] && awk 'NR == 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$f"
  return 0
}

# Cold builds measured on the project's quiet 2-core machine (empty Go caches): the estimate on a machine that has
# not built the group yet. Not part of any group's cache key.
reference_seconds() {
  case "$1" in
    pulumi) echo 583 ;;
    cluster) echo 378 ;;
    node) echo 226 ;;
    yaml) echo 52 ;;
    linters) echo 45 ;;
  esac
}

# estimate GROUP: prints "SECONDS LABEL", from this machine's last cold build, else the reference; nothing if neither.
estimate() {
  local s
  s="$(last_build_seconds "$1")"
  if [[ -n "$s" ]]; then
    printf '%s last cold build\n' "$s"
    return 0
  fi
  s="$(reference_seconds "$1")"
  [[ -z "$s" ]] || printf '%s cold build on 2 quiet cores\n' "$s"
}

# progress GROUP LOG START ESTIMATE LABEL: every WEBSTACK_PROGRESS_INTERVAL seconds (default 30), one line with the step
# the group's script last announced ("step: ..."), the time elapsed and what is left of the estimate (see estimate).
# Runs in the background until killed; its sleep holds no pipe of ours, so killing it never delays a reader.
progress() {
  local group="$1" log_file="$2" start="$3" estimate="$4" label="$5" now elapsed current tail
  while sleep "${WEBSTACK_PROGRESS_INTERVAL:-30}" >/dev/null 2>&1; do
    now=$(date +%s)
    elapsed=$((now - start))
    current="$(sed -n 's/.*step: //p' "$log_file" 2>/dev/null | tail -n 1)"
    if [[ -z "$estimate" ]]; then
      tail="no earlier build measured here"
    elif ((elapsed < estimate)); then
      tail="about $(fmt_duration $((estimate - elapsed))) left (${label}: $(fmt_duration "$estimate"))"
    else
      tail="longer than the ${label} ($(fmt_duration "$estimate"))"
    fi
    log "${group}: ${current:-starting} ... $(fmt_duration "$elapsed") elapsed, ${tail}"
  done
}

build_group() {
  local group="$1" dir tmp start rc estimate="" label="" ticker
  dir="$(group_dir "$group")"
  if [[ -f "${dir}/bin/.complete" ]]; then
    log "${group}: cached (${dir})"
    return 0
  fi
  tmp="${dir}.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "${tmp}/bin" "$DURATIONS"
  read -r estimate label < <(estimate "$group") || true
  log "${group}: building into ${dir}${estimate:+ (the ${label} took $(fmt_duration "$estimate"))}"
  start=$(date +%s)
  progress "$group" "${tmp}/build.log" "$start" "$estimate" "${label:-}" &
  ticker=$!
  set +e
  bash "${GROUP_DIR}/${group}.sh" "${tmp}/bin" 2>&1 | tee "${tmp}/build.log" >&2
  rc=${PIPESTATUS[0]}
  set -e
  kill "$ticker" 2>/dev/null
  wait "$ticker" 2>/dev/null || true
  local took=$(($(date +%s) - start))
  if ((rc != 0)); then
    rm -rf "$tmp"
    log "${group}: FAILED (exit ${rc}) after $(fmt_duration "$took")"
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
  printf '%s %s %s\n' "$took" "$(basename "$dir")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"${DURATIONS}/${group}"
  log "${group}: built in $(fmt_duration "$took")"
}

# Groups build one after another on a machine with fewer than 4 cores (each go build already uses every core; two at
# once only compete for them), else two at a time. WEBSTACK_TOOLCHAIN_JOBS overrides.
build_jobs() {
  local cores
  cores="$(nproc 2>/dev/null || echo 1)"
  if [[ -n "${WEBSTACK_TOOLCHAIN_JOBS:-}" ]]; then
    [[ "$WEBSTACK_TOOLCHAIN_JOBS" =~ ^[1-9][0-9]*$ ]] || die "WEBSTACK_TOOLCHAIN_JOBS must be a positive integer"
    echo "$WEBSTACK_TOOLCHAIN_JOBS"
  elif ((cores >= 4)); then
    echo 2
  else
    echo 1
  fi
}

cmd_build() {
  local group failed=() jobs pids=() names=() i
  select_groups "$@"
  [[ "$MIN_FREE_MIB" =~ ^[0-9]+$ ]] || die "WEBSTACK_MIN_FREE_MIB must be a whole number of MiB, not '${MIN_FREE_MIB}'"
  mkdir -p "${TOOLCHAIN_CACHE}"
  jobs="$(build_jobs)"
  for group in "${SELECTED[@]}"; do
    if ((jobs == 1)); then
      build_group "$group" || failed+=("$group")
      continue
    fi
    build_group "$group" &
    pids+=($!)
    names+=("$group")
    if ((${#pids[@]} >= jobs)); then
      wait "${pids[0]}" || failed+=("${names[0]}")
      pids=("${pids[@]:1}")
      names=("${names[@]:1}")
    fi
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
  done
  if ((${#failed[@]} > 0)); then
    low_disk_hint
    die "build failed for group(s): ${failed[*]}"
  fi
}

# A build that runs out of disk may print nothing of its own (its output cannot be written either): name the disk.
low_disk_hint() {
  local path free seen=" "
  for path in "$TOOLCHAIN_CACHE" "$(go env GOCACHE 2>/dev/null)" "$(go env GOMODCACHE 2>/dev/null)" "${TMPDIR:-/tmp}"; do
    [[ -n "$path" ]] || continue
    while [[ ! -e "$path" && "$path" != / ]]; do path="$(dirname "$path")"; done
    free="$(df -Pk "$path" 2>/dev/null | awk 'NR == 2 { print int($4 / 1024) }')"
    [[ -n "$free" && "$seen" != *" ${path} "* ]] || continue
    seen+="${path} "
    if ((free < MIN_FREE_MIB)); then
      log "the disk holding ${path} has ${free} MiB free: a cold build writes several GiB of Go build and module" \
        "cache; free some space (or point WEBSTACK_CACHE, GOCACHE, GOMODCACHE or TMPDIR elsewhere) and run again"
    fi
  done
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
  select_groups "$@"
  # %q quoting keeps odd cache paths (spaces) safe under eval; $PATH is expanded by the caller's shell.
  # shellcheck disable=SC2016
  printf 'export PATH=%q:"${PATH}"\n' "$path"
  [[ " ${SELECTED[*]} " == *" pulumi "* ]] || return 0
  # Plugins come only from PATH: no update checks, no downloads, and no state under ~/.pulumi.
  printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
  printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
  printf 'export PULUMI_HOME=%q\n' "${CACHE_ROOT}/pulumi-home"
}

# The `pulumi` pin of requirements.txt: the oldest CLI that runs this program's SDK.
sdk_pin() {
  sed -n 's/^pulumi==\([0-9][0-9.]*\).*/\1/p' "${SCRIPT_DIR}/../requirements.txt" | head -n 1
}

# version_at_least HAVE WANT: true when HAVE (with or without a leading v) sorts at or after WANT.
version_at_least() {
  local have="${1#v}" want="${2#v}"
  [[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1)" == "$want" ]]
}

# An installed pulumi is used as it is: plugins come the usual way (its plugin cache, downloads), nothing of ours is
# put on PATH. A `pulumi` from our own cache on PATH (an earlier eval) is not an installed one.
cmd_pulumi_env() {
  local mode="${WEBSTACK_TOOLCHAIN:-auto}" want path real have
  case "$mode" in
    auto | build | installed) ;;
    *) die "WEBSTACK_TOOLCHAIN must be auto, build or installed, not '${mode}'" ;;
  esac
  want="$(sdk_pin)"
  [[ -n "$want" ]] || die "no pulumi==X.Y.Z pin found in requirements.txt"
  if [[ "$mode" != build ]]; then
    if path="$(command -v pulumi)" && real="$(readlink -f "$path")" && [[ "$real" != "${TOOLCHAIN_CACHE}/"* ]]; then
      have="$(pulumi version 2>/dev/null | head -n 1)"
      if [[ -n "$have" ]] && version_at_least "$have" "$want"; then
        log "pulumi: using the installed CLI ${have} (${path}); plugins come the usual way"
        printf 'export WEBSTACK_PULUMI=installed\n'
        return 0
      fi
      log "pulumi: the installed CLI at ${path} is ${have:-of unknown version}, older than the SDK pin ${want}"
    fi
    [[ "$mode" == installed ]] &&
      die "WEBSTACK_TOOLCHAIN=installed: no pulumi >= ${want} on PATH (install it, or unset WEBSTACK_TOOLCHAIN)"
    log "pulumi: building the project's toolchain (an installed pulumi >= ${want} on PATH would be used instead)"
  fi
  cmd_build pulumi >&2
  cmd_env pulumi
  printf 'export WEBSTACK_PULUMI=built\n'
}

main() {
  local cmd="${1:-}"
  (($# > 0)) && shift
  case "$cmd" in
    build) cmd_build "$@" ;;
    bin-path) bin_path "$@" ;;
    env) cmd_env "$@" ;;
    pulumi-env) (($# == 0)) || die "pulumi-env takes no groups"; cmd_pulumi_env ;;
    list) list_groups ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) log "unknown command '${cmd}'"; usage >&2; exit 2 ;;
  esac
}

main "$@"
