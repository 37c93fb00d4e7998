#!/usr/bin/env python3
"""Writes N round files of K traces each for the store's tests:
mkrounds.py DIR VP CAMPAIGN N K [PREFIX]. Addresses are in 198.18.0.0/15.
With MK_HOPS=3 each trace reaches its destination at TTL 3 through
198.18.1.1 and 198.18.2.1 (a border route for the derived tables)."""
import json
import os
import sys

three = os.environ.get("MK_HOPS") == "3"

d, vp, campaign, n, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
prefix = sys.argv[6] if len(sys.argv) > 6 else ""
os.makedirs(d, exist_ok=True)
for r in range(n):
    rid = "2026-12-01T%02d:%02d:00Z" % (r // 60, r % 60)
    with open(os.path.join(d, prefix + rid + ".jsonl"), "w") as f:
        for t in range(k):
            rec = {"format": "bordertrace-trace", "v": 2, "vp": vp, "campaign": campaign,
                   "round": rid, "method": "icmp-paris", "src": "198.18.0.2",
                   "dst": "198.18.%d.%d" % (3 + t // 250, 1 + t % 250),
                   "flow": 0, "sport": 0, "dport": 0, "icmp_sum": 4096,
                   "start": rid[:-1] + ".%06dZ" % (t * 1000), "end": rid[:-3] + "01.000000Z",
                   "stop": "completed", "stop_ttl": 2, "first_ttl": 1, "max_ttl": 32,
                   "probes_sent": 2,
                   "hops": [{"ttl": 1, "attempt": 1, "addr": "198.18.1.1", "rtt_ms": 0.125,
                             "reply_ttl": 64, "icmp_type": 11, "icmp_code": 0,
                             "quoted_ttl": 1, "size": 56},
                            {"ttl": 2, "attempt": 1, "addr": "198.18.2.%d" % (1 + r % 2),
                             "rtt_ms": 0.25, "reply_ttl": 63, "icmp_type": 0,
                             "icmp_code": 0, "size": 84}]}
            if three:
                dst = rec["dst"]
                rec["hops"] = [dict(rec["hops"][0]),
                               {"ttl": 2, "attempt": 1, "addr": "198.18.2.1", "rtt_ms": 0.2,
                                "reply_ttl": 63, "icmp_type": 11, "icmp_code": 0,
                                "quoted_ttl": 1, "size": 56},
                               {"ttl": 3, "attempt": 1, "addr": dst, "rtt_ms": 0.25,
                                "reply_ttl": 62, "icmp_type": 0, "icmp_code": 0, "size": 84}]
                rec["stop_ttl"] = 3
                rec["probes_sent"] = 3
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
