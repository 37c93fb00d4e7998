# bench/sim_ns.sh — sourced by the simulator benchmarks (campaign.sh,
# sim_ceiling.sh): the test namespace and bt-sim behind its TUN device.
#
#   sim_ns_up NS LOG [BT-SIM OPTIONS]   namespace NS, bt-sim serving bts0 (log
#                                      to LOG); needs $SIM; sets $SIM_PID
#   sim_ns_down NS                     stops bt-sim, removes NS (for a trap)
#   sim_ns_counters LOG                asks bt-sim for its counters, prints
#                                      the line it writes to LOG
#   sim_ns_sysctl NS / sim_ns_link NS  the two halves of the device setup that
#                                      tests/sim/test_sim.sh shares: before
#                                      bt-sim creates bts0, and once it has
#
# The VP is 198.51.100.1 and 2001:db8:51:100::1 (its IPv6 twin, doc/sim.md),
# both on bts0. PIN_SIM / PIN_SEND pin bt-sim to core 1 and the sender to core
# 0 when there are two cores. Safety: the namespace's only routes beyond lo
# are 198.18.0.0/15 and 2001:db8::/32 into the TUN device, so nothing sent in
# it can leave.
# Replies are read from the capture tap, which comes before the ingress hook:
# a drop rule there spares the kernel's IP/ICMP receive path, which runs on
# bt-sim's core (it writes the replies into the device), so that the simulator
# keeps up; the ceiling is measured with the same rule in place.

PIN_SIM=() PIN_SEND=()
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    PIN_SIM=(taskset -c 1) PIN_SEND=(taskset -c 0)
fi
SIM_PID=

VP4=198.51.100.1 VP6=2001:db8:51:100::1

# Before bt-sim creates bts0: IPv6 on, but quiet. A device created now gets
# no link-local address (addr_gen_mode 1), so the kernel sends no router
# solicitations into it; a TUN device is NOARP, so no neighbour discovery or
# solicited-node MLD either. auto_flowlabels 0: a socket that does not set a
# flow label (scamper's) sends 0, which `bt-sim truth` assumes by default.
sim_ns_sysctl() {
    ip netns exec "$1" sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 \
        net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0 \
        net.ipv6.auto_flowlabels=0
}

# Once bts0 exists: the VP's addresses (IPv6 nodad), a deep queue (doc/sim.md),
# the device up, the two test ranges routed into it.
sim_ns_link() {
    local ns=$1
    ip -n "$ns" addr add $VP4/32 dev bts0 &&
        ip -n "$ns" addr add $VP6/128 dev bts0 nodad &&
        ip -n "$ns" link set bts0 txqueuelen 10000 &&
        ip -n "$ns" link set bts0 up &&
        ip -n "$ns" route add 198.18.0.0/15 dev bts0 src $VP4 &&
        ip -n "$ns" -6 route add 2001:db8::/32 dev bts0 src $VP6
}

sim_ns_up() {
    local ns=$1 log=$2
    shift 2
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    sim_ns_sysctl "$ns"
    ip netns exec "$ns" "${PIN_SIM[@]}" "$SIM" serve --tun bts0 "$@" 2>"$log" &
    SIM_PID=$!
    for _ in $(seq 100); do ip -n "$ns" link show bts0 >/dev/null 2>&1 && break; sleep 0.05; done
    sim_ns_link "$ns"
    ip netns exec "$ns" nft -f - <<'NFT'
table netdev btbench {
    chain in { type filter hook ingress device "bts0" priority 0; policy drop; }
}
NFT
}

sim_ns_down() {
    [[ -n $SIM_PID ]] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    ip netns del "$1" 2>/dev/null
}

sim_ns_counters() {
    local log=$1 before
    before=$(grep -c ': in ' "$log" || true)
    kill -USR2 "$SIM_PID"
    for _ in $(seq 100); do
        (($(grep -c ': in ' "$log" || true) > before)) && break
        sleep 0.02
    done
    grep ': in ' "$log" | tail -1
}
