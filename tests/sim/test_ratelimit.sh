#!/bin/bash
# test_ratelimit.sh — per-TTL rate-limit learning (prober/meter.c; doc/probing.md,
# "Rate-limited hops") against the simulator: a small model whose access
# router at hop 2, which half the traces cross, answers 100 time-exceeded
# messages a second (seed 15). 2,048 targets at 10,000 probes/s, once with
# rate_limits = "ignore" and once with "learn" (the default), scored against
# `bt-sim truth` by score.py. Checks (TAP):
#   - both runs: every hop right or a gap at a rate-limiting router;
#   - learn: the run reports its meters, ignore reports none;
#   - learn leaves at most half of ignore's rate-limit gaps (measured: 591
#     against 2,321; it probes hop 2 more slowly, and the round takes ~2x).
#     With fewer targets the round is over before the meters pay: a meter
#     comes on a wait and a period after the losses begin.
#
#   test_ratelimit.sh --sim BT-SIM --prober BORDERTRACE-PROBE --score SCORE.PY
#
# Exit 0 passed, 1 failed, 77 skipped (not root, no TUN). Safety: the packets
# stay in the namespace btrl<pid>, removed by the trap; its only routes beyond
# lo are 198.18.0.0/15 and 2001:db8::/32 into the TUN device.
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/sim_test_args.sh"
sim_test_start "ip nft python3" "$@"

MODEL=(--seed 15 --prefixes 8 --ases 4 --transits 4 --rl-rate 100 --rl-burst 20)
T=$(mktemp -d /tmp/btrl.XXXXXX)
NS=
cleanup() {
    [[ -n $NS ]] && sim_ns_down "$NS"
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# The model's hop-2 router must be the rate-limited one, or the test says nothing.
if ! "$SIM" interfaces "${MODEL[@]}" | grep -qP '^198\.19\.1\.[12]\t.*\taccess\tratelimited'; then
    echo "1..1"
    echo "not ok 1 - the model (${MODEL[*]}) has no rate-limited access router at hop 2"
    exit 1
fi
"$SIM" interfaces "${MODEL[@]}" >"$T/ifs.tsv"
python3 -c '
import random
t = [f"198.18.{j}.{i}" for j in range(8) for i in range(256)]
random.Random(1).shuffle(t)
print("\n".join(t[:2048]))' >"$T/targets.txt"
"$SIM" truth "${MODEL[@]}" --method icmp-paris --flows 0 --src 198.51.100.1 --targets "$T/targets.txt" >"$T/truth.tsv"

# run MODE: one round in a fresh namespace (no router's budget carries over);
# sets GAPS (rate-limit gaps) and prints score.py's line
run() {
    local mode=$1 d=$T/$1
    mkdir -p "$d"
    cp "$T/targets.txt" "$d/"
    cat >"$d/c.campaign" <<EOF
name = "rl"; vp = "sim"; targets = "targets.txt"; lab = true; output = "out";
schedule = { interval = 60; rounds = 1; };
method = "icmp-paris"; max_ttl = 20; attempts = 2; wait = 1.0; gap_limit = 5;
rate = 10000; window = 20; rate_limits = "$mode";
EOF
    NS=btrl$$
    sim_ns_up "$NS" "$d/sim.log" "${MODEL[@]}"
    ip netns exec "$NS" nft delete table netdev btbench # replies through the kernel too
    ip netns exec "$NS" "$PROBER" run "$d/c.campaign" 2>"$d/run.log"
    local rc=$?
    sim_ns_down "$NS"
    NS=
    ((rc == 0)) || { sed 's/^/# /' "$d/run.log"; return 1; }
    grep -o 'round .*targets.*' "$d/run.log" | head -1 | sed 's/^/# /'
    python3 "$SCORE" hops --truth "$T/truth.tsv" --traces "$d"/out/rl/sim/*.jsonl \
        --interfaces "$T/ifs.tsv" --allow-ratelimit >"$d/score.txt" 2>&1
    rc=$?
    grep -E 'hops [0-9]+/' "$d/score.txt" | tail -1 | sed "s/^/# $mode: /"
    GAPS=$(grep -oE '[0-9]+ gaps explained' "$d/score.txt" | tail -1 | cut -d' ' -f1)
    return $rc
}

echo "1..5"
if run ignore; then ok "ignore: every hop right or a rate-limit gap"; else not_ok "ignore: every hop right or a rate-limit gap"; fi
G_IGNORE=${GAPS:-0}
if run learn; then ok "learn: every hop right or a rate-limit gap"; else not_ok "learn: every hop right or a rate-limit gap"; fi
G_LEARN=${GAPS:-0}
if grep -q 'rate limits: [1-9][0-9]* TTL meters' "$T/learn/run.log"; then ok "learn: the round reports its meters"; else not_ok "learn: the round reports its meters"; fi
if ! grep -q 'rate limits:' "$T/ignore/run.log"; then ok "ignore: no meter"; else not_ok "ignore: no meter"; fi
echo "# rate-limit gaps: ignore $G_IGNORE, learn $G_LEARN"
if ((G_IGNORE > 100 && G_LEARN * 2 <= G_IGNORE)); then
    ok "learn leaves at most half of the rate-limit gaps"
else
    not_ok "learn leaves at most half of the rate-limit gaps"
fi
exit $((failed > 0))
