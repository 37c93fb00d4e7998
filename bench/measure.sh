# bordertrace benchmarks — what the bench scripts share (sourced; they set
# WORK, a scratch directory, and CORE, the CPU to pin to).
# measure NAME CMD... : wall seconds and peak RSS (KB) into $SECS / $PEAK
measure() {
	local out=$WORK/time.$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" taskset -c "$CORE" "$@" >/dev/null 2>"$WORK/stderr" || {
		cat "$WORK/stderr" >&2; exit 1; }
	read -r SECS PEAK <"$out"
}
