#!/usr/bin/env python3
"""Counts test results from one or more meson testlog.json files and prints
"N passed, N failed" over all of them.

test-all.sh runs the suite twice (plain build, then ASan+UBSan), and gives
both logs: the last line counts both runs. A skipped test (exit 77, e.g. a lab
test without root) is neither; it is listed so that nobody mistakes it for a
pass. A log that is missing or empty counts as one failure: a run that never
happened must not look clean."""
import json
import os
import sys

total_passed = total_failed = 0
several = len(sys.argv) > 2
for path in sys.argv[1:]:
    # build-asan/meson-logs/testlog.json -> "build-asan"
    label = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    passed = failed = 0
    skipped = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line)
                res = r.get("result")
                if res in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif res == "SKIP":
                    skipped.append(r.get("name"))
                else:
                    failed += 1
    except (OSError, ValueError) as e:
        print(f"{label}: no usable test log ({e})")
        failed += 1
    if passed + failed + len(skipped) == 0:
        print(f"{label}: no test ran")
        failed += 1
    if skipped:
        print(("%s: " % label if several else "") + "skipped: " + ", ".join(skipped))
    if several:
        print(f"{label}: {passed} passed, {failed} failed")
    total_passed += passed
    total_failed += failed
print(f"{total_passed} passed, {total_failed} failed")
