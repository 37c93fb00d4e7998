#!/bin/bash
# scamper_trace.sh — run Debian's scamper, the reference prober, inside a lab namespace
# with the same method and flow as a bordertrace trace, and print its traces as
# JSON Lines (sc_warts2json, "trace" records only) on stdout.
#
#   scamper_trace.sh -n NETNS -P METHOD [-S ICMP_SUM] [-s SPORT] [-d DPORT]
#                    [-q ATTEMPTS] [-w WAIT] [-g GAPLIMIT] [-m MAXTTL] [-p PPS]
#                    TARGET...
#
# METHOD is bordertrace's name; the flow fields map to scamper's as follows:
#   icmp-paris  ->  trace -P icmp-paris -d ICMP_SUM    (-d is the ICMP checksum)
#   udp-paris   ->  trace -P udp-paris  -s SPORT -d DPORT
#   tcp-syn     ->  trace -P tcp        -s SPORT -d DPORT
# Unset flow fields are left to scamper. -S and -s take a comma-separated list to
# trace several flows to each target at once (one scamper task per flow and target,
# run concurrently). -p is scamper's global packets/s (its default of 20 makes a lab
# run needlessly slow).
set -euo pipefail

die() { echo "scamper_trace.sh: $*" >&2; exit 1; }

netns="" method="" sum="" sport="" dport="" attempts=2 wait=1 gap=5 maxttl=32 pps=1000
while getopts "n:P:S:s:d:q:w:g:m:p:" o; do
    case $o in
    n) netns=$OPTARG ;; P) method=$OPTARG ;; S) sum=$OPTARG ;; s) sport=$OPTARG ;;
    d) dport=$OPTARG ;; q) attempts=$OPTARG ;; w) wait=$OPTARG ;; g) gap=$OPTARG ;;
    m) maxttl=$OPTARG ;; p) pps=$OPTARG ;;
    *) die "bad option" ;;
    esac
done
shift $((OPTIND - 1))
(($# >= 1)) || die "no target"

# Safety: only from a lab namespace (never the machine's own), only to test addresses.
[[ -n $netns ]] || die "-n NETNS is required: scamper never runs in the machine's own namespace"
ip netns list | awk '{print $1}' | grep -qx -- "$netns" || die "no network namespace '$netns'"
for t in "$@"; do
    [[ $t =~ ^198\.1[89]\.[0-9]+\.[0-9]+$ || $t =~ ^198\.51\.100\.[0-9]+$ ||
       $t =~ ^203\.0\.113\.[0-9]+$ || ${t,,} =~ ^2001:0?db8: ]] ||
        die "target '$t' is outside the test ranges"
done

opts="-q $attempts -w $wait -g $gap -m $maxttl"
case $method in
icmp-paris) opts="-P icmp-paris $opts"; flows=$sum; flowopt=-d ;;
udp-paris | tcp-syn)
    [[ $method == udp-paris ]] && opts="-P udp-paris $opts" || opts="-P tcp $opts"
    opts+="${dport:+ -d $dport}"; flows=$sport; flowopt=-s ;;
*) die "unknown method '$method' (icmp-paris, udp-paris, tcp-syn)" ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ $flows != *,* ]]; then
    # One flow: one command for all targets, read from a file.
    printf '%s\n' "$@" >"$tmp/targets"
    ip netns exec "$netns" scamper -p "$pps" -O warts -o "$tmp/out.warts" \
        -c "trace $opts${flows:+ $flowopt $flows}" -f "$tmp/targets"
else
    cmds=()
    for f in ${flows//,/ }; do
        for t in "$@"; do cmds+=(-I "trace $opts $flowopt $f $t"); done
    done
    ip netns exec "$netns" scamper -p "$pps" -O warts -o "$tmp/out.warts" "${cmds[@]}"
fi
sc_warts2json "$tmp/out.warts" | grep '"type":"trace"' || true
