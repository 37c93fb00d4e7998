#!/usr/bin/env python3
"""mda_score.py - multipath traces scored against `bt-sim branches`.

  mda_score.py --branches FILE --interfaces FILE [--moved A.B.C.0]
               [--confidence 95] [--min-share 25] [--label NAME]
               [--min-recall R] [--min-moved R] [--max-ratio R] TRACES...

TRACES are JSON Lines of bordertrace-probe (one record per target in
multipath mode, or one per flow: the consecutive records of one destination
are merged).
Prints, for the targets traced (key: value lines):
  probes per target, and plain MDA's bound for the truth (the sum over the
    TTLs of n_k, k the true interfaces at the TTL, even shares, 1 - conf
    per TTL) and the bound of our rule (n_k with the minimum share);
  interface recall: (target, TTL, address) of the truth found, over the
    interfaces that can answer (not silent, not rate-limited, not a dark
    destination); link recall likewise (links between two such interfaces:
    one flow's entries at consecutive TTLs);
  moved: the moved /24's answering targets, and in how many an interface
    of AS20485 appears.
Exit 1 when a threshold given is not met, 2 on bad input."""
import argparse
import json
import math
import sys
from collections import defaultdict

NEW_ASN = 20485


def n_needed(k, conf, share):
    alpha = 1 - conf / 100.0
    n = math.ceil(math.log(alpha / (k + 1)) / math.log(k / (k + 1)) - 1e-9)
    if share > 0:
        n = max(n, math.ceil(math.log(alpha) / math.log(1 - share / 100.0) - 1e-9))
    return min(n, 64)


def read_branches(path):
    ifs = defaultdict(dict)     # dst -> (ttl, addr) -> flags
    links = defaultdict(set)    # dst -> {(ttl, from, to)}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            p = line.rstrip('\n').split('\t')
            if len(p) != 5 or p[0] not in ('I', 'L'):
                sys.exit(f'{path}:{n}: not a branches line')
            if p[0] == 'I':
                ifs[p[1]][(int(p[2]), p[3])] = p[4]
            else:
                links[p[1]].add((int(p[2]), p[3], p[4]))
    return ifs, links


def read_interfaces(path):
    asn = {}
    with open(path) as f:
        for line in f:
            p = line.rstrip('\n').split('\t')
            asn[p[0]] = int(p[1])
    return asn


def read_traces(paths):
    """(dst, probes, [(ttl, flow, addr)]) per destination, streamed: the
    records of one destination (one per flow) follow one another."""
    cur = None
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except ValueError as e:
                    sys.exit(f'{path}:{n}: {e}')
                if cur is not None and cur[0] != r['dst']:
                    yield cur
                    cur = None
                if cur is None:
                    cur = (r['dst'], [0], [])
                cur[1][0] += r['probes_sent']
                for h in r['hops']:
                    if h['addr'] is not None:
                        cur[2].append((h['ttl'], h.get('flow', r['flow']), h['addr']))
    if cur is not None:
        yield cur


def answers(flags):
    return not any(x in flags.split(',') for x in ('silent', 'ratelimited', 'dark'))


def found_links(hops, seen):
    """Links a record shows: one flow at consecutive TTLs, and a TTL of
    one interface to every interface beside it (doc/trace-format.md)."""
    by_flow = defaultdict(set)
    for ttl, fl, a in hops:
        by_flow[fl].add((ttl, a))
    out = set()
    for hs in by_flow.values():
        for ttl, a in hs:
            for ttl2, b in hs:
                if ttl2 == ttl + 1:
                    out.add((ttl, a, b))
    at = defaultdict(set)
    for ttl, a in seen:
        at[ttl].add(a)
    for ttl, s in at.items():
        if len(s) == 1:
            (a,) = s
            for b in at.get(ttl + 1, ()):
                out.add((ttl, a, b))
            for b in at.get(ttl - 1, ()):
                out.add((ttl - 1, b, a))
    return out


def score_target(args, res, truth, links, hops, moved, dst, asn):
    width = defaultdict(int)
    for (ttl, _a) in truth:
        width[ttl] += 1
    res['mda_bound'] += sum(n_needed(k, args.confidence, 0) for k in width.values())
    res['rule_bound'] += sum(n_needed(k, args.confidence, args.min_share) for k in width.values())
    seen = {(ttl, a) for ttl, _f, a in hops}
    for key, flags in truth.items():
        if answers(flags):
            res['ifaces'] += 1
            res['ifaces_found'] += key in seen
    shown = found_links(hops, seen)
    for ln in links:
        if answers(truth.get((ln[0], ln[1]), '')) and answers(truth.get((ln[0] + 1, ln[2]), '')):
            res['links'] += 1
            res['links_found'] += ln in shown
    dest_ok = any(f.startswith('dest') and answers(f) for f in truth.values())
    if moved and dst.startswith(moved) and dest_ok:
        res['moved'] += 1
        res['moved_new'] += any(asn.get(a) == NEW_ASN for _t, _f, a in hops)


def score(args):
    ifs, links = read_branches(args.branches)
    asn = read_interfaces(args.interfaces)
    moved = args.moved.rsplit('.', 1)[0] + '.' if args.moved else None
    res = defaultdict(int)
    for dst, probes, hops in read_traces(args.traces):
        if dst not in ifs:
            sys.exit(f'{dst}: not in the branches file')
        res['targets'] += 1
        res['probes'] += probes[0]
        score_target(args, res, ifs[dst], links[dst], hops, moved, dst, asn)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--branches', required=True)
    ap.add_argument('--interfaces', required=True)
    ap.add_argument('--moved')
    ap.add_argument('--confidence', type=float, default=95)
    ap.add_argument('--min-share', type=float, default=25)
    ap.add_argument('--label', default='')
    ap.add_argument('--min-recall', type=float)
    ap.add_argument('--min-moved', type=float)
    ap.add_argument('--max-ratio', type=float)
    ap.add_argument('traces', nargs='+')
    args = ap.parse_args()
    r = score(args)
    if r['targets'] == 0:
        sys.exit('no trace to score')
    pre = f'{args.label}: ' if args.label else ''
    pt = r['probes'] / r['targets']
    mda = r['mda_bound'] / r['targets']
    rule = r['rule_bound'] / r['targets']
    rec = r['ifaces_found'] / max(r['ifaces'], 1)
    lrec = r['links_found'] / max(r['links'], 1)
    print(f"{pre}targets {r['targets']}, probes per target {pt:.1f}, plain MDA bound {mda:.1f} "
          f"(ratio {pt / mda:.2f}), our rule's bound {rule:.1f} (ratio {pt / rule:.2f})")
    print(f"{pre}interface recall {rec:.4f} ({r['ifaces_found']}/{r['ifaces']}), "
          f"link recall {lrec:.4f} ({r['links_found']}/{r['links']})")
    mv = r['moved_new'] / r['moved'] if r['moved'] else 0.0
    if args.moved:
        print(f"{pre}moved /24: AS{NEW_ASN} seen in {r['moved_new']} of {r['moved']} answering targets ({mv:.3f})")
    bad = []
    if args.min_recall is not None and rec < args.min_recall:
        bad.append(f'interface recall {rec:.4f} < {args.min_recall}')
    if args.min_moved is not None and mv < args.min_moved:
        bad.append(f'moved share {mv:.3f} < {args.min_moved}')
    if args.max_ratio is not None and pt / rule > args.max_ratio:
        bad.append(f'probes per target {pt:.1f} above {args.max_ratio} x our bound {rule:.1f}')
    for b in bad:
        print(f'{pre}FAILED: {b}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
