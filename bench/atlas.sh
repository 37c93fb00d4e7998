#!/bin/bash
# RIPE Atlas benchmark: `bordertrace diff` over N synthetic Atlas traceroute
# results (daily-dump JSON Lines, 3 packets a hop, 12 hops, 2,000 probes x
# N/2,000 destinations, in rounds of an hour), against Python's json.loads
# over the same lines, measured in the same run (the machines here are
# shared and noisy: read the ratio). Issue 12's target: >= 4x. Also prints
# the peak memory at N and at N/10: it must not grow with N (streamed).
#
#   bench/atlas.sh [BUILD_DIR] [N]        (default N = 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-1000000}
BT=$PWD/$BUILD/analysis/bordertrace
[[ -x $BT ]] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bt-atlas-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CORE=${CORE:-1}

gen() { # N FILE: results with test-range addresses only
	python3 - "$1" "$2" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
probes = 2000
with open(path, "w") as f:
    for i in range(n):
        prb, dst = i % probes, i // probes
        ts = 1506844800 + (i // (probes * 50)) * 3600 + prb
        d = "198.19.%d.%d" % (dst // 250 % 250, dst % 250 + 1)
        hops = []
        for h in range(1, 12):
            a = "198.18.%d.%d" % (h, (prb + dst * h) % 250 + 1)
            hops.append({"hop": h, "result": [{"from": a, "rtt": 1.5 * h, "size": 76, "ttl": 255 - h}] * 2 + [{"x": "*"}]})
        hops.append({"hop": 12, "result": [{"from": d, "rtt": 20.25, "size": 48, "ttl": 52}] * 3})
        r = {"fw": 5080, "mver": "2.6.2", "lts": 5, "endtime": ts + 3, "dst_name": d, "dst_addr": d,
             "src_addr": "198.18.0.%d" % (prb % 250 + 1), "proto": "ICMP", "af": 4, "size": 48,
             "paris_id": i % 16 + 1, "result": hops, "msm_id": 5001 + dst % 7, "prb_id": 6000 + prb,
             "timestamp": ts, "msm_name": "Traceroute", "from": "198.18.0.1", "type": "traceroute"}
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
}
echo "generating $N Atlas results in $WORK ..."
gen "$N" "$WORK/big.jsonl"
gen $((N / 10)) "$WORK/small.jsonl"
sync

# measure NAME CMD...: bench/measure.sh
. bench/measure.sh
cat >"$WORK/ref.py" <<'PY'
import json, sys
n = 0
with open(sys.argv[1]) as f:
    for line in f:
        json.loads(line)
        n += 1
print(n)
PY
measure ref python3 "$WORK/ref.py" "$WORK/big.jsonl"; REF=$SECS
measure diff "$BT" diff --format csv "$WORK/big.jsonl"; DIFF=$SECS; MEM=$PEAK
measure small "$BT" diff --format csv "$WORK/small.jsonl"; SMALL_MEM=$PEAK
python3 - "$N" "$REF" "$DIFF" "$MEM" "$SMALL_MEM" <<'PY'
import sys
n, ref, diff, mem, small = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"python json.loads : {ref:8.2f} s  ({n / max(ref, 1e-9):,.0f} results/s)")
print(f"bordertrace diff  : {diff:8.2f} s  ({n / max(diff, 1e-9):,.0f} results/s), peak {mem / 1024:.0f} MB")
print(f"ratio (json.loads time / diff time): {ref / max(diff, 1e-9):.2f}x  (issue 12's target: >= 4x)")
print(f"peak memory at {n:,} vs {n // 10:,} results: {mem / 1024:.0f} MB vs {small / 1024:.0f} MB")
PY
