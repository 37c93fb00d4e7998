#!/bin/bash
# test_run.sh — bordertrace-probe run in the namespace lab (many.topo: 200
# targets behind two routers). TAP on stdout. Checks:
#   - rounds on schedule: complete round files, ids = aligned slot, records
#     right (ids, truth), no temporary file left;
#   - kill -9 at random moments: never a partial file under a final name, and
#     every complete round stays byte for byte; restarted, the runner removes
#     the stale temporary files and completes the finite schedule;
#   - SIGTERM and SIGINT during a round: exit within 2 s, status 0, nothing
#     written for the interrupted round;
#   - SIGHUP: a good reload applies at the next round, a bad one is logged
#     and the old campaign goes on;
#   - the rate: tcpdump in the VP namespace; no 1 s window above rate + 5%,
#     and no burst (10 ms windows);
#   - IPv6 targets in a campaign: probed with the IPv4 ones; many.topo has
#     no IPv6, so they end as errors (no route: nothing is sent) and the
#     IPv4 ones are the truth as usual.
#
#   test_run.sh [--part main|rate] PROBER   (root; exit 77 otherwise)
#
# --part rate runs check 6 only, --part main all the others (each in a lab of
# its own): the rate is measured alone (meson runs that part by itself, as
# a loaded machine must not decide it), the rest beside other tests.
#
# Safety: every probe leaves from the lab's VP namespace (per-run prefix,
# removed by lab.sh's trap) toward 198.18.200.0/24 only; the campaigns say
# lab = true, so the prober itself refuses anything outside the test ranges.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/../lab/lab.sh
TOPO=$HERE/../lab/topo/many.topo

if [[ ${1:-} != --inner ]]; then
    PART=all
    if [[ ${1:-} == --part ]]; then
        PART=${2:-}
        shift 2
    fi
    [[ $PART == all || $PART == main || $PART == rate ]] || { echo "usage: $0 [--part main|rate] PROBER" >&2; exit 2; }
    PROBER=${1:?usage: $0 [--part main|rate] PROBER}
    if ((EUID != 0)); then
        echo "1..0 # SKIP needs root (namespaces, raw sockets)"
        exit 77
    fi
    for t in ip tcpdump python3; do
        command -v $t >/dev/null || { echo "1..0 # SKIP $t is not installed"; exit 77; }
    done
    [[ -x $PROBER ]] || { echo "1..0 # SKIP no prober at $PROBER"; exit 77; }
    export LAB_PREFIX="btc$$-"
    exec "$LAB" run "$TOPO" "$0" --inner "$(readlink -f "$PROBER")" "$PART"
