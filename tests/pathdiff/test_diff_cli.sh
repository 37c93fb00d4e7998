#!/bin/bash
# bordertrace tests — `bordertrace diff` and `bordertrace export` on bad
# input: malformed round files (file:line, exit 1, nothing written in the -o
# directory, earlier exports left as they were), missing files, unusable
# output directories and databases (exit 1), bad option values (exit 2).
# usage: test_diff_cli.sh PATH/TO/bordertrace DATA_DIR
set -u
BT=$1
DATA=$2
TMP=$(mktemp -d /tmp/bt-diff-cli.XXXXXX)
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
fails=0

# fail, expect_rc, has, empty_dir; line ROUND START: a round record
. "$(dirname "$0")/cli_lib.sh"
mkdir -p "$TMP/rounds/vp-01" "$TMP/out1"
line r1 2017-10-01T08:00:00.000000Z >"$TMP/rounds/vp-01/r1.jsonl"
line r2 2017-10-01T09:00:00.000000Z >"$TMP/rounds/vp-01/r2.jsonl"
chmod -R a+rX "$TMP"

# the good case, so that the failures below are failures of the input alone
expect_rc 0 "$BT" diff --format csv "$TMP/rounds"
has "$TMP/err" "2 traces"
expect_rc 0 "$BT" export -o "$TMP/out1" "$TMP/rounds"
for f in hops traces borders events diversity; do
	[ -s "$TMP/out1/$f.csv" ] || fail "export wrote no $f.csv"
done
cp -r "$TMP/out1" "$TMP/out1.before"

# a malformed line: file:line, exit 1, nothing written, earlier files intact
bad="$TMP/bad/vp-02"
mkdir -p "$bad" "$TMP/out2"
{ line r1 2017-10-01T08:00:00.000000Z; echo; line r1 2017-10-01T08:00:01.000000Z | sed 's/"ttl":2,/"ttl":3,/'; } >"$bad/r1.jsonl"
expect_rc 1 "$BT" diff "$TMP/rounds" "$TMP/bad"
has "$TMP/err" "$bad/r1.jsonl:3: field 'hops[1].ttl'"
expect_rc 1 "$BT" export -o "$TMP/out2" "$TMP/rounds" "$TMP/bad"
has "$TMP/err" "$bad/r1.jsonl:3:"
has "$TMP/err" "nothing written to $TMP/out2"
empty_dir "$TMP/out2"
expect_rc 1 "$BT" export -o "$TMP/out1" "$TMP/rounds" "$bad/r1.jsonl"
diff -r "$TMP/out1" "$TMP/out1.before" >/dev/null || fail "a failed export changed $TMP/out1"
# a directory without round files (a mistyped path) is an error, not a quiet week
mkdir -p "$TMP/norounds/sub"
touch "$TMP/norounds/notes.txt" "$TMP/norounds/.hidden.warts" "$TMP/norounds/x.warts.bz2"
expect_rc 1 "$BT" diff "$TMP/norounds"
has "$TMP/err" "$TMP/norounds: no round files (*.jsonl, *.warts, *.warts.gz) in it or below"
# not JSON at all (binary), a truncated last line, a record of another format
printf 'garbage\0\377\n' >"$TMP/binary.jsonl"
expect_rc 1 "$BT" diff "$TMP/binary.jsonl"
has "$TMP/err" "binary.jsonl:1: not JSON"
line r1 2017-10-01T08:00:00.000000Z | head -c 300 >"$TMP/trunc.jsonl"
expect_rc 1 "$BT" export -o "$TMP/out2" "$TMP/trunc.jsonl"
has "$TMP/err" "trunc.jsonl:1: not JSON"
empty_dir "$TMP/out2"
printf '{"format":"bordertrace-trace","v":3}\n' >"$TMP/v2.jsonl"
expect_rc 1 "$BT" diff "$TMP/v2.jsonl"
has "$TMP/err" "v2.jsonl:1: field 'v': unsupported format version 3"
# the same on standard input
printf '{"format":"bordertrace-trace"}\n' >"$TMP/nov.jsonl"
expect_rc 1 "$BT" diff - <"$TMP/nov.jsonl"
has "$TMP/err" "<stdin>:1: field 'v': required field missing"

