#!/bin/bash
# Path-diff benchmark: `bordertrace diff` and `bordertrace export` over
# 1,000,000 synthetic traces from 10 VPs and 100,000 targets, on one core.
# Prints traces/s and peak memory, with references measured in the same run
# (machines here are shared and noisy: read the ratios):
#   - Python's json.loads over the same files (just reading the traces);
#   - for export, the time the kernel needs to write and fsync as many bytes
#     as the export wrote (dd), the floor for any exporter of these files.
# Memory must grow with target networks x routes, not with traces: the same
# 100,000 targets traced by 5 VPs (500,000 traces) and by 10 VPs (1,000,000
# traces) must peak alike but for the ids of the round being read (16 bytes
# a trace of that round: doc/trace-format.md).
#
#   bench/pathdiff.sh [BUILD_DIR]        (needs python3, perl's MaxMind writer)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BT=$PWD/$BUILD/analysis/bordertrace
[[ -x $BT ]] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bt-pathdiff.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CORE=${CORE:-1}

echo "generating 1,000,000 traces (10 VPs x 100,000 targets, 2 rounds) in $WORK ..."
python3 bench/gen_traces.py "$WORK/d" --vps 10 --targets 100000 >/dev/null
perl tests/scenario/plan2mmdb.pl "$WORK/d/plan.tsv" "$WORK/d"
DB=(--asn-db "$WORK/d/asn.mmdb" --country-db "$WORK/d/country.mmdb" --lookup-test-ranges --by as)
sync

# measure NAME CMD...: bench/measure.sh
. bench/measure.sh
rate() { python3 -c "print(f'{$1/$2:,.0f}')"; }

cat >"$WORK/ref.py" <<'PY'
import json, os, sys
n = 0
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        if name.endswith(".jsonl"):
            with open(os.path.join(root, name)) as f:
                for line in f:
                    json.loads(line)
                    n += 1
print(n)
PY
measure ref python3 "$WORK/ref.py" "$WORK/d/rounds"; REF=$SECS
measure diff "$BT" diff "${DB[@]}" --format csv "$WORK/d/rounds"; DIFF=$SECS; DIFF_MEM=$PEAK
mkdir -p "$WORK/csv"
measure export "$BT" export "${DB[@]}" -o "$WORK/csv" "$WORK/d/rounds"; EXP=$SECS; EXP_MEM=$PEAK
BYTES=$(cat "$WORK"/csv/*.csv | wc -c)
rm -rf "$WORK/csv"
sync
measure floor dd if=/dev/zero of="$WORK/floor" bs=1M count=$((BYTES / 1048576)) conv=fsync; FLOOR=$SECS
rm -f "$WORK/floor"
measure one "$BT" diff "${DB[@]}" --format csv "$WORK/d/rounds/vp00" "$WORK/d/rounds/vp01" \
	"$WORK/d/rounds/vp02" "$WORK/d/rounds/vp03" "$WORK/d/rounds/vp04"; FEW_MEM=$PEAK; FEW_SECS=$SECS

echo
echo "1,000,000 traces, 100,000 targets, 10 VPs, one core (core $CORE):"
printf "  %-44s %8.2f s  %10s traces/s\n" "reference: python3 json.loads, read only" "$REF" "$(rate 1000000 "$REF")"
printf "  %-44s %8.2f s  %10s traces/s  %6.1fx the reference  peak %d MB\n" "bordertrace diff" "$DIFF" \
	"$(rate 1000000 "$DIFF")" "$(python3 -c "print($REF/$DIFF)")" $((DIFF_MEM / 1024))
printf "  %-44s %8.2f s  %10s traces/s  %6.1fx the reference  peak %d MB\n" "bordertrace export (5 CSV files)" "$EXP" \
	"$(rate 1000000 "$EXP")" "$(python3 -c "print($REF/$EXP)")" $((EXP_MEM / 1024))
printf "  %-44s %8.2f s  (%d MB written by export)  export / floor = %.2f\n" "floor: dd of as many bytes, fsync" "$FLOOR" \
	$((BYTES / 1048576)) "$(python3 -c "print($EXP/$FLOOR)")"
echo "memory vs traces (same 100,000 targets):"
printf "  %-44s peak %d MB  (%.2f s)\n" "500,000 traces (5 VPs)" $((FEW_MEM / 1024)) "$FEW_SECS"
printf "  %-44s peak %d MB\n" "1,000,000 traces (10 VPs)" $((DIFF_MEM / 1024))
printf "  %-44s %.2fx (a round's own traces grow with its VPs: doc/trace-format.md)\n" "peak at 1,000,000 / at 500,000" \
	"$(python3 -c "print($DIFF_MEM/$FEW_MEM)")"
echo "target: diff >= 200,000 traces/s; peak memory flat in the number of traces"
