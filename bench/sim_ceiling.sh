#!/bin/bash
# sim_ceiling.sh — the send-path ceiling and the simulator's own throughput,
# measured in one run: bench/sendto_loop (a plain raw-socket sendto loop of
# prober-shaped UDP probes) sends into bt-sim's TUN device for a few seconds
# inside a namespace this script creates; bt-sim answers what it can read.
#
#   bench/sim_ceiling.sh [-6] [-t SECONDS] [-b BUILDDIR] [-- BT-SIM MODEL OPTIONS]
#
# -6: the same over IPv6 (sendto_loop -6: IPv6 + UDP probes to the targets'
# IPv6 twins in 2001:db8::/32, doc/sim.md).
#
# Prints: sendto pps (the ceiling the prober's rate is reported against, see
# design.md), bt-sim packets read and replies written per second, and what the
# TUN device dropped because bt-sim fell behind. With 2+ cores the sender and
# bt-sim are pinned to different cores (taskset), as the prober and the
# simulator would be. Needs root; run from anywhere.
#
# Safety: packets exist only in namespace btceil<pid>, removed by the trap;
# its only routes beyond lo are 198.18.0.0/15 and 2001:db8::/32 into the TUN
# device.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECS=5
BUILD=$HERE/../build-sim
FAM=()
while (($#)); do
    case $1 in
    -6) FAM=(-6); shift ;;
    -t) SECS=$2; shift 2 ;;
    -b) BUILD=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-6] [-t SECONDS] [-b BUILDDIR] [-- BT-SIM OPTIONS]" >&2; exit 2 ;;
    esac
done
SIM=$BUILD/tests/sim/bt-sim
SENDER=$BUILD/tests/sim/sendto_loop
[[ -x $SIM && -x $SENDER ]] || { echo "$0: build first: ninja -C $BUILD" >&2; exit 2; }
((EUID == 0)) || { echo "$0: needs root (namespace, TUN, raw socket)" >&2; exit 2; }

NS=btceil$$
LOG=$(mktemp /tmp/btceil.XXXXXX)
. "$(dirname "${BASH_SOURCE[0]}")/sim_ns.sh"
cleanup() {
    sim_ns_down "$NS"
    rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sim_ns_up "$NS" "$LOG" "$@"

# counters: ask bt-sim, then read "in N, replies M" from its last line.
counters() {
    sim_ns_counters "$LOG" | sed -E 's/.*: in ([0-9]+), replies ([0-9]+).*/\1 \2/'
}
tx_dropped() {
    ip -n "$NS" -s link show bts0 | awk '/TX:/ { getline; print $4 }'
}

read -r in0 out0 <<<"$(counters)"
drop0=$(tx_dropped)
t0=$(date +%s.%N)
RES=$(ip netns exec "$NS" "${PIN_SEND[@]}" "$SENDER" "${FAM[@]}" -t "$SECS")
t1=$(date +%s.%N)
sleep 0.2 # let bt-sim drain what is queued
read -r in1 out1 <<<"$(counters)"
drop1=$(tx_dropped)

echo "$RES"
awk -v i="$((in1 - in0))" -v o="$((out1 - out0))" -v d="$((drop1 - drop0))" -v a="$t0" -v b="$t1" \
    -v pin="${PIN_SIM[*]:-unpinned}" 'BEGIN {
    s = b - a
    printf "bt-sim: read %d (%.0f pps), replied %d (%.0f pps); TUN dropped %d (bt-sim behind); %s\n",
        i, i / s, o, o / s, d, pin
}'
grep ': in ' "$LOG" | tail -1
