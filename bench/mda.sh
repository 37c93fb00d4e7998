#!/bin/bash
# mda.sh — multipath mode (MDA) over every simulator target, against the
# simulator's truth over all ECMP branches and the sendto ceiling measured in
# the same run.
#
#   bench/mda.sh [-b BUILDDIR] [-t SECONDS] [-r RATE] [-p PACED] [-k raw|packet] [-- 'key = value' ...]
#
# One namespace with bt-sim serving the default model in phase 1 with
# --change-share 30 (30% of the moved /24's flows through AS20485, the rest
# through AS4837). Measured, in this order:
#   - the sendto ceiling (bench/sendto_loop, -t seconds, default 3), and the
#     packet-socket ceiling (sendto_loop -P: the same loop through an
#     AF_PACKET socket into the TUN device, through its qdisc as the prober's packet path);
#   - one campaign round in multipath mode (95%, minimum share 25%) over all
#     65,536 targets at RATE (default: unlimited), keys of the campaign
#     file overridable after --: the rate, and what the simulator dropped;
#   - both ceilings again (the higher of each pair is the reference);
#   - the same round at PACED probes/s (default 100,000; -p 0: skipped) over
#     every fourth /24 and the moved one (16,640 targets): recall where bt-sim is not
#     overloaded (at full speed its TUN queue drops probes in bursts, and a
#     TTL all of whose flows lost their replies is a TTL not seen);
#   - one Paris flow and two flows (`trace --flows 2`) over the moved /24.
# Prints: probes per target against plain MDA's bound (the sum over the TTLs
# of n_k for the true number of interfaces k, even shares) and against the
# bound of the rule implemented (minimum share); the probing rate against the
# sendto ceiling (target >= 0.8) and against the packet-socket ceiling; the
# round's probes/s second by second (the sending phase, then the tail where the
# last rounds wait out their timeouts); interface and link recall against `bt-sim
# branches` (target >= 0.99 for interfaces); in how many of the moved /24's
# answering targets AS20485 is seen, for one flow, two flows and multipath.
# Needs root; run from anywhere. KEEP=1 keeps the files (round, truth) and
# says where. -k packet: the prober's send path (send_path = "packet",
# doc/probing.md, "Send path"; default raw).
#
# Safety: packets exist only in namespace btmda<pid>, removed by the trap; its
# only routes beyond lo are 198.18.0.0/15 and 2001:db8::/32 into the TUN
# device.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$HERE/../build
SECS=3
RATE=1000000
PACED=100000
SEND=raw
while (($#)); do
    case $1 in
    -b) BUILD=$2; shift 2 ;;
    -t) SECS=$2; shift 2 ;;
    -r) RATE=$2; shift 2 ;;
    -p) PACED=$2; shift 2 ;;
    -k) SEND=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-b BUILDDIR] [-t SECONDS] [-r RATE] [-p PACED] [-k raw|packet] [-- 'key = value' ...]" >&2; exit 2 ;;
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
    if [[ -n ${KEEP:-} ]]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sim_ns_up "$NS" "$T/sim.log" "${MODEL[@]}" --phase 1

# ceiling [-P]: "PPS CPU": packets per second through the kernel's send path
# (with -P by the packet socket), and the loop's CPU per packet in µs
# (bench/cputime.py)
ceiling() {
    ip netns exec "$NS" "${PIN_SEND[@]}" python3 "$HERE/cputime.py" "$SENDER" -t "$SECS" "$@" 2>&1 |
        awk '/^sendto_loop/ { for (i = 1; i < NF; i++) { if ($i == "sent" || $i == "refused") n += $(i + 1); if ($i == "pps") p = $(i + 1) } }
             /^time / { c = $3 + $4 } END { printf "%d %.3f\n", p, n ? c * 1e6 / n : 0 }'
}
read -r CEIL1 CPU1 <<<"$(ceiling)"
echo "sendto ceiling: $CEIL1 pps, $CPU1 µs of CPU per packet (bench/sendto_loop, ${SECS} s)"
sleep 1
read -r PCEIL1 PCPU1 <<<"$(ceiling -P)"
echo "packet-socket ceiling: $PCEIL1 pps, $PCPU1 µs of CPU per packet (bench/sendto_loop -P, ${SECS} s)"
sleep 1

