#!/usr/bin/env bash
# Container images of the bundled cluster's real node, built on this machine: no image registry on the internet
# is reachable here, so every image the dev stack runs is made from Debian packages or the project's own sources.
#
# Usage: scripts/images.sh build              build every image that is not cached yet (progress on stderr)
#        scripts/images.sh push HOST:PORT     copy every built image into the registry at HOST:PORT (plain HTTP)
#        scripts/images.sh ref NAME HOST:PORT print the reference the cluster pulls NAME by
#        scripts/images.sh list               print the image names
#
# Images (each an OCI layout in ${WEBSTACK_CACHE:-~/.cache/webstack}/images/<name>-<key>, where the key hashes
# every input of the image, so an unchanged image is never rebuilt):
#   pause       the pod sandbox (images/pause/pause.c, static)
#   postgres    PostgreSQL from Debian trixie's postgresql-17 with images/postgres/docker-entrypoint.sh, which
#               honours the official image's contract; pushed as the stack files' database image (dbImage), so
#               the stack deploys exactly what its users deploy, by the same name
#   demo        the project's demo app (demo/), versions 1.0.0 and 1.0.1 (two images, for rolling updates)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
CACHE="${WEBSTACK_CACHE:-$HOME/.cache/webstack}/images"
readonly CACHE
# Debian suite of the PostgreSQL image: trixie has postgresql-17, the major version the stacks pin.
readonly PG_SUITE=trixie PG_MAJOR=17
readonly DEMO_VERSIONS=(1.0.0 1.0.1)
# UID the demo app image declares (the stack's pod spec sets its own): any non-root number works.
readonly DEMO_UID=10001

log() { printf '[images] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null ||
      die "'$tool' is not installed (scripts/cluster.sh installs the Debian packages it needs; or: apt-get install $tool)"
  done
}

# The Debian mirror this machine's apt uses (debootstrap fetches trixie from the same place).
debian_mirror() {
  local uri
  uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
  [[ -n "$uri" ]] || uri="$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
    /etc/apt/sources.list 2>/dev/null || true)"
  [[ -n "$uri" ]] || die "no Debian mirror found in /etc/apt/sources.list(.d): debootstrap needs one"
  printf '%s\n' "$uri"
}

# The database image of the stack files (Pulumi.yaml's dbImage default), as docker.io/<repo>:<tag>.
postgres_refs() {
  python3 - "$REPO_ROOT/Pulumi.yaml" <<'PY'
import sys, yaml
image = yaml.safe_load(open(sys.argv[1]))["config"]["dbImage"]["default"]
name, _, tag = image.rpartition(":")
if "/" not in name:
    name = "library/" + name
print(f"{name}:{tag}")
PY
}

key_of() { # key_of NAME FILE... : 16 hex of sha256 over the recipe (this script) and the inputs
  local name="$1" f
  shift
  {
    printf '%s\n' "$name"
    cat "${BASH_SOURCE[0]}"
    for f in "$@"; do
      printf '\n--- %s\n' "${f#"$REPO_ROOT"/}"
      cat "$f"
    done
  } | sha256sum | cut -c1-16
}

# new_layout DIR TAG ROOTFS: an OCI layout at DIR holding one image TAG whose single layer is ROOTFS.
new_layout() {
  local dir="$1" tag="$2" rootfs="$3"
  umoci init --layout "$dir"
  umoci new --image "$dir:$tag"
  umoci insert --rootless --image "$dir:$tag" "$rootfs" / >/dev/null
}

finish() { # finish TMP DIR: publish a finished build atomically
  local tmp="$1" dir="$2"
  umoci gc --layout "$tmp/oci"
  date -u +%Y-%m-%dT%H:%M:%SZ >"$tmp/.complete"
  rm -rf "$dir"
  mv -T "$tmp" "$dir"
}

