#!/bin/bash
# bordertrace tests — scamper warts through `diff` and `export`
# (doc/warts.md, doc/bad-input.md): a directory walk takes *.warts and
# *.warts.gz beside *.jsonl (hidden names skipped), the objects that are
# not mapped are counted and named by file@offset on stderr (all of them
# with -v), a damaged warts file is an error naming file@offset with
# nothing written.
# usage: test_warts_cli.sh PATH/TO/bordertrace FIXTURE.warts
set -u
BT=$1
FIX=$2
TMP=$(mktemp -d /tmp/bt-warts-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
. "$(dirname "$0")/cli_lib.sh"

mkdir -p "$TMP/in/sub"
cp "$FIX" "$TMP/in/a.warts"
gzip -c "$FIX" >"$TMP/in/sub/b.warts.gz"
cp "$FIX" "$TMP/in/.c.warts"       # hidden: being written
cp "$FIX" "$TMP/in/d.warts.bak"    # not a name the walk takes
expect_rc 0 "$BT" export -o "$TMP/x" "$TMP/in"
# a.warts and b.warts.gz hold the same traces: read once, the copy a duplicate
has "$TMP/err" "3 traces, 15 hops, 1 round(s)"
has "$TMP/err" "3 duplicate trace(s) read again and counted once"
has "$TMP/err" "2 skipped as a ping object (not a trace): $TMP/in/a.warts@719, $TMP/in/sub/b.warts.gz@719"
has "$TMP/err" "2 skipped as a trace with method icmp-echo (classic traceroute"
is "$(col "$TMP/x/traces.csv" method udp-paris vp round flow stop)" "lab-mon:c0000000042:2:completed" "udp-paris trace"
# one reply an entry: two at each answering TTL of the -Q icmp-paris trace
is "$(col "$TMP/x/hops.csv" ttl 4 trace_id attempt | tr ' ' '\n' | grep -c icmp-paris)" "2" "two replies at TTL 4"

# more than ten of a kind: ten named, the rest counted; -v names all
for i in $(seq 1 11); do cp "$FIX" "$TMP/in/sub/m$i.warts"; done
expect_rc 0 "$BT" diff --format csv "$TMP/in"
has "$TMP/err" "13 skipped as a ping object (not a trace):"
has "$TMP/err" ", and 3 more (-v lists all)"
expect_rc 0 "$BT" diff -v --format csv "$TMP/in"
check "-v names all 13" [ "$(grep "skipped as a ping" "$TMP/err" | tr ',' '\n' | grep -c '@719')" = 13 ]

# damaged: file@offset, exit 1, nothing written
head -c 200 "$FIX" >"$TMP/trunc.warts"
expect_rc 1 "$BT" export -o "$TMP/y" "$TMP/trunc.warts"
has "$TMP/err" "$TMP/trunc.warts@73: truncated warts record: 127 of its 287 bytes"
has "$TMP/err" "nothing written to $TMP/y"
check "no export directory left" [ ! -e "$TMP/y" ]
{ head -c 73 "$FIX"; printf 'garbage!'; tail -c +74 "$FIX"; } >"$TMP/bad.warts"
expect_rc 1 "$BT" diff "$TMP/bad.warts"
has "$TMP/err" "$TMP/bad.warts@73: not a warts record: magic 0x6761 (0x1205 expected)"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all warts CLI checks passed"