fi
PROBER=$2 PART=$3
# part NAME: whether this run includes that part's checks
part() { [[ $PART == all || $PART == "$1" ]]; }
VPNS=${LAB_PREFIX}vp
T=$(mktemp -d /tmp/btcampaign.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; local l; for l in "$@"; do echo "#   $l"; done; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

for i in $(seq 1 200); do echo "198.18.200.$i"; done >"$T/targets.txt"
printf '# the lab excludes nothing real; this line proves the list is read\n198.18.201.0/24\n' >"$T/optout.txt"

# campaign NAME FILE KEY=VALUE... : writes a lab campaign
campaign() {
    local name=$1 file=$2
    shift 2
    {
        echo "name = \"$name\"; vp = \"vp-lab\";"
        echo "targets = [\"targets.txt\"]; exclude = \"optout.txt\"; lab = true;"
        echo "method = \"icmp-paris\"; max_ttl = 6; attempts = 1; wait = 0.2; gap_limit = 2;"
        echo "output = \"out\"; progress = 1;"
        local kv
        for kv in "$@"; do echo "$kv;"; done
    } >"$file"
}
# start CAMPAIGN LOG: the runner in the VP namespace, in the background
start() {
    ip netns exec "$VPNS" "$PROBER" run "$1" >>"$2" 2>&1 &
    PID=$!
    PIDS+=("$PID")
}
finals() { find "$1" -maxdepth 1 -name '*.jsonl' ! -name '.*' | wc -l; }
temps() { find "$1" -maxdepth 1 -name '.*.tmp.*' | wc -l; }

echo "# namespaces ${LAB_PREFIX}*, work dir $T"
T0=$SECONDS

# Checks 1-5 and 7 are part "main", 6 part "rate" (not indented: heredocs).
if part main; then
# 1. rounds on schedule, finite ---------------------------------------------
campaign sched "$T/sched.campaign" 'rate = 2000' 'schedule = { interval = 1; rounds = 3; }'
t1=$SECONDS
ip netns exec "$VPNS" "$PROBER" run "$T/sched.campaign" >"$T/sched.log" 2>&1
rc=$?
D=$T/out/sched/vp-lab
check "finite schedule: exits 0 after 3 rounds ($((SECONDS - t1)) s)" [ $rc -eq 0 -a "$(finals "$D")" -eq 3 ]
if python3 "$HERE/check_rounds.py" "$D" --targets 200 --campaign sched --vp vp-lab --hops >"$T/sums1" 2>"$T/chk"; then
    ok "3 round files, 200 records each, ids = file name, hops = truth"
else
    nok "round files" "$(head -3 "$T/chk")"
fi
check "no temporary file left" [ "$(temps "$D")" -eq 0 ]
check "a summary line per round" [ "$(grep -c 'round .*: 200 targets, 200 traces, .* probes, .* replies, .* foreign replies ignored, .* pcap drops' "$T/sched.log")" -eq 3 ]
check "lab mode on, nothing excluded from the 200 lab targets" grep -q '200 targets (0 special-purpose or outside the test ranges, 0 excluded' "$T/sched.log"
# consecutive slots, one second apart
python3 - "$D" <<'PY' && ok "round ids are consecutive aligned 1 s slots" || nok "round ids are consecutive aligned 1 s slots" "$(ls "$D")"
import os, sys, datetime
names = sorted(n for n in os.listdir(sys.argv[1]) if not n.startswith("."))
ts = [datetime.datetime.strptime(n[:20], "%Y-%m-%dT%H:%M:%SZ") for n in names]
sys.exit(0 if all((b - a).total_seconds() >= 1 for a, b in zip(ts, ts[1:])) and len(ts) == 3 else 1)
PY
# running again: the schedule is complete, nothing to do
ip netns exec "$VPNS" "$PROBER" run "$T/sched.campaign" >"$T/sched2.log" 2>&1
rc=$?
grep -q 'all 3 rounds complete' "$T/sched2.log" && said=1 || said=0
check "rerun of a complete finite schedule probes nothing" [ $rc -eq 0 -a "$(finals "$D")" -eq 3 -a $said -eq 1 ]
grep -h 'round .*: 200 targets' "$T/sched.log" | head -1 | sed 's/^/# /'

# 2. kill -9 at random moments ----------------------------------------------
# rounds of ~1 s (600 probes at 600/s) every 2 s: kills land in rounds,
# between rounds, in the commit.
campaign crash "$T/crash.campaign" 'rate = 600' 'schedule = { interval = 2; }'
D=$T/out/crash/vp-lab
: >"$T/crash.log"
kills=0 partial=0 changed=0
for i in 1 2 3 4 5 6 7; do
    start "$T/crash.campaign" "$T/crash.log"
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.4 + (r % 2600) / 1000 }')"
    kill -9 "$PID"
    wait "$PID" 2>/dev/null
    kills=$((kills + 1))
    # every complete round is intact, and earlier ones unchanged
    if ! python3 "$HERE/check_rounds.py" "$D" --targets 200 --campaign crash --vp vp-lab >"$T/sums" 2>>"$T/crashchk"; then
        partial=$((partial + 1))
    fi
    [[ -f $T/sums.prev ]] && [[ $(comm -23 <(sort "$T/sums.prev") <(sort "$T/sums") | wc -l) -gt 0 ]] && changed=$((changed + 1))
    cp "$T/sums" "$T/sums.prev"
done
nfin=$(finals "$D") ntmp=$(temps "$D")
check "kill -9 x$kills: no partial file under a final name" [ $partial -eq 0 ]
[[ $partial -eq 0 ]] || sed 's/^/#   /' "$T/crashchk" | head -5
check "kill -9 x$kills: every complete round kept byte for byte" [ $changed -eq 0 ]
echo "# after $kills kills: $nfin complete rounds, $ntmp stale temporary files"
# restart with a finite schedule: two more rounds
want=$((nfin + 2))
ip netns exec "$VPNS" "$PROBER" run --rounds "$want" "$T/crash.campaign" >"$T/resume.log" 2>&1
rc=$?
check "resume: exit 0 with $want complete rounds" [ $rc -eq 0 -a "$(finals "$D")" -eq "$want" ]
check "resume: stale temporary files removed ($ntmp)" [ "$(temps "$D")" -eq 0 ]
if [[ $ntmp -gt 0 ]]; then
    check "resume: the removal was logged" grep -q "removed $ntmp unfinished round file" "$T/resume.log"
fi
python3 "$HERE/check_rounds.py" "$D" --targets 200 --campaign crash --vp vp-lab --hops >"$T/sums" 2>"$T/chk"
rc=$?
check "resume: all rounds valid and the earlier ones unchanged" \
    [ $rc -eq 0 -a "$(comm -23 <(sort "$T/sums.prev") <(sort "$T/sums") | wc -l)" -eq 0 ]

