#!/bin/bash
# bordertrace tests — border routes over the flows of multipath records
# (trace format version 2, entries carrying their own `flow`) through
# `diff` and `export` (doc/path-diff.md, doc/csv.md): each flow's border
# route counts, shares of flows in diversity.csv, a `new` event for a route
# seen on 30% of the flows only, per-packet balancing (one flow answering
# two addresses at one TTL) counted once, and records of one flow counted
# as before (flows = traces).
# Addresses: 198.18.0.0/15 only; nothing is probed.
# usage: test_flows_cli.sh PATH/TO/bordertrace
set -u
BT=$1
TMP=$(mktemp -d /tmp/bt-flows-cli.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
fails=0
# shellcheck source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"
kp_db # AS64500 198.18.1/24, AS4837 198.18.2/24, AS20485 198.18.5/24, AS131279 198.18.7-8/24

# entry TTL ATTEMPT ADDR FLOW: one reply (no `flow` key for the trace's flow 0)
entry() {
	printf '{"ttl":%s,"attempt":%s,' "$1" "$2"
	[ "$4" = 0 ] || printf '"flow":%s,' "$4"
	printf '"addr":"%s","rtt_ms":0.1,"reply_ttl":60,"icmp_type":11,"icmp_code":0,"quoted_ttl":1,"size":56}' "$3"
}
# record V ROUND DST ENTRY...: a trace of vp-01 of format version V
record() {
	local v=$1 round=$2 dst=$3 sep=
	shift 3
	printf '{"format":"bordertrace-trace","v":%s,"vp":"vp-01","campaign":"kp","round":"%s",' "$v" "$round"
	printf '"method":"icmp-paris","src":"198.18.0.2","dst":"%s","flow":0,"sport":0,' "$dst"
	printf '"dport":0,"icmp_sum":4096,"start":"2017-10-01T0%s:00:00.000000Z",' "${round#r}"
	printf '"end":"2017-10-01T0%s:00:01.000000Z","stop":"completed","stop_ttl":4,' "${round#r}"
	printf '"first_ttl":1,"max_ttl":32,"probes_sent":40,"hops":['
	for e in "$@"; do printf '%s%s' "$sep" "$e"; sep=,; done
	printf ']}\n'
}
# multipath ROUND DST RU_FLOWS: ten flows (0..9) to DST, the flows listed in
# RU_FLOWS through AS20485, the others through AS4837; every flow probed at
# every TTL, a TTL's entries in flow order
multipath() {
	local round=$1 dst=$2 ru=" $3 " es=() ttl f
	for ttl in 1 2 3 4; do
		for f in 0 1 2 3 4 5 6 7 8 9; do
			case $ttl in
			1) es+=("$(entry 1 1 198.18.1.1 $f)") ;;
			2) if [[ $ru == *" $f "* ]]; then es+=("$(entry 2 1 198.18.5.1 $f)")
			   else es+=("$(entry 2 1 198.18.2.1 $f)"); fi ;;
			3) es+=("$(entry 3 1 "${dst%.*}.1" $f)") ;;
			4) es+=("$(entry 4 1 "$dst" $f)") ;;
			esac
		done
	done
	record 2 "$round" "$dst" "${es[@]}"
}
# single ROUND DST VIA: a version-1 trace of one flow through VIA's router
single() {
	record 1 "$1" "$2" "$(entry 1 1 198.18.1.1 0)" "$(entry 2 1 "$3" 0)" "$(entry 3 1 "${2%.*}.1" 0)" \
		"$(entry 4 1 "$2" 0)"
}
mkdir -p "$TMP/rounds/vp-01" "$TMP/csv"
{
	# 198.18.7.0/24: every flow through AS4837, then 3 of 10 through AS20485
	multipath r1 198.18.7.2 ""
	# 198.18.8.0/24: one flow through AS4837, then a per-packet trace (flow 0
	# answered from AS4837 and AS20485 at TTL 2, flow 1 from AS4837) beside
	# a trace of one flow through AS4837
	single r1 198.18.8.2 198.18.2.1
} >"$TMP/rounds/vp-01/r1.jsonl"
{
	multipath r2 198.18.7.2 "2 5 8"
	record 2 r2 198.18.8.2 "$(entry 1 1 198.18.1.1 0)" "$(entry 1 1 198.18.1.1 1)" \
		"$(entry 2 1 198.18.2.1 0)" "$(entry 2 1 198.18.2.1 1)" "$(entry 2 2 198.18.5.1 0)" \
		"$(entry 3 1 198.18.8.1 0)" "$(entry 3 1 198.18.8.1 1)" "$(entry 4 1 198.18.8.2 0)" \
		"$(entry 4 1 198.18.8.2 1)"
	single r2 198.18.8.3 198.18.2.1
} >"$TMP/rounds/vp-01/r2.jsonl"

expect_rc 0 "$BT" export "${DB[@]}" -o "$TMP/csv" "$TMP/rounds"
div() { col "$TMP/csv/diversity.csv" target_network "$1" round level upstream traces routed share flows \
	flows_routed flow_share; }
