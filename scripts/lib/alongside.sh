# shellcheck shell=bash
# Sourced by scripts/deploy.sh and scripts/test.sh: steps that wait on the network or the disk (pip, apt, the image
# builds) run beside the CPU-bound toolchain build; on a cold machine that overlap is minutes.
#   alongside NAME CMD...   start CMD in the background, its output in $ALONGSIDE_LOG_DIR/NAME.log
#   joined NAME             wait for it; when it failed, show its log's tail and exit 1
# A step still running when the caller exits (a failed step, Ctrl-C) is let finish: an apt-get cut short leaves dpkg
# half done.
#
# Needs: ALONGSIDE_LOG_DIR set.

declare -A ALONGSIDE=()

alongside() {
  local name="$1"
  shift
  mkdir -p "$ALONGSIDE_LOG_DIR"
  "$@" >"$ALONGSIDE_LOG_DIR/$name.log" 2>&1 &
  ALONGSIDE[$name]=$!
  printf '    %s runs alongside (log: %s)\n' "$name" "$ALONGSIDE_LOG_DIR/$name.log"
}

joined() {
  local name="$1" start=$SECONDS pid="${ALONGSIDE[$1]}"
  unset "ALONGSIDE[$name]"
  if ! wait "$pid"; then
    tail -n 30 "$ALONGSIDE_LOG_DIR/$name.log" >&2
    printf '%s failed (full log: %s)\n' "$name" "$ALONGSIDE_LOG_DIR/$name.log" >&2
    exit 1
  fi
  ((SECONDS - start < 2)) || printf '    waited %ds for %s\n' $((SECONDS - start)) "$name"
}

alongside_finish() {
  local name
  for name in "${!ALONGSIDE[@]}"; do
    kill -0 "${ALONGSIDE[$name]}" 2>/dev/null || continue
    printf 'letting %s finish (log: %s)\n' "$name" "$ALONGSIDE_LOG_DIR/$name.log" >&2
    wait "${ALONGSIDE[$name]}" || true
  done
}
trap alongside_finish EXIT
