#!/bin/bash
# run_lab_tests.sh — run the lab checks for one or more topologies: each is brought up
# under a fresh per-run namespace prefix, checked by compare.py (TAP on stdout), and
# torn down by lab.sh's trap whatever happens.
#
#   run_lab_tests.sh [--prober PATH] [--require-prober] [--methods M1,M2] TOPO...
#
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, or a tool is missing):
# meson's convention, so the lab suite skips cleanly on an unprivileged build.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
args=()
topos=()
while (($#)); do
    case $1 in
    --prober | --methods) args+=("$1" "$2"); shift 2 ;;
    --require-prober) args+=("$1"); shift ;;
    -*) echo "usage: $0 [--prober PATH] [--require-prober] [--methods LIST] TOPO..." >&2; exit 2 ;;
    *) topos+=("$1"); shift ;;
    esac
done
((${#topos[@]})) || { echo "no topology given" >&2; exit 2; }

if ((EUID != 0)); then
    echo "1..0 # SKIP the lab needs root (network namespaces, raw sockets)"
    exit 77
fi
for tool in ip nft tcpdump scamper sc_warts2json python3; do
    command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 77; }
done

rc=0
i=0
for topo in "${topos[@]}"; do
    i=$((i + 1))
    # bt<pid>-<n>-: unique per run and per topology, short enough for namespace names.
    export LAB_PREFIX="bt$$-$i-"
    echo "# === $(basename "$topo") (namespaces $LAB_PREFIX*)"
    "$HERE/lab.sh" run "$topo" python3 "$HERE/compare.py" "${args[@]}" || rc=1
done
exit $rc