image_dir() { # image_dir NAME: the cache directory of NAME's current inputs
  case "$1" in
    pause) printf '%s/pause-%s\n' "$CACHE" "$(key_of pause "$REPO_ROOT/images/pause/pause.c")" ;;
    postgres) printf '%s/postgres-%s\n' "$CACHE" "$(key_of postgres "$REPO_ROOT/images/postgres/docker-entrypoint.sh")" ;;
    demo)
      local files
      mapfile -t files < <(cd "$REPO_ROOT" && git ls-files demo 2>/dev/null || ls demo/*)
      printf '%s/demo-%s\n' "$CACHE" "$(key_of demo "${files[@]/#/$REPO_ROOT/}" <(go version))"
      ;;
    *) die "unknown image '$1' (have: pause postgres demo)" ;;
  esac
}

build_pause() {
  local dir="$1" tmp="$1.tmp.$$"
  need gcc umoci
  rm -rf "$tmp" && mkdir -p "$tmp/rootfs"
  gcc -static -O2 -Wall -Werror -o "$tmp/rootfs/pause" "$REPO_ROOT/images/pause/pause.c"
  new_layout "$tmp/oci" latest "$tmp/rootfs"
  umoci config --image "$tmp/oci:latest" --config.entrypoint /pause --config.user 65535:65535
  rm -rf "$tmp/rootfs"
  finish "$tmp" "$dir"
}

build_postgres() {
  local dir="$1" tmp="$1.tmp.$$" mirror rootfs t
  need debootstrap umoci
  mirror="$(debian_mirror)"
  rm -rf "$tmp" && mkdir -p "$tmp"
  rootfs="$tmp/rootfs"
  t=$SECONDS
  log "postgres: debootstrap $PG_SUITE (minbase + postgresql-$PG_MAJOR, libnss-wrapper); about 2 minutes"
  # No main cluster: the entrypoint runs initdb on the pod's volume.
  mkdir -p "$rootfs/etc/postgresql-common"
  printf 'create_main_cluster = false\n' >"$rootfs/etc/postgresql-common/createcluster.conf"
  if ! debootstrap --variant=minbase --include="postgresql-$PG_MAJOR,libnss-wrapper,xz-utils" \
    "$PG_SUITE" "$rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
    tail -20 "$tmp/debootstrap.log" >&2
    die "postgres: debootstrap of $PG_SUITE failed (full log: $tmp/debootstrap.log)"
  fi
  log "postgres: root filesystem ready in $((SECONDS - t))s"
  # The official image listens on every address; the Debian default is localhost only.
  sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" \
    "$rootfs/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample"
  grep -q "^listen_addresses = '\*'" "$rootfs/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample" ||
    die "postgres: could not set listen_addresses in postgresql.conf.sample"
  install -m 0755 "$REPO_ROOT/images/postgres/docker-entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"
  mkdir -p "$rootfs/docker-entrypoint-initdb.d" "$rootfs/var/lib/postgresql/data"
  install -d -m 3777 "$rootfs/var/run/postgresql"
  # What only the build needed: package caches and lists, docs.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc \
    "$rootfs"/usr/share/man "$rootfs"/usr/share/info "$rootfs"/var/log/*.log
  new_layout "$tmp/oci" latest "$rootfs"
  umoci config --image "$tmp/oci:latest" \
    --config.entrypoint docker-entrypoint.sh --config.cmd postgres \
    --config.env "PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --config.env "PG_MAJOR=$PG_MAJOR" --config.env "PGDATA=/var/lib/postgresql/data" --config.env "LANG=C.UTF-8" \
    --config.exposedports 5432/tcp --config.stopsignal SIGINT --config.volume /var/lib/postgresql/data \
    --config.label "org.opencontainers.image.description=webstack bundled-cluster PostgreSQL $PG_MAJOR (Debian $PG_SUITE)"
  rm -rf "$rootfs"
  finish "$tmp" "$dir"
}

build_demo() {
  local dir="$1" tmp="$1.tmp.$$" v
  need go umoci
  rm -rf "$tmp" && mkdir -p "$tmp"
  for v in "${DEMO_VERSIONS[@]}"; do
    mkdir -p "$tmp/rootfs-$v"
    (cd "$REPO_ROOT/demo" && CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" \
      go build -ldflags "-s -w -X main.version=$v" -o "$tmp/rootfs-$v/webstack-demo" .)
    if [[ ! -d "$tmp/oci" ]]; then
      new_layout "$tmp/oci" "$v" "$tmp/rootfs-$v"
    else
      umoci new --image "$tmp/oci:$v"
      umoci insert --rootless --image "$tmp/oci:$v" "$tmp/rootfs-$v" / >/dev/null
    fi
    umoci config --image "$tmp/oci:$v" --config.entrypoint /webstack-demo --config.user "$DEMO_UID:$DEMO_UID" \
      --config.exposedports 8080/tcp --config.label "org.opencontainers.image.version=$v"
    rm -rf "$tmp/rootfs-$v"
  done
  finish "$tmp" "$dir"
}

cmd_build() {
  local name dir start
  mkdir -p "$CACHE"
  for name in pause postgres demo; do
    dir="$(image_dir "$name")"
    if [[ -f "$dir/.complete" ]]; then
      log "$name: cached ($dir)"
      continue
    fi
    start=$SECONDS
    log "$name: building into $dir"
    "build_$name" "$dir" || die "$name: build failed"
    log "$name: built in $((SECONDS - start))s"
  done
}

# tags NAME REGISTRY: "LAYOUT_TAG REFERENCE" lines for every image NAME pushes.
tags() {
  local name="$1" registry="$2" v
  case "$name" in
    pause) printf 'latest %s/webstack/pause:%s\n' "$registry" "$(basename "$(image_dir pause)" | cut -d- -f2)" ;;
    postgres) printf 'latest %s/%s\n' "$registry" "$(postgres_refs)" ;;
    demo) for v in "${DEMO_VERSIONS[@]}"; do printf '%s %s/webstack/demo:%s\n' "$v" "$registry" "$v"; done ;;
  esac
}

cmd_push() {
  local registry="$1" name dir tag ref
  need skopeo
  for name in pause postgres demo; do
    dir="$(image_dir "$name")"
    [[ -f "$dir/.complete" ]] || die "$name is not built (run: scripts/images.sh build)"
    while read -r tag ref; do
      skopeo copy --quiet --insecure-policy --dest-tls-verify=false "oci:$dir/oci:$tag" "docker://$ref" ||
        die "$name: could not push $ref (is the registry at $registry running? scripts/cluster.sh up starts it)"
      log "pushed $ref"
    done < <(tags "$name" "$registry")
  done
}

cmd_ref() { # the reference a pod uses; docker.io names (postgres) resolve through containerd's mirror
  local name="$1" registry="$2"
  case "$name" in
    postgres) printf 'docker.io/%s\n' "$(postgres_refs)" ;;
    pause | demo) tags "$name" "$registry" | tail -1 | cut -d' ' -f2 ;;
    demo-*) printf '%s/webstack/demo:%s\n' "$registry" "${name#demo-}" ;;
    *) die "unknown image '$name'" ;;
  esac
}

case "${1:-}" in
  build) cmd_build ;;
  push) (($# == 2)) || die "usage: scripts/images.sh push HOST:PORT"; cmd_push "$2" ;;
  ref) (($# == 3)) || die "usage: scripts/images.sh ref NAME HOST:PORT"; cmd_ref "$2" "$3" ;;
  list) printf '%s\n' pause postgres demo ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
