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
