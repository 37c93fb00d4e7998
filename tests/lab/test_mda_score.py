#!/usr/bin/env python3
"""The multipath scorer (mda.py) on recorded inputs, without a lab or root.

data/mda/{border,meshed}: `lab.sh truth` and sc_warts2json of scamper's tracelb
(icmp-echo, udp-dport) from a run of test_mda.sh on mda-border and mda-meshed
(border: a node with two links; meshed: one link through three clumped hops, whose
inner links come from the flows). Our side is written here in trace format v2, one
flow per branch of the truth, as the multipath mode will write it, and read back
by `bordertrace export` (the analysis's reader) to prove the format.
Then: everything agrees; a meshed truth with one more link only is tracelb's known
limitation (TAP TODO); a truth with one more interface and link, an entry of ours
dropped, ours spending as many probes as tracelb, and a line that is not JSON must
each fail, naming what differs.
    test_mda_score.py BORDERTRACE
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import redirect_stdout, redirect_stderr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mda  # noqa: E402

n = failed = 0


def check(cond, what, detail=""):
    global n, failed
    n += 1
    failed += not cond
    print(f"{'ok' if cond else 'not ok'} {n} - {what}")
    if not cond and detail:
        print("  # " + str(detail).replace("\n", "\n  # "))


def ours_record(target, method, branches, probes):
    """One v2 record: flow i follows branch i; flow 0 is the trace's own."""
    entries = []
    ttls = max(len(h) for h in branches)
    for ttl in range(1, ttls + 1):
        for i, hops in enumerate(branches):
            e = {"ttl": ttl, "attempt": 1}
            if i:
                e["flow"] = i
            e.update({"addr": hops[ttl - 1], "rtt_ms": 0.1, "reply_ttl": 64 - ttl})
            if ttl < len(hops):
                e.update({"icmp_type": 11, "icmp_code": 0, "quoted_ttl": 1})
            elif method == "icmp-paris":
                e.update({"icmp_type": 0, "icmp_code": 0})
            else:
                e.update({"icmp_type": 3, "icmp_code": 3, "quoted_ttl": 1})
            e["size"] = 56
            entries.append(e)
    return {"format": "bordertrace-trace", "v": 2, "vp": "lab", "campaign": "", "round": "",
            "method": method, "src": "198.18.0.2", "dst": target, "flow": 0,
            "sport": 0 if method == "icmp-paris" else 40000,
            "dport": 0 if method == "icmp-paris" else 33435,
            "icmp_sum": 4096 if method == "icmp-paris" else 0,
            "start": "2026-12-06T10:00:00.000000Z", "end": "2026-12-06T10:00:01.000000Z",
            "stop": "completed", "stop_ttl": ttls, "first_ttl": 1, "max_ttl": 32,
            "probes_sent": probes, "hops": entries}


def write_ours(d, probes):
    branches = {}
    for line in open(os.path.join(d, "truth")):
        w = line.split()
        branches.setdefault(w[0], []).append(w[2:])
    for m in ("icmp-paris", "udp-paris"):
        with open(os.path.join(d, f"ours-{m}.jsonl"), "w") as f:
            for target, b in branches.items():
                f.write(json.dumps(ours_record(target, m, b, probes), separators=(",", ":")) + "\n")


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = mda.main(list(args))
    return rc, out.getvalue() + err.getvalue()


def main():
    bt = sys.argv[1] if len(sys.argv) > 1 else None
    tmp = tempfile.mkdtemp()
    try:
        dirs = []
        for t in ("border", "meshed"):
            d = os.path.join(tmp, t)
            shutil.copytree(os.path.join(HERE, "data", "mda", t), d)
            write_ours(d, 20)
            dirs.append(d)
        if bt:
            p = subprocess.run([bt, "export", "-o", os.path.join(tmp, "csv")] +
                               [os.path.join(d, f) for d in dirs for f in os.listdir(d)
                                if f.startswith("ours-")], capture_output=True, text=True)
            check(p.returncode == 0, "our side's records read by bordertrace export (trace format v2)",
                  p.stderr)
        rc, out = run("test", "--ours", *dirs)
        check(rc == 0 and "not ok" not in out and out.count("\nok ") + out.startswith("ok ") == 13,
              "recorded tracelb and our records agree with the truth (13 checks)", out)
        check("# border 198.19.1.2 icmp-paris: probes 20, tracelb 52 (ratio 0.38)" in out and
              "ok 13 - multipath spends fewer probes than tracelb in total: 80 vs tracelb 174 (ratio 0.46)" in out,
              "the probe ratios are printed, per lab and in total", out)
        rc, out = run("table", "--ours", *dirs)
        check(rc == 0 and "meshed" in out and " 8/10 " in out and "0.57" in out and
              "174     80   0.46" in out,
              "the table: interfaces/links found and the ratio (meshed: 8/10, 20/35; total)", out)

        truth = os.path.join(dirs[1], "truth")
        orig = open(truth).read()
        open(truth, "w").write(orig + "198.18.9.2 y 198.18.0.1 198.18.1.2 198.18.4.2 198.18.7.2 198.18.9.2\n")
        rc, out = run("test", dirs[1])
        check(rc == 0 and out.count("# TODO tracelb probes the interfaces of a hop as one set") == 2 and
              "missing links: [('198.18.4.2', '198.18.7.2')]" in out,
              "a meshed truth with one more link only: tracelb's known limitation (TAP TODO)", out)
        open(truth, "w").write(orig + "198.18.9.2 x 198.18.0.1 198.18.2.2 198.18.5.2 198.18.7.2 198.18.9.2\n")
        rc, out = run("test", dirs[1])
        check(rc == 1 and "missing interfaces: [(3, '198.18.5.2')]" in out and
              "('198.18.2.2', '198.18.5.2')" in out,
              "a truth with one more interface and link: tracelb fails, naming them", out)

        d = dirs[0]
        write_ours(d, 20)
        p = os.path.join(d, "ours-udp-paris.jsonl")
        o = json.loads(open(p).read())
        o["hops"] = [e for e in o["hops"] if e["addr"] != "203.0.113.6"]
        open(p, "w").write(json.dumps(o) + "\n")
        rc, out = run("test", "--ours", d)
        check(rc == 1 and "udp-paris: multipath finds the truth's" in out and
              "missing interfaces: [(4, '203.0.113.6')]" in out and
              "missing links: [('203.0.113.2', '203.0.113.6'), ('203.0.113.6', '203.0.113.10')]" in out,
              "an interface ours did not find: its two links are missing too", out)

        write_ours(d, 52)
        rc, out = run("test", "--ours", d)
        check(rc == 1 and "not ok 7 - multipath spends fewer probes than tracelb in total: "
              "104 vs tracelb 104 (ratio 1.00)" in out,
              "as many probes as tracelb in total fails", out)

        with open(os.path.join(d, "ours-icmp-paris.jsonl"), "a") as f:
            f.write("{not json\n")
        rc, out = run("test", "--ours", d)
        check(rc == 1 and "ours-icmp-paris.jsonl:2: not JSON" in out,
              "a bad line is named by file and line", out)
    finally:
        shutil.rmtree(tmp)
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
