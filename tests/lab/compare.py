#!/usr/bin/env python3
"""compare.py — check traces in a running lab against the topology's ground truth,
and our prober against scamper on the same flows.

Run inside `lab.sh run TOPO ...` (run_lab_tests.sh does that), which brings the
topology up with LAB_PREFIX and tears it down in a trap. Prints TAP on stdout; exits
1 if any check failed.

How hop lists compare (doc/lab.md, "Comparing traces"): a trace becomes the list of
addresses per TTL from 1 up to the last TTL that got any reply, '*' where no reply
came; several addresses at one TTL show as "a|b" (Paris should never produce that).
Trailing '*' are dropped from the ground truth the same way, so a trace that ends in
the gap limit compares equal when every replying hop matches. '*' equals only '*'.
The stop reason is checked too: "completed" when the truth's last hop is the target,
"gaplimit" otherwise.
"""

import argparse
import ipaddress
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

METHODS = ["icmp-paris", "udp-paris", "tcp-syn"]
SCAMPER_STOP = {"COMPLETED": "completed", "GAPLIMIT": "gaplimit", "UNREACH": "unreachable",
                "HOPLIMIT": "maxttl", "ERROR": "error", "LOOP": "loop", "ICMP": "icmp",
                "DEAD": "dead", "HALTED": "halted"}
# The trace parameters both tools get, so their probing is comparable.
COMMON = {"attempts": 2, "wait": 1, "gap": 3, "maxttl": 32}  # gap 3: the dead destination ends sooner
ECMP_FLOWS = 16      # flows 0..15 should reveal every branch of a two-way diamond
ECMP_RUNS = 3        # one flow, same path, three times
CHANGE_FLOWS = 4
MANY_TIME_BOUND = 30.0
MANY_PPS = 2000
RATE = 500
RATE_SLACK = 1.05


class Tap:
    """TAP output: one line per check, diagnostics as '#' lines."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}", flush=True)
        if not cond:
            self.failed += 1
            for line in (diag or "").splitlines():
                print(f"#   {line}", flush=True)
        return cond

    def skip(self, desc, why):
        self.n += 1
        print(f"ok {self.n} - {desc} # SKIP {why}", flush=True)

    def note(self, msg):
        print(f"# {msg}", flush=True)

    def done(self):
        print(f"1..{self.n}")
        if self.failed:
            print(f"# FAIL: {self.failed} of {self.n} checks failed")
        else:
            print(f"# PASS: all {self.n} checks")
        return 1 if self.failed else 0


class Lab:
    def __init__(self, labsh, topo):
        self.labsh, self.topo = labsh, topo
        info = self.call("info").split("\n")
        _, self.vp, self.vp_ns, self.vp_addr, self.vp_if = info[0].split()
        self.vp_addr6 = next((l.split()[1] for l in info[1:] if l.startswith("vp6 ")), None)
        self.changes = [l.split()[1] for l in info[1:] if l.startswith("change ")]
        self.name = os.path.splitext(os.path.basename(topo))[0]

    def call(self, *args):
        return subprocess.run([self.labsh, args[0], self.topo, *args[1:]], check=True,
                              capture_output=True, text=True).stdout.strip()

    def truth(self, phase=None):
        """{target: {branch: [hop, ...]}} with trailing '*' dropped."""
        out = {}
        for line in self.call("truth", *([phase] if phase else [])).splitlines():
            target, branch, *hops = [norm(w) for w in line.split()]
            while hops and hops[-1] == "*":
                hops.pop()
            out.setdefault(target, {})[branch] = hops
        return out


def norm(a):
    """One spelling per address (2001:db8:0:0::1 and 2001:db8::1 are the same)."""
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


def is_v6(a):
    return ":" in a


def hop_list(by_ttl):
    """{ttl: set(addr)} -> ['addr' | '*' | 'a|b', ...] from TTL 1 to the last reply."""
    replied = [t for t, addrs in by_ttl.items() if addrs]
    if not replied:
        return []
    return ["|".join(sorted(by_ttl[t])) if by_ttl.get(t) else "*"
            for t in range(1, max(replied) + 1)]


def expected_stop(target, hops):
    return "completed" if hops and hops[-1] == target else "gaplimit"


def against_truth(truth, oursd):
    """What differs between our traces ({dst: trace}) and the truth: each
    trace must be one of its target's branches, with the stop it implies."""
    bad = []
    for t, branches in sorted(truth.items()):
        o = oursd.get(t)
        want = branches.get("-") or next(iter(branches.values()))
        if o is None:
            bad.append(f"{t}: no prober trace")
        elif o["hops"] not in branches.values():
            bad.append(f"{t}: prober {fmt(o['hops'])}\n  truth  {fmt(want)}")
        elif o["stop"] != expected_stop(t, want):
            bad.append(f"{t}: prober stop {o['stop']}, expected {expected_stop(t, want)}")
    return bad


