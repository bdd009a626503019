#!/usr/bin/env bash
# A small cluster simulated on one machine (as root): N network namespaces, each a "machine" with its own
# address and host name on a bridge of its own, links shaped by tc, and ch09-trainer launched across them
# by Open MPI over TCP. Everything is removed on exit, also on failure and on Ctrl-C.
#
#   Tools/cluster-sim.sh N [--bandwidth RATE] -- TRAIN-OPTIONS...       ch09-trainer train on N machines
#   Tools/cluster-sim.sh N [--bandwidth RATE] --all-reduce -- OPTIONS   the all-reduce benchmark instead
#   --ring: Open MPI's ring all-reduce, the algorithm chapter 10 models (by default Open MPI picks one by
#   size and rank count: for 3 ranks not a ring)
#
# N is 2 to 4. RATE is tc's (1gbit, 10gbit, 500mbit; default: unshaped), applied to each machine's link in
# both directions with a token bucket (tbf). There is no latency option: this kernel has no netem.
# The machines are namespaces dinosim<PID>-1 … -N (10.77.0.1 … 10.77.0.N/24, host names sim1 … simN) and
# dinosim<PID>-switch (the bridge); no address outside them and no default route, so nothing leaves them.
# mpirun runs on machine 1 and starts the other ranks through this script's agent mode, which enters the
# machine's namespace and host name (unshare --uts): Open MPI's ssh replaced by `ip netns exec`.
# Rank r runs on machine r + 1. The ranks share the machine's 2 cores: pass --threads 1 for N = 2.
set -euo pipefail

# Agent mode, as Open MPI calls its rsh agent: `cluster-sim.sh --agent TAG [options] HOST COMMAND...`.
if [ "${1:-}" = "--agent" ]; then
  tag=$2; shift 2
  while [[ "${1:-}" == -* ]]; do shift; done
  host=$1; shift
  machine=${host##*.}
  exec ip netns exec "$tag-$machine" unshare --uts bash -c "hostname sim$machine; $*"
fi

usage() { echo "usage: Tools/cluster-sim.sh N [--bandwidth RATE] [--ring] [--all-reduce] -- OPTIONS..." >&2; exit 2; }
[ $# -ge 1 ] || usage
machines=$1; shift
[[ "$machines" =~ ^[2-4]$ ]] || { echo "cluster-sim: N must be 2, 3 or 4 machines, got '$machines'" >&2; exit 2; }
bandwidth="" program=train ring=()
while [ $# -gt 0 ]; do
  case $1 in
    --bandwidth) [ $# -ge 2 ] || usage; bandwidth=$2; shift 2 ;;
    --all-reduce) program=all-reduce; shift ;;
    --ring) ring=(--mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm 4); shift ;;
    --delay|--latency) echo "cluster-sim: $1 is not offered: this kernel has no netem qdisc, so tc cannot add latency" >&2; exit 2 ;;
    --) shift; break ;;
    *) echo "cluster-sim: unknown option '$1'" >&2; usage ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "cluster-sim: network namespaces need root (run it with sudo)" >&2; exit 1; }
for tool in ip tc unshare mpirun; do
  command -v $tool >/dev/null || { echo "cluster-sim: $tool is not installed (Tools/install-deps.sh installs iproute2 and openmpi-bin)" >&2; exit 1; }
done
if [ -n "$bandwidth" ] && ! [[ "$bandwidth" =~ ^[0-9]+(\.[0-9]+)?(bit|kbit|mbit|gbit)$ ]]; then
  echo "cluster-sim: --bandwidth takes a rate such as 1gbit, 10gbit or 500mbit, got '$bandwidth'" >&2; exit 2
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
case $program in
  train) product=ch09-trainer; arguments=(train) ;;
  all-reduce) product=all-reduce-benchmark; arguments=() ;;
esac
# DINO_CLUSTER_BINARY names a built executable to run instead (the tests' debug build); else the release build.
binary="${DINO_CLUSTER_BINARY:-$root/.build/release/$product}"
if [ -n "${DINO_CLUSTER_BINARY:-}" ]; then
  [ -x "$binary" ] || { echo "cluster-sim: DINO_CLUSTER_BINARY=$binary is not an executable" >&2; exit 1; }
else
  (cd "$root" && swift build -c release --product "$product" >"${TMPDIR:-/tmp}/cluster-sim-build.log" 2>&1) \
    || { cat "${TMPDIR:-/tmp}/cluster-sim-build.log" >&2; echo "cluster-sim: building $product failed" >&2; exit 1; }
