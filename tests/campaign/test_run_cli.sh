#!/bin/bash
# bordertrace-probe run: refusals and --check, which send nothing (the
# campaign is loaded and described, no socket is opened). No privileges.
set -u
PROBE=$1
EX=$2 # examples/ directory
fail=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

expect() { # STATUS PATTERN -- ARGS...
	local want=$1 pat=$2
	shift 3
	"$PROBE" "$@" >"$T/out" 2>"$T/err"
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
# the example in the repository loads
expect 0 "campaign lab-many" -- run --check "$EX/lab.campaign"
exit $fail
