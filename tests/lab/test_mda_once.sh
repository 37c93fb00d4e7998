#!/bin/bash
# Multipath: the rounds after the first send each probe once (doc/probing.md,
# "Multipath": a lost reply is made up by the rule's next flows, not by a
# retry). In the silent lab (r2, TTL 2, never answers; no loss elsewhere)
# `trace --multipath` with 2 and with 3 attempts: the same interfaces, and
# one probe more with 3 (round 1's flow 0 tries the silent TTL once more);
# were the later rounds' flows retried too, each of the n_1 - 1 = 5 flows
# the rule sends through the silent TTL would add one.
#   test_mda_once.sh PROBER
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)); then
	echo "1..0 # SKIP the lab needs root"
	exit 77
fi
export LAB_PREFIX="bto$$-" PROBE HERE
exec "$HERE/lab.sh" run "$HERE/topo/silent.topo" bash -c '
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
T=$(mktemp -d); trap "rm -rf $T" EXIT
vp=${LAB_PREFIX}vp
# "PROBES ADDRESSES": the record'"'"'s probes and its answering addresses per TTL
summary() { python3 -c "
import json, sys
r = json.loads(open(sys.argv[1]).readline())
a = sorted({(h[\"ttl\"], h[\"addr\"]) for h in r[\"hops\"] if h.get(\"addr\")})
print(r[\"probes_sent\"], \",\".join(f\"{t}:{x}\" for t, x in a))" "$1"; }
for q in 2 3; do
	ip netns exec "$vp" "$PROBE" trace --lab --multipath -P icmp-paris -q $q -w 0.3 -o "$T/o$q.jsonl" 198.18.3.2 2>"$T/err$q"
	rc=$?
	check "trace --multipath -q $q ran (exit $rc)" "[[ $rc -eq 0 ]]"
	read -r p[$q] s[$q] < <(summary "$T/o$q.jsonl")
done
check "the same hops with 2 and 3 attempts (${s[2]})" "[[ -n \"${s[2]}\" && \"${s[2]}\" == \"${s[3]}\" ]]"
check "one probe more with 3 attempts than with 2 (${p[2]}, ${p[3]})" "[[ $((p[3] - p[2])) -eq 1 ]]"
echo "1..$n"
exit $fail
'
