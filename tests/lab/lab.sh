#!/bin/bash
# lab.sh — bring a topology described in a small text file (tests/lab/topo/*.topo)
# up and down as network namespaces with real Linux routers, so that probes from the
# prober and from scamper cross real forwarding, TTL expiry and ICMP generation.
# The format is documented in doc/lab.md and at the top of each topology file.
#
#   lab.sh up    TOPO               create namespaces, links, routes, filters
#   lab.sh down  [TOPO]             delete this prefix's namespaces (all of them without TOPO)
#   lab.sh exec  TOPO NODE CMD...   run CMD inside NODE's namespace
#   lab.sh apply-change TOPO NAME   apply the statements of a 'change NAME' block
#   lab.sh run   TOPO CMD...        up, run CMD (LAB_PREFIX exported), then down (trap)
#   lab.sh shell TOPO               up, interactive shell in the VP namespace, then down
#   lab.sh check TOPO               parse only; report the first bad line as file:line
#   lab.sh truth TOPO [CHANGE]      ground truth: "TARGET BRANCH HOP1 HOP2 ..." per line
#   lab.sh info  TOPO               "vp NODE NS ADDR IFACE", "vp6 ADDR6" if dual-stack,
#                                   then "change NAME" per change block
#
# Namespace names are $LAB_PREFIX$NODE; tests set LAB_PREFIX=bt<pid>- so that two runs
# never collide and a trap can remove exactly what this run created.
set -euo pipefail

LAB_PREFIX=${LAB_PREFIX:-btlab-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "lab.sh: $*" >&2; exit 1; }

[[ $LAB_PREFIX =~ ^[a-z][a-z0-9-]{0,15}$ ]] ||
    die "LAB_PREFIX '$LAB_PREFIX' must be [a-z][a-z0-9-]{0,15}"

