#!/bin/bash
# bordertrace tests — careless and hostile round-file input to `diff` and
# `export` (doc/bad-input.md): the same trace read twice counts once (and
# is reported), two records of one trace id are an error naming both
# places; endless input (/dev/zero) stops at the line cap with bounded
# memory, on files and standard input (`resolve -` too); a gzipped round
# file is read (bzip2 and xz too), a compressed stream named as such.
# usage: test_input_cli.sh PATH/TO/bordertrace
set -u
BT=$1
TMP=$(mktemp -d /tmp/bt-input-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0

# fail, expect_rc, has, empty_dir; line ROUND START [HOP2]: a round record
. "$(dirname "$0")/cli_lib.sh"
lacks() { ! grep -qF -- "$2" "$1" || fail "$1 has: $2"; }
# capped CMD...: CMD with memory capped at 1 GiB, for 60 s at most (no
# address-space cap under ASan, which reserves terabytes of it up front)
asan=$(ldd "$BT" 2>/dev/null | grep -c libasan)
capped() { (if [ "$asan" -eq 0 ]; then ulimit -v 1048576; fi; exec timeout 60 "$@"); }

mkdir -p "$TMP/rounds/vp-01"
line r1 2017-10-01T08:00:00.000000Z >"$TMP/rounds/vp-01/r1.jsonl"
line r2 2017-10-01T09:00:00.000000Z >"$TMP/rounds/vp-01/r2.jsonl"

# --- the same trace twice: counted once, reported; the exports unchanged
expect_rc 0 "$BT" export -o "$TMP/once" "$TMP/rounds"
has "$TMP/err" "2 traces"
lacks "$TMP/err" "duplicate"
expect_rc 0 "$BT" export -o "$TMP/twice" "$TMP/rounds" "$TMP/rounds"
has "$TMP/err" "2 traces"
has "$TMP/err" "2 duplicate trace(s) read again and counted once"
for f in hops traces borders events diversity; do
	cmp -s "$TMP/once/$f.csv" "$TMP/twice/$f.csv" || fail "a directory given twice changed $f.csv"
done
cp "$TMP/rounds/vp-01/r1.jsonl" "$TMP/copy-of-r1.jsonl"
expect_rc 0 "$BT" diff "$TMP/rounds" "$TMP/copy-of-r1.jsonl"
has "$TMP/err" "2 traces"
has "$TMP/err" "1 duplicate trace(s)"
# the same record written otherwise (keys reordered by jq-like tools,
# spaces) is still the same record
sed 's/^{"format":"bordertrace-trace","v":1,/{ "v" : 1, "format":"bordertrace-trace",/' \
	"$TMP/rounds/vp-01/r1.jsonl" >"$TMP/respaced.jsonl"
expect_rc 0 "$BT" diff "$TMP/rounds" "$TMP/respaced.jsonl"
has "$TMP/err" "1 duplicate trace(s)"
# one trace id with two records: which is right? an error naming both places
{ echo; line r1 2017-10-01T08:00:00.000000Z 198.18.9.9; } >"$TMP/conflict.jsonl"
expect_rc 1 "$BT" diff "$TMP/rounds" "$TMP/conflict.jsonl"
has "$TMP/err" "$TMP/conflict.jsonl:2: trace vp-01/r1/198.18.3.2/icmp-paris/0 was read before, with other contents, at $TMP/rounds/vp-01/r1.jsonl:1"
expect_rc 1 "$BT" export -o "$TMP/conf" "$TMP/rounds" "$TMP/conflict.jsonl"
has "$TMP/err" "nothing written to $TMP/conf"
# ... within one file, and on standard input
{ line r1 2017-10-01T08:00:00.000000Z; line r1 2017-10-01T08:00:00.000000Z 198.18.9.9; } >"$TMP/self.jsonl"
expect_rc 1 "$BT" diff - <"$TMP/self.jsonl"
has "$TMP/err" "<stdin>:2: trace vp-01/r1/198.18.3.2/icmp-paris/0 was read before, with other contents, at <stdin> ("

# --- endless input: the line cap, memory bounded (ulimit above)
expect_rc 1 capped "$BT" diff /dev/zero
has "$TMP/err" "/dev/zero:1: line longer than 4194304 bytes (the cap on a line)"
expect_rc 1 capped "$BT" diff - </dev/zero
has "$TMP/err" "<stdin>:1: line longer than 4194304 bytes"
expect_rc 1 capped "$BT" resolve - </dev/zero
has "$TMP/err" "stdin:1: line longer than 4194304 bytes"
# a line just under the cap is only bad JSON
{ printf '{"x":"'; head -c 4000000 /dev/zero | tr '\0' a; printf '"}\n'; } >"$TMP/long.jsonl"
expect_rc 1 capped "$BT" diff "$TMP/long.jsonl"
has "$TMP/err" "long.jsonl:1: field 'format': required field missing"

# --- compressed round files: gzip read as the tables are; a stream named
gzip -c "$TMP/rounds/vp-01/r2.jsonl" >"$TMP/r2.jsonl.gz"
mkdir "$TMP/gz" && cp "$TMP/r2.jsonl.gz" "$TMP/gz/r2.jsonl"
expect_rc 0 "$BT" diff "$TMP/rounds/vp-01/r1.jsonl" "$TMP/r2.jsonl.gz"
has "$TMP/err" "2 traces"
expect_rc 0 "$BT" diff "$TMP/rounds/vp-01/r1.jsonl" "$TMP/gz"
has "$TMP/err" "2 traces"
expect_rc 1 "$BT" diff - <"$TMP/r2.jsonl.gz"
has "$TMP/err" "<stdin>: looks gzip-compressed: a stream is read as plain text"
# bzip2 and xz files are read as gzip ones (RIPE Atlas dumps are .bz2); on
# standard input each is named as such
bzip2 -c "$TMP/rounds/vp-01/r2.jsonl" >"$TMP/r2.jsonl.bz2"
expect_rc 0 "$BT" diff "$TMP/rounds/vp-01/r1.jsonl" "$TMP/r2.jsonl.bz2"
has "$TMP/err" "2 traces"
expect_rc 1 "$BT" diff - <"$TMP/r2.jsonl.bz2"
has "$TMP/err" "<stdin>: looks bzip2-compressed: a stream is read as plain text"
if command -v xz >/dev/null; then
	xz -c "$TMP/rounds/vp-01/r2.jsonl" >"$TMP/r2.jsonl.xz"
	expect_rc 0 "$BT" diff "$TMP/rounds/vp-01/r1.jsonl" "$TMP/r2.jsonl.xz"
	has "$TMP/err" "2 traces"
fi
printf '\x28\xb5\x2f\xfd\x00\x00' >"$TMP/r.jsonl.zst"
expect_rc 1 "$BT" diff "$TMP/r.jsonl.zst"
has "$TMP/err" "r.jsonl.zst: looks zstd-compressed: decompress it first (files are read plain or gzip-, bzip2- or xz-compressed)"
# a byte order mark before the first record (an editor's) is no error
{ printf '\357\273\277'; cat "$TMP/rounds/vp-01/r1.jsonl"; } >"$TMP/bom.jsonl"
expect_rc 0 "$BT" diff "$TMP/bom.jsonl"
has "$TMP/err" "1 traces"

# a trace that ends before it started: file, line and field
line r1 2017-10-01T08:00:00.000000Z | sed 's/"end":"2017-10-01T08:00:00/"end":"2017-10-01T07:59:59/' >"$TMP/backwards.jsonl"
expect_rc 1 "$BT" diff "$TMP/backwards.jsonl"
has "$TMP/err" "backwards.jsonl:1: field 'end': 2017-10-01T07:59:59.000000Z is before start 2017-10-01T08:00:00.000000Z"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all round-file input checks passed"