is "$(div 198.18.7.0/24)" \
	"r1:as:AS4837:1:1:1.0000:10:10:1.0000 r2:as:AS4837:1:1:1.0000:7:10:0.7000 r2:as:AS20485:1:1:1.0000:3:10:0.3000" \
	"diversity.csv: flows split 3/7 between AS20485 and AS4837 into AS131279, one trace"
is "$(div 198.18.8.0/24)" \
	"r1:as:AS4837:1:1:1.0000:1:1:1.0000 r2:as:AS4837:2:2:1.0000:2:3:0.6667 r2:as:AS20485:1:2:0.5000:1:3:0.3333" \
	"diversity.csv: per-packet flow 0 counted once (its last route), flows summed over the network's traces"
is "$(head -1 "$TMP/csv/diversity.csv" | tr -d '\r' | sed 's/.*,upstreams,/upstreams,/')" \
	"upstreams,flows,flows_routed,flow_share" "diversity.csv: the flow columns are the last"
is "$(col "$TMP/csv/borders.csv" trace_id vp-01/r2/198.18.7.2/icmp-paris/0 near_asn far_asn into_target flows)" \
	"64500:4837:0:0 64500:20485:0:0 4837:131279:1:7 20485:131279:1:3" \
	"borders.csv: both routes into the target, with their flows"
is "$(col "$TMP/csv/borders.csv" trace_id vp-01/r2/198.18.8.3/icmp-paris/0 near_asn far_asn into_target flows)" \
	"64500:4837:0:0 4837:131279:1:1" "borders.csv: a trace of one flow: its route, one flow"
is "$(col "$TMP/csv/events.csv" level as upstream target_network round traces flows flows_routed flow_share)" \
	"AS20485:198.18.7.0/24:r2:1:3:10:0.3000 AS20485:198.18.8.0/24:r2:1:1:3:0.3333" \
	"events.csv: new AS20485 routes with the share of flows that showed them"

# the event table says when a route was seen on some flows only
expect_rc 0 "$BT" diff "${DB[@]}" --format table "$TMP/rounds"
has "$TMP/out" "NEW as border route into 198.18.7.0/24: AS20485 -> AS131279"
has "$TMP/out" "  flows: 3 of the 10 that entered AS131279 in round r2 (30.0%): seen on some flows only"
has "$TMP/out" "  flows: 1 of the 3 that entered AS131279 in round r2 (33.3%): seen on some flows only"

# the report: the event's share of flows, each route's crossing in the hop
# table with its flows, the timeline's bars as shares of flows
expect_rc 0 "$BT" report "${DB[@]}" --no-png -o "$TMP/report" "$TMP/rounds"
has "$TMP/report/report.html" "seen on 3 of the 10 flows that entered in round r2 (30%)"
has "$TMP/report/report.html" "AS131279 (3 of the trace's 10 flows that entered)"
has "$TMP/report/report.html" "AS131279 (7 of the trace's 10 flows that entered)"
has "$TMP/report/report.html" "AS20485 round r2: 3 of 10 flows that entered (30%), in 1 of 1 routed traces"

# a route on one flow of ten still counts as present: not gone until no flow
# shows it (the gone event gives the flows of the last round that saw it)
mkdir -p "$TMP/gone/vp-01"
multipath r1 198.18.7.2 "" >"$TMP/gone/vp-01/r1.jsonl"
multipath r2 198.18.7.2 "2 5 8" >"$TMP/gone/vp-01/r2.jsonl"
multipath r3 198.18.7.2 "7" >"$TMP/gone/vp-01/r3.jsonl"
multipath r4 198.18.7.2 "" >"$TMP/gone/vp-01/r4.jsonl"
expect_rc 0 "$BT" diff "${DB[@]}" --gone-after 1 --format csv "$TMP/gone"
is "$(col "$TMP/out" level as event upstream round flows flows_routed flow_share)" \
	"new:AS20485:r2:3:10:0.3000 gone:AS20485:r4:1:10:0.1000" \
	"events: AS20485 present on 1 flow of 10 in r3, gone in r4 (flows of r3)"

# rounds of one flow a trace: no flows line, flows = traces everywhere
mkdir -p "$TMP/v1/vp-01" "$TMP/csv1"
single r1 198.18.8.2 198.18.2.1 >"$TMP/v1/vp-01/r1.jsonl"
{ single r2 198.18.8.2 198.18.5.1; single r2 198.18.8.3 198.18.2.1; } >"$TMP/v1/vp-01/r2.jsonl"
expect_rc 0 "$BT" diff "${DB[@]}" --format table "$TMP/v1"
has "$TMP/out" "NEW as border route into 198.18.8.0/24: AS20485 -> AS131279"
check "no flows line for traces of one flow" test -z "$(grep 'flows:' "$TMP/out")"
expect_rc 0 "$BT" export "${DB[@]}" -o "$TMP/csv1" "$TMP/v1"
is "$(col "$TMP/csv1/diversity.csv" round r2 upstream traces routed share flows flows_routed flow_share)" \
	"AS4837:1:2:0.5000:1:2:0.5000 AS20485:1:2:0.5000:1:2:0.5000" "diversity.csv of one-flow traces: flows = traces"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all flow checks passed"
