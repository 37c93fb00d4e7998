#!/bin/bash
# Sets up, builds and runs every test (unit, CLI, lab). The lab tests need
# root (network namespaces); without it they are skipped, never faked.
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

if [[ $(id -u) -eq 0 ]]; then
	scripts/setup.sh || exit 1
fi
if [[ ! -d $BUILD ]]; then
	meson setup "$BUILD" ${MESON_ARGS:-} || exit 1
fi
ninja -C "$BUILD" || exit 1
meson test -C "$BUILD" --print-errorlogs ${MESON_TEST_ARGS:-}
rc=$?
python3 scripts/test-summary.py "$BUILD/meson-logs/testlog.json"
exit $rc
