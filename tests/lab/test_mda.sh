#!/bin/bash
# test_mda.sh — multipath discovery (MDA) in the lab (doc/lab.md, *Multipath*).
# Brings every topology up at once (a namespace prefix each), runs Debian's scamper
# `tracelb` (confidence 95, icmp-echo and udp-dport) in each VP and, with --ours, our
# prober's `trace --multipath` with the matching method, then scores both against
# the topology's ground truth with mda.py. The labs probe in parallel; inside one
# lab the runs take turns, so that a per-packet balancer's round-robin sees one
# prober at a time.
#
#   test_mda.sh [--ours PROBER] [--table] [--keep DIR] [--methods LIST] TOPO...
#
#   --ours PROBER  also run PROBER trace --lab --multipath --confidence 95 and test
#                  it (same interfaces and links as the truth and tracelb, fewer
#                  probes than tracelb in total); a PROBER without --multipath
#                  fails the test, saying so
#   --table        print mda.py's table (bench/mda_lab.sh) instead of TAP; without
#                  --multipath in PROBER, our columns stay '-'
#   --keep DIR     keep the raw outputs (warts, JSON) in DIR
# TAP on stdout. Exit 0 all passed, 1 a check failed, 77 skipped (not root, or a
# tool is missing).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

ours="" mode=test keep="" methods=icmp-paris,udp-paris topos=()
while (($#)); do
    case $1 in
    --ours) ours=$2; shift 2 ;;
    --table) mode=table; shift ;;
    --keep) keep=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    -*) echo "usage: $0 [--ours PROBER] [--table] [--keep DIR] [--methods LIST] TOPO..." >&2; exit 2 ;;
    *) topos+=("$1"); shift ;;
    esac
