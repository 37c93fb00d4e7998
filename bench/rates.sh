#!/bin/bash
# rates.sh — what a probe costs at the rates vantage points really run, and
# what speed costs in hops, over the simulator (bt-sim behind a TUN device),
# with scamper on the same targets in the same run. Prints:
#
#   1. per rate (100, 1,000, 10,000, 100,000 probes/s and full speed): our
#      CPU per 1,000 probes (user + system) and our share of one core over the
#      round; scamper's at the same rate (-p, at most 10,000: its own limit),
#      and both hop accuracies against bt-sim's truth (tests/sim/score.py:
#      "right alone" and "right or a gap at a rate-limiting router");
#      and the paced floor: bench/sendto_loop -r RATE, a bare raw-socket
#      loop that sends the same number of packets at the same rate with the
#      engine's pacing quantum and sleeps between bursts (nothing read, no
#      state), in the same namespace on the same core: what sending at that
#      rate costs on this machine at the least. On a VM a wake-up from sleep
#      costs tens of microseconds, so at low rates the floor itself is far
#      above the full-speed cost per probe; "ours/floor" says how much of our
#      cost is the prober's own;
#   2. hop accuracy "right alone" at 30,000 probes/s and at full speed over
#      every simulator target, for the router-friendly probe order with
#      per-TTL rate-limit learning (the defaults, `order = "spread"`,
#      `rate_limits = "learn"`), the same order without learning, and the
#      prober before both (`order = "sweep"`, `rate_limits = "ignore"`), and
#      the round time of each.
#
#   bench/rates.sh [-b BUILDDIR] [-d SECONDS] [--rates "100 1000 full"]
#                  [--no-scamper] [--no-order]
#
# KEEP=1 keeps the work directory (round files, scamper's warts, truths);
# ORDER_RATES="30000 full" are the rates of part 2. Full speed is rate
# 1,000,000, above any sendto ceiling here (as bench/campaign.sh). CPU comes
# from getrusage of each prober and its children (bench/cputime.py: to the
# microsecond; /usr/bin/time rounds to 10 ms, most of a 100 probes/s round).
# -d: about how long each rate's round lasts (targets = rate x SECONDS / 12,
# at least 100, at most 65,536; full speed: all 65,536). Each rate gets its own
# namespace and bt-sim, so no router's ICMP budget carries over.
#
# The honest peer run: scamper reads its replies through the kernel, so the
# namespace's ingress drop rule (bench/sim_ns.sh, there so that bt-sim keeps up
# with a capture-based prober at full speed) is off for every scamper run and
# for every run of ours up to 100,000 probes/s; only our full-speed runs keep
# it, as bench/campaign.sh does, and the table says so. Both probers trace the
# same targets with the same settings: icmp-paris, flow 0 (scamper -d 4096,
# our checksum 0x1000), 2 attempts, a 1 s wait (scamper's shortest), gap limit
# 5, max TTL 20.
#
# Needs root. Safety: every packet stays in namespaces btrt<pid>-N, removed by
# the trap; their only routes beyond lo are 198.18.0.0/15 and 2001:db8::/32
# into bt-sim's TUN device, and every campaign says lab = true.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$HERE/../build
DUR=15
RATES="100 1000 10000 100000 full"
SCAMPER=1
ORDER=1
while (($#)); do
    case $1 in
    -b) BUILD=$2; shift 2 ;;
    -d) DUR=$2; shift 2 ;;
    --rates) RATES=$2; shift 2 ;;
    --no-scamper) SCAMPER=0; shift ;;
    --no-order) ORDER=0; shift ;;
    *) echo "usage: $0 [-b BUILDDIR] [-d SECONDS] [--rates LIST] [--no-scamper] [--no-order]" >&2; exit 2 ;;
    esac
done
SIM=$BUILD/tests/sim/bt-sim
SENDER=$BUILD/tests/sim/sendto_loop
PROBER=$BUILD/prober/bordertrace-probe
SCORE=$HERE/../tests/sim/score.py
for x in "$SIM" "$PROBER" "$SENDER"; do
    [[ -x $x ]] || { echo "$0: missing $x: build first (ninja -C $BUILD)" >&2; exit 2; }
done
((EUID == 0)) || { echo "$0: needs root (namespace, TUN, raw sockets)" >&2; exit 2; }
if ((SCAMPER)) && ! command -v scamper >/dev/null; then
    echo "$0: scamper is not installed: its columns are left out" >&2
    SCAMPER=0
fi

