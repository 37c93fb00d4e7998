#!/bin/bash
# RIPE Atlas benchmark: `bordertrace diff` over N synthetic Atlas traceroute
# results (daily-dump JSON Lines, 3 packets a hop, 12 hops; each hour's
# round 2,000 probes x the same 50 destinations), against Python's json.loads
# over the same lines, measured in the same run. Issue 12's target: >= 4x.
#
# What is compared: both read the same plain (uncompressed) file, from the
# page cache (read once before either runs), pinned to the same core. The
# reference only parses: json.loads of each line (Python's C decoder; the
# file read in text mode, each line decoded from UTF-8, which is part of
# reading it), nothing mapped, kept or written. diff parses each
# result, maps it to a trace record (doc/atlas.md), resolves every hop's
# address, builds its path, checks the trace id against those read before
# and feeds the path-diff (no address database: every hop resolves to its
# address class). Pinned to one core (CORE, default 1). The machines here
# are shared and noisy: wall time stretches with other load on the core
# more than CPU time (user + system) does, so both ratios are printed.
# Also prints the peak memory at N and at N/2 results (twice the rounds,
# the same probes and destinations): flat in the number of traces when the
# ratio is near 1 (doc/trace-format.md).
#
#   bench/atlas.sh [BUILD_DIR] [N]        (default N = 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-1000000}
# bench_start, measure NAME CMD...: bench/measure.sh
. bench/measure.sh
bench_start atlas-bench

gen() { # N FILE: results with test-range addresses only
	python3 - "$1" "$2" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
probes = 2000
with open(path, "w") as f:
    for i in range(n):
        prb, dst = i % probes, i // probes % 50
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
gen $((N / 2)) "$WORK/small.jsonl"
sync
cat "$WORK/big.jsonl" >/dev/null # into the page cache, for both

cat >"$WORK/ref.py" <<'PY'
import json, sys
n = 0
with open(sys.argv[1]) as f:
    for line in f:
        json.loads(line)
        n += 1
print(n)
PY
measure ref python3 "$WORK/ref.py" "$WORK/big.jsonl"; REF=$SECS; REF_CPU=$CPU
measure diff "$BT" diff --format csv "$WORK/big.jsonl"; DIFF=$SECS; DIFF_CPU=$CPU; MEM=$PEAK
measure small "$BT" diff --format csv "$WORK/small.jsonl"; SMALL_MEM=$PEAK
# for comparison only: diff reads a file twice, the interface owners' graph
# first (doc/path-diff.md); with the graph off (a hidden option) once
measure once "$BT" diff --no-heuristic all --format csv "$WORK/big.jsonl"; ONCE_CPU=$CPU
python3 - "$N" "$REF" "$DIFF" "$REF_CPU" "$DIFF_CPU" "$MEM" "$SMALL_MEM" "$ONCE_CPU" <<'PY'
import sys
n = int(sys.argv[1])
ref, diff, ref_cpu, diff_cpu, mem, small, once_cpu = map(float, sys.argv[2:])
rate = lambda s: n / max(s, 1e-9)
print(f"python json.loads : {ref:8.2f} s wall, {ref_cpu:8.2f} s CPU  ({rate(ref):,.0f} results/s)")
print(f"bordertrace diff  : {diff:8.2f} s wall, {diff_cpu:8.2f} s CPU  ({rate(diff):,.0f} results/s), peak {mem / 1024:.0f} MB")
print(f"ratio (json.loads time / diff time): {ref / max(diff, 1e-9):.2f}x wall, "
      f"{ref_cpu / max(diff_cpu, 1e-9):.2f}x CPU  (issue 12's target: >= 4x)")
print(f"for comparison, diff without the owners' graph (the file read once): {once_cpu:.2f} s CPU, "
      f"{ref_cpu / max(once_cpu, 1e-9):.2f}x; the graph's pass (the light read and the graph) "
      f"{diff_cpu - once_cpu:.2f} s CPU")
print(f"peak memory at {n:,} vs {n // 2:,} results: {mem / 1024:.0f} MB vs {small / 1024:.0f} MB "
      f"({mem / max(small, 1):.2f}x for twice the traces; flat: near 1)")
PY