# ---------------------------------------------------------------------------
# Safety: every address in a topology must be a documentation/benchmark address,
# so a typo can never route lab probes toward a real network.
#   198.18.0.0/15 (RFC 2544), 198.51.100.0/24 and 203.0.113.0/24 (RFC 5737),
#   2001:db8::/32 (RFC 3849).
# ---------------------------------------------------------------------------
OCT='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
is_safe_addr() {
    local a=${1,,}
    [[ $a =~ ^198\.1[89]\.$OCT\.$OCT$ || $a =~ ^198\.51\.100\.$OCT$ ||
       $a =~ ^203\.0\.113\.$OCT$ || $a =~ ^2001:0?db8:[0-9a-f:]*$ ]]
}
# ADDR/PLEN with the prefix length inside the safe block (no /8 that would cover 10/8).
is_safe_prefix() {
    local a=${1%/*} p=${1#*/}
    [[ $1 == */* && $p =~ ^[0-9]+$ ]] || return 1
    is_safe_addr "$a" || return 1
    if [[ $a == *:* ]]; then ((p >= 32 && p <= 128)); else
        case $a in 198.1[89].*) ((p >= 15 && p <= 32)) ;; *) ((p >= 24 && p <= 32)) ;; esac
    fi
}

# ---------------------------------------------------------------------------
# Parsing. One statement per line, words separated by blanks, '#' starts a comment.
# Statements are kept as "PHASE|LINE|words..." (PHASE empty outside change blocks);
# anything wrong is reported as FILE:LINE: message and nothing is created.
# ---------------------------------------------------------------------------
declare -A KIND=()      # node -> router|host
declare -A IFACES=()    # "node/ifname" -> 1, to refuse duplicate interface names
declare -A CHANGES=()   # change name -> 1
declare -A ECMP_N=()    # router -> largest number of ECMP next hops it ever gets
declare -A ECMP_DST=()  # router -> its base ECMP routes' destinations (for 'perpacket')
declare -A PERPKT=()    # router -> line of its 'perpacket': balances every packet round-robin
declare -A SEED=()      # ECMP router -> its hash seed: 1, 2, ... in declaration order
NODES=()
CHANGE_ORDER=()
STMTS=()
VP=""
VP_ADDR=""
VP_ADDR6=""
VP_IF=""
TOPO=""

perr() { echo "$TOPO:$1: $2" >&2; exit 2; }

need_node() { # LINE NAME
    [[ -n ${KIND[$2]:-} ]] || perr "$1" "unknown node '$2' (declare it with 'router' or 'host' first)"
}

# Expand "198.18.200.1-200/32" into one ADDR/PLEN per line; plain "A/P" as is.
expand_range() {
    local spec=$1 plen="" base
    [[ $spec == */* ]] && plen=/${spec#*/} && spec=${spec%/*}
    if [[ $spec =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.([0-9]+)-([0-9]+)$ ]]; then
        local i
        for ((i = BASH_REMATCH[2]; i <= BASH_REMATCH[3]; i++)); do
            echo "${BASH_REMATCH[1]}.$i$plen"
        done
    else
        echo "$spec$plen"
    fi
}

check_range() { # LINE SPEC [needplen]
    local spec=$2 a
    if [[ ${spec%/*} =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.([0-9]+)-([0-9]+)$ ]]; then
        ((BASH_REMATCH[2] <= BASH_REMATCH[3] && BASH_REMATCH[3] <= 255)) ||
            perr "$1" "bad address range '$spec'"
    fi
    for a in $(expand_range "$spec"); do
        if [[ ${3:-} == needplen ]]; then
            is_safe_prefix "$a" || perr "$1" "'$a' is not ADDR/PLEN inside 198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24 or 2001:db8::/32"
        else
            is_safe_addr "$a" || perr "$1" "'$a' is not an address inside 198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24 or 2001:db8::/32"
        fi
    done
}

parse() {
    TOPO=$1
    [[ -r $TOPO ]] || die "cannot read topology '$TOPO'"
    local n=0 line phase="" name
    local -a w
    while IFS= read -r line || [[ -n $line ]]; do
        n=$((n + 1))
        line=${line%%#*}
        read -ra w <<<"$line" || true
        ((${#w[@]})) || continue
        local nw=${#w[@]}
        case ${w[0]} in
        router | host)
            ((nw == 2)) || perr $n "usage: ${w[0]} NAME"
            [[ -z $phase ]] || perr $n "'${w[0]}' is not allowed inside a change block"
            name=${w[1]}
            # Short names: the namespace is PREFIX+NAME and an interface is named after
            # its peer node, and Linux interface names stop at 15 characters.
            [[ $name =~ ^[a-z][a-z0-9]{0,9}$ ]] || perr $n "node name '$name' must be [a-z][a-z0-9]{0,9}"
            [[ -z ${KIND[$name]:-} ]] || perr $n "node '$name' declared twice"
            KIND[$name]=${w[0]}
            NODES+=("$name")
            ;;
        vp)
            ((nw == 2)) || perr $n "usage: vp NODE"
            need_node $n "${w[1]}"
            [[ -z $VP ]] || perr $n "only one 'vp' statement is allowed"
            [[ ${KIND[${w[1]}]} == host ]] || perr $n "the vp must be a host, not a router"
            VP=${w[1]}
            ;;
        link)
            ((nw == 5)) || perr $n "usage: link NODE1 ADDR1/PLEN NODE2 ADDR2/PLEN"
            [[ -z $phase ]] || perr $n "'link' is not allowed inside a change block"
            need_node $n "${w[1]}"; need_node $n "${w[3]}"
            [[ ${w[1]} != "${w[3]}" ]] || perr $n "a link needs two different nodes"
            check_range $n "${w[2]}" needplen; check_range $n "${w[4]}" needplen
            [[ -z ${IFACES[${w[1]}/${w[3]}]:-} ]] || perr $n "second link between ${w[1]} and ${w[3]} (interfaces are named after the peer node)"
            IFACES[${w[1]}/${w[3]}]=1; IFACES[${w[3]}/${w[1]}]=1
            ;;
        addr)
            # addr NODE IFACE SPEC...: IFACE is lo, a link's interface (named after the
            # peer), or a new name, which becomes a dummy interface.
            ((nw >= 4)) || perr $n "usage: addr NODE IFACE ADDR/PLEN|A.B.C.X-Y/PLEN ..."
            [[ -z $phase ]] || perr $n "'addr' is not allowed inside a change block"
            need_node $n "${w[1]}"
            [[ ${w[2]} =~ ^[a-z][a-z0-9]{0,9}$ ]] || perr $n "bad interface name '${w[2]}'"
            [[ ${w[2]} == lo ]] || IFACES[${w[1]}/${w[2]}]=1
            local s
            for s in "${w[@]:3}"; do check_range $n "$s" needplen; done
            ;;
        route)
            # route NODE DEST via GW [GW ...]   — several gateways = per-flow ECMP
            ((nw >= 5)) && [[ ${w[3]} == via ]] || perr $n "usage: route NODE DEST|default via GW [GW ...]"
            need_node $n "${w[1]}"
            [[ ${w[2]} == default ]] || is_safe_prefix "${w[2]}" ||
                perr $n "route destination '${w[2]}' must be 'default' or ADDR/PLEN inside the test ranges"
            local g
            for g in "${w[@]:4}"; do
                is_safe_addr "$g" || perr $n "gateway '$g' is not inside the test ranges"
            done
            if ((nw > 5)); then
                [[ ${KIND[${w[1]}]} == router ]] || perr $n "ECMP (several gateways) only on a router"
                ((nw - 4 > ${ECMP_N[${w[1]}]:-0})) && ECMP_N[${w[1]}]=$((nw - 4))
                ((nw - 4 <= 8)) || perr $n "at most 8 ECMP next hops"
                [[ -n $phase ]] || ECMP_DST[${w[1]}]+=" ${w[2]}"
            fi
            ;;
        perpacket)
            ((nw == 2)) || perr $n "usage: perpacket ROUTER"
            [[ -z $phase ]] || perr $n "'perpacket' is not allowed inside a change block"
            need_node $n "${w[1]}"
            [[ ${KIND[${w[1]}]} == router ]] || perr $n "'perpacket' needs a router, not a host"
            PERPKT[${w[1]}]=$n
            ;;
        silent | noanswer)
            ((nw == 2 || nw == 3)) || perr $n "usage: ${w[0]} NODE [on|off]"
            need_node $n "${w[1]}"
            [[ $nw == 2 || ${w[2]} == on || ${w[2]} == off ]] || perr $n "usage: ${w[0]} NODE [on|off]"
            ;;
        sysctl)
            ((nw == 3)) && [[ ${w[2]} =~ ^net\.[a-z0-9_./-]+=[^=]+$ ]] || perr $n "usage: sysctl NODE net.KEY=VALUE"
            need_node $n "${w[1]}"
            ;;
        truth)
            # truth TARGET[-RANGE] [BRANCH] : HOP HOP ...   ('*' silent hop, 'dst' = TARGET)
            local colon=0 i
            for ((i = 1; i < nw; i++)); do [[ ${w[i]} == : ]] && colon=$i && break; done
            ((colon == 2 || colon == 3)) && ((nw > colon + 1)) ||
                perr $n "usage: truth TARGET [BRANCH] : HOP1 HOP2 ... (HOP = address, '*' or 'dst')"
            check_range $n "${w[1]}"
            ((colon == 2)) || [[ ${w[2]} =~ ^[a-z0-9_]+$ ]] || perr $n "bad branch name '${w[2]}'"
            for ((i = colon + 1; i < nw; i++)); do
                [[ ${w[i]} == '*' || ${w[i]} == dst ]] || is_safe_addr "${w[i]}" ||
                    perr $n "hop '${w[i]}' must be an address in the test ranges, '*' or 'dst'"
            done
            ;;
        change)
            ((nw == 2)) && [[ ${w[1]} =~ ^[a-z0-9_-]+$ ]] || perr $n "usage: change NAME"
            [[ -z $phase ]] || perr $n "change blocks do not nest (missing 'end'?)"
            [[ -z ${CHANGES[${w[1]}]:-} ]] || perr $n "change '${w[1]}' defined twice"
            phase=${w[1]}; CHANGES[$phase]=1; CHANGE_ORDER+=("$phase")
            continue
            ;;
        end)
            ((nw == 1)) || perr $n "usage: end"
            [[ -n $phase ]] || perr $n "'end' without 'change'"
            phase=""
            continue
            ;;
        *)
            perr $n "unknown statement '${w[0]}'"
            ;;
        esac
        STMTS+=("$phase|$n|${w[*]}")
    done <"$TOPO"
    [[ -z $phase ]] || perr $n "change '$phase' has no 'end'"
    [[ -n $VP ]] || perr $n "no 'vp NODE' statement: which host do probes leave from?"
    # The VP's address: the first address it gets on a link (the prober's source).
    local s
    for s in "${STMTS[@]}"; do
        read -ra w <<<"${s#*|*|}"
        if [[ ${w[0]} == link ]]; then
            [[ ${w[1]} == "$VP" ]] && VP_ADDR=${w[2]%/*} && break
            [[ ${w[3]} == "$VP" ]] && VP_ADDR=${w[4]%/*} && break
        fi
    done
    [[ -n $VP_ADDR ]] || perr $n "the vp '$VP' has no link"
    local r k=0
    for r in "${!PERPKT[@]}"; do
        [[ -n ${ECMP_DST[$r]:-} ]] || perr "${PERPKT[$r]}" "perpacket router '$r' has no ECMP route (a route with several gateways)"
        [[ " ${ECMP_DST[$r]} " != *" default "* ]] ||
            perr "${PERPKT[$r]}" "perpacket router '$r': a default ECMP route cannot be told from the replies; give the prefix"
    done
    # Each ECMP router hashes with a seed of its own: with one seed everywhere, a
    # router behind another (nested or meshed diamonds) would choose as its upstream
    # did, and some of its next hops would never see a flow.
    for r in "${NODES[@]}"; do [[ -z ${ECMP_N[$r]:-} ]] || SEED[$r]=$((++k)); done
    VP_IF=${w[3]}; [[ ${w[1]} == "$VP" ]] || VP_IF=${w[1]}   # named after the peer
    # Its IPv6 source, if the topology is dual-stack: the first IPv6 address it gets.
    local a
    for s in "${STMTS[@]}"; do
        read -ra w <<<"${s#*|*|}"
        case ${w[0]} in
        link) [[ ${w[1]} == "$VP" ]] && a=${w[2]} || a=${w[4]}
              [[ ${w[1]} == "$VP" || ${w[3]} == "$VP" ]] || continue
              [[ $a == *:* ]] && VP_ADDR6=${a%/*} && break ;;
        addr) [[ ${w[1]} == "$VP" ]] || continue
              for a in "${w[@]:3}"; do [[ $a == *:* ]] && VP_ADDR6=${a%/*} && break 2; done ;;
        esac
    done
    return 0
}

# ---------------------------------------------------------------------------
# Bringing it up.
# ---------------------------------------------------------------------------
ns() { echo "$LAB_PREFIX$1"; }
nsx() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }

# Sysctls every node gets, and those only routers get. Each namespace has its own
# copy of these (checked on the 6.x kernels we run on), so nothing leaks to the host.
setup_node() {
    local n=$1 N
    N=$(ns "$n")
    ip netns add "$N"
    ip -n "$N" link set lo up
    # No ICMP rate limiting anywhere: a trace sends bursts of probes, and a rate-limited
    # time-exceeded or port-unreachable would look like a silent hop.
    nsx "$n" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 \
        net.ipv4.icmp_msgs_burst=100000
    # Asymmetric return paths (diamond) must not be dropped by reverse-path filtering.
    nsx "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
    # IPv6 likewise; no duplicate-address detection (an address still "tentative"
    # when a test starts would drop its first probes) and no router advertisements
    # (routes come from the topology only). Set before any interface exists, so the
    # 'default' values reach every veth, dummy and lo.
    nsx "$n" sysctl -qw net.ipv6.icmp.ratelimit=0 net.ipv6.conf.all.accept_dad=0 \
        net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_ra=0 \
        net.ipv6.conf.default.accept_ra=0
    if [[ ${KIND[$n]} == router ]]; then
        nsx "$n" sysctl -qw net.ipv4.ip_forward=1
        nsx "$n" sysctl -qw net.ipv6.conf.all.forwarding=1
        # Per-flow ECMP on the 5-tuple, for both families; a fixed seed makes
        # flow->branch reproducible (IPv6 uses the same seed sysctl).
        nsx "$n" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1
        nsx "$n" sysctl -qw net.ipv4.fib_multipath_hash_seed="${SEED[$n]:-1}" 2>/dev/null || true
        # Time-exceeded comes from the interface the probe arrived on, as on most
        # real routers, so the hop address names the branch a probe took even when
        # the reply goes back another way.
        nsx "$n" sysctl -qw net.ipv4.icmp_errors_use_inbound_ifaddr=1
    fi
    # One nftables table per namespace; 'silent' and 'noanswer' fill its chains.
    nsx "$n" nft -f - <<'EOF'
table inet lab {
    chain silent { }
    chain noanswer { }
    chain output {
        type filter hook output priority 0; policy accept;
        jump silent
        jump noanswer
    }
}
EOF
}

do_link() { # A ADDR_A B ADDR_B ; interface in A is named B and vice versa
    local a=$1 aa=$2 b=$3 ba=$4
    ip -n "$(ns "$a")" link add name "$b" type veth peer name "$a" netns "$(ns "$b")"
    ip -n "$(ns "$a")" addr add "$aa" dev "$b" $([[ $aa == *:* ]] && echo nodad)
    ip -n "$(ns "$b")" addr add "$ba" dev "$a" $([[ $ba == *:* ]] && echo nodad)
    ip -n "$(ns "$a")" link set dev "$b" up
    ip -n "$(ns "$b")" link set dev "$a" up
}

do_addr() { # NODE IFNAME SPEC...
    local n=$1 ifn=$2 s a
    shift 2
    if ! ip -n "$(ns "$n")" link show dev "$ifn" >/dev/null 2>&1; then
        ip -n "$(ns "$n")" link add name "$ifn" type dummy ||
            die "cannot create dummy interface $ifn (kernel without dummy support? use 'lo')"
    fi
    # One batch: the 'many' topology puts 200 addresses on one interface.
    for s in "$@"; do
        for a in $(expand_range "$s"); do
            if [[ $a == *:* ]]; then echo "addr add $a dev $ifn nodad"; else echo "addr add $a dev $ifn"; fi
        done
    done | ip -n "$(ns "$n")" -batch -
    ip -n "$(ns "$n")" link set dev "$ifn" up
}

# ECMP for ICMP. Linux's multipath hash (policy 1) does not look at the ICMP checksum,
# which is the field Paris traceroute keeps constant per flow and real load balancers
# hash (it sits where the ports are). So on a router with ECMP routes, ICMP is balanced
# by nftables: mark = 1 + jhash(saddr . daddr . ICMP type/code/checksum) mod N, and
# 'ip rule fwmark K' sends it to table 100+K, which holds the K-th next hop only.
# UDP and TCP keep using the kernel's own per-flow ECMP.
setup_icmp_ecmp() { # ROUTER N
    local n=$1 k=$2 i seed=${SEED[$1]}
    nsx "$n" nft -f - <<EOF
table ip labecmp {
    chain pre {
        type filter hook prerouting priority mangle; policy accept;
        ip protocol icmp icmp type echo-request meta mark set jhash ip saddr . ip daddr . @th,0,32 mod $k seed $seed offset 1
    }
}
table ip6 labecmp {
    chain pre {
        type filter hook prerouting priority mangle; policy accept;
        meta l4proto ipv6-icmp icmpv6 type echo-request meta mark set jhash ip6 saddr . ip6 daddr . @th,0,32 mod $k seed $seed offset 1
    }
}
EOF
    mark_rules "$n" "$k"
}

mark_rules() { # ROUTER N: fwmark K -> table 100+K (the K-th next hop), both families
    local n=$1 k=$2 i
    for ((i = 1; i <= k; i++)); do
        ip -n "$(ns "$n")" rule add fwmark $i lookup $((100 + i)) pref $((1000 + i))
        ip -n "$(ns "$n")" -6 rule add fwmark $i lookup $((100 + i)) pref $((1000 + i))
    done
}

# Per-packet load balancing ('perpacket ROUTER'). Linux routes no longer spread
# packets one by one, so every packet toward one of the router's base ECMP
# destinations, whatever its protocol and flow, gets the next mark of a round-robin
# counter (numgen inc: 1, 2, ..., N, 1, ...) and goes to that mark's next hop. Only
# those destinations count, so the replies crossing the router back do not move
# the counter; one flow sent twice takes two next hops.
setup_perpacket() { # ROUTER N
    local n=$1 k=$2 d v4="" v6=""
    for d in ${ECMP_DST[$n]}; do
        if [[ $d == *:* ]]; then v6+="${v6:+, }$d"; else v4+="${v4:+, }$d"; fi
    done
    {
        echo "table inet labecmp {"
        echo "  chain pre {"
        echo "    type filter hook prerouting priority mangle; policy accept;"
        [[ -z $v4 ]] || echo "    ip daddr { $v4 } meta mark set numgen inc mod $k offset 1"
        [[ -z $v6 ]] || echo "    ip6 daddr { $v6 } meta mark set numgen inc mod $k offset 1"
        echo "  }"
        echo "}"
    } | nsx "$n" nft -f -
    mark_rules "$n" "$k"
}

do_route() { # NODE DEST GW...
    local n=$1 dest=$2 N i k
    shift 2
    N=$(ns "$n")
    if (($# == 1)); then
        ip -n "$N" route replace "$dest" via "$1"
    else
        local -a hops=()
        for i in "$@"; do hops+=(nexthop via "$i"); done
        ip -n "$N" route replace "$dest" "${hops[@]}"
    fi
    # Keep the ICMP tables in step: the K-th next hop in table 100+K (the first one if
    # this route has fewer next hops than the router's widest ECMP route; a single
    # path therefore stays a single path for ICMP too).
    k=${ECMP_N[$n]:-0}
    local -a gw=("$@")
    for ((i = 1; i <= k; i++)); do
        ip -n "$N" route replace "$dest" via "${gw[(i - 1) % $#]}" table $((100 + i))
    done
}

do_filter() { # silent|noanswer NODE on|off
    local what=$1 n=$2 onoff=${3:-on}
    nsx "$n" nft flush chain inet lab "$what"
    [[ $onoff == on ]] || return 0
    if [[ $what == silent ]]; then
        # A router that forwards but never says "time exceeded".
        nsx "$n" nft add rule inet lab silent icmp type time-exceeded drop
        nsx "$n" nft add rule inet lab silent icmpv6 type time-exceeded drop
    else
        # A destination that answers nothing: no echo reply, no port unreachable,
        # no TCP RST or SYN-ACK.
        nsx "$n" nft add rule inet lab noanswer icmp type '{ echo-reply, destination-unreachable }' drop
        nsx "$n" nft add rule inet lab noanswer icmpv6 type '{ echo-reply, destination-unreachable }' drop
        nsx "$n" nft add rule inet lab noanswer tcp flags rst drop
        nsx "$n" nft add rule inet lab noanswer 'tcp flags & (syn | ack) == syn | ack' drop
    fi
}

# Run the action statements (route, silent, noanswer, sysctl) of one phase.
apply_phase() {
    local phase=$1 s p
    local -a w
    for s in "${STMTS[@]}"; do
        p=${s%%|*}
        [[ $p == "$phase" ]] || continue
        read -ra w <<<"${s#*|*|}"
        case ${w[0]} in
        route) do_route "${w[1]}" "${w[2]}" "${w[@]:4}" ;;
        silent | noanswer) do_filter "${w[0]}" "${w[1]}" "${w[2]:-on}" ;;
        sysctl) nsx "${w[1]}" sysctl -qw "${w[2]}" ;;
        esac
    done
}

cmd_up() {
    local s n
    local -a w
    for n in "${NODES[@]}"; do
        ! ip netns list | awk '{print $1}' | grep -qx -- "$(ns "$n")" || die "namespace $(ns "$n") already exists (another run with LAB_PREFIX=$LAB_PREFIX?)"
    done
    # A half-built lab is worse than none: the EXIT trap tears down whatever was
    # created if any step fails (set -e) before UP_DONE is set.
    UP_DONE=""
    for n in "${NODES[@]}"; do setup_node "$n"; done
    for s in "${STMTS[@]}"; do
        read -ra w <<<"${s#*|*|}"
        case ${w[0]} in
        link) do_link "${w[1]}" "${w[2]}" "${w[3]}" "${w[4]}" ;;
        addr) do_addr "${w[1]}" "${w[2]}" "${w[@]:3}" ;;
        esac
    done
    # LAB_KERNEL_ICMP_ECMP=1 leaves ICMP to the kernel's hash (to show why we don't).
    if [[ -z ${LAB_KERNEL_ICMP_ECMP:-} ]]; then
        for n in "${!ECMP_N[@]}"; do
            [[ -n ${PERPKT[$n]:-} ]] || setup_icmp_ecmp "$n" "${ECMP_N[$n]}"
        done
    fi
    for n in "${!PERPKT[@]}"; do setup_perpacket "$n" "${ECMP_N[$n]}"; done
    apply_phase ""
    UP_DONE=1
}

cmd_down() {
    local N pids
    local -a all
    mapfile -t all < <(ip netns list | awk '{print $1}')
    for N in "${all[@]}"; do
        if [[ -n $TOPO ]]; then
            [[ -n ${KIND[${N#"$LAB_PREFIX"}]:-} && $N == "$LAB_PREFIX"* ]] || continue
        else
            [[ $N == "$LAB_PREFIX"* ]] || continue
        fi
        # Stop what a failed test left running in there (tcpdump, scamper, the prober):
        # these are our own processes, found by namespace and ended by pid.
        pids=$(ip netns pids "$N" 2>/dev/null || true)
        [[ -z $pids ]] || kill $pids 2>/dev/null || true
        ip netns del "$N" 2>/dev/null || true
    done
}

# Ground truth of one phase: base 'truth' lines, with those of the change block
# replacing every base line for the same target. Ranges expanded, 'dst' substituted.
cmd_truth() {
    local phase=${1:-} s p t
    local -a w
    declare -A override=()
    if [[ -n $phase ]]; then
        [[ -n ${CHANGES[$phase]:-} ]] || die "no change '$phase' in $TOPO"
        for s in "${STMTS[@]}"; do
            read -ra w <<<"${s#*|*|}"
            [[ ${s%%|*} == "$phase" && ${w[0]} == truth ]] || continue
            for t in $(expand_range "${w[1]}"); do override[$t]=1; done
        done
    fi
    for s in "${STMTS[@]}"; do
        p=${s%%|*}
        read -ra w <<<"${s#*|*|}"
        [[ ${w[0]} == truth ]] || continue
        local branch=- hops
        if [[ ${w[2]} == : ]]; then hops=("${w[@]:3}"); else branch=${w[2]}; hops=("${w[@]:4}"); fi
        for t in $(expand_range "${w[1]}"); do
            if [[ -z $p ]]; then
                [[ -z ${override[$t]:-} ]] || continue
            else
                [[ $p == "$phase" ]] || continue
            fi
            local out=("$t" "$branch") h
            for h in "${hops[@]}"; do [[ $h == dst ]] && out+=("$t") || out+=("$h"); done
            echo "${out[*]}"
        done
    done
}

UP_DONE=1          # nothing half-built yet
ALWAYS_DOWN=""     # run/shell: tear down on every exit
on_exit() {
    local rc=$?
    if [[ -n $ALWAYS_DOWN ]]; then
        cmd_down
    elif [[ -z $UP_DONE ]]; then
        echo "lab.sh: bringing up $TOPO failed; removing ${LAB_PREFIX}* namespaces" >&2
        cmd_down
    fi
    exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM    # so that the EXIT trap runs on ^C and kill too

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 1
}

(($# >= 1)) || usage
cmd=$1
shift
case $cmd in
down)
    (($# == 0)) || parse "$1"
    cmd_down
    ;;
up | check | truth | info | exec | apply-change | run | shell)
    (($# >= 1)) || usage
    parse "$1"
    shift
    case $cmd in
    up) cmd_up ;;
    check) echo "$TOPO: ok (${#NODES[@]} nodes, ${#CHANGE_ORDER[@]} change blocks)" ;;
    truth) cmd_truth "${1:-}" ;;
    info)
        echo "vp $VP $(ns "$VP") $VP_ADDR $VP_IF"
        [[ -z $VP_ADDR6 ]] || echo "vp6 $VP_ADDR6"
        for s in "${CHANGE_ORDER[@]}"; do echo "change $s"; done
        ;;
    exec)
        (($# >= 2)) || usage
        need_node "-" "$1"
        n=$1
        shift
        nsx "$n" "$@"
        ;;
    apply-change)
        (($# == 1)) || usage
        [[ -n ${CHANGES[$1]:-} ]] || die "no change '$1' in $TOPO"
        apply_phase "$1"
        ;;
    run | shell)
        [[ $cmd == shell ]] || (($# >= 1)) || usage
        ALWAYS_DOWN=1
        cmd_up
        export LAB_PREFIX LAB_TOPO=$TOPO
        rc=0
        if [[ $cmd == run ]]; then
            "$@" || rc=$?
        else
            echo "lab up: namespaces ${LAB_PREFIX}*; this shell runs in $(ns "$VP") ($VP_ADDR). exit to tear down." >&2
            nsx "$VP" "${SHELL:-/bin/bash}" || rc=$?
        fi
        exit $rc
        ;;
    esac
    ;;
*) usage ;;
esac
