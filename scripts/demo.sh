#!/bin/bash
# The main job on the built-in lab: set up, build, bring up the per-flow ECMP
# diamond (real Linux routers in network namespaces), trace it with every
# method and a few Paris flows, print the traces and where the JSON went.
# The lab is always torn down, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
	echo "demo.sh: the lab needs root (network namespaces); try: sudo $0" >&2
	exit 1
fi
scripts/setup.sh >/dev/null
[[ -d build ]] || meson setup build >/dev/null
ninja -C build >/dev/null

OUT=${OUT:-$PWD/demo-out}
mkdir -p "$OUT"
export LAB_PREFIX=btdemo$$-
export OUT PROBE=$PWD/build/prober/bordertrace-probe

tests/lab/lab.sh run tests/lab/topo/diamond.topo bash -c '
set -euo pipefail
vp() { ip netns exec "${LAB_PREFIX}vp" "$@"; }
echo "== one trace per method (flow 0), as a table"
for m in icmp-paris udp-paris tcp-syn; do
	vp "$PROBE" trace -P "$m" -w 0.5 198.18.5.2 2>/dev/null
done
echo "== flows 0..15 per method: which branch of the diamond each flow takes"
for m in icmp-paris udp-paris tcp-syn; do
	: >"$OUT/diamond-$m.jsonl"
	for f in $(seq 0 15); do
		vp "$PROBE" trace -P "$m" -F "$f" -w 0.5 --json 198.18.5.2 2>/dev/null >>"$OUT/diamond-$m.jsonl"
	done
	printf "%-11s" "$m"
	python3 scripts/demo_branches.py "$OUT/diamond-$m.jsonl"
done
'
echo "== JSON Lines traces in $OUT/"
ls -1 "$OUT"/diamond-*.jsonl
