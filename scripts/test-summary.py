#!/usr/bin/env python3
"""Counts test results from meson's testlog.json and prints "N passed, N failed".

A skipped test (exit 77, e.g. a lab test without root) is neither; it is
listed so that nobody mistakes it for a pass."""
import json
import sys

passed = failed = 0
skipped = []
with open(sys.argv[1]) as f:
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
if skipped:
    print("skipped: " + ", ".join(skipped))
print(f"{passed} passed, {failed} failed")