T=$(mktemp -d /tmp/btrt.XXXXXX)
. "$HERE/sim_ns.sh"
NS=
cleanup() {
    [[ -n $NS ]] && sim_ns_down "$NS"
    if [[ -n ${KEEP:-} ]]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
SEQ=0

# Every simulator target once, in a fixed pseudo-random order, so that the
# first N of them spread over the /24s (and so over the paths) as a real
# target list does.
python3 -c '
import random
t = [f"198.18.{j}.{i}" for j in range(256) for i in range(256)]
random.Random(1).shuffle(t)
print("\n".join(t))' >"$T/all.txt"

ns_up() { # a fresh namespace and bt-sim; $1 = on|off: the ingress drop rule
    [[ -n $NS ]] && sim_ns_down "$NS"
    SEQ=$((SEQ + 1))
    NS=btrt$$-$SEQ
    sim_ns_up "$NS" "$T/sim.$SEQ.log"
    [[ $1 == on ]] || ip netns exec "$NS" nft delete table netdev btbench
}

ntargets() { # rate -> targets
    [[ $1 == full ]] && { echo 65536; return; }
    local n=$(($1 * DUR / 12))
    ((n < 100)) && n=100
    ((n > 65536)) && n=65536
    echo "$n"
}

# ours RATE TARGETS TAG [SETTING ...]: one round; sets R_* from its summary
ours() {
    local rate=$1 targets=$2 tag=$3
    shift 3
    local pps=$rate
    [[ $rate == full ]] && pps=1000000 # above any sendto ceiling here, as bench/campaign.sh
    mkdir -p "$T/$tag"
    cp "$targets" "$T/$tag/targets.txt"
    {
        echo 'name = "bench"; vp = "sim"; targets = "targets.txt"; lab = true; output = "out";'
        echo 'schedule = { interval = 1; rounds = 1; };'
        echo "method = \"icmp-paris\"; max_ttl = 20; attempts = 2; wait = 1.0; gap_limit = 5;"
        echo "rate = $pps; window = 20; active = 32768;"
        for kv in "$@"; do echo "$kv;"; done
    } >"$T/$tag/c.campaign"
    ip netns exec "$NS" "${PIN_SEND[@]}" /usr/bin/python3 "$HERE/cputime.py" \
        "$PROBER" run "$T/$tag/c.campaign" 2>"$T/$tag/run.log"
    local sum
    sum=$(grep 'round .*: [0-9]* targets' "$T/$tag/run.log" | tail -1)
    read -r R_WALL R_USER R_SYS <<<"$(sed -n 's/^time //p' "$T/$tag/run.log")"
    R_PROBES=$(sed -E 's/.* ([0-9]+) probes, .*/\1/' <<<"$sum")
    R_ROUND=$(sed -E 's/.* ([0-9.]+) s, [0-9]+ probes\/s.*/\1/' <<<"$sum")
    R_SCORE=$(score "$T/$tag/targets.txt" "$(ls "$T/$tag/out/bench/sim/"*.jsonl)")
}

# scamper_run RATE TARGETS TAG: the same targets; sets S_*
scamper_run() {
    local rate=$1 targets=$2 tag=$3 pps
    pps=$([[ $rate == full ]] && echo 10000 || echo "$rate")
    ((pps > 10000)) && pps=10000
    S_PPS=$pps
    ip netns exec "$NS" "${PIN_SEND[@]}" /usr/bin/python3 "$HERE/cputime.py" \
        scamper -p "$pps" -O warts -o "$T/$tag.warts" \
        -c "trace -P icmp-paris -d 4096 -q 2 -w 1 -g 5 -m 20" -f "$targets" 2>"$T/$tag.sclog" || true
    read -r S_WALL S_USER S_SYS <<<"$(sed -n 's/^time //p' "$T/$tag.sclog" | tail -1)"
    sc_warts2json "$T/$tag.warts" | grep '"type":"trace"' >"$T/$tag.sc.json" || true
    S_PROBES=$(python3 -c '
import json, sys
print(sum(json.loads(l).get("probe_count", 0) for l in open(sys.argv[1])))' "$T/$tag.sc.json")
    S_SCORE=$(score "$targets" "$T/$tag.sc.json" --scamper)
}

# score TARGETS TRACES [--scamper]: "right% right-or-explained%" (score.py
# exits 1 when any hop is wrong: that is a figure here, not a failure)
score() {
    "$SIM" truth --method icmp-paris --flows 0 --src 198.51.100.1 --targets "$1" >"$T/truth.tsv"
    [[ -s $T/interfaces.tsv ]] || "$SIM" interfaces >"$T/interfaces.tsv"
    local out
    out=$(python3 "$SCORE" hops --truth "$T/truth.tsv" --traces "$2" --interfaces "$T/interfaces.tsv" \
        --allow-ratelimit "${@:3}" 2>&1) || true
    grep -E 'traces [0-9]+ \(missing' <<<"$out" | tail -1 | awk '{
        match($0, /hops [0-9]+\/[0-9]+/); split(substr($0, RSTART + 5, RLENGTH - 5), h, "/")
        match($0, /[0-9]+ gaps explained/); x = substr($0, RSTART, RLENGTH) + 0
        if (h[2] > 0) printf "%.2f %.2f\n", 100 * h[1] / h[2], 100 * (h[1] + x) / h[2]; else print "- -" }'
}

# floor RATE PROBES TARGETS: the paced floor's ms of CPU per 1,000 packets,
# over as many seconds as PROBES take at RATE (at least 5)
floor() {
    local secs=$(($2 / $1)) out u s n
    ((secs < 5)) && secs=5
    out=$(ip netns exec "$NS" "${PIN_SEND[@]}" /usr/bin/python3 "$HERE/cputime.py" \
        "$SENDER" -r "$1" -t "$secs" -n "$3" -m 20 2>&1)
    read -r _ u s <<<"$(sed -n 's/^time //p' <<<"$out")"
    n=$(sed -nE 's/.*sent ([0-9]+) .*/\1/p' <<<"$out")
    per_k "$u" "$s" "$n"
}

per_k() { awk -v u="$1" -v s="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.1f", 1e6 * (u + s) / n; else print "-" }'; }
share() { awk -v u="$1" -v s="$2" -v w="$3" 'BEGIN { if (w > 0) printf "%.1f", 100 * (u + s) / w; else print "-" }'; }

echo "== CPU per probe at the rates a VP runs (ms of CPU, user + system, per 1,000 probes; % of one core) =="
printf '%-9s %7s | %8s %8s %7s %8s %8s | %7s %6s | %6s %8s %8s %7s %8s %8s | %s\n' rate targets \
    probes ms/1k core right expl floor "/floor" "sc-pps" probes ms/1k core right expl "drop rule (ours)"
for rate in $RATES; do
    n=$(ntargets "$rate")
    head -n "$n" "$T/all.txt" >"$T/t.$rate.txt"
    rule=off
    [[ $rate == full ]] && rule=on
    ns_up "$rule"
    ours "$rate" "$T/t.$rate.txt" "r$rate"
    o_pk=$(per_k "$R_USER" "$R_SYS" "$R_PROBES") o_sh=$(share "$R_USER" "$R_SYS" "$R_WALL")
    read -r o_right o_expl <<<"$R_SCORE"
    fl=- fr=-
    if [[ $rate != full ]]; then
        fl=$(floor "$rate" "$R_PROBES" "$n")
        fr=$(awk -v a="$o_pk" -v b="$fl" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    fi
    sc="-       -        -       -        -        -"
    if ((SCAMPER)); then
        ns_up off
        scamper_run "$rate" "$T/t.$rate.txt" "s$rate"
        read -r s_right s_expl <<<"$S_SCORE"
        sc=$(printf '%6s %8s %8s %7s %8s %8s' "$S_PPS" "$S_PROBES" "$(per_k "$S_USER" "$S_SYS" "$S_PROBES")" \
            "$(share "$S_USER" "$S_SYS" "$S_WALL")%" "$s_right" "$s_expl")
    fi
    printf '%-9s %7s | %8s %8s %7s %8s %8s | %7s %6s | %s | %s\n' "$rate" "$n" "$R_PROBES" "$o_pk" "$o_sh%" \
        "$o_right" "$o_expl" "$fl" "$fr" "$sc" "$rule"
done
echo "(right = hops equal to the truth; expl = right, or a gap at a rate-limiting router; targets: at 1,000 probes/s under 3% of one core; ms/1k at low rates within 2x of the high rates; never above scamper; floor = bench/sendto_loop -r RATE's ms/1k, the same packets paced the same way by a bare loop)"

if ((ORDER)); then
    echo
    echo "== probe order and rate-limit learning: hops right alone over all 65,536 targets =="
    printf '%-9s %-10s %-12s %8s %8s %9s\n' rate order rate_limits right expl "round s"
    for rate in ${ORDER_RATES:-30000 full}; do
        for v in "spread learn" "spread ignore" "sweep ignore"; do
            read -r order rl <<<"$v"
            rule=off
            [[ $rate == full ]] && rule=on
            ns_up "$rule"
            ours "$rate" "$T/all.txt" "o$rate$order$rl" "order = \"$order\"" "rate_limits = \"$rl\""
            read -r o_right o_expl <<<"$R_SCORE"
            printf '%-9s %-10s %-12s %8s %8s %9s\n' "$rate" "$order" "$rl" "$o_right" "$o_expl" "$R_ROUND"
        done
    done
    echo "(spread learn = the default; sweep ignore = the prober before issue 19. Targets: right alone >= 98% at 30,000 probes/s and >= 96% at full speed, right-or-explained 100%, full-speed round time within 10% of sweep)"
fi
