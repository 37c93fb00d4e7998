# bordertrace tests — helpers the diff/export CLI scripts source. The script
# sets BT (the program), TMP (a scratch directory) and fails=0 first.

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect_rc WANT CMD... : runs CMD, stdout to $TMP/out, stderr to $TMP/err
expect_rc() {
	want=$1; shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "exit $rc (want $want): $*: $(head -c 2000 "$TMP/err")"
	else
		echo "ok: exit $rc: ${*#"$BT" }: $(head -1 "$TMP/err" | head -c 300)"
	fi
}
has() { grep -qF -- "$2" "$1" || fail "$1 lacks: $2 (got: $(head -c 2000 "$1"))"; }
empty_dir() { [ -z "$(ls -A "$1")" ] || fail "$1 is not empty: $(ls -A "$1" | tr '\n' ' ')"; }
# check WHAT CMD...: CMD must succeed
check() {
	local what=$1
	shift
	if "$@"; then echo "ok: $what"; else fail "$what"; fi
}
# is GOT WANT WHAT
is() { check "$3: got '$1', want '$2'" [ "$1" = "$2" ]; }
# col FILE KEY_COLUMN KEY COLUMN...: for each row whose KEY_COLUMN is KEY, its
# COLUMNs joined by ':'; the rows joined by spaces
col() {
	python3 - "$@" <<'EOF'
import csv, sys
path, kc, key, *vcs = sys.argv[1:]
rows = [r for r in csv.DictReader(open(path, newline="")) if r[kc] == key]
print(" ".join(":".join(r.get(c, "?") for c in vcs) for r in rows))
EOF
}
# The founding story's announced prefixes (CAIDA prefix2as style) into
# $TMP/pfx2as.txt: the VP's AS, CN, RU, KP; DB the options that read them.
kp_db() {
	printf '198.18.1.0\t24\t64500\n198.18.2.0\t24\t4837\n198.18.5.0\t24\t20485\n' >"$TMP/pfx2as.txt"
	printf '198.18.7.0\t24\t131279\n198.18.8.0\t24\t131279\n' >>"$TMP/pfx2as.txt"
	DB=(--pfx2as "$TMP/pfx2as.txt" --prefer-pfx2as --lookup-test-ranges)
}

# One trace record of one VP (the record of doc/trace-format.md); HOP2 is
# the second hop's address (the destination's by default).
line() { # ROUND START [HOP2]
	printf '{"format":"bordertrace-trace","v":1,"vp":"vp-01","campaign":"kp","round":"%s",' "$1"
	printf '"method":"icmp-paris","src":"198.18.0.2","dst":"198.18.3.2","flow":0,"sport":0,'
	printf '"dport":0,"icmp_sum":4096,"start":"%s","end":"%s","stop":"completed",' "$2" "$2"
	printf '"stop_ttl":2,"first_ttl":1,"max_ttl":32,"probes_sent":2,"hops":['
	printf '{"ttl":1,"attempt":1,"addr":"198.18.1.1","rtt_ms":0.1,"reply_ttl":64,"icmp_type":11,'
	printf '"icmp_code":0,"quoted_ttl":1,"size":56},'
	printf '{"ttl":2,"attempt":1,"addr":"%s","rtt_ms":0.2,"reply_ttl":63,"icmp_type":0,' "${3:-198.18.3.2}"
	printf '"icmp_code":0,"size":84}]}\n'
}
