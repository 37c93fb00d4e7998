#!/usr/bin/env python3
"""accuracy.py - scores path-diff's border detection against bt-sim's truth
(issue 17; doc/sim.md, "Scoring detection").

Three scores, from one run:

- events: `bordertrace diff --format csv` (level as) against `bt-sim changes`
  (the events a perfect detector with the same hysteresis reports). A
  reported event matches a true one of the same network, kind and upstream
  dated the same round or up to --tolerance rounds later (one to one, earliest
  first). Precision, recall, the median delay in rounds (0: reported in the
  first round probed after the change), false events (reported, unmatched)
  per 1,000 target networks per round after the baseline.
- routes: per round and target network, the upstreams export's diversity.csv
  shows (level as) against the union over VPs of `bt-sim routes`.
- crossings: per trace, the analysis's crossing into the target's AS
  (borders.csv, into_target) against the true one: the route's last transit
  and the destination AS, far hop at the first TTL, from the true border
  router's on, that answered from a router of the destination
  (`bt-sim crossings` and `interfaces` of the round). The same against a
  naive baseline computed here from the same traces: every reply mapped to an
  AS by longest-prefix match over the plan (no heuristics; addresses in no
  prefix passed over), the last change into the target's AS.

Prints one line per figure (and the upstreams the false events name most:
one wrong interface owner often makes many, doc/path-diff.md); --misses FILE
writes the unmatched events.
Exit 0, or 2 on bad arguments / unreadable input (named).
"""
import argparse
import collections
import csv
import glob
import ipaddress
import json
import os
import statistics
import sys


def die(msg):
    sys.stderr.write(f"accuracy.py: {msg}\n")
    sys.exit(2)


def read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [ln.rstrip("\r\n") for ln in f if ln.strip() and not ln.startswith("#")]
    except OSError as e:
        die(f"{path}: {e.strerror}")


def read_csv(path):
    try:
        with open(path, newline="", encoding="utf-8") as f:
            yield from csv.DictReader(f)
    except OSError as e:
        die(f"{path}: {e.strerror}")


def tsv(path, ncols):
    for i, ln in enumerate(read_lines(path), 1):
        f = ln.split("\t")
        if len(f) < ncols:
            die(f"{path}:{i}: expected {ncols} tab-separated fields, got {len(f)}")
        yield f


# ---- events ----

def read_truth_events(path):
    """bt-sim changes: network, round, kind, upstream, into."""
    return [(f[0], int(f[1]), f[2], f[3]) for f in tsv(path, 5)]


def read_reported_events(path, rank):
    out = []
    for i, row in enumerate(read_csv(path), 2):
        if row.get("level") != "as":
            continue
        rid = row.get("round", "")
        if rid not in rank:
            die(f"{path}:{i}: round '{rid}' is not one of --rounds-list")
        out.append((row["target_network"], rank[rid], row["event"], row["upstream"]))
    return out


def match_events(truth, reported, tol):
    """One-to-one: each reported event takes the earliest unmatched true event
    of its (network, kind, upstream) with t <= r <= t + tol. Returns the
    delays of the matches, the unmatched true and reported events."""
    by_key = {}
    for e in sorted(truth, key=lambda e: e[1]):
        by_key.setdefault((e[0], e[2], e[3]), []).append([e[1], False])
    delays, false = [], []
    for e in sorted(reported, key=lambda e: e[1]):
        cands = by_key.get((e[0], e[2], e[3]), [])
        hit = next((c for c in cands if not c[1] and c[0] <= e[1] <= c[0] + tol), None)
        if hit is None:
            false.append(e)
        else:
            hit[1] = True
            delays.append(e[1] - hit[0])
    missed = [(k[0], c[0], k[1], k[2]) for k, cs in by_key.items() for c in cs if not c[1]]
    return delays, missed, false


def ratio(a, b):
    return a / b if b else float("nan")


