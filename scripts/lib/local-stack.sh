# shellcheck shell=bash
# Sourced by scripts/deploy.sh and scripts/drift.sh (from the repository root): a pulumi CLI, the local file backend
# and each stack's per-machine config, none of which writes into the repository.
#
# Why a config file outside the repository: with the passphrase secrets provider, `pulumi stack init` writes the
# stack's `encryptionsalt` into Pulumi.<stack>.yaml, re-serialising the file as it goes (appPort: 9898 becomes
# "9898"). That salt belongs to one machine's backend and passphrase, not to the project. So the tracked file stays
# as it is, the salt lives in $WEBSTACK_STATE_DIR/stacks/<stack>.salt, and every command that reads config gets
# `--config-file $WEBSTACK_STATE_DIR/stacks/Pulumi.<stack>.yaml`, a copy of the tracked file plus that salt,
# regenerated before each run (so edits to the tracked file always apply). A tracked file that already names its
# own secrets provider or salt (a team's real setup) is used as it is.
#
# Needs: WEBSTACK_STATE_DIR set; functions prefixed local_stack_.

# local_stack_use_pulumi: an installed pulumi when new enough, else the project's toolchain (see toolchain.sh).
local_stack_use_pulumi() {
  local lines
  lines="$(scripts/toolchain.sh pulumi-env)" || return 1
  eval "$lines"
}

# local_stack_toolchain_notice: with the built toolchain, say once where it differs from a normal install (README
# "Toolchain versions"), read from the pins themselves.
local_stack_toolchain_notice() {
  [[ "${WEBSTACK_PULUMI:-}" == built ]] || return 0
  local engine k8s sdk sdk_k8s sdk_random
  engine="$(sed -n 's/^PULUMI_VERSION=//p' scripts/toolchain/pulumi.sh)"
  k8s="$(sed -n 's/^K8S_PROVIDER_VERSION=//p' scripts/toolchain/pulumi.sh)"
  sdk="$(sed -n 's/^pulumi==//p' requirements.txt)"
  sdk_k8s="$(sed -n 's/^pulumi-kubernetes==//p' requirements.txt)"
  sdk_random="$(sed -n 's/^pulumi-random==//p' requirements.txt)"
  {
    echo "The built toolchain differs from a normal Pulumi install (README \"Toolchain versions\"):"
    printf '  %-22s %-10s %-36s %s\n' part "SDK pin" "built toolchain" "normal install" \
      "engine (CLI)" "$sdk" "$engine" "the CLI you install (>= ${sdk})" \
      "Python language host" - "the project's own host" "bundled with the CLI" \
      "kubernetes provider" "$sdk_k8s" "${k8s} (newer commits not served)" "$sdk_k8s" \
      "random provider" "$sdk_random" "a stand-in for RandomPassword" "$sdk_random"
  } >&2
}

# A shell starts its background jobs with SIGINT ignored, and an ignored signal stays ignored across exec. The engine
# stops each plugin with SIGINT and waits 5 s for one that ignores it before killing it, so from a background job
# (`scripts/deploy.sh &` in a script) every preview, up or refresh took 5 s longer. GNU env gives pulumi the default.
LOCAL_STACK_SIGINT=()
env --default-signal=INT true 2>/dev/null && LOCAL_STACK_SIGINT=(env --default-signal=INT)

# local_stack_pulumi ARGS...: `pulumi ARGS`. With the built toolchain, without the engine's per-run notes that restate
# the table above: the plugin version check (PULUMI_DEV skips only that, and unhides some `pulumi package` commands)
# and "using pulumi-resource-... from $PATH". Exit status: pulumi's (the caller runs with pipefail).
local_stack_pulumi() {
  if [[ "${WEBSTACK_PULUMI:-}" != built ]]; then
    ${LOCAL_STACK_SIGINT[@]+"${LOCAL_STACK_SIGINT[@]}"} pulumi "$@"
    return
  fi
  # shellcheck disable=SC2016 # a literal $PATH in the pattern
  PULUMI_DEV=true ${LOCAL_STACK_SIGINT[@]+"${LOCAL_STACK_SIGINT[@]}"} pulumi "$@" 2>&1 | sed -E '/warning: using pulumi-(resource|language|analyzer)-[a-z0-9-]+ from \$PATH at /d'
}

