#!/bin/bash
# campaign.sh — one campaign round over every target of the simulator
# (bt-sim, 65,536 targets behind a TUN device), against the send-path ceiling
# and scamper, in one run. Prints:
#   - the sendto ceiling (bench/sendto_loop, same namespace, same core),
#     measured before and after the round, the higher kept; with
#     send_path = "packet" among the settings, the packet-socket ceiling
#     (sendto_loop -P) too, twice after the round;
#   - the prober's sustained probes/s (steady state: until the last target is
#     taken up) and its ratio to the ceiling, and the whole round's average;
#   - the matched-reply share (replies the prober matched / replies bt-sim sent);
#   - hop accuracy against bt-sim's truth (tests/sim/score.py: right, or a gap
#     at a rate-limiting router), hops copied by split TTL scored apart;
#   - engine state bytes per target (the round summary's figure);
#   - scamper's time and hop accuracy for the same targets (-p 10000,
#     icmp-paris, flow 0), run without the ingress drop rule so that its
#     replies reach it through the kernel, and the ratio of the round times
#     only when both hop accuracies agree within 0.5 points.
#
#   bench/campaign.sh [-6] [-b BUILDDIR] [-t CEILING_SECONDS] [--no-scamper]
#                     [-- KEY=VALUE ...]   (extra campaign settings, e.g. 'split_ttl = 6')
#
# -6: the same over IPv6: the targets' IPv6 twins (198.18.J.I ->
# 2001:db8:18:J::I, doc/sim.md), the ceiling of an IPv6 raw sendto loop
# (sendto_loop -6), the IPv6 truth (the prober's flow label), scamper -6.
#
# Needs root. Safety: every packet stays in namespace btcb<pid>, removed by the
# trap; its only route beyond lo is 198.18.0.0/15 into bt-sim's TUN device,
# and the campaign says lab = true.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$HERE/../build
SECS=3
SCAMPER=1
FAM=4
while (($#)); do
    case $1 in
    -6) FAM=6; shift ;;
    -b) BUILD=$2; shift 2 ;;
    -t) SECS=$2; shift 2 ;;
    --no-scamper) SCAMPER=0; shift ;;
    --) shift; break ;;
    *) echo "usage: $0 [-6] [-b BUILDDIR] [-t SECONDS] [--no-scamper] [-- 'key = value' ...]" >&2; exit 2 ;;
    esac
done
EXTRA=("$@")
SIM=$BUILD/tests/sim/bt-sim
SENDER=$BUILD/tests/sim/sendto_loop
PROBER=$BUILD/prober/bordertrace-probe
SCORE=$HERE/../tests/sim/score.py
for x in "$SIM" "$SENDER" "$PROBER"; do
    [[ -x $x ]] || { echo "$0: missing $x: build first (ninja -C $BUILD)" >&2; exit 2; }
done
((EUID == 0)) || { echo "$0: needs root (namespace, TUN, raw sockets)" >&2; exit 2; }

