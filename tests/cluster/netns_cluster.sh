#!/usr/bin/env bash
# Many hosts in one box: network namespaces as hosts, joined by a bridge, each link shaped with tc.
#
#   netns_cluster.sh start DIR --nodes N [--rate RATE] [--delay MS] [--loss PCT] [--slots S] [--prefix P]
#   netns_cluster.sh stop DIR                  remove everything `start DIR` made (by name)
#   netns_cluster.sh shape DIR NODE RATE       change one host's link rate (both directions)
#   netns_cluster.sh link DIR NODE down|up     pull / plug one host's cable (at the switch)
#   netns_cluster.sh kill DIR NODE             SIGKILL every process running on one host
#   netns_cluster.sh exec DIR NODE CMD...      run CMD on a host (its network and hostname)
#   netns_cluster.sh check                     exit 0 when hosts can be made here, else say why (exit 77)
#
# The cluster: hosts P1..PN (P defaults to "tnode"), each a network namespace of that name whose
# processes run in a UTS namespace with that hostname; eth0 at 10.211.0.K/24 is one end of a veth
# whose other end is port pK of bridge br0 in a switch namespace "P-sw". Nothing is added to the
# root namespace: no interface, route or /etc/hosts line (names resolve through
# /etc/netns/PK/hosts, which `ip netns exec` mounts over /etc/hosts inside the host).
# Each link is shaped in both directions (the host's eth0 egress and the switch port's egress): a tbf
# qdisc for the rate, so RATE is the host's full-duplex speed (tc's syntax: 100mbit, 1gbit; "none"
# leaves it unshaped), and an nftables rule dropping LOSS_PCT of the packets at random (counted).
# DELAY is one-way between two hosts: the switch holds every packet that long (delay_queue, an
# NFQUEUE program; sch_netem is not in every kernel). Lossy or delayed links carry no GSO
# super-packets, so loss and delay act per wire packet.
#
# `start` writes:
#   DIR/hostfile  one line per host: "PK slots=S" (S defaults to 2)
#   DIR/env       export TANGO_MPIRUN (mpirun run on host 1) and TANGO_MPIRUN_ARGS (the rsh agent,
#                 TCP between hosts on eth0, shared memory within a host), so that after
#                 `source DIR/env`, `launch/tango-run -np K --hostfile DIR/hostfile -- PROG ARGS`
#                 runs PROG across the hosts
#   DIR/on        `DIR/on NODE CMD...` runs CMD on NODE (what `exec` does)
#   DIR/rsh-agent OpenMPI's plm_rsh_agent: `rsh-agent NODE COMMAND-STRING` (daemon output: DIR/log/)
#   DIR/state     the names, for stop/shape/link
# Needs root, `ip`, `tc` and `unshare` (iproute2, util-linux). `stop` is safe to run twice and after
# a failed start.
set -euo pipefail

prog=netns_cluster
subnet=10.211.0
log() { echo "$prog: $*" >&2; }
die() {
  log "$*"
  exit 1
}
usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
}

# Why hosts cannot be made here (empty when they can).
why_not() {
  [[ $(id -u) -eq 0 ]] || {
    echo "needs root (network namespaces)"
    return
  }
  local t
  for t in ip tc nft unshare; do
    command -v "$t" >/dev/null 2>&1 || {
      echo "'$t' not found: scripts/install-deps.sh installs iproute2, nftables and util-linux"
      return
    }
  done
  local probe="tango-probe-$$"
  if ! ip netns add "$probe" 2>/dev/null; then
    echo "cannot create a network namespace ('ip netns add' failed)"
    return
  fi
  local ok=1
  ip -n "$probe" link add v0 type veth peer name v1 2>/dev/null || ok=0
  if [[ $ok -eq 1 ]]; then
    ip -n "$probe" link set v0 up 2>/dev/null || ok=0
    tc -n "$probe" qdisc add dev v0 root handle 1: tbf rate 1gbit burst 64k latency 50ms 2>/dev/null || ok=0
    printf 'table netdev probe {\n  chain egress { type filter hook egress device "v0" priority 0; numgen random mod 100 < 1 drop; }\n}\n' |
      ip netns exec "$probe" nft -f - 2>/dev/null || ok=0
  fi
  ip netns del "$probe" 2>/dev/null || true
  [[ $ok -eq 1 ]] || echo "cannot make veth links, tc tbf qdiscs or nftables netdev egress rules in a namespace (kernel: veth, sch_tbf, nf_tables)"
  unshare --uts true 2>/dev/null || echo "cannot create a UTS namespace (unshare --uts)"
}