# local_stack_use_backend: the file backend under the state directory, and the development passphrase unless the
# caller set one. For a developer's machine only: a team sets its own backend and secrets provider.
local_stack_use_backend() {
  mkdir -p "${WEBSTACK_STATE_DIR}/backend"
  export PULUMI_BACKEND_URL="file://${WEBSTACK_STATE_DIR}/backend"
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-webstack-dev-only}"
}

# local_stack_exists STACK
local_stack_exists() {
  pulumi stack ls --json 2>/dev/null |
    python3 -c 'import json, sys; sys.exit(0 if any(s["name"] == sys.argv[1] for s in json.load(sys.stdin)) else 1)' "$1"
}

# local_stack_own_provider FILE: true when the tracked stack file already carries a secrets provider or salt.
local_stack_own_provider() {
  [[ -f "$1" ]] && grep -Eq '^(encryptionsalt|secretsprovider|encryptedkey):' "$1"
}

# local_stack_config STACK: create the stack if it does not exist and print the --config-file path to use with it.
local_stack_config() {
  local stack="$1" tracked="Pulumi.$1.yaml" dir="${WEBSTACK_STATE_DIR}/stacks" salt_file out scratch project salt
  [[ -f "$tracked" ]] || { echo "no stack file ${tracked} in $(pwd)" >&2; return 1; }
  if local_stack_own_provider "$tracked"; then
    local_stack_exists "$stack" || pulumi stack init "$stack" --non-interactive >&2 || return 1
    printf '%s\n' "$(pwd)/${tracked}"
    return 0
  fi
  mkdir -p "$dir"
  salt_file="${dir}/${stack}.salt"
  out="${dir}/Pulumi.${stack}.yaml"
  if ! local_stack_exists "$stack"; then
    # Initialised in a scratch project of the same name, so the salt lands in the scratch copy of the stack file.
    scratch="$(mktemp -d "${dir}/.init.XXXXXX")"
    project="$(sed -n 's/^name:[[:space:]]*\([^[:space:]#]*\).*/\1/p' Pulumi.yaml | head -n 1)"
    printf 'name: %s\nruntime: python\n' "$project" >"${scratch}/Pulumi.yaml"
    if ! (cd "$scratch" && pulumi stack init "$stack" --non-interactive >&2); then
      rm -rf "$scratch"
      return 1
    fi
    sed -n 's/^encryptionsalt:[[:space:]]*//p' "${scratch}/Pulumi.${stack}.yaml" >"$salt_file"
    rm -rf "$scratch"
  elif [[ ! -s "$salt_file" ]]; then
    # A stack made before this file existed (or whose state dir lost it): its state records the salt.
    pulumi stack export --stack "$stack" 2>/dev/null | python3 -c '
import json, sys
sp = (json.load(sys.stdin).get("deployment") or {}).get("secrets_providers") or {}
salt = (sp.get("state") or {}).get("salt")
if sp.get("type") != "passphrase" or not salt:
    sys.exit(1)
print(salt)
' >"$salt_file" || {
      rm -f "$salt_file"
      echo "stack ${stack} exists in ${PULUMI_BACKEND_URL} but its passphrase salt is unknown:" \
        "remove it (pulumi stack rm ${stack}) or write its salt to ${salt_file}" >&2
      return 1
    }
  fi
  salt="$(cat "$salt_file")"
  [[ -n "$salt" ]] || { echo "${salt_file} is empty" >&2; return 1; }
  { cat "$tracked"; printf '\n# per-machine, added by scripts/lib/local-stack.sh\nencryptionsalt: %s\n' "$salt"; } >"${out}.tmp"
  mv "${out}.tmp" "$out"
  printf '%s\n' "$out"
}
