#!/bin/bash
# Foreign replies and the source/interface options, on the linear lab:
#  - while scamper traces the same target with the SAME Paris flow (same ICMP
#    checksum), a second bordertrace traces it too and a ping floods it, our
#    trace must still equal the ground truth, and the replies to the others
#    must be counted as foreign, never used;
#  - -s (source address) and -i (interface) work, and a wrong one is refused.
#   test_foreign.sh PROBER
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)); then
	echo "1..0 # SKIP the lab needs root"
	exit 77
fi
export LAB_PREFIX="btf$$-" PROBE HERE
exec "$HERE/lab.sh" run "$HERE/topo/linear.topo" bash -c '
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
vp() { ip netns exec "${LAB_PREFIX}vp" "$@"; }
T=$(mktemp -d); trap "rm -rf $T" EXIT
truth=$("$HERE/lab.sh" truth "$LAB_TOPO" | awk "{print \$3, \$4, \$5, \$6; exit}")
dst=$("$HERE/lab.sh" truth "$LAB_TOPO" | awk "{print \$1; exit}")
hops() { python3 -c "
import json,sys
for l in open(sys.argv[1]):
    t=json.loads(l); print(\" \".join(h[\"addr\"] or \"*\" for h in t[\"hops\"]))" "$1"; }

# the same flow from three tools at once, plus a ping flood
vp ping -q -i 0.01 -c 300 "$dst" >/dev/null 2>&1 &
"$HERE/scamper_trace.sh" -n "${LAB_PREFIX}vp" -P icmp-paris -S 4096 -q 3 -w 1 "$dst" >"$T/sc" 2>/dev/null &
vp "$PROBE" trace --lab -F 0 -q 3 -w 1 --json "$dst" >"$T/b" 2>/dev/null &
# ours three at once too: each sees the replies of the others (another
# run secret), however the load of the machine staggers the starts
for i in 1 2 3; do vp "$PROBE" trace --lab -F 0 -q 3 -w 1 --json "$dst" >"$T/a$i" 2>"$T/e$i" & done
wait
ours=$(hops "$T/a1"); other=$(hops "$T/b")
check "our trace equals the truth while others probe the same flow ($ours)" "[[ \"$ours\" == \"$truth\" ]]"
check "the concurrent bordertrace also equals the truth" "[[ \"$other\" == \"$truth\" ]]"
check "repeated runs agree" "[[ \"$(hops $T/a2)\" == \"$truth\" && \"$(hops $T/a3)\" == \"$truth\" ]]"
foreign=$(cat "$T"/e1 "$T"/e2 "$T"/e3 | sed -n "s/.* \([0-9]*\) foreign ignored.*/\1/p" | awk "{s+=\$1} END {print s+0}")
check "replies to the other tools were counted as foreign ($foreign)" "[[ ${foreign:-0} -gt 0 ]]"

# -s and -i
src=$("$HERE/lab.sh" info "$LAB_TOPO" | awk "/^vp/{print \$4}")
ifc=$("$HERE/lab.sh" info "$LAB_TOPO" | awk "/^vp/{print \$5}")
vp "$PROBE" trace --lab -s "$src" -i "$ifc" -w 0.5 --json "$dst" >"$T/s" 2>/dev/null
check "-s $src -i $ifc: same path" "[[ \"$(hops $T/s)\" == \"$truth\" ]]"
check "-s: the record names the source" "grep -q \"\\\"src\\\":\\\"$src\\\"\" $T/s"
vp "$PROBE" trace --lab -s 198.18.99.99 "$dst" >/dev/null 2>"$T/bad"; rc=$?
check "a source address that is not ours: exit 2, says so" "[[ $rc -eq 2 ]] && grep -q \"198.18.99.99\" $T/bad"
vp "$PROBE" trace --lab -i nosuch0 "$dst" >/dev/null 2>"$T/bad"; rc=$?
check "an interface that does not exist: exit 2, says so" "[[ $rc -eq 2 ]] && grep -q nosuch0 $T/bad"
TMPDIR=/nonexistent-bt-spool vp "$PROBE" trace --lab -w 0.5 -o "$T/sp.jsonl" "$dst" >/dev/null 2>"$T/bad"; rc=$?
check "a spool directory that does not exist: non-zero exit, names it, no output" \
	"[[ $rc -ne 0 ]] && grep -q \"spool file in /nonexistent-bt-spool\" $T/bad && [[ ! -e $T/sp.jsonl ]]"
echo "1..$n"
exit $fail
'
