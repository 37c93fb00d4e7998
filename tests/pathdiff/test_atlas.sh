#!/bin/bash
# bordertrace tests — RIPE Atlas traceroute results through `diff` and
# `export` (doc/atlas.md): every fixture of tests/pathdiff/data/atlas
# (README there: which case each covers) read, the hops checked against an
# independent small reader written here in Python (per trace, per TTL, the
# set of reply addresses); compressed copies (gzip, bzip2, xz) read the
# same; results that cannot be mapped skipped and named; malformed JSON
# refused with FILE:LINE and nothing written; an Atlas file mixed with a
# native round file in one diff.
# usage: test_atlas.sh PATH/TO/bordertrace PATH/TO/data/atlas
set -u
BT=$1
DATA=$2
TMP=$(mktemp -d /tmp/bt-atlas.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
. "$(dirname "$0")/cli_lib.sh"

GOOD=(api-array.json one-line-array.json empty-array.json dump.jsonl unreach.jsonl stops.jsonl errors.jsonl skipped.jsonl)

# differ INTERVAL CSV FILES...: the Python reader's hops against hops.csv
differ() {
	python3 - "$@" <<'EOF'
import csv, datetime, ipaddress, json, sys
interval, hops_csv, *files = sys.argv[1:]
interval = int(interval)
def results(path):
    text = open(path, encoding="utf-8").read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(l) for l in text.splitlines() if l.strip()]
def norm(a):
    return str(ipaddress.ip_address(a))
LETTERS = {4: set("NHPpFSUWIAZQTXVC"), 6: set("NAhHp")}
want = {}
for path in files:
    for r in results(path):
        if r.get("type", "traceroute") != "traceroute" or r.get("fw", 0) < 4400:
            continue
        if not isinstance(r.get("result"), list) or not r.get("dst_addr"):
            continue
        dst = ipaddress.ip_address(r["dst_addr"])
        ttls, ok, last = {}, True, 0
        for h in r["result"]:
            if h["hop"] == 255 and 0 < last < 254:
                continue
            if last and h["hop"] != last + 1:
                ok = False
            last = h["hop"]
            addrs = set()
            for p in h.get("result", []):
                e = p.get("err")
                if e is not None and not isinstance(e, int) and e not in LETTERS[dst.version]:
                    ok = False
                if "from" in p:
                    addrs.add(norm(p["from"]))
            ttls[h["hop"]] = addrs
        if not ok:
            continue
        start = r["timestamp"] - r["timestamp"] % interval
        rnd = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        method = {"ICMP": "icmp-paris", "UDP": "udp-paris", "TCP": "tcp-syn"}[r["proto"]]
        tid = "atlas-%d/%s/%s/%s/%d" % (r["prb_id"], rnd, dst, method, r.get("paris_id", 0))
        want[tid] = ttls
got = {}
for row in csv.DictReader(open(hops_csv, newline="")):
    t = got.setdefault(row["trace_id"], {}).setdefault(int(row["ttl"]), set())
    if row["addr"]:
        t.add(row["addr"])
# a trace without hops has no hops.csv row
for tid, ttls in want.items():
    if not ttls:
        got.setdefault(tid, {})
bad = 0
for tid in sorted(set(want) | set(got)):
    if want.get(tid) != got.get(tid):
        print("differs: %s: python %s, bordertrace %s" % (tid, want.get(tid), got.get(tid)))
        bad += 1
print("%d traces compared, %d differ" % (len(want), bad))
sys.exit(1 if bad or not want else 0)
EOF
}

# --- every fixture: the hops against the Python reader, two intervals
paths=()
for f in "${GOOD[@]}"; do paths+=("$DATA/$f"); done
# (--round-interval 900 in the Python reader too: other round ids)
for iv in 3600 900; do
	expect_rc 0 "$BT" export --round-interval "$iv" -o "$TMP/x$iv" "${paths[@]}"
