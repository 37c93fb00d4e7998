#!/bin/bash
# accuracy.sh — path-diff's detection accuracy against a changing synthetic
# Internet (issue 17; doc/sim.md "Rounds"). One bt-sim with a change schedule
# serves every VP (VP k is 198.51.100.k in its own upstream, all on one TUN
# device in one namespace); every round, bt-sim is started in that round's
# state and each VP traces every target through it with the real prober; then
# `bordertrace diff` and `export` analyse the rounds and
# tests/sim/accuracy.py scores them against `bt-sim changes`, `routes` and
# `crossings`. Prints event precision and recall, median detection delay,
# false events per 1,000 target networks per round, per-round border-route
# precision and recall, and per-trace border-crossing accuracy against the
# naive baseline (longest-prefix address-to-AS over the plan) in the same run.
#
#   bench/accuracy.sh [-b BUILDDIR] [--prefixes N] [--rounds R] [--vps V]
#                     [--changes C] [--noise N] [--seed S] [--rate PPS]
#                     [--by prefix|as] [--per-prefix N] [--wait SEC]
#                     [--keep DIR] [--no-as-rel] [-- SIM OPTIONS...]
#
# Defaults are the issue's full run: 256 /24s (65,536 targets), 10 rounds,
# 3 VPs, 220 border changes, 200 other changes; e.g. --prefixes 16 --rounds 4
# for a short run while developing; --per-prefix N traces only the first N
# addresses of each /24 (default all 256), --wait the prober's -w (0.5). --keep DIR keeps the rounds, the
# truth and the CSVs. The analysis reads the model's AS relationships
# (`bt-sim asrel`, as-rel.txt) with --as-rel (the interface owners' as-rel
# rule, doc/path-diff.md); --no-as-rel runs it without. Extra options after -- go to bt-sim (model options, e.g.
# --silent 0 --dark 0 --rate-limited 0 for a clean Internet).
#
# Needs root. Safety: every packet stays in namespace btacc<pid>, removed by
# the trap; its only route beyond lo is 198.18.0.0/15 into bt-sim's TUN
# device, and the prober runs with --lab.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$HERE/../build
PFX=256 ROUNDS=10 VPS=3 CHANGES=220 NOISE=200 SEED=1 RATE=100000 BY=prefix KEEP= PER=256 WAIT=0.5 ASREL=1
while (($#)); do
    case $1 in
    -b) BUILD=$2; shift 2 ;;
    --prefixes) PFX=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --vps) VPS=$2; shift 2 ;;
    --changes) CHANGES=$2; shift 2 ;;
    --noise) NOISE=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --by) BY=$2; shift 2 ;;
    --per-prefix) PER=$2; shift 2 ;;
    --wait) WAIT=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    --no-as-rel) ASREL=0; shift ;;
    --) shift; break ;;
    *) echo "usage: $0 [-b BUILDDIR] [--prefixes N] [--rounds R] [--vps V] [--changes C] [--noise N] [--seed S] [--rate PPS] [--by prefix|as] [--per-prefix N] [--wait SEC] [--keep DIR] [--no-as-rel] [-- SIM OPTIONS]" >&2
       exit 2 ;;
    esac
done
ASES=64
((PFX < 67)) && ASES=$((PFX / 2)) # bt-sim: at most prefixes - 3 destination ASes
SIMOPT=(--seed "$SEED" --prefixes "$PFX" --ases "$ASES" --rounds "$ROUNDS" --vps "$VPS" --changes "$CHANGES" --noise "$NOISE" "$@")
SIM=$BUILD/tests/sim/bt-sim
PROBER=$BUILD/prober/bordertrace-probe
BT=$BUILD/analysis/bordertrace
SCORE=$HERE/../tests/sim/accuracy.py
for x in "$SIM" "$PROBER" "$BT"; do
    [[ -x $x ]] || { echo "$0: missing $x: build first (ninja -C $BUILD)" >&2; exit 2; }
done
((EUID == 0)) || { echo "$0: needs root (namespace, TUN, raw sockets)" >&2; exit 2; }
"$SIM" info "${SIMOPT[@]}" >/dev/null || exit 2

