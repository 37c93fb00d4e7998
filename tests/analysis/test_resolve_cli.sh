#!/bin/sh
# bordertrace tests — the `bordertrace resolve` CLI: output columns, input
# from arguments and stdin, exit statuses, and the errors a user sees for bad
# addresses, bad tables (file:line) and bad databases.
# The addresses (real public and private ones: 175.45.176.1, 8.8.8.8,
# 1.1.1.1, 10.1.1.1, ...) are data only: `bordertrace resolve` looks them up
# in test databases and never sends a packet (the analysis opens no socket).
# usage: test_resolve_cli.sh PATH/TO/bordertrace   (BT_TEST_DB_DIR, BT_TEST_DATA_DIR set)
set -u
BT=$1
DB=$BT_TEST_DB_DIR
DATA=$BT_TEST_DATA_DIR
TMP=$(mktemp -d /tmp/bt-resolve-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_rc WANT CMD... : runs CMD, stdout to $TMP/out, stderr to $TMP/err
expect_rc() {
	want=$1; shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "exit $rc (want $want): $*: $(cat "$TMP/err")"
}
has() { grep -qF -- "$2" "$1" || fail "$1 lacks: $2 (got: $(cat "$1"))"; }

HEADER='address,class,prefix,asn,origins,as_org,country,reg_country,ixp,source'

# dispatch
expect_rc 0 "$BT" --help
has "$TMP/out" "resolve"
expect_rc 2 "$BT" no-such-command
has "$TMP/err" "unknown command 'no-such-command'"
expect_rc 2 "$BT"
expect_rc 0 "$BT" resolve --help
has "$TMP/out" "--lookup-test-ranges"
expect_rc 2 "$BT" resolve
expect_rc 2 "$BT" resolve --format xml 1.1.1.1
expect_rc 2 "$BT" resolve --asn-layout nope --asn-db x 1.1.1.1
expect_rc 2 "$BT" resolve --bogus-option 1.1.1.1

# rows, CSV (stdout is not a terminal here)
expect_rc 0 "$BT" resolve --asn-db "$DB/test-geolite2-asn.mmdb" \
	--country-db "$DB/test-geolite2-country.mmdb" \
	175.45.176.1 188.43.9.9 10.1.1.1 9.9.9.9 198.18.1.5
[ "$(head -1 "$TMP/out")" = "$HEADER" ] || fail "header: $(head -1 "$TMP/out")"
has "$TMP/out" '175.45.176.1,public,175.45.176.0/22,131279,131279,Ryugyong-dong,KP,KP,,asn-db'
has "$TMP/out" '188.43.9.9,public,188.43.0.0/16,20485,20485,"JSC ""TransTeleCom"", Moscow",RU,DE,,asn-db'
has "$TMP/out" '10.1.1.1,private,10.0.0.0/8,,,,,,,class'
has "$TMP/out" '9.9.9.9,public,,,,,,,,none'
has "$TMP/out" '198.18.1.5,benchmarking,198.18.0.0/15,,,,,,,class'
[ "$(wc -l <"$TMP/out")" -eq 6 ] || fail "row count"

# the test-range switch
expect_rc 0 "$BT" resolve --lookup-test-ranges --asn-db "$DB/test-geolite2-asn.mmdb" 198.18.1.5 2001:db8::1
has "$TMP/out" '198.18.1.5,benchmarking,198.18.1.0/24,64502,64502,Lab AS two,,,,asn-db'
has "$TMP/out" '2001:db8::1,documentation,2001:db8::/48,64501,64501,Lab AS one,,,,asn-db'

# prefix tables, MOAS, IXP, which source answered
expect_rc 0 "$BT" resolve --prefer-pfx2as --asn-db "$DB/test-geolite2-asn.mmdb" \
	--pfx2as "$DATA/pfx2as.txt" --pfx2as "$DATA/ranges.csv" --ixp "$DATA/ixp.csv" \
	175.45.176.1 8.8.8.8 195.69.144.1 1.0.0.9
has "$TMP/out" '175.45.176.1,public,175.45.176.0/24,4837,4837_20485,,,,,pfx2as'
has "$TMP/out" '8.8.8.8,public,8.8.8.0/24,15169,15169,Google LLC,,,,asn-db'
has "$TMP/out" '195.69.144.1,public,195.69.144.0/22,,,,,,AMS-IX,ixp'
has "$TMP/out" '1.0.0.9,public,1.0.0.0/24,13335,13335,"Cloudflare, Inc.",,,,pfx2as'

# public tables as downloaded (an ip-location-db ASN CSV: no header, CRLF,
# unquoted orgs with commas, two ranges partly overlapping, one repeated):
# accepted, each address by the rule (the smaller range, then the later
# row), one summary line per file with conflicts on stderr, each conflict
# with both rows under -v; a clean file says nothing
printf '1.0.0.0,1.0.0.255,13335,Cloudflare, Inc.\r\n1.0.4.0,1.0.7.255,38803,Wireless\r\n' >"$TMP/asn-ipv4.csv"
printf '1.0.6.0,1.0.11.255,4134,CHINANET\r\n1.0.16.0,1.0.16.255,2519,A\r\n1.0.16.0,1.0.16.255,2520,B\r\n' >>"$TMP/asn-ipv4.csv"
expect_rc 0 "$BT" resolve --pfx2as "$DATA/pfx2as.txt" --pfx2as "$TMP/asn-ipv4.csv" 1.0.6.1 1.0.8.1 1.0.16.1
has "$TMP/out" '1.0.6.1,public,1.0.4.0/22,38803,38803,Wireless,,,,pfx2as'
has "$TMP/out" '1.0.8.1,public,1.0.8.0/22,4134,4134,CHINANET,,,,pfx2as'
has "$TMP/out" '1.0.16.1,public,1.0.16.0/24,2520,2520,B,,,,pfx2as'
has "$TMP/err" "bordertrace resolve: $TMP/asn-ipv4.csv: 5 rows, of which 1 repeats and 1 partly overlaps another row: accepted (where rows overlap, the smaller range wins, then the later row; -v lists them)"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "not one summary line: $(cat "$TMP/err")"
expect_rc 0 "$BT" resolve -v --pfx2as "$TMP/asn-ipv4.csv" 1.0.6.1
has "$TMP/err" "bordertrace resolve: $TMP/asn-ipv4.csv:3: range 1.0.6.0-1.0.11.255 (AS 4134) partly overlaps $TMP/asn-ipv4.csv:2: range 1.0.4.0-1.0.7.255 (AS 38803); $TMP/asn-ipv4.csv:2 wins where both hold (the smaller range)"
has "$TMP/err" "bordertrace resolve: $TMP/asn-ipv4.csv:5: range 1.0.16.0-1.0.16.255 (AS 2520) duplicates $TMP/asn-ipv4.csv:4: range 1.0.16.0-1.0.16.255 (AS 2519); $TMP/asn-ipv4.csv:5 wins (the later row)"
expect_rc 0 "$BT" resolve --pfx2as "$DATA/pfx2as.txt" 1.0.6.1
[ -s "$TMP/err" ] && fail "a clean table printed: $(cat "$TMP/err")"
# not a table at all: still refused, the file named
printf '{"start":"1.0.0.0","end":"1.0.0.255","asn":13335}\n' >"$TMP/asn.json"
expect_rc 1 "$BT" resolve --pfx2as "$TMP/asn.json" 1.0.0.1
has "$TMP/err" "asn.json:1: bad start address"
printf 'start,end,asn,org\n' >"$TMP/header-only.csv"
expect_rc 1 "$BT" resolve --pfx2as "$TMP/header-only.csv" 1.0.0.1
has "$TMP/err" "header-only.csv: no prefix or range in the file"

# stdin, with a bad line: the rest is still resolved, exit 1, line named
printf '8.8.8.8\n# comment\n\nnot-an-address\n  10.0.0.1  \n' >"$TMP/in"
expect_rc 1 "$BT" resolve --asn-db "$DB/test-geolite2-asn.mmdb" - <"$TMP/in"
has "$TMP/err" "stdin line 4: 'not-an-address' is not an IP address"
has "$TMP/out" '8.8.8.8,public,8.8.8.0/24,15169'
has "$TMP/out" '10.0.0.1,private'
expect_rc 1 "$BT" resolve 1.2.3.4 1.2.3.999
has "$TMP/err" "argument 2: '1.2.3.999' is not an IP address"
has "$TMP/out" '1.2.3.4,public'

# table output
expect_rc 0 "$BT" resolve --format table 10.0.0.1
has "$TMP/out" 'address   class'

# bad sources: the error names the file (and line); exit 1; no rows
expect_rc 1 "$BT" resolve --asn-db "$TMP/missing.mmdb" 1.1.1.1
has "$TMP/err" "$TMP/missing.mmdb: cannot open: No such file or directory"
expect_rc 1 "$BT" resolve --asn-db "$DATA/truth.txt" 1.1.1.1
has "$TMP/err" "truth.txt: not a usable MaxMind DB file"
head -c 500 "$DB/test-geolite2-asn.mmdb" >"$TMP/trunc.mmdb"
expect_rc 1 "$BT" resolve --asn-db "$TMP/trunc.mmdb" 1.1.1.1
has "$TMP/err" "trunc.mmdb: not a usable MaxMind DB file"
expect_rc 1 "$BT" resolve --asn-db "$DB/test-bogus.mmdb" 1.1.1.1
has "$TMP/err" "its records have: bar, foo"
expect_rc 1 "$BT" resolve --country-db "$DB/test-geolite2-asn.mmdb" --country-layout ipinfo 1.1.1.1
has "$TMP/err" "records lack the keys of layout ipinfo; they have: autonomous_system_number"
printf '1.0.0.0\t24\t1\n2.0.0.0\t24\t2\n3.0.0.0\t24\tAS-x\n' >"$TMP/bad.pfx2as"
expect_rc 1 "$BT" resolve --pfx2as "$TMP/bad.pfx2as" 1.1.1.1
has "$TMP/err" "bad.pfx2as:3: bad AS number"
printf '1.0.0.0/24,IX one\n1.0.0.0/33,IX two\n' >"$TMP/bad.ixp"
expect_rc 1 "$BT" resolve --ixp "$TMP/bad.ixp" 1.1.1.1
has "$TMP/err" "bad.ixp:2: bad prefix length"
expect_rc 1 "$BT" resolve --asn-db "$DB/test-bad-asn.mmdb" 8.8.8.8 10.0.0.1
has "$TMP/err" "field 'autonomous_system_number' is not an AS number"
has "$TMP/out" '10.0.0.1,private'

# the MMDBs' networks loaded at open (default) or looked up in the tree:
# the same rows, and -v says which
set -- 175.45.176.1 219.158.96.7 ::ffff:8.8.8.8 64:ff9b::808:808 2a01:4f8::1 9.9.9.9
expect_rc 0 "$BT" resolve -v --asn-db "$DB/test-geolite2-asn-aliased.mmdb" \
	--country-db "$DB/test-geolite2-country.mmdb" "$@"
cp "$TMP/out" "$TMP/flat.out"
has "$TMP/err" "networks loaded"
expect_rc 0 "$BT" resolve -v --mmdb-tree-lookups --asn-db "$DB/test-geolite2-asn-aliased.mmdb" \
	--country-db "$DB/test-geolite2-country.mmdb" "$@"
has "$TMP/err" "tree lookups"
cmp -s "$TMP/out" "$TMP/flat.out" || fail "--mmdb-tree-lookups changed the rows"
has "$TMP/out" '175.45.176.1,public,175.45.176.0/22,131279'

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all CLI checks passed"