def score_events(a, rank):
    truth = read_truth_events(a.changes)
    reported = read_reported_events(a.events, rank)
    delays, missed, false = match_events(truth, reported, a.tolerance)
    nets = len({f[2] for f in tsv(a.routes, 9)})
    later = max(len(rank) - 1, 1)
    res = {
        "truth": len(truth), "reported": len(reported), "matched": len(delays),
        "precision": ratio(len(delays), len(reported)), "recall": ratio(len(delays), len(truth)),
        "delay": statistics.median(delays) if delays else float("nan"),
        "false": len(false), "nets": nets, "later": later,
        "false_rate": 1000.0 * len(false) / (nets * later) if nets else float("nan"),
        "kinds": {},
        "false_by_up": collections.Counter(e[3] for e in false).most_common(5),
    }
    for k in ("new", "gone", "returned"):
        t = sum(1 for e in truth if e[2] == k)
        r = sum(1 for e in reported if e[2] == k)
        m = t - sum(1 for e in missed if e[2] == k)
        res["kinds"][k] = (m, t, r)
    if a.misses:
        with open(a.misses, "w", encoding="utf-8") as f:
            for e in sorted(missed, key=lambda e: (e[1], e[0])):
                f.write(f"missed\t{e[0]}\t{e[1]}\t{e[2]}\t{e[3]}\n")
            for e in sorted(false, key=lambda e: (e[1], e[0])):
                f.write(f"false\t{e[0]}\t{e[1]}\t{e[2]}\t{e[3]}\n")
    return res


# ---- routes per round ----

def score_routes(a, rank):
    truth = {(f[2], int(f[0]), f[4]) for f in tsv(a.routes, 9)}
    seen = set()
    for row in read_csv(a.diversity):
        if row.get("level") == "as" and row.get("round") in rank:
            seen.add((row["target_network"], rank[row["round"]], row["upstream"]))
    hit = len(truth & seen)
    return {"truth": len(truth), "seen": len(seen), "hit": hit,
            "precision": ratio(hit, len(seen)), "recall": ratio(hit, len(truth))}


# ---- crossings ----

class Plan:
    """Longest-prefix match over the plan (prefix, asn, org, cc), cached per
    address string."""

    def __init__(self, path):
        self.nets = {}
        for f in tsv(path, 4):
            n = ipaddress.ip_network(f[0])
            self.nets.setdefault(n.prefixlen, {})[int(n.network_address)] = int(f[1])
        self.lens = sorted(self.nets, reverse=True)
        self.cache = {}

    def asn(self, addr):
        v = self.cache.get(addr, -1)
        if v != -1:
            return v
        x = int(ipaddress.ip_address(addr))
        v = None
        for ln in self.lens:
            v = self.nets[ln].get(x >> (32 - ln) << (32 - ln))
            if v is not None:
                break
        self.cache[addr] = v
        return v


def naive_crossing(hops, plan, dest):
    """(near_asn, far_asn, far_ttl) of the last change into dest, or None."""
    seq = [(ttl, plan.asn(addr)) for ttl, addr in hops]
    seq = [(ttl, x) for ttl, x in seq if x is not None]
    for i in range(len(seq) - 1, 0, -1):
        if seq[i][1] == dest and seq[i - 1][1] != dest:
            return (seq[i - 1][1], dest, seq[i][0])
    return None


def read_borders(path, keep):
    """trace id -> (near_asn, far_asn, far_ttl) of its AS crossing into the target."""
    out = {}
    for row in read_csv(path):
        if row["kind"] != "as" or row["into_target"] != "1" or not keep(row["target"]):
            continue
        try:
            out[row["trace_id"]] = (int(row["near_asn"]), int(row["far_asn"]), int(row["far_ttl"]))
        except ValueError:
            continue
    return out


def first_replies(rec):
    """(ttl, addr) of the first reply at each TTL the trace probed itself."""
    seen, out = set(), []
    below = rec.get("filled_below_ttl", 0) or 0
    for h in rec.get("hops", []):
        t = h["ttl"]
        if h.get("addr") and t not in seen and t >= below:
            seen.add(t)
            out.append((t, h["addr"]))
    return out


def true_far(hops, truth, ops, dst):
    """The TTL of the first reply, from the true border router's TTL on, from
    a router of the destination AS (or the target)."""
    dest, _, bttl = truth
    for t, addr in hops:
        if t >= bttl and (addr == dst or ops.get(addr) == dest):
            return t
    return None


def verdict(got, want):
    """right, or how a crossing is wrong."""
    if got == want:
        return "right"
    if got is None:
        return "none"
    if got[:2] != want[:2]:
        return "pair"
    return "late" if got[2] > want[2] else "early"


