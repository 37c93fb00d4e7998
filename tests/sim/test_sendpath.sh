#!/bin/bash
# test_sendpath.sh — the packet-socket send path (`--send-path packet`,
# prober/linkout.c; doc/probing.md, "Send path") against the raw one, in a
# namespace with bt-sim behind its TUN device.
#
#   test_sendpath.sh --sim BT-SIM --prober PROBER --score SCORER (unused)
#
# Checks (TAP on stdout):
#   - 256 targets (one per /24 of 198.18.0.0/16), icmp-paris and udp-paris:
#     every probe goes by the packet socket (the run's summary says so), and
#     every trace's hops equal those of the same run sent raw (bt-sim without
#     rate-limiting routers: its answers depend only on the probe);
#   - with a route longer than /24 in a /24 (198.18.7.0/25), that /24's
#     probes go raw and the others' by the packet socket;
#   - with a policy rule beside the default ones, the run says the path is
#     off (policy routing) and sends every probe raw;
#   - capture on the VP (tcpdump -Q out) sees the probes of the packet
#     socket (it goes through the device's queueing discipline).
# Exit 0 passed, 1 failed, 77 skipped (not root, or a tool is missing).
#
# Safety: every packet stays inside namespace btsp<pid>, removed by the trap;
# its only routes beyond lo are 198.18.0.0/15 and 2001:db8::/32 into the TUN
# device (and the /25 inside 198.18.0.0/15 that the test adds).
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/sim_test_args.sh"
sim_test_start "ip tcpdump python3" "$@"

sim_test_ns btsp
sim_ns_up "$NS" "$TMP/sim.log" --rate-limited 0
python3 -c 'print("\n".join(f"198.18.{j}.{(j * 37) % 254 + 1}" for j in range(256)))' >"$TMP/targets.txt"

# trace NAME [PROBER ARGS...]: traces the targets into NAME.jsonl, its
# summary lines in NAME.log
trace() {
    local name=$1
    shift
    ip netns exec "$NS" "$PROBER" trace --lab -r 20000 -w 0.25 -q 2 -g 3 -m 16 "$@" \
        -T "$TMP/targets.txt" -o "$TMP/$name.jsonl" 2>"$TMP/$name.log"
}
# probes NAME: the run's probe count, from its summary
probes() { sed -nE 's/.*traces, ([0-9]+) probes,.*/\1/p' "$TMP/$1.log"; }
# same_hops A B: every trace of A.jsonl has the hops of B.jsonl's
same_hops() {
    python3 - "$TMP/$1.jsonl" "$TMP/$2.jsonl" <<'EOF'
import json, sys
def hops(path):
    out = {}
    for line in open(path):
        t = json.loads(line)
        out[t["dst"]] = [(h["ttl"], h.get("addr")) for h in t["hops"]]
    return out
a, b = hops(sys.argv[1]), hops(sys.argv[2])
bad = [d for d in a if a[d] != b.get(d)]
print(f"{len(a)} traces, {len(bad)} differ" + (f": {bad[:5]}" if bad else ""))
sys.exit(1 if bad or len(a) != 256 else 0)
EOF
}

for m in icmp-paris udp-paris; do
    trace "raw-$m" -P "$m"
    trace "pkt-$m" -P "$m" --send-path packet
    p=$(probes "pkt-$m")
    if grep -q "send path packet: $p of $p probes by the packet socket" "$TMP/pkt-$m.log"; then
        ok "$m: all $p probes by the packet socket"
    else
        not_ok "$m: all probes by the packet socket"; sed 's/^/# /' "$TMP/pkt-$m.log"
    fi
    if out=$(same_hops "pkt-$m" "raw-$m"); then
        ok "$m: hops equal the raw socket's ($out)"
    else
        not_ok "$m: hops equal the raw socket's ($out)"
    fi
done

# a /25 inside one /24: that /24 goes raw
ip -n "$NS" route add 198.18.7.0/25 dev bts0
trace long --send-path packet
p=$(probes long)
k=$(sed -nE 's/.*send path packet: ([0-9]+) of.*/\1/p' "$TMP/long.log")
t7=$(python3 -c 'import json,sys; print(sum(json.loads(l)["probes_sent"] for l in open(sys.argv[1]) if json.loads(l)["dst"].startswith("198.18.7.")))' "$TMP/long.jsonl")
if [[ -n $k ]] && ((k == p - t7 && t7 > 0)); then
    ok "a /24 holding a /25 route goes raw ($t7 probes), the rest by the packet socket ($k of $p)"
else
    not_ok "a /24 holding a /25 route goes raw (packet socket ${k:-?} of $p, the /24's probes $t7)"
fi
ip -n "$NS" route del 198.18.7.0/25 dev bts0

# policy routing: the path is off
ip -n "$NS" rule add from all lookup main pref 100
trace rule --send-path packet
if grep -q "send path packet: off (policy routing" "$TMP/rule.log"; then
    ok "a policy rule turns the packet path off"
else
    not_ok "a policy rule turns the packet path off"; sed 's/^/# /' "$TMP/rule.log"
fi
ip -n "$NS" rule del from all lookup main pref 100

# the probes are seen by a capture on the VP
ip netns exec "$NS" tcpdump -n -U -Q out -i bts0 -w "$TMP/out.pcap" icmp 2>"$TMP/tcpdump.log" &
TPID=$!
for _ in $(seq 50); do grep -q listening "$TMP/tcpdump.log" && break; sleep 0.1; done
trace cap --send-path packet
sleep 0.5
kill -INT "$TPID"; wait "$TPID"
c=$(ip netns exec "$NS" tcpdump -n -r "$TMP/out.pcap" 2>/dev/null | wc -l)
p=$(probes cap)
if ((c == p)); then
    ok "tcpdump -Q out on the VP sees all $p probes"
else
    not_ok "tcpdump -Q out on the VP sees all $p probes (saw $c)"
fi

echo "1..$n"
((failed == 0)) || { echo "# FAIL: $failed of $n checks failed"; exit 1; }
