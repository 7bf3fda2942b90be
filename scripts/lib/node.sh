# shellcheck shell=bash
# The bundled cluster's real node, sourced by scripts/cluster.sh: containerd + runc, the CNI bridge, kubelet,
# kube-proxy and CoreDNS as plain processes beside the kwok control plane, and a registry on loopback that serves
# the images scripts/images.sh builds (containerd mirrors docker.io, ghcr.io and quay.io to it).
#
# One real node per machine (it owns iptables chains, interfaces and kubelet's ports), recorded in $NODE_RUN:
# the lock naming its cluster and state directory, and the PIDs of its processes, kept there rather than in
# the state directory so that a state directory removed by hand (or a test runner's temp cleanup) never
# leaves processes nobody can stop.
# Everything it makes is named here and removed by node_down: processes by their recorded PID, mounts under its
# state directory, the kube-proxy and WEBSTACK chains, the CNI bridge and the veth pair, the routes.
#
# Addresses (all on interfaces this file creates; WEBSTACK_NODE_SUBNET=A.B moves them):
#   A.B.0.0/16  blackhole route: nothing in the range ever leaves the machine, even before kube-proxy runs
#   A.B.0.1     the node: veth wsnode0 (peer wsnode1); API server, kubelet and cluster DNS listen here
#   A.B.1.0/24  pods, on the bridge wscni0 (gateway A.B.1.1)
#   A.B.2.0/24  Service cluster IPs (A.B.2.1 is the kubernetes Service)
# Pods reach only each other and the node: the WEBSTACK-FORWARD chain drops anything forwarded off the bridge.

NODE_SUBNET="${WEBSTACK_NODE_SUBNET:-10.213}"
NODE_IP="$NODE_SUBNET.0.1"
NODE_UMBRELLA="$NODE_SUBNET.0.0/16"
POD_CIDR="$NODE_SUBNET.1.0/24"
POD_GATEWAY="$NODE_SUBNET.1.1"
SERVICE_CIDR="$NODE_SUBNET.2.0/24"
REGISTRY_PORT="${WEBSTACK_REGISTRY_PORT:-5000}"
REGISTRY="127.0.0.1:$REGISTRY_PORT"
KUBELET_PORT="${WEBSTACK_KUBELET_PORT:-10250}"
readonly VETH=wsnode0 VETH_PEER=wsnode1 BRIDGE=wscni0 FWD_CHAIN=WEBSTACK-FORWARD
readonly NODE_RUN=/run/webstack-node
readonly NODE_LOCK="$NODE_RUN/lock"
# Debian packages the node needs, and the command each provides (checked before anything starts).
readonly NODE_DEBS=(runc containernetworking-plugins iptables ipset conntrack debootstrap umoci skopeo docker-registry)
readonly NODE_DEB_CMDS=(runc /usr/lib/cni/bridge iptables ipset conntrack debootstrap umoci skopeo docker-registry)
# Mirrored registries: image names in the stack files stay what users deploy.
readonly MIRRORED=(docker.io ghcr.io quay.io)

node_paths() {
  NODE_DIR="$STATE_DIR/node"
  NODE_NAME="${CLUSTER_NAME}-node"
  PID_DIR="$NODE_RUN/pids"
  LOG_DIR="$NODE_DIR/logs"
  CTR_SOCK="$NODE_DIR/containerd/containerd.sock"
}

# -- preflight -----------------------------------------------------------------------------------

node_ensure_debs() {
  local i missing=()
  for i in "${!NODE_DEBS[@]}"; do
    command -v "${NODE_DEB_CMDS[$i]}" >/dev/null 2>&1 || [[ -x "${NODE_DEB_CMDS[$i]}" ]] || missing+=("${NODE_DEBS[$i]}")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them: install them by hand"
  log "installing Debian packages: ${missing[*]}"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"; } >"$STATE_DIR/apt.log" 2>&1; then
    tail -15 "$STATE_DIR/apt.log" >&2
    die "could not install ${missing[*]} (log: $STATE_DIR/apt.log); install them with apt-get and run again"
  fi
}

