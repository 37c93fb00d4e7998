#!/bin/bash
# bordertrace tests — interface owners from the round's graph
# (doc/path-diff.md, "Interface owners"): hand-written version-2 traces of one
# round from two VPs, through `bordertrace export`. Each heuristic has a case
# it exists for, where one VP's trace ends (the target dark) at an interface
# that only the other VP's trace shows the operator of, and a case where it
# must not fire. Each case is run with every heuristic on, then with that one
# switched off (--no-heuristic NAME): the result must fall back to what the
# address's origin says, so each check fails without its heuristic.
# Addresses: 198.18.0.0/15 only; nothing is probed.
# usage: test_owner_cli.sh PATH/TO/bordertrace
set -u
BT=$1
TMP=$(mktemp -d /tmp/bt-owner-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
# shellcheck source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"

# A (the VPs' AS) 64500, U (the upstream) 4837, T (a target) 131279,
# D 64501 (another target, a transit), E 64502 (a target behind an IXP);
# 198.18.10.0/24 is announced by nobody; 198.18.11.0/24 is an IXP's LAN;
# 198.18.14.0/24 is T's too, 198.18.15.0/24 of F 64510 (a transit, no target);
# 198.18.16.0/24 of G 64520 (T's other provider), 198.18.17.0/24 of H 64530
# (a transit between U and T): neither is a target; 198.18.18.0/24 of K
# 64540 (U's, T's and W's provider), 198.18.19.0/24 of W 64550 (a target),
# 198.18.20.0/24 of S 64560 (a stub: U's customer, nobody's provider).
printf '198.18.1.0\t24\t64500\n198.18.2.0\t24\t4837\n198.18.7.0\t24\t131279\n' >"$TMP/pfx2as.txt"
printf '198.18.8.0\t24\t131279\n198.18.9.0\t24\t64501\n198.18.12.0\t24\t64502\n' >>"$TMP/pfx2as.txt"
printf '198.18.14.0\t24\t131279\n198.18.15.0\t24\t64510\n' >>"$TMP/pfx2as.txt"
printf '198.18.16.0\t24\t64520\n198.18.17.0\t24\t64530\n' >>"$TMP/pfx2as.txt"
printf '198.18.18.0\t24\t64540\n198.18.19.0\t24\t64550\n198.18.20.0\t24\t64560\n' >>"$TMP/pfx2as.txt"
# the AS relationships (CAIDA serial-2): U provides A, T, D, E, F, H and S; F,
# D, G, H and K provide T; K provides U and W; no relationship between U
# and G, nor U and W
{
	echo '# AS relationships of the test: 4837 and 131279 are numbers only'
	for c in 64500 131279 64501 64502 64510 64530 64560; do echo "4837|$c|-1|bgp"; done
	for p in 64510 64501 64520 64530; do echo "$p|131279|-1|bgp"; done
	for c in 4837 131279 64550; do echo "64540|$c|-1|bgp"; done
} >"$TMP/as-rel.txt"
printf '198.18.11.0/24,TEST-IX\n' >"$TMP/ixp.csv"
DB=(--pfx2as "$TMP/pfx2as.txt" --prefer-pfx2as --ixp "$TMP/ixp.csv" --lookup-test-ranges)

# trace DST HOP...: one version-2 record of $VP, round $ROUND (r1); HOP is an address
# or '*' (no reply). It completed when the last hop is DST. With $FILLED, the hops
# below TTL $FILLED are copied (split TTL: filled_below_ttl).
trace() {
	local dst=$1 ttl=0 sep= last= stop=gaplimit
	shift
	for h in "$@"; do last=$h; done
	[ "$last" = "$dst" ] && stop=completed
	printf '{"format":"bordertrace-trace","v":2,"vp":"%s","campaign":"own","round":"%s",' "$VP" "${ROUND:-r1}"
	printf '"method":"icmp-paris","src":"198.18.0.2","dst":"%s","flow":0,"sport":0,' "$dst"
	printf '"dport":0,"icmp_sum":4096,"start":"2026-12-01T00:00:00.000000Z","end":"2026-12-01T00:00:01.000000Z",'
	printf '"stop":"%s","stop_ttl":%s,"first_ttl":1,"max_ttl":32,"probes_sent":%s,"hops":[' "$stop" "$#" "$#"
	for h in "$@"; do
		ttl=$((ttl + 1))
		if [ "$h" = '*' ]; then
			printf '%s{"ttl":%s,"attempt":1,"addr":null}' "$sep" "$ttl"
		else
			local type=11
			[ "$h" = "$dst" ] && type=0
			printf '%s{"ttl":%s,"attempt":1,"addr":"%s","rtt_ms":0.1,"reply_ttl":60,' "$sep" "$ttl" "$h"
			printf '"icmp_type":%s,"icmp_code":0,"quoted_ttl":1,"size":56}' "$type"
		fi
		sep=,
	done
	printf ']'
	[ -z "${FILLED:-}" ] || printf ',"filled_below_ttl":%s' "$FILLED"
	printf '}\n'
}

mkdir -p "$TMP/rounds/vp-01" "$TMP/rounds/vp-02"
{
	VP=vp-01
	# neighbour: T's border router answers from U's space (198.18.2.9);
	# the target is dark behind it
	trace 198.18.7.10 198.18.1.1 198.18.2.1 198.18.2.9 '*' '*'
	# ... and a genuine border in the middle: U's router 198.18.2.20
	# leads into T here and into D on vp-02's trace
	trace 198.18.8.10 198.18.1.1 198.18.2.1 198.18.2.20 198.18.8.1 198.18.8.10
	# third-party: U's router answers from D's space (198.18.9.50)
	trace 198.18.7.30 198.18.1.1 198.18.2.1 198.18.9.50 '*' 198.18.7.1 198.18.7.30
	# ... and between U and T (198.18.9.70): D is a destination of the
	# round, and that address never leads into D
	trace 198.18.8.70 198.18.1.1 198.18.2.1 198.18.9.70 198.18.8.4 198.18.8.70
	# neighbour after third-party: T's border in U's space (198.18.2.60)
	# behind U's router answering from D's space (198.18.9.75); T dark
	trace 198.18.8.80 198.18.1.1 198.18.2.1 198.18.9.75 198.18.2.60 '*'
	# the single-router transit of vp-02's trace to 198.18.7.40 leads into
	# its own network here
	trace 198.18.9.65 198.18.1.1 198.18.2.1 198.18.9.60 198.18.9.61 198.18.9.65
	# ixp: E's router on the IXP LAN, E dark behind it
	trace 198.18.12.10 198.18.1.1 198.18.2.1 198.18.11.5 '*' '*'
	# ... an IXP address followed by two networks
	trace 198.18.12.30 198.18.1.1 198.18.2.1 198.18.11.6 198.18.12.2 198.18.12.30
	# unannounced: T's border router numbered from nobody's space
	trace 198.18.8.40 198.18.1.1 198.18.2.1 198.18.10.5 '*' '*'
	# ... an unannounced address followed by two networks
	trace 198.18.8.60 198.18.1.1 198.18.2.1 198.18.10.6 198.18.8.3 198.18.8.60
	# last-hop: the router in front of T's hosts, in U's space
	trace 198.18.7.50 198.18.1.1 198.18.2.1 198.18.2.40 198.18.7.50
	# ... a router in front of hosts of T and of D
	trace 198.18.7.60 198.18.1.1 198.18.2.1 198.18.2.41 198.18.7.60
	# neighbour must not fire: U's router 198.18.2.50 leads into T here
	# and onto the IXP on vp-02's trace
	trace 198.18.7.70 198.18.1.1 198.18.2.1 198.18.2.50 198.18.7.3 198.18.7.70
	# silent-gap: U, a silent hop, T's border 198.18.14.1, which vp-02's
	# trace enters from F's router: the gap may be F's
	trace 198.18.14.10 198.18.1.1 198.18.2.1 '*' 198.18.14.1 198.18.14.10
	# ... must not fire: T's border 198.18.14.2 follows U's routers only
	trace 198.18.14.30 198.18.1.1 198.18.2.1 '*' 198.18.14.2 198.18.14.30
	# doubt: D's address 198.18.9.95 between U's 198.18.2.90 and T, but
	# 198.18.2.90 is entered from A too on vp-02's trace (it may be the
	# next network's ingress numbered by U): 198.18.9.95's operator is unknown
	trace 198.18.8.90 198.18.1.1 198.18.2.1 198.18.2.90 198.18.9.95 198.18.8.6 198.18.8.90
	# parallel: U's router answering from D's space (198.18.9.97) leads
	# into D too (so no third-party rule fires), but sits beside U's
	# 198.18.2.95 between U's 198.18.2.1 and T's 198.18.8.7 (vp-02's trace)
	trace 198.18.8.92 198.18.1.1 198.18.2.1 198.18.9.97 198.18.8.7 198.18.8.92
	trace 198.18.9.98 198.18.1.1 198.18.2.1 198.18.9.97 198.18.9.4 198.18.9.98
	# parallel-next: F's ingress numbered from U's space (198.18.2.100),
	# then F's router answering from D's space (198.18.9.110, never into
	# D) beside F's own 198.18.15.5 (vp-02's trace) before T's border
	trace 198.18.8.150 198.18.1.1 198.18.2.1 198.18.2.100 198.18.9.110 198.18.8.15 198.18.8.150
	# as-rel: T's border router answers from G's space (198.18.16.1, its
	# link to G) right after U, which has no relationship with G
	trace 198.18.8.100 198.18.1.1 198.18.2.1 198.18.16.1 198.18.8.8 198.18.8.100
	# ... must not fire: H's one router between U and T, U and H related
	trace 198.18.8.110 198.18.1.1 198.18.2.1 198.18.17.1 198.18.8.9 198.18.8.110
	# as-rel, customer first: T's border router answers from the space of K,
	# U's provider and T's: U would not hand T's traffic up to K
	trace 198.18.8.140 198.18.1.1 198.18.2.1 198.18.18.1 198.18.8.14 198.18.8.140
	# ... must not fire: K's one router between U and W, W not U's customer
	trace 198.18.19.50 198.18.1.1 198.18.2.1 198.18.18.2 198.18.19.5 198.18.19.50
	# common-next: H's address (198.18.17.20) between U and T, before
	# 198.18.8.52, which T's border 198.18.8.51 (entered from F) leads to
	# on vp-02's trace: one router, T's
	trace 198.18.8.233 198.18.1.1 198.18.2.1 198.18.17.20 198.18.8.52 198.18.8.233
	# ... must not fire: the other interface before 198.18.8.56 is T's,
	# entered from T (198.18.8.58 after 198.18.8.57): no border of T
	trace 198.18.8.234 198.18.1.1 198.18.2.1 198.18.17.21 198.18.8.56 198.18.8.234
} >"$TMP/rounds/vp-01/r1.jsonl"
{
	VP=vp-02
	trace 198.18.7.20 198.18.1.2 198.18.2.1 198.18.2.9 198.18.7.1 198.18.7.20
	trace 198.18.9.10 198.18.1.2 198.18.2.1 198.18.2.20 198.18.9.1 198.18.9.10
	trace 198.18.2.77 198.18.1.2 198.18.2.1 198.18.9.50 198.18.2.31 198.18.2.77
	# a single-router transit in the middle: D (198.18.9.60) must stay
	trace 198.18.7.40 198.18.1.2 198.18.2.1 198.18.9.60 198.18.7.2 198.18.7.40
	trace 198.18.12.20 198.18.1.2 198.18.2.1 198.18.11.5 198.18.12.1 198.18.12.20
	trace 198.18.9.30 198.18.1.2 198.18.2.1 198.18.11.6 198.18.9.2 198.18.9.30
	trace 198.18.8.50 198.18.1.2 198.18.2.1 198.18.10.5 198.18.8.2 198.18.8.50
	trace 198.18.9.80 198.18.1.2 198.18.2.1 198.18.10.6 198.18.9.3 198.18.9.80
	# the target of the last-hop case dark here
	trace 198.18.7.52 198.18.1.2 198.18.2.1 198.18.2.40 '*'
	trace 198.18.9.90 198.18.1.2 198.18.2.1 198.18.2.41 198.18.9.90
	trace 198.18.12.40 198.18.1.2 198.18.2.1 198.18.2.50 198.18.11.7 198.18.12.3 198.18.12.40
	trace 198.18.8.81 198.18.1.2 198.18.2.1 198.18.9.75 198.18.2.60 198.18.8.5 198.18.8.81
	trace 198.18.14.20 198.18.1.2 198.18.2.1 198.18.15.1 198.18.14.1 198.18.14.20
	trace 198.18.14.40 198.18.1.2 198.18.2.1 198.18.2.70 198.18.14.2 198.18.14.40
	trace 198.18.8.91 198.18.1.2 198.18.2.90 198.18.9.95 198.18.8.6 198.18.8.91
	trace 198.18.8.93 198.18.1.2 198.18.2.1 198.18.2.95 198.18.8.7 198.18.8.93
	trace 198.18.8.151 198.18.1.2 198.18.2.1 198.18.2.100 198.18.15.5 198.18.8.15 198.18.8.151
	trace 198.18.8.235 198.18.1.2 198.18.2.1 198.18.15.7 198.18.8.51 198.18.8.52 198.18.8.235
	trace 198.18.8.236 198.18.1.2 198.18.2.1 198.18.8.57 198.18.8.58 198.18.8.56 198.18.8.236
} >"$TMP/rounds/vp-02/r1.jsonl"

# views NAME: the rows of the export in $TMP/NAME that the checks read,
# into $TMP/NAME/views (one python run an export)
views() {
	python3 - "$TMP/$1" >"$TMP/$1/views" <<'EOF'
import csv, sys
d = sys.argv[1]
for r in csv.DictReader(open(d + "/traces.csv", newline="")):
    print("up", r["vp"], r["target"], f"{r['upstream_asn']}:{r['reached_target_as']}:{r['as_path']}")
for r in csv.DictReader(open(d + "/borders.csv", newline="")):
    if r["kind"] == "as" and r["into_target"] == "1":
        print("border", r["vp"], r["target"], ":".join(r[c] for c in (
            "near_addr", "near_asn", "far_addr", "far_asn", "across_silent", "ixp")))
EOF
}
# export NAME [--no-heuristic H]...: into $TMP/NAME, and its views
export_as() {
	local name=$1
	shift
	expect_rc 0 "$BT" export "${DB[@]}" "$@" -o "$TMP/$name" "$TMP/rounds/vp-01" "$TMP/rounds/vp-02"
	views "$name"
}
# view KIND NAME VP DST: the views of the trace's rows, space-joined
view() {
	awk -v k="$1" -v v="$3" -v t="$4" '$1 == k && $2 == v && $3 == t {
		sub(/^[^ ]+ [^ ]+ [^ ]+ /, ""); printf "%s%s", s, $0; s = " " } END { print "" }' "$TMP/$2/views"
}
# upstream NAME VP DST: the trace's upstream_asn:reached_target_as:as_path
upstream() { view up "$@"; }
# border NAME VP DST: the trace's AS crossing into its target:
# near_addr:near_asn:far_addr:far_asn:across_silent:ixp
border() { view border "$@"; }

