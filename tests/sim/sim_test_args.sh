# tests/sim/sim_test_args.sh — sourced by the simulator's namespace tests
# (test_sim.sh, test_mda.sh, test_ratelimit.sh): their common start.
#
#   sim_test_start "TOOL..." "$@"
#
# Reads --sim BT-SIM --prober PROBER --score SCORER into SIM, PROBER and
# SCORE (a usage error exits 2), skips (TAP, exit 77) without root, one of
# the TOOLs, the prober or /dev/net/tun, then sources bench/sim_ns.sh (the
# namespace and device set-up shared with the benchmarks).
sim_test_start() {
    local tools=$1 usage="usage: $0 --sim BT-SIM --prober PROBER --score SCORER" tool
    shift
    SIM= PROBER= SCORE=
    while (($#)); do
        case $1 in
        --sim) SIM=$2; shift 2 ;;
        --prober) PROBER=$2; shift 2 ;;
        --score) SCORE=$2; shift 2 ;;
        *) echo "$usage" >&2; exit 2 ;;
        esac
    done
    [[ -n $SIM && -n $PROBER && -n $SCORE ]] || { echo "$usage" >&2; exit 2; }
    if ((EUID != 0)); then
        echo "1..0 # SKIP needs root (namespaces, TUN, raw sockets)"
        exit 77
    fi
    for tool in $tools; do
        command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 77; }
    done
    [[ -x $PROBER ]] || { echo "1..0 # SKIP no prober at $PROBER"; exit 77; }
    [[ -c /dev/net/tun ]] || { echo "1..0 # SKIP no /dev/net/tun"; exit 77; }
    . "$(dirname "${BASH_SOURCE[0]}")/../../bench/sim_ns.sh"
}

# sim_test_ns PREFIX: NS=PREFIX<pid> and a temporary directory TMP, both
# removed on exit (bt-sim stopped); TAP counters n, failed and ok / not_ok.
sim_test_ns() {
    NS=$1$$
    TMP=$(mktemp -d "/tmp/$1.XXXXXX")
    trap 'sim_ns_down "$NS"; rm -rf "$TMP"' EXIT
    trap 'exit 1' INT TERM
    n=0 failed=0
}
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
