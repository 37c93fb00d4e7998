#!/bin/bash
# bordertrace-probe run: refusals and --check, which send nothing (the
# campaign is loaded and described, no socket is opened). No privileges.
# Addresses outside the test ranges in the lists below are data only (the
# filter must drop or refuse them); nothing here sends a packet.
set -u
PROBE=$1
EX=$2 # examples/ directory
fail=0
WRAP= # a command run before the prober (capped, below)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

expect() { # STATUS PATTERN -- ARGS...
	local want=$1 pat=$2
	shift 3
	$WRAP "$PROBE" "$@" >"$T/out" 2>"$T/err"
	local got=$?
	if [[ $got -ne $want ]] || ! grep -q -- "$pat" "$T/err"; then
		echo "FAIL: run $* -> $got (want $want, /$pat/):"; sed 's/^/  /' "$T/err"; fail=1
	else
		echo "ok: $* -> $got: $(head -1 "$T/err" | cut -c1-160)"
	fi
}

for i in $(seq 1 9); do echo "198.18.200.$i"; done >"$T/t.txt"
printf '198.18.0.0/22\n10.0.0.0/24\n8.8.8.0/24\n' >"$T/p.txt"
good='name = "c"; vp = "v"; targets = ["t.txt", "p.txt"]; lab = true; output = "out"; schedule = { interval = 60; };'
echo "$good" >"$T/c.campaign"
expect 0 "campaign c, vp v: 13 targets (2 special-purpose or outside the test ranges" -- run --check "$T/c.campaign"
expect 0 "vp other:" -- run --check --vp other "$T/c.campaign"
# without the lab switch only public space is kept (the check sends nothing)
echo "${good/lab = true; /}" >"$T/pub.campaign"
expect 0 "campaign c, vp v: 1 targets (14 special-purpose, 0 excluded" -- run --check "$T/pub.campaign"
echo "${good/lab = true; /}" | sed 's/, "p.txt"//' >"$T/pub2.campaign"
expect 1 "no target left to probe after exclusions (test ranges need 'lab = true')" -- run --check "$T/pub2.campaign"
echo "${good/vp = \"v\"; /}" >"$T/novp.campaign"
expect 1 "no 'vp' in the file and no --vp given" -- run --check "$T/novp.campaign"
expect 0 "vp v2:" -- run --check --vp v2 "$T/novp.campaign"
expect 0 "vp v-2.x_y@z:" -- run --check --vp v-2.x_y@z "$T/novp.campaign"
printf 'name = "c"; vp = "v"; targets = "t.txt"; output = "o";\nschedule = { interval = 60; };\nrate = 0;\n' >"$T/bad.campaign"
expect 1 "$T/bad.campaign:3: field 'rate'" -- run --check "$T/bad.campaign"
printf 'name = "c"; vp = "v"; targets = "t.txt"; output = "o";\nschedule = { interval = 60; };\nmax_tll = 9;\n' >"$T/typo.campaign"
expect 1 "typo.campaign:3: field 'max_tll': unknown setting" -- run --check "$T/typo.campaign"
printf '198.18.0.1\n198.18.0.0/7\n' >"$T/t.txt"
expect 1 "t.txt:2: '198.18.0.0/7'" -- run --check "$T/c.campaign"
expect 1 "No such file" -- run --check "$T/none.campaign"
mkdir -p "$T/dir.campaign"
expect 1 "dir.campaign: read error: Is a directory" -- run --check "$T/dir.campaign"
expect 2 "exactly one CAMPAIGN" -- run
expect 2 "--rounds" -- run --rounds -1 "$T/c.campaign"
# ids: the one rule (include/bordertrace/id.h), a usage error naming --vp
expect 2 "--vp: 'a/b' contains '/'" -- run --vp a/b "$T/c.campaign"
expect 2 "--vp: 'a.x09b' contains a space, a control" -- run --vp $'a\tb' "$T/c.campaign"
expect 2 "--vp: '=1+1' starts with a formula character" -- run --vp '=1+1' "$T/c.campaign"
expect 2 "--vp: '.x' starts with '.'" -- run --vp .x "$T/c.campaign"
expect 2 "(try 'bordertrace-probe run --help')" -- run --vp .x "$T/c.campaign"
# IPv6 and mixed lists (doc/campaign.md, "IPv6 targets"): --check reports
# each list and each family; IPv6 targets are expanded, filtered and probed
# with the IPv4 ones (probing is tests/campaign/test_run.sh's, in the lab)
printf '2001:db8::/47\n2001:db8:5::/56\nfe80::1\n2001:db8:9::9\n2001:db8::1\n2606:4700::/48\n' >"$T/t6.txt"
printf '2001:db8:9::/48\n' >"$T/x6.txt"
mixed='name = "c"; vp = "v"; targets = ["t.txt", "p.txt", "t6.txt"]; exclude = "x6.txt"; lab = true; output = "out"; schedule = { interval = 60; };'
for i in $(seq 1 9); do echo "198.18.200.$i"; done >"$T/t.txt"
echo "$mixed" >"$T/mixed.campaign"
expect 0 "campaign c, vp v: 16 targets (4 special-purpose or outside the test ranges, 1 excluded, 1 duplicates dropped) (3 IPv6)," -- run --check "$T/mixed.campaign"
for line in "list $T/t.txt: 9 IPv4, 0 IPv6 targets" "list $T/t6.txt: 0 IPv4, 7 IPv6 targets" \
	"IPv4: 15 from the lists, 13 kept; dropped: 2 special-purpose or outside the test ranges (public 1, private 1), 0 on the exclusion lists, 0 duplicates" \
	"IPv6: 7 from the lists, 3 kept; dropped: 2 special-purpose or outside the test ranges (public 1, link-local 1), 1 on the exclusion lists, 1 duplicates"; do
	if grep -qF -- "$line" "$T/err"; then echo "ok: --check says '$line'"; else echo "FAIL: --check does not say '$line':"; sed 's/^/  /' "$T/err"; fail=1; fi
