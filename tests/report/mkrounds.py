#!/usr/bin/env python3
"""The founding story's rounds without probing: two VPs (Deutsche Telekom,
KDDI) trace four hosts of the KP target network 198.18.178.0/24 and one of
198.18.176.0/24 for three rounds, on the address plan of
tests/scenario/kp-border.plan. Round 1: every route into KP comes through
China Unicom (AS4837, CN). Rounds 2 and 3: some of the German VP's traces
come through TransTeleCom (AS20485, RU). One round-2 trace has its first
hop copied from another trace (split TTL, filled_below_ttl 2).

    mkrounds.py OUTDIR   writes OUTDIR/vp-de/rN.jsonl and OUTDIR/vp-jp/rN.jsonl
    mkrounds.py --wide OUTDIR   150 VPs, each through an AS of its own and one
                                of 40 upstreams into 198.18.250.0/24 (more
                                edges than a graph draws), and OUTDIR/pfx2as.txt
"""
import json
import os
import sys

ROUNDS = ["2017-10-01T08:00:00.000000Z", "2017-10-01T09:00:00.000000Z", "2017-10-01T10:00:00.000000Z"]
VIA_CN = {"vp-de": ["198.18.10.1", "198.18.30.1", "198.18.40.1", "198.18.40.9"],
          "vp-jp": ["198.18.20.1", "198.18.40.5", "198.18.40.9"]}
VIA_RU = ["198.18.10.1", "198.18.30.1", "198.18.50.1", "198.18.50.7"]
SRC = {"vp-de": "198.18.10.2", "vp-jp": "198.18.20.2"}


def ru_hosts(rnd):
    """The KP hosts the German VP reaches through RU in round rnd."""
    return {0: [], 1: [2, 3], 2: [1, 2, 3]}[rnd]


def record(vp, rnd, dst, hops, filled=0):
    entries = []
    for ttl, addr in enumerate(hops + [dst], start=1):
        last = ttl == len(hops) + 1
        entries.append({"ttl": ttl, "attempt": 1, "addr": addr, "rtt_ms": 10.0 + ttl * 7.5,
                        "reply_ttl": 64 - ttl, "icmp_type": 0 if last else 11, "icmp_code": 0,
                        "size": 84 if last else 56})
    r = {"format": "bordertrace-trace", "v": 1, "vp": vp, "campaign": "kp", "round": ROUNDS[rnd],
         "method": "icmp-paris", "src": SRC[vp], "dst": dst, "flow": 0, "sport": 0, "dport": 0,
         "icmp_sum": 4096, "start": ROUNDS[rnd], "end": ROUNDS[rnd], "stop": "completed",
         "stop_ttl": len(entries), "first_ttl": 1, "max_ttl": 32, "probes_sent": len(entries),
         "hops": entries}
    if filled:
        r["filled_below_ttl"] = filled
    return json.dumps(r, separators=(",", ":"))


def wide(out):
    os.makedirs(out, exist_ok=True)
    lines, plan = [], ["198.18.250.0\t24\t65000"]
    for v in range(150):
        plan += ["198.18.%d.0\t24\t%d" % (v, 64600 + v), "198.19.%d.0\t24\t%d" % (v, 64900 + v % 40)]
        SRC["vp%03d" % v] = "198.18.%d.2" % v
        for rnd in range(2):
            lines.append(record("vp%03d" % v, rnd, "198.18.250.9", ["198.18.%d.1" % v, "198.19.%d.1" % v,
                                                                    "198.18.250.1"]))
    with open(os.path.join(out, "pfx2as.txt"), "w") as f:
        f.write("\n".join(plan) + "\n")
    with open(os.path.join(out, "wide.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    if sys.argv[1] == "--wide":
        return wide(sys.argv[2])
    out = sys.argv[1]
    for vp in ("vp-de", "vp-jp"):
        os.makedirs(os.path.join(out, vp), exist_ok=True)
        for rnd in range(len(ROUNDS)):
            lines = []
            for host in range(1, 5):
                dst = "198.18.178.%d" % (host * 10)
                ru = vp == "vp-de" and host in ru_hosts(rnd)
                hops = (VIA_RU if ru else VIA_CN[vp]) + ["198.18.178.1"]
                lines.append(record(vp, rnd, dst, hops, 2 if ru and rnd == 1 and host == 3 else 0))
            lines.append(record(vp, rnd, "198.18.176.10", VIA_CN[vp] + ["198.18.176.1"]))
            with open(os.path.join(out, vp, "r%d.jsonl" % (rnd + 1)), "w") as f:
                f.write("\n".join(lines) + "\n")


main()
