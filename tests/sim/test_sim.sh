#!/bin/bash
# test_sim.sh — the Internet simulator against the real prober: bt-sim serves a
# synthetic Internet on a TUN device inside namespaces this script creates; the
# prober traces ~200 sampled targets per method with two Paris flows each, and
# score.py checks every hop against `bt-sim truth` (doc/sim.md).
#
#   test_sim.sh [--part ipv4|ratelimited|ipv6] --sim BT-SIM --prober BORDERTRACE-PROBE --score SCORE.PY
#
# --part runs one of the three independent parts below (each in namespaces of
# its own), so that meson can run them side by side; without it, all three.
#
# Checks (TAP on stdout):
#   - replies are valid: every checksum of a captured reply holds (score.py
#     cksum, independent of tcpdump) and tcpdump -vv reports none bad;
#   - without rate-limiting routers, hops equal the truth exactly, 3 methods;
#   - with them (500/s, burst 50), every wrong hop is a gap at a rate-limiting
#     router; the accuracy is printed;
#   - SIGUSR1 switches phase: the moved /24's truth changes, and its traces
#     equal the phase-1 truth;
#   - serve --io plain (a read and a write call a packet) answers as the
#     default io_uring batches do: udp-paris hops equal the truth.
#   - IPv6, with Debian's scamper as the reference prober (this part checks the
#     simulator against scamper; bench/campaign.sh -6 scores ours): icmp-paris traces of 30 IPv6 targets, two flows each, equal
#     `bt-sim truth --family 6`, in phase 0 and, for the moved /24, in phase 1;
#     plain UDP traces equal it where the model has no ECMP (--ecmp 1: scamper's
#     udp-paris sends nothing over IPv6 in this version); every IPv6 reply
#     checksum holds. scamper's tcp method cannot run on a TUN device (it
#     needs a datalink socket; "ERROR" over IPv4 too), so IPv6 TCP is left to
#     the unit test. Skipped with a comment when scamper is not installed.
# Exit 0 passed, 1 failed, 77 skipped (not root, or a tool is missing).
#
# Safety: every packet stays inside namespaces named btsim<pid>-*, removed by
# the trap; their only routes beyond lo are 198.18.0.0/15 and 2001:db8::/32
# into the TUN device.
set -uo pipefail

PART=all
if [[ ${1:-} == --part ]]; then
    PART=${2:-}
    shift 2
fi
case $PART in
all | ipv4 | ratelimited | ipv6) ;;
*) echo "$0: --part must be ipv4, ratelimited or ipv6" >&2; exit 2 ;;
esac
# part NAME: whether this run includes that part
part() { [[ $PART == all || $PART == "$1" ]]; }

. "$(dirname "${BASH_SOURCE[0]}")/sim_test_args.sh"
sim_test_start "ip tcpdump python3" "$@"