done
check "hops of every fixture as the Python reader reads them (--round-interval 3600, 900)" \
	differ 3600 "$TMP/x3600/hops.csv" "${paths[@]}"
check "... and with --round-interval 900" differ 900 "$TMP/x900/hops.csv" "${paths[@]}"
has "$TMP/err" "25 traces, 138 hops, 3 round(s), 0 event(s), 5 result(s) skipped as not mappable"

# --- the mapping, trace by trace (traces.csv)
T="$TMP/x3600/traces.csv"
trow() { col "$T" vp "$1" stop stop_ttl probes campaign src; }
is "$(trow atlas-6001)" "completed:4:11:atlas-5001:198.18.0.10" "ICMP, three packets a hop, two addresses at TTL 2, dup and late"
is "$(trow atlas-6002)" "completed:3:9:atlas-5002:2001:db8:0:1::10" "IPv6 UDP completed at the destination"
is "$(trow atlas-6004)" "completed:2:6:atlas-5004:198.18.0.40" "firmware 4420: no type, no paris_id (flow 0)"
is "$(col "$T" vp atlas-6004 flow)" "0" "paris_id missing: flow 0"
is "$(trow atlas-6005)" "completed:3:9:atlas-5004:198.18.0.50" "firmware 4570, top-level from empty"
is "$(trow atlas-6006)" "completed:2:6:atlas-5004:198.18.0.60" "firmware 5080 TCP"
for n in 1 2 3 4 5 6 7; do
	is "$(col "$T" vp "atlas-70$(printf %02d $n)" stop stop_ttl)" "unreachable:2" "err case $n: unreachable at TTL 2"
done
is "$(trow atlas-7008 | cut -d: -f1,2)" "unreachable:1" "IPv6 err h (beyond scope)"
is "$(trow atlas-7010 | cut -d: -f1,2)" "completed:2" "UDP: err p from the destination is its answer"
is "$(col "$T" vp atlas-7101 stop stop_ttl)" "gaplimit:0" "hop 255 after silent hops: gaplimit"
is "$(col "$T" vp atlas-7102 stop stop_ttl)" "gaplimit:0" "hop 255 answered by the destination: still gaplimit"
is "$(col "$T" vp atlas-7103 stop)" "maxttl" "no destination, no unreachable, no hop 255: maxttl"
is "$(col "$T" vp atlas-7201 stop)" "error" "hop-level error: stop error"
is "$(col "$T" vp atlas-7202 stop)" "error" "{error} inside the reply list: stop error"
is "$(col "$T" vp atlas-7203 stop stop_ttl)" "completed:2" "a send error beside a reply is one silent attempt"
is "$(col "$T" vp atlas-7204 stop hops)" "error:0" "an empty hop list"
H="$TMP/x3600/hops.csv"
is "$(col "$H" vp atlas-7001 ttl icmp_type icmp_code | cut -d' ' -f4)" "2:3:1" "err H: ICMP 3/1"
is "$(col "$H" vp atlas-7004 ttl icmp_type icmp_code | cut -d' ' -f4)" "2:3:13" "err A: ICMP 3/13"
is "$(col "$H" vp atlas-7005 ttl icmp_type icmp_code | cut -d' ' -f4)" "2:3:10" "numeric err: the code"
is "$(col "$H" vp atlas-7008 icmp_type icmp_code | cut -d' ' -f1)" "1:2" "IPv6 err h: ICMPv6 1/2"
is "$(col "$H" vp atlas-6001 ttl attempt | cut -d' ' -f7-10)" "3:1 3:1 3:1 3:2" "TTL 3: dup and late share the attempt before them"
is "$(col "$H" vp atlas-6006 ttl icmp_type | cut -d' ' -f4)" "2:" "TCP replies carry no ICMP type"

