#!/bin/bash
# End to end: the founding story through the real prober, checked.
#   test_scenario.sh BUILD_DIR
# Needs root (network namespaces); exits 77 (skip) otherwise.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${1:?usage: test_scenario.sh BUILD_DIR}
if [[ $(id -u) -ne 0 ]]; then
	echo "1..0 # SKIP needs root for network namespaces"
	exit 77
fi
OUT=$(mktemp -d /tmp/bt-scenario.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
if ! "$HERE/kp_scenario.sh" "$BUILD" "$OUT" >"$OUT/log" 2>&1; then
	cat "$OUT/log"
	echo "not ok - the scenario script failed"
	exit 1
fi
cat "$OUT/log"
BT=$BUILD/analysis/bordertrace
DB=(--asn-db "$OUT/db/asn.mmdb" --country-db "$OUT/db/country.mmdb"
    --pfx2as "$OUT/db/pfx2as.txt" --prefer-pfx2as --lookup-test-ranges)
"$BT" diff "${DB[@]}" --format csv "$OUT/rounds" >"$OUT/prefix.csv" &&
"$BT" diff "${DB[@]}" --format csv --by as --min-vps 2 "$OUT/rounds" >"$OUT/as.csv" &&
"$BT" diff "${DB[@]}" --format csv --by as --level both "$OUT/rounds" >"$OUT/both.csv" &&
"$BT" diff "${DB[@]}" --format csv --by as --per-vp "$OUT/rounds" >"$OUT/pervp.csv" &&
{ [[ ! -d $OUT/warts ]] || "$BT" diff "${DB[@]}" --format csv "$OUT/warts" >"$OUT/warts-prefix.csv"; } || {
	echo "not ok - bordertrace diff failed"; exit 1; }
# the report of the probed rounds, opened in headless Chromium (tests/report)
SHOTS=$BUILD/tests/scenario/report-shots
if ! "$BT" report "${DB[@]}" -o "$OUT/report" "$OUT/rounds"; then
	echo "not ok - bordertrace report failed"; exit 1
fi
if command -v chromium >/dev/null; then
	rm -rf "$SHOTS" && mkdir -p "$SHOTS"
	if ! timeout 60 python3 "$HERE/../report/browse.py" chromium "$OUT/report/report.html" "$SHOTS" \
		"$HERE/report-checks.json"; then
		echo "not ok - the scenario's report in chromium"; exit 1
	fi
	cp "$OUT/report/report.html" "$SHOTS/"
	echo "ok - the scenario's report opens in chromium; screenshots in $SHOTS"
fi
exec python3 "$HERE/check_scenario.py" "$OUT"
