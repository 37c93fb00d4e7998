#!/usr/bin/env python3
"""test_schedule.py BT-SIM - the change schedule is deterministic for a seed
and its ground truth is consistent (doc/sim.md, "Rounds"). No privileges.

TAP on stdout. Checks:
  - the same options give the same schedule, routes, changes, interfaces and
    truth of a round, byte for byte; another --schedule-seed another schedule;
    --noise-kinds draws only the kinds it names;
  - the changing Internet's parts leave the base Internet as it was: VP 1's
    truth of round 0 with 3 VPs and no changes equals the base model's;
  - `changes` equals the events this script derives from `routes` by its
    own implementation of the detector rule (baseline 1, gone-after 2, dated
    as analysis/diff.c dates them), by prefix, by AS and per VP;
  - a prefix's routes change between two rounds only where the schedule
    has a border change for it (a flap: in its round and the next);
  - every trace's true crossing (`crossings`) goes through one of the routes
    `routes` gives its (round, VP, prefix), and every such route is taken by
    some target; a split's shares hold within 12 points;
  - interface addresses are unique in every round, and an interface change
    shows in `interfaces` from its round on;
  - `asrel` has every true border route (upstream, destination) as a
    provider|customer line.
"""
import collections
import subprocess
import sys

SIM = sys.argv[1]
BASE = ["--seed", "3", "--prefixes", "16", "--ases", "8"]
OPT = BASE + ["--rounds", "8", "--vps", "3", "--changes", "14", "--noise", "40"]
R, V, P = 8, 3, 16
n = 0
failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} - {name}")
    if not cond:
        failed += 1
        for ln in str(detail).splitlines()[:20]:
            print(f"# {ln}")


def sim(*args):
    return subprocess.run([SIM, *args], check=True, capture_output=True, text=True).stdout


def rows(text):
    return [ln.split("\t") for ln in text.splitlines() if ln]


# ---- determinism ----
for cmd in (["schedule"], ["routes"], ["changes"], ["interfaces", "--round", "5"], ["truth", "--round", "5"]):
    a, b = sim(*cmd, *OPT), sim(*cmd, *OPT)
    ok(a == b and a, f"{cmd[0]} is the same for the same options")
ok(sim("schedule", *OPT) != sim("schedule", *OPT, "--schedule-seed", "99"), "another schedule seed, another schedule")
only = {r[1] for r in rows(sim("schedule", *OPT, "--noise-kinds", "thirdparty,ixp"))}
ok(only == {"switch", "add", "drop", "return", "flap", "split0", "thirdparty", "ixp"},
   "--noise-kinds thirdparty,ixp draws only those kinds of noise", only)
ok(sim("truth", *BASE) == sim("truth", *BASE, "--vps", "3", "--rounds", "2", "--round", "0"),
   "with 3 VPs and no changes, VP 1's round 0 is the base Internet")

sched = rows(sim("schedule", *OPT))
border = [s for s in sched if s[1] in ("switch", "add", "drop", "return", "flap")]
ok(len(border) in (14, 15), f"--changes border changes drawn, one more when a story's second ends it ({len(border)})")
ok(all(int(s[0]) >= 1 for s in border) and all(s[1] != "split0" or s[0] == "0" for s in sched),
   "border changes in rounds 1.., multihoming in round 0")

# ---- changes follow from routes by the detector rule ----


def events(present, gone_after=2):
    out, state, absent, first = [], "active" if present[0] else "unseen", 0, 0
    for k in range(1, len(present)):
        if present[k]:
            if state == "unseen":
                out.append((k, "new"))
            elif state == "gone":
                out.append((k, "returned"))
            state, absent = "active", 0
        elif state == "active":
            first = k if absent == 0 else first
            absent += 1
            if absent == gone_after:
                out.append((first, "gone"))
                state = "gone"
    return out


def derived(by, per_vp):
    routes = rows(sim("routes", "--by", by, *OPT))
    sets = collections.defaultdict(lambda: [set() for _ in range(R)])
    for r, vp, net, into, up, *_ in routes:
        key = (net + (f"@{vp}" if per_vp else ""), into)
        sets[key][int(r)].add(up)
    out = set()
    for (net, into), per in sets.items():
        for up in set().union(*per):
            for k, kind in events([up in s for s in per]):
                out.add((net, str(k), kind, up, into))
    return out