# missing round files and unusable output directories
expect_rc 1 "$BT" diff "$TMP/rounds" "$TMP/missing.jsonl"
has "$TMP/err" "$TMP/missing.jsonl: No such file or directory"
expect_rc 1 "$BT" export -o "$TMP/out2" "$TMP/missing.jsonl"
empty_dir "$TMP/out2"
# -o DIR that does not exist yet is made, with its parents (mkdir -p)
expect_rc 0 "$BT" export -o "$TMP/new/a/b/c" "$TMP/rounds"
for f in hops traces borders events diversity; do
	[ -s "$TMP/new/a/b/c/$f.csv" ] || fail "export into a new a/b/c: no $f.csv"
done
cmp -s "$TMP/new/a/b/c/hops.csv" "$TMP/out1/hops.csv" || fail "export into a new directory: hops.csv differs"
# a failed export into a new directory leaves no directory behind (an
# existing parent stays)
mkdir "$TMP/keep"
expect_rc 1 "$BT" export -o "$TMP/keep/x/y" "$TMP/rounds" "$TMP/bad"
[ -d "$TMP/keep" ] || fail "a failed export removed a directory it did not make"
[ ! -e "$TMP/keep/x" ] || fail "a failed export left $TMP/keep/x behind"
# ... but not through a regular file, nor onto one
expect_rc 1 "$BT" export -o "$TMP/rounds/vp-01/r1.jsonl" "$TMP/rounds"
has "$TMP/err" "bordertrace export: -o: $TMP/rounds/vp-01/r1.jsonl: Not a directory"
expect_rc 1 "$BT" export -o "$TMP/rounds/vp-01/r1.jsonl/sub/dir" "$TMP/rounds"
has "$TMP/err" "bordertrace export: -o: $TMP/rounds/vp-01/r1.jsonl/sub: Not a directory"
mkdir "$TMP/ro"
chmod 555 "$TMP/ro"
if [ "$(id -u)" -eq 0 ]; then
	# root writes anywhere: run as nobody to see the refusal
	command -v setpriv >/dev/null &&
		expect_rc 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$BT" export -o "$TMP/ro" "$TMP/rounds"
else
	expect_rc 1 "$BT" export -o "$TMP/ro" "$TMP/rounds"
fi
has "$TMP/err" "$TMP/ro: cannot create a file there: Permission denied"
empty_dir "$TMP/ro"

# standard output that cannot be written: the events are the result, so exit 1
if [ -w /dev/full ]; then
	"$BT" diff --format csv "$TMP/rounds" >/dev/full 2>"$TMP/err"
	rc=$?
	[ "$rc" -eq 1 ] || fail "diff >/dev/full: exit $rc (want 1)"
	has "$TMP/err" "standard output: write failed"
	"$BT" diff --format table "$TMP/rounds" >/dev/full 2>"$TMP/err"
	rc=$?
	[ "$rc" -eq 1 ] || fail "diff --format table >/dev/full: exit $rc (want 1)"
fi

# databases and tables that are not what they claim (exit 1, file named)
expect_rc 1 "$BT" diff --asn-db "$DATA/truth.txt" "$TMP/rounds"
has "$TMP/err" "truth.txt: not a usable MaxMind DB file"
expect_rc 1 "$BT" export -o "$TMP/out2" --country-db "$TMP/none.mmdb" "$TMP/rounds"
has "$TMP/err" "none.mmdb: cannot open"
empty_dir "$TMP/out2"
printf '1.0.0.0\t24\t1\n1.0.0.0\t99\t2\n' >"$TMP/bad.pfx2as"
expect_rc 1 "$BT" diff --pfx2as "$TMP/bad.pfx2as" "$TMP/rounds"
has "$TMP/err" "bad.pfx2as:2:"
# ... but a table whose rows overlap is used: counted on stderr, listed
# with -v (diff and export alike), the export written
printf '1.0.0.0\t24\t1\n1.0.0.0\t24\t2\n' >"$TMP/dup.pfx2as"
for cmd in diff "export -o $TMP/out3"; do
	# shellcheck disable=SC2086
	expect_rc 0 "$BT" $cmd --pfx2as "$TMP/dup.pfx2as" "$TMP/rounds"
	has "$TMP/err" "dup.pfx2as: 2 rows, of which 1 repeats another row: accepted"
	# shellcheck disable=SC2086
	expect_rc 0 "$BT" $cmd -v --pfx2as "$TMP/dup.pfx2as" "$TMP/rounds"
	has "$TMP/err" "dup.pfx2as:2: prefix 1.0.0.0/24 (AS 2) duplicates $TMP/dup.pfx2as:1: prefix 1.0.0.0/24 (AS 1)"
done
[ -s "$TMP/out3/hops.csv" ] || fail "export with an overlapping table wrote nothing"

