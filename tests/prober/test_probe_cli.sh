#!/bin/bash
# The prober's answers to bad usage, and to a missing CAP_NET_RAW. Data only:
# the addresses outside the test ranges here are refused, never probed. Sends no
# packet outside a namespace of its own: every case here fails before a socket
# is opened, or runs as an unprivileged user who cannot open one, or runs in a
# network namespace with nothing but a loopback (unshare -n). The addresses
# outside the test ranges below (0.0.0.0, 224.0.0.1, 10.1.2.3, ...) are data
# the prober must refuse before any socket: nothing is sent to them.
set -u
PROBE=$1
fail=0
WRAP= # a command the prober runs under (unshare -n, below)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect STATUS PATTERN -- ARGS...: exit status and a message on stderr
expect() {
	local want=$1 pat=$2
	shift 3
	$WRAP "$PROBE" "$@" >"$tmp/out" 2>"$tmp/err"
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
expect 2 "--order: 'random' is not one of spread, sweep" -- trace --order random 198.18.0.1
expect 2 "--rate-limits: 'maybe' is not one of learn, ignore" -- trace --rate-limits maybe 198.18.0.1
expect 2 "--send-path: 'fast' is not one of raw, packet" -- trace --send-path fast 198.18.0.1
expect 2 "multipath chooses its flows itself" -- trace --lab --multipath --flows 2 198.18.0.1
expect 2 "multipath chooses its flows itself" -- trace --lab --multipath --split-ttl 3 198.18.0.1
expect 2 "--multipath: --flow + 63" -- trace --lab --multipath --flow 4033 198.18.0.1
expect 2 "confidence" -- trace --lab --multipath --confidence 100 198.18.0.1
expect 2 "min-share" -- trace --lab --multipath --min-share 51 198.18.0.1
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
# Special-purpose destinations (issue 13): refused with the reason before any
# socket is opened, unless --lab (test ranges and loopback only, as a campaign's
# lab = true). Run without CAP_NET_RAW (as nobody when this runs as root), so a
# prober that stopped refusing them fails on its socket instead of sending.
nopriv() { # ARGS...: the prober as an unprivileged user, or as this one
	if [[ $(id -u) -eq 0 ]]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$tmp/probe" "$@"
	else
		"$tmp/probe" "$@"
	fi
}
expect_nopriv() { # STATUS PATTERN -- ARGS...
	local want=$1 pat=$2
	shift 3
	nopriv "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [[ $got -ne $want ]] || ! grep -q -- "$pat" "$tmp/err" || grep -q "CAP_NET_RAW" "$tmp/err"; then
		echo "FAIL: $* -> status $got (want $want, refused before any socket), stderr:"; sed 's/^/  /' "$tmp/err"
		fail=1
	else
		echo "ok: $* -> $got: $(head -1 "$tmp/err")"
	fi
}
if [[ $(id -u) -ne 0 ]] || command -v setpriv >/dev/null; then
	cp "$PROBE" "$tmp/probe" && chmod 755 "$tmp" "$tmp/probe"
	expect_nopriv 2 "target 0.0.0.0: an unspecified address (special-purpose): not traced$" -- trace 0.0.0.0
	expect_nopriv 2 "no target left to trace" -- trace 0.0.0.0
	expect_nopriv 2 "target 255.255.255.255: a broadcast address" -- trace 255.255.255.255
	expect_nopriv 2 "target 224.0.0.1: a multicast address" -- trace 224.0.0.1
	expect_nopriv 2 "target 10.1.2.3: a private address" -- trace 10.1.2.3
	expect_nopriv 2 "target ff02::1: a multicast address" -- trace ff02::1
	expect_nopriv 2 "target 127.0.0.1: a loopback address (special-purpose): not traced (--lab traces the test ranges and loopback)" -- trace 127.0.0.1
	expect_nopriv 2 "target 198.18.0.1: a benchmarking address (special-purpose): not traced (--lab traces the test ranges and loopback)" -- trace 198.18.0.1
	expect_nopriv 2 "target 2001:db8::1: a documentation address" -- trace 2001:db8::1
	# lab mode: only the test ranges and loopback; public space is refused too
	expect_nopriv 2 "target 192.0.2.1: outside the test ranges (--lab traces only 198.18.0.0/15" -- trace --lab 192.0.2.1
	expect_nopriv 2 "target 224.0.0.1: outside the test ranges" -- trace --lab 224.0.0.1 0.0.0.0
	# from a file: data, exit 1; the count when there are many
	{ echo 0.0.0.0; for i in $(seq 1 20); do echo "224.0.0.$i"; done; } >"$tmp/special.txt"
	expect_nopriv 1 "and 11 more special-purpose targets not traced" -- trace -T "$tmp/special.txt"
	expect_nopriv 1 "no target left to trace" -- trace -T "$tmp/special.txt"
fi

# No trace could run (no route: a network namespace of its own with only a
# loopback, so nothing can leave it): the reason, exit 1 (was 'stop: error',
# exit 0); some could: the count and the first reason, exit 0.
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
	WRAP="unshare -n"
	expect 1 "no trace could run: every target ended as an error (no source address: Network is unreachable)" -- \
		trace --lab -w 0.2 198.18.0.1 2001:db8::1
	WRAP=
	unshare -n sh -c 'ip link set lo up && exec "$0" trace --lab -w 0.2 -m 2 198.18.0.1 127.0.0.1' "$PROBE" \
		>"$tmp/out" 2>"$tmp/err"
	got=$?
	if [[ $got -ne 0 ]] || ! grep -q "1 of 2 traces ended as errors (the first: no source address" "$tmp/err"; then
		echo "FAIL: one of two traces possible -> status $got:"; sed 's/^/  /' "$tmp/err"; fail=1
	else
		echo "ok: one of two traces possible -> $got: $(head -1 "$tmp/err")"
	fi
fi

# An output file that cannot be created: refused before the first probe
# (and the target is 127.0.0.1, the one address the host namespace may probe).
if [[ $(id -u) -eq 0 ]]; then
	expect 1 "cannot create a temporary file beside it: No such file" -- \
		trace --lab -o "$tmp/nodir/out.jsonl" 127.0.0.1
fi

# Without CAP_NET_RAW: a clear message saying how to grant it, non-zero exit.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$tmp/probe" trace --lab 127.0.0.1 >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [[ $got -eq 0 ]] || ! grep -q "CAP_NET_RAW" "$tmp/err" || ! grep -q "setcap cap_net_raw+ep" "$tmp/err"; then
		echo "FAIL: unprivileged run -> status $got:"; sed 's/^/  /' "$tmp/err"; fail=1
	else
		echo "ok: unprivileged run -> $got: $(tail -1 "$tmp/err")"
	fi
fi
exit $fail