export_as on
export_as off --no-heuristic all

# neighbour
is "$(upstream on vp-01 198.18.7.10)" "4837:1:64500 4837 131279" "neighbour: the dark target entered at its border"
is "$(border on vp-02 198.18.7.20)" "198.18.2.1:4837:198.18.2.9:131279:0:" \
	"neighbour: the crossing one hop earlier, at T's border router"
is "$(border on vp-01 198.18.8.10)" "198.18.2.20:4837:198.18.8.1:131279:0:" \
	"neighbour must not fire: U's router leads into two networks"
is "$(border on vp-01 198.18.7.70)" "198.18.2.50:4837:198.18.7.3:131279:0:" \
	"neighbour must not fire: U's router leads into T and onto an IXP"
export_as no-neighbour --no-heuristic neighbour
is "$(upstream no-neighbour vp-01 198.18.7.10)" ":0:64500 4837" "neighbour off: the origins' view"
is "$(border no-neighbour vp-02 198.18.7.20)" "198.18.2.9:4837:198.18.7.1:131279:0:" "neighbour off: the crossing"

# third-party
is "$(upstream on vp-01 198.18.7.30)" "4837:1:64500 4837 131279" "third-party: D's address taken as U's router"
is "$(upstream on vp-01 198.18.8.70)" "4837:1:64500 4837 131279" \
	"third-party: a destination network's address between U and T taken as U's router"
