#!/bin/bash
# Disk full during a round: the round is reported failed, nothing is left
# under a final name (nor a temporary file), and the next round proceeds once
# space returns. The output directory is a 64 KiB tmpfs mounted in the
# prober's own mount namespace (ip netns exec makes one), grown with nsenter.
#   test_diskfull.sh PROBER
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)) || ! command -v nsenter >/dev/null; then
	echo "1..0 # SKIP needs root and nsenter"
	exit 77
fi
export LAB_PREFIX="btd$$-" PROBE HERE
exec "$HERE/../lab/lab.sh" run "$HERE/../lab/topo/many.topo" bash -c '
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
T=$(mktemp -d /tmp/btdisk.XXXXXX); trap "rm -rf $T" EXIT
for i in $(seq 1 200); do echo "198.18.200.$i"; done >"$T/targets.txt"
mkdir -p "$T/out"
cat >"$T/d.campaign" <<EOT
name = "full"; vp = "vp";
targets = [ "targets.txt" ]; lab = true;
max_ttl = 6; attempts = 1; wait = 0.2; gap_limit = 2; rate = 4000;
schedule = { interval = 1; };
output = "out";
EOT
# the round files need ~150 KiB: 64 KiB is a full disk for them
ip netns exec "${LAB_PREFIX}vp" bash -c "mount -t tmpfs -o size=64k bt-full $T/out && mkdir -p $T/out/full/vp && exec \"$PROBE\" run $T/d.campaign" 2>"$T/log" &
PID=$!
for _ in $(seq 200); do grep -q "round dropped" "$T/log" 2>/dev/null && break; sleep 0.05; done
check "a round on a full disk is reported failed" "grep -q \"No space left on device; round dropped\" $T/log"
D=$T/out/full/vp
finals() { nsenter -t $PID -m find "$D" -maxdepth 1 -name "*.jsonl" ! -name ".*" | wc -l; }
check "nothing under a final name while the disk is full" "[[ \$(finals) -eq 0 ]]"
failed_id=$(sed -n "s/.*round \([0-9T:Z-]*\): writing .*No space left.*/\1/p" "$T/log" | head -1)
left=$(nsenter -t $PID -m find "$D" -maxdepth 1 -name ".$failed_id.jsonl.tmp.*" | wc -l)
check "the failed round ($failed_id) left no temporary file" "[[ -n \"$failed_id\" && $left -eq 0 ]]"
# space returns
nsenter -t $PID -m mount -o remount,size=64m "$T/out"
for _ in $(seq 200); do [[ $(finals) -ge 2 ]] && break; sleep 0.05; done
check "rounds complete again once space returns ($(finals) complete)" "[[ \$(finals) -ge 2 ]]"
kill -TERM $PID; wait $PID
echo "1..$n"
exit $fail
'
