#!/bin/bash
# bordertrace tests — an export is all-or-nothing (doc/csv.md): with the disk
# filling up in the middle of `export -o DIR`, DIR keeps the previous export
# exactly (no file replaced, no temporary left) and the error says so.
# DIR is a small tmpfs mounted in a mount namespace of the test's own
# (unshare -m), sized so that the new hops.csv fits and traces.csv does not.
# Addresses: 198.18.0.0/15 only; nothing is probed.
#   test_export_full.sh PATH/TO/bordertrace
set -u
BT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)) || ! command -v unshare >/dev/null; then
	echo "1..0 # SKIP needs root and unshare"
	exit 77
fi
TMP=$(mktemp -d /tmp/bt-export-full.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

line() { # ROUND DST
	printf '{"format":"bordertrace-trace","v":1,"vp":"vp-01","campaign":"kp","round":"%s",' "$1"
	printf '"method":"icmp-paris","src":"198.18.0.2","dst":"%s","flow":0,"sport":0,' "$2"
	printf '"dport":0,"icmp_sum":4096,"start":"2017-10-01T08:00:00.000000Z","end":"2017-10-01T08:00:00.500000Z",'
	printf '"stop":"completed","stop_ttl":2,"first_ttl":1,"max_ttl":32,"probes_sent":2,"hops":['
	printf '{"ttl":1,"attempt":1,"addr":"198.18.1.1","rtt_ms":0.1,"reply_ttl":64,"icmp_type":11,'
	printf '"icmp_code":0,"quoted_ttl":1,"size":56},'
	printf '{"ttl":2,"attempt":1,"addr":"%s","rtt_ms":0.2,"reply_ttl":63,"icmp_type":0,' "$2"
	printf '"icmp_code":0,"size":84}]}\n'
}
mkdir -p "$TMP/small" "$TMP/big" "$TMP/ref" "$TMP/dir"
line r1 198.18.3.2 >"$TMP/small/r1.jsonl"
for i in $(seq 0 599); do line r1 "198.18.$((10 + i / 200)).$((i % 200 + 1))"; done >"$TMP/big/r1.jsonl"
"$BT" export -o "$TMP/ref" "$TMP/big" >/dev/null 2>&1 || { echo "not ok - reference export"; exit 1; }
pages() { echo $(( ($(stat -c %s "$1") + 4095) / 4096 )); }
H=$(pages "$TMP/ref/hops.csv") T=$(pages "$TMP/ref/traces.csv")
# the previous export (5 files of a page), the new hops.csv, half the new traces.csv
SIZE=$(( (5 + H + T / 2) * 4 ))k
export BT TMP SIZE
unshare -m --propagation private bash -c '
n=0 fail=0
check() { n=$((n+1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
mount -t tmpfs -o size=$SIZE bt-export-full "$TMP/dir" || { echo "1..0 # SKIP cannot mount a tmpfs"; exit 77; }
"$BT" export -o "$TMP/dir" "$TMP/small" >/dev/null 2>&1
check "the previous export fits ($SIZE)" "[[ -s $TMP/dir/diversity.csv ]]"
cp -a "$TMP/dir" "$TMP/before"
"$BT" export -o "$TMP/dir" "$TMP/big" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a full disk fails the export (exit $rc)" "[[ $rc -eq 1 ]]"
check "no file of the previous export was replaced" "diff -r $TMP/before $TMP/dir >/dev/null"
check "no temporary file is left ($(ls -A "$TMP/dir" | tr "\n" " "))" "[[ \$(ls -A $TMP/dir | wc -l) -eq 5 ]]"
check "the error names the cause" "grep -q \"No space left on device\" $TMP/err"
check "the error says the directory holds the previous export" "grep -q \"no file in $TMP/dir was replaced\" $TMP/err"
# with room again, the export replaces all five together
mount -o remount,size=64m "$TMP/dir"
"$BT" export -o "$TMP/dir" "$TMP/big" >/dev/null 2>&1
check "with room again the export succeeds" "diff -r $TMP/ref $TMP/dir >/dev/null"
echo "1..$n"
cat "$TMP/err"
exit $fail
'
