#!/usr/bin/env python3
"""score.py — scores prober traces against bt-sim's ground truth, and checks
the checksums of captured replies (tests/sim/test_sim.sh; doc/sim.md).

  score.py hops --truth T.tsv --traces T.jsonl --interfaces I.tsv [--allow-ratelimit] [--filled-apart]
               [--scamper]
      Compares each trace (target, flow) with its true hop list. Addresses
      are compared as addresses (IPv6 spelling normalised by ipaddress), so an
      IPv6 round scores as an IPv4 one. With --scamper the traces are
      sc_warts2json output: the flow is the ICMP checksum - 0x1000 or the
      source port - 40000 (bordertrace's flow numbers, doc/probing.md). A trace is
      exact when its hops, trailing gaps removed, equal the truth (for a target
      that does not answer, the truth's trailing '*' are removed too). With
      --allow-ratelimit, a gap where the truth has a rate-limiting router is
      counted as explained, not as an error. With --filled-apart, hops a trace
      did not probe but copied from another trace (split TTL, below its
      "filled_below_ttl") are scored apart: how many equal the truth is
      printed, and they are not errors (Doubletree's known blind spot is
      per-destination load balancing near the VP). Prints one summary line;
      exit 0 when every hop is right or explained, 1 otherwise.
  score.py differ A.tsv B.tsv
      Exit 0 when every (target, flow) present in both has a different hop list
      (phase switching changed the route), 1 otherwise.
  score.py cksum FILE.pcap
      Verifies the IPv4 header, ICMP (and quoted IP header) and TCP checksums of
      every reply (source in 198.18.0.0/15), and the ICMPv6 and TCP checksums
      (IPv6 pseudo-header) of every IPv6 reply (source in 2001:db8:18::/47,
      the twins of 198.18.0.0/15), in a raw-IP capture of the TUN device; exit
      0 when all hold.
"""
import argparse
import ipaddress
import json
import struct
import sys


def norm(a):
    """One spelling per address ('*' and None stay as they are)."""
    if not a or a == "*":
        return a
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


def read_truth(path):
    truth = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            target, flow, hops = line.split("\t")
            truth[(norm(target), int(flow))] = [norm(h) for h in hops.split()] if hops else []
    return truth


def from_scamper(t):
    """A sc_warts2json trace as the prober's record: dst, flow, hops by TTL."""
    if "icmp_sum" in t:
        flow = t["icmp_sum"] - 0x1000
    else:
        flow = t.get("sport", 40000) - 40000
    first = t.get("firsthop", 1)
    by_ttl = {}
    for h in t.get("hops", []):
        by_ttl.setdefault(h["probe_ttl"], set()).add(norm(h["addr"]))
    last = max(by_ttl) if by_ttl else first - 1
    # Two addresses at one TTL (a flow that changed path) can never equal the
    # truth: keep both, joined, so the hop counts as wrong.
    hops = [{"addr": "|".join(sorted(by_ttl[ttl])) if ttl in by_ttl else None}
            for ttl in range(first, last + 1)]
    return {"dst": t["dst"], "flow": flow, "hops": hops, "first_ttl": first,
            "stop": t.get("stop_reason", "?")}


def from_record(t):
    """Our record (format 1 or 2) with one hop per TTL: version 2 may hold
    several entries a TTL (attempts, flows); the addresses that answered at a
    TTL are joined as from_scamper joins them, silent attempts beside a
    reply dropped."""
    by_ttl = {}
    for h in t.get("hops", []):
        s = by_ttl.setdefault(int(h["ttl"]), set())
        if h.get("addr"):
            s.add(norm(h["addr"]))
    t["hops"] = [{"addr": "|".join(sorted(by_ttl[ttl])) or None} for ttl in sorted(by_ttl)]
    return t


def read_ratelimited(path):
    rl = set()
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if "ratelimited" in cols[5].split(","):
                rl.add(norm(cols[0]))
    return rl


def strip_gaps(hops):
    hops = list(hops)
    while hops and hops[-1] == "*":
        hops.pop()
    return hops