fi

tag="dinosim$$"
switch="$tag-switch"
work=$(mktemp -d "${TMPDIR:-/tmp}/$tag.XXXX")
mpirun_pid=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$mpirun_pid" ] && kill -0 "$mpirun_pid" 2>/dev/null; then
    kill -TERM -- "-$mpirun_pid" 2>/dev/null || kill -TERM "$mpirun_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$mpirun_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$mpirun_pid" 2>/dev/null || true
  fi
  # Every process still inside a machine (an orphaned rank or daemon) goes before its namespace.
  for machine in $(seq "$machines"); do
    pids=$(ip netns pids "$tag-$machine" 2>/dev/null || true)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
  done
  # Deleting a namespace deletes its links, their qdiscs and, in the switch, the bridge.
  for namespace in $(seq "$machines" | sed "s/^/$tag-/") "$switch"; do
    ip netns del "$namespace" 2>/dev/null || true
  done
  rm -rf "$work"
  left=$(ip netns list | grep -c "^$tag-" || true)
  [ "$left" -eq 0 ] || echo "cluster-sim: $left namespaces of $tag could not be removed" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$switch"
ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up
: >"$work/hostfile"
for machine in $(seq "$machines"); do
  namespace="$tag-$machine"
  ip netns add "$namespace"
  ip link add eth0 netns "$namespace" type veth peer name "port$machine" netns "$switch"
  ip -n "$namespace" addr add "10.77.0.$machine/24" dev eth0
  ip -n "$namespace" link set lo up
  ip -n "$namespace" link set eth0 up
  ip -n "$switch" link set "port$machine" master br0
  ip -n "$switch" link set "port$machine" up
  if [ -n "$bandwidth" ]; then
    # Both directions of the machine's link: what it sends (eth0) and what the switch sends it (its port).
    tc -n "$namespace" qdisc add dev eth0 root tbf rate "$bandwidth" burst 1mb latency 50ms
    tc -n "$switch" qdisc add dev "port$machine" root tbf rate "$bandwidth" burst 1mb latency 50ms
  fi
  echo "10.77.0.$machine slots=1" >>"$work/hostfile"
done
echo "cluster-sim: $machines machines (10.77.0.1-$machines), links ${bandwidth:-unshaped}; namespaces $tag-*" >&2

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun --hostfile "$work/hostfile" -np "$machines" --map-by node --bind-to none
     --mca plm_rsh_agent "$root/Tools/cluster-sim.sh --agent $tag" --mca plm_rsh_no_tree_spawn 1
     --mca pml ob1 --mca btl tcp,self --mca osc '^ucx' --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24
     -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM "${ring[@]}")
# What the ranks should see of this environment (mpirun passes only what -x names).
for variable in DINO_KERNELS OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS DINO_COMMUNICATION_DEADLINE; do
  [ -n "${!variable:-}" ] && mpi+=(-x "$variable")
done
mpi+=("$binary" "${arguments[@]}" "$@")
# mpirun in its own process group, so that cleanup can stop it and everything it started.
setsid ip netns exec "$tag-1" unshare --uts bash -c "hostname sim1; cd '$PWD' && exec \"\$@\"" -- "${mpi[@]}" &
mpirun_pid=$!
# mpirun waits for every machine's daemon to confirm the end of the job; one behind a cut link never does,
# and TCP would keep it waiting for many minutes after the ranks themselves stopped (the communication
# deadline, CollectiveDeadline). So: once ranks ran on machine 1 and none is left there, mpirun gets 20 s.
real_binary=$(readlink -f "$binary")
ranks_on_machine_one() {
  for pid in $(ip netns pids "$tag-1" 2>/dev/null); do
    [ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" = "$real_binary" ] && return 0
  done
  return 1
}
seen=false lingering=0
while kill -0 "$mpirun_pid" 2>/dev/null; do
  sleep 1
  if ranks_on_machine_one; then
    seen=true lingering=0
  elif $seen; then
    lingering=$((lingering + 1))
    if [ "$lingering" -ge 20 ]; then
      echo "cluster-sim: the ranks on machine 1 have ended, but mpirun still waits for another machine (its link is down?): stopping it" >&2
      exit 1
    fi
  fi
done
wait "$mpirun_pid"
