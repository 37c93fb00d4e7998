#!/bin/bash
# bordertrace tests — the two reads of a round with interface owners on
# (doc/path-diff.md, "Interface owners"): the graph's read takes only
# destinations, TTLs and addresses from our canonical lines
# (bt_trace_scan_fast) and reads any other line in full; the path-diff's
# read parses every line in full and reports what the first let through.
# Synthetic rounds of bench/gen_traces.py (2 VPs, 400 targets, 2 rounds),
# whose owners change the export (checked: --no-heuristic all differs).
# Addresses: 198.18.0.0/15 only; nothing is probed.
# usage: test_owner_read_cli.sh PATH/TO/bordertrace SOURCE_ROOT
set -u
BT=$1
SRC=$2
TMP=$(mktemp -d /tmp/bt-owner-read.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
# shellcheck source=cli_lib.sh
. "$SRC/tests/pathdiff/cli_lib.sh"

python3 "$SRC/bench/gen_traces.py" "$TMP/d" --vps 2 --targets 400 >/dev/null || exit 1
perl "$SRC/tests/scenario/plan2mmdb.pl" "$TMP/d/plan.tsv" "$TMP/d" >/dev/null || exit 1
DB=(--asn-db "$TMP/d/asn.mmdb" --country-db "$TMP/d/country.mmdb" --lookup-test-ranges --by as)
R1=vp01/2017-10-01T08:00:00Z.jsonl

# export NAME ROUNDS [OPTION]...: into $TMP/NAME
export_to() {
	local name=$1 rounds=$2
	shift 2
	mkdir -p "$TMP/$name"
	expect_rc 0 "$BT" export "${DB[@]}" "$@" -o "$TMP/$name" "$rounds"
}
# same A B: the five files of two exports alike, byte for byte
same() {
	local f
	for f in hops traces borders events diversity; do
		cmp -s "$TMP/$1/$f.csv" "$TMP/$2/$f.csv" || fail "$2/$f.csv differs from $1's"
	done
	echo "ok: $2 = $1"
}
# rewrite FROM TO EVERY: every EVERY-th line of each round file in JSON
# that is not our canonical form (keys sorted, spaces): read in full
rewrite() {
	python3 - "$TMP/$1" "$TMP/$2" "$3" <<'EOF'
import json, os, sys
src, dst, every = sys.argv[1], sys.argv[2], int(sys.argv[3])
for root, _, files in os.walk(src):
    for name in files:
        out = os.path.join(dst, os.path.relpath(root, src))
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(root, name)) as f, open(os.path.join(out, name), "w") as g:
            for i, line in enumerate(f):
                g.write(json.dumps(json.loads(line), sort_keys=True, indent=None,
                                   separators=(", ", ": ")) + "\n" if i % every == 0 else line)
EOF
}

export_to canon "$TMP/d/rounds"
export_to naive "$TMP/d/rounds" --no-heuristic all
if cmp -s "$TMP/canon/traces.csv" "$TMP/naive/traces.csv"; then
	fail "the owners change nothing: the rounds test no graph"
fi

# every line, then every other line, read in full by the graph's read
rewrite d/rounds other 1
export_to other "$TMP/other"
same canon other
rewrite d/rounds mixed 2
export_to mixed "$TMP/mixed"
same canon mixed

# a canonical line that only the full read refuses (a TTL above max_ttl):
# the graph's read lets it through, the path-diff's read names it
mkdir -p "$TMP/bad"
cp -r "$TMP/d/rounds" "$TMP/bad/rounds"
sed -i '7s/"max_ttl":32/"max_ttl":2/' "$TMP/bad/rounds/$R1"
mkdir -p "$TMP/badout"
expect_rc 1 "$BT" export "${DB[@]}" -o "$TMP/badout" "$TMP/bad/rounds"
has "$TMP/err" "$R1:7: field 'hops[2].ttl'"
empty_dir "$TMP/badout"

# a round file cut in the middle of its last line: named, nothing written
cp -r "$TMP/d/rounds" "$TMP/cut"
size=$(stat -c %s "$TMP/cut/$R1")
truncate -s $((size - 100)) "$TMP/cut/$R1"
expect_rc 1 "$BT" diff "${DB[@]}" "$TMP/cut"
has "$TMP/err" "$R1:200:"

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all passed"
