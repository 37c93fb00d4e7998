#!/bin/bash
# bordertrace tests — CSV injection (doc/csv.md, issue 13): every CSV column
# that can carry outside text (organisation names from an MMDB or a range
# table, IXP names, ids) is written so that a spreadsheet never runs it as a
# formula: a cell starting with =, +, -, @, tab or CR gets a leading ' and
# quotes (OWASP), plain numbers such as -12 stay as they are. And round files
# whose ids break the one id rule are refused with file:line and field.
# Addresses: 198.18.0.0/15 only, looked up in test tables; nothing is probed.
# usage: test_csv_injection.sh PATH/TO/bordertrace PATH/TO/mkmmdb.pl
set -u
BT=$1
MKMMDB=$2
TMP=$(mktemp -d /tmp/bt-csv-inj.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() {
	want=$1; shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "exit $rc (want $want): $*: $(cat "$TMP/err")"
}
has() { grep -qF -- "$2" "$1" || fail "$1 lacks: $2 (got: $(cat "$1"))"; }
hasnt() { ! grep -qF -- "$2" "$1" || fail "$1 has: $2"; }

# Hostile names: a range table (org column), an IXP list, an MMDB.
cat >"$TMP/ranges.csv" <<'T'
start,end,asn,org
198.18.1.0,198.18.1.255,64501,"=HYPERLINK(""http://evil.example/"",""click"")"
198.18.3.0,198.18.3.255,64502,@SUM(1+1)
198.18.5.0,198.18.5.255,64505,-12
198.18.6.0,198.18.6.255,64506,+2+3
T
# an organisation of 120 bytes, half of them quotes: 243 bytes escaped, past
# the pipeline's cached cell (it used to be written as an empty cell)
python3 -c 'print("198.18.8.0,198.18.8.255,64508,\"" + "A\"\"" * 60 + "\"")' >>"$TMP/ranges.csv"
printf 'prefix,name\n198.18.2.0/24,-2+3 IXP\n198.18.7.0/24,"@IXP, cmd"\n' >"$TMP/ixp.csv"
printf '198.18.4.0/24 | 64504 | =cmd /C calc!A0 | - | -\n' >"$TMP/truth.txt"
perl "$MKMMDB" --layout geolite2-asn "$TMP/truth.txt" "$TMP/asn.mmdb" || fail "mkmmdb"
SRC="--lookup-test-ranges --pfx2as $TMP/ranges.csv --ixp $TMP/ixp.csv"

# resolve --format csv: org and ixp columns, from each source
expect_rc 0 "$BT" resolve --format csv $SRC --asn-db "$TMP/asn.mmdb" 198.18.1.1 198.18.2.1 198.18.3.1 198.18.4.1 198.18.5.1 198.18.6.1
has "$TMP/out" ',"'"'"'=HYPERLINK(""http://evil.example/"",""click"")",'
has "$TMP/out" ",\"'@SUM(1+1)\","
has "$TMP/out" ",\"'=cmd /C calc!A0\","
has "$TMP/out" ",\"'-2+3 IXP\","
has "$TMP/out" ',64505,64505,-12,'      # a number stays a number
has "$TMP/out" ",\"'+2+3\","
hasnt "$TMP/out" ',=' ; hasnt "$TMP/out" ',@'

# export and diff: hops.csv (org, ixp), borders.csv (ixp), events (upstream name)
line() { # ROUND VP DST HOP1 HOP2
	printf '{"format":"bordertrace-trace","v":1,"vp":"%s","campaign":"c","round":"%s",' "$2" "$1"
	printf '"method":"icmp-paris","src":"198.18.0.2","dst":"%s","flow":0,"sport":0,' "$3"
	printf '"dport":0,"icmp_sum":4096,"start":"2017-10-01T08:00:00.000000Z","end":"2017-10-01T08:00:01.000000Z",'
	printf '"stop":"completed","stop_ttl":3,"first_ttl":1,"max_ttl":32,"probes_sent":3,"hops":['
	printf '{"ttl":1,"attempt":1,"addr":"%s","rtt_ms":0.1,"reply_ttl":64,"icmp_type":11,"icmp_code":0,"quoted_ttl":1,"size":56},' "$4"
	printf '{"ttl":2,"attempt":1,"addr":"%s","rtt_ms":0.1,"reply_ttl":64,"icmp_type":11,"icmp_code":0,"quoted_ttl":1,"size":56},' "$5"
	printf '{"ttl":3,"attempt":1,"addr":"%s","rtt_ms":0.2,"reply_ttl":63,"icmp_type":0,"icmp_code":0,"size":84}]}\n' "$3"
}
mkdir -p "$TMP/rounds"
{ line r1 vp1 198.18.3.2 198.18.1.1 198.18.2.1; line r1 "" 198.18.6.2 198.18.4.1 198.18.7.1; } >"$TMP/rounds/r1.jsonl"
{ line r2 vp1 198.18.3.2 198.18.4.1 198.18.2.1; line r2 "" 198.18.6.2 198.18.1.1 198.18.7.1; } >"$TMP/rounds/r2.jsonl"
line r2 vp2 198.18.8.2 198.18.8.1 198.18.2.1 >>"$TMP/rounds/r2.jsonl"
expect_rc 0 "$BT" export -o "$TMP/x" $SRC --asn-db "$TMP/asn.mmdb" "$TMP/rounds"
python3 - "$TMP/x/hops.csv" <<'PY' || fail "hops.csv: the long organisation of 198.18.8.1 is not written whole"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["addr"] == "198.18.8.1"]
sys.exit(0 if rows and all(r["org"] == 'A"' * 60 for r in rows) else 1)
PY
has "$TMP/x/hops.csv" ',"'"'"'=HYPERLINK(""http://evil.example/"",""click"")",'
has "$TMP/x/hops.csv" ",\"'=cmd /C calc!A0\","
has "$TMP/x/hops.csv" ",\"'-2+3 IXP\","
has "$TMP/x/hops.csv" ",\"'@IXP, cmd\","
has "$TMP/x/hops.csv" ",\"'@SUM(1+1)\","
has "$TMP/x/borders.csv" ",\"'-2+3 IXP\","
has "$TMP/x/borders.csv" ",\"'@IXP, cmd\","
# a trace without vp: its id starts with '-' ("-/r1/..."), guarded like any cell
has "$TMP/x/traces.csv" "\"'-/r1/198.18.6.2/icmp-paris/0\",,c,r1,"
for f in hops traces borders events diversity; do
	# no cell (at a line start or after a comma) starts a formula unguarded
	grep -nE '(^|,)[=+@-][^0-9]' "$TMP/x/$f.csv" | grep -v '^[0-9]*:"' >"$TMP/bad"
	[ -s "$TMP/bad" ] && fail "$f.csv: formula-leading cells: $(head -3 "$TMP/bad")"
done
expect_rc 0 "$BT" diff --format csv --baseline 1 $SRC --asn-db "$TMP/asn.mmdb" "$TMP/rounds"
grep -nE '(^|,)[=+@-][^0-9]' "$TMP/out" >"$TMP/bad" && fail "diff csv: formula-leading cells: $(head -3 "$TMP/bad")"

# the readers apply the one id rule: file:line, the field, exit 1
for id in a/b =1+1 @x +x -x; do
	{ line r1 vp1 198.18.3.2 198.18.1.1 198.18.2.1; line r1 "$id" 198.18.3.2 198.18.1.1 198.18.2.1; } >"$TMP/bad.jsonl"
	expect_rc 1 "$BT" diff "$TMP/bad.jsonl"
	has "$TMP/err" "$TMP/bad.jsonl:2: field 'vp': '$id'"
	expect_rc 1 "$BT" export -o "$TMP/y" "$TMP/bad.jsonl"
	has "$TMP/err" "$TMP/bad.jsonl:2: field 'vp': '$id'"
done

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all CSV injection checks passed"
