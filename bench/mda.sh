#!/bin/bash
# mda.sh — multipath mode (MDA) over every simulator target, against the
# simulator's truth over all ECMP branches and the sendto ceiling measured in
# the same run.
#
#   bench/mda.sh [-b BUILDDIR] [-t SECONDS] [-r RATE] [-- 'key = value' ...]
#
# One namespace with bt-sim serving the default model in phase 1 with
# --change-share 30 (30% of the moved /24's flows through AS20485, the rest
# through AS4837). Measured, in this order:
#   - the sendto ceiling (bench/sendto_loop, -t seconds, default 3);
#   - one campaign round in multipath mode (95%, minimum share 25%) over all
#     65,536 targets at RATE (default: unlimited), keys of the campaign
#     file overridable after --;
#   - the ceiling again (the higher of the two is the reference);
#   - one Paris flow and two flows (`trace --flows 2`) over the moved /24.
# Prints: probes per target against plain MDA's bound (the sum over the TTLs
# of n_k for the true number of interfaces k, even shares) and against the
# bound of the rule implemented (minimum share); the probing rate against the
# ceiling (target >= 0.8); interface and link recall against `bt-sim
# branches` (target >= 0.99 for interfaces); in how many of the moved /24's
# answering targets AS20485 is seen, for one flow, two flows and multipath.
# Needs root; run from anywhere.
#
# Safety: packets exist only in namespace btmda<pid>, removed by the trap; its
# only routes beyond lo are 198.18.0.0/15 and 2001:db8::/32 into the TUN
# device.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$HERE/../build
SECS=3
RATE=1000000
while (($#)); do
    case $1 in
    -b) BUILD=$2; shift 2 ;;
    -t) SECS=$2; shift 2 ;;
    -r) RATE=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-b BUILDDIR] [-t SECONDS] [-r RATE] [-- 'key = value' ...]" >&2; exit 2 ;;
    esac
done
EXTRA=("$@")
SIM=$BUILD/tests/sim/bt-sim
SENDER=$BUILD/tests/sim/sendto_loop
PROBER=$BUILD/prober/bordertrace-probe
SCORE=$HERE/../tests/sim/mda_score.py
for x in "$SIM" "$SENDER" "$PROBER"; do
    [[ -x $x ]] || { echo "$0: missing $x: build first (ninja -C $BUILD)" >&2; exit 2; }
done
((EUID == 0)) || { echo "$0: needs root (namespace, TUN, raw sockets)" >&2; exit 2; }

MODEL=(--change-share 30)
NS=btmda$$
T=$(mktemp -d /tmp/btmda.XXXXXX)
. "$HERE/sim_ns.sh"
cleanup() {
    sim_ns_down "$NS"
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sim_ns_up "$NS" "$T/sim.log" "${MODEL[@]}" --phase 1

ceiling() { ip netns exec "$NS" "${PIN_SEND[@]}" "$SENDER" -t "$SECS" | sed -E 's/.* pps ([0-9]+).*/\1/'; }
CEIL1=$(ceiling)
echo "sendto ceiling: $CEIL1 pps (bench/sendto_loop, ${SECS} s)"
sleep 1

python3 -c 'print("\n".join(f"198.18.{j}.{i}" for j in range(256) for i in range(256)))' >"$T/targets.txt"
N=$(wc -l <"$T/targets.txt")
declare -A SET=([method]='"icmp-paris"' [max_ttl]=20 [attempts]=2 [wait]=0.5 [gap_limit]=5
    [rate]=$RATE [window]=20 [active]=32768 [progress]=10 [multipath]=true [confidence]=95 [min_share]=25)
for kv in "${EXTRA[@]}"; do
    k=${kv%%=*} k=${k// /}
    SET[$k]=${kv#*=}
done
{
    echo 'name = "mda"; vp = "sim"; targets = "targets.txt"; lab = true; output = "out";'
    echo 'schedule = { interval = 1; rounds = 1; };'
    for k in "${!SET[@]}"; do echo "$k = ${SET[$k]};"; done
} >"$T/mda.campaign"
echo "campaign: $(grep -v '^name\|^schedule' "$T/mda.campaign" | sort | tr '\n' ' ')"
ip netns exec "$NS" "${PIN_SEND[@]}" "$PROBER" run "$T/mda.campaign" 2>"$T/run.log"
sleep 1
CEIL2=$(ceiling)
echo "sendto ceiling again: $CEIL2 pps"
CEIL=$((CEIL1 > CEIL2 ? CEIL1 : CEIL2))
SUMMARY=$(grep 'round .*: [0-9]* targets' "$T/run.log" | tail -1)
echo "prober: ${SUMMARY#*: round }"
ROUND=$(ls "$T/out/mda/sim/"*.jsonl)
PROBES=$(sed -E 's/.* ([0-9]+) probes, .*/\1/' <<<"$SUMMARY")
PROBING=$(sed -E 's/.*probing ([0-9.]+) s.*/\1/' <<<"$SUMMARY")

# the moved /24 with one flow and with two (trace --flows)
MOVED=$("$SIM" info "${MODEL[@]}" | awk -F'\t' '$1 == "moved prefix" { split($2, a, "/"); print a[1] }')
grep "^${MOVED%.0}\." "$T/targets.txt" >"$T/moved.txt"
for fl in 1 2; do
    ip netns exec "$NS" "$PROBER" trace --lab --flows $fl -r 20000 -m 20 -w 0.5 -q 2 -g 5 \
        -T "$T/moved.txt" -o "$T/moved.$fl.jsonl" 2>/dev/null
done

"$SIM" branches "${MODEL[@]}" --phase 1 >"$T/branches.tsv"
"$SIM" interfaces "${MODEL[@]}" >"$T/interfaces.tsv"
SC=(--branches "$T/branches.tsv" --interfaces "$T/interfaces.tsv" --moved "$MOVED")
python3 "$SCORE" "${SC[@]}" --label multipath "$ROUND" | tee "$T/score.txt"
grep "^${MOVED%.0}\." "$T/branches.tsv" >/dev/null
for fl in 1 2; do
    python3 "$SCORE" "${SC[@]}" --label "$fl flow(s)" "$T/moved.$fl.jsonl" | grep 'moved' | tee -a "$T/score.txt"
done

echo
echo "== multipath (MDA) round over $N simulator targets, confidence ${SET[confidence]}%, minimum share ${SET[min_share]}% =="
awk -v probes="$PROBES" -v secs="$PROBING" -v ceil="$CEIL" -v c1="$CEIL1" -v c2="$CEIL2" 'BEGIN {
    printf "probing rate          %8d probes/s   (%.2f of the sendto ceiling %d, the higher of %d before and %d after; target >= 0.8): %d probes over %.1f s of probing, every round of the stopping rule and its tail\n", probes / secs, probes / secs / ceil, ceil, c1, c2, probes, secs
}'
sed -n 's/^multipath: /                      /p' "$T/score.txt"
sed -n 's/^\([12] flow(s)\): moved/                      \1: moved/p' "$T/score.txt"
grep progress "$T/run.log" | tail -3 | sed "s/^/  /"