done
# without the lab switch the documentation prefixes are special-purpose
echo "${mixed/lab = true; /}" >"$T/mixedpub.campaign"
expect 0 "IPv6: 7 from the lists, 1 kept; dropped: 5 special-purpose (link-local 1, documentation 4), 0 on the exclusion lists, 1 duplicates" -- run --check "$T/mixedpub.campaign"
v6only=${mixed/\"t.txt\", \"p.txt\", /}
echo "${v6only/\"out\"/\"v6out\"}" >"$T/v6only.campaign"
expect 0 "campaign c, vp v: 3 targets (2 special-purpose or outside the test ranges, 1 excluded, 1 duplicates dropped) (3 IPv6)," -- run --check "$T/v6only.campaign"
echo "${mixed/lab = true; /lab = true; v6_max_per_prefix = 1; }" >"$T/cap.campaign"
expect 1 "t6.txt:1: '2001:db8::/47': 2 targets (one per /48) is more than v6_max_per_prefix = 1" -- run --check "$T/cap.campaign"
# bad lines: LIST|CONTENT (printf format)|what the error says
while IFS='|' read -r list content want; do
	printf '2001:db8::1\n' >"$T/t6.txt"
	printf '2001:db8:9::/48\n' >"$T/x6.txt"
	printf "$content" >"$T/$list"
	expect 1 "$want" -- run --check "$T/mixed.campaign" </dev/null
done <<'EOF'
t6.txt|2001:db8::1\n\nfe80::1%%eth0\n|t6.txt:3: 'fe80::1%eth0': a zone id
t6.txt|::ffff:198.18.0.1\n|t6.txt:1: '::ffff:198.18.0.1': an IPv4-mapped IPv6 address is never on the wire: write the IPv4 address (198.18.0.1)
t6.txt|2001:db8::/129\n|t6.txt:1: '2001:db8::/129': bad prefix length
t6.txt|2001:db8::1/64\n|t6.txt:1: '2001:db8::1/64': host bits set
t6.txt|2000::/15\n|t6.txt:1: '2000::/15': IPv6 prefixes shorter than /16 are refused
x6.txt|fe80::/10\nff02::1%%lo\n|x6.txt:2: 'ff02::1%lo': a zone id
EOF
# integers past 32 bits: refused, not wrapped (libconfig 1.5 read 4294967496
# as 200 and 4294967306 as 10); the whole prefix_seed range is taken.
# STATUS|the file after its first line (printf format)|what the error says
while IFS='|' read -r status content want; do
	printf 'name = "c"; vp = "v"; targets = "t.txt"; output = "o"; lab = true;\n'"$content" >"$T/wrap.campaign"
	expect "$status" "$want" -- run --check "$T/wrap.campaign"
done <<'EOF'
1|schedule = { interval = 60; };\nrate = 4294967496;\n|wrap.campaign:3: field 'rate': expected an integer 1..10000000, got 4294967496
1|schedule = {\n interval = 4294967306; };\n|wrap.campaign:3: field 'schedule.interval': expected an integer 1..31622400, got 4294967306
0|schedule = { interval = 60; };\nprefix_seed = 4294967295;\n|campaign c, vp v:
EOF
# endless or huge campaign files: refused before libconfig reads them (memory
# and time bounded here so that a regression fails instead of eating the machine)
# (no address-space limit under ASan, which reserves terabytes of shadow)
if ldd "$PROBE" 2>/dev/null | grep -q libasan; then
	capped() { timeout 20 "$@"; }
else
	capped() { (ulimit -v 1000000; exec timeout 20 "$@"); }
fi
WRAP=capped
expect 1 "/dev/zero: not a regular file (a character device)" -- run --check /dev/zero
{ echo "$good"; head -c 1100000 /dev/zero | tr '\0' '#'; echo; } >"$T/big.campaign"
expect 1 "big.campaign: 1100" -- run --check "$T/big.campaign"
grep -q "a campaign file is at most 1048576 bytes" "$T/err" || { echo "FAIL: the cap is not named"; fail=1; }
{ echo "$good"; head -c 1100000 /dev/zero | tr '\0' '#'; echo; } | gzip >"$T/bigz.campaign"
expect 1 "bigz.campaign: 1100" -- run --check "$T/bigz.campaign"
WRAP=
# Errors found late (issue 13): what every round needs is checked at start.
# --check (no privileges): the user, and a round that may not fit its interval
for i in $(seq 1 9); do echo "198.18.200.$i"; done >"$T/t.txt"
expect 1 "user 'no-such-user-bt' does not exist" -- run --check --user no-such-user-bt "$T/c.campaign"
printf 'name = "c"; vp = "v"; targets = "t.txt"; output = "o"; lab = true; rate = 1;\nschedule = { interval = 60; };\n' >"$T/slow.campaign"
expect 0 "warning: a round may not fit its interval: up to 576 probes (9 targets x 1 flows x 32 TTLs x 2 attempts, every TTL to its last attempt) take 576 s at rate 1/s; the interval is 60 s" -- run --check "$T/slow.campaign"
expect 0 "campaign c" -- run --check "$T/c.campaign"
if grep -q "may not fit" "$T/err"; then echo "FAIL: a round that fits is warned about"; fail=1; fi
# run (root): refused at start, not when the first round comes; in a network
# namespace of its own with nothing but a loopback down (nothing can be sent),
# the current slot done already so that the first round is an hour away
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
	printf 'name = "c"; vp = "v"; targets = "t.txt"; output = "late"; lab = true;\nschedule = { interval = 3600; };\n' >"$T/late.campaign"
	mkdir -p "$T/late/c/v" && : >"$T/late/c/v/$(date -u +%Y-%m-%dT%H:00:00Z).jsonl"
	WRAP="timeout 10 unshare -n"
	expect 1 "user 'no-such-user-bt' does not exist" -- run --user no-such-user-bt "$T/late.campaign"
	WRAP="env TMPDIR=/nonexistent-bt-spool timeout 10 unshare -n"
	expect 1 "as user nobody: spool file in /nonexistent-bt-spool: No such file" -- run "$T/late.campaign"
	grep -q "start-up check failed: nothing probed: a round could not run as user nobody" "$T/err" ||
		{ echo "FAIL: the start-up check is not named"; fail=1; }
	WRAP="timeout 10 unshare -n"
	printf 'name = "c"; vp = "v"; targets = "t.txt"; output = "late"; lab = true; interface = "nosuch0";\nschedule = { interval = 3600; };\n' >"$T/late.campaign"
	expect 1 "start-up check failed: nothing probed: interface nosuch0: No such device" -- run "$T/late.campaign"
	WRAP=
fi
# the example in the repository loads
expect 0 "campaign lab-many" -- run --check "$EX/lab.campaign"
exit $fail
