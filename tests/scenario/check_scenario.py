#!/usr/bin/env python3
"""Checks what kp_scenario.sh produced against the lab's ground truth (TAP)."""
import csv
import json
import os
import sys

out = sys.argv[1]
n = 0
failed = 0


def check(ok, what, detail=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok:
        failed += 1
        if detail:
            print("  # " + str(detail).replace("\n", "\n  # "))


def rows(name):
    with open(os.path.join(out, name), newline="") as f:
        return list(csv.DictReader(f))


# Round files: one per VP and round, complete, nothing temporary left.
for vp in ("vp1", "vp2"):
    names = sorted(os.listdir(os.path.join(out, "rounds", vp)))
    check(len(names) == 2 and all(x.endswith(".jsonl") for x in names),
          f"{vp}: two complete round files", names)
    for name in names:
        with open(os.path.join(out, "rounds", vp, name)) as f:
            traces = [json.loads(line) for line in f]
        check(len(traces) == 6 and all(t["stop"] == "completed" for t in traces)
              and all(t["vp"] == vp and t["round"] + ".jsonl" == name for t in traces),
              f"{vp}/{name}: 3 targets x 2 flows, all completed, ids set")

prefix = list(csv.DictReader(open(os.path.join(out, "prefix.csv"), newline="")))
check(len(prefix) == 1, "per prefix: exactly one event", prefix)
if prefix:
    e = prefix[0]
    check(e["event"] == "new" and e["level"] == "as", "it is a new AS-level border route", e)
    check(e["target_network"] == "198.18.178.0/24", "for the moved prefix", e["target_network"])
    check((e["upstream"], e["upstream_country"], e["into"]) == ("AS20485", "RU", "AS131279"),
          "AS20485 RU -> AS131279", e)
    check(e["vps"] == "vp1 vp2", "seen by both VPs", e["vps"])
    ev = e["evidence"].split()
    check(len(ev) == 4 and all("/198.18.178.1/" in x for x in ev)
          and {x.split("/")[0] for x in ev} == {"vp1", "vp2"},
          "evidence: the 4 traces (2 VPs x 2 flows) to the moved prefix", ev)
    check(e["round"] == sorted(os.listdir(os.path.join(out, "rounds", "vp1")))[1][:-6],
          "dated to the second round", e["round"])

as_ev = list(csv.DictReader(open(os.path.join(out, "as.csv"), newline="")))
check(len(as_ev) == 1 and as_ev[0]["target_network"] == "AS131279"
      and as_ev[0]["upstream"] == "AS20485", "per target AS (--min-vps 2): one event into AS131279", as_ev)
both = list(csv.DictReader(open(os.path.join(out, "both.csv"), newline="")))
check(sorted((r["level"], r["upstream"]) for r in both) == [("as", "AS20485"), ("country", "RU")],
      "--level both: the same route at AS and country level, nothing else", both)
pervp = list(csv.DictReader(open(os.path.join(out, "pervp.csv"), newline="")))
check(sorted(r["target_network"] for r in pervp) == ["AS131279@vp1", "AS131279@vp2"],
      "--per-vp: each VP saw it", pervp)

# Diversity: the RU share of the target AS after the change.
div = rows("csv/diversity.csv")
r2 = [r for r in div if r["level"] == "as" and r["target_network"] == "AS131279"]
rounds = sorted({r["round"] for r in r2})
check(len(rounds) == 2, "diversity rows for both rounds", rounds)
if len(rounds) == 2:
    first = {r["upstream"]: r for r in r2 if r["round"] == rounds[0]}
    second = {r["upstream"]: r for r in r2 if r["round"] == rounds[1]}
    check(list(first) == ["AS4837"] and first["AS4837"]["share"] == "1.0000",
          "round 1: all through AS4837", first)
    check(set(second) == {"AS4837", "AS20485"} and second["AS20485"]["share"] == "0.3333"
          and second["AS20485"]["traces"] == "4" and second["AS20485"]["routed"] == "12"
          and second["AS4837"]["upstreams"] == "2",
          "round 2: RU carries 1 of 3 prefixes = 0.3333 of traces", second)

# Paths: ECMP, the silent CN router and the internal transit change do not
# change the AS path; the neighbour-numbered KP border interface resolves to CN.
traces = rows("csv/traces.csv")
check(len(traces) == 24, "24 traces exported", len(traces))
paths = {}
for t in traces:
    paths.setdefault((t["vp"], t["target"] == "198.18.178.1" and t["round"] == rounds[-1]), set()).add(t["as_path"])
check(paths.get(("vp1", False)) == {"3320 1299 4837 131279"}
      and paths.get(("vp2", False)) == {"2516 1299 4837 131279"},
      "CN-side AS paths identical over flows, rounds and transit changes", paths)
check(paths.get(("vp1", True)) == {"3320 1299 20485 131279"}
      and paths.get(("vp2", True)) == {"2516 1299 20485 131279"}, "RU-side AS paths", paths)
hops = rows("csv/hops.csv")
kp1 = {h["asn"] for h in hops if h["addr"] == "198.18.43.2"}
check(kp1 == {"4837"}, "KP border router's CN-numbered interface resolves to AS4837", kp1)
silent = [h for h in hops if h["ttl"] == "6" and h["addr"] == "" and h["target"] != "198.18.178.1"]
check(len(silent) >= 16, "the silent CN router is a gap in the CN-side traces", len(silent))
borders = rows("csv/borders.csv")
into = [b for b in borders if b["into_target"] == "1" and b["kind"] == "as"]
check(len(into) == 24 and {(b["near_asn"], b["far_asn"]) for b in into} == {("4837", "131279"), ("20485", "131279")},
      "every trace has one AS border route into the target", len(into))

print(f"1..{n}")
sys.exit(1 if failed else 0)