python3 -c 'print("\n".join(f"198.18.{j}.{i}" for j in range(256) for i in range(256)))' >"$T/targets.txt"
N=$(wc -l <"$T/targets.txt")
MOVED=$("$SIM" info "${MODEL[@]}" | awk -F'\t' '$1 == "moved prefix" { split($2, a, "/"); print a[1] }')
awk -F. -v m="${MOVED%.0}" '$3 % 4 == 0 || $1 "." $2 "." $3 == m' "$T/targets.txt" >"$T/paced.txt"
# active: 131,072 pool entries, not bench/campaign.sh's 32,768 targets: a
# multipath entry is one flow over a few TTLs, and one of them silent keeps
# it a wait or two (doc/probing.md, "Multipath"); 32,768 left the pool full
# of such entries with nothing to send for 4 s of a 60-s run
declare -A SET=([method]='"icmp-paris"' [max_ttl]=20 [attempts]=2 [wait]=0.5 [gap_limit]=5
    [rate]=$RATE [window]=20 [active]=131072 [progress]=1 [multipath]=true [confidence]=95 [min_share]=25
    [send_path]="\"$SEND\"")
for kv in "${EXTRA[@]}"; do
    k=${kv%%=*} k=${k// /}
    SET[$k]=${kv#*=}
done
# campaign NAME TARGETS RATE: one round; its summary line on stdout
campaign() {
    local d=$T/$1
    mkdir -p "$d"
    cp "$2" "$d/targets.txt"
    {
        echo "name = \"$1\"; vp = \"sim\"; targets = \"targets.txt\"; lab = true; output = \"out\";"
        echo 'schedule = { interval = 1; rounds = 1; };'
        for k in "${!SET[@]}"; do [[ $k == rate ]] || echo "$k = ${SET[$k]};"; done
        echo "rate = $3;"
    } >"$d/c.campaign"
    ip netns exec "$NS" "${PIN_SEND[@]}" python3 "$HERE/cputime.py" "$PROBER" run "$d/c.campaign" 2>"$d/run.log"
    grep 'round .*: [0-9]* targets' "$d/run.log" | tail -1
}
echo "campaign: $(printf '%s = %s; ' $(for k in "${!SET[@]}"; do echo "$k ${SET[$k]}"; done | sort))"
drops() { sim_ns_counters "$T/sim.log" | sed -E 's/.*tun-dropped (-?[0-9]+).*/\1/'; }
d0=$(drops)
SUMMARY=$(campaign full "$T/targets.txt" "${SET[rate]}")
d1=$(drops)
sleep 1
read -r CEIL2 CPU2 <<<"$(ceiling)"
echo "sendto ceiling again: $CEIL2 pps, $CPU2 µs of CPU per packet"
sleep 1
read -r PCEIL2 PCPU2 <<<"$(ceiling -P)"
echo "packet-socket ceiling again: $PCEIL2 pps, $PCPU2 µs of CPU per packet"
CEIL=$((CEIL1 > CEIL2 ? CEIL1 : CEIL2))
PCEIL=$((PCEIL1 > PCEIL2 ? PCEIL1 : PCEIL2))
echo "prober: ${SUMMARY#*: round }"
grep -o 'send path .*' "$T/full/run.log" | sed 's/^/prober: /' || true
ROUND=$(ls "$T/full/out/full/sim/"*.jsonl)
PROBES=$(sed -E 's/.* ([0-9]+) probes, .*/\1/' <<<"$SUMMARY")
PROBING=$(sed -E 's/.*probing ([0-9.]+) s.*/\1/' <<<"$SUMMARY")
PCPU=$(awk '/^time / { print $3 + $4 }' "$T/full/run.log")
if ((PACED > 0)); then
    PSUM=$(campaign paced "$T/paced.txt" "$PACED")
    echo "prober, paced: ${PSUM#*: round }"
    PROUND=$(ls "$T/paced/out/paced/sim/"*.jsonl)
fi

# the moved /24 with one flow and with two (trace --flows)
grep "^${MOVED%.0}\." "$T/targets.txt" >"$T/moved.txt"
for fl in 1 2; do
    ip netns exec "$NS" "$PROBER" trace --lab --flows $fl -r 20000 -m 20 -w 0.5 -q 2 -g 5 \
        -T "$T/moved.txt" -o "$T/moved.$fl.jsonl" 2>/dev/null
done

"$SIM" branches "${MODEL[@]}" --phase 1 >"$T/branches.tsv"
"$SIM" interfaces "${MODEL[@]}" >"$T/interfaces.tsv"
SC=(--branches "$T/branches.tsv" --interfaces "$T/interfaces.tsv" --moved "$MOVED")
python3 "$SCORE" "${SC[@]}" --label multipath "$ROUND" | tee "$T/score.txt"
((PACED == 0)) || python3 "$SCORE" "${SC[@]}" --label paced "$PROUND" | tee -a "$T/score.txt"
for fl in 1 2; do
    python3 "$SCORE" "${SC[@]}" --label "$fl flow(s)" "$T/moved.$fl.jsonl" | grep 'moved' | tee -a "$T/score.txt"
done

echo
echo "== multipath (MDA) round over $N simulator targets, confidence ${SET[confidence]}%, minimum share ${SET[min_share]}% =="
awk -v probes="$PROBES" -v secs="$PROBING" -v ceil="$CEIL" -v c1="$CEIL1" -v c2="$CEIL2" \
    -v pceil="$PCEIL" -v p1="$PCEIL1" -v p2="$PCEIL2" -v send="$SEND" 'BEGIN {
    printf "probing rate          %8d probes/s   (send path %s; %.2f of the sendto ceiling %d, the higher of %d before and %d after; target >= 0.8): %d probes over %.1f s of probing, every round of the stopping rule and its tail\n", probes / secs, send, probes / secs / ceil, ceil, c1, c2, probes, secs
    printf "                                         (%.2f of the packet-socket ceiling %d, the higher of %d before and %d after)\n", probes / secs / pceil, pceil, p1, p2
}'
# CPU per probe: what the machine's other work cannot move (much)
awk -v probes="$PROBES" -v cpu="$PCPU" -v c1="$CPU1" -v c2="$CPU2" -v p1="$PCPU1" -v p2="$PCPU2" 'BEGIN {
    u = cpu * 1e6 / probes; c = c1 < c2 ? c1 : c2; p = p1 < p2 ? p1 : p2
    printf "prober CPU            %8.3f µs per probe (%.1f s user + sys over the round: the send loop, capture, planner, trace building); the sendto loop %.3f µs per packet (the lower of %.3f and %.3f), the packet loop %.3f: the prober'"'"'s CPU alone would allow %.2f of the sendto ceiling\n", u, cpu, c, c1, c2, p, c / u
}'
# the round second by second (progress = 1: the probes/s of each second):
# the sending phase against the tail, where what is left waits for timeouts
grep -o 'progress [0-9/]* targets, [0-9]* probes/s' "$T/full/run.log" | awk -v ceil="$CEIL" '
    { r = $4 + 0; s = s sprintf(" %d", r / 1000); n++; if (r >= 0.8 * ceil) hi++; if (r > pk) pk = r }
    END { if (n) printf "per second (k probes/s):%s\n  %d of %d seconds at >= 0.8 of the sendto ceiling; the highest second %.2f of it\n", s, hi, n, pk / ceil }'
echo "full speed ($N targets; bt-sim's TUN queue dropped $((d1 - d0)) probes):"
awk -v probes="$PROBES" -v drops="$((d1 - d0))" -v secs="$PROBING" 'BEGIN {
    printf "  bt-sim took %d probes/s ((probes - TUN drops) / probing time): a faster prober loses the rest\n", (probes - drops) / secs
}'
sed -n 's/^multipath: /  /p' "$T/score.txt"
if ((PACED > 0)); then
    echo "paced at $PACED probes/s ($(wc -l <"$T/paced.txt") targets):"
    sed -n 's/^paced: /  /p' "$T/score.txt"
fi
sed -n 's/^\([12] flow(s)\): moved/  \1: moved/p' "$T/score.txt"