for by in ("prefix", "as"):
    for per_vp in (False, True):
        extra = ["--per-vp"] if per_vp else []
        got = {tuple(x) for x in rows(sim("changes", "--by", by, *extra, *OPT))}
        want = derived(by, per_vp)
        ok(got == want and got, f"changes --by {by}{' --per-vp' if per_vp else ''} = the detector over routes",
           f"only in changes: {sorted(got - want)[:5]}\nonly derived: {sorted(want - got)[:5]}")

# ---- routes change only where the schedule says ----
routes = rows(sim("routes", *OPT))
rset = collections.defaultdict(set)
share = {}
for r, vp, net, into, up, dcc, ucc, cfrom, sh in routes:
    rset[(int(r), vp, net)].add(up)
    share[(int(r), vp, net, up)] = int(sh)
allowed = set()
for s in border:
    net = s[3].split()[0]
    allowed.add((int(s[0]), net))
    if s[1] == "flap":
        allowed.add((int(s[0]) + 1, net))
bad = [(r, vp, net) for (r, vp, net) in rset if r > 0 and rset[(r, vp, net)] != rset[(r - 1, vp, net)]
       and (r, net) not in allowed]
ok(not bad, "routes change only at the schedule's border changes", bad[:5])

# ---- crossings agree with routes ----
bad, unseen, skew = [], [], []
for r in range(R):
    for k in range(1, V + 1):
        seen = collections.Counter()
        for tgt, flow, into, up, ttl in rows(sim("crossings", "--round", str(r), "--src", f"198.51.100.{k}", *OPT)):
            net = tgt.rsplit(".", 1)[0] + ".0/24"
            seen[(net, up)] += 1
            if up not in rset[(r, f"vp{k}", net)]:
                bad.append((r, k, tgt, up))
        for (rr, vp, net), ups in rset.items():
            if rr == r and vp == f"vp{k}":
                for up in ups:
                    c = seen[(net, up)]
                    if c == 0:
                        unseen.append((r, vp, net, up))
                    elif abs(100 * c / 256 - share[(r, vp, net, up)]) > 12:
                        skew.append((r, vp, net, up, c, share[(r, vp, net, up)]))
ok(not bad, "every trace's true crossing is one of its prefix's routes", bad[:5])
ok(not unseen, "every route of a prefix is taken by some of its targets", unseen[:5])
ok(not skew, "split shares hold within 12 points over 256 targets", skew[:5])

# ---- asrel: the model's AS relationships cover every true border route ----
asrel = sim("asrel", *OPT)
rel = [ln.split("|") for ln in asrel.splitlines() if ln and not ln.startswith("#")]
ok(asrel == sim("asrel", *OPT) and rel and all(len(x) == 3 and x[2] == "-1" for x in rel),
   "asrel: serial-1 provider|customer|-1 lines, the same for the same options", asrel[:300])
pairs = {(a, b) for a, b, _ in rel}
missing = sorted({(up, into) for r, vp, net, into, up, *_ in routes if (up[2:], into[2:]) not in pairs})
ok(not missing, "asrel: every true border route's upstream is a provider of its destination", missing[:5])

# ---- interfaces ----
changes = [s for s in sched if s[1] in ("renumber", "nbrflip", "thirdparty", "ixp", "unannounced")]
dup, missing = [], []
for r in range(R):
    addrs = [x[0] for x in rows(sim("interfaces", "--round", str(r), *OPT))]
    dup += [(r, a) for a, c in collections.Counter(addrs).items() if c > 1]
    have = set(addrs)
    last = {}
    for s in changes:
        if int(s[0]) <= r:
            last[s[3]] = s[4].split()[0]
    missing += [(r, old, new) for old, new in last.items() if new not in have]
ok(not dup, "interface addresses are unique in every round", dup[:5])
ok(changes and not missing, f"interface changes ({len(changes)}) show from their round on", missing[:5])

print(f"1..{n}")
sys.exit(1 if failed else 0)