done
((${#topos[@]})) || { echo "$0: no topology given" >&2; exit 2; }

if ((EUID != 0)); then
    echo "1..0 # SKIP the lab needs root (network namespaces, raw sockets)"
    exit 77
fi
for tool in ip nft scamper sc_warts2json python3 unshare; do
    command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 77; }
done

# Our side needs the multipath mode (issue 15); say so plainly when it is missing.
if [[ -n $ours ]]; then
    why=""
    [[ $ours == /* || ! -e $ours ]] || ours=$(cd "$(dirname "$ours")" && pwd)/$(basename "$ours")
    if [[ ! -x $ours ]]; then
        why="no prober at '$ours' (build it first)"
    elif ! "$ours" trace --help 2>&1 | grep -q -- '--multipath'; then
        why="'$ours trace' has no --multipath option: the multipath mode (issue 15) is not in this build"
    fi
    if [[ -n $why ]]; then
        if [[ $mode == table ]]; then
            echo "# $why; tracelb only" >&2
            ours=""
        else
            echo "not ok 1 - our multipath mode against tracelb: $why"
            echo "1..1"
            exit 1
        fi
    fi
fi

W=$(mktemp -d)
[[ -z $keep ]] || { mkdir -p "$keep" && W=$(cd "$keep" && pwd); }
prefixes=()
cleanup() {
    local p n
    # Killed (a timeout), a prober may still run in a lab: scamper as pid 1 of its
    # PID namespace ignores SIGTERM, and unshare --fork waits on. End what runs in
    # our own namespaces, then remove them.
    for p in "${prefixes[@]}"; do
        for n in $(ip netns list | awk -v p="$p" 'index($1, p) == 1 {print $1}'); do
            ip netns pids "$n" | xargs -r kill -KILL 2>/dev/null
        done
        LAB_PREFIX=$p "$HERE/lab.sh" down >/dev/null 2>&1
    done
    [[ -n $keep ]] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One method in one lab: tracelb (WHO=tracelb) or our multipath mode (WHO=ours).
probe_method() { # NS METHOD DIR WHO
    local ns=$1 m=$2 d=$3 who=$4 lbm
    case $m in
    icmp-paris) lbm="-P icmp-echo" ;;
    udp-paris) lbm="-P udp-dport" ;;
    *) echo "unknown method $m (icmp-paris, udp-paris)" >&2; return 1 ;;
    esac
    if [[ $who == ours ]]; then
        ip netns exec "$ns" "$ours" trace --lab --multipath --confidence 95 \
            --method "$m" -o "$d/ours-$m.jsonl" $(cat "$d/targets")
        return
    fi
    # Debian's scamper (20211212) ignores tracelb's -s and takes the source port from
    # its pid; as pid 1 of a PID namespace of its own it always uses 32769, so its
    # UDP flows, and the branches they take, are the same every run.
    # Bounded all the same: a tracelb that hangs fails the test instead.
    ip netns exec "$ns" timeout -s KILL 60 unshare --pid --fork --kill-child scamper -p 1000 -O warts \
        -o "$d/tracelb-$m.warts" -c "tracelb $lbm -c 95 -q 2 -w 1 -W 15" -f "$d/targets" ||
        { echo "scamper tracelb $lbm failed or did not end within 60 s" >&2; return 1; }
    sc_warts2json "$d/tracelb-$m.warts" >"$d/tracelb-$m.json"
}

# Everything one lab runs, in its VP namespace: the methods side by side (per-flow
# hashing does not care), except behind a per-packet balancer, whose round-robin
# must see one prober at a time (two interleaved ones could each meet one branch).
probe_lab() { # TOPO PREFIX DIR
    local topo=$1 p=$2 d=$3 ns m rc=0 perpkt="" ttl width
    local -a jobs=()
    ns=$(LAB_PREFIX=$p "$HERE/lab.sh" info "$topo" | awk '$1 == "vp" {print $3}')
    awk '{print $1}' "$d/truth" | sort -u >"$d/targets"
    grep -q '^[[:space:]]*perpacket[[:space:]]' "$topo" && perpkt=1
    # tracelb first, one method after the other, then our prober: with another
    # prober beside it in the VP (ours, or the other tracelb: both scampers are pid
    # 1, so their ICMP identifiers and UDP ports are alike), a tracelb now and then
    # did not end for minutes (mda-diamond8, mda-border; alone each ends within
    # 15 s). Our prober ignores replies that are not its own.
    for who in tracelb ${ours:+ours}; do
        jobs=()
        for m in ${methods//,/ }; do
            if [[ -n $perpkt || $who == tracelb ]]; then
                probe_method "$ns" "$m" "$d" $who || rc=1
            else
                probe_method "$ns" "$m" "$d" $who &
                jobs+=($!)
            fi
        done
        for m in "${jobs[@]}"; do wait "$m" || rc=1; done
    done
    cat "$d"/tracelb-*.json >"$d/scamper.json"
    # Per packet: one flow sent several times at the first TTL with more than one
    # interface must be answered by all of them (mda.py checks oneflow.json).
    # One method after the other, as above.
    if [[ -n $perpkt ]]; then
        read -r ttl width < <(python3 "$HERE/mda.py" widest "$d")
        : >"$d/oneflow.json"
        for m in "-P icmp-paris -d 4096" "-P udp-paris -s 40000 -d 33435"; do
            ip netns exec "$ns" scamper -p 1000 -O warts -o "$d/oneflow.warts" \
                -c "trace $m -Q -q $((2 * width > 10 ? 10 : 2 * width)) -f $ttl -m $ttl -w 1" \
                -f "$d/targets" || rc=1
            sc_warts2json "$d/oneflow.warts" | grep '"type":"trace"' >>"$d/oneflow.json"
        done
    fi
    return $rc
}

start=$(date +%s.%N)
i=0 pids=() dirs=()
for topo in "${topos[@]}"; do
    i=$((i + 1))
    name=$(basename "$topo" .topo)
    p="btm$$-$i-"
    prefixes+=("$p")
    d="$W/$name"
    mkdir -p "$d"
    dirs+=("$d")
    LAB_PREFIX=$p "$HERE/lab.sh" up "$topo" || { echo "not ok 1 - bring up $topo"; exit 1; }
    LAB_PREFIX=$p "$HERE/lab.sh" truth "$topo" >"$d/truth"
    probe_lab "$topo" "$p" "$d" >"$d/log" 2>&1 &
    pids+=($!)
done
rc=0
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
        echo "# probing in ${dirs[$i]##*/} failed:"
        sed 's/^/#   /' "${dirs[$i]}/log"
        rc=1
    fi
done
echo "# ${#topos[@]} labs up and probed in $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s"
((rc == 0)) || { echo "not ok 1 - probing failed"; echo "1..1"; exit 1; }
python3 "$HERE/mda.py" "$mode" ${ours:+--ours} --methods "$methods" "${dirs[@]}"