# 3. signals during a round -------------------------------------------------
for sig in TERM INT; do
    campaign "sig$sig" "$T/sig$sig.campaign" 'rate = 300' 'schedule = { interval = 1; }'
    D=$T/out/sig$sig/vp-lab
    : >"$T/sig.log"
    start "$T/sig$sig.campaign" "$T/sig.log"
    # wait until a round is under way (its temporary file exists)
    for _ in $(seq 400); do [[ -d $D && $(temps "$D") -gt 0 ]] && break; sleep 0.05; done
    sleep 0.3
    had_tmp=$(temps "$D")
    ts=$(date +%s.%N)
    kill -$sig "$PID"
    wait "$PID"
    rc=$?
    el=$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    fast=$(awk -v e="$el" 'BEGIN { print (e < 2) }')
    grep -q 'unfinished round was not written' "$T/sig.log" && said=1 || said=0
    check "SIG$sig mid-round: exit 0 within 2 s (${el} s), round dropped, no file left" \
        [ $rc -eq 0 -a "$had_tmp" -eq 1 -a "$(temps "$D")" -eq 0 -a "$(finals "$D")" -eq 0 -a "$fast" -eq 1 -a $said -eq 1 ]
done

# 4. SIGHUP -----------------------------------------------------------------
campaign hup "$T/hup.campaign" 'rate = 4000' 'schedule = { interval = 1; }'
D=$T/out/hup/vp-lab
: >"$T/hup.log"
start "$T/hup.campaign" "$T/hup.log"
for _ in $(seq 400); do [[ -d $D && $(finals "$D") -ge 1 ]] && break; sleep 0.05; done
# good reload: two flows per target from the next round on
campaign hup "$T/hup.campaign" 'rate = 4000' 'flows = 2' 'schedule = { interval = 1; }'
kill -HUP "$PID"
for _ in $(seq 400); do grep -q 'reloaded' "$T/hup.log" && break; sleep 0.05; done
base=$(finals "$D")
for _ in $(seq 400); do (($(finals "$D") >= base + 2)) && break; sleep 0.05; done
last=$(find "$D" -maxdepth 1 -name '*.jsonl' ! -name '.*' | sort | tail -1)
if [ "$(wc -l <"$last")" -eq 400 ]; then
    ok "SIGHUP: the reloaded campaign (2 flows) applies at the next round"
else
    nok "SIGHUP: the reloaded campaign (2 flows) applies at the next round" \
        "$(for f in "$D"/*.jsonl; do echo "$(basename "$f") $(wc -l <"$f")"; done | tr '\n' ' ')" \
        "$(grep -E 'reload|round' "$T/hup.log" | tail -8 | cut -c1-120 | tr '\n' '|')"
fi
# bad reload: the error is logged, rounds go on with 2 flows
echo 'bogus = = 1;' >>"$T/hup.campaign"
kill -HUP "$PID"
for _ in $(seq 400); do grep -q 'reload failed' "$T/hup.log" && break; sleep 0.05; done
base=$(finals "$D")
for _ in $(seq 400); do (($(finals "$D") >= base + 1)) && break; sleep 0.05; done
last=$(find "$D" -maxdepth 1 -name '*.jsonl' ! -name '.*' | sort | tail -1)
if grep -q "reload failed, keeping the campaign as it was: $T/hup.campaign:[0-9]*: syntax error" "$T/hup.log"; then
    ok "SIGHUP with a bad file: logged with file:line, old campaign kept"
else
    nok "SIGHUP with a bad file: logged with file:line, old campaign kept" "$(grep -i reload "$T/hup.log" | tail -3)"
fi
check "SIGHUP with a bad file: the next round still has 400 records" [ "$(wc -l <"$last")" -eq 400 ]
kill -TERM "$PID"
wait "$PID"

