#!/bin/bash
# warts benchmark: `bordertrace diff` over N synthetic traces written as one
# scamper warts file, against scamper's own `sc_warts2json FILE > /dev/null`
# over the same file, measured in the same run (the machines here are shared
# and noisy: read the ratio). Issue 12's target: >= 2x. The traces are
# bench/gen_traces.py's native rounds (10 VPs x N/10 targets, 2 rounds),
# turned into warts by `bordertrace convert`; `diff` over the same traces as
# JSON Lines is printed as well, for reference. Also prints the peak memory
# at N and at N/10 traces (one VP's, same targets): it must not grow with
# the number of traces (streamed; it grows with targets x routes).
#
# Here (2026-12-06, debugoptimized build, 2 shared cores, `bench/warts.sh
# build`), 1M traces, a 362 MB warts file: ratio 2.28x and 2.44x in two
# runs (2.43x in one before the reader's round id was made once a cycle);
# sc_warts2json 11.6 s, diff over warts 4.75-5.09 s, over the same traces
# as JSON Lines 3.85-4.25 s; peak 332 MB at 1M and at 100k traces.
# What diff over warts spends more than over JSON Lines is libscamperfile
# (its decoding ~19% of the run, and its mallocs, one per hop and address).
#
#   bench/warts.sh [BUILD_DIR] [N]        (default N = 1,000,000; one core)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-1000000}
command -v sc_warts2json >/dev/null || { echo "needs sc_warts2json (Debian: scamper)" >&2; exit 1; }
# bench_start, measure NAME CMD...: bench/measure.sh
. bench/measure.sh
bench_start warts-bench

convert() { # OUT DIR: DIR's round files as one warts file
	"$BT" convert -o "$1" $(find "$2" -name '*.jsonl' | sort) >/dev/null 2>"$WORK/stderr" || {
		cat "$WORK/stderr" >&2; exit 1; }
}
echo "generating $N traces (10 VPs x $((N / 10)) targets, 2 rounds) and their warts in $WORK ..."
python3 bench/gen_traces.py "$WORK/d" --vps 10 --targets $((N / 10)) >/dev/null
convert "$WORK/big.warts" "$WORK/d/rounds"
# N/10 traces over the same targets: one VP's (memory is to grow with
# targets x routes, not with traces)
convert "$WORK/small.warts" "$WORK/d/rounds/vp00"
sync

measure ref sc_warts2json "$WORK/big.warts"; REF=$SECS; REF_MEM=$PEAK
measure diff "$BT" diff --format csv "$WORK/big.warts"; DIFF=$SECS; MEM=$PEAK
measure jsonl "$BT" diff --format csv "$WORK/d/rounds"; JSONL=$SECS; JSONL_MEM=$PEAK
measure small "$BT" diff --format csv "$WORK/small.warts"; SMALL_MEM=$PEAK
python3 - "$N" "$(stat -c %s "$WORK/big.warts")" "$REF" "$DIFF" "$JSONL" "$REF_MEM" "$MEM" "$JSONL_MEM" "$SMALL_MEM" <<'PY'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
ref, diff, jsonl, ref_mem, mem, jsonl_mem, small = map(float, sys.argv[3:])
print(f"{n:,} traces, warts file {size / 2**20:.0f} MB, one core:")
print(f"  sc_warts2json > /dev/null    : {ref:8.2f} s  ({n / max(ref, 1e-9):,.0f} traces/s), peak {ref_mem / 1024:.0f} MB")
print(f"  bordertrace diff, warts      : {diff:8.2f} s  ({n / max(diff, 1e-9):,.0f} traces/s), peak {mem / 1024:.0f} MB")
print(f"  bordertrace diff, JSON Lines : {jsonl:8.2f} s  ({n / max(jsonl, 1e-9):,.0f} traces/s), peak {jsonl_mem / 1024:.0f} MB")
print(f"ratio (sc_warts2json time / diff time over warts): {ref / max(diff, 1e-9):.2f}x  (issue 12's target: >= 2x)")
print(f"peak memory of diff over warts at {n:,} vs {n // 10:,} traces (1 VP, same targets): {mem / 1024:.0f} MB vs {small / 1024:.0f} MB")
PY
