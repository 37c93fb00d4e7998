# bordertrace benchmarks — what the bench scripts share (sourced; they set
# WORK, a scratch directory, and CORE, the CPU to pin to, themselves or
# through bench_start).
# bench_start NAME: $BT from $BUILD (refused unbuilt), a scratch $WORK
# removed at exit, $CORE (default 1)
bench_start() {
	BT=$PWD/$BUILD/analysis/bordertrace
	[[ -x $BT ]] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/bt-$1.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
	CORE=${CORE:-1}
}
# measure NAME CMD... : wall seconds and peak RSS (KB) into $SECS / $PEAK,
# CPU seconds (user + system, 10 ms steps) into $CPU: on a shared, loaded
# core wall time stretches with the other load, CPU time much less
measure() {
	local out=$WORK/time.$1 usr sys
	shift
	/usr/bin/time -f "%e %M %U %S" -o "$out" taskset -c "$CORE" "$@" >/dev/null 2>"$WORK/stderr" || {
		cat "$WORK/stderr" >&2; exit 1; }
	read -r SECS PEAK usr sys <"$out"
	CPU=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}