PREFIX="btsim$$-"
TMP=$(mktemp -d /tmp/btsim.XXXXXX)
NSES=()
PIDS=()
cleanup() {
    local p n
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    for n in "${NSES[@]}"; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

T0=$SECONDS
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { # check DESCRIPTION COMMAND...: ok when COMMAND exits 0; its output as comments
    local desc=$1 out rc
    shift
    out=$("$@" 2>&1); rc=$?
    [[ -n $out ]] && sed 's/^/# /' <<<"$out"
    if ((rc == 0)); then ok "$desc"; else not_ok "$desc"; fi
}

VP=198.51.100.1
# start_sim NAME SIM-OPTIONS...: a namespace with bt-sim on tun "bts0"; sets SIM_PID.
start_sim() {
    local ns=$PREFIX$1 i
    shift
    ip netns add "$ns" || return 1
    NSES+=("$ns")
    ip -n "$ns" link set lo up
    sim_ns_sysctl "$ns"
    ip netns exec "$ns" "$SIM" serve --tun bts0 "$@" 2>"$TMP/$ns.log" &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    for i in $(seq 100); do
        ip -n "$ns" link show bts0 >/dev/null 2>&1 && break
        sleep 0.05
    done
    # The VP's two addresses, a deep queue so that bursts wait for bt-sim
    # instead of being dropped (doc/sim.md), routes into the device.
    sim_ns_link "$ns"
}

# trace NS OUT METHOD TARGETS [prober options]: JSON Lines of two flows per target.
trace() {
    local ns=$PREFIX$1 out=$2 method=$3 targets=$4
    shift 4
    ip netns exec "$ns" "$PROBER" trace --lab --json -P "$method" --flows 2 -r 20000 -m 20 \
        -w 0.2 -q 2 -g 5 -T "$targets" "$@" >"$out" 2>"$out.err"
}

# 200 targets: 190 spread over the /16 (a fixed LCG, so runs are comparable),
# and 10 in the /24 whose route changes in phase 1.
MOVED=$("$SIM" info | awk -F'\t' '$1 == "moved prefix" { split($2, a, "/"); print a[1] }')
[[ -n $MOVED ]] || { echo "Bail out! bt-sim info gave no moved prefix"; exit 1; }
MOVED_NET=${MOVED%.0}
x=12345
for i in $(seq 190); do
    x=$(((x * 1103515245 + 12345) % 2147483648))
    echo "198.18.$(((x >> 8) % 256)).$((x % 256))"
done >"$TMP/targets"
for i in $(seq 10); do echo "$MOVED_NET.$((i * 23))"; done >"$TMP/moved"
cat "$TMP/moved" >>"$TMP/targets"
echo "# moved prefix $MOVED/24; $(wc -l <"$TMP/targets") targets, 2 flows each"

if part ipv4; then
    # ---- A: silent routers, dark targets, ECMP, no rate limiting ----
    A=(--seed 1 --rate-limited 0)
    if start_sim a "${A[@]}"; then ok "bt-sim serves on a TUN device in ${PREFIX}a"; else not_ok "bt-sim serves"; fi
    "$SIM" interfaces "${A[@]}" >"$TMP/a.if"

    # Replies are valid: a capture of one trace per method, checked twice.
    ip netns exec "${PREFIX}a" tcpdump -i bts0 -n -U -w "$TMP/replies.pcap" 2>/dev/null &
    TD=$!
    PIDS+=("$TD")
    sleep 0.5
    head -3 "$TMP/targets" >"$TMP/few"
    echo "$MOVED_NET.23" >>"$TMP/few"
    for m in icmp-paris udp-paris tcp-syn; do trace a "$TMP/few.$m" $m "$TMP/few"; done
    sleep 0.3
    kill -INT "$TD"; wait "$TD" 2>/dev/null
    check "every reply checksum holds (IP, ICMP, quoted IP, TCP)" python3 "$SCORE" cksum "$TMP/replies.pcap"
    tcpdump -r "$TMP/replies.pcap" -n -vv >"$TMP/replies.txt" 2>/dev/null
    if grep -qiE 'bad cksum|wrong icmp cksum|incorrect' "$TMP/replies.txt"; then
        grep -iE 'bad cksum|wrong icmp cksum|incorrect' "$TMP/replies.txt" | head -3 | sed 's/^/# /'
        not_ok "tcpdump -vv finds no bad checksum"
    elif grep -q 'time exceeded' "$TMP/replies.txt" && grep -q 'echo reply' "$TMP/replies.txt" &&
        grep -q 'port 33435 unreachable' "$TMP/replies.txt" && grep -q 'Flags \[R\.\]' "$TMP/replies.txt"; then
        ok "tcpdump -vv finds no bad checksum in time exceeded, echo reply, port unreachable, RST"
    else
        not_ok "tcpdump -vv shows every kind of reply"
    fi

    for m in icmp-paris udp-paris tcp-syn; do
        trace a "$TMP/a.$m.jsonl" $m "$TMP/targets"
        "$SIM" truth "${A[@]}" --method $m --flows 0-1 --targets "$TMP/targets" >"$TMP/a.$m.truth"
        check "$m: hops equal the truth, no rate limiting" python3 "$SCORE" hops --truth "$TMP/a.$m.truth" \
            --traces "$TMP/a.$m.jsonl" --interfaces "$TMP/a.if"
    done

    # ---- phase switch: the border route appears on SIGUSR1 ----
    kill -USR1 "$SIM_PID"
    for i in $(seq 50); do grep -q '^bt-sim: phase 1$' "$TMP/${PREFIX}a.log" && break; sleep 0.05; done
    if grep -q '^bt-sim: phase 1$' "$TMP/${PREFIX}a.log"; then ok "SIGUSR1 switches to phase 1"; else not_ok "SIGUSR1 switches to phase 1"; fi
    for m in icmp-paris udp-paris tcp-syn; do
        "$SIM" truth "${A[@]}" --phase 0 --method $m --flows 0-1 --targets "$TMP/moved" >"$TMP/p0.$m.truth"
        "$SIM" truth "${A[@]}" --phase 1 --method $m --flows 0-1 --targets "$TMP/moved" >"$TMP/p1.$m.truth"
        check "$m: phase 1 changes the truth of every moved target and flow" \
            python3 "$SCORE" differ "$TMP/p0.$m.truth" "$TMP/p1.$m.truth"
        trace a "$TMP/p1.$m.jsonl" $m "$TMP/moved"
        check "$m: phase-1 traces of the moved /24 equal the phase-1 truth" python3 "$SCORE" hops \
            --truth "$TMP/p1.$m.truth" --traces "$TMP/p1.$m.jsonl" --interfaces "$TMP/a.if"
    done
    # The new route crosses AS20485's router space (198.19.3.0/24 in the plan);
    # the old one does not (other ASes behind AS20485 do, hence the filter).
    grep -F "\"dst\":\"$MOVED_NET." "$TMP/a.icmp-paris.jsonl" >"$TMP/p0.icmp-paris.jsonl"
    if grep -q '198\.19\.3\.' "$TMP/p1.icmp-paris.jsonl" && [[ -s $TMP/p0.icmp-paris.jsonl ]] &&
        ! grep -q '198\.19\.3\.' "$TMP/p0.icmp-paris.jsonl"; then
        ok "phase-1 traces cross AS20485, phase-0 traces do not"
    else
        not_ok "phase-1 traces cross AS20485, phase-0 traces do not"
    fi

    # ---- serve --io plain (a read and a write call a packet; the default batches
    # them through io_uring, doc/sim.md "serve"): the same answers ----
    if grep -q 'instead$' "$TMP/${PREFIX}a.log"; then
        echo "# the default serve fell back to plain I/O here: $(grep 'instead$' "$TMP/${PREFIX}a.log")"
    fi
    if start_sim e "${A[@]}" --io plain; then ok "bt-sim --io plain serves in ${PREFIX}e"; else not_ok "bt-sim --io plain serves"; fi
    trace e "$TMP/e.udp-paris.jsonl" udp-paris "$TMP/targets"
    check "--io plain: udp-paris hops equal the truth" python3 "$SCORE" hops --truth "$TMP/a.udp-paris.truth" \
        --traces "$TMP/e.udp-paris.jsonl" --interfaces "$TMP/a.if"
fi

if part ratelimited; then
    # ---- B: the defaults, rate-limiting routers included ----
    # Seed 1 (the default) has a rate-limiting access router at hop 2, which
    # the whole sample crosses: gaps there are the expected effect.
    B=(--seed 1)
    if start_sim b "${B[@]}"; then ok "bt-sim with rate-limiting routers in ${PREFIX}b"; else not_ok "bt-sim b"; fi
    "$SIM" interfaces "${B[@]}" >"$TMP/b.if"
    for m in icmp-paris udp-paris tcp-syn; do
        trace b "$TMP/b.$m.jsonl" $m "$TMP/targets"
        "$SIM" truth "${B[@]}" --method $m --flows 0-1 --targets "$TMP/targets" >"$TMP/b.$m.truth"
        check "$m: every wrong hop is a gap at a rate-limiting router" python3 "$SCORE" hops \
            --truth "$TMP/b.$m.truth" --traces "$TMP/b.$m.jsonl" --interfaces "$TMP/b.if" --allow-ratelimit
    done
fi

# ---- C: IPv6, against scamper ----
# scamper sends flow label 0 (sim_ns_sysctl sets auto_flowlabels=0), hence
# `truth --flowlabel 0`; bordertrace's own IPv6 flows carry 0x10000 + flow.
# scamper6 NS OUT "TRACE OPTIONS" TARGETS-FILE: scamper's traces as JSON Lines.
scamper6() {
    ip netns exec "$PREFIX$1" scamper -p 1000 -O warts -o "$2.warts" -c "trace $3" -f "$4" 2>"$2.err"
    sc_warts2json "$2.warts" >"$2"
}
# The IPv6 twins (doc/sim.md): 198.18.X.Y -> 2001:db8:18:X::Y.
twin6() { sed -E 's/^198\.18\.([0-9]+)\.([0-9]+)$/2001:db8:18:\1::\2/' "$1"; }
if part ipv6; then
    if command -v scamper >/dev/null && command -v sc_warts2json >/dev/null; then
        C=(--seed 1 --rate-limited 0)
        if start_sim c "${C[@]}"; then ok "bt-sim serves IPv6 in ${PREFIX}c"; else not_ok "bt-sim serves IPv6"; fi
        "$SIM" interfaces "${C[@]}" --family 6 >"$TMP/c.if"
        { head -24 "$TMP/targets"; head -6 "$TMP/moved"; } | twin6 /dev/stdin >"$TMP/t6"
        twin6 "$TMP/moved" | head -6 >"$TMP/moved6"
        echo "# IPv6: $(wc -l <"$TMP/t6") targets, e.g. $(head -1 "$TMP/t6")"
        ip netns exec "${PREFIX}c" tcpdump -i bts0 -n -U -w "$TMP/replies6.pcap" ip6 2>/dev/null &
        TD=$!
        PIDS+=("$TD")
        sleep 0.5
        # Flows 0 and 1: bordertrace's icmp-paris checksum 0x1000 + flow.
        for f in 0 1; do
            scamper6 c "$TMP/c.icmp$f.json" "-P icmp-paris -q 2 -w 1 -g 3 -m 20 -d $((4096 + f))" "$TMP/t6"
        done
        sleep 0.3
        kill -INT "$TD"; wait "$TD" 2>/dev/null
        cat "$TMP/c.icmp0.json" "$TMP/c.icmp1.json" >"$TMP/c.icmp.json"
        "$SIM" truth "${C[@]}" --family 6 --flowlabel 0 --method icmp-paris --flows 0-1 --targets "$TMP/t6" >"$TMP/c.icmp.truth"
        check "IPv6 icmp-paris (scamper): hops equal the truth" python3 "$SCORE" hops --scamper \
            --truth "$TMP/c.icmp.truth" --traces "$TMP/c.icmp.json" --interfaces "$TMP/c.if"
        check "IPv6: every reply checksum holds (ICMPv6 pseudo-header)" python3 "$SCORE" cksum "$TMP/replies6.pcap"
        tcpdump -r "$TMP/replies6.pcap" -n -vv >"$TMP/replies6.txt" 2>/dev/null
        if grep -qiE 'bad|incorrect' "$TMP/replies6.txt"; then
            grep -iE 'bad|incorrect' "$TMP/replies6.txt" | head -3 | sed 's/^/# /'
            not_ok "IPv6: tcpdump -vv finds no bad checksum"
        elif grep -q 'time exceeded in-transit' "$TMP/replies6.txt" && grep -q 'echo reply' "$TMP/replies6.txt"; then
            ok "IPv6: tcpdump -vv finds no bad checksum in time exceeded, echo reply"
        else
            not_ok "IPv6: tcpdump -vv shows time exceeded and echo reply"
        fi

        kill -USR1 "$SIM_PID"
        for i in $(seq 50); do grep -q '^bt-sim: phase 1$' "$TMP/${PREFIX}c.log" && break; sleep 0.05; done
        "$SIM" truth "${C[@]}" --phase 0 --family 6 --flowlabel 0 --flows 0-1 --targets "$TMP/moved6" >"$TMP/c.p0.truth"
        "$SIM" truth "${C[@]}" --phase 1 --family 6 --flowlabel 0 --flows 0-1 --targets "$TMP/moved6" >"$TMP/c.p1.truth"
        check "IPv6: phase 1 changes the truth of every moved target and flow" \
            python3 "$SCORE" differ "$TMP/c.p0.truth" "$TMP/c.p1.truth"
        for f in 0 1; do
            scamper6 c "$TMP/c.p1.icmp$f.json" "-P icmp-paris -q 2 -w 1 -g 3 -m 20 -d $((4096 + f))" "$TMP/moved6"
        done
        cat "$TMP/c.p1.icmp0.json" "$TMP/c.p1.icmp1.json" >"$TMP/c.p1.json"
        check "IPv6 icmp-paris (scamper): phase-1 traces of the moved /24 equal the phase-1 truth" \
            python3 "$SCORE" hops --scamper --truth "$TMP/c.p1.truth" --traces "$TMP/c.p1.json" --interfaces "$TMP/c.if"
        if grep -q '"2001:db8:19:3::' "$TMP/c.p1.json"; then
            ok "IPv6 phase-1 traces cross AS20485 (2001:db8:19:3::/64)"
        else
            not_ok "IPv6 phase-1 traces cross AS20485 (2001:db8:19:3::/64)"
        fi

        # Plain UDP (the destination port changes with each probe): one path
        # only where nothing balances, so a model without ECMP.
        D=(--seed 1 --rate-limited 0 --ecmp 1)
        if start_sim d "${D[@]}"; then ok "bt-sim without ECMP in ${PREFIX}d"; else not_ok "bt-sim d"; fi
        "$SIM" interfaces "${D[@]}" --family 6 >"$TMP/d.if"
        scamper6 d "$TMP/d.udp.json" "-P udp -q 2 -w 1 -g 3 -m 20 -s 40000" "$TMP/t6"
        "$SIM" truth "${D[@]}" --family 6 --flowlabel 0 --method udp-paris --flows 0 --targets "$TMP/t6" >"$TMP/d.udp.truth"
        check "IPv6 plain udp (scamper), no ECMP: hops equal the truth" python3 "$SCORE" hops --scamper \
            --truth "$TMP/d.udp.truth" --traces "$TMP/d.udp.json" --interfaces "$TMP/d.if"
    elif [[ $PART == ipv6 ]]; then
        echo "1..0 # SKIP scamper / sc_warts2json not installed"
        exit 77
    else
        echo "# IPv6 part skipped: scamper / sc_warts2json not installed"
    fi
fi

for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
for ns in "${NSES[@]}"; do sed 's/^/# /' "$TMP/$ns.log"; done
echo "1..$n"
echo "# $failed failed, $((SECONDS - T0)) s"
((failed == 0))