# --- compressed: the same hops from gzip, bzip2 and xz copies
mkdir "$TMP/z"
gzip -c "$DATA/api-array.json" >"$TMP/z/a.json.gz"
bzip2 -c "$DATA/dump.jsonl" >"$TMP/z/d.jsonl.bz2"
if command -v xz >/dev/null; then xz -c "$DATA/unreach.jsonl" >"$TMP/z/u.jsonl.xz"; else cp "$DATA/unreach.jsonl" "$TMP/z/u.jsonl.xz"; fi
# pbzip2 and friends write several streams: read through
{ bzip2 -c "$DATA/stops.jsonl"; bzip2 -c "$DATA/errors.jsonl"; } >"$TMP/z/multi.bz2"
expect_rc 0 "$BT" export -o "$TMP/xz" "$TMP/z/a.json.gz" "$TMP/z/d.jsonl.bz2" "$TMP/z/u.jsonl.xz" "$TMP/z/multi.bz2"
check "compressed copies read as the plain files" \
	differ 3600 "$TMP/xz/hops.csv" "$DATA/api-array.json" "$DATA/dump.jsonl" "$DATA/unreach.jsonl" "$DATA/stops.jsonl" "$DATA/errors.jsonl"
head -c 300 "$TMP/z/d.jsonl.bz2" >"$TMP/z/cut.bz2"
expect_rc 1 "$BT" diff "$TMP/z/cut.bz2"
has "$TMP/err" "cut.bz2: read error: bzip2 stream truncated (unexpected end of file)"

# --- a dump line longer than the sniffed head, prb_id after the hop list
python3 - "$TMP/long.jsonl" <<'EOF'
import json, sys
hops = [{"hop": h, "result": [{"from": "198.18.%d.1" % h, "rtt": 1.0, "size": 76, "ttl": 250}] * 3}
        for h in range(1, 40)]
hops.append({"hop": 40, "result": [{"from": "198.18.9.99", "rtt": 9.0, "size": 48, "ttl": 50}] * 3})
r = {"fw": 5080, "mver": "2.6.2", "lts": 5, "endtime": 1506844810, "dst_name": "198.18.9.99",
     "dst_addr": "198.18.9.99", "src_addr": "198.18.0.9", "proto": "UDP", "af": 4, "size": 48,
     "paris_id": 5, "result": hops, "msm_id": 5008, "prb_id": 6099, "timestamp": 1506844805}
open(sys.argv[1], "w").write(json.dumps(r) + "\n")
EOF
[ "$(head -c 4096 "$TMP/long.jsonl" | grep -c prb_id)" -eq 0 ] || fail "long.jsonl: prb_id within the first 4096 bytes"
expect_rc 0 "$BT" diff "$TMP/long.jsonl"
has "$TMP/err" "1 traces, 120 hops"

# --- an API array on one line, longer than the 4 MiB cap on a line: read
# result by result (the cap is on one result)
python3 - "$TMP/wide.json" <<'EOF'
import json, sys
rs = []
for i in range(2000):
    hops = [{"hop": h, "result": [{"from": "198.18.%d.%d" % (h, i % 250 + 1), "rtt": 1.25, "size": 76, "ttl": 250}] * 3}
            for h in range(1, 12)]
    rs.append({"fw": 5080, "type": "traceroute", "af": 4, "proto": "ICMP", "prb_id": 8000 + i, "msm_id": 5010,
               "timestamp": 1506844805, "endtime": 1506844810, "dst_addr": "198.18.9.200",
               "src_addr": "198.18.0.9", "paris_id": 1, "result": hops})
open(sys.argv[1], "w").write(json.dumps(rs, separators=(",", ":")))
EOF
[ "$(wc -c <"$TMP/wide.json")" -gt 4194304 ] || fail "wide.json is not over the line cap"
expect_rc 0 "$BT" diff "$TMP/wide.json"
has "$TMP/err" "2000 traces, 66000 hops"

