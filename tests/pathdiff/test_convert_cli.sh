#!/bin/bash
# bordertrace tests — `bordertrace convert` (doc/warts.md "Writing warts",
# doc/cli.md): our rounds written as warts read back through scamper's own
# tools with the same hops (sc_warts2json per destination and TTL,
# sc_analysis_dump, sc_tracediff between two rounds), warts -> jsonl ->
# warts keeps the hops, rounds and VPs, RIPE Atlas -> jsonl gives what the
# Atlas file gives, and bad input leaves the output as it was.
# usage: test_convert_cli.sh PATH/TO/bordertrace ATLAS_DUMP.jsonl
set -u
BT=$1
ATLAS=$2
TMP=$(mktemp -d /tmp/bt-convert-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
. "$(dirname "$0")/cli_lib.sh"
for t in sc_warts2json sc_analysis_dump sc_tracediff; do
	command -v $t >/dev/null || { echo "SKIP: no $t (Debian's scamper)"; exit 77; }
done

# Two rounds of the founding story's VP: round 2 enters through 198.18.7.1
# at TTL 3 of the icmp-paris trace. Version-2 records: silent attempts, two
# addresses at a TTL, MPLS, a reply to another flow, IPv6 and TCP.
gen() { # ROUND TTL3_ADDR
	python3 - "$1" "$2" <<'EOF'
import json, sys
def rep(ttl, att, addr, rtt, t=11, c=0, q=1, flow=None, **kw):
    d = {"ttl": ttl, "attempt": att}
    if flow is not None: d["flow"] = flow
    d.update({"addr": addr, "rtt_ms": rtt, "reply_ttl": 64 - ttl})
    if "tcp_flags" in kw: d["tcp_flags"] = kw.pop("tcp_flags")
    else:
        d.update({"icmp_type": t, "icmp_code": c})
        if q: d["quoted_ttl"] = q
    d["size"] = 56
    d.update(kw)
    return d
def tr(method, dst, hops, flow=0, sport=0, dport=0, csum=0, src="198.18.0.2"):
    return {"format": "bordertrace-trace", "v": 2, "vp": "vp-01", "campaign": "kp", "round": rnd,
            "method": method, "src": src, "dst": dst, "flow": flow, "sport": sport, "dport": dport,
            "icmp_sum": csum, "start": st, "end": st, "stop": "completed",
            "stop_ttl": hops[-1]["ttl"], "first_ttl": 1, "max_ttl": 32,
            "probes_sent": len(hops) + 1, "hops": hops}
rnd, hop3 = sys.argv[1], sys.argv[2]
st = rnd.replace("Z", ".250000Z")
for t in [
 tr("icmp-paris", "198.18.3.2", [rep(1, 1, "198.18.1.1", 0.5),
   {"ttl": 2, "attempt": 1, "addr": None}, {"ttl": 2, "attempt": 2, "addr": None},
   rep(3, 1, hop3, 2.0, mpls=[{"label": 16, "tc": 0, "s": 1, "ttl": 1}]),
   rep(3, 2, "198.18.2.5", 2.25), rep(4, 1, "198.18.3.2", 3.0, t=0, q=0)], csum=4096),
 tr("udp-paris", "198.18.4.2", [{"ttl": 1, "attempt": 1, "addr": None},
   rep(1, 2, "198.18.1.1", 1.0), rep(2, 1, "198.18.2.1", 2.0),
   rep(2, 1, "198.18.2.9", 2.5, flow=7), rep(3, 1, "198.18.4.2", 3.0, t=3, c=3)],
   flow=3, sport=40003, dport=33435),
 tr("tcp-syn", "2001:db8:3::2", [rep(1, 1, "2001:db8:1::1", 1.0, t=3, c=0),
   rep(2, 1, "2001:db8:3::2", 2.0, tcp_flags=20, q=0)], sport=40000, dport=80, src="2001:db8::2")]:
    print(json.dumps(t, separators=(",", ":")))
EOF
}
gen 2017-10-01T09:00:00Z 198.18.2.1 >"$TMP/r1.jsonl"
gen 2017-10-01T10:00:00Z 198.18.7.1 >"$TMP/r2.jsonl"

# hop sets: "DST TTL ADDR" lines, sorted and unique
ours() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    t = json.loads(l)
    for h in t["hops"]:
        if h["addr"]: print(t["dst"], h["ttl"], h["addr"])' "$1" | sort -u; }
theirs_json() { sc_warts2json "$1" | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o.get("type") == "trace":
        for h in o.get("hops", []): print(o["dst"], h["probe_ttl"], h["addr"])' | sort -u; }
theirs_dump() { sc_analysis_dump "$1" | python3 -c '
import sys
for l in sys.stdin:
    if not l.startswith("T\t"): continue
    f = l.rstrip("\n").split("\t")
    for i, hop in enumerate(f[13:]):
        for r in hop.split(";"):
            if r != "q": print(f[2], i + 1, r.split(",")[0])
    if f[6] == "R": print(f[2], f[8], f[2])  # the destination: its own fields' | sort -u; }

expect_rc 0 "$BT" convert --to warts -o "$TMP/r1.warts" "$TMP/r1.jsonl"
has "$TMP/err" "3 trace(s) written to $TMP/r1.warts as warts"
expect_rc 0 "$BT" convert -o "$TMP/r2.warts" "$TMP/r2.jsonl"   # .warts: warts
hops1=$(ours "$TMP/r1.jsonl")
check "10 (dst, ttl, addr) in round 1" [ "$(echo "$hops1" | wc -l)" = 10 ]
is "$(theirs_json "$TMP/r1.warts")" "$hops1" "sc_warts2json's hops"
check "sc_analysis_dump runs" sc_analysis_dump "$TMP/r1.warts" >/dev/null
is "$(theirs_dump "$TMP/r1.warts")" "$hops1" "sc_analysis_dump's hops"
is "$(sc_warts2json "$TMP/r1.warts" | grep -o '"type":"cycle-start", "list_name":"kp", "id":0, "hostname":"vp-01", "start_time":1506848400')" \
	'"type":"cycle-start", "list_name":"kp", "id":0, "hostname":"vp-01", "start_time":1506848400' "cycle of round 1"
expect_rc 0 sc_tracediff "$TMP/r1.warts" "$TMP/r2.warts"
has "$TMP/out" "traceroute from 198.18.0.2 to 198.18.3.2"
has "$TMP/out" " 3 198.18.2.1 198.18.7.1"
check "sc_tracediff: only the changed trace" [ "$(grep -c '^traceroute from' "$TMP/out")" = 1 ]

# warts -> jsonl -> warts: the same hops, VP, campaign and round
expect_rc 0 "$BT" convert -o "$TMP/back.jsonl" "$TMP/r1.warts"
has "$TMP/err" "4 trace(s) written to $TMP/back.jsonl as jsonl" # flow 7 a trace of its own
is "$(ours "$TMP/back.jsonl")" "$hops1" "hops after warts -> jsonl"
has "$TMP/back.jsonl" '"vp":"vp-01","campaign":"kp","round":"2017-10-01T09:00:00Z","method":"icmp-paris"'
has "$TMP/back.jsonl" '"mpls":[{"label":16,"tc":0,"s":1,"ttl":1}]'
has "$TMP/back.jsonl" '"addr":"2001:db8:3::2","rtt_ms":2.0,"reply_ttl":62,"tcp_flags":20'
expect_rc 0 "$BT" convert --to warts -o "$TMP/back.warts" "$TMP/back.jsonl"
is "$(theirs_json "$TMP/back.warts")" "$hops1" "hops after warts -> jsonl -> warts"
# the same file but for flow 7's trace: no stop of its own (NONE), read as error
is "$(sc_warts2json "$TMP/back.warts" | md5sum)" "$(sc_warts2json "$TMP/r1.warts" | sed 's/"stop_reason":"NONE"/"stop_reason":"ERROR"/' | md5sum)" \
	"warts -> jsonl -> warts: the same traces"

# Ark's round ids go back to their cycle ids
sed 's/"round":"2017-10-01T09:00:00Z"/"round":"c0000005432"/' "$TMP/r1.jsonl" >"$TMP/ark.jsonl"
expect_rc 0 "$BT" convert -o "$TMP/ark.warts" "$TMP/ark.jsonl"
has <(sc_warts2json "$TMP/ark.warts") '"type":"cycle-start", "list_name":"kp", "id":5432'
expect_rc 0 "$BT" convert -o "$TMP/ark.jsonl2" "$TMP/ark.warts"
has "$TMP/ark.jsonl2" '"round":"c0000005432"'

# other round ids become cycles 1, 2, ... (read back as c0000000001); no VP: scamper's
sed 's/"round":"[^"]*"/"round":"r0001"/; s/"vp":"vp-01"/"vp":""/' "$TMP/r1.jsonl" >"$TMP/other.jsonl"
expect_rc 0 "$BT" convert -o "$TMP/other.warts" "$TMP/other.jsonl"
expect_rc 0 "$BT" convert -o "$TMP/other2.jsonl" "$TMP/other.warts"
is "$(grep -o '"vp":"[^"]*","campaign":"[^"]*","round":"[^"]*"' "$TMP/other2.jsonl" | sort -u)" \
	'"vp":"scamper","campaign":"kp","round":"c0000000001"' "round r0001 and no VP through warts"
# standard input: our JSON Lines
expect_rc 0 "$BT" convert -o "$TMP/stdin.jsonl" - <"$TMP/r1.jsonl"
check "stdin -> jsonl: the same records" cmp "$TMP/stdin.jsonl" "$TMP/r1.jsonl"

# RIPE Atlas -> jsonl: export over it gives the Atlas file's CSV
expect_rc 0 "$BT" convert -o "$TMP/atlas.jsonl" "$ATLAS"
expect_rc 0 "$BT" export -o "$TMP/ea" --lookup-test-ranges "$ATLAS"
expect_rc 0 "$BT" export -o "$TMP/ej" --lookup-test-ranges "$TMP/atlas.jsonl"
check "Atlas -> jsonl: the same export" diff -r "$TMP/ea" "$TMP/ej"
# what a source does not map: one line per kind after the summary, exit 0
SKIPPED=$(dirname "$ATLAS")/skipped.jsonl
expect_rc 0 "$BT" convert -o "$TMP/atlas2.warts" "$ATLAS" "$SKIPPED"
has "$TMP/err" "1 skipped as a 'ping' result, not a traceroute: $SKIPPED:1"
check "Atlas -> warts: sc_analysis_dump reads it" sc_analysis_dump "$TMP/atlas2.warts" >/dev/null

# bad input: an error naming the place, exit 1, the output as it was, no temporary file left
mkdir "$TMP/o"
echo keep >"$TMP/o/out.warts"
head -c 300 "$TMP/r1.warts" >"$TMP/trunc.warts"
expect_rc 1 "$BT" convert -o "$TMP/o/out.warts" "$TMP/r1.jsonl" "$TMP/trunc.warts"
has "$TMP/err" "$TMP/trunc.warts@284: truncated warts record"
has "$TMP/err" "nothing written to $TMP/o/out.warts"
printf '{"format":"bordertrace-trace","v":2}\n' >"$TMP/bad.jsonl"
expect_rc 1 "$BT" convert -o "$TMP/o/out.warts" "$TMP/r1.jsonl" "$TMP/bad.jsonl"
has "$TMP/err" "$TMP/bad.jsonl:1: field 'vp'"
expect_rc 1 "$BT" convert -o "$TMP/o/out.warts" "$TMP/missing.jsonl"
is "$(ls -A "$TMP/o")" "out.warts" "only the old output in its directory"
is "$(cat "$TMP/o/out.warts")" "keep" "the old output unchanged"
expect_rc 1 "$BT" convert -o "$TMP/nodir/x.jsonl" "$TMP/r1.jsonl"
expect_rc 2 "$BT" convert --to csv -o "$TMP/x" "$TMP/r1.jsonl"
expect_rc 2 "$BT" convert "$TMP/r1.jsonl"
expect_rc 2 "$BT" convert -o "$TMP/x"
expect_rc 2 "$BT" convert -o - "$TMP/r1.jsonl"
mkdir "$TMP/d"
expect_rc 1 "$BT" convert -o "$TMP/x" "$TMP/d"   # files only: no directory walk
has "$TMP/err" "$TMP/d: read error: Is a directory"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
