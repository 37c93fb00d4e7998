#!/bin/bash
# bordertrace tests — one command-line convention for both programs
# (doc/cli.md): exit status 0 ok, 1 bad data or runtime failure, 2 usage
# error; messages on stderr only, "PROGRAM: what" (data errors "PROGRAM:
# FILE:LINE: what"), usage errors followed by "(try 'PROGRAM [COMMAND]
# --help')"; --help on stdout. Sends no packet: every prober case here fails
# before a socket is opened, or only prints.
# usage: test_cli.sh PATH/TO/bordertrace-probe PATH/TO/bordertrace
set -u
PROBE=$1
BT=$2
T=$(mktemp -d /tmp/bt-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# check STATUS FIRST_LINE_REGEX TRY -- CMD...: the exit status, the first
# line of stderr (extended regex, anchored), the try-help line (or "" for
# none), and nothing on stdout
check() {
	local want=$1 re=$2 try=$3
	shift 4
	"$@" >"$T/out" 2>"$T/err"
	local got=$? first
	first=$(head -1 "$T/err")
	if [ "$got" -ne "$want" ]; then
		fail "$* -> exit $got (want $want): $(cat "$T/err")"
	elif ! [[ $first =~ ^$re ]]; then
		fail "$* -> first line '$first' (want /^$re/)"
	elif [ -n "$try" ] && [ "$(tail -1 "$T/err")" != "$try" ]; then
		fail "$* -> last line '$(tail -1 "$T/err")' (want '$try')"
	elif [ -z "$try" ] && grep -q "(try '" "$T/err"; then
		fail "$* -> a try-help line after a data error: $(cat "$T/err")"
	elif [ -s "$T/out" ]; then
		fail "$* -> wrote to stdout: $(head -3 "$T/out")"
	else
		echo "ok: exit $got: ${*#*/}: $first"
	fi
}
# ok_stdout CMD...: exit 0, something on stdout, nothing on stderr
ok_stdout() {
	"$@" >"$T/out" 2>"$T/err"
	local got=$?
	if [ "$got" -ne 0 ] || ! [ -s "$T/out" ] || [ -s "$T/err" ]; then
		fail "$* -> exit $got, stdout $(wc -c <"$T/out") bytes, stderr: $(cat "$T/err")"
	else
		echo "ok: exit 0: ${*#*/}: $(head -1 "$T/out")"
	fi
}

P=bordertrace-probe
for prog in "$PROBE" "$BT"; do
	name=$(basename "$prog")
	ok_stdout "$prog" --help
	ok_stdout "$prog" --version
	grep -qE "^$name [0-9]+\.[0-9]+" "$T/out" || fail "$name --version: $(cat "$T/out")"
	check 2 "$name: unknown command 'frobnicate'" "(try '$name --help')" -- "$prog" frobnicate
done
for cmd in trace run; do
	ok_stdout "$PROBE" $cmd --help
	check 2 "$P: unknown option '--bogus'" "(try '$P $cmd --help')" -- "$PROBE" $cmd --bogus x
done
for cmd in resolve diff export report convert db push derive watch; do
	ok_stdout "$BT" $cmd --help
	check 2 "bordertrace $cmd: unknown option '--bogus'" "(try 'bordertrace $cmd --help')" -- "$BT" $cmd --bogus x
done

# usage errors: bad numbers, missing values and arguments, bad ids
check 2 "$P: --max-ttl: 'abc' is not a whole number in 1..255" "(try '$P trace --help')" -- "$PROBE" trace -m abc 198.18.0.1
check 2 "$P: option '--max-ttl' needs a value" "(try '$P trace --help')" -- "$PROBE" trace 198.18.0.1 --max-ttl
check 2 "$P: option '-m' needs a value" "(try '$P trace --help')" -- "$PROBE" trace 198.18.0.1 -m
check 2 "$P: unknown option '-Z'" "(try '$P trace --help')" -- "$PROBE" trace -Z 198.18.0.1
check 2 "$P: no target given" "(try '$P trace --help')" -- "$PROBE" trace
# a long option given a value it does not take is named as the long option
# (getopt reports its short val; an unknown short one in a bundle after a
# long option is still the short one)
check 2 "$P: option '--json' takes no value" "(try '$P trace --help')" -- "$PROBE" trace --json=1 198.18.0.1
check 2 "$P: option '--help' takes no value" "(try '$P trace --help')" -- "$PROBE" trace --help=x
check 2 "$P: unknown option '-x'" "(try '$P trace --help')" -- "$PROBE" trace --json -xq 198.18.0.1
check 2 "bordertrace diff: option '--per-vp' takes no value" "(try 'bordertrace diff --help')" -- "$BT" diff --per-vp=x r.jsonl
check 2 "$P: --rounds: '-1' is not a whole number" "(try '$P run --help')" -- "$PROBE" run --rounds -1 x.campaign
check 2 "$P: run needs exactly one CAMPAIGN file" "(try '$P run --help')" -- "$PROBE" run
for opt in --vp --campaign --round; do
	check 2 "$P: $opt: 'a/b' contains '/' \(an id is 1\.\.63 printable" "(try '$P trace --help')" -- "$PROBE" trace $opt a/b 198.18.0.1
	check 2 "$P: $opt: '-x' starts with a formula character" "(try '$P trace --help')" -- "$PROBE" trace $opt -x 198.18.0.1
done
check 2 "bordertrace diff: --baseline: 'x' is not a whole number in 1..1000000" "(try 'bordertrace diff --help')" -- "$BT" diff --baseline x r.jsonl
check 2 "bordertrace diff: option '--baseline' needs a value" "(try 'bordertrace diff --help')" -- "$BT" diff r.jsonl --baseline
check 2 "bordertrace export: -o DIR is required" "(try 'bordertrace export --help')" -- "$BT" export r.jsonl
check 2 "bordertrace report: -o DIR is required" "(try 'bordertrace report --help')" -- "$BT" report r.jsonl
check 2 "bordertrace convert: --round-interval: '0' is not a number of seconds" "(try 'bordertrace convert --help')" -- "$BT" convert --round-interval 0 -o x r.jsonl
check 2 "bordertrace convert: option '--to' needs a value" "(try 'bordertrace convert --help')" -- "$BT" convert -o x r.jsonl --to
check 2 "bordertrace resolve: no addresses" "(try 'bordertrace resolve --help')" -- "$BT" resolve
check 2 "bordertrace db: unknown action 'drop' \(init or migrate\)" "(try 'bordertrace db --help')" -- "$BT" db drop host=/x
check 2 "bordertrace db: expected init\|migrate and URL" "(try 'bordertrace db --help')" -- "$BT" db init
check 2 "bordertrace db: URL: a password in the connection string" "(try 'bordertrace db --help')" -- "$BT" db init postgresql://u:pw@h/bt
check 2 "bordertrace push: no --db URL" "(try 'bordertrace push --help')" -- "$BT" push d
check 2 "bordertrace derive: no --db URL" "(try 'bordertrace derive --help')" -- "$BT" derive
check 2 "bordertrace derive: unexpected argument 'x'" "(try 'bordertrace derive --help')" -- "$BT" derive --db host=/x x
check 2 "bordertrace derive: --db: a password in the connection string" "(try 'bordertrace derive --help')" -- "$BT" derive --db postgresql://u:pw@h/bt
check 2 "bordertrace watch: --db URL is required" "(try 'bordertrace watch --help')" -- "$BT" watch --exec true
check 2 "bordertrace watch: --db: a password in the connection string" "(try 'bordertrace watch --help')" -- "$BT" watch --db postgresql://u:pw@h/bt
check 2 "bordertrace watch: --since/--until: not for watch" "(try 'bordertrace watch --help')" -- "$BT" watch --db host=/x --since 2026-12-01T00:00:00Z
check 2 "bordertrace watch: unexpected argument 'x'" "(try 'bordertrace watch --help')" -- "$BT" watch --db host=/x x
check 2 "bordertrace push: --db: a password in the connection string" "(try 'bordertrace push --help')" -- "$BT" push --db "host=/x password=pw" d
check 2 "bordertrace push: --db: invalid connection option" "(try 'bordertrace push --help')" -- "$BT" push --db "hots=/x" d
check 2 "bordertrace push: --retry-for: expected seconds 0..86400, got 'x'" "(try 'bordertrace push --help')" -- "$BT" push --db host=/x --retry-for x d
check 2 "bordertrace resolve: --format: 'xml' is not csv or table" "(try 'bordertrace resolve --help')" -- "$BT" resolve --format xml 198.18.0.1

# data errors: missing files, malformed lines with FILE:LINE, exit 1, no try line
check 1 "$P: $T/none.txt: No such file or directory" "" -- "$PROBE" trace -T "$T/none.txt"
printf '198.18.0.1\n# a comment\n198.18.0.300\n' >"$T/targets.txt"
check 1 "$P: $T/targets.txt:3: '198.18.0.300': not an IP address" "" -- "$PROBE" trace -T "$T/targets.txt"
check 1 "$P: $T/none.campaign: " "" -- "$PROBE" run --check "$T/none.campaign"
printf 'name = "c"; vp = "v"; targets = "targets.txt"; output = "o";\nschedule = { interval = 60; };\nrate = 0;\n' >"$T/bad.campaign"
check 1 "$P: $T/bad.campaign:3: field 'rate'" "" -- "$PROBE" run --check "$T/bad.campaign"
printf 'name = "c"; vp = "v"; targets = "targets.txt"; output = "o"; lab = true;\nschedule = { interval = 60; };\n' >"$T/c.campaign"
check 1 "$P: $T/targets.txt:3: '198.18.0.300'" "" -- "$PROBE" run --check "$T/c.campaign"
check 1 "bordertrace diff: $T/none.jsonl: No such file or directory" "" -- "$BT" diff "$T/none.jsonl"
printf '{"format":"bordertrace-trace","v":1}\n\n{"format":"bordertrace-trace","v":1,"vp":"v"\n' >"$T/bad.jsonl"
check 1 "bordertrace diff: $T/bad.jsonl:1: " "" -- "$BT" diff "$T/bad.jsonl"
check 1 "bordertrace export: $T/bad.jsonl:1: " "" -- "$BT" export -o "$T/exp" "$T/bad.jsonl"
check 1 "bordertrace resolve: $T/none.mmdb" "" -- "$BT" resolve --asn-db "$T/none.mmdb" 198.18.0.1
check 1 "bordertrace push: $T/none: No such file or directory" "" -- "$BT" push --db host=/x "$T/none"
mkdir -p "$T/norounds/.hidden" && touch "$T/norounds/.hidden/r.jsonl" "$T/norounds/.r.jsonl" "$T/norounds/r.txt"
check 1 "bordertrace push: $T/norounds: no round files \(\*\.jsonl\) in it or below" "" -- "$BT" push --db host=/x "$T/norounds"
touch "$T/file"
check 1 "bordertrace export: -o: $T/file/sub: Not a directory" "" -- "$BT" export -o "$T/file/sub/dir" "$T/bad.jsonl"
check 1 "bordertrace report: $T/bad.jsonl:1: " "" -- "$BT" report -o "$T/rep" "$T/bad.jsonl"
check 1 "bordertrace report: -o: $T/file/sub: Not a directory" "" -- "$BT" report -o "$T/file/sub/dir" "$T/bad.jsonl"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