is "$(upstream on vp-02 198.18.7.40)" "64501:1:64500 4837 64501 131279" \
	"third-party must not fire: a transit between two others that leads into its own network"
export_as no-third --no-heuristic third-party
is "$(upstream no-third vp-01 198.18.7.30)" "64501:1:64500 4837 64501 131279" "third-party off: the origins' view"
is "$(upstream no-third vp-01 198.18.8.70)" "64501:1:64500 4837 64501 131279" "third-party off: between U and T"
# the neighbour rule counts a third-party address by its owner
is "$(upstream on vp-01 198.18.8.80)" "4837:1:64500 4837 131279" "neighbour after third-party: the dark target entered"
is "$(upstream no-third vp-01 198.18.8.80)" ":0:64500 4837" "neighbour after third-party, third-party off"
is "$(upstream no-neighbour vp-01 198.18.8.80)" ":0:64500 4837" "neighbour after third-party, neighbour off"

# ixp
is "$(upstream on vp-01 198.18.12.10)" "4837:1:64500 4837 64502" "ixp: the dark target entered at its IXP address"
is "$(border on vp-01 198.18.12.10)" "198.18.2.1:4837:198.18.11.5:64502:0:TEST-IX" "ixp: the crossing keeps the IXP"
is "$(border on vp-02 198.18.12.20)" "198.18.2.1:4837:198.18.11.5:64502:0:TEST-IX" "ixp: the crossing at E's IXP address"
is "$(border on vp-01 198.18.12.30)" "198.18.2.1:4837:198.18.12.2:64502:0:TEST-IX" \
	"ixp must not fire: an IXP address followed by two networks is passed over"