# Bits per second of a tc rate ("100mbit", "1gbit", "500kbit", "2000000bit").
rate_bits() {
  local r="$1" n unit
  [[ "$r" =~ ^([0-9]+)([kmg]?)bit$ ]] || return 1
  n="${BASH_REMATCH[1]}"
  unit="${BASH_REMATCH[2]}"
  case "$unit" in
    k) echo $((n * 1000)) ;;
    m) echo $((n * 1000000)) ;;
    g) echo $((n * 1000000000)) ;;
    *) echo "$n" ;;
  esac
}

valid_rate() { [[ "$1" == none ]] || rate_bits "$1" >/dev/null; }

# shape_dev NS DEV RATE DELAY_MS LOSS_PCT: the egress of DEV in namespace NS. Rate: a tbf qdisc at the
# root. Loss: an nftables netdev egress rule dropping that share of packets at random, with a counter.
# (The delay is the switch's: start_delay.)
shape_dev() {
  local ns="$1" dev="$2" rate="$3" delay="$4" loss="$5"
  tc -n "$ns" qdisc del dev "$dev" root 2>/dev/null || true
  if [[ "$rate" != none ]]; then
    # The bucket holds 4 timer ticks of traffic (at least 64 KiB, so a GSO packet fits) and the
    # queue 50 ms of it: a switch port's buffer.
    local bits burst
    bits=$(rate_bits "$rate")
    burst=$((bits / 8 / 250 * 4))
    [[ $burst -ge 65536 ]] || burst=65536
    tc -n "$ns" qdisc add dev "$dev" root handle 1: tbf rate "$rate" burst "$burst" latency 50ms
  fi
  # Loss and delay act per wire packet: no 64 KiB GSO super-packets on a lossy or delayed link.
  if [[ "$loss" != 0 || "$delay" != 0 ]]; then
    ip -n "$ns" link set dev "$dev" gso_max_segs 1 gso_max_size 1500
  else
    ip -n "$ns" link set dev "$dev" gso_max_segs 65535 gso_max_size 65536
  fi
  local table="tango_${dev}"
  ip netns exec "$ns" nft delete table netdev "$table" 2>/dev/null || true
  if [[ "$loss" != 0 ]]; then
    local rules=""
    if [[ "$loss" != 0 ]]; then
      # Per 100000 packets; LOSS_PCT may have up to 3 decimals.
      local per100k
      per100k=$(awk -v p="$loss" 'BEGIN { printf "%d", p * 1000 + 0.5 }')
      rules+="numgen random mod 100000 < ${per100k} counter drop; "
    fi
    printf 'table netdev %s {\n  chain egress { type filter hook egress device "%s" priority 0; %s}\n}\n' \
      "$table" "$dev" "$rules" | ip netns exec "$ns" nft -f -
  fi
}

# start_delay SWITCH_NS DELAY_MS DIR: every packet crossing the bridge waits DELAY_MS in delay_queue
# (tests/cluster/delay_queue.c, NFQUEUE): this kernel may lack sch_netem, and a queue in the sending
# host would throttle TCP (a held packet still counts against its socket), so the switch holds them.
start_delay() {
  local sw="$1" delay="$2" dir="$3" bin
  bin="${TANGO_DELAY_QUEUE:-$(command -v delay_queue || true)}"
  [[ -n "$bin" && -x "$bin" ]] ||
    die "--delay needs delay_queue (built as build/tests/cluster/delay_queue by make build): set TANGO_DELAY_QUEUE to it"
  command -v iptables >/dev/null 2>&1 || die "--delay needs iptables (scripts/install-deps.sh installs it)"
  ip netns exec "$sw" sysctl -q -w net.bridge.bridge-nf-call-iptables=1 >/dev/null
  ip netns exec "$sw" iptables -t mangle -A FORWARD -j NFQUEUE --queue-num 0 --queue-bypass
  local ms
  ms=$(awk -v d="$delay" 'BEGIN { printf "%d", d + 0.5 }')
  ip netns exec "$sw" "$bin" --queue 0 --delay-ms "$ms" </dev/null >>"$dir/log/delay_queue.log" 2>&1 &
  echo $! >"$dir/delay.pid"
}

load_state() {
  local dir="$1"
  [[ -f "$dir/state" ]] || die "$dir/state not found: was '$0 start $dir' run?"
  # shellcheck disable=SC1091
  source "$dir/state"
}

# The host number of NODE (a name PK or a number K).
node_index() {
  local node="$1"
  if [[ "$node" =~ ^[0-9]+$ ]]; then
    echo "$node"
  elif [[ "$node" == "$prefix"* && "${node#"$prefix"}" =~ ^[0-9]+$ ]]; then
    echo "${node#"$prefix"}"
  else
    die "unknown host '$node': the hosts are ${prefix}1..${prefix}${nodes}"
  fi
}