def fmt(hops):
    return " ".join(hops) if hops else "(no replies)"


class Tools:
    """Runs our prober and scamper in the VP namespace; returns normalised traces:
    {"dst", "hops": [...], "stop", "flow": {sport, dport, icmp_sum}}."""

    def __init__(self, lab, prober, scamper_sh):
        self.lab, self.prober, self.scamper_sh = lab, prober, scamper_sh

    # -- ours --------------------------------------------------------------
    def prober_cmd(self, method, flow, targets, extra=()):
        return ["ip", "netns", "exec", self.lab.vp_ns, self.prober, "trace", "--lab",
                "-P", method, "-F", str(flow), "-q", str(COMMON["attempts"]),
                "-w", str(COMMON["wait"]), "-g", str(COMMON["gap"]),
                "-m", str(COMMON["maxttl"]), *extra, "--json", *targets]

    def run_prober(self, method, flow, targets, extra=()):
        """-> (list of traces, error string or None)."""
        cmd = self.prober_cmd(method, flow, targets, extra)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return [], f"timed out: {' '.join(cmd)}"
        if p.returncode != 0:
            return [], f"exit {p.returncode}: {' '.join(cmd)}\n{p.stderr.strip()}"
        out = []
        for n, line in enumerate(p.stdout.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                return out, f"line {n} is not JSON ({e}): {line[:200]}"
            by_ttl = {}
            for h in rec.get("hops", []):
                s = by_ttl.setdefault(int(h["ttl"]), set())
                if h.get("addr"):
                    s.add(norm(h["addr"]))
            out.append({"dst": norm(rec.get("dst") or ""), "hops": hop_list(by_ttl),
                        "stop": rec.get("stop"), "method": rec.get("method"),
                        "flow_no": rec.get("flow"),
                        "flow": {k: rec.get(k) for k in ("sport", "dport", "icmp_sum")}})
        return out, None

    # -- scamper -----------------------------------------------------------
    @staticmethod
    def default_flow(method, flow):
        """Flow fields for scamper when there is no prober record to copy them from."""
        if method == "icmp-paris":
            return {"icmp_sum": (0x1000 + 0x0f0f * flow) & 0xffff or 1}
        return {"sport": 24000 + flow, "dport": 80 if method == "tcp-syn" else 33435}

    def run_scamper(self, method, flowfields, targets, pps=1000):
        """flowfields: one dict, or a list of them to trace several flows at once
        (they must share the destination port)."""
        flows = flowfields if isinstance(flowfields, list) else [flowfields]
        cmd = [self.scamper_sh, "-n", self.lab.vp_ns, "-P", method, "-p", str(pps),
               "-q", str(COMMON["attempts"]), "-w", str(COMMON["wait"]),
               "-g", str(COMMON["gap"]), "-m", str(COMMON["maxttl"])]
        if method == "icmp-paris":
            cmd += ["-S", ",".join(str(f["icmp_sum"]) for f in flows)]
        else:
            if len({f["dport"] for f in flows}) != 1:
                return [], f"flows with different destination ports: {flows}"
            cmd += ["-s", ",".join(str(f["sport"]) for f in flows),
                    "-d", str(flows[0]["dport"])]
        p = subprocess.run(cmd + list(targets), capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            return [], f"exit {p.returncode}: {' '.join(cmd)}\n{p.stderr.strip()}"
        out = []
        for line in p.stdout.splitlines():
            rec = json.loads(line)
            by_ttl = {}
            for h in rec.get("hops", []):
                by_ttl.setdefault(int(h["probe_ttl"]), set()).add(norm(h["addr"]))
            out.append({"dst": norm(rec["dst"]), "hops": hop_list(by_ttl),
                        "stop": SCAMPER_STOP.get(rec.get("stop_reason"), rec.get("stop_reason")),
                        "flow": {k: rec.get(k) for k in ("sport", "dport", "icmp_sum")}})
        return out, None


def flow_mismatch(method, want, got):
    """scamper must have put the flow fields we asked for on the wire."""
    keys = ["icmp_sum"] if method == "icmp-paris" else ["sport", "dport"]
    bad = [f"{k}: asked {want.get(k)} got {got.get(k)}" for k in keys if got.get(k) != want.get(k)]
    return "; ".join(bad)


class Checks:
    def __init__(self, lab, tools, tap, have_prober, methods):
        self.lab, self.tools, self.tap = lab, tools, tap
        self.have_prober, self.methods = have_prober, methods
        self.v6 = False         # the family of the targets being checked

    def prober_skip(self):
        """Why our prober's checks are skipped for these targets, or None."""
        if not self.have_prober:
            return "prober not built"
        return None

    def scamper_skip(self, method):
        """Why scamper cannot be the reference here, or None."""
        if self.v6 and method == "udp-paris":
            return "Debian's scamper gets no IPv6 replies with udp-paris (doc/lab.md)"
        return None

    def one_flow(self, method, flow, targets):
        """Trace with our prober (if any), then scamper with the very same flow fields.
        -> (prober traces or None, prober error, scamper traces, scamper error)."""
        ours, oerr = (None, None)
        if not self.prober_skip():
            ours, oerr = self.tools.run_prober(method, flow, targets)
        fields = self.tools.default_flow(method, flow)
        if ours:
            fields = ours[0]["flow"]
        if self.scamper_skip(method):
            return ours, oerr, [], None
        ref, serr = self.tools.run_scamper(method, fields, targets)
        if not serr:
            for r in ref:
                bad = flow_mismatch(method, fields, r["flow"])
                if bad:
                    serr = f"scamper flow differs from the one asked for: {bad}"
        return ours, oerr, ref, serr

    # -- plain paths: one branch per target -----------------------------------
    def plain(self, truth, label, flows=(0,)):
        for method in self.methods:
            for flow in flows:
                targets = sorted(truth)
                ours, oerr, ref, serr = self.one_flow(method, flow, targets)
                tag = f"{label} {method} flow {flow}"
                self.compare_set(tag, truth, ours, oerr, ref, serr, self.scamper_skip(method))

    def compare_set(self, tag, truth, ours, oerr, ref, serr, sskip=None):
        """(a) scamper == truth, (a) ours == truth, (b) ours == scamper, stop reasons."""
        refd = {r["dst"]: r for r in ref}
        bad = []
        if sskip:
            self.tap.skip(f"{tag}: scamper matches ground truth", sskip)
            serr = serr or sskip
        for t, branches in sorted(truth.items()):
            r = refd.get(t)
            want = branches.get("-") or next(iter(branches.values()))
            if r is None:
                bad.append(f"{t}: no scamper trace")
            elif r["hops"] not in branches.values():
                bad.append(f"{t}: scamper {fmt(r['hops'])}\n  truth   {fmt(want)}")
            elif r["stop"] != expected_stop(t, want):
                bad.append(f"{t}: scamper stop {r['stop']}, expected {expected_stop(t, want)}")
        if not sskip:
            self.tap.ok(not serr and not bad, f"{tag}: scamper matches ground truth",
                        serr or "\n".join(bad[:10]))
        if self.prober_skip():
            self.tap.skip(f"{tag}: prober matches ground truth", self.prober_skip())
            self.tap.skip(f"{tag}: prober matches scamper", sskip or self.prober_skip())
            return
        oursd = {o["dst"]: o for o in (ours or [])}
        bad, diff = against_truth(truth, oursd), []
        for t in sorted(truth):
            o, r = oursd.get(t), refd.get(t)
            if o is not None and r is not None and (o["hops"] != r["hops"] or o["stop"] != r["stop"]):
                diff.append(f"{t}: prober  {fmt(o['hops'])} ({o['stop']})\n"
                            f"  scamper {fmt(r['hops'])} ({r['stop']})")
        self.tap.ok(not oerr and not bad, f"{tag}: prober matches ground truth",
                    oerr or "\n".join(bad[:10]))
        if sskip:
            self.tap.skip(f"{tag}: prober matches scamper", sskip)
        else:
            self.tap.ok(not oerr and not serr and not diff, f"{tag}: prober matches scamper",
                        oerr or serr or "\n".join(diff[:10]))

    # -- both families in one run -----------------------------------------------
    def mixed(self, truth, label):
        """One prober invocation with the IPv4 and the IPv6 targets together
        (one engine, one rate limit): every trace must equal its truth (any
        branch of an ECMP truth)."""
        for method in self.methods:
            tag = f"{label} mixed IPv4+IPv6 {method}: prober matches ground truth"
            if self.prober_skip():
                self.tap.skip(tag, self.prober_skip())
                continue
            ours, oerr = self.tools.run_prober(method, 0, sorted(truth))
            oursd = {o["dst"]: o for o in (ours or [])}
            bad = against_truth(truth, oursd)
            if len(oursd) != len(truth):
                bad.append(f"{len(oursd)} traces for {len(truth)} targets")
            self.tap.ok(not oerr and not bad, tag, oerr or "\n".join(bad[:10]))

    # -- per-flow ECMP ---------------------------------------------------------
    def ecmp_run(self, method, target, run):
        """Trace flows 0..ECMP_FLOWS-1 once with each tool.
        Our prober: run 1 one invocation per flow (-F N), later runs one invocation
        with --flows (all flows at once). scamper: every run one process with one task
        per flow, given the flow fields of our records.
        -> (ours {flow: trace}, our errors, scamper {flow: trace}, scamper errors)."""
        ours, oerrs = {}, []
        if not self.prober_skip():
            if run == 0:
                for f in range(ECMP_FLOWS):
                    tr, err = self.tools.run_prober(method, f, [target])
                    if err or not tr:
                        oerrs.append(f"-F {f}: {err or 'no trace'}")
                    else:
                        ours[f] = tr[0]
            else:
                tr, err = self.tools.run_prober(method, 0, [target],
                                                extra=("--flows", str(ECMP_FLOWS)))
                if err:
                    oerrs.append(f"--flows {ECMP_FLOWS}: {err}")
                for t in tr:
                    ours[t["flow_no"]] = t
                missing = sorted(set(range(ECMP_FLOWS)) - set(ours))
                if missing and not err:
                    oerrs.append(f"--flows {ECMP_FLOWS}: no trace for flows {missing}")
        fields = [ours[f]["flow"] if f in ours else self.tools.default_flow(method, f)
                  for f in range(ECMP_FLOWS)]
        if self.scamper_skip(method):
            return ours, oerrs, {}, []
        ref, serr = self.tools.run_scamper(method, fields, [target])
        key = "icmp_sum" if method == "icmp-paris" else "sport"
        by_key = {fl[key]: f for f, fl in enumerate(fields)}
        refd = {by_key[r["flow"][key]]: r for r in ref if r["flow"].get(key) in by_key}
        serrs = [serr] if serr else []
        if not serr and len(refd) != ECMP_FLOWS:
            serrs.append(f"scamper returned {len(refd)} of {ECMP_FLOWS} flows")
        return ours, oerrs, refd, serrs

    def ecmp(self, truth, label):
        (target, branches), = truth.items()
        paths = {tuple(h): b for b, h in branches.items()}
        for method in self.methods:
            tag = f"{label} {method}"
            seen = {"prober": {}, "scamper": {}}     # tool -> flow -> [branch per run]
            errs = {"prober": [], "scamper": []}
            differ = []
            for run in range(ECMP_RUNS):
                ours, oerrs, ref, serrs = self.ecmp_run(method, target, run)
                errs["prober"] += [f"run {run + 1}: {e}" for e in oerrs]
                errs["scamper"] += [f"run {run + 1}: {e}" for e in serrs]
                for tool, traces in (("prober", ours), ("scamper", ref)):
                    for flow, tr in sorted(traces.items()):
                        b = paths.get(tuple(tr["hops"]))
                        if b is None or tr["stop"] != expected_stop(target, branches[b]):
                            errs[tool].append(f"run {run + 1} flow {flow}: {fmt(tr['hops'])}"
                                              f" ({tr['stop']}) is no branch of the truth")
                        seen[tool].setdefault(flow, []).append(b)
                for flow in sorted(set(ours) & set(ref)):
                    if ours[flow]["hops"] != ref[flow]["hops"]:
                        differ.append(f"run {run + 1} flow {flow}: prober {fmt(ours[flow]['hops'])}"
                                      f" / scamper {fmt(ref[flow]['hops'])}")
            for tool in ("scamper", "prober"):
                why = self.prober_skip() if tool == "prober" else self.scamper_skip(method)
                if why:
                    whats = ["every path is a branch of the truth", "one flow keeps one path",
                             "flows reveal every branch"]
                    if tool == "prober":
                        whats.append("same branch as scamper per flow")
                    for what in whats:
                        self.tap.skip(f"{tag}: {tool}: {what}", why)
                    continue
                s = seen[tool]
                self.tap.ok(not errs[tool], f"{tag}: {tool}: every path is a branch of the truth",
                            "\n".join(errs[tool][:10]))
                unstable = [f"flow {f}: {runs}" for f, runs in sorted(s.items())
                            if len(set(runs)) != 1 or len(runs) != ECMP_RUNS]
                self.tap.ok(s and not unstable,
                            f"{tag}: {tool}: one flow keeps one path over {ECMP_RUNS} runs",
                            "\n".join(unstable[:10]) or "no traces")
                got = {b for runs in s.values() for b in runs if b}
                per_flow = " ".join(f"{f}:{(runs or ['?'])[0]}" for f, runs in sorted(s.items()))
                self.tap.ok(got == set(branches),
                            f"{tag}: {tool}: flows 0..{ECMP_FLOWS - 1} reveal every branch",
                            f"branches seen {sorted(got)} of {sorted(branches)}")
                self.tap.note(f"{tag}: {tool} flow->branch {per_flow}")
                if tool == "prober" and self.scamper_skip(method):
                    self.tap.skip(f"{tag}: prober: same branch as scamper per flow",
                                  self.scamper_skip(method))
                elif tool == "prober":
                    self.tap.ok(not differ, f"{tag}: prober: same branch as scamper per flow",
                                "\n".join(differ[:10]))

    # -- many targets, timing, global rate ----------------------------------
    def many(self, truth, label):
        targets = sorted(truth, key=lambda a: tuple(int(x) for x in a.split(".")))
        for method in self.methods:
            tag = f"{label} {method} {len(targets)} targets"
            ours, oerr = (None, None)
            if self.have_prober:
                # At scamper's rate, so the time measures the engine's concurrency, not
                # the default rate (600 probes at 100 pps would take 6 s by design).
                t0 = time.monotonic()
                ours, oerr = self.tools.run_prober(method, 0, targets, extra=("-r", str(MANY_PPS)))
                dt = time.monotonic() - t0
                self.tap.note(f"{tag}: prober (--rate {MANY_PPS}) took {dt:.2f} s")
                self.tap.ok(not oerr and dt <= MANY_TIME_BOUND,
                            f"{tag}: prober finishes within {MANY_TIME_BOUND:.0f} s ({dt:.2f} s)",
                            oerr or "")
            else:
                self.tap.skip(f"{tag}: prober finishes within {MANY_TIME_BOUND:.0f} s",
                              "prober not built")
            fields = ours[0]["flow"] if ours else self.tools.default_flow(method, 0)
            t0 = time.monotonic()
            ref, serr = self.tools.run_scamper(method, fields, targets, pps=MANY_PPS)
            self.tap.note(f"{tag}: scamper (-p {MANY_PPS}) took {time.monotonic() - t0:.2f} s")
            self.compare_set(tag, truth, ours, oerr, ref, serr)
        if "icmp-paris" in self.methods:      # the rate test probes with icmp-paris
            self.rate(targets, label)

    def rate(self, targets, label):
        """Global rate limit: capture the probes leaving the VP; no 1 s window may hold
        more than RATE * RATE_SLACK of them. Checked on scamper -p too, which shows the
        capture and the window count are right."""
        runs = [("scamper", None)]
        if self.have_prober:
            runs.insert(0, ("prober", None))
        else:
            self.tap.skip(f"{label} rate: prober --rate {RATE} holds", "prober not built")
        for tool, _ in runs:
            with tempfile.TemporaryDirectory() as tmp:
                pcap = os.path.join(tmp, "probes.pcap")
                stamps, err = self.capture(pcap, tool, targets)
            tag = f"{label} rate: {tool} {'--rate' if tool == 'prober' else '-p'} {RATE} holds"
            if err:
                self.tap.ok(False, tag, err)
                continue
            peak = max_window(stamps, 1.0)
            span = stamps[-1] - stamps[0] if stamps else 0
            self.tap.note(f"{tool}: {len(stamps)} probes over {span:.2f} s, "
                          f"busiest 1 s window {peak} (limit {RATE})")
            # More probes than one second's worth, or the window test proves nothing.
            self.tap.ok(len(stamps) > RATE and peak <= RATE * RATE_SLACK, tag,
                        f"{len(stamps)} probes captured (need more than {RATE}); busiest 1 s"
                        f" window held {peak}, limit {RATE} + {RATE_SLACK - 1:.0%}")

    def capture(self, pcap, tool, targets):
        vp = self.lab
        # Outgoing probes only: from the VP's address, leaving its one interface.
        # Immediate mode: with TPACKET_V3 blocks, packets of the last block would
        # still be in the ring when tcpdump is stopped, and never reach the file.
        tcpdump = subprocess.Popen(
            ["ip", "netns", "exec", vp.vp_ns, "tcpdump", "-n", "-U", "--immediate-mode", "-Q", "out",
             "-i", vp.vp_if, "-w", pcap, f"src host {vp.vp_addr}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            line = tcpdump.stderr.readline()        # "listening on ...": capture is live
            if "listening" not in line:
                return [], f"tcpdump did not start: {line}"
            if tool == "prober":
                _, err = self.tools.run_prober("icmp-paris", 0, targets,
                                               extra=("-r", str(RATE)))
            else:
                _, err = self.tools.run_scamper("icmp-paris",
                                                self.tools.default_flow("icmp-paris", 0),
                                                targets, pps=RATE)
            time.sleep(0.5)
        finally:
            tcpdump.send_signal(signal.SIGINT)
            try:
                tcpdump.wait(timeout=10)
            except subprocess.TimeoutExpired:
                tcpdump.kill()
                tcpdump.wait()
        return (read_pcap_times(pcap), err)


def read_pcap_times(path):
    """Timestamps of the packets in a classic pcap file (what tcpdump -w writes)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    endian, nano = {b"\xd4\xc3\xb2\xa1": ("<", False), b"\xa1\xb2\xc3\xd4": (">", False),
                    b"\x4d\x3c\xb2\xa1": ("<", True), b"\xa1\xb2\x3c\x4d": (">", True)}[magic]
    div = 1e9 if nano else 1e6
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        out.append(sec + frac / div)
        off += 16 + incl
    return out


def max_window(stamps, width):
    """Most packets in any half-open window [t, t + width) starting at a packet."""
    best, j = 0, 0
    for i in range(len(stamps)):
        while j < len(stamps) and stamps[j] < stamps[i] + width:
            j += 1
        best = max(best, j - i)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--topo", default=os.environ.get("LAB_TOPO"), required=False)
    ap.add_argument("--lab", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab.sh"))
    ap.add_argument("--scamper", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "scamper_trace.sh"))
    ap.add_argument("--prober", help="path to bordertrace-probe (skipped when missing)")
    ap.add_argument("--require-prober", action="store_true",
                    default=os.environ.get("BT_LAB_REQUIRE_PROBER") == "1",
                    help="fail, instead of skipping, when the prober is missing "
                         "(also BT_LAB_REQUIRE_PROBER=1)")
    ap.add_argument("--methods", default=",".join(METHODS))
    args = ap.parse_args()
    if not args.topo:
        ap.error("--topo (or LAB_TOPO from lab.sh run) is required")

    tap = Tap()
    lab = Lab(args.lab, args.topo)
    if args.prober:     # meson passes it relative to the build directory
        args.prober = os.path.abspath(args.prober)
    have_prober = bool(args.prober) and os.access(args.prober, os.X_OK)
    if not have_prober:
        msg = f"prober not found at {args.prober}" if args.prober else "no --prober given"
        if args.require_prober:
            tap.ok(False, "prober is built", msg)
            return tap.done()
        tap.note(f"{msg}: checking the lab against scamper only")
    methods = [m for m in args.methods.split(",") if m]
    tools = Tools(lab, args.prober, args.scamper)
    checks = Checks(lab, tools, tap, have_prober, methods)
    tap.note(f"topology {lab.name}: VP {lab.vp_addr} in {lab.vp_ns}")

    def run_phase(truth, label, flows):
        """IPv4 targets under the topology's label (test names as before dual
        stack), then its IPv6 targets under 'LABEL IPv6'."""
        v4 = {t: b for t, b in truth.items() if not is_v6(t)}
        v6 = {t: b for t, b in truth.items() if is_v6(t)}
        for fam_truth, fam_label, is6 in ((v4, label, False), (v6, label + " IPv6", True)):
            if fam_truth:
                checks.v6 = is6
                run_family(fam_truth, fam_label, flows)
        if v4 and v6 and label == lab.name:
            checks.mixed(truth, label)

    def run_family(truth, label, flows):
        if len(truth) > 10:
            checks.many(truth, label)
        elif any(b != "-" for br in truth.values() for b in br):
            checks.ecmp(truth, label)
        else:
            checks.plain(truth, label, flows)

    t0 = time.monotonic()
    run_phase(lab.truth(), lab.name, (0,))
    for change in lab.changes:
        lab.call("apply-change", change)
        tap.note(f"applied change '{change}'")
        # After a change every flow must follow the new truth.
        run_phase(lab.truth(change), f"{lab.name}/{change}", range(CHANGE_FLOWS))
    tap.note(f"{lab.name}: {time.monotonic() - t0:.1f} s")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
