#!/bin/bash
# test_mda.sh — multipath mode (MDA) of the real prober against the simulator's
# truth over all ECMP branches (`bt-sim branches`, doc/sim.md), inside
# namespaces this script creates.
#
#   test_mda.sh --sim BT-SIM --prober BORDERTRACE-PROBE --score MDA_SCORE.PY
#
# Checks (TAP on stdout):
#   - usage: --multipath refuses --flows and --split-ttl (exit 2);
#   - a small model with 4-way ECMP (--prefixes 8 --ecmp 4, no rate limiting):
#     100 targets, multipath at 95%: interface recall >= 0.99 against the
#     branches, probes per target at most 1.3 x the bound of the stopping
#     rule (printed beside plain MDA's), every record one per target;
#   - IPv6: 20 of those targets' twins, recall >= 0.98 (20 targets: one miss is 0.3%);
#   - --change-share 30 (phase 1): in >= 95% of the moved /24's answering
#     targets (128 of them) a single multipath run sees AS20485.
# Exit 0 passed, 1 failed, 77 skipped (not root, or a tool is missing).
#
# Safety: every packet stays inside the namespace btmda<pid>, removed by the
# trap; their only routes beyond lo are 198.18.0.0/15 and 2001:db8::/32
# into the TUN device.
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/sim_test_args.sh"
sim_test_start "ip nft python3" "$@"

NS="btmda$$"
TMP=$(mktemp -d /tmp/btmda.XXXXXX)
cleanup() {
    sim_ns_down "$NS"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { # check DESCRIPTION COMMAND...: ok when COMMAND exits 0, its output as comments
    local desc=$1 out rc
    shift
    out=$("$@" 2>&1); rc=$?
    [[ -n $out ]] && sed 's/^/# /' <<<"$out"
    ((rc == 0)) && ok "$desc" || not_ok "$desc"
}

# mda OUT TARGETS [prober options]: one multipath run in the namespace
# (bt-sim on its TUN device: bench/sim_ns.sh's sim_ns_up).
mda() {
    local out=$1 targets=$2
    shift 2
    ip netns exec "$NS" "$PROBER" trace --lab --multipath -r 30000 -m 20 -w 0.2 -q 2 -g 3 \
        -T "$targets" -o "$out" "$@" 2>"$out.err"
}

# ---- usage ----
"$PROBER" trace --lab --multipath --flows 2 198.18.0.1 >/dev/null 2>"$TMP/usage.err"
rc=$?
if ((rc == 2)) && grep -q -- '--multipath' "$TMP/usage.err"; then ok "--multipath --flows 2: usage error"; else not_ok "--multipath --flows 2: usage error (exit $rc)"; fi
"$PROBER" trace --lab --multipath --confidence 100 198.18.0.1 >/dev/null 2>&1
rc=$?
if ((rc == 2)); then ok "--confidence 100: usage error"; else not_ok "--confidence 100: usage error (exit $rc)"; fi

# ---- A: 4-way ECMP, IPv4 and IPv6 ----
A=(--prefixes 8 --ases 4 --ecmp 4 --rate-limited 0)
sim_ns_up "$NS" "$TMP/sim-a.log" "${A[@]}" || { echo "Bail out! no namespace"; exit 1; }
x=4321
for i in $(seq 100); do
    x=$(((x * 1103515245 + 12345) % 2147483648))
    echo "198.18.$(((x >> 8) % 8)).$((x % 256))"
done | sort -u >"$TMP/a.targets"
"$SIM" branches "${A[@]}" --targets "$TMP/a.targets" >"$TMP/a.branches"
"$SIM" interfaces "${A[@]}" >"$TMP/a.if"
mda "$TMP/a.jsonl" "$TMP/a.targets"
sed 's/^/# /' "$TMP/a.jsonl.err"
nt=$(wc -l <"$TMP/a.targets")
if [[ $(wc -l <"$TMP/a.jsonl") -eq $nt ]]; then ok "one record per target ($nt)"; else not_ok "one record per target ($nt)"; fi
check "IPv4: interface recall >= 0.99, probes <= 1.3 x the rule's bound" python3 "$SCORE" \
    --branches "$TMP/a.branches" --interfaces "$TMP/a.if" --min-recall 0.99 --max-ratio 1.3 "$TMP/a.jsonl"

head -20 "$TMP/a.targets" | awk -F. '{ printf "2001:db8:%s:%s::%s\n", $2, $3, $4 }' >"$TMP/a6.targets"
"$SIM" branches "${A[@]}" --targets "$TMP/a6.targets" >"$TMP/a6.branches"
"$SIM" interfaces "${A[@]}" --family 6 >"$TMP/a6.if"
mda "$TMP/a6.jsonl" "$TMP/a6.targets"
check "IPv6: interface recall >= 0.98" python3 "$SCORE" \
    --branches "$TMP/a6.branches" --interfaces "$TMP/a6.if" --min-recall 0.98 --max-ratio 1.3 "$TMP/a6.jsonl"

# ---- B: the founding story, 30% of the moved /24's flows through AS20485 ----
B=(--change-share 30)
sim_ns_down "$NS"
sim_ns_up "$NS" "$TMP/sim-b.log" "${B[@]}" --phase 1 || { echo "Bail out! no namespace"; exit 1; }
MOVED=$("$SIM" info | awk -F'\t' '$1 == "moved prefix" { split($2, a, "/"); print a[1] }')
for i in $(seq 0 2 255); do echo "${MOVED%.0}.$i"; done >"$TMP/b.targets"
"$SIM" branches "${B[@]}" --phase 1 --targets "$TMP/b.targets" >"$TMP/b.branches"
"$SIM" interfaces "${B[@]}" >"$TMP/b.if"
mda "$TMP/b.jsonl" "$TMP/b.targets"
check "change share 30%: AS20485 seen in >= 95% of the moved /24's answering targets" python3 "$SCORE" \
    --branches "$TMP/b.branches" --interfaces "$TMP/b.if" --moved "$MOVED" --min-moved 0.95 "$TMP/b.jsonl"

echo "1..$n"
((failed == 0))