# 5. split TTL (Doubletree): start at TTL 3 (the target), go back to TTL 2;
# r2 seen at TTL 2 by an earlier trace ends it there and TTL 1 is copied.
campaign split "$T/split.campaign" 'rate = 4000' 'split_ttl = 3' 'active = 20' 'schedule = { interval = 1; rounds = 1; }'
ip netns exec "$VPNS" "$PROBER" run "$T/split.campaign" >"$T/split.log" 2>&1
D=$T/out/split/vp-lab
python3 "$HERE/check_rounds.py" "$D" --targets 200 --campaign split --vp vp-lab --hops >/dev/null 2>"$T/chk"
check "split TTL: every trace still equals the truth" [ $? -eq 0 ]
saved=$(sed -n 's/.* \([0-9]*\) probes saved.*/\1/p' "$T/split.log" | tail -1)
filled=$(cat "$D"/*.jsonl | grep -c '"filled_below_ttl":2}$')
probes=$(sed -n 's/.* \([0-9]*\) probes, .*/\1/p' "$T/split.log" | tail -1)
check "split TTL: $saved probes saved, $filled records marked filled below TTL 2, $probes probes (600 without)" \
    [ "${saved:-0}" -gt 150 -a "$filled" -eq "${saved:-0}" -a "$((probes + saved))" -eq 600 ]
# the same with every TTL in flight at once (window 3): backward replies come
# out of order, and fills must still never copy a wrong hop or loop
campaign splitw "$T/splitw.campaign" 'rate = 4000' 'split_ttl = 3' 'window = 3' 'active = 20' 'schedule = { interval = 1; rounds = 1; }'
ip netns exec "$VPNS" "$PROBER" run "$T/splitw.campaign" >"$T/splitw.log" 2>&1
python3 "$HERE/check_rounds.py" "$T/out/splitw/vp-lab" --targets 200 --campaign splitw --vp vp-lab --hops >/dev/null 2>"$T/chk"
check "split TTL, window 3: every trace still equals the truth" [ $? -eq 0 ]

fi

if part rate; then
# 6. the rate from a capture ------------------------------------------------
RATE=500
campaign rate "$T/rate.campaign" "rate = $RATE" 'flows = 2' 'schedule = { interval = 1; rounds = 1; }'
VPIF=r1 # many.topo: the VP's interface toward r1
ip netns exec "$VPNS" tcpdump -n -U --immediate-mode -Q out -i "$VPIF" -w "$T/rate.pcap" \
    "src host 198.18.0.2 and icmp[icmptype] == icmp-echo" 2>"$T/tcpdump.log" &
TPID=$!
PIDS+=("$TPID")
for _ in $(seq 400); do grep -q listening "$T/tcpdump.log" && break; sleep 0.05; done
ip netns exec "$VPNS" "$PROBER" run "$T/rate.campaign" >"$T/rate.log" 2>&1
sleep 0.3
kill -INT "$TPID"
wait "$TPID" 2>/dev/null
python3 - "$T/rate.pcap" "$RATE" >"$T/rate.txt" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
rate = int(sys.argv[2])
endian, div = {b"\xd4\xc3\xb2\xa1": ("<", 1e6), b"\xa1\xb2\xc3\xd4": (">", 1e6),
               b"\x4d\x3c\xb2\xa1": ("<", 1e9), b"\xa1\xb2\x3c\x4d": (">", 1e9)}[data[:4]]
t, off = [], 24
while off + 16 <= len(data):
    s, f, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
    t.append(s + f / div)
    off += 16 + incl
def peak(w):
    best, j = 0, 0
    for i in range(len(t)):
        while j < len(t) and t[j] < t[i] + w:
            j += 1
        best = max(best, j - i)
    return best
p1, p10 = peak(1.0), peak(0.010)
print(len(t), p1, p10, f"{t[-1] - t[0]:.2f}" if t else 0)
ok = len(t) > rate and p1 <= rate * 1.05 and p10 <= 1 + rate * 0.010 * 1.05 + 1
sys.exit(0 if ok else 1)
PY
rc=$?
read -r np p1 p10 span <"$T/rate.txt"
check "rate $RATE/s from a capture: $np probes over $span s, busiest 1 s window $p1 (limit $((RATE * 105 / 100))), busiest 10 ms $p10 (paced)" [ $rc -eq 0 ]

fi

if part main; then
# 7. IPv6 targets beside the IPv4 ones ---------------------------------------
printf '2001:db8::/47\n2001:db8:5::1\nfe80::1\n' >"$T/v6.txt"
campaign mixed "$T/mixed.campaign" 'rate = 4000' 'schedule = { interval = 1; rounds = 1; }'
sed -i 's/targets = \["targets.txt"\]/targets = ["targets.txt", "v6.txt"]/' "$T/mixed.campaign"
ip netns exec "$VPNS" "$PROBER" run "$T/mixed.campaign" >"$T/mixed.log" 2>&1
rc=$?
D=$T/out/mixed/vp-lab
python3 "$HERE/check_rounds.py" "$D" --targets 200 --v6-errors 3 --campaign mixed --vp vp-lab --hops >/dev/null 2>"$T/chk"
check "IPv6 targets: exit 0, the 200 IPv4 targets the truth, the 3 IPv6 ones errors (no IPv6 route here)" [ $rc -eq 0 -a $? -eq 0 -a "$(finals "$D")" -eq 1 ]
check "IPv6 targets: said at load, 3 kept" \
    grep -q "IPv6: 4 from the lists, 3 kept; dropped: 1 special-purpose or outside the test ranges (link-local 1)" "$T/mixed.log"
check "IPv6 targets: the round summary counts 203 targets and traces" \
    grep -q 'round .*: 203 targets, 203 traces, ' "$T/mixed.log"
check "IPv6 targets: 3 IPv6 records in the round file" [ "$(cat "$D"/*.jsonl | grep -c '"dst":"2001:db8')" -eq 3 ]
fi

echo "1..$n"
echo "# $((SECONDS - T0)) s"
((failed == 0))