# --- not mappable: counted, named by file:line, listed under -v
expect_rc 0 "$BT" diff --format csv "$DATA/skipped.jsonl"
has "$TMP/err" "1 skipped as a 'ping' result, not a traceroute: $DATA/skipped.jsonl:1"
has "$TMP/err" "1 skipped as no 'dst_addr' (the name 'nosuch.invalid' did not resolve?): $DATA/skipped.jsonl:2"
has "$TMP/err" "1 traces, 2 hops, 1 round(s), 0 event(s), 5 result(s) skipped as not mappable"
expect_rc 0 "$BT" diff --format csv -v "$DATA/skipped.jsonl"
has "$TMP/err" "skipped as firmware 1 result (before 4400"
has "$TMP/err" "skipped as err: unknown unreachable code"
has "$TMP/err" "1 skipped as 'result[].hop': 3 after 1 (hops out of order or skipped): $DATA/skipped.jsonl:5"

# the same results pretty-printed in an array: each named by the line its
# object starts on
python3 - "$DATA/skipped.jsonl" "$TMP/pretty.json" "$TMP/pretty.lines" <<'EOF'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
text = json.dumps(rs, indent=2)
open(sys.argv[2], "w").write(text)
starts = [i + 1 for i, l in enumerate(text.split("\n")) if l == "  {"]
open(sys.argv[3], "w").write(" ".join(map(str, starts[:5])))
EOF
expect_rc 0 "$BT" diff --format csv -v "$TMP/pretty.json"
is "$(sed -n 's/.* skipped as .*pretty\.json:\([0-9]*\)$/\1/p' "$TMP/err" | tr '\n' ' ' | sed 's/ $//')" \
	"$(cat "$TMP/pretty.lines")" "skipped results in a pretty-printed array named by their first line"

# --- malformed JSON: FILE:LINE, exit 1, nothing written
expect_rc 1 "$BT" export -o "$TMP/bad" "$DATA/dump.jsonl" "$DATA/truncated.json"
has "$TMP/err" "truncated.json:2: not JSON: the file ends inside the result that starts here (truncated?)"
has "$TMP/err" "nothing written to $TMP/bad"
[ -e "$TMP/bad" ] && fail "a failed export left $TMP/bad"
expect_rc 1 "$BT" diff "$DATA/badtoken.jsonl"
has "$TMP/err" "badtoken.jsonl:2: not JSON: unexpected token near '}' (column 50)"
printf '[{"fw":4790},\n 7]\n' >"$TMP/notobj.json"
expect_rc 1 "$BT" diff "$TMP/notobj.json"
has "$TMP/err" "notobj.json:2: not JSON: unexpected '7' between results"
printf '[{"fw":4790,"prb_id":1,"msm_id":2}\n' >"$TMP/open.json"
expect_rc 1 "$BT" diff "$TMP/open.json"
has "$TMP/err" "open.json:2: not JSON: the file ends before the array's closing ']'"

# --- the option
expect_rc 2 "$BT" diff --round-interval 0 "$DATA/dump.jsonl"
has "$TMP/err" "--round-interval: '0' is not a whole number in 1..1000000"
expect_rc 2 "$BT" export -o "$TMP/o" --round-interval 1h "$DATA/dump.jsonl"
has "$TMP/err" "(try 'bordertrace export --help')"

# --- two results of one probe, destination and paris_id in one round
sed -n 2p "$DATA/dump.jsonl" >"$TMP/twice.jsonl"
sed -n 2p "$DATA/dump.jsonl" | sed 's/"timestamp":1506844940/"timestamp":1506845940/; s/"endtime":1506844950/"endtime":1506845950/' >>"$TMP/twice.jsonl"
expect_rc 1 "$BT" diff "$TMP/twice.jsonl"
has "$TMP/err" "twice.jsonl:2: trace atlas-6005/2017-10-01T08:00:00Z/198.18.9.4/icmp-paris/0 was read before"
has "$TMP/err" "--round-interval"
expect_rc 0 "$BT" export --round-interval 900 -o "$TMP/tw" "$TMP/twice.jsonl"
is "$(col "$TMP/tw/traces.csv" vp atlas-6005 round)" "2017-10-01T08:00:00Z 2017-10-01T08:15:00Z" "--round-interval 900: 08:02:20 and 08:19:00 in two rounds"