def cmd_hops(a):
    truth = read_truth(a.truth)
    rl = read_ratelimited(a.interfaces)
    traces = exact = hops_total = hops_ok = explained = filled_total = filled_ok = 0
    errors = []
    seen = set()
    with open(a.traces) as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            if a.scamper:
                if t.get("type") != "trace":
                    continue
                t = from_scamper(t)
            else:
                t = from_record(t)
            t["dst"] = norm(t["dst"])
            key = (t["dst"], t["flow"])
            if key not in truth:
                errors.append(f"{key}: no truth for this trace")
                continue
            seen.add(key)
            traces += 1
            got = strip_gaps([norm(h["addr"]) or "*" for h in t["hops"]])
            want = truth[key]
            answers = bool(want) and want[-1] == t["dst"]
            if not answers:
                want = strip_gaps(want)
            if got == want:
                exact += 1
            filled = t.get("filled_below_ttl", 0) if a.filled_apart else 0
            bad = []
            if len(got) > len(want):
                bad.append(f"{len(got)} hops, truth has {len(want)}")
            for i, w in enumerate(want):
                g = got[i] if i < len(got) else "*"
                if t["first_ttl"] + i < filled:
                    filled_total += 1
                    filled_ok += g == w
                    continue
                if w == "*":
                    if g != "*":
                        bad.append(f"ttl {i + 1}: {g}, truth silent")
                    continue
                hops_total += 1
                if g == w:
                    hops_ok += 1
                elif g == "*" and a.allow_ratelimit and w in rl:
                    explained += 1
                else:
                    bad.append(f"ttl {i + 1}: {g}, truth {w}")
            if bad:
                errors.append(f"{t['dst']} flow {t['flow']} ({t['stop']}): " + "; ".join(bad[:3]))
    missing = [k for k in truth if k not in seen]
    for k in missing[:5]:
        errors.append(f"{k}: no trace")
    pct = 100.0 * hops_ok / hops_total if hops_total else 0.0
    print(f"traces {traces} (missing {len(missing)}), exact {exact}, hops {hops_ok}/{hops_total} "
          f"right ({pct:.2f}%), {explained} gaps explained by rate limiting, {len(errors)} errors"
          + (f", filled {filled_ok}/{filled_total} equal the truth" if a.filled_apart else ""))
    for e in errors[:10]:
        print("#   " + e)
    return 0 if not errors and not missing else 1


def cmd_differ(a):
    x, y = read_truth(a.a), read_truth(a.b)
    common = [k for k in x if k in y]
    same = [k for k in common if x[k] == y[k]]
    print(f"{len(common)} (target, flow) compared, {len(same)} unchanged")
    return 0 if common and not same else 1


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s  # 0xffff when the checksum in data holds


def cmd_cksum(a):
    with open(a.pcap, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype not in (101, 12, 228):
        print(f"unexpected link type {linktype}")
        return 1
    off, n, bad, kinds = 24, 0, [], {}
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) >= 40 and pkt[0] >> 4 == 6:
            # The twins of 198.18.0.0/15: 2001:db8:18::/48 and 2001:db8:19::/48.
            if pkt[8:14] not in (bytes.fromhex("20010db80018"), bytes.fromhex("20010db80019")):
                continue
            n += 1
            plen, nh = struct.unpack("!HB", pkt[4:7])
            l4 = pkt[40:40 + plen]
            what = f"packet {n} (IPv6) next header {nh}"
            pseudo = pkt[8:40] + struct.pack("!IxxxB", len(l4), nh)
            kind = f"icmp6 {l4[0]}/{l4[1]}" if nh == 58 else f"ipv6 proto {nh}"
            kinds[kind] = kinds.get(kind, 0) + 1
            if nh in (6, 58) and csum(pseudo + l4) != 0xFFFF:
                bad.append(what + (": ICMPv6" if nh == 58 else ": TCP"))
            continue
        if len(pkt) < 20 or pkt[0] >> 4 != 4:
            continue
        # Only the simulator's replies (from 198.18.0.0/15) are under test;
        # the probes are the prober's business.
        if pkt[12] != 198 or pkt[13] not in (18, 19):
            continue
        n += 1
        ihl = (pkt[0] & 15) * 4
        tot = struct.unpack("!H", pkt[2:4])[0]
        pkt = pkt[:tot]
        src, dst = pkt[12:16], pkt[16:20]
        proto, l4 = pkt[9], pkt[ihl:]
        what = f"packet {n} proto {proto}"
        if csum(pkt[:ihl]) != 0xFFFF:
            bad.append(what + ": IP header")
        if proto == 1:
            kinds[f"icmp {l4[0]}/{l4[1]}"] = kinds.get(f"icmp {l4[0]}/{l4[1]}", 0) + 1
            if csum(l4) != 0xFFFF:
                bad.append(what + ": ICMP")
            if l4[0] in (3, 11):
                q = l4[8:]
                if csum(q[:(q[0] & 15) * 4]) != 0xFFFF:
                    bad.append(what + ": quoted IP header")
        elif proto in (6, 17):
            if proto == 17 and struct.unpack("!H", l4[6:8])[0] == 0:
                continue  # no UDP checksum
            pseudo = src + dst + struct.pack("!BBH", 0, proto, len(l4))
            kinds[f"proto {proto}"] = kinds.get(f"proto {proto}", 0) + 1
            if csum(pseudo + l4) != 0xFFFF:
                bad.append(what + (": TCP" if proto == 6 else ": UDP"))
    print(f"{n} replies, {len(bad)} bad checksums; " + ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())))
    for b in bad[:10]:
        print("#   " + b)
    return 0 if n and not bad else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hops")
    h.add_argument("--truth", required=True)
    h.add_argument("--traces", required=True)
    h.add_argument("--interfaces", required=True)
    h.add_argument("--allow-ratelimit", action="store_true")
    h.add_argument("--filled-apart", action="store_true")
    h.add_argument("--scamper", action="store_true")
    d = sub.add_parser("differ")
    d.add_argument("a")
    d.add_argument("b")
    c = sub.add_parser("cksum")
    c.add_argument("pcap")
    a = p.parse_args()
    return {"hops": cmd_hops, "differ": cmd_differ, "cksum": cmd_cksum}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