node_preflight() {
  [[ "$(id -u)" == 0 ]] || die "the real node runs containerd, kubelet and iptables: run as root, or use fake nodes only (WEBSTACK_CLUSTER_NODE=fake)"
  [[ "$NODE_SUBNET" =~ ^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$ ]] ||
    die "WEBSTACK_NODE_SUBNET: '$NODE_SUBNET' is not the first two numbers of an IPv4 address (e.g. 10.213)"
  [[ "${WEBSTACK_NODE_VOLUMES:-8}" =~ ^([1-9][0-9]?|100)$ ]] ||
    die "WEBSTACK_NODE_VOLUMES: '${WEBSTACK_NODE_VOLUMES}' is not a number of volumes from 1 to 100"
  [[ -d /sys/fs/cgroup/memory ]] || [[ -f /sys/fs/cgroup/cgroup.controllers ]] || die "no cgroup filesystem at /sys/fs/cgroup"
  local owner
  if [[ -f "$NODE_LOCK" ]]; then
    owner="$(cat "$NODE_LOCK")"
    if [[ "$owner" != "$CLUSTER_NAME $STATE_DIR" ]]; then
      die "a real node of another cluster is on this machine ('${owner% *}', state in ${owner#* }): remove it first with
  WEBSTACK_CLUSTER_NAME=${owner% *} WEBSTACK_STATE_DIR=${owner#* } scripts/cluster.sh down"
    fi
  fi
  # Ports, before anything changes on the machine (ours are free again after down).
  if ! pid_alive registry && ! port_free 127.0.0.1 "$REGISTRY_PORT"; then
    die "port $REGISTRY_PORT on 127.0.0.1 is in use: stop what listens there, or set WEBSTACK_REGISTRY_PORT"
  fi
  if ! pid_alive kubelet && ip -4 addr show 2>/dev/null | grep -q "inet $NODE_IP/" && ! port_free "$NODE_IP" "$KUBELET_PORT"; then
    die "port $KUBELET_PORT on $NODE_IP is in use: stop what listens there, or set WEBSTACK_KUBELET_PORT"
  fi
  # A route of someone else's in our range would take our traffic (or we theirs).
  if ip -4 route show | grep -v "^blackhole $NODE_UMBRELLA\b" | grep -v "dev \($VETH\|$VETH_PEER\|$BRIDGE\) " |
    awk '{print $1}' | grep -q "^$NODE_SUBNET\."; then
    die "addresses in $NODE_UMBRELLA are already routed on this machine ($(ip -4 route show | grep "^$NODE_SUBNET\." | head -1)); choose another range with WEBSTACK_NODE_SUBNET=A.B"
  fi
}

port_free() { # port_free ADDRESS PORT: nothing listens there (and we may bind it)
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)
PY
}

# -- processes -----------------------------------------------------------------------------------

pid_alive() { # pid_alive NAME: the recorded process runs
  local f="$PID_DIR/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

start_proc() { # start_proc NAME COMMAND...: run in the background, log to $LOG_DIR/NAME.log, record the PID
  local name="$1"
  shift
  if pid_alive "$name"; then
    return 0
  fi
  mkdir -p "$PID_DIR" "$LOG_DIR"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
  sleep 0.2
  pid_alive "$name" || { tail -20 "$LOG_DIR/$name.log" >&2; die "$name exited at once (log: $LOG_DIR/$name.log)"; }
}

stop_proc() { # stop_proc NAME [SECONDS]: TERM the recorded PID, KILL after SECONDS (default 20)
  local name="$1" wait="${2:-20}" pid i
  [[ -f "$PID_DIR/$name.pid" ]] || return 0
  pid="$(cat "$PID_DIR/$name.pid")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop in ${wait}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PID_DIR/$name.pid"
}

wait_until() { # wait_until SECONDS DESCRIPTION COMMAND...
  local limit="$1" what="$2" deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "timed out after ${limit}s waiting for $what"; return 1; }
    sleep 1
  done
}

# -- network -------------------------------------------------------------------------------------

