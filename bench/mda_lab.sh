#!/bin/bash
# Multipath discovery in the lab (issue 15): every MDA topology of tests/lab/topo
# (diamonds of width 2, 4 and 8, nested, meshed, per-packet, a border split between
# two upstream ASes) traced by Debian's scamper tracelb at 95% and by our
# `trace --multipath --confidence 95`, each with icmp-paris (tracelb icmp-echo) and
# udp-paris (tracelb udp-dport). Prints per topology and method the interfaces and
# links of the truth, those each tool found (true ones; '+' when it also reported
# a false one), both probe counts and the ratio ours/tracelb, measured in the same
# run. Probe counts do not depend on the machine (the lab's hashing is fixed), only
# the duration does: tracelb waits at least 150 ms between probes, so a run takes
# about the width-8 diamond's tracelb, ~15-30 s.
# A prober without --multipath gives tracelb's columns only (ours stay '-').
#
#   bench/mda_lab.sh [BUILD_DIR] [--keep DIR]          (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
((EUID == 0)) || { echo "bench/mda_lab.sh: needs root (network namespaces)" >&2; exit 1; }
topos=()
for t in diamond8 diamond4 diamond2 nested meshed perpacket border; do
	topos+=("tests/lab/topo/mda-$t.topo")
done
exec tests/lab/test_mda.sh --table --ours "$BUILD/prober/bordertrace-probe" "$@" "${topos[@]}"
