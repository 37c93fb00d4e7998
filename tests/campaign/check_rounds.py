#!/usr/bin/env python3
"""Checks a campaign's round directory (tests/campaign/test_run.sh).

  check_rounds.py DIR --targets N [--flows F] [--campaign C --vp V] [--hops]

Every final name must be a round id + .jsonl, hold exactly N*F complete JSON
lines whose round equals the file's id, campaign and vp as given; with
--hops, every trace must show the many.topo truth (198.18.0.1, 198.18.1.2,
dst). Prints one line per file, 'name sha256', so callers can compare runs;
exits 1 on the first problem."""
import argparse
import hashlib
import json
import os
import re
import sys

NAME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.jsonl$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--targets", type=int, required=True)
    ap.add_argument("--flows", type=int, default=1)
    ap.add_argument("--campaign")
    ap.add_argument("--vp")
    ap.add_argument("--hops", action="store_true")
    ap.add_argument("--v6-errors", type=int, default=0,
                    help="besides, N IPv6 targets whose traces are errors (no IPv6 route)")
    a = ap.parse_args()
    bad = []
    for name in sorted(os.listdir(a.dir)):
        if name.startswith("."):
            continue
        path = os.path.join(a.dir, name)
        if not NAME.match(name):
            bad.append(f"{name}: not a round file name")
            continue
        data = open(path, "rb").read()
        if not data.endswith(b"\n"):
            bad.append(f"{name}: does not end with a newline (partial?)")
            continue
        lines = data.decode().splitlines()
        want = a.targets * a.flows
        if len(lines) != want + a.v6_errors * a.flows:
            bad.append(f"{name}: {len(lines)} records, want {want}")
            continue
        rid = name[:-len(".jsonl")]
        seen = set()
        for ln in lines:
            r = json.loads(ln)
            if r["round"] != rid or (a.campaign and r["campaign"] != a.campaign) or (a.vp and r["vp"] != a.vp):
                bad.append(f"{name}: record ids {r['campaign']}/{r['vp']}/{r['round']}")
                break
            if ":" in r["dst"]:
                if r["stop"] != "error" or r["hops"]:
                    bad.append(f"{name}: {r['dst']}: {r['stop']}, {len(r['hops'])} hops (want an error)")
                    break
                continue
            seen.add((r["dst"], r["flow"]))
            if a.hops:
                by_ttl = {}  # format 2: several entries a TTL may answer
                for h in r["hops"]:
                    by_ttl.setdefault(h["ttl"], set()).add(h["addr"])
                addrs = ["|".join(sorted(x for x in by_ttl[k] if x)) or None for k in sorted(by_ttl)]
                if addrs != ["198.18.0.1", "198.18.1.2", r["dst"]] or r["stop"] != "completed":
                    bad.append(f"{name}: {r['dst']} flow {r['flow']}: {addrs} {r['stop']}")
                    break
        if len(seen) != want:
            bad.append(f"{name}: {len(seen)} distinct (dst, flow), want {want}")
        print(name, hashlib.sha256(data).hexdigest())
    for b in bad:
        print("BAD", b, file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