node_network_up() {
  mkdir -p "$NODE_DIR"
  # The netfilter tables this machine had before the node: down removes only the ones the node added.
  [[ -f "$NODE_DIR/nft-tables.before" ]] || nft list tables >"$NODE_DIR/nft-tables.before" 2>/dev/null || true
  if ! ip link show "$VETH" >/dev/null 2>&1; then
    ip link add "$VETH" type veth peer name "$VETH_PEER"
  fi
  ip addr replace "$NODE_IP/30" dev "$VETH"
  ip link set "$VETH" up
  ip link set "$VETH_PEER" up
  ip route replace blackhole "$NODE_UMBRELLA"
  # Forwarding is needed between pods through Service addresses; the chain below keeps it on the bridge.
  mkdir -p "$NODE_DIR"
  [[ -f "$NODE_DIR/ip_forward.saved" ]] || sysctl -n net.ipv4.ip_forward >"$NODE_DIR/ip_forward.saved"
  sysctl -qw net.ipv4.ip_forward=1
  if [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
    [[ -f "$NODE_DIR/bridge-nf.saved" ]] || sysctl -n net.bridge.bridge-nf-call-iptables >"$NODE_DIR/bridge-nf.saved"
    sysctl -qw net.bridge.bridge-nf-call-iptables=1
  fi
  iptables -w -N "$FWD_CHAIN" 2>/dev/null || iptables -w -F "$FWD_CHAIN"
  iptables -w -A "$FWD_CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  iptables -w -A "$FWD_CHAIN" -i "$BRIDGE" -j DROP
  iptables -w -A "$FWD_CHAIN" -o "$BRIDGE" -j DROP
  iptables -w -C FORWARD -j "$FWD_CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$FWD_CHAIN"
}

# The chains kubelet, kube-proxy and kube-router made (KUBE-*, in every table of both families), kube-router's
# ipsets, and the netfilter tables that did not exist before the node and hold no rule now.
remove_kube_chains() {
  local cmd table rule chain family name chains
  for cmd in iptables ip6tables; do
    command -v "$cmd" >/dev/null || continue
    for table in filter nat mangle raw; do
      while read -r rule; do
        # shellcheck disable=SC2086  # the rule's words, as iptables printed them
        eval "$cmd -w -t $table -D ${rule#-A }" 2>/dev/null || true
      done < <("$cmd" -w -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j KUBE-' | grep -vE '^-A KUBE-')
      # Flush them all before deleting any: KUBE-* chains jump to one another.
      mapfile -t chains < <("$cmd" -w -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}')
      for chain in "${chains[@]}"; do
        "$cmd" -w -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in "${chains[@]}"; do
        "$cmd" -w -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
  # kube-router's ipsets, once no rule refers to them (its own --cleanup-config also tries IPVS, which this
  # kernel lacks, and panics).
  if command -v ipset >/dev/null; then
    # Read through a process substitution: under pipefail, a grep that finds no set (kube-router never ran)
    # would end the whole teardown here.
    while read -r name; do
      ipset destroy "$name" 2>/dev/null || true
    done < <(ipset list -n 2>/dev/null | grep -E '^(KUBE-(SRC|DST)-|kube-router-)')
  fi
  [[ -f "$NODE_DIR/nft-tables.before" ]] || return 0
  while read -r _ family name; do
    grep -qx "table $family $name" "$NODE_DIR/nft-tables.before" && continue
    nft list table "$family" "$name" 2>/dev/null | grep -qE '^\s+(ip|ip6|meta|counter|jump|accept|drop|tcp|udp|ct|iifname|oifname) ' && continue
    nft delete table "$family" "$name" 2>/dev/null || true
  done < <(nft list tables 2>/dev/null)
}

node_network_down() {
  local saved
  remove_kube_chains
  if iptables -w -L "$FWD_CHAIN" -n >/dev/null 2>&1; then
    while iptables -w -D FORWARD -j "$FWD_CHAIN" 2>/dev/null; do :; done
    iptables -w -F "$FWD_CHAIN"
    iptables -w -X "$FWD_CHAIN"
  fi
  ip link del "$BRIDGE" 2>/dev/null || true
  ip link del "$VETH" 2>/dev/null || true
  ip route del blackhole "$NODE_UMBRELLA" 2>/dev/null || true
  if [[ -f "$NODE_DIR/ip_forward.saved" ]]; then
    saved="$(cat "$NODE_DIR/ip_forward.saved")"
    sysctl -qw net.ipv4.ip_forward="$saved" || true
  fi
  if [[ -f "$NODE_DIR/bridge-nf.saved" ]]; then
    saved="$(cat "$NODE_DIR/bridge-nf.saved")"
    sysctl -qw net.bridge.bridge-nf-call-iptables="$saved" || true
  fi
}

# -- registry and images -------------------------------------------------------------------------

node_registry_up() {
  if ! pid_alive registry; then
    port_free 127.0.0.1 "$REGISTRY_PORT" ||
      die "port $REGISTRY_PORT on 127.0.0.1 is in use: stop what listens there, or set WEBSTACK_REGISTRY_PORT"
    mkdir -p "$NODE_DIR/registry"
    cat >"$NODE_DIR/registry/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $NODE_DIR/registry/data}
  delete: {enabled: true}
http:
  addr: $REGISTRY
EOF
    start_proc registry docker-registry serve "$NODE_DIR/registry/config.yml"
  fi
  wait_until 30 "the registry on $REGISTRY" curl -fsS "http://$REGISTRY/v2/" ||
    die "the registry did not answer (log: $LOG_DIR/registry.log)"
}

node_images() {
  log "images (built once per change of their inputs; the first build takes about 3 minutes)"
  "$REPO_ROOT/scripts/images.sh" build || die "an image build failed (see above); fix it and run again"
  "$REPO_ROOT/scripts/images.sh" push "$REGISTRY" || die "could not push the images to $REGISTRY"
  PAUSE_IMAGE="$("$REPO_ROOT/scripts/images.sh" ref pause "$REGISTRY")"
}

# -- containerd ----------------------------------------------------------------------------------

node_containerd_up() {
  local d="$NODE_DIR/containerd" host
  mkdir -p "$d/certs.d" "$NODE_DIR/cni/net.d" "$NODE_DIR/cni/ipam"
  for host in "${MIRRORED[@]}" "$REGISTRY"; do
    mkdir -p "$d/certs.d/$host"
    cat >"$d/certs.d/$host/hosts.toml" <<EOF
# Served by the node's registry: no pull ever leaves this machine.
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
  done
  cat >"$NODE_DIR/cni/net.d/10-webstack.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "webstack",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$NODE_DIR/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
  cat >"$d/config.toml" <<EOF
version = 3
root = "$d/root"
state = "$d/state"

[grpc]
  address = "$CTR_SOCK"

[plugins.'io.containerd.internal.v1.opt']
  path = "$d/opt"

[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '$PAUSE_IMAGE'
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = '$d/certs.d'

[plugins.'io.containerd.cri.v1.runtime']
  # This machine's capability bounding set lacks CAP_SYS_RESOURCE: without this every sandbox fails.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = '$(command -v runc)'
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['/usr/lib/cni']
    conf_dir = '$NODE_DIR/cni/net.d'

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
EOF
  start_proc containerd "$NODE_BIN/containerd" --config "$d/config.toml"
  wait_until 60 "containerd" "$NODE_BIN/ctr" --address "$CTR_SOCK" version ||
    die "containerd did not start (log: $LOG_DIR/containerd.log)"
}

# -- kubelet, kube-proxy, CoreDNS ----------------------------------------------------------------

# kubelet's cgroupRoot /webstack, in every v1 hierarchy (cpuset needs its cpus and mems before any task joins).
make_cgroups() {
  local c
  for c in /sys/fs/cgroup/*/; do
    [[ -d "$c" && ! -L "${c%/}" ]] || continue
    mkdir -p "${c}webstack"
    if [[ -f "${c}cpuset.cpus" ]]; then
      [[ -s "${c}webstack/cpuset.cpus" && "$(cat "${c}webstack/cpuset.cpus")" != "" ]] || cat "${c}cpuset.cpus" >"${c}webstack/cpuset.cpus"
      [[ "$(cat "${c}webstack/cpuset.mems")" != "" ]] || cat "${c}cpuset.mems" >"${c}webstack/cpuset.mems"
    fi
  done
}

node_kubelet_up() {
  local d="$NODE_DIR/kubelet" ca="$CLUSTER_DIR/pki/ca.crt"
  [[ -f "$ca" ]] || die "no cluster CA at $ca (kwokctl's pki layout changed?)"
  mkdir -p "$d" "$NODE_DIR/pod-logs"
  port_free "$NODE_IP" "$KUBELET_PORT" || pid_alive kubelet ||
    die "port $KUBELET_PORT on $NODE_IP is in use: stop what listens there, or set WEBSTACK_KUBELET_PORT"
  # Pods get the cluster DNS only, never this machine's resolvers.
  : >"$d/resolv.conf"
  cat >"$d/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $ca}
authorization: {mode: Webhook}
# The memory hierarchy here is cgroup v1.
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupRoot: /webstack
containerRuntimeEndpoint: unix://$CTR_SOCK
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: $d/resolv.conf
failSwapOn: false
podLogsDir: $NODE_DIR/pod-logs
maxPods: 60
serializeImagePulls: false
enforceNodeAllocatable: [pods]
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
EOF
  make_cgroups
  start_proc kubelet "$CLUSTER_BIN/kubelet" --config "$d/config.yaml" --kubeconfig "$KUBECONFIG_PATH" \
    --root-dir "$d/root" --cert-dir "$d/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --node-labels "webstack.io/node=real,topology.kubernetes.io/zone=zone-a,topology.kubernetes.io/region=local" --v=1
}

node_proxy_up() {
  local d="$NODE_DIR/kube-proxy"
  mkdir -p "$d"
  cat >"$d/config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $KUBECONFIG_PATH}
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: $POD_CIDR
nodePortAddresses: [$NODE_IP/32]
# 0: leave the kernel's conntrack table settings as they are.
conntrack: {maxPerCore: 0, min: 0}
EOF
  start_proc kube-proxy "$CLUSTER_BIN/kube-proxy" --config "$d/config.yaml" --v=1
}

# NetworkPolicy: kube-router's firewall controller only (no routing, no service proxy, no CNI of its own),
# with its health and metrics servers off.
node_netpol_up() {
  start_proc kube-router "$NODE_BIN/kube-router" --kubeconfig "$KUBECONFIG_PATH" --hostname-override "$NODE_NAME" \
    --run-firewall=true --run-router=false --run-service-proxy=false --run-loadbalancer=false --enable-cni=false \
    --enable-ibgp=false --enable-overlay=false --health-port=0 --metrics-port=0 --v=1
}

node_dns_up() {
  local d="$NODE_DIR/coredns" context
  mkdir -p "$d"
  context="$("$CLUSTER_BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" config current-context)"
  # Cluster names only: no forward plugin, so no query ever leaves the machine.
  cat >"$d/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG_PATH $context
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
}
EOF
  start_proc coredns "$NODE_BIN/coredns" -conf "$d/Corefile"
}

node_ready() {
  pid_alive kubelet || { KUBELET_DIED=1; return 0; }
  [[ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

dns_answers() { # the kubernetes Service's name resolves through the node's CoreDNS
  python3 - "$NODE_IP" <<'PY'
import socket, struct, sys
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
for part in "kubernetes.default.svc.cluster.local".split("."):
    q += bytes([len(part)]) + part.encode()
q += b"\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (sys.argv[1], 53))
reply = s.recv(512)
sys.exit(0 if struct.unpack(">H", reply[6:8])[0] >= 1 else 1)
PY
}

# default_storage_class PROVISIONER BINDING RECLAIM: the default class "standard". Either kind of volume
# here cannot grow, but the API server refuses to grow a claim of a class without allowVolumeExpansion; with
# it a grown claim is accepted and keeps its capacity, enough to deploy a larger dbStorageSize in place.
default_storage_class() {
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: $1
volumeBindingMode: $2
reclaimPolicy: $3
allowVolumeExpansion: true
EOF
}

# Storage: kubelet applies fsGroup to local volumes (not to hostPath ones), which the database's non-root UID
# needs; so the default class is a local one, with volumes made ahead of time on this machine.
node_storage() {
  local i
  mkdir -p "$NODE_DIR/volumes"
  {
    default_storage_class kubernetes.io/no-provisioner WaitForFirstConsumer Retain
    for ((i = 0; i < ${WEBSTACK_NODE_VOLUMES:-8}; i++)); do
      mkdir -p "$NODE_DIR/volumes/pv$i"
      cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $NODE_NAME-pv$i
  labels: {webstack.io/node: real}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: standard
  volumeMode: Filesystem
  local: {path: $NODE_DIR/volumes/pv$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}
EOF
    done
  } | kc apply -f - >&2
}

node_up() {
  node_paths
  node_preflight
  node_ensure_debs
  mkdir -p "$NODE_DIR" "$PID_DIR" "$LOG_DIR"
  printf '%s %s\n' "$CLUSTER_NAME" "$STATE_DIR" >"$NODE_LOCK"
  log "real node: network ($VETH $NODE_IP, pods $POD_CIDR on $BRIDGE, services $SERVICE_CIDR)"
  node_network_up
  log "real node: registry on $REGISTRY"
  node_registry_up
  node_images
  log "real node: containerd"
  node_containerd_up
}

node_join() { # after the control plane answers
  log "real node: kubelet ($NODE_NAME), kube-proxy, CoreDNS"
  node_kubelet_up
  KUBELET_DIED=0
  if ! wait_until "$TIMEOUT" "node $NODE_NAME to be Ready" node_ready || ((KUBELET_DIED)); then
    grep -E '^E[0-9]{4}' "$LOG_DIR/kubelet.log" | tail -8 >&2
    die "node $NODE_NAME did not become Ready (kubelet log: $LOG_DIR/kubelet.log)"
  fi
  node_proxy_up
  node_netpol_up
  node_dns_up
  wait_until 60 "cluster DNS on $NODE_IP" dns_answers || die "CoreDNS does not answer (log: $LOG_DIR/coredns.log)"
  node_storage
}

node_restart() { # node_restart containerd|kubelet: stop by recorded PID, start again with the same settings
  node_paths
  pid_alive "$1" || die "$1 is not running (scripts/cluster.sh up starts it)"
  case "$1" in
    containerd)
      stop_proc containerd 30
      PAUSE_IMAGE="$("$REPO_ROOT/scripts/images.sh" ref pause "$REGISTRY")"
      node_containerd_up
      ;;
    kubelet)
      stop_proc kubelet 30
      node_kubelet_up
      KUBELET_DIED=0
      wait_until "$TIMEOUT" "node $NODE_NAME to be Ready" node_ready && ((KUBELET_DIED == 0)) ||
        die "node $NODE_NAME did not become Ready after the restart (log: $LOG_DIR/kubelet.log)"
      ;;
    *) die "restart: give containerd or kubelet" ;;
  esac
  log "$1 restarted (pid $(cat "$PID_DIR/$1.pid"))"
}

# Unmounts everything mounted below DIR, deepest first.
unmount_below() {
  local dir="$1" m
  [[ -d "$dir" ]] || return 0
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done < <(awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
}

remove_cgroups() {
  local c
  for c in /sys/fs/cgroup/*/webstack; do
    [[ -d "$c" ]] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# Stops every container the node runs: through the API while kubelet lives (so CNI releases the addresses),
# then, for whatever is left, every process the kernel lists in the node's own cgroup (kubelet's cgroupRoot
# /webstack): containers outlive their shims, and nothing else runs there.
node_drain() {
  local f pid
  if pid_alive kubelet && api_ready; then
    kc delete daemonsets,deployments,statefulsets,replicasets,jobs,cronjobs --all -A --wait=false >/dev/null 2>&1 || true
    kc delete pods --all -A --grace-period=5 --wait=false >/dev/null 2>&1 || true
    wait_until 120 "the node's pods to stop" no_pods_left || log "pods still present: stopping their containers directly"
  fi
  for f in "$NODE_DIR"/containerd/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
  done
  kill_cgroup_tasks
}

kill_cgroup_tasks() {
  local f pid
  for _ in 1 2 3; do
    for f in /sys/fs/cgroup/*/webstack/kubepods/tasks /sys/fs/cgroup/*/webstack/kubepods/*/tasks \
      /sys/fs/cgroup/*/webstack/kubepods/*/*/tasks /sys/fs/cgroup/*/webstack/kubepods/*/*/*/tasks; do
      [[ -f "$f" ]] || continue
      while read -r pid; do
        kill -KILL "$pid" 2>/dev/null || true
      done <"$f"
    done
    [[ -z "$(cat /sys/fs/cgroup/*/webstack/kubepods/*/*/*/tasks 2>/dev/null)" ]] && break
    sleep 1
  done
}

no_pods_left() {
  [[ -z "$(kc get pods -A --field-selector "spec.nodeName=$NODE_NAME" -o name 2>/dev/null)" ]]
}

node_down() {
  node_paths
  [[ -d "$NODE_DIR" ]] || [[ -f "$NODE_LOCK" ]] || return 0
  if [[ -f "$NODE_LOCK" && "$(cat "$NODE_LOCK")" != "$CLUSTER_NAME $STATE_DIR" ]]; then
    log "the real node here belongs to '$(cut -d' ' -f1 "$NODE_LOCK")' (state in $(cut -d' ' -f2- "$NODE_LOCK")): leaving it"
    return 0
  fi
  log "real node: stopping pods, kubelet, kube-proxy, CoreDNS, containerd, registry"
  node_drain
  stop_proc coredns
  stop_proc kube-proxy
  stop_proc kube-router
  stop_proc kubelet 30
  [[ -x "${CLUSTER_BIN:-}/kube-proxy" ]] && "$CLUSTER_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  stop_proc containerd 30
  stop_proc registry
  kill_cgroup_tasks
  unmount_below "$NODE_DIR"
  remove_cgroups
  node_network_down
  rm -rf "$NODE_DIR" "$PID_DIR"
  rm -f "$NODE_LOCK"
  rmdir "$NODE_RUN" 2>/dev/null || true
}
