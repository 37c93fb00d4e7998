#!/bin/bash
# Forged ICMPv6 replies during an IPv4 + IPv6 run (linear.topo, dual
# stack): while r1 floods the VP's IPv6 address with forged time exceeded,
# unreachable, echo replies and truncated ICMPv6, one trace invocation of
# both families' targets (32 flows each) still equals the ground truth, and
# the forgeries are counted (foreign / malformed), never hops; and the
# kernel takes the capture filter of both families.
#   test_flood6.sh PROBER
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)); then
	echo "1..0 # SKIP the lab needs root"
	exit 77
fi
export LAB_PREFIX="btf6$$-" PROBE HERE
exec "$HERE/lab.sh" run "$HERE/topo/linear.topo" bash -c '
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
T=$(mktemp -d); trap "rm -rf $T" EXIT
vp6=$("$HERE/lab.sh" info "$LAB_TOPO" | awk "/^vp6/{print \$2}")
ip netns exec "${LAB_PREFIX}r1" python3 "$HERE/forge_flood6.py" "$vp6" 4 >"$T/sent" &
fp=$!
sleep 0.5
ip netns exec "${LAB_PREFIX}vp" "$PROBE" trace --lab -r 100 -w 0.5 --flows 32 --json \
	198.18.3.2 2001:db8:0:3::2 >"$T/out" 2>"$T/err"
rc=$?
wait $fp
sent=$(cat "$T/sent")
bad=$(python3 -c "
import json, sys
want = {\"198.18.3.2\": [\"198.18.0.1\", \"198.18.1.2\", \"198.18.2.2\", \"198.18.3.2\"],
        \"2001:db8:0:3::2\": [\"2001:db8::1\", \"2001:db8:0:1::2\", \"2001:db8:0:2::2\", \"2001:db8:0:3::2\"]}
bad = 0
for l in open(sys.argv[1]):
    t = json.loads(l)
    if [h.get(\"addr\") for h in t[\"hops\"]] != want.get(t[\"dst\"]) or t[\"stop\"] != \"completed\":
        bad += 1
print(bad)" "$T/out")
check "flood: $sent forged ICMPv6 packets sent during the run" "[[ ${sent:-0} -gt 500 ]]"
check "run: exit $rc, 64 traces (2 targets x 32 flows)" "[[ $rc -eq 0 && \$(wc -l < $T/out) -eq 64 ]]"
check "every trace equals its truth ($bad differ)" "[[ $bad -eq 0 ]]"
counted=$(sed -n "s/.* \([0-9]*\) foreign ignored.* \([0-9]*\) malformed.*/\1 \2/p" "$T/err")
check "forgeries counted as foreign / malformed ($counted)" "[[ \$(echo $counted | awk \"{print \\\$1+\\\$2}\") -gt 100 ]]"
# libpcap says so when the kernel refuses the filter (a BPF loop, e.g.
# "ip6 protochain") and it falls back to filtering in user space
check "the kernel took the capture filter (no user-space fallback)" "! grep -q \"Kernel filter failed\" $T/err"
echo "1..$n"
exit $fail
'