NS=btcb$$
T=$(mktemp -d /tmp/btcb.XXXXXX)
. "$HERE/sim_ns.sh"
cleanup() {
    sim_ns_down "$NS"
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sim_ns_up "$NS" "$T/sim.log"

sim_counters() { # prints "replies tun_dropped" from bt-sim's next counters line
    sim_ns_counters "$T/sim.log" | sed -E 's/.* replies ([0-9]+) .*tun-dropped (-?[0-9]+).*/\1 \2/'
}

# 1. the ceiling
# (measured again after the prober's round; the higher of the two is used, so
# that a slow moment of a shared machine does not flatter the ratio)
SENDFAM=()
((FAM == 6)) && SENDFAM=(-6)
ceiling() { ip netns exec "$NS" "${PIN_SEND[@]}" "$SENDER" "${SENDFAM[@]}" -t "$SECS" | sed -E 's/.* pps ([0-9]+).*/\1/'; }
CEIL1=$(ceiling)
echo "sendto ceiling: $CEIL1 pps (bench/sendto_loop, ${SECS} s)"
sleep 1

# 2. one round over every target
if ((FAM == 6)); then
    python3 -c 'print("\n".join(f"2001:db8:18:{j}::{i}" for j in range(256) for i in range(256)))' >"$T/targets.txt"
else
    python3 -c 'print("\n".join(f"198.18.{j}.{i}" for j in range(256) for i in range(256)))' >"$T/targets.txt"
fi
N=$(wc -l <"$T/targets.txt")
# defaults, each replaced by an extra setting with the same key
declare -A SET=([method]='"icmp-paris"' [max_ttl]=20 [attempts]=2 [wait]=0.5 [gap_limit]=5
    [rate]=1000000 [window]=20 [active]=32768 [progress]=5)
for kv in "${EXTRA[@]}"; do
    k=${kv%%=*} k=${k// /}
    SET[$k]=${kv#*=}
done
{
    echo 'name = "bench"; vp = "sim"; targets = "targets.txt"; lab = true; output = "out";'
    echo 'schedule = { interval = 1; rounds = 1; };'
    for k in "${!SET[@]}"; do echo "$k = ${SET[$k]};"; done
} >"$T/bench.campaign"
echo "campaign: $(grep -v '^name\|^schedule' "$T/bench.campaign" | sort | tr '\n' ' ')"
read -r rep0 drop0 <<<"$(sim_counters)"
ip netns exec "$NS" "${PIN_SEND[@]}" ${PROBER_WRAP:-} /usr/bin/time -f 'maxrss_kb %M cpu %P user %U sys %S' \
    "$PROBER" run "$T/bench.campaign" 2>"$T/run.log"
read -r rep1 drop1 <<<"$(sim_counters)"
sleep 1
CEIL2=$(ceiling)
echo "sendto ceiling again: $CEIL2 pps"
CEIL=$((CEIL1 > CEIL2 ? CEIL1 : CEIL2))
# send_path = "packet": the packet-socket ceiling too (sendto_loop -P), after
# the round, twice; the prober's rate is printed against it as well
PCEIL=0
if [[ ${SET[send_path]:-} == *packet* ]]; then
    for _ in 1 2; do
        p=$(ip netns exec "$NS" "${PIN_SEND[@]}" "$SENDER" "${SENDFAM[@]}" -P -t "$SECS" | sed -E 's/.* pps ([0-9]+).*/\1/')
        echo "packet-socket ceiling: $p pps (bench/sendto_loop -P)"
        ((p > PCEIL)) && PCEIL=$p
    done
fi
SUMMARY=$(grep 'round .*: [0-9]* targets' "$T/run.log" | tail -1)
echo "prober: ${SUMMARY#*: round }"
ROUND=$(ls "$T/out/bench/sim/"*.jsonl)
PPS=$(sed -E 's/.* s, ([0-9]+) probes\/s, steady.*/\1/' <<<"$SUMMARY")
STEADY=$(sed -E 's/.*steady ([0-9]+) probes\/s over ([0-9.]+) s, probing ([0-9.]+) s.*/\1 \2 \3/' <<<"$SUMMARY")
SPOOL=$(sed -E 's/.*spool ([0-9.]+) MiB.*/\1/' <<<"$SUMMARY")
REPLIES=$(sed -E 's/.* ([0-9]+) replies,.*/\1/' <<<"$SUMMARY")
LATE=$(sed -E 's/.* ([0-9]+) late.*/\1/' <<<"$SUMMARY")
BPT=$(sed -E 's/.*engine state ([0-9.]+) B\/target.*/\1/' <<<"$SUMMARY")
RSS=$(sed -n 's/^maxrss_kb \([0-9]*\).*/\1/p' "$T/run.log")
CPU=$(sed -n 's/^maxrss_kb [0-9]* //p' "$T/run.log")

# 3. hop accuracy against the truth
if ((FAM == 6)); then
    "$SIM" truth --family 6 --method icmp-paris --flows 0 --src "$VP6" --targets "$T/targets.txt" >"$T/truth.tsv"
    "$SIM" interfaces --family 6 >"$T/interfaces.tsv"
else
    "$SIM" truth --method icmp-paris --flows 0 --src 198.51.100.1 --targets "$T/targets.txt" >"$T/truth.tsv"
    "$SIM" interfaces >"$T/interfaces.tsv"
fi
SCORED=$(python3 "$SCORE" hops --truth "$T/truth.tsv" --traces "$ROUND" --interfaces "$T/interfaces.tsv" \
    --allow-ratelimit --filled-apart 2>&1 | grep -E 'traces [0-9]+ \(missing' | tail -1) || true
echo "score: $SCORED"
grep progress "$T/run.log" | sed "s/^/  /"
echo "prober: $CPU (CPU share of one core over the whole run, user and system seconds)"

# 4. scamper on the same targets
SC_S=
FLOWS=$(tr -dc 0-9 <<<"${SET[flows]:-1}")
if ((SCAMPER && FLOWS > 1)); then
    echo "scamper: not run (it would trace one flow per target, the prober $FLOWS)"
    SCAMPER=0
fi
SC_ACC=
if ((SCAMPER)); then
    # An honest peer run (issue 19): scamper reads its replies through the
    # kernel, so the ingress drop rule that spares bt-sim's core goes first;
    # a fresh bt-sim (no router's ICMP budget carried over from our round).
    # -d 4096: its icmp-paris checksum is our flow 0's, so both are scored
    # against the same truth.
    sim_ns_down "$NS"
    NS=btcb$$-sc
    sim_ns_up "$NS" "$T/sim-sc.log"
    ip netns exec "$NS" nft delete table netdev btbench
    s0=$(date +%s.%N)
    ip netns exec "$NS" "${PIN_SEND[@]}" scamper -p 10000 -O warts -o "$T/sc.warts" \
        -c "trace -P icmp-paris -d 4096 -q 2 -w 1 -g 5 -m 20" -f "$T/targets.txt" 2>"$T/sc.log" || true
    s1=$(date +%s.%N)
    SC_S=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.1f", b - a }')
    sc_warts2json "$T/sc.warts" | grep '"type":"trace"' >"$T/sc.json" || true
    cp "$T/truth.tsv" "$T/sc-truth.tsv"
    if ((FAM == 6)); then # scamper sends flow label 0 (sim_ns_sysctl), ours 0x10000 + flow
        "$SIM" truth --family 6 --flowlabel 0 --method icmp-paris --flows 0 --src "$VP6" \
            --targets "$T/targets.txt" >"$T/sc-truth.tsv"
    fi
    SC_SCORED=$(python3 "$SCORE" hops --scamper --truth "$T/sc-truth.tsv" --traces "$T/sc.json" \
        --interfaces "$T/interfaces.tsv" --allow-ratelimit 2>&1 | grep -E 'traces [0-9]+ \(missing' | tail -1) || true
    echo "scamper score: $SC_SCORED"
    SC_ACC=$(awk '{ match($0, /hops [0-9]+\/[0-9]+/); split(substr($0, RSTART + 5, RLENGTH - 5), h, "/")
        match($0, /[0-9]+ gaps explained/); x = substr($0, RSTART, RLENGTH) + 0
        if (h[2] > 0) printf "%.2f %.2f", 100 * (h[1] + x) / h[2], 100 * h[1] / h[2] }' <<<"$SC_SCORED")
fi

echo
echo "== campaign round over $N simulator IPv$FAM targets x $FLOWS flow(s) = $((N * FLOWS)) traces (${SET[method]//\"/}) =="
awk -v pps="$PPS" -v ceil="$CEIL" -v rep="$REPLIES" -v srep="$((rep1 - rep0))" \
    -v drop="$((drop1 - drop0))" -v bpt="$BPT" -v rss="$RSS" -v sc="$SC_S" -v n="$N" -v flows="$FLOWS" \
    -v sum="$SUMMARY" -v score="$SCORED" -v scacc="$SC_ACC" -v late="$LATE" -v steady="$STEADY" -v spool="$SPOOL" -v c1="$CEIL1" -v c2="$CEIL2" -v pceil="$PCEIL" 'BEGIN {
    split(steady, st, " ")
    match(sum, / ([0-9.]+) s, /); secs = substr(sum, RSTART + 1, RLENGTH - 4)
    match(score, /hops [0-9]+\/[0-9]+/); split(substr(score, RSTART + 5, RLENGTH - 5), hr, "/")
    match(score, /[0-9]+ gaps explained/); expl = substr(score, RSTART, RLENGTH) + 0
    acc = 100 * (hr[1] + expl) / hr[2]; right = 100 * hr[1] / hr[2]
    printf "sustained rate        %8d probes/s   (%.2f of the sendto ceiling %d, the higher of %d before and %d after; target >= 0.8): steady state, the first %.1f s of %.1f s of probing, until the last target was taken up\n", st[1], st[1] / ceil, ceil, c1, c2, st[2], st[3]
    if (pceil > 0)
        printf "                                         (%.2f of the packet-socket ceiling %d, the higher of two after the round)\n", st[1] / pceil, pceil
    printf "round average         %8d probes/s   (%.2f of the ceiling): all probes over the whole round, with the last targets draining and the traces built from the spool\n", pps, pps / ceil
    printf "matched-reply share   %8.2f %%        (%d used + %d late (trace over) of %d bt-sim replies; TUN dropped %d probes)\n", 100 * (rep + late) / srep, rep, late, srep, drop
    printf "hop accuracy          %8.2f %%        (right, or a gap at a rate-limiting router; target >= 99.5; right alone %.2f %%)\n", acc, right
    if (match(score, /filled [0-9]+\/[0-9]+/)) {
        split(substr(score, RSTART + 7, RLENGTH - 7), fl, "/")
        if (fl[2] > 0)
            printf "filled hops           %8.2f %%        (split TTL: %d hops copied from another trace, not probed and not in the figure above; %d equal this flow'"'"'s truth)\n", 100 * fl[1] / fl[2], fl[2], fl[1]
    }
    printf "engine state          %8.1f B/target (target <= 64; %.1f B per trace, a target x flow); replies spooled to a file: %.1f MiB; prober max RSS %d KiB (32 MiB of it the capture ring)\n", bpt * flows, bpt, spool, rss
    printf "round time            %8.1f s\n", secs
    if (sc != "") {
        split(scacc, sa, " ")
        printf "scamper -p 10000      %8.1f s         hop accuracy %.2f %% (right alone %.2f %%), its replies through the kernel (no drop rule)\n", sc, sa[1], sa[2]
        if (sa[1] + 0.5 >= acc && acc + 0.5 >= sa[1])
            printf "speed-up              %8.1fx         (scamper'"'"'s round time / ours, at comparable hop accuracy; target >= 20x)\n", sc / secs
        else
            printf "speed-up              %8s          (not given: hop accuracies differ by more than 0.5 points, %.2f vs %.2f)\n", "-", acc, sa[1]
    }
}'
