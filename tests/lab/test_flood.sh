#!/bin/bash
# Forged replies and a reply flood: while a router floods the VP with forged
# ICMP (time-exceeded quoting probes never sent, unsolicited echo replies,
# truncated packets), the prober's traces still equal the ground truth, the
# forgeries are counted (foreign / malformed), its memory stays within a
# small bound of an unflooded run, and the summary reports pcap drops.
#   test_flood.sh PROBER
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)); then
	echo "1..0 # SKIP the lab needs root"
	exit 77
fi
export LAB_PREFIX="btfl$$-" PROBE HERE
exec "$HERE/lab.sh" run "$HERE/topo/many.topo" bash -c '
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
T=$(mktemp -d); trap "rm -rf $T" EXIT
vpaddr=$("$HERE/lab.sh" info "$LAB_TOPO" | awk "/^vp/{print \$4}")
targets=$(seq -f "198.18.200.%g" 1 200)
run() { # OUT: 200 targets at 400 pps, peak RSS into OUT.rss
	ip netns exec "${LAB_PREFIX}vp" /usr/bin/time -f "%M" -o "$1.rss" \
		"$PROBE" trace --lab -r 400 -w 0.5 --json $targets >"$1" 2>"$1.err"
}
run "$T/quiet"
ip netns exec "${LAB_PREFIX}r1" python3 "$HERE/forge_flood.py" "$vpaddr" 3 >"$T/sent" &
fp=$!
run "$T/flood"
wait $fp
sent=$(cat "$T/sent")
good() { python3 -c "
import json, sys
bad = 0
for l in open(sys.argv[1]):
    t = json.loads(l)
    hops = [h[\"addr\"] for h in t[\"hops\"]]
    if hops != [\"198.18.0.1\", \"198.18.1.2\", t[\"dst\"]] or t[\"stop\"] != \"completed\":
        bad += 1
print(bad)" "$1"; }
check "flood: $sent forged packets sent during the run" "[[ ${sent:-0} -gt 1000 ]]"
check "quiet run: 200 traces equal the truth" "[[ \$(wc -l < $T/quiet) -eq 200 && \$(good $T/quiet) -eq 0 ]]"
check "flooded run: 200 traces, all equal the truth" "[[ \$(wc -l < $T/flood) -eq 200 && \$(good $T/flood) -eq 0 ]]"
counted=$(sed -n "s/.* \([0-9]*\) foreign ignored.* \([0-9]*\) malformed.*/\1 \2/p" "$T/flood.err")
check "forgeries counted as foreign / malformed ($counted)" "[[ \$(echo $counted | awk \"{print \\\$1+\\\$2}\") -gt 1000 ]]"
check "pcap drops reported in the summary" "grep -q \"pcap drops\" $T/flood.err"
q=$(cat $T/quiet.rss); f=$(cat $T/flood.rss)
check "memory bounded under the flood (peak $f KB vs $q KB quiet)" "[[ $f -le \$((q + 8192)) ]]"
echo "1..$n"
exit $fail
'
