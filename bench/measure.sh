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
# measure NAME CMD... : wall seconds and peak RSS (KB) into $SECS / $PEAK
measure() {
	local out=$WORK/time.$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" taskset -c "$CORE" "$@" >/dev/null 2>"$WORK/stderr" || {
		cat "$WORK/stderr" >&2; exit 1; }
	read -r SECS PEAK <"$out"
}
