#!/bin/bash
# bordertrace report on the founding story (tests/report/mkrounds.py: two VPs,
# three rounds, KP gaining a route through RU in round 2), opened in headless
# Chromium (browse.py): expected elements present, no console error, nothing
# fetched; screenshots kept in SHOTS. Then bad input and an all-or-nothing
# rewrite.
#   test_report.sh BORDERTRACE SOURCE_ROOT SHOTS
set -uo pipefail
BT=$1
SRC=$2
SHOTS=$3
HERE=$SRC/tests/report
TMP=$(mktemp -d /tmp/bt-report.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
. "$SRC/tests/pathdiff/cli_lib.sh"

if ! perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null; then
	echo "1..0 # SKIP needs libmaxmind-db-writer-perl (scripts/setup.sh)"
	exit 77
fi
python3 "$HERE/mkrounds.py" "$TMP/rounds" || exit 1
mkdir -p "$TMP/db" "$TMP/evil"
perl "$SRC/tests/scenario/plan2mmdb.pl" "$SRC/tests/scenario/kp-border.plan" "$TMP/db" >/dev/null || exit 1
DB=(--asn-db "$TMP/db/asn.mmdb" --country-db "$TMP/db/country.mmdb" --pfx2as "$TMP/db/pfx2as.txt"
    --prefer-pfx2as --lookup-test-ranges)
OUT=$TMP/report

expect_rc 0 "$BT" report "${DB[@]}" -o "$OUT" "$TMP/rounds"
has "$TMP/out" "$OUT/report.html"
has "$TMP/err" "30 traces"
for f in report.html net-001-timeline-as.svg net-001-timeline-country.svg net-001-graph.svg \
	net-001-graph.png net-002-graph.svg; do
	check "$f written" [ -s "$OUT/$f" ]
done
check "no temporary file left" [ -z "$(ls -A "$OUT" | grep '^\.')" ]
check "the PNG is a PNG" [ "$(head -c 4 "$OUT/net-001-graph.png" | tail -c 3)" = PNG ]
has "$OUT/report.html" "default-src 'none'"
check "no script, no link, no remote URL in the page" \
	bash -c "! grep -qiE '<script|<link|<iframe|(src|href)=\"(https?:)?//' '$OUT/report.html'"
has "$OUT/net-001-timeline-country.svg" "RU 25%"

# in a real browser
if ! command -v chromium >/dev/null; then
	echo "SKIP: no chromium (scripts/setup.sh installs it); the page was not opened"
else
	rm -rf "$SHOTS"
	mkdir -p "$SHOTS"
	if timeout 60 python3 "$HERE/browse.py" chromium "$OUT/report.html" "$SHOTS" "$HERE/checks.json"; then
		echo "ok: opened in chromium: the elements are there, no console error, nothing fetched"
		cp "$OUT"/*.svg "$OUT"/*.png "$OUT/report.html" "$SHOTS/"
		echo "screenshots and the report kept in $SHOTS"
	else
		fail "chromium: see above"
	fi
	# the checker itself: a page that fetches and logs must fail it
	sed 's|<h1>bordertrace report</h1>|<h1>x</h1><img src="https://example.invalid/x.png"><script>console.error(1)</script>|' \
		"$OUT/report.html" >"$TMP/evil.html"
	mkdir -p "$TMP/evil-shots"
	timeout 60 python3 "$HERE/browse.py" chromium "$TMP/evil.html" "$TMP/evil-shots" "$HERE/checks.json" >"$TMP/out" 2>&1
	is "$?" 1 "browse.py fails a page that fetches"
	has "$TMP/out" "fetch: https://example.invalid/x.png"
	has "$TMP/out" "Content Security Policy"
fi

# the report's own usage errors (doc/bad-input.md)
expect_rc 2 "$BT" report "${DB[@]}" "$TMP/rounds"
has "$TMP/err" "-o DIR is required"
expect_rc 2 "$BT" report "${DB[@]}" -o "$TMP/x" - 
has "$TMP/err" "reads its rounds twice"
expect_rc 2 "$BT" report "${DB[@]}" -o "$TMP/x" --top 0 "$TMP/rounds"
expect_rc 2 "$BT" diff "${DB[@]}" --top 3 "$TMP/rounds"
has "$TMP/err" "only for report"
check "nothing made for a usage error" [ ! -e "$TMP/x" ]

# all or nothing: a bad round file leaves the previous report as it was
cp "$OUT/report.html" "$TMP/before.html"
mkdir -p "$TMP/bad"
cp "$TMP/rounds/vp-de/r1.jsonl" "$TMP/bad/r1.jsonl"
echo '{"format":"bordertrace-trace","v":1' >>"$TMP/bad/r1.jsonl"
expect_rc 1 "$BT" report "${DB[@]}" -o "$OUT" "$TMP/bad"
has "$TMP/err" "r1.jsonl:6"
check "the previous report is untouched" cmp -s "$OUT/report.html" "$TMP/before.html"
check "no temporary file left after a failure" [ -z "$(ls -A "$OUT" | grep '^\.')" ]
expect_rc 1 "$BT" report "${DB[@]}" -o "$TMP/new/dir" "$TMP/bad"
check "a directory made for a failed report is removed" [ ! -e "$TMP/new" ]

# hostile organisation names are text, not markup
sed 's/KDDI Corporation/<img src=x onerror=alert(1)>KDDI/' "$SRC/tests/scenario/kp-border.plan" >"$TMP/evil.plan"
perl "$SRC/tests/scenario/plan2mmdb.pl" "$TMP/evil.plan" "$TMP/evil" >/dev/null || exit 1
expect_rc 0 "$BT" report --asn-db "$TMP/evil/asn.mmdb" --country-db "$TMP/evil/country.mmdb" \
	--lookup-test-ranges -o "$TMP/evil-out" "$TMP/rounds"
has "$TMP/evil-out/report.html" "&lt;img src=x onerror=alert(1)&gt;KDDI"
check "no raw markup from the database" bash -c "! grep -q '<img' '$TMP/evil-out/report.html'"

# Graphviz without its cairo plugin: no PNG, said so, nothing written; --no-png works
G=/usr/lib/x86_64-linux-gnu/graphviz
if [ -f "$G/config6a" ] && [ -e "$G/libgvplugin_dot_layout.so.6" ]; then
	mkdir -p "$TMP/gv"
	sed '/^libgvplugin_gd\.so/,$d' "$G/config6a" >"$TMP/gv/config6a"
	ln -s "$G/libgvplugin_core.so.6" "$G/libgvplugin_dot_layout.so.6" "$TMP/gv/"
	GVBINDIR=$TMP/gv expect_rc 1 "$BT" report "${DB[@]}" -o "$TMP/nopng" "$TMP/rounds"
	has "$TMP/err" "rendering it as PNG failed: Graphviz: renderer for png is unavailable"
	has "$TMP/err" "--no-png writes SVG only"
	check "nothing written without the PNG renderer" [ ! -e "$TMP/nopng" ]
	GVBINDIR=$TMP/gv expect_rc 0 "$BT" report "${DB[@]}" --no-png -o "$TMP/nopng" "$TMP/rounds"
fi

# a graph of more edges than dot should lay out: the heaviest drawn, the rest counted
python3 "$HERE/mkrounds.py" --wide "$TMP/wide" || exit 1
expect_rc 0 "$BT" report --pfx2as "$TMP/wide/pfx2as.txt" --lookup-test-ranges --by as --no-png \
	-o "$TMP/wide-out" "$TMP/wide/wide.jsonl"
has "$TMP/wide-out/report.html" "220 lighter edge(s) left out"
check "no PNG with --no-png" [ ! -e "$TMP/wide-out/net-001-graph.png" ]

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all report checks passed"