export_as no-ixp --no-heuristic ixp
is "$(upstream no-ixp vp-01 198.18.12.10)" ":0:64500 4837" "ixp off: the origins' view"
is "$(border no-ixp vp-02 198.18.12.20)" "198.18.2.1:4837:198.18.12.1:64502:0:TEST-IX" "ixp off: the crossing"

# unannounced
is "$(upstream on vp-01 198.18.8.40)" "4837:1:64500 4837 131279" "unannounced: the dark target entered at its border"
is "$(border on vp-01 198.18.8.60)" "198.18.2.1:4837:198.18.8.3:131279:1:" \
	"unannounced must not fire: an address followed by two networks stays unknown"
export_as no-unannounced --no-heuristic unannounced
is "$(upstream no-unannounced vp-01 198.18.8.40)" ":0:64500 4837" "unannounced off: the origins' view"

# last-hop
is "$(upstream on vp-02 198.18.7.52)" "4837:1:64500 4837 131279" "last-hop: the dark host entered at its router"
is "$(border on vp-01 198.18.7.50)" "198.18.2.1:4837:198.18.2.40:131279:0:" "last-hop: the crossing at T's router"
is "$(border on vp-01 198.18.7.60)" "198.18.2.41:4837:198.18.7.60:131279:0:" \
	"last-hop must not fire: a router in front of hosts of two networks"
export_as no-last --no-heuristic last-hop
is "$(upstream no-last vp-02 198.18.7.52)" ":0:64500 4837" "last-hop off: the origins' view"

# silent-gap: the route across the gap is no route of the path-diff (the
# trace counts as observed, not as entered); the trace keeps its crossing
# diversity NAME: the AS upstreams of 198.18.14.0/24 as upstream:traces:routed:observed
diversity() {
	col "$TMP/$1/diversity.csv" target_network 198.18.14.0/24 level upstream traces routed observed |
		tr ' ' '\n' | grep '^as:' | cut -d: -f2- | sort | tr '\n' ' '
}
is "$(diversity on)" "AS4837:2:3:4 AS64510:1:3:4 " "silent-gap: the route across a gap F may fill is left out"
is "$(border on vp-01 198.18.14.10)" "198.18.2.1:4837:198.18.14.1:131279:1:" "silent-gap: the trace's crossing stays"
export_as no-gap --no-heuristic silent-gap
is "$(diversity no-gap)" "AS4837:3:4:4 AS64510:1:4:4 " "silent-gap off: every crossing is a route"

