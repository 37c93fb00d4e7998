#!/bin/bash
# Least privilege while probing: the process that sends probes and parses
# replies has given up root and every capability. Reads /proc/PID/status of
# the prober's probing process while it probes in the lab (trace, then a
# campaign round): Uid not 0, CapEff, CapPrm and CapBnd empty, NoNewPrivs 1;
# and the probing process dies with its parent.
#   test_privdrop.sh PROBER
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)); then
	echo "1..0 # SKIP the lab needs root"
	exit 77
fi
export LAB_PREFIX="btp$$-" PROBE HERE
exec "$HERE/lab.sh" run "$HERE/topo/deaddst.topo" bash -c '
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
T=$(mktemp -d); trap "rm -rf $T" EXIT
dst=$("$HERE/lab.sh" truth "$LAB_TOPO" | awk "{print \$1; exit}")
field() { awk -v k="$1:" "\$1 == k {print \$2}" "$2"; }
# status of the probing child of PARENT (pid), read while it probes
probe_status() {
	local parent=$1 out=$2 child=""
	for i in $(seq 1 50); do
		child=$(pgrep -P "$parent" | head -1)
		[[ -n $child ]] && cp "/proc/$child/status" "$out" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
judge() { # WHAT STATUSFILE
	check "$1: uid is not 0 ($(field Uid $2))" "[[ -n \"$(field Uid $2)\" && \"$(field Uid $2)\" != 0 ]]"
	check "$1: CapEff empty" "[[ \"$(field CapEff $2)\" == 0000000000000000 ]]"
	check "$1: CapPrm empty" "[[ \"$(field CapPrm $2)\" == 0000000000000000 ]]"
	check "$1: CapBnd empty" "[[ \"$(field CapBnd $2)\" == 0000000000000000 ]]"
	check "$1: no_new_privs" "[[ \"$(field NoNewPrivs $2)\" == 1 ]]"
}

# trace: the destination is silent, so it probes for a few seconds
ip netns exec "${LAB_PREFIX}vp" "$PROBE" trace --lab -w 0.5 -q 2 -o "$T/out.jsonl" "$dst" 2>/dev/null &
pid=$!
probe_status $pid "$T/trace.status"; got=$?
wait $pid; rc=$?
check "trace: found the probing process" "[[ $got -eq 0 ]]"
[[ $got -eq 0 ]] && judge trace "$T/trace.status"
check "trace: completed, output written by the privileged parent (root-owned dir)" \
	"[[ $rc -eq 0 && -s $T/out.jsonl ]] && ! ls $T/out.jsonl.tmp.* >/dev/null 2>&1"

# run: one campaign round
mkdir -p "$T/c"
cat >"$T/c/t.txt" <<EOT
$dst
EOT
cat >"$T/c/p.campaign" <<EOT
name = "privdrop";
vp = "vp";
targets = [ "t.txt" ];
lab = true;
wait = 0.5;
rate = 100;
schedule = { interval = 1; rounds = 1; };
output = "$T/c/out";
EOT
ip netns exec "${LAB_PREFIX}vp" "$PROBE" run "$T/c/p.campaign" 2>"$T/c/log" &
pid=$!
probe_status $pid "$T/run.status"; got=$?
wait $pid; rc=$?
check "run: found the probing process" "[[ $got -eq 0 ]]"
[[ $got -eq 0 ]] && judge run "$T/run.status"
check "run: the round was committed" "[[ $rc -eq 0 ]] && ls $T/c/out/privdrop/vp/*.jsonl >/dev/null 2>&1" || cat "$T/c/log"

# the parent killed: the probing child must not go on alone (the kernel
# clears the parent-death signal when the child changes its user)
ip netns exec "${LAB_PREFIX}vp" "$PROBE" trace --lab -w 2 -q 3 -o "$T/orphan.jsonl" "$dst" 2>/dev/null &
pid=$!
child=""
for i in $(seq 1 50); do child=$(pgrep -P $pid | head -1); [[ -n $child ]] && break; sleep 0.05; done
kill -9 $pid; wait $pid 2>/dev/null
gone=1
alive() { [[ -n $1 ]] && kill -0 $1 2>/dev/null && ! grep -q "^State:.*Z" /proc/$1/status 2>/dev/null; }
for i in $(seq 1 20); do alive "$child" || { gone=0; break; }; sleep 0.05; done
[[ $gone -ne 0 && -n $child ]] && kill -9 $child 2>/dev/null
check "parent killed: the probing child ends with it" "[[ -n \"$child\" && $gone -eq 0 ]]"

# an unknown user: refused, nothing probed
ip netns exec "${LAB_PREFIX}vp" "$PROBE" trace --lab --user no-such-user-bt "$dst" >/dev/null 2>"$T/err"; rc=$?
check "--user with an unknown user: non-zero exit, says so" "[[ $rc -ne 0 ]] && grep -q no-such-user-bt $T/err"
echo "1..$n"
exit $fail
'
