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


# Both families: the IPv4 story and its IPv6 mirror (tests/lab/topo/kp-border.topo
# maps 198.18.N.0/24 to 2001:db8:0:N::/64 and KP's 198.18.K.0/24 to 2001:db8:K::/48).
FAM = {
    "IPv4": {"moved": "198.18.178.1", "net": "198.18.178.0/24",
             "targets": {"198.18.176.1", "198.18.177.1", "198.18.178.1"},
             "kp1_cn": "198.18.43.2"},
    "IPv6": {"moved": "2001:db8:178::1", "net": "2001:db8:178::/48",
             "targets": {"2001:db8:176::1", "2001:db8:177::1", "2001:db8:178::1"},
             "kp1_cn": "2001:db8:0:43::2"},
}


def family(target):
    return "IPv6" if ":" in target else "IPv4"


# Round files: one per VP and round, complete, nothing temporary left; each holds
# both families (one `trace` run per VP and round).
for vp in ("vp1", "vp2"):
    names = sorted(os.listdir(os.path.join(out, "rounds", vp)))
    check(len(names) == 2 and all(x.endswith(".jsonl") for x in names),
          f"{vp}: two complete round files", names)
    for name in names:
        with open(os.path.join(out, "rounds", vp, name)) as f:
            traces = [json.loads(line) for line in f]
        for fam, F in FAM.items():
            ft = [t for t in traces if family(t["dst"]) == fam]
            check(len(ft) == 6 and all(t["stop"] == "completed" for t in ft)
                  and {t["dst"] for t in ft} == F["targets"]
                  and all(t["vp"] == vp and t["round"] + ".jsonl" == name for t in ft),
                  f"{vp}/{name}: {fam}: 3 targets x 2 flows, all completed, ids set")
        check(len(traces) == 12, f"{vp}/{name}: both families in one round file", len(traces))

prefix = list(csv.DictReader(open(os.path.join(out, "prefix.csv"), newline="")))
check(len(prefix) == 2, "per prefix: exactly two events, one per family", prefix)
for fam, F in FAM.items():
    mine = [e for e in prefix if family(e["target_network"]) == fam]
    check(len(mine) == 1, f"{fam}: exactly one per-prefix event", mine)
    if not mine:
        continue
    e = mine[0]
    check(e["event"] == "new" and e["level"] == "as", f"{fam}: it is a new AS-level border route", e)
    check(e["target_network"] == F["net"], f"{fam}: for the moved prefix", e["target_network"])
    check((e["upstream"], e["upstream_country"], e["into"]) == ("AS20485", "RU", "AS131279"),
          f"{fam}: AS20485 RU -> AS131279", e)
    check(e["vps"] == "vp1 vp2", f"{fam}: seen by both VPs", e["vps"])
    ev = e["evidence"].split()
    check(len(ev) == 4 and all(f"/{F['moved']}/" in x for x in ev)
          and {x.split("/")[0] for x in ev} == {"vp1", "vp2"},
          f"{fam}: evidence: the 4 traces (2 VPs x 2 flows) to the moved prefix", ev)
    check(e["round"] == sorted(os.listdir(os.path.join(out, "rounds", "vp1")))[1][:-6],
          f"{fam}: dated to the second round", e["round"])

# The same story from scamper's warts (kp_scenario.sh ran scamper beside the
# prober, cycle = round, monitor = VP): the same events, rounds aside.
if os.path.isdir(os.path.join(out, "warts")):
    def same_event(e):
        ev = sorted("/".join(x.split("/")[:1] + x.split("/")[2:]) for x in e["evidence"].split())
        return tuple(e[k] for k in ("event", "level", "target_network", "upstream", "upstream_country",
                                     "into", "rounds_seen", "traces", "vps")) + (tuple(ev),)
    wev = list(csv.DictReader(open(os.path.join(out, "warts-prefix.csv"), newline="")))
    check(sorted(map(same_event, wev)) == sorted(map(same_event, prefix)),
          "warts from both VPs: the same border events as our rounds", (wev, prefix))
    check([e["round"] for e in wev] == ["c0000000002"] * len(wev), "warts: dated to cycle 2",
          [e["round"] for e in wev])
else:
    print("# no scamper: the warts comparison was not run")

as_ev = list(csv.DictReader(open(os.path.join(out, "as.csv"), newline="")))
check(len(as_ev) == 1 and as_ev[0]["target_network"] == "AS131279"
      and as_ev[0]["upstream"] == "AS20485", "per target AS (--min-vps 2): one event into AS131279", as_ev)