check_index() {
  [[ "$1" -ge 1 && "$1" -le "$nodes" ]] || die "host number $1 out of range: the hosts are ${prefix}1..${prefix}${nodes}"
}

write_helpers() {
  local dir="$1"
  # on NODE CMD...: the node's network namespace, a UTS namespace with its hostname, CMD.
  cat >"$dir/on" <<'EOF'
#!/usr/bin/env bash
# on NODE CMD...: run CMD on an emulated host (generated by tests/cluster/netns_cluster.sh).
set -eu
node="$1"
shift
exec ip netns exec "$node" unshare --uts -- /bin/sh -c 'hostname "$0" && exec "$@"' "$node" "$@"
EOF
  # OpenMPI's launch agent: called as `rsh-agent NODE COMMAND-STRING` (what ssh would run there).
  # The daemon's own output goes to DIR/log/NODE.log, not to mpirun's terminal: a daemon on another
  # host holds no file of the launching shell (ranks' output still reaches mpirun over TCP).
  mkdir -p "$dir/log"
  cat >"$dir/rsh-agent" <<EOF
#!/usr/bin/env bash
# OpenMPI plm_rsh_agent for the emulated hosts (generated by tests/cluster/netns_cluster.sh).
set -eu
node="\$1"
shift
exec "$dir/on" "\$node" /bin/sh -c "\$*" </dev/null >>"$dir/log/\$node.log" 2>&1
EOF
  cat >"$dir/mpirun" <<EOF
#!/usr/bin/env bash
# mpirun started on the first emulated host (generated by tests/cluster/netns_cluster.sh).
exec "$dir/on" "${prefix}1" "\${TANGO_CLUSTER_REAL_MPIRUN:-mpirun}" "\$@"
EOF
  chmod +x "$dir/on" "$dir/rsh-agent" "$dir/mpirun"
}

