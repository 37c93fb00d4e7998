#!/bin/bash
# Report benchmark: `bordertrace report` against `bordertrace diff` over the
# same synthetic traces (bench/gen_traces.py; by default 1,000,000 traces:
# 10 VPs x 100,000 targets), one core: wall time and peak memory of
# both, the ratio (target: report <= 3x diff; it reads the rounds twice), and
# the size of what report wrote (the page must stay usable in a browser).
# Ratios, not seconds: machines here are shared and noisy.
#
#   bench/report.sh [BUILD_DIR]     VPS=10 TARGETS=100000 BY=prefix to change
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BT=$PWD/$BUILD/analysis/bordertrace
[[ -x $BT ]] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
VPS=${VPS:-10}
TARGETS=${TARGETS:-100000}
BY=${BY:-prefix}
CORE=${CORE:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bt-report.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "generating traces ($VPS VPs x $TARGETS targets) in $WORK ..."
python3 bench/gen_traces.py "$WORK/d" --vps "$VPS" --targets "$TARGETS" >/dev/null
perl tests/scenario/plan2mmdb.pl "$WORK/d/plan.tsv" "$WORK/d"
DB=(--asn-db "$WORK/d/asn.mmdb" --country-db "$WORK/d/country.mmdb" --lookup-test-ranges --by "$BY")
sync

# measure CMD... : wall seconds and peak RSS (KB) into $SECS / $PEAK
measure() {
	/usr/bin/time -f "%e %M" -o "$WORK/time" taskset -c "$CORE" "$@" >/dev/null 2>"$WORK/stderr" || {
		cat "$WORK/stderr" >&2; exit 1; }
	read -r SECS PEAK <"$WORK/time"
}
measure "$BT" diff "${DB[@]}" --format csv "$WORK/d/rounds"; DIFF=$SECS; DIFF_MEM=$PEAK
N=$(sed -n 's/^bordertrace diff: \([0-9]*\) traces.*/\1/p' "$WORK/stderr")
measure "$BT" report "${DB[@]}" -o "$WORK/report" "$WORK/d/rounds"; REP=$SECS; REP_MEM=$PEAK
measure "$BT" report "${DB[@]}" --no-png -o "$WORK/report-svg" "$WORK/d/rounds"; NOPNG=$SECS
HTML=$(stat -c %s "$WORK/report/report.html")
ALL=$(du -sk "$WORK/report" | cut -f1)

echo
echo "$N traces, $TARGETS targets (a target network per $BY), $VPS VPs, one core (core $CORE):"
printf "  %-36s %8.2f s  peak %5d MB\n" "bordertrace diff" "$DIFF" $((DIFF_MEM / 1024))
printf "  %-36s %8.2f s  peak %5d MB  %.2fx diff's time\n" "bordertrace report (SVG + PNG)" "$REP" \
	$((REP_MEM / 1024)) "$(python3 -c "print($REP/max($DIFF,0.01))")"
printf "  %-36s %8.2f s  %.2fx diff's time\n" "bordertrace report --no-png" "$NOPNG" \
	"$(python3 -c "print($NOPNG/max($DIFF,0.01))")"
printf "  %-36s report.html %d KB, all files %d KB\n" "written" $((HTML / 1024)) "$ALL"
echo "target: report <= 3x diff's time; report.html a few MB at most"