if len(as_ev) == 1:
    ev = as_ev[0]["evidence"].split()
    check(len(ev) == 8 and sorted(x.split("/")[2] for x in ev) == sorted([FAM["IPv4"]["moved"]] * 4 + [FAM["IPv6"]["moved"]] * 4),
          "per target AS: the families' routes are one AS route; evidence from both (4 + 4 traces)", ev)
both = list(csv.DictReader(open(os.path.join(out, "both.csv"), newline="")))
check(sorted((r["level"], r["upstream"]) for r in both) == [("as", "AS20485"), ("country", "RU")],
      "--level both: the same route at AS and country level, nothing else", both)
pervp = list(csv.DictReader(open(os.path.join(out, "pervp.csv"), newline="")))
check(sorted(r["target_network"] for r in pervp) == ["AS131279@vp1", "AS131279@vp2"],
      "--per-vp: each VP saw it", pervp)

# Diversity: the RU share of the target AS after the change (per AS, so over
# both families: 12 IPv4 + 12 IPv6 traces per round).
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
          and second["AS20485"]["traces"] == "8" and second["AS20485"]["routed"] == "24"
          and second["AS4837"]["upstreams"] == "2",
          "round 2: RU carries 1 of 3 prefixes = 0.3333 of traces", second)

# Paths: ECMP, the silent CN router and the internal transit change do not
# change the AS path; the neighbour-numbered KP border interface resolves to CN.
traces_all = rows("csv/traces.csv")
hops_all = rows("csv/hops.csv")
borders_all = rows("csv/borders.csv")
check(len(traces_all) == 48, "48 traces exported (24 per family)", len(traces_all))
for fam, F in FAM.items():
    traces = [t for t in traces_all if family(t["target"]) == fam]
    check(len(traces) == 24, f"{fam}: 24 traces exported", len(traces))
    paths = {}
    for t in traces:
        paths.setdefault((t["vp"], t["target"] == F["moved"] and t["round"] == rounds[-1]), set()).add(t["as_path"])
    check(paths.get(("vp1", False)) == {"3320 1299 4837 131279"}
          and paths.get(("vp2", False)) == {"2516 1299 4837 131279"},
          f"{fam}: CN-side AS paths identical over flows, rounds and transit changes", paths)
    check(paths.get(("vp1", True)) == {"3320 1299 20485 131279"}
          and paths.get(("vp2", True)) == {"2516 1299 20485 131279"}, f"{fam}: RU-side AS paths", paths)
    hops = [h for h in hops_all if family(h["target"]) == fam]
    kp1 = {h["asn"] for h in hops if h["addr"] == F["kp1_cn"]}
    check(kp1 == {"4837"}, f"{fam}: KP border router's CN-numbered interface resolves to AS4837", kp1)
    silent = [h for h in hops if h["ttl"] == "6" and h["addr"] == "" and h["target"] != F["moved"]]
    check(len(silent) >= 16, f"{fam}: the silent CN router is a gap in the CN-side traces", len(silent))
    borders = [b for b in borders_all if family(b["target"]) == fam]
    into = [b for b in borders if b["into_target"] == "1" and b["kind"] == "as"]
    check(len(into) == 24 and {(b["near_asn"], b["far_asn"]) for b in into} == {("4837", "131279"), ("20485", "131279")},
          f"{fam}: every trace has one AS border route into the target", len(into))
    if fam == "IPv6":
        ru = {}
        for h in hops:
            if h["target"] == F["moved"] and h["round"] == rounds[-1]:
                ru.setdefault(h["trace_id"], []).append(h["addr"])
        check(len(ru) == 4 and all(v[4:7] == ["2001:db8:0:50::2", "2001:db8:0:51::2", F["moved"]]
                                   for v in ru.values()),
              "IPv6: the moved prefix's evidence runs through ru1 and kp1's RU-numbered side", ru)
        check(all(family(h["addr"]) == "IPv6" for h in hops if h["addr"]),
              "IPv6: every IPv6 trace's hop is an IPv6 address", None)
        check({t["target_prefix"] for t in traces} == {"2001:db8:176::/48", "2001:db8:177::/48", "2001:db8:178::/48"},
              "IPv6: targets keyed by their announced /48", {t["target_prefix"] for t in traces})

print(f"1..{n}")
sys.exit(1 if failed else 0)