# doubt: the third-party address in doubt is a gap, not U's router
is "$(border on vp-01 198.18.8.90)" "198.18.2.90:4837:198.18.8.6:131279:1:" \
	"doubt: a third-party address behind an interface entered from two networks is unknown"
export_as no-doubt --no-heuristic doubt
is "$(border no-doubt vp-01 198.18.8.90)" "198.18.9.95:4837:198.18.8.6:131279:0:" "doubt off: taken as U's router"

# parallel
is "$(upstream on vp-01 198.18.8.92)" "4837:1:64500 4837 131279" "parallel: D's address beside U's router is U's"
export_as no-parallel --no-heuristic parallel
is "$(upstream no-parallel vp-01 198.18.8.92)" "64501:1:64500 4837 64501 131279" "parallel off: D on the path"
is "$(upstream on vp-01 198.18.8.150)" "64510:1:64500 4837 64510 131279" \
	"parallel-next: D's address beside F's router, behind F's ingress in U's space, is F's"
is "$(upstream on vp-02 198.18.8.151)" "64510:1:64500 4837 64510 131279" \
	"parallel-next must not fire the other way: F's own router stays F's"
export_as no-parallel-next --no-heuristic parallel-next
is "$(upstream no-parallel-next vp-01 198.18.8.150)" "4837:1:64500 4837 131279" \
	"parallel-next off: taken as U's router (third-party), F lost"

# common-next
is "$(upstream on vp-01 198.18.8.233)" "4837:1:64500 4837 131279" \
	"common-next: H's address before the interface T's border leads to is T's border router"
is "$(upstream on vp-01 198.18.8.234)" "64530:1:64500 4837 64530 131279" \
	"common-next must not fire: the other interface before it is T's, entered from T"
export_as no-common --no-heuristic common-next
is "$(upstream no-common vp-01 198.18.8.233)" "64530:1:64500 4837 64530 131279" "common-next off: H on the path"

# as-rel: only with --as-rel
is "$(upstream on vp-01 198.18.8.100)" "64520:1:64500 4837 64520 131279" "as-rel: not without --as-rel"
export_as asrel --as-rel "$TMP/as-rel.txt"
is "$(upstream asrel vp-01 198.18.8.100)" "4837:1:64500 4837 131279" \
	"as-rel: G's address after U, unrelated to G, taken as T's border router"
is "$(border asrel vp-01 198.18.8.100)" "198.18.2.1:4837:198.18.16.1:131279:0:" "as-rel: the crossing at T's router"
is "$(upstream asrel vp-01 198.18.8.110)" "64530:1:64500 4837 64530 131279" \
	"as-rel must not fire: a one-router transit related to the network before it"
is "$(upstream asrel vp-02 198.18.7.40)" "64501:1:64500 4837 64501 131279" "as-rel: D's transit stays"
is "$(diversity asrel)" "$(diversity on)" "as-rel: the silent-gap case as without it"
is "$(upstream asrel vp-01 198.18.8.140)" "4837:1:64500 4837 131279" \
	"as-rel: K's address after U, K U's provider and T U's customer, taken as T's border router"
is "$(upstream asrel vp-01 198.18.19.50)" "64540:1:64500 4837 64540 64550" \
	"as-rel must not fire: K's router between U and W, W not U's customer"
export_as no-asrel --as-rel "$TMP/as-rel.txt" --no-heuristic as-rel
is "$(upstream no-asrel vp-01 198.18.8.140)" "64540:1:64500 4837 64540 131279" "as-rel off: K on the path"
is "$(upstream no-asrel vp-01 198.18.8.100)" "64520:1:64500 4837 64520 131279" "as-rel off: G on the path"
# bad relationship files: the file and line, exit 1, nothing written
printf '4837|64500|-1\n4837|x|0\n' >"$TMP/bad-rel.txt"
expect_rc 1 "$BT" export "${DB[@]}" --as-rel "$TMP/bad-rel.txt" -o "$TMP/bad-out" "$TMP/rounds"
has "$TMP/err" "$TMP/bad-rel.txt:2: bad AS number (1..4294967295): '4837|x|0'"
check "a bad --as-rel file makes no output directory" [ ! -e "$TMP/bad-out" ]
printf '# nothing\n' >"$TMP/empty-rel.txt"
expect_rc 1 "$BT" diff "${DB[@]}" --as-rel "$TMP/empty-rel.txt" "$TMP/rounds"
has "$TMP/err" "$TMP/empty-rel.txt: no AS relationship in the file"
expect_rc 2 "$BT" diff "${DB[@]}" --as-rel "$TMP/as-rel.txt" --as-rel "$TMP/as-rel.txt" "$TMP/rounds"
# watch reads the file before it connects (the store is not needed here)
expect_rc 1 "$BT" watch --db "host=/nonexistent dbname=none" --as-rel "$TMP/bad-rel.txt"
has "$TMP/err" "$TMP/bad-rel.txt:2: bad AS number"

