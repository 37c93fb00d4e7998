#!/bin/bash
# bordertrace tests — copied hops (split TTL, "filled_below_ttl") through
# `bordertrace diff` and `export`: hops a trace did not probe itself make no
# crossing and no new border route, a crossing between two hops it did probe
# still counts, and the CSV files say which hops were copied (doc/path-diff.md,
# doc/csv.md).
# usage: test_filled_cli.sh PATH/TO/bordertrace
set -u
BT=$1
TMP=$(mktemp -d /tmp/bt-filled-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
# shellcheck source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"
kp_db

# trace ROUND START DST FLOW FILLED HOP... : one record; FILLED 0 = no key.
trace() {
	local round=$1 start=$2 dst=$3 flow=$4 filled=$5 ttl=0 sep=
	shift 5
	printf '{"format":"bordertrace-trace","v":1,"vp":"vp-01","campaign":"kp","round":"%s",' "$round"
	printf '"method":"icmp-paris","src":"198.18.0.2","dst":"%s","flow":%s,"sport":0,' "$dst" "$flow"
	printf '"dport":0,"icmp_sum":4096,"start":"%s","end":"%s","stop":"completed",' "$start" "$start"
	printf '"stop_ttl":%s,"first_ttl":1,"max_ttl":32,"probes_sent":4,"hops":[' $#
	for a in "$@"; do
		ttl=$((ttl + 1))
		printf '%s{"ttl":%s,"attempt":1,"addr":"%s","rtt_ms":0.1,"reply_ttl":60,' "$sep" $ttl "$a"
		printf '"icmp_type":11,"icmp_code":0,"quoted_ttl":1,"size":56}'
		sep=,
	done
	printf ']'
	[ "$filled" -eq 0 ] || printf ',"filled_below_ttl":%s' "$filled"
	printf '}\n'
}
R1=2017-10-01T08:00:00.000000Z
R2=2017-10-01T09:00:00.000000Z
mkdir -p "$TMP/rounds/vp-01" "$TMP/csv"
# Round 1, the baseline: 198.18.7.0/24 through CN.
trace "$R1" "$R1" 198.18.7.2 0 0 198.18.1.1 198.18.2.1 198.18.7.1 198.18.7.2 \
	>"$TMP/rounds/vp-01/r1.jsonl"
{
	# Round 2: the same trace probed again ...
	trace "$R2" "$R2" 198.18.7.2 0 0 198.18.1.1 198.18.2.1 198.18.7.1 198.18.7.2
	# ... and one (another flow) whose TTLs 1-2 were copied from another
	# trace: taken as its own, its copied RU hop would be a new route in.
	trace "$R2" "$R2" 198.18.7.2 1 3 198.18.1.1 198.18.5.1 198.18.7.1 198.18.7.2
	# A new target filled below TTL 2: its RU -> KP crossing lies between
	# two hops it probed itself, so it counts.
	trace "$R2" "$R2" 198.18.8.2 0 2 198.18.1.1 198.18.5.1 198.18.8.1 198.18.8.2
} >"$TMP/rounds/vp-01/r2.jsonl"

"$BT" diff "${DB[@]}" --format csv "$TMP/rounds" >"$TMP/events.csv" 2>"$TMP/err"
rc=$?
check "bordertrace diff: exit $rc: $(cat "$TMP/err")" [ $rc -eq 0 ]
cat "$TMP/events.csv"
check "no new route into 198.18.7.0/24 from copied hops" \
	test -z "$(grep '^new,as,prefix,198.18.7.0/24,' "$TMP/events.csv")"
check "a crossing between probed hops of a filled trace counts: new AS20485 -> AS131279" \
	grep -q '^new,as,prefix,198.18.8.0/24,AS20485,.*,AS131279,' "$TMP/events.csv"

"$BT" export "${DB[@]}" -o "$TMP/csv" "$TMP/rounds" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "bordertrace export: exit $rc: $(cat "$TMP/err")" [ $rc -eq 0 ]
id=vp-01/$R2/198.18.7.2/icmp-paris/1
is "$(col "$TMP/csv/hops.csv" trace_id "$id" ttl copied)" "1:1 2:1 3:0 4:0" \
	"hops.csv marks the copied hops (ttl:copied)"
is "$(col "$TMP/csv/hops.csv" trace_id "vp-01/$R1/198.18.7.2/icmp-paris/0" copied)" "0 0 0 0" \
	"hops.csv: no hop of a trace not filled is copied"
is "$(col "$TMP/csv/traces.csv" trace_id "$id" filled_below_ttl replies)" "3:2" \
	"traces.csv: filled_below_ttl 3, 2 replies of its own"
is "$(col "$TMP/csv/traces.csv" trace_id "$id" as_path)" "131279" \
	"traces.csv: the as_path of its own hops only"
is "$(col "$TMP/csv/borders.csv" trace_id "$id" near_addr)" "" \
	"borders.csv: no crossing from copied hops"
is "$(col "$TMP/csv/borders.csv" trace_id "vp-01/$R2/198.18.8.2/icmp-paris/0" kind near_addr far_addr)" \
	"as:198.18.5.1:198.18.8.1" "borders.csv: the crossing between probed hops"
is "$(head -1 "$TMP/csv/hops.csv" | tr -d '\r' | sed 's/.*,ixp,/ixp,/')" "ixp,copied,attempt,flow" \
	"hops.csv: copied, attempt and flow are the last columns"
is "$(head -1 "$TMP/csv/traces.csv" | tr -d '\r' | sed 's/.*,moas_resolved,/moas_resolved,/')" \
	"moas_resolved,filled_below_ttl" "traces.csv: filled_below_ttl is the last column"

# The as-rel owner rule (doc/path-diff.md, "AS relationships") on the
# founding story: CN's one router between the VP's AS and KP is a genuine
# transit, and CN and the VP's AS are related, so it stays; only a file
# without that link makes it KP's router. (AS numbers: lookup data only.)
printf '4837|64500|-1\n20485|64500|-1\n4837|131279|-1\n20485|131279|-1|bgp\n4837|20485|0\n' >"$TMP/as-rel.txt"
printf '4837|131279|-1\n20485|131279|-1\n' >"$TMP/as-rel-partial.txt"
id=vp-01/$R1/198.18.7.2/icmp-paris/0
for f in as-rel as-rel-partial; do
	"$BT" export "${DB[@]}" --as-rel "$TMP/$f.txt" -o "$TMP/csv-$f" "$TMP/rounds" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	check "bordertrace export --as-rel $f: exit $rc: $(cat "$TMP/err")" [ $rc -eq 0 ]
done
is "$(col "$TMP/csv-as-rel/traces.csv" trace_id "$id" as_path)" "64500 4837 131279" \
	"as-rel: the founding story's one-router CN transit stays"
is "$(col "$TMP/csv-as-rel-partial/traces.csv" trace_id "$id" as_path)" "64500 131279" \
	"as-rel: without the VP's link to CN, its router is taken as KP's"

# A route that only copied hops show in some rounds is not gone there: in
# 198.18.7.0/24, flow 0 enters through CN (crossing at TTL 2 -> 3) and flow 1
# through RU (its own hops); in rounds 2 and 3 flow 0 is filled below TTL 4,
# so its CN crossing lies across copied hops while flow 1 still shows a
# route into the target in those rounds.
mkdir -p "$TMP/gone/vp-01"
for i in 1 2 3 4 5; do
	R=2017-10-02T0$i:00:00.000000Z
	f=0
	{ [ $i = 2 ] || [ $i = 3 ]; } && f=4
	{
		trace "$R" "$R" 198.18.7.2 0 $f 198.18.1.1 198.18.2.1 198.18.7.1 198.18.7.3 198.18.7.2
		trace "$R" "$R" 198.18.7.2 1 0 198.18.1.1 198.18.2.9 198.18.2.8 198.18.5.1 198.18.7.2
	} >"$TMP/gone/vp-01/r$i.jsonl"
done
"$BT" diff "${DB[@]}" --baseline 1 --gone-after 1 --format csv "$TMP/gone" >"$TMP/gone.csv" 2>"$TMP/err"
rc=$?
check "bordertrace diff (gone): exit $rc: $(cat "$TMP/err")" [ $rc -eq 0 ]
cat "$TMP/gone.csv"
check "no gone or returned from rounds where only copied hops show a route" \
	test -z "$(grep -E '^(gone|returned),' "$TMP/gone.csv")"
# ... and the same route missing from every hop in round 4 is gone.
R=2017-10-02T04:00:00.000000Z
{
	trace "$R" "$R" 198.18.7.2 0 0 198.18.1.1 198.18.2.9 198.18.2.8 198.18.5.1 198.18.7.2
	trace "$R" "$R" 198.18.7.2 1 0 198.18.1.1 198.18.2.9 198.18.2.8 198.18.5.1 198.18.7.2
} >"$TMP/gone/vp-01/r4.jsonl"
"$BT" diff "${DB[@]}" --baseline 1 --gone-after 1 --format csv "$TMP/gone" >"$TMP/gone.csv" 2>"$TMP/err"
check "a route absent from every hop still goes: gone AS4837 in round 4" \
	grep -q '^gone,as,prefix,198.18.7.0/24,AS4837,' "$TMP/gone.csv"
"$BT" diff "${DB[@]}" --as-rel "$TMP/as-rel.txt" --baseline 1 --gone-after 1 --format csv "$TMP/gone" \
	>"$TMP/gone-rel.csv" 2>"$TMP/err"
is "$(cat "$TMP/gone-rel.csv")" "$(cat "$TMP/gone.csv")" "as-rel with the relationships of the story: the same events"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all filled-trace checks passed"
