#!/bin/bash
# test_accuracy.sh — the detection-accuracy measurement end to end, on a case
# whose answer is known: bench/accuracy.sh (bt-sim with a change schedule, the
# real prober in the sim's namespace, 3 VPs, 4 rounds, 8 /24s x 32 targets,
# `bordertrace diff` and `export`, tests/sim/accuracy.py) over a clean
# Internet (no silent, rate-limiting or dark ones, no neighbour-numbered
# interfaces, no noise), then the scorer on doctored inputs.
#
#   test_accuracy.sh --bench ACCURACY.SH --build BUILDDIR --score ACCURACY.PY
#
# Checks (TAP):
#   - events: precision and recall 1, median delay 0, no false event; every
#     true route of every round seen and no other (a clean Internet hides
#     nothing from path-diff);
#   - crossings: the naive baseline right on every trace except those
#     entering AS131279 over its AS4837 link, whose border interface bt-sim
#     always numbers from AS4837's space (the founding story's pitfall: it
#     puts the crossing one hop late), so it equals 1 - k/N with k, N counted
#     from `bt-sim crossings`; the analysis, with the round graph's interface
#     owners (doc/path-diff.md), above it;
#   - the scorer's arithmetic: one true event removed, one delayed by a
#     round, one false event added give precision = recall = (n-1)/n, one
#     false event = 1000 / (8 networks x 3 rounds) per 1,000 per round.
# Exit 0 passed, 1 failed, 77 skipped (not root, or a tool is missing).
#
# Safety: bench/accuracy.sh's namespace (btacc<pid>), removed by its trap;
# its only route beyond lo is 198.18.0.0/15 into the TUN device.
set -uo pipefail

BENCH= BUILD= SCORE=
while (($#)); do
    case $1 in
    --bench) BENCH=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --score) SCORE=$2; shift 2 ;;
    *) echo "usage: $0 --bench ACCURACY.SH --build BUILDDIR --score ACCURACY.PY" >&2; exit 2 ;;
    esac
done
[[ -n $BENCH && -n $BUILD && -n $SCORE ]] || { echo "usage: $0 --bench ACCURACY.SH --build BUILDDIR --score ACCURACY.PY" >&2; exit 2; }
if ((EUID != 0)); then
    echo "1..0 # SKIP needs root (namespace, TUN, raw sockets)"
    exit 77
fi
for tool in ip nft perl python3; do
    command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 77; }
done
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || { echo "1..0 # SKIP no MaxMind::DB::Writer (libmaxmind-db-writer-perl)"; exit 77; }
[[ -c /dev/net/tun ]] || { echo "1..0 # SKIP no /dev/net/tun"; exit 77; }

T=$(mktemp -d /tmp/btacctest.XXXXXX)
trap 'rm -rf "$T"' EXIT
N=0 FAILED=0
ok() { # ok COND NAME [DETAIL]
    N=$((N + 1))
    if [[ $1 == 1 ]]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAILED=$((FAILED + 1)); [[ -n ${3:-} ]] && sed 's/^/# /' <<<"$3"; fi
}
fig() { sed -n "s/^$1 *\([0-9.]*\).*/\1/p" "$2"; }

"$BENCH" -b "$BUILD" --prefixes 8 --per-prefix 32 --rounds 4 --vps 3 --changes 6 --noise 0 --wait 0.2 \
    --keep "$T/run" -- --silent 0 --dark 0 --rate-limited 0 --nbr-numbered 0 >"$T/out" 2>&1
ok $(($? == 0)) "bench/accuracy.sh ran" "$(tail -20 "$T/out")"
EV=$(sed -n 's/^events *truth \([0-9]*\), reported \([0-9]*\), matched \([0-9]*\).*/\1 \2 \3/p' "$T/out")
read -r TRUTH REP MATCHED <<<"$EV"
ok $((TRUTH >= 3 && TRUTH == REP && REP == MATCHED)) "every true event reported, nothing else ($EV)" "$(cat "$T/out")"
ok $([[ $(fig precision "$T/out") == 1.0000 && $(fig recall "$T/out") == 1.0000 ]] && echo 1) "precision and recall 1"
ok $([[ $(fig 'median delay' "$T/out") == 0 || $(fig 'median delay' "$T/out") == 0.0 ]] && echo 1) "median delay 0"
ok $([[ $(fig 'false events' "$T/out") == 0.000 ]] && echo 1) "no false event"
ok $(grep -q '^border routes *precision 1.0000, recall 1.0000' "$T/out" && echo 1) "every true route of every round, no other"

# crossings: 1 - k/N, k the traces whose true crossing is AS4837 -> AS131279
read -r K NT <<<"$(cat "$T"/run/truth/vp*/crossings-*.tsv | awk -F'\t' '$3 == "AS131279" && $4 == "AS4837" { k++ } END { print k + 0, NR }')"
WANT=$(python3 -c "print(f'{1 - $K / $NT:.4f}')")
LINE=$(grep '^crossings' "$T/out")
read -r XA XB <<<"$(sed -nE 's/^crossings +([0-9.]+) right \(analysis\), ([0-9.]+) \(naive baseline\).*/\1 \2/p' <<<"$LINE")"
ok $([[ $XB == "$WANT" && $K -gt 0 ]] && awk -v a="$XA" -v b="$XB" 'BEGIN { exit !(a > b) }' && echo 1) \
    "crossing accuracy: the baseline 1 - $K/$NT, the analysis (interface owners) above it" "$LINE"

# the scorer's arithmetic on doctored events
python3 - "$T/run/events.csv" "$T/doctored.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
fields = list(rows[0].keys())
ids = [f"2026-12-01T0{i}:00:00Z" for i in range(4)]
rows.pop(0)                                  # one true event missed
late = next(r for r in rows if r["round"] != ids[-1])
late["round"] = ids[ids.index(late["round"]) + 1]   # one reported a round late
fake = dict(rows[0]); fake.update(event="new", upstream="AS1", round="2026-12-01T01:00:00Z")
rows.append(fake)                            # one false event
w = csv.DictWriter(open(sys.argv[2], "w", newline=""), fieldnames=fields)
w.writeheader(); w.writerows(rows)
PY
python3 "$SCORE" --rounds-list "$T/run/rounds.txt" --changes "$T/run/truth/changes.tsv" --routes "$T/run/truth/routes.tsv" \
    --events "$T/doctored.csv" --tolerance 3 >"$T/doc.out" 2>&1
WP=$(python3 -c "print(f'{($TRUTH - 1) / $TRUTH:.4f}')")
ok $([[ $(fig precision "$T/doc.out") == "$WP" && $(fig recall "$T/doc.out") == "$WP" ]] && echo 1) \
    "doctored: precision = recall = (n-1)/n = $WP" "$(cat "$T/doc.out")"
ok $([[ $(fig 'false events' "$T/doc.out") == 41.667 ]] && echo 1) "doctored: one false event = 41.667 per 1,000 networks per round"

echo "1..$N"
((FAILED == 0))