# gone needs evidence from a VP that saw the route: vp-02 alone saw
# 198.18.7.0/24 entered from AS20485; in r2 and r3 its traces stop short (a
# dark target behind a silent border) while vp-01 still enters from AS4837:
# no evidence that AS20485's route is gone. Into 198.18.8.0/24 vp-02 enters
# from AS4837 instead in r2 and r3: AS20485's route is gone.
# vtrace VP ROUND HOUR DST HOP...: one trace, '*' a silent hop
vtrace() {
	local vp=$1 r=$2 h=$3 dst=$4 ttl=0 sep=
	shift 4
	printf '{"format":"bordertrace-trace","v":1,"vp":"%s","campaign":"kp","round":"%s",' "$vp" "$r"
	printf '"method":"icmp-paris","src":"198.18.0.2","dst":"%s","flow":0,"sport":0,"dport":0,' "$dst"
	printf '"icmp_sum":4096,"start":"2017-10-01T0%s:00:00.000000Z","end":"2017-10-01T0%s:00:01.000000Z",' "$h" "$h"
	printf '"stop":"gaplimit","stop_ttl":%s,"first_ttl":1,"max_ttl":32,"probes_sent":%s,"hops":[' "$#" "$#"
	for a in "$@"; do
		ttl=$((ttl + 1))
		if [ "$a" = '*' ]; then
			printf '%s{"ttl":%s,"attempt":1,"addr":null}' "$sep" "$ttl"
		else
			printf '%s{"ttl":%s,"attempt":1,"addr":"%s","rtt_ms":0.1,"reply_ttl":60,' "$sep" "$ttl" "$a"
			printf '"icmp_type":11,"icmp_code":0,"quoted_ttl":1,"size":56}'
		fi
		sep=,
	done
	printf ']}\n'
}
kp_db
mkdir -p "$TMP/ev/vp-01" "$TMP/ev/vp-02"
for k in 1 2 3; do
	vtrace vp-01 r$k $k 198.18.7.10 198.18.1.1 198.18.2.1 198.18.7.1 >"$TMP/ev/vp-01/r$k.jsonl"
	if [ $k = 1 ]; then
		vtrace vp-02 r$k $k 198.18.7.20 198.18.1.2 198.18.5.1 198.18.7.2
		vtrace vp-02 r$k $k 198.18.8.20 198.18.1.2 198.18.5.1 198.18.8.2
	else
		vtrace vp-02 r$k $k 198.18.7.20 198.18.1.2 198.18.5.1 '*' '*'
		vtrace vp-02 r$k $k 198.18.8.20 198.18.1.2 198.18.2.1 198.18.8.2
	fi >"$TMP/ev/vp-02/r$k.jsonl"
done
expect_rc 0 "$BT" diff "${DB[@]}" --level as --format csv "$TMP/ev"
is "$(col "$TMP/out" event gone target_network upstream round)" "198.18.8.0/24:AS20485:r2" \
	"gone only where a VP that saw the route entered the network without it"

# bad option values: exit 2 and the option named
for a in "--baseline 0" "--baseline x" "--min-rounds 1000001" "--min-vps -1" \
	"--gone-after 1.5" "--evidence -3"; do
	# shellcheck disable=SC2086
	expect_rc 2 "$BT" diff $a "$TMP/rounds"
	has "$TMP/err" "${a%% *}: '${a#* }' is not a whole number"
done
expect_rc 2 "$BT" diff --by asn "$TMP/rounds"
has "$TMP/err" "--by: 'asn' is not prefix, as or country"
expect_rc 2 "$BT" diff --level bogus "$TMP/rounds"
has "$TMP/err" "--level: 'bogus' is not as, country or both"
expect_rc 2 "$BT" diff --format xml "$TMP/rounds"
has "$TMP/err" "--format: 'xml' is not csv or table"
expect_rc 2 "$BT" export --format csv -o "$TMP/out2" "$TMP/rounds"
has "$TMP/err" "export always writes CSV"
expect_rc 2 "$BT" diff --asn-layout nope --asn-db x "$TMP/rounds"
has "$TMP/err" "unknown layout 'nope'"
expect_rc 2 "$BT" diff --asn-layout ipinfo "$TMP/rounds"
has "$TMP/err" "a layout was given without its database"
expect_rc 2 "$BT" diff --no-such-option "$TMP/rounds"
expect_rc 2 "$BT" diff
has "$TMP/err" "no round files given"
expect_rc 2 "$BT" export "$TMP/rounds"
has "$TMP/err" "-o DIR is required"
empty_dir "$TMP/out2"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all diff/export CLI checks passed"
