#!/bin/bash
# The main job on the built-in lab: set up, build, bring up the founding-story
# lab (two VPs, a transit with per-flow ECMP, target AS131279 "KP" behind
# AS4837 "CN"; tests/lab/topo/kp-border.topo), probe two rounds with the real
# prober (IPv4 and IPv6 targets in one run), move one KP prefix per family to
# AS20485 "RU" in between, then run the analysis: the border route events (one
# per family), and the CSV exports' paths.
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
tests/scenario/kp_scenario.sh build "$OUT"
echo "== round files (JSON Lines, one trace per line, IPv4 and IPv6): $OUT/rounds/<vp>/<round>.jsonl"