# renumbered: three rounds of vp-01 (the relationships of the H case: U
# provides H and T, H provides T, so as-rel keeps H's one router)
mkdir -p "$TMP/renum/vp-01"
VP=vp-01
for ROUND in r1 r2 r3; do
	# T's border router answers from T's space (198.18.8.15) in r1, from
	# H's (198.18.17.5, its link to H) from r2 on, between the same hops
	x=198.18.8.15 y=(198.18.8.17) z=198.18.8.21 w=198.18.8.23 v=(198.18.8.25)
	[ $ROUND = r1 ] || x=198.18.17.5 y=(198.18.17.6 198.18.8.19) z=198.18.17.7 w=198.18.17.8 v=('*' 198.18.17.9)
	{
		trace 198.18.8.150 198.18.1.1 198.18.2.1 $x 198.18.8.16 198.18.8.150
		# ... must not fire: H comes in between U and T's border
		# router, whose interface on the H link (198.18.8.19) is another
		trace 198.18.8.160 198.18.1.1 198.18.2.1 "${y[@]}" 198.18.8.18 198.18.8.160
		# ... must not fire: r1's interface (198.18.8.21) still answers
		# (before another hop: common-next would take the one before)
		trace 198.18.8.170 198.18.1.1 198.18.2.1 $z 198.18.8.22 198.18.8.170
		[ $ROUND = r1 ] || trace 198.18.8.171 198.18.1.1 198.18.2.1 198.18.8.21 198.18.8.27 198.18.8.171
		# after a silent hop: 198.18.8.23 in r1, H's 198.18.17.8 from r2 on
		trace 198.18.8.180 198.18.1.1 198.18.2.1 '*' $w 198.18.8.24 198.18.8.180
		# ... must not fire: the interface of r1 (198.18.8.25) was not
		# after a silent hop
		trace 198.18.8.190 198.18.1.1 198.18.2.1 "${v[@]}" 198.18.8.26 198.18.8.190
		# kept from the round before: U's router answering from D's
		# space (198.18.9.40), third-party in r1 (it never leads into D,
		# a destination), leads into D as well from r2 on
		trace 198.18.8.200 198.18.1.1 198.18.2.1 198.18.9.40 198.18.8.30 198.18.8.200
		trace 198.18.9.200 198.18.1.1 198.18.2.1 198.18.9.41 198.18.9.200
		[ $ROUND = r1 ] || trace 198.18.9.210 198.18.1.1 198.18.2.1 198.18.9.40 198.18.9.42 198.18.9.210
	} >"$TMP/renum/vp-01/$ROUND.jsonl"
done
unset ROUND
# renum NAME ROUND DST [OPTIONS]: the trace's upstream_asn:as_path in export NAME
renum() {
	col "$TMP/$1/traces.csv" trace_id "vp-01/$2/$3/icmp-paris/0" upstream_asn as_path
}
expect_rc 0 "$BT" export "${DB[@]}" --as-rel "$TMP/as-rel.txt" -o "$TMP/renum-on" "$TMP/renum"
expect_rc 0 "$BT" export "${DB[@]}" --as-rel "$TMP/as-rel.txt" --no-heuristic renumbered -o "$TMP/renum-off" \
	"$TMP/renum"
is "$(renum renum-on r1 198.18.8.150)" "4837:64500 4837 131279" "renumbered: T's border router in r1"
is "$(renum renum-on r2 198.18.8.150) $(renum renum-on r3 198.18.8.150)" \
	"4837:64500 4837 131279 4837:64500 4837 131279" \
	"renumbered: H's address in place of T's border router's is T's, and stays so in r3"
is "$(renum renum-off r2 198.18.8.150)" "64530:64500 4837 64530 131279" "renumbered off: H on the path"
is "$(renum renum-on r2 198.18.8.160)" "64530:64500 4837 64530 131279" \
	"renumbered must not fire: H in between, T's border router entered by another interface"
is "$(renum renum-on r2 198.18.8.170)" "64530:64500 4837 64530 131279" \
	"renumbered must not fire: the interface it would replace still answers"
is "$(renum renum-on r2 198.18.8.180) $(renum renum-off r2 198.18.8.180)" \
	"4837:64500 4837 131279 64530:64500 4837 64530 131279" \
	"renumbered: after a silent hop as the interface it replaces was (and off)"
is "$(renum renum-on r2 198.18.8.190)" "64530:64500 4837 64530 131279" \
	"renumbered must not fire: the interface it would replace was not after a silent hop"
is "$(renum renum-on r1 198.18.8.200) $(renum renum-on r2 198.18.8.200) $(renum renum-on r3 198.18.8.200)" \
	"4837:64500 4837 131279 4837:64500 4837 131279 4837:64500 4837 131279" \
	"renumbered: U's router, third-party in r1, stays U's while U is beside it"
is "$(renum renum-off r2 198.18.8.200)" "64501:64500 4837 64501 131279" "renumbered off: D on the path from r2 on"

