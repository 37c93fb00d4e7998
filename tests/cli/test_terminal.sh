#!/bin/bash
# bordertrace tests — terminal output (issue 13): `resolve --format table`
# streams (rows appear before the input ends) and escapes control characters
# in the names it prints; every error that quotes a bad token quotes a
# bounded, escaped prefix of it (a 10 MB bad line is not echoed whole).
# Sends no packet: the prober only loads campaigns (run --check).
# Addresses: 198.18.0.0/15 only, looked up in a test table.
#   test_terminal.sh PATH/TO/bordertrace-probe PATH/TO/bordertrace
set -u
PROBE=$1
BT=$2
T=$(mktemp -d /tmp/bt-terminal.XXXXXX)
trap 'kill $BGPID 2>/dev/null; rm -rf "$T"' EXIT
BGPID=
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# no terminal control in FILE: ESC, BEL, CR, the C1 CSI (0xc2 0x9b)
no_controls() { ! LC_ALL=C grep -q $'[\x1b\x07\r]\|\xc2\x9b' "$1" || fail "$2: raw control characters: $(cat -v "$1" | head -3)"; }
# a bounded message: at most MAX bytes on stderr
bounded() {
	local n; n=$(wc -c <"$1")
	if [ "$n" -le "$2" ]; then ok "$3: $n bytes"; else fail "$3: $n bytes of error (at most $2)"; fi
}

# hostile organisation names: escape sequences, BEL, tab, a C1 CSI
printf 'start,end,asn,org\n198.18.1.0,198.18.1.255,64501,"evil\x1b[2J\x1b]0;pwned\x07\tcorp \xc2\x9b31m caf\xc3\xa9"\n' >"$T/r.csv"
SRC="--lookup-test-ranges --pfx2as $T/r.csv"
"$BT" resolve --format table $SRC 198.18.1.1 198.18.1.2 >"$T/out" 2>"$T/err" || fail "resolve table: $(cat "$T/err")"
no_controls "$T/out" "resolve --format table"
grep -qF 'evil\x1b[2J\x1b]0;pwned\x07\x09corp ...' "$T/out" || fail "escaped name not shown: $(cat -v "$T/out")"
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "table: one line per row: $(cat -v "$T/out")"
ok "table escapes control characters"

# streaming: with stdin still open, the first 1000 rows are already out
mkfifo "$T/in"
"$BT" resolve --format table $SRC - <"$T/in" >"$T/stream" 2>"$T/err" &
BGPID=$!
exec 3>"$T/in"
for i in $(seq 0 1199); do echo "198.18.$((2 + i / 250)).$((i % 250 + 1))"; done >&3
for _ in $(seq 100); do [ "$(wc -l <"$T/stream")" -ge 900 ] && break; sleep 0.05; done
rows=$(wc -l <"$T/stream")
if [ "$rows" -ge 900 ]; then ok "table streams: $rows rows out before the input ended"
else fail "table rows before the input ended: $rows (it waits for the end)"; fi
exec 3>&-
wait $BGPID
BGPID=
[ "$(wc -l <"$T/stream")" -eq 1201 ] || fail "table rows at the end: $(wc -l <"$T/stream")"

# bounded, escaped quotes of bad tokens
head -c 10000000 /dev/zero | tr '\0' 'x' >"$T/long"
printf '\x1b[2J\n' >>"$T/long"
"$BT" resolve - <"$T/long" >/dev/null 2>"$T/err"
bounded "$T/err" 400 "resolve: a 10 MB bad line on stdin"
no_controls "$T/err" "resolve stdin"
"$BT" resolve "$(head -c 100000 "$T/long")" >/dev/null 2>"$T/err"
bounded "$T/err" 300 "resolve: a 100 KB bad argument"
printf 'start,end,asn\n198.18.1.0,\x1b[2J%s,1\n' "$(head -c 1000000 "$T/long")" >"$T/bad.csv"
"$BT" resolve --pfx2as "$T/bad.csv" 198.18.1.1 >/dev/null 2>"$T/err"
bounded "$T/err" 400 "a 1 MB bad line in a prefix table"
no_controls "$T/err" "prefix table"
printf 'prefix,name\n198.18.1.0/33,\x1b[2J\n' >"$T/bad-ixp.csv"
"$BT" resolve --ixp "$T/bad-ixp.csv" 198.18.1.1 >/dev/null 2>"$T/err"
no_controls "$T/err" "IXP list"
grep -qF '\x1b[2J' "$T/err" || fail "IXP list: escape not shown: $(cat -v "$T/err")"

# the prober: target lists and campaign values (run --check sends nothing)
{ echo 198.18.0.1; head -c 1000000 "$T/long"; echo; } >"$T/t.txt"
good='name = "c"; vp = "v"; targets = ["t.txt"]; lab = true; output = "out"; schedule = { interval = 60; };'
echo "$good" >"$T/c.campaign"
"$PROBE" run --check "$T/c.campaign" >/dev/null 2>"$T/err"
bounded "$T/err" 400 "a 1 MB bad token in a target list"
echo 198.18.0.1 >"$T/t.txt"
printf '%s\nmethod = "%s\\x1b[2J";\n' "$good" "$(head -c 100000 "$T/long")" >"$T/m.campaign"
"$PROBE" run --check "$T/m.campaign" >/dev/null 2>"$T/err"
grep -q "method" "$T/err" || fail "campaign method: $(head -c 300 "$T/err")"
bounded "$T/err" 400 "a 100 KB bad method in a campaign"
printf '%s\ninterface = "e\\x1b[2J";\n' "$good" >"$T/i.campaign"
"$PROBE" run --check "$T/i.campaign" >/dev/null 2>"$T/err"
no_controls "$T/err" "campaign interface"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all terminal checks passed"
