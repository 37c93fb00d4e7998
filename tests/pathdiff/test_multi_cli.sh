#!/bin/bash
# bordertrace tests — several replies a TTL (trace format version 2) through
# `bordertrace export`: a TTL that answered from two ASes is two
# observations (doc/path-diff.md): both ASes are on the AS path, each makes
# its crossings, and hops.csv has one row per entry with its attempt and
# flow (doc/csv.md). A version-1 record of the same trace reads the same.
# Addresses: 198.18.0.0/15 only; nothing is probed.
# usage: test_multi_cli.sh PATH/TO/bordertrace
set -u
BT=$1
TMP=$(mktemp -d /tmp/bt-multi-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
# shellcheck source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"
kp_db
# rows FILE COLUMN...: every row's COLUMNs (all rows are vp-01's)
rows() { local f=$1; shift; col "$f" vp vp-01 "$@"; }

# reply TTL ATTEMPT ADDR [FLOW]
reply() {
	printf '{"ttl":%s,"attempt":%s,' "$1" "$2"
	[ -z "${4:-}" ] || printf '"flow":%s,' "$4"
	printf '"addr":"%s","rtt_ms":0.1,"reply_ttl":60,"icmp_type":11,"icmp_code":0,"quoted_ttl":1,"size":56}' "$3"
}
# record V ENTRY...: one trace of format version V into 198.18.7.2
record() {
	local sep=
	printf '{"format":"bordertrace-trace","v":%s,"vp":"vp-01","campaign":"kp","round":"r1",' "$1"
	printf '"method":"icmp-paris","src":"198.18.0.2","dst":"198.18.7.2","flow":0,"sport":0,'
	printf '"dport":0,"icmp_sum":4096,"start":"2017-10-01T08:00:00.000000Z","end":"2017-10-01T08:00:01.000000Z",'
	printf '"stop":"completed","stop_ttl":4,"first_ttl":1,"max_ttl":32,"probes_sent":9,"hops":['
	shift
	for e in "$@"; do printf '%s%s' "$sep" "$e"; sep=,; done
	printf ']}\n'
}
mkdir -p "$TMP/v2" "$TMP/v1" "$TMP/csv" "$TMP/csv1"
record 2 "$(reply 1 1 198.18.1.1)" '{"ttl":2,"attempt":1,"addr":null}' "$(reply 2 2 198.18.2.1)" \
	"$(reply 2 3 198.18.5.1 7)" "$(reply 3 1 198.18.7.1)" "$(reply 4 1 198.18.7.2)" >"$TMP/v2/r1.jsonl"

expect_rc 0 "$BT" export "${DB[@]}" -o "$TMP/csv" "$TMP/v2"
is "$(rows "$TMP/csv/hops.csv" ttl attempt flow addr)" \
	"1:1:0:198.18.1.1 2:1:0: 2:2:0:198.18.2.1 2:3:7:198.18.5.1 3:1:0:198.18.7.1 4:1:0:198.18.7.2" \
	"hops.csv: one row per entry (ttl:attempt:flow:addr)"
is "$(head -1 "$TMP/csv/hops.csv" | tr -d '\r' | sed 's/.*,ixp,/ixp,/')" "ixp,copied,attempt,flow" \
	"hops.csv: attempt and flow are the last columns"
is "$(rows "$TMP/csv/traces.csv" as_path hops replies)" "64500 4837 20485 131279:6:5" \
	"traces.csv: both ASes of TTL 2 on the AS path; entries and replies"
is "$(rows "$TMP/csv/borders.csv" kind near_asn far_asn near_ttl far_ttl)" \
	"as:64500:4837:1:2 as:64500:20485:1:2 as:4837:131279:2:3 as:20485:131279:2:3" \
	"borders.csv: a crossing for each (from, to) pair between TTLs 1-2 and 2-3"

# The same trace with one reply a TTL, as version 1 wrote it, reads as the
# version-2 record with one entry a TTL.
record 1 "$(reply 1 1 198.18.1.1)" "$(reply 2 2 198.18.2.1)" "$(reply 3 1 198.18.7.1)" \
	"$(reply 4 1 198.18.7.2)" >"$TMP/v1/r1.jsonl"
expect_rc 0 "$BT" export "${DB[@]}" -o "$TMP/csv1" "$TMP/v1"
is "$(rows "$TMP/csv1/hops.csv" ttl attempt flow addr)" \
	"1:1:0:198.18.1.1 2:2:0:198.18.2.1 3:1:0:198.18.7.1 4:1:0:198.18.7.2" "hops.csv of a version-1 record"
is "$(rows "$TMP/csv1/traces.csv" as_path)" "64500 4837 131279" "traces.csv of a version-1 record"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all multi-reply checks passed"