# stub: three rounds of vp-01 with the relationships; S is a stub, so an
# address of S on a trace from another AS's hop to another AS is not S's
mkdir -p "$TMP/stub/vp-01"
VP=vp-01
for ROUND in r1 r2 r3; do
	# U's router 198.18.2.110 after a silent hop in r1 answers from S's
	# space (198.18.20.1, its link to S) from r2 on
	x=198.18.2.110
	[ $ROUND = r1 ] || x=198.18.20.1
	{
		trace 198.18.8.210 198.18.1.1 198.18.2.1 '*' $x 198.18.8.41 198.18.8.210
		# nothing to tell the operator of S's 198.18.20.2 by: unknown
		trace 198.18.8.220 198.18.1.1 198.18.2.1 '*' 198.18.20.2 198.18.8.42 198.18.8.220
		# U's router answering from S's space (198.18.20.3) leads into
		# S as well (no third-party rule), and into T: U's
		trace 198.18.8.230 198.18.1.1 198.18.2.1 198.18.20.3 198.18.8.43 198.18.8.230
		trace 198.18.20.230 198.18.1.1 198.18.2.1 198.18.20.3 198.18.20.4 198.18.20.230
		# must not fire: a VP inside S (its routers 198.18.20.5 and .6
		# before any other AS's)
		trace 198.18.8.240 198.18.20.5 198.18.20.6 198.18.2.1 198.18.8.44 198.18.8.240
		# ... nor on S's border router, every trace through it to S
		trace 198.18.20.250 198.18.1.1 198.18.2.1 198.18.20.7 198.18.20.250
		# ... nor on D's address after a silent hop: D provides T, no stub
		trace 198.18.8.250 198.18.1.1 198.18.2.1 '*' 198.18.9.120 198.18.8.45 198.18.8.250
		# split TTL: S's 198.18.20.8 after U into S, and at TTL 3 of a
		# trace into T whose hops below were copied from that one: the
		# copies are the same VP's path, so S's address is crossed from
		# U on to T, and U's
		trace 198.18.20.245 198.18.1.1 198.18.2.1 198.18.20.8 198.18.20.245
		FILLED=3 trace 198.18.8.246 198.18.1.1 198.18.2.1 198.18.20.8 198.18.8.47 198.18.8.246
	} >"$TMP/stub/vp-01/$ROUND.jsonl"
done
unset ROUND
# stub NAME ROUND DST: the trace's upstream_asn:as_path in export NAME
stub() {
	col "$TMP/$1/traces.csv" trace_id "vp-01/$2/$3/icmp-paris/0" upstream_asn as_path
}
# stubx NAME ROUND DST: the trace's AS crossing into its target, near_addr:near_asn:across_silent
stubx() {
	col "$TMP/$1/borders.csv" trace_id "vp-01/$2/$3/icmp-paris/0" kind into_target near_addr near_asn across_silent |
		tr ' ' '\n' | sed -n 's/^as:1://p'
}
expect_rc 0 "$BT" export "${DB[@]}" --as-rel "$TMP/as-rel.txt" -o "$TMP/stub-on" "$TMP/stub"
expect_rc 0 "$BT" export "${DB[@]}" --as-rel "$TMP/as-rel.txt" --no-heuristic stub -o "$TMP/stub-off" "$TMP/stub"
is "$(stub stub-on r2 198.18.8.210) $(stub stub-on r3 198.18.8.210)" \
	"4837:64500 4837 131279 4837:64500 4837 131279" \
	"stub: S's address in place of U's router after a silent hop is U's, and stays so in r3"
is "$(stubx stub-on r2 198.18.8.210) $(stubx stub-on r3 198.18.8.210)" "198.18.20.1:4837:0 198.18.20.1:4837:0" \
	"stub: the crossing after U's router answering from S's space"
is "$(stub stub-off r2 198.18.8.210)" "64560:64500 4837 64560 131279" "stub off: S on the path"
is "$(stub stub-on r1 198.18.8.220)" "4837:64500 4837 131279" "stub: S's address with no evidence is unknown"
is "$(stubx stub-on r1 198.18.8.220)" "198.18.2.1:4837:1" "stub: ... a gap, crossed from U's last known router"
is "$(stub stub-off r1 198.18.8.220)" "64560:64500 4837 64560 131279" "stub off: S on the path (unknown)"
is "$(stub stub-on r1 198.18.8.230) $(stub stub-on r1 198.18.20.230)" \
	"4837:64500 4837 131279 4837:64500 4837 64560" \
	"stub: S's address after U, leading into S and T, is U's"
is "$(stub stub-off r1 198.18.8.230)" "64560:64500 4837 64560 131279" "stub off: S on the path into T"
is "$(stub stub-on r1 198.18.8.240)" "4837:64560 4837 131279" "stub must not fire: a VP inside S"
is "$(col "$TMP/stub-on/borders.csv" trace_id vp-01/r1/198.18.8.240/icmp-paris/0 kind index near_addr far_addr \
	far_asn across_silent | tr ' ' '\n' | sed -n 's/^as:0://p')" "198.18.20.5:198.18.20.6:4837:0" \
	"stub must not fire: ... S's second router is no gap (U's ingress numbered by S: neighbour)"
