#!/bin/bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) and runs them.
#
#   tests/fuzz/run.sh [-j N] [--merge-into-corpus] [SECONDS] [TARGET...]
#
# SECONDS per target (default 600); TARGETs by name (reply, trace_json, ...;
# default all); -j N runs N targets at a time (default 1). Each target starts
# from the committed corpus (tests/fuzz/corpus/NAME, plus for mmdb the test
# databases the build makes) and writes what it finds to a work directory,
# $FUZZ_WORK/NAME (default build-fuzz/fuzz-work): the committed corpus is
# left alone unless --merge-into-corpus is given, which then merges into it
# only the new inputs that add coverage (libFuzzer -merge=1). Crashes, leaks
# and timeouts land in $FUZZ_WORK/NAME-artifacts/; copy them into the corpus
# as regression files once fixed. Ends with one line per target: result,
# executions, exec/s, coverage (cov: edges, ft: features), corpus, seconds.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${FUZZ_BUILD:-build-fuzz}
WORK=${FUZZ_WORK:-$BUILD/fuzz-work}
jobs=1
merge=0
while [[ $# -gt 0 ]]; do
	case $1 in
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	--merge-into-corpus) merge=1; shift ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
secs=600
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
	secs=$1
	shift
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=${f##*/fuzz_}
		targets+=("${n%.c}")
	done
fi
for t in "${targets[@]}"; do
	if [[ ! -f tests/fuzz/fuzz_$t.c ]]; then
		echo "run.sh: no target '$t' (tests/fuzz/fuzz_$t.c)" >&2
		exit 2
	fi
done

if ! command -v clang >/dev/null; then
	echo "run.sh: needs clang (scripts/setup.sh installs it)" >&2
	exit 1
fi
if [[ ! -f $BUILD/build.ninja ]]; then
	CC=clang meson setup "$BUILD" -Dfuzz=true -Db_lundef=false >/dev/null || exit 1
fi
ninja -C "$BUILD" >/dev/null || { ninja -C "$BUILD"; exit 1; }
mkdir -p "$WORK"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan-fuzz.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_one() {
	local t=$1
	local exe=$BUILD/tests/fuzz/fuzz_$t
	local dirs=("$WORK/$t" "tests/fuzz/corpus/$t")
	local opts=(-max_total_time="$secs" -print_final_stats=1 -timeout=10
		-rss_limit_mb=2048 -artifact_prefix="$WORK/$t-artifacts/")
	mkdir -p "$WORK/$t" "$WORK/$t-artifacts"
	[[ -f tests/fuzz/$t.dict ]] && opts+=(-dict="tests/fuzz/$t.dict")
	case $t in
	trace_json) opts+=(-max_len=16384) ;;
	mmdb)
		mkdir -p "$WORK/mmdb-seeds"
		cp "$BUILD"/tests/analysis/*.mmdb "$WORK/mmdb-seeds/" 2>/dev/null
		dirs+=("$WORK/mmdb-seeds")
		opts+=(-max_len=16384)
		;;
	esac
	local start=$SECONDS
	"$exe" "${opts[@]}" "${dirs[@]}" >"$WORK/$t.log" 2>&1
	local rc=$?
	echo "$((SECONDS - start))" >"$WORK/$t.secs"
	echo "$rc" >"$WORK/$t.rc"
	if [[ $merge -eq 1 && $rc -eq 0 ]]; then
		"$exe" -merge=1 "tests/fuzz/corpus/$t" "$WORK/$t" >"$WORK/$t.merge.log" 2>&1
	fi
}

summary() {
	local t=$1 log=$WORK/$1.log
	local rc execs eps covline cov ft corp secs result
	rc=$(cat "$WORK/$t.rc" 2>/dev/null || echo "?")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	covline=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$covline")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$covline")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$covline")
	secs=$(cat "$WORK/$t.secs" 2>/dev/null || echo "?")
	if [[ $rc == 0 ]]; then
		result=ok
	else
		result="FAILED(rc=$rc; $(ls "$WORK/$t-artifacts" | head -3 | tr '\n' ' '))"
	fi
	printf '%-11s %-8s execs=%-10s exec/s=%-7s cov=%-6s ft=%-7s corpus=%-12s time=%ss\n' \
		"$t" "$result" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$secs"
}

echo "run.sh: ${#targets[@]} target(s), ${secs}s each, $jobs at a time; logs in $WORK/NAME.log"
running=0
for t in "${targets[@]}"; do
	if [[ $running -ge $jobs ]]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait

fail=0
for t in "${targets[@]}"; do
	summary "$t"
	[[ $(cat "$WORK/$t.rc" 2>/dev/null) == 0 ]] || fail=1
done
exit $fail