def score_crossings(a, rank, keep):
    plan = Plan(a.plan)
    borders = read_borders(a.borders, keep)
    n = entered = 0
    cat = {"analysis": collections.Counter(), "baseline": collections.Counter()}
    for vpdir in sorted(glob.glob(os.path.join(a.truth_dir, "vp*"))):
        vp = os.path.basename(vpdir)
        for rid, r in rank.items():
            cpath = os.path.join(vpdir, f"crossings-{r}.tsv")
            tpath = os.path.join(a.traces, vp, f"{rid}.jsonl")
            if not os.path.exists(cpath) or not os.path.exists(tpath):
                continue
            ops = {f[0]: int(f[1]) for f in tsv(os.path.join(a.truth_dir, f"interfaces-{r}.tsv"), 6)}
            cross = {(f[0], int(f[1])): (int(f[2][2:]), int(f[3][2:]), int(f[4]))
                     for f in tsv(cpath, 5) if keep(f[0])}
            with open(tpath, encoding="utf-8") as fh:
                for ln in fh:
                    rec = json.loads(ln)
                    dst = rec["dst"]
                    t = cross.get((dst, rec.get("flow", 0)))
                    if t is None:
                        continue
                    n += 1
                    hops = first_replies(rec)
                    far = true_far(hops, t, ops, dst)
                    if far is None:
                        continue  # no reply from inside the destination: nothing to find
                    entered += 1
                    want = (t[1], t[0], far)
                    tid = f"{vp}/{rid}/{dst}/{rec['method']}/{rec.get('flow', 0)}"
                    cat["analysis"][verdict(borders.get(tid), want)] += 1
                    cat["baseline"][verdict(naive_crossing(hops, plan, t[0]), want)] += 1
    return {"traces": n, "entered": entered, "cat": cat,
            "acc": ratio(cat["analysis"]["right"], entered), "base_acc": ratio(cat["baseline"]["right"], entered)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds-list", required=True, help="round ids in order, one a line (round 0 first)")
    ap.add_argument("--changes", required=True, help="bt-sim changes")
    ap.add_argument("--routes", required=True, help="bt-sim routes")
    ap.add_argument("--events", required=True, help="bordertrace diff --format csv")
    ap.add_argument("--diversity", help="export's diversity.csv")
    ap.add_argument("--borders", help="export's borders.csv")
    ap.add_argument("--traces", help="round files: DIR/VP/ROUNDID.jsonl")
    ap.add_argument("--truth-dir", help="DIR/VP/crossings-R.tsv and DIR/interfaces-R.tsv")
    ap.add_argument("--plan", help="bt-sim plan (the naive baseline's table)")
    ap.add_argument("--by", default="prefix", choices=["prefix", "as"])
    ap.add_argument("--tolerance", type=int, default=2, help="rounds a reported event may come late (2)")
    ap.add_argument("--sample", type=int, default=1,
                    help="crossings: score targets whose last octet is a multiple of N (1: all)")
    ap.add_argument("--misses", help="write the missed and false events here")
    a = ap.parse_args()
    if a.sample < 1 or a.tolerance < 0:
        die("--sample must be >= 1 and --tolerance >= 0")
    rank = {rid: i for i, rid in enumerate(read_lines(a.rounds_list))}
    e = score_events(a, rank)
    print(f"events          truth {e['truth']}, reported {e['reported']}, matched {e['matched']}"
          f" (within {a.tolerance} rounds)")
    for k, (m, t, r) in e["kinds"].items():
        print(f"  {k:<13} {m}/{t} true found, {r} reported")
    print(f"precision       {e['precision']:.4f}   (target >= 0.99)")
    print(f"recall          {e['recall']:.4f}   (target >= 0.99)")
    print(f"median delay    {e['delay']} rounds   (0 = the first round after the change; target 0)")
    print(f"false events    {e['false_rate']:.3f} per 1,000 networks per round   ({e['false']} over"
          f" {e['nets']} networks x {e['later']} rounds after the baseline; target <= 0.1)")
    if e["false_by_up"]:
        print("  false events by upstream (most first): " +
              ", ".join(f"{up} {n}" for up, n in e["false_by_up"]))
    if a.diversity:
        r = score_routes(a, rank)
        print(f"border routes   precision {r['precision']:.4f}, recall {r['recall']:.4f}   ({r['hit']} of"
              f" {r['truth']} true (network, round, upstream), {r['seen']} reported)")
    if a.borders and a.traces and a.truth_dir and a.plan:
        keep = (lambda t: True) if a.sample == 1 else (lambda t: int(t.rsplit(".", 1)[1]) % a.sample == 0)
        c = score_crossings(a, rank, keep)
        print(f"crossings       {c['acc']:.4f} right (analysis), {c['base_acc']:.4f} (naive baseline),"
              f" gain {100 * (c['acc'] - c['base_acc']):+.2f} points   ({c['entered']} traces that"
              f" answered from inside the destination, of {c['traces']} scored)")
        for who, k in c["cat"].items():
            print(f"  {who:<13} wrong: right pair but far hop late {k['late']}, early {k['early']};"
                  f" wrong AS pair {k['pair']}; no crossing into the target {k['none']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
