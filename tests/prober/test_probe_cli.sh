#!/bin/bash
# The prober's answers to bad usage, and to a missing CAP_NET_RAW. Sends no
# packet: every case here fails before a socket is opened, or runs as an
# unprivileged user who cannot open one.
set -u
PROBE=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect STATUS PATTERN -- ARGS...: exit status and a message on stderr
expect() {
	local want=$1 pat=$2
	shift 3
	"$PROBE" "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [[ $got -ne $want ]] || ! grep -q -- "$pat" "$tmp/err"; then
		echo "FAIL: $* -> status $got (want $want), stderr:"; sed 's/^/  /' "$tmp/err"
		fail=1
	else
		echo "ok: $* -> $got: $(head -1 "$tmp/err")"
	fi
}

expect 2 "usage" -- 
expect 2 "unknown command" -- frobnicate
expect 2 "no target" -- trace
expect 2 "not an IP address" -- trace example.org
expect 2 "not an IP address" -- trace 198.18.0.300
# IPv6 targets are traced (tests/lab): here only what fails before a socket
expect 2 "one IPv6 source only" -- trace -s 2001:db8::1 -s 2001:db8::2 2001:db8::3
expect 2 "one IPv4 source only" -- trace -s 198.18.0.1 -s 198.18.0.2 198.18.0.3
expect 2 "not an IP address" -- trace 2001:db8:::1
expect 2 "max-ttl" -- trace -m 0 198.18.0.1
expect 2 "max-ttl" -- trace -m 256 198.18.0.1
expect 2 "max-ttl" -- trace -m abc 198.18.0.1
expect 2 "first-ttl" -- trace -f 10 -m 5 198.18.0.1
expect 2 "attempts" -- trace -q 0 198.18.0.1
expect 2 "wait" -- trace -w 0 198.18.0.1
expect 2 "wait" -- trace -w 1x 198.18.0.1
expect 2 "method" -- trace -P icmp 198.18.0.1
expect 2 "flow" -- trace -F 99999 198.18.0.1
expect 2 "rate" -- trace -r -5 198.18.0.1
expect 2 "source" -- trace -s nowhere 198.18.0.1
# ids (include/bordertrace/id.h): the option, the reason, the rule
expect 2 "--vp: 'a/b' contains '/'" -- trace --vp a/b 198.18.0.1
expect 2 "--campaign: '.x' starts with '.'" -- trace --campaign .x 198.18.0.1
expect 2 "--round: '@r' starts with a formula character" -- trace --round @r 198.18.0.1
expect 2 "(try 'bordertrace-probe trace --help')" -- trace --vp 'a b' 198.18.0.1
printf '198.18.0.1\n# ok\nbogus\n' >"$tmp/t.txt"
# bad data in a file is exit 1 (doc/cli.md), with FILE:LINE
expect 1 "t.txt:3: 'bogus'" -- trace -T "$tmp/t.txt"
expect 1 "No such file" -- trace -T "$tmp/none.txt"
expect 1 "read error: Is a directory" -- trace -T "$tmp"
printf '# nothing\n' >"$tmp/empty.txt"
expect 1 "empty.txt: no target in the file" -- trace -T "$tmp/empty.txt"
printf '2001:db8::1\n2001:db8::g\n' >"$tmp/v6.txt"
expect 1 "v6.txt:2: '2001:db8::g'" -- trace -T "$tmp/v6.txt"
# An output file that cannot be created: refused before the first probe
# (and the target is 127.0.0.1, the one address the host namespace may probe).
if [[ $(id -u) -eq 0 ]]; then
	expect 1 "cannot create a temporary file beside it: No such file" -- \
		trace -o "$tmp/nodir/out.jsonl" 127.0.0.1
fi

# Without CAP_NET_RAW: a clear message saying how to grant it, non-zero exit.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
	cp "$PROBE" "$tmp/probe" && chmod 755 "$tmp" "$tmp/probe"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$tmp/probe" trace 127.0.0.1 >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [[ $got -eq 0 ]] || ! grep -q "CAP_NET_RAW" "$tmp/err" || ! grep -q "setcap cap_net_raw+ep" "$tmp/err"; then
		echo "FAIL: unprivileged run -> status $got:"; sed 's/^/  /' "$tmp/err"; fail=1
	else
		echo "ok: unprivileged run -> $got: $(tail -1 "$tmp/err")"
	fi
fi
exit $fail
