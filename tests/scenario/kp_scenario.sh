#!/bin/bash
# The founding story, end to end through the real prober (the README's main
# job runs this; tests/scenario/test_scenario.sh checks what it produces).
#
#   kp_scenario.sh BUILD_DIR OUT_DIR
#
# Brings up tests/lab/topo/kp-border.topo, probes two rounds from two VPs with
# bordertrace-probe (icmp-paris, flows 0 and 1; the three KP targets over IPv4
# and over IPv6 in one `trace` run, so each round file holds both families),
# applies the routing change
# between them, builds the test MMDBs from the address plan, and runs
# `bordertrace diff` and `bordertrace export` over the round files. The lab is
# torn down whatever happens (lab.sh run traps it).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:?usage: kp_scenario.sh BUILD_DIR OUT_DIR}" && pwd)
OUT=${2:?usage: kp_scenario.sh BUILD_DIR OUT_DIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

export PROBE=$BUILD/prober/bordertrace-probe BT=$BUILD/analysis/bordertrace OUT HERE
export LAB_PREFIX=${LAB_PREFIX:-btkp$$-}
rm -rf "$OUT/rounds" "$OUT/warts" "$OUT/db" "$OUT/csv"
mkdir -p "$OUT/rounds/vp1" "$OUT/rounds/vp2" "$OUT/db" "$OUT/csv"

perl "$HERE/plan2mmdb.pl" "$HERE/kp-border.plan" "$OUT/db"

"$ROOT/tests/lab/lab.sh" run "$ROOT/tests/lab/topo/kp-border.topo" bash -c '
set -euo pipefail
# Round ids: the scheduled start of each round, the same on both VPs.
R1=$(date -u -d "-2 minutes" +%Y-%m-%dT%H:%M:00Z)
R2=$(date -u -d "-1 minutes" +%Y-%m-%dT%H:%M:00Z)
TARGETS="198.18.176.1 198.18.177.1 198.18.178.1 2001:db8:176::1 2001:db8:177::1 2001:db8:178::1"
# scamper beside the prober (doc/warts.md): the same flows (icmp-paris
# checksums 0x1000 + flow), as Ark would run it: the VP as monitor name, the
# round as cycle id, so that both VPs share a round.
scamper_round() { # VP CYCLE
	command -v scamper >/dev/null || return 0
	local cmds=() t f
	for t in $TARGETS; do
		for f in 0 1; do cmds+=(-I "trace -P icmp-paris -q 1 -w 1 -d $((4096 + f)) $t"); done
	done
	mkdir -p "$OUT/warts/$1"
	ip netns exec "${LAB_PREFIX}$1" scamper -p 1000 -M "$1" -C "$2" -O warts \
		-o "$OUT/warts/$1/c$2.warts" "${cmds[@]}"
}
probe_round() { # ROUND CYCLE
	for vp in vp1 vp2; do
		ip netns exec "${LAB_PREFIX}$vp" "$PROBE" trace --lab --vp "$vp" --campaign kp-border \
			--round "$1" --flows 2 -w 0.3 -r 500 \
			-o "$OUT/rounds/$vp/$1.jsonl" $TARGETS
	done
	# both VPs at once: scamper waits a whole second at the silent router
	scamper_round vp1 "$2" & local p1=$!
	scamper_round vp2 "$2" & local p2=$!
	wait "$p1" && wait "$p2"
}
echo "== round 1 ($R1): KP reached through CN only"
probe_round "$R1" 1
echo "== routing change: 198.18.178.0/24 and 2001:db8:178::/48 now via RU (AS20485); transit re-routes internally"
"$HERE/../lab/lab.sh" apply-change "$LAB_TOPO" ru-transit
echo "== round 2 ($R2)"
probe_round "$R2" 2
'

# The lab lives in the benchmarking range: --lookup-test-ranges lets the
# databases answer for it. The prefix table gives the announced prefixes.
DB=(--asn-db "$OUT/db/asn.mmdb" --country-db "$OUT/db/country.mmdb"
    --pfx2as "$OUT/db/pfx2as.txt" --prefer-pfx2as --lookup-test-ranges)
echo "== border route changes per target prefix (bordertrace diff --min-vps 2)"
"$BT" diff "${DB[@]}" --min-vps 2 --format table "$OUT/rounds"
echo "== per target AS"
"$BT" diff "${DB[@]}" --by as --min-vps 2 --format table "$OUT/rounds"
echo "== CSV exports (bordertrace export --by as)"
"$BT" export "${DB[@]}" --by as --min-vps 2 -o "$OUT/csv" "$OUT/rounds"
