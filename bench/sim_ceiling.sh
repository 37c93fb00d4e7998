#!/bin/bash
# sim_ceiling.sh — the send-path ceiling and the simulator's own throughput,
# measured in one run: bench/sendto_loop (a plain raw-socket sendto loop of
# prober-shaped UDP probes) sends into bt-sim's TUN device for a few seconds
# inside a namespace this script creates; bt-sim answers what it can read.
#
#   bench/sim_ceiling.sh [-t SECONDS] [-b BUILDDIR] [-- BT-SIM MODEL OPTIONS]
#
# Prints: sendto pps (the ceiling the prober's rate is reported against, see
# design.md), bt-sim packets read and replies written per second, and what the
# TUN device dropped because bt-sim fell behind. With 2+ cores the sender and
# bt-sim are pinned to different cores (taskset), as the prober and the
# simulator would be. Needs root; run from anywhere.
#
# Safety: packets exist only in namespace btceil<pid>, removed by the trap;
# its only route beyond lo is 198.18.0.0/15 into the TUN device.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECS=5
BUILD=$HERE/../build-sim
while (($#)); do
    case $1 in
    -t) SECS=$2; shift 2 ;;
    -b) BUILD=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-t SECONDS] [-b BUILDDIR] [-- BT-SIM OPTIONS]" >&2; exit 2 ;;
    esac
done
SIM=$BUILD/tests/sim/bt-sim
SENDER=$BUILD/tests/sim/sendto_loop
[[ -x $SIM && -x $SENDER ]] || { echo "$0: build first: ninja -C $BUILD" >&2; exit 2; }
((EUID == 0)) || { echo "$0: needs root (namespace, TUN, raw socket)" >&2; exit 2; }

NS=btceil$$
LOG=$(mktemp /tmp/btceil.XXXXXX)
SIM_PID=
cleanup() {
    [[ -n $SIM_PID ]] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PIN_SIM=() PIN_SEND=()
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    PIN_SIM=(taskset -c 1) PIN_SEND=(taskset -c 0)
fi

ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$NS" "${PIN_SIM[@]}" "$SIM" serve --tun bts0 "$@" 2>"$LOG" &
SIM_PID=$!
for _ in $(seq 100); do ip -n "$NS" link show bts0 >/dev/null 2>&1 && break; sleep 0.05; done
ip -n "$NS" addr add 198.51.100.1/32 dev bts0
ip -n "$NS" link set bts0 txqueuelen 10000
ip -n "$NS" link set bts0 up
ip -n "$NS" route add 198.18.0.0/15 dev bts0 src 198.51.100.1

# counters: ask bt-sim, then read "in N, replies M" from its last line.
counters() {
    local before
    before=$(grep -c ': in ' "$LOG" || true)
    kill -USR2 "$SIM_PID"
    for _ in $(seq 100); do
        (($(grep -c ': in ' "$LOG" || true) > before)) && break
        sleep 0.02
    done
    grep ': in ' "$LOG" | tail -1 | sed -E 's/.*: in ([0-9]+), replies ([0-9]+).*/\1 \2/'
}
tx_dropped() {
    ip -n "$NS" -s link show bts0 | awk '/TX:/ { getline; print $4 }'
}

read -r in0 out0 <<<"$(counters)"
drop0=$(tx_dropped)
t0=$(date +%s.%N)
RES=$(ip netns exec "$NS" "${PIN_SEND[@]}" "$SENDER" -t "$SECS")
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