start_cluster() {
  local dir="" n="" rate=none delay=0 loss=0 slots=2
  prefix=tnode
  dir="$1"
  shift
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --nodes) n="$2"; shift 2 ;;
      --rate) rate="$2"; shift 2 ;;
      --delay) delay="$2"; shift 2 ;;
      --loss) loss="$2"; shift 2 ;;
      --slots) slots="$2"; shift 2 ;;
      --prefix) prefix="$2"; shift 2 ;;
      *) die "unknown option '$1' for start (see --help)" ;;
    esac
  done
  [[ "$n" =~ ^[1-9][0-9]*$ && "$n" -le 200 ]] || die "--nodes '$n' must be a whole number from 1 to 200"
  valid_rate "$rate" || die "--rate '$rate' is not a tc rate such as 100mbit or 1gbit (or none)"
  [[ "$delay" =~ ^[0-9]+$ ]] || die "--delay '$delay' must be whole milliseconds, e.g. 2"
  [[ "$loss" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--loss '$loss' must be a percentage, e.g. 1"
  [[ "$slots" =~ ^[1-9][0-9]*$ ]] || die "--slots '$slots' must be a positive whole number"
  [[ "$prefix" =~ ^[a-z][a-z0-9-]{0,11}$ ]] || die "--prefix '$prefix' must be 1-12 of [a-z0-9-], starting with a letter"
  local reason
  reason="$(why_not)"
  [[ -z "$reason" ]] || die "$reason"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [[ ! -f "$dir/state" ]] || die "$dir already holds a cluster: '$0 stop $dir' first"
  local k sw="${prefix}-sw"
  for k in $(seq 1 "$n") sw; do
    local ns="${prefix}${k}"
    [[ "$k" == sw ]] && ns="$sw"
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      die "network namespace '$ns' exists already (another cluster, or a leftover: 'ip netns del $ns'); pick another --prefix"
    fi
  done
  nodes="$n"
  # Written first: a failed start is undone by `stop`.
  cat >"$dir/state" <<EOF
prefix=$prefix
nodes=$n
rate=$rate
delay=$delay
loss=$loss
EOF
  ip netns add "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  : >"$dir/hostfile"
  local hosts="127.0.0.1 localhost"$'\n'
  for k in $(seq 1 "$n"); do
    hosts+="${subnet}.${k} ${prefix}${k}"$'\n'
  done
  for k in $(seq 1 "$n"); do
    local ns="${prefix}${k}"
    ip netns add "$ns"
    mkdir -p "/etc/netns/$ns"
    printf '%s' "$hosts" >"/etc/netns/$ns/hosts"
    ip -n "$ns" link set lo up
    ip -n "$ns" link add eth0 type veth peer name "p$k" netns "$sw"
    ip -n "$ns" addr add "${subnet}.${k}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$sw" link set "p$k" master br0
    ip -n "$sw" link set "p$k" up
    shape_dev "$ns" eth0 "$rate" "$delay" "$loss"
    shape_dev "$sw" "p$k" "$rate" "$delay" "$loss"
    echo "${ns} slots=${slots}" >>"$dir/hostfile"
  done
  write_helpers "$dir"
  [[ "$delay" == 0 ]] || start_delay "$sw" "$delay" "$dir"
  cat >"$dir/env" <<EOF
# Generated by tests/cluster/netns_cluster.sh: source it, then launch/tango-run --hostfile $dir/hostfile.
export TANGO_MPIRUN=$dir/mpirun
export TANGO_MPIRUN_ARGS="--mca plm_rsh_agent $dir/rsh-agent --mca plm_rsh_no_tree_spawn 1 --mca btl tcp,vader,self --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0"
export TANGO_CLUSTER_DIR=$dir
EOF
  # Every host answers every other one before we say it is up.
  for k in $(seq 2 "$n"); do
    local tries=0
    until ip netns exec "${prefix}1" ping -c 1 -W 1 "${subnet}.${k}" >/dev/null 2>&1; do
      tries=$((tries + 1))
      [[ $tries -lt 10 ]] || die "host ${prefix}${k} does not answer ping from ${prefix}1"
    done
  done
  log "up: $n hosts ${prefix}1..${prefix}${n} (rate $rate, delay ${delay} ms, loss ${loss}%); source $dir/env"
}

stop_cluster() {
  local dir="$1"
  [[ -f "$dir/state" ]] || return 0
  load_state "$dir"
  local k ns
  for k in $(seq 1 "$nodes") sw; do
    ns="${prefix}${k}"
    [[ "$k" == sw ]] && ns="${prefix}-sw"
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns"; then
      # Processes left on a host would keep its namespace alive: end them first.
      local pids
      pids="$(ip netns pids "$ns" 2>/dev/null || true)"
      if [[ -n "$pids" ]]; then
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
      fi
      ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
    fi
    [[ "$k" == sw ]] || rm -rf "/etc/netns/$ns"
  done
  rm -f "$dir/state" "$dir/env" "$dir/on" "$dir/rsh-agent" "$dir/mpirun" "$dir/hostfile" "$dir/delay.pid"
  rm -rf "$dir/log"
}

shape_node() {
  local dir="$1" node="$2" new_rate="$3"
  load_state "$dir"
  valid_rate "$new_rate" || die "rate '$new_rate' is not a tc rate such as 100mbit or 1gbit (or none)"
  local k
  k="$(node_index "$node")"
  check_index "$k"
  shape_dev "${prefix}${k}" eth0 "$new_rate" "$delay" "$loss"
  shape_dev "${prefix}-sw" "p$k" "$new_rate" "$delay" "$loss"
}

link_node() {
  local dir="$1" node="$2" what="$3"
  load_state "$dir"
  [[ "$what" == up || "$what" == down ]] || die "link state '$what' must be up or down"
  local k
  k="$(node_index "$node")"
  check_index "$k"
  ip -n "${prefix}-sw" link set "p$k" "$what"
}

kill_node() {
  local dir="$1" node="$2"
  load_state "$dir"
  local k pids
  k="$(node_index "$node")"
  check_index "$k"
  pids="$(ip netns pids "${prefix}${k}" 2>/dev/null || true)"
  if [[ -n "$pids" ]]; then
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
}

cmd="${1:-}"
case "$cmd" in
  -h | --help | "")
    usage
    [[ -n "$cmd" ]] || exit 2
    ;;
  check)
    reason="$(why_not)"
    if [[ -n "$reason" ]]; then
      echo "$reason"
      exit 77
    fi
    ;;
  start)
    [[ $# -ge 2 ]] || die "usage: $0 start DIR --nodes N [--rate RATE] [--delay MS] [--loss PCT]"
    shift
    start_cluster "$@"
    ;;
  stop)
    [[ $# -eq 2 ]] || die "usage: $0 stop DIR"
    stop_cluster "$2"
    ;;
  shape)
    [[ $# -eq 4 ]] || die "usage: $0 shape DIR NODE RATE"
    shape_node "$2" "$3" "$4"
    ;;
  link)
    [[ $# -eq 4 ]] || die "usage: $0 link DIR NODE down|up"
    link_node "$2" "$3" "$4"
    ;;
  kill)
    [[ $# -eq 3 ]] || die "usage: $0 kill DIR NODE"
    kill_node "$2" "$3"
    ;;
  exec)
    [[ $# -ge 4 ]] || die "usage: $0 exec DIR NODE CMD..."
    load_state "$2"
    k="$(node_index "$3")"
    check_index "$k"
    dir="$2"
    shift 3
    exec "$dir/on" "${prefix}${k}" "$@"
    ;;
  *)
    die "unknown command '$cmd' (start, stop, shape, link, kill, exec, check; see --help)"
    ;;
esac