NS=btacc$$
T=$(mktemp -d /tmp/btacc.XXXXXX)
SIM_PID=
cleanup() {
    [[ -n $SIM_PID ]] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    if [[ -n $KEEP ]]; then mkdir -p "$KEEP" && cp -a "$T"/. "$KEEP"/; fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$HERE/sim_ns.sh"

# One namespace, a persistent TUN device that each round's bt-sim attaches
# to (so addresses and routes stay), VP k's address 198.51.100.k on it.
ip netns add "$NS"
ip -n "$NS" link set lo up
sim_ns_sysctl "$NS"
ip -n "$NS" tuntap add dev bts0 mode tun
sim_ns_link "$NS"
for ((k = 2; k <= VPS; k++)); do ip -n "$NS" addr add 198.51.100.$k/32 dev bts0; done
ip netns exec "$NS" nft -f - <<'NFT'
table netdev btbench {
    chain in { type filter hook ingress device "bts0" priority 0; policy drop; }
}
NFT

python3 -c "print('\n'.join(f'198.18.{j}.{i}' for j in range($PFX) for i in range($PER)))" >"$T/targets.txt"
N=$(wc -l <"$T/targets.txt")
"$SIM" plan "${SIMOPT[@]}" >"$T/plan.tsv"
"$SIM" ixps "${SIMOPT[@]}" >"$T/ixps.csv"
"$SIM" asrel "${SIMOPT[@]}" >"$T/as-rel.txt"
perl "$HERE/../tests/scenario/plan2mmdb.pl" "$T/plan.tsv" "$T" >/dev/null
"$SIM" info "${SIMOPT[@]}" | grep -E '^(targets|routers|schedule)' | sed 's/^/sim: /'

round_id() { date -u -d "@$((1796083200 + $1 * 3600))" +%Y-%m-%dT%H:%M:%SZ; }
: >"$T/rounds.txt"
s0=$(date +%s)
for ((r = 0; r < ROUNDS; r++)); do
    id=$(round_id "$r")
    echo "$id" >>"$T/rounds.txt"
    ip netns exec "$NS" "${PIN_SIM[@]}" "$SIM" serve --tun bts0 --round "$r" "${SIMOPT[@]}" 2>"$T/sim-$r.log" &
    SIM_PID=$!
    for _ in $(seq 100); do grep -q serving "$T/sim-$r.log" 2>/dev/null && break; sleep 0.05; done
    for ((k = 1; k <= VPS; k++)); do
        mkdir -p "$T/rounds/vp$k" "$T/truth/vp$k"
        ip netns exec "$NS" "${PIN_SEND[@]}" "$PROBER" trace --lab -P icmp-paris -r "$RATE" -w "$WAIT" -q 2 -g 5 -m 20 \
            -s 198.51.100.$k --vp vp$k --campaign acc --round "$id" -T "$T/targets.txt" \
            -o "$T/rounds/vp$k/$id.jsonl" 2>>"$T/probe.log"
        "$SIM" crossings --round "$r" --src 198.51.100.$k "${SIMOPT[@]}" --targets "$T/targets.txt" \
            >"$T/truth/vp$k/crossings-$r.tsv"
    done
    kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=
    "$SIM" interfaces --round "$r" "${SIMOPT[@]}" >"$T/truth/interfaces-$r.tsv"
    # tun-dropped is the persistent device's counter: since the first round
    echo "round $r ($id): $(sed -n 's/.*phase 0: \(in [0-9]*, replies [0-9]*\).*tun-dropped \(-\?[0-9]*\).*/\1, tun-dropped so far \2/p' "$T/sim-$r.log")"
done
PROBE_S=$(($(date +%s) - s0))

"$SIM" changes --by "$BY" "${SIMOPT[@]}" >"$T/truth/changes.tsv"
"$SIM" routes --by "$BY" "${SIMOPT[@]}" >"$T/truth/routes.tsv"
DB=(--pfx2as "$T/pfx2as.txt" --country-db "$T/country.mmdb" --ixp "$T/ixps.csv" --lookup-test-ranges --by "$BY")
((ASREL)) && DB+=(--as-rel "$T/as-rel.txt")
a0=$(date +%s)
"$BT" diff "${DB[@]}" --format csv "$T/rounds" >"$T/events.csv" 2>"$T/diff.log"
"$BT" export "${DB[@]}" -o "$T/csv" "$T/rounds" >"$T/export.out" 2>"$T/export.log"
ANALYSIS_S=$(($(date +%s) - a0))

echo
echo "== detection accuracy: $N targets x $VPS VPs x $ROUNDS rounds ($((N * VPS * ROUNDS)) traces; probing ${PROBE_S} s, analysis ${ANALYSIS_S} s; AS relationships $( ((ASREL)) && echo on || echo off)) =="
python3 "$SCORE" --rounds-list "$T/rounds.txt" --changes "$T/truth/changes.tsv" --routes "$T/truth/routes.tsv" \
    --events "$T/events.csv" --diversity "$T/csv/diversity.csv" --borders "$T/csv/borders.csv" \
    --traces "$T/rounds" --truth-dir "$T/truth" --plan "$T/plan.tsv" --by "$BY" \
    --misses "$T/misses.tsv"