# --- rounds interleaved in one file: a result again after another round
# (whose first trace closed the seen set of the first round: seen.h) is
# still a duplicate, and another record of it still a conflict naming line 1
r2=$(sed -n 2p "$DATA/dump.jsonl")
r2h=$(sed 's/"timestamp":1506844940/"timestamp":1506848540/; s/"endtime":1506844950/"endtime":1506848550/' <<<"$r2")
printf '%s\n%s\n%s\n' "$r2" "$r2h" "$r2" >"$TMP/again.jsonl"
expect_rc 0 "$BT" diff "$TMP/again.jsonl"
has "$TMP/err" "2 traces"
has "$TMP/err" "1 duplicate trace(s) read again and counted once"
printf '%s\n%s\n%s\n' "$r2" "$r2h" "${r2/\"rtt\":/\"rtt\":1}" >"$TMP/again3.jsonl"
expect_rc 1 "$BT" diff "$TMP/again3.jsonl"
has "$TMP/err" "again3.jsonl:3: trace atlas-6005/2017-10-01T08:00:00Z/198.18.9.4/icmp-paris/0 was read before, with other contents, at $TMP/again3.jsonl:1"

# --- an Atlas file mixed with a native round file: one diff, one event
kp_db
printf '{"format":"bordertrace-trace","v":2,"vp":"vp-01","campaign":"kp","round":"2017-10-01T08:00:00Z","method":"icmp-paris","src":"198.18.0.2","dst":"198.18.7.2","flow":0,"sport":0,"dport":0,"icmp_sum":4096,"start":"2017-10-01T08:00:00.000000Z","end":"2017-10-01T08:00:01.000000Z","stop":"completed","stop_ttl":3,"first_ttl":1,"max_ttl":32,"probes_sent":3,"hops":[{"ttl":1,"attempt":1,"addr":"198.18.1.1","rtt_ms":0.1,"reply_ttl":64,"icmp_type":11,"icmp_code":0,"quoted_ttl":1,"size":56},{"ttl":2,"attempt":1,"addr":"198.18.2.1","rtt_ms":0.2,"reply_ttl":63,"icmp_type":11,"icmp_code":0,"quoted_ttl":1,"size":56},{"ttl":3,"attempt":1,"addr":"198.18.7.2","rtt_ms":0.3,"reply_ttl":62,"icmp_type":0,"icmp_code":0,"size":84}]}\n' >"$TMP/native.jsonl"
a='"fw":5080,"af":4,"proto":"ICMP","size":48,"msm_id":5009,"prb_id":6100,"endtime":1506848410,"type":"traceroute","src_addr":"198.18.1.20","paris_id":1'
printf '[{%s,"timestamp":1506848405,"dst_addr":"198.18.7.3","result":[{"hop":1,"result":[{"from":"198.18.1.1","rtt":1.0,"size":28,"ttl":255}]},{"hop":2,"result":[{"from":"198.18.5.1","rtt":2.0,"size":28,"ttl":254},{"x":"*"},{"from":"198.18.5.1","rtt":2.0,"size":28,"ttl":254}]},{"hop":3,"result":[{"from":"198.18.7.3","rtt":3.0,"size":48,"ttl":62}]}]}]\n' "$a" >"$TMP/atlas.json"
expect_rc 0 "$BT" diff "${DB[@]}" --by as --format table "$TMP/native.jsonl" "$TMP/atlas.json"
has "$TMP/err" "2 traces, 8 hops, 2 round(s), 1 event(s)"
has "$TMP/out" "NEW as border route into AS131279: AS20485"
has "$TMP/out" "round 2017-10-01T09:00:00Z"
has "$TMP/out" "evidence: atlas-6100/2017-10-01T09:00:00Z/198.18.7.3/icmp-paris/1"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all Atlas checks passed"
