#!/bin/bash
# scamper warts read by bordertrace (analysis/warts.c, doc/warts.md) against
# scamper's own reader: in the diamond lab (per-flow ECMP, dual stack),
# Debian's scamper traces icmp-paris, udp-paris and tcp over four flows each
# (and icmp-paris and tcp over IPv6), every attempt sent (-Q: two replies a
# TTL), plus a ping; then every reply `bordertrace export` writes to
# hops.csv must be one sc_warts2json prints for the same file, per
# (destination, method, flow, TTL), with its attempt, reply TTL and ICMP
# type/code, and nothing more or less; the ping is reported, not read.
#   test_warts.sh BORDERTRACE
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if ((EUID != 0)); then
	echo "1..0 # SKIP the lab needs root"
	exit 77
fi
export LAB_PREFIX="btw$$-" BT HERE
exec "$HERE/lab.sh" run "$HERE/topo/diamond.topo" bash -c '
T=$(mktemp -d); trap "rm -rf $T" EXIT
cmds=()
for f in 0 1 2 3; do
	cmds+=(-I "trace -P icmp-paris -q 2 -Q -w 1 -d $((4096 + f)) 198.18.5.2")
	cmds+=(-I "trace -P udp-paris -q 2 -Q -w 1 -s $((40000 + f)) -d 33435 198.18.5.2")
	cmds+=(-I "trace -P tcp -q 2 -Q -w 1 -s $((40000 + f)) -d 80 198.18.5.2")
done
cmds+=(-I "trace -P icmp-paris -q 2 -Q -w 1 -d 4100 2001:db8:0:5::2")
cmds+=(-I "trace -P tcp -q 2 -Q -w 1 -s 40005 -d 80 2001:db8:0:5::2")
cmds+=(-I "ping -c 1 198.18.5.2")
ip netns exec "${LAB_PREFIX}vp" scamper -p 1000 -O warts -o "$T/lab.warts" "${cmds[@]}" || exit 1
sc_warts2json "$T/lab.warts" >"$T/sc.json" || exit 1
gzip -c "$T/lab.warts" >"$T/lab.warts.gz"
"$BT" export -o "$T/x" "$T/lab.warts" >/dev/null 2>"$T/err" || { cat "$T/err"; exit 1; }
"$BT" export -o "$T/z" "$T/lab.warts.gz" >/dev/null 2>"$T/errz" || { cat "$T/errz"; exit 1; }
exec python3 - "$T" <<"PY"
import csv, ipaddress, json, sys
from collections import Counter, defaultdict
T = sys.argv[1]
n = 0
fails = 0
def check(what, ok, detail=""):
    global n, fails
    n += 1
    print(("ok" if ok else "not ok"), n, "-", what, "" if ok else detail)
    fails += not ok
norm = lambda a: str(ipaddress.ip_address(a))
methods = {"icmp-echo-paris": "icmp-paris", "udp-paris": "udp-paris", "tcp": "tcp-syn"}
ref, ttls, traces = defaultdict(Counter), defaultdict(set), {}
for line in open(f"{T}/sc.json"):
    o = json.loads(line)
    if o.get("type") != "trace":
        continue
    m = methods[o["method"]]
    flow = (o["icmp_sum"] - 0x1000 if m == "icmp-paris" else o["sport"] - 40000) % 65536
    key = (norm(o["dst"]), m, flow)
    traces[key] = o
    for h in o.get("hops", []):
        ref[key + (h["probe_ttl"],)][(norm(h["addr"]), h["probe_id"], h["reply_ttl"],
                                     h.get("icmp_type", ""), h.get("icmp_code", ""))] += 1
ours, silent = defaultdict(Counter), set()
for r in csv.DictReader(open(f"{T}/x/hops.csv", newline="")):
    vp, rnd, dst, m, flow = r["trace_id"].split("/")
    k = (norm(r["target"]), m, int(flow), int(r["ttl"]))
    if r["addr"]:
        ours[k][(norm(r["addr"]), int(r["attempt"]), int(r["reply_ttl"]),
                 int(r["icmp_type"]) if r["icmp_type"] else "", int(r["icmp_code"]) if r["icmp_code"] else "")] += 1
    else:
        silent.add(k)
check("scamper made 14 traces", len(traces) == 14, len(traces))
check("every reply sc_warts2json prints, and only those, per (dst, method, flow, TTL)",
      ref == ours, [(k, ref[k], ours[k]) for k in set(ref) | set(ours) if ref[k] != ours[k]][:3])
check("two replies a TTL (-Q)", all(sum(c.values()) == 2 for c in ours.values()))
check("no silent entry where scamper had replies", not (silent & set(ref)))
paths = {tuple(sorted({a for k2, c in ours.items() if k2[:3] == k for (a, *_ ) in c})) for k in traces
         if k[0] == "198.18.5.2"}
check("the flows take both branches of the diamond", len(paths) == 2, paths)
rows = list(csv.DictReader(open(f"{T}/x/traces.csv", newline="")))
check("traces.csv: 14 completed traces", len(rows) == 14 and all(r["stop"] == "completed" for r in rows))
check("src as scamper recorded it", all(norm(r["src"]) == norm(traces[(norm(r["target"]), r["method"], int(r["flow"]))]["src"]) for r in rows))
err = open(f"{T}/err").read()
check("the ping is reported by file@offset", "1 skipped as a ping object (not a trace): " + T + "/lab.warts@" in err, err)
same = all(open(f"{T}/x/{f}.csv").read() == open(f"{T}/z/{f}.csv").read() for f in ("hops", "traces"))
check("the gzip file gives the same hops.csv and traces.csv", same)
print(f"1..{n}")
sys.exit(1 if fails else 0)
PY
'