is "$(stub stub-on r1 198.18.20.250)" "4837:64500 4837 64560" "stub must not fire: S's border router"
is "$(stub stub-on r1 198.18.8.250)" "64501:64500 4837 64501 131279" "stub must not fire: D is no stub"
is "$(stub stub-on r1 198.18.8.246) $(stubx stub-on r1 198.18.8.246)" "4837:4837 131279 198.18.20.8:4837:0" \
	"stub: S's address crossed after copied hops of U (split TTL) is U's"
is "$(stub stub-on r1 198.18.20.245) $(stubx stub-on r1 198.18.20.245)" "4837:64500 4837 64560 198.18.20.8:4837:0" \
	"stub: ... the trace into S crosses into S after it"
is "$(stub stub-off r1 198.18.8.246)" "64560:64560 131279" "stub off: S on the path after the copies"
expect_rc 0 "$BT" export "${DB[@]}" -o "$TMP/stub-norel" "$TMP/stub"
is "$(stub stub-norel r2 198.18.8.210)" "64560:64500 4837 64560 131279" "stub: not without --as-rel"

# The order the traces come in decides nothing: the same two rounds, the
# files given in two orders (so the graph meets the interfaces in two
# orders), give the same owners. common-next: H's address 198.18.17.30
# (new in r2) between U and T, before 198.18.8.246, which T's
# 198.18.8.245 (entered from U) leads to as well. 198.18.8.245 was U's
# router in r1 (third-party: U X(T) U), so in r2 `renumbered` keeps it
# U's, in the last stage, as common-next's rule runs: what that stage
# decides is no evidence for common-next, whichever address comes first.
mkdir -p "$TMP/order/vp-01" "$TMP/order/vp-02"
for ROUND in r1 r2; do
	VP=vp-01
	if [ $ROUND = r1 ]; then
		trace 198.18.8.247 198.18.1.1 198.18.2.1 '*' '*'
	else
		trace 198.18.8.247 198.18.1.1 198.18.2.1 198.18.17.30 198.18.8.246 198.18.8.247
	fi >"$TMP/order/vp-01/$ROUND.jsonl"
	VP=vp-02
	if [ $ROUND = r1 ]; then
		trace 198.18.8.248 198.18.1.2 198.18.2.1 198.18.8.245 198.18.2.123 198.18.8.248
	else
		trace 198.18.8.248 198.18.1.2 198.18.2.1 198.18.8.245 198.18.8.246 198.18.8.248
	fi >"$TMP/order/vp-02/$ROUND.jsonl"
done
unset ROUND
# ordered NAME: export NAME's traces and crossings, sorted, and diff's events
ordered() {
	sort "$TMP/$1/traces.csv" "$TMP/$1/borders.csv" "$TMP/$1/hops.csv"
	"$BT" diff "${DB[@]}" --baseline 1 --min-vps 1 "${@:2}" 2>&1
}
expect_rc 0 "$BT" export "${DB[@]}" -o "$TMP/order-12" "$TMP/order/vp-01" "$TMP/order/vp-02"
expect_rc 0 "$BT" export "${DB[@]}" -o "$TMP/order-21" "$TMP/order/vp-02" "$TMP/order/vp-01"
is "$(col "$TMP/order-12/traces.csv" trace_id vp-01/r2/198.18.8.247/icmp-paris/0 upstream_asn as_path)" \
	"4837:64500 4837 131279" "order: common-next takes H's address beside a border kept U's (files 1, 2)"
is "$(col "$TMP/order-21/traces.csv" trace_id vp-01/r2/198.18.8.247/icmp-paris/0 upstream_asn as_path)" \
	"4837:64500 4837 131279" "order: ... and with the files the other way round"
o12=$(ordered order-12 "$TMP/order/vp-01" "$TMP/order/vp-02")
o21=$(ordered order-21 "$TMP/order/vp-02" "$TMP/order/vp-01")
check "order: the same exports and events whichever file comes first" [ -n "$o12" ] && [ "$o12" = "$o21" ]

# Everything off is the origins' view of every trace: the per-case views
# above, each with one heuristic off, agree with it.
is "$(upstream off vp-01 198.18.7.10) $(upstream off vp-01 198.18.7.30) $(upstream off vp-01 198.18.12.10)" \
	":0:64500 4837 64501:1:64500 4837 64501 131279 :0:64500 4837" "all off: the origins' view"
# the hops keep what the databases say (hops.csv's asn is the origin's)
is "$(col "$TMP/on/hops.csv" addr 198.18.2.9 asn | tr ' ' '\n' | sort -u)" "4837" "hops.csv: the origin"
# standard input cannot be read twice: read once, in its place, without
# owners (vp-02's file, given before it, is a round with owners of its own)
expect_rc 0 "$BT" export "${DB[@]}" -o "$TMP/stdin" "$TMP/rounds/vp-02" - <"$TMP/rounds/vp-01/r1.jsonl"
views stdin
is "$(upstream stdin vp-01 198.18.7.10)" ":0:64500 4837" "standard input: no owners"
is "$(border stdin vp-02 198.18.12.20)" "198.18.2.1:4837:198.18.11.5:64502:0:TEST-IX" \
	"the files before standard input: owners from their own round"
expect_rc 2 "$BT" diff "${DB[@]}" --no-heuristic bogus "$TMP/rounds"
has "$TMP/err" "--no-heuristic: 'bogus' is not"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all interface-owner checks passed"
