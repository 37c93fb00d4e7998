#!/bin/bash
# RTTs are measured from the capture's timestamp, not from when the loop got
# to a reply: the prober sleeps between quanta (doc/probing.md, "Pacing and
# sleeping") and reads the replies of a quantum together, up to 10 ms after
# they came at 100 probes/s. In the linear lab (veth links: RTTs of a tenth
# of a millisecond) every hop's RTT must stay under 3 ms at 100 probes/s,
# where the loop reads replies up to a 10 ms quantum late (RTTs from the
# time they were read would be spread over 0..10 ms), and at 20,000; IPv4
# and IPv6. (This kernel has no netem to add a known delay.)
#   test_rtt.sh PROBER
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)); then
	echo "1..0 # SKIP the lab needs root"
	exit 77
fi
export LAB_PREFIX="btr$$-" PROBE HERE
exec "$HERE/lab.sh" run "$HERE/topo/linear.topo" bash -c '
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
T=$(mktemp -d); trap "rm -rf $T" EXIT
vp=${LAB_PREFIX}vp
# RTTs in ms of every answered hop, one line each
rtts() { python3 -c "
import json, sys
for l in open(sys.argv[1]):
    for h in json.loads(l)[\"hops\"]:
        if h.get(\"addr\"): print(h[\"rtt_ms\"])" "$1"; }
for spec in "100 1" "100 20" "20000 20"; do
	set -- $spec
	ip netns exec "$vp" "$PROBE" trace --lab -r "$1" -W "$2" -w 1 -q 1 -o "$T/o.jsonl" \
		198.18.3.2 2001:db8:0:3::2 2>"$T/err"
	rc=$?
	rtts "$T/o.jsonl" >"$T/rtt"
	lo=$(sort -n "$T/rtt" | head -1) hi=$(sort -n "$T/rtt" | tail -1) k=$(wc -l <"$T/rtt")
	check "rate $1, window $2: $k hops answered, RTTs $lo..$hi ms (want under 3)" \
		"[[ $rc -eq 0 && $k -eq 8 ]] && awk -v b=$hi \"BEGIN { exit !(b < 3) }\""
done
echo "1..$n"
exit $fail
'
