#!/bin/bash
# Sets up, builds and runs every test (unit, CLI, lab) twice: in $BUILD
# (build/) as shipped, then in $ASAN_BUILD (build-asan/) under
# AddressSanitizer + UndefinedBehaviorSanitizer with leak detection, where
# any sanitizer report fails the test that triggered it. The lab tests need
# root (network namespaces); without it they are skipped, never faked.
# Ends with one line counting both runs: "N passed, N failed".
#   ASAN=0            skip the sanitizer run
#   MESON_TEST_ARGS   extra arguments for both `meson test` runs
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
ASAN=${ASAN:-1}

if [[ $(id -u) -eq 0 ]]; then
	scripts/setup.sh || exit 1
fi
if [[ ! -d $BUILD ]]; then
	meson setup "$BUILD" ${MESON_ARGS:-} || exit 1
fi
ninja -C "$BUILD" || exit 1
meson test -C "$BUILD" --print-errorlogs ${MESON_TEST_ARGS:-}
rc=$?
logs=("$BUILD/meson-logs/testlog.json")

if [[ $ASAN == 1 ]]; then
	# gcc's sanitizers; b_lundef=false as the sanitizer runtimes need.
	if [[ ! -d $ASAN_BUILD ]]; then
		meson setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
			${MESON_ARGS:-} || exit 1
	fi
	ninja -C "$ASAN_BUILD" || exit 1
	# halt_on_error: a UBSan report is a failure, not a warning in a log.
	# The LSan suppressions are libconfig's own leaks (tests/fuzz/lsan.supp).
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0 \
		meson test -C "$ASAN_BUILD" --print-errorlogs --timeout-multiplier 2 \
		${MESON_TEST_ARGS:-}
	arc=$?
	[[ $arc -ne 0 ]] && rc=$arc
	logs+=("$ASAN_BUILD/meson-logs/testlog.json")
fi

python3 scripts/test-summary.py "${logs[@]}"
exit $rc
