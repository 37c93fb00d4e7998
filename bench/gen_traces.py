#!/usr/bin/env python3
"""Synthetic round files for the path-diff benchmark (bench/pathdiff.sh).

  gen_traces.py OUTDIR [--vps 10] [--targets 100000] [--rounds 2] [--seed 1]

Writes OUTDIR/plan.tsv (prefix, asn, org, country: the address plan, for the
test MMDBs) and OUTDIR/rounds/<vp>/<round>.jsonl. Every VP traces every
target once over the rounds (targets split evenly between rounds), so there
are vps x targets traces. Paths: VP access AS (2 hops) -> one of 8 transits
(2-3 hops, per-flow variants) -> the destination AS's upstream (2 hops, one
silent now and then) -> destination AS (1-2 hops) -> target. In the last
round 5% of destination ASes gain a second upstream for half their prefixes.
Addresses: targets .1-.250 of /24s in 198.18.0.0/16 and 198.19.0.0/17,
destination-AS routers .251-.254 of the same /24s, other routers in
198.19.200.0/21 (benchmarking range, RFC 2544)."""
import argparse
import os
import random

ap = argparse.ArgumentParser()
ap.add_argument("outdir")
ap.add_argument("--vps", type=int, default=10)
ap.add_argument("--targets", type=int, default=100000)
ap.add_argument("--rounds", type=int, default=2)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()
rnd = random.Random(a.seed)

CC = ["DE", "JP", "US", "BR", "ZA", "IN", "AU", "FR", "GB", "SE", "CN", "RU", "KP", "KR", "NL", "SG"]
plan = []
router_net = [0]


def new_router_block(asn, org, cc):
    """A /24 of router interfaces for one AS."""
    i = router_net[0]
    router_net[0] += 1
    net = f"198.19.{200 + i}.0/24"
    plan.append((net, asn, org, cc))
    base = f"198.19.{200 + i}."
    return [base + str(h) for h in range(1, 255)]


vps = []
for v in range(a.vps):
    asn = 64496 + v
    vps.append((f"vp{v:02d}", new_router_block(asn, f"VP access {v}", CC[v % len(CC)])))
transits = [new_router_block(1299 + t, f"Transit {t}", CC[(t * 3) % len(CC)]) for t in range(8)]
upstreams = [new_router_block(3000 + u, f"Upstream {u}", CC[(u * 5 + 1) % len(CC)]) for u in range(16)]

# destination ASes: 4 target /24s each... as many as needed for the targets
per24 = 250
n24 = (a.targets + per24 - 1) // per24
dests = []
for d in range((n24 + 3) // 4):
    asn = 100000 + d
    cc = CC[d % len(CC)]
    routers = []  # filled from its own target /24s below (.251-.254)
    ups = [d % 16]
    new_up = (d * 7 + 3) % 16 if d % 20 == 0 else None
    if new_up == ups[0]:
        new_up = (new_up + 1) % 16
    dests.append((asn, cc, routers, ups, new_up))

targets = []
for k in range(n24):
    if k < 256:
        net = f"198.18.{k}."
    else:
        net = f"198.19.{k - 256}."
    d = dests[k // 4]
    plan.append((net + "0/24", d[0], f"Destination {k // 4}", d[1]))
    d[2].extend(net + str(h) for h in range(251, 255))
    for h in range(1, per24 + 1):
        if len(targets) < a.targets:
            targets.append((net + str(h), k // 4, k % 4))
    if len(targets) >= a.targets:
        break

os.makedirs(a.outdir, exist_ok=True)
with open(os.path.join(a.outdir, "plan.tsv"), "w") as f:
    for p in plan:
        f.write("%s\t%d\t%s\t%s\n" % p)


def hop(ttl, addr, rtt):
    if addr is None:
        return '{"ttl":%d,"attempt":2,"addr":null}' % ttl
    return ('{"ttl":%d,"attempt":1,"addr":"%s","rtt_ms":%.3f,"reply_ttl":%d,"icmp_type":11,'
            '"icmp_code":0,"quoted_ttl":1,"size":56}' % (ttl, addr, rtt, 64 - ttl))


rounds = ["2017-10-01T%02d:00:00Z" % (8 + r) for r in range(a.rounds)]
head = ('{"format":"bordertrace-trace","v":1,"vp":"%s","campaign":"bench","round":"%s",'
        '"method":"icmp-paris","src":"%s","dst":"%s","flow":0,"sport":0,"dport":0,"icmp_sum":4096,'
        '"start":"%s","end":"%s","stop":"completed","stop_ttl":%d,"first_ttl":1,"max_ttl":32,'
        '"probes_sent":%d,"hops":[')
for vi, (vp, vpr) in enumerate(vps):
    for ri, rname in enumerate(rounds):
        d = os.path.join(a.outdir, "rounds", vp)
        os.makedirs(d, exist_ok=True)
        last = ri == len(rounds) - 1 and len(rounds) > 1
        with open(os.path.join(d, rname + ".jsonl"), "w") as f:
            for ti, (dst, di, sub) in enumerate(targets):
                if (ti + vi) % len(rounds) != ri:
                    continue
                asn, cc, drt, ups, new_up = dests[di]
                up = ups[0]
                if last and new_up is not None and sub < 2:
                    up = new_up
                tr = transits[(di + vi) % 8]
                ur = upstreams[up]
                path = [vpr[0], vpr[1 + ti % 8], tr[ti % 50], tr[50 + (ti + vi) % 50],
                        ur[di % 100], None if (ti % 7 == 0) else ur[100 + di % 100],
                        drt[sub * 4 % len(drt)], drt[(1 + ti) % len(drt)], dst]
                hops = ",".join(hop(i + 1, x, 0.5 + i * 3.1) for i, x in enumerate(path))
                t = "%s%02d:%02d.%06dZ" % (rname[:14], (ti // 60) % 60, ti % 60, ti % 1000000)
                f.write(head % (vp, rname, vpr[0].rsplit(".", 1)[0] + ".254", dst, t, t, len(path),
                                len(path) + 1) + hops + "]}\n")
print(f"{len(targets)} targets, {len(vps)} VPs, {len(rounds)} rounds, {len(plan)} prefixes")
